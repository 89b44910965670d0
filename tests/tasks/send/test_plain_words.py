"""What units and the secretariat read about validation is words, not codes (issue 17, item 7).

A quarter with a code of another unit, a row naming another unit, a fisik out of range and a
missing kendala: the feedback mail, the reminder, the acknowledgement, the secretariat's list
and validasi.html name units by name, columns by their template label and letter, and rules by
what they check. No unit code and no snake_case key (column or rule id) is visible text.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pandas as pd
import pytest

from tests.tasks.check.test_validate import KEC_CODE, PERIOD, frame, unit_rows
from triwulan.tasks.check.columns import column_labels, shared_labels
from triwulan.tasks.check.validate import Validation, load_suite, validate_quarter
from triwulan.tasks.core.period import WIB
from triwulan.tasks.core.reference import Reference, load_reference, plan_for_quarter
from triwulan.tasks.publish.validation_report import render_validation_report
from triwulan.tasks.send.acknowledgement import acknowledgement_mails
from triwulan.tasks.send.mails import unit_feedback_mails
from triwulan.tasks.send.notices import reminder_mail, secretariat_mail, unit_states

REJECTED, ACCEPTED = "kaliabang-tengah", "harapan-jaya"
FILES = {REJECTED: "Laporan TW2 Kaliabang Tengah.xlsx", ACCEPTED: "Laporan TW2 Harapan Jaya.xlsx"}
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
DUE = dt.datetime(2024, 7, 10, 8, 0, tzinfo=WIB)


def visible(page: str) -> str:
    """The text a reader sees: no style or tags (attributes included), entities decoded."""
    page = re.sub(r"<style\b.*?</style>", " ", page, flags=re.DOTALL | re.IGNORECASE)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def codes_in(text: str, ref: Reference) -> list[str]:
    """Unit codes in a text, written as codes (lower case, whole words), except inside an
    e-mail address and codes that are also an ordinary word ('kecamatan')."""
    found = []
    for unit, jenis in zip(ref.units["unit"], ref.units["jenis"], strict=True):
        if unit == jenis:
            continue
        if re.search(rf"(?<![\w.@-]){re.escape(unit)}(?![\w@-])", text):
            found.append(unit)
    return found


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference(PERIOD.tahun)


@pytest.fixture(scope="module")
def checked(ref: Reference) -> Validation:
    plan = plan_for_quarter(ref, PERIOD.triwulan)
    bad = unit_rows(plan, REJECTED, FILES[REJECTED])
    bad[0]["kode_sub_kegiatan"] = KEC_CODE  # row 2: the kecamatan's code
    bad[1]["realisasi_fisik"] = "150"  # row 3: fisik out of range
    bad[2]["unit"] = "perwira"  # row 4: another unit's row in this file
    good = unit_rows(plan, ACCEPTED, FILES[ACCEPTED])
    good[0]["realisasi_keuangan"] = "1"  # row 2: capaian far below target, kendala empty
    return validate_quarter(frame(bad + good), ref, PERIOD)


def summary_of(validation: Validation, ref: Reference) -> dict[str, Any]:
    keys = ("row", "column", "rule", "severity", "message")
    units = []
    for unit, nama in zip(ref.units["unit"], ref.units["nama"], strict=True):
        own = validation.problems[validation.problems["unit"] == unit].to_dict("records")
        units.append(
            {
                "unit": unit,
                "nama": nama,
                "status": validation.status.get(unit, "missing"),
                "file": validation.files.get(unit),
                "problems": [{k: (None if pd.isna(p[k]) else p[k]) for k in keys} for p in own],
            }
        )
    return {
        "period": PERIOD.label,
        "version": 1,
        "kecamatan": "Kecamatan Bekasi Utara",
        "generated_at": "2024-07-10T08:15:00+07:00",
        "units": units,
    }


def assert_plain(text: str, ref: Reference) -> None:
    assert codes_in(text, ref) == []
    assert SNAKE.findall(text) == []


def test_the_faults_are_there(checked: Validation) -> None:
    rules = set(checked.problems["rule"])
    assert {"kode_milik_unit", "realisasi_fisik_rentang", "satu_unit_per_berkas"} <= rules
    assert "capaian_rendah_tanpa_kendala" in rules
    assert checked.status == {REJECTED: "rejected", ACCEPTED: "accepted"}


def test_feedback_mail_names_units_and_columns_as_people_know_them(
    ref: Reference, checked: Validation
) -> None:
    (mail,) = unit_feedback_mails(ref, PERIOD, summary_of(checked, ref), {})
    for part in (visible(mail.html), mail.text):
        assert_plain(part, ref)
        assert f"Kode sub kegiatan {KEC_CODE} bukan milik unit Kelurahan Kaliabang Tengah." in part
        assert "milik unit Kelurahan Perwira, padahal berkas ini milik unit Kelurahan" in part
        assert "kolom Kode Sub Kegiatan (D)" in part
        assert "kolom Realisasi Fisik Kumulatif (%) (L)" in part
        assert "kolom Unit (C)" in part


def test_validation_page_says_what_each_rule_checks(ref: Reference, checked: Validation) -> None:
    page = render_validation_report(summary_of(checked, ref), load_suite(), checked.problems)
    text = visible(page)
    assert_plain(text, ref)
    assert "Setiap sub kegiatan di berkas memang milik unit pengirimnya" in text
    assert "Realisasi fisik berada antara 0% dan 100%." in text  # numbers from the suite
    assert "kolom Kode Sub Kegiatan (D)" in text and "kolom Kendala/Permasalahan (N)" in text
    assert "bukan milik unit Kelurahan Kaliabang Tengah" in text
    assert 'data-aturan="kode_milik_unit"' in page  # the id stays findable, out of sight


def test_reminder_acknowledgement_and_secretariat_list(ref: Reference, checked: Validation) -> None:
    states = unit_states(ref, {}, checked.status, checked.files, checked.problems)
    rejected = next(s for s in states if s.unit == REJECTED)
    reminder = reminder_mail(
        ref, PERIOD, rejected, due=DUE, late=False, send_to=["s@example.go.id"], attachment=None
    )
    (thanks,) = acknowledgement_mails(ref, PERIOD, summary_of(checked, ref), {})
    listing = secretariat_mail(ref, PERIOD, states, due=DUE, late=False, to=["s@example.go.id"])
    for mail in (reminder, thanks, listing):
        for part in (visible(mail.html), mail.text):
            assert_plain(part, ref)
    assert "Kode Sub Kegiatan (D)" in visible(reminder.html)
    assert "Kolom L — Realisasi Fisik Kumulatif (%)" in reminder.text
    assert "Kendala/Permasalahan (N)" in visible(thanks.html) and "kolom Kendala" in thanks.text
    assert "kolom Kode Sub Kegiatan (D)" in listing.text


def test_labels_come_from_the_reference_files(ref: Reference) -> None:
    labels = column_labels(ref.kolom, ref.kolom_iku)
    assert labels.text("kode_sub_kegiatan") == "Kode Sub Kegiatan (D)"
    assert labels.text("status_tertib (sheet zona_k3)") == (
        "Status Tertib (ya/tidak) (C) di sheet zona_k3"
    )
    assert labels.text("(sheet skm)") == "(sheet skm)"
    assert labels.text("kolom_lama") == "kolom lama"  # never a snake_case key
    assert labels.text(None) == ""
    assert shared_labels() == labels  # the same files a Reference is read from
    renamed = ref.kolom.assign(judul=ref.kolom["judul"].str.upper())
    assert column_labels(renamed).text("pagu") == "PAGU (RP) (F)"
