"""Issue 17: who is not in the figures is said first, by name and with the whole reason, and
which pagu the percentages use when units are left out (mail, its text part and laporan.html)."""

from __future__ import annotations

import copy
import re
from html import unescape

import pytest

from tests.tasks.publish.test_report import make_detail, make_levels, make_summary
from triwulan.tasks.publish import report
from triwulan.tasks.publish.headline import pagu_note
from triwulan.tasks.publish.report import render_email_summary, render_email_text
from triwulan.tasks.publish.report_full import render_full_report

LONG = (
    "Realisasi keuangan TW II melebihi target anggaran kas TW II; periksa kembali angka yang "
    "diisi, isi 0 bila belum ada realisasi, dan pastikan kolom realisasi_keuangan_tw berisi "
    "rupiah penuh tanpa titik atau koma (contoh: 1500000)."
)
NOT_IN = ["Kelurahan Harapan Jaya", "Kelurahan Teluk Pucung", "Kelurahan Marga Mulya"]


def visible(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def summary() -> dict:
    detail = make_detail()
    summary = make_summary(detail)
    summary["units"][2]["problems"][1]["message"] = LONG  # Harapan Jaya's first error
    summary["pagu_semua_unit"] = summary["totals"]["pagu"] + 1_978_243_200
    return summary | {"_detail": detail}


def first_screen(text: str) -> str:
    """Everything before the first money figure."""
    cut = text.index("Realisasi keuangan s.d.")
    return text[:cut]


def test_mail_names_every_unit_left_out_before_the_money(summary: dict) -> None:
    top = first_screen(visible(render_email_summary(summary)))
    assert "2 dari 5 unit diterima" in top
    for name in NOT_IN:
        assert name in top
    assert "Ditolak" in top and "Belum mengirim" in top
    assert "Memakai data berkas teluk_pucung_tw2.xlsx yang diterima pada versi 2" in top


def test_the_first_reason_is_whole_on_the_first_screen(summary: dict) -> None:
    assert len(LONG) > report.REASON_MAX  # cut anywhere further down
    top = first_screen(visible(render_email_summary(summary)))
    assert LONG.rstrip(".") in top and "…" not in top
    assert LONG.rstrip(".") in render_email_text(summary)
    laporan = render_full_report(summary, summary["_detail"], make_levels(summary["_detail"]))
    assert LONG.rstrip(".") in first_screen(visible(laporan))


def test_each_unit_is_named_once_in_the_mail(summary: dict) -> None:
    text = visible(render_email_summary(summary))
    for name in NOT_IN:
        assert text.count(name) == 1, name
    assert "(lanjutan)" not in text


def test_a_province_names_the_first_units_and_counts_the_rest(summary: dict) -> None:
    many = copy.deepcopy(summary)
    missing = [
        {"unit": f"desa-{i}", "nama": f"Desa Contoh {i:03d}", "status": "missing", "file": None}
        | {"problems": [], "totals": None, "data_sebelumnya": None}
        for i in range(40)
    ]
    many["units"] += missing
    shown = report.FIRST_SCREEN_UNITS
    text = visible(render_email_summary(many))
    top = first_screen(text)
    rest = 3 + 40 - shown
    assert f"… dan {rest} unit lain, tercantum di bawah." in top
    assert "Desa Contoh 001" in top and f"Desa Contoh {shown - 3:03d}" not in top
    assert "Unit belum masuk atau ditolak (lanjutan)" in text
    for unit in many["units"][2:]:
        assert text.count(unit["nama"]) == 1, unit["nama"]


def test_which_pagu_the_percentages_use(summary: dict) -> None:
    counted, full = summary["totals"]["pagu"], summary["pagu_semua_unit"]
    assert counted < full
    line = pagu_note(summary)
    assert line == (
        f"Persentase memakai pagu unit yang masuk perhitungan, {report._rupiah(counted)}, "
        f"dari pagu seluruh unit {report._rupiah(full)}."
    )
    assert line in first_screen(visible(render_email_summary(summary)))
    assert line in render_email_text(summary)
    laporan = render_full_report(summary, summary["_detail"], make_levels(summary["_detail"]))
    assert line in visible(laporan.split('<div class="headline">')[0])


@pytest.mark.parametrize("full", [None, "same"])
def test_no_pagu_line_when_all_of_it_is_counted_or_unknown(summary: dict, full: object) -> None:
    """A version written before the field existed (FINAL of an old version) says nothing."""
    summary["pagu_semua_unit"] = summary["totals"]["pagu"] if full == "same" else None
    assert pagu_note(summary) == ""
    assert "Persentase memakai pagu" not in render_email_summary(summary)


def test_units_missing_an_earlier_quarter_are_named_five_at_most(summary: dict) -> None:
    """A province run without TW I: 5,720 units share one warning; the first screen names five
    and counts the rest instead of printing every name (130 kB on the console and the mail)."""
    units = [{"unit": f"u{i}", "nama": f"Kelurahan {i}", "status": "accepted"} for i in range(12)]
    warnings = [
        {"code": "earlier_quarter_missing", "unit": u["unit"], "quarters": [1]} for u in units
    ]
    lines = report.warning_lines({**summary, "units": units, "warnings": warnings})
    assert [w["message"] for w in lines] == [
        "Data TW I dari 12 unit (Kelurahan 0, Kelurahan 1, Kelurahan 2, Kelurahan 3, "
        "Kelurahan 4, dan 7 unit lain) belum ada di basis data, sehingga angka s.d. TW II "
        "belum memuat TW I. Jalankan dulu triwulan yang belum ada, atau periksa folder hasil "
        "yang dipakai."
    ]
