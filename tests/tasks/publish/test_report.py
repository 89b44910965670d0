"""Rendering of the consolidated quarter: emails, full report, xlsx rekap."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from triwulan.tasks.core import fmt
from triwulan.tasks.measure import compute
from triwulan.tasks.measure.compute import LEVEL_KEYS, MONEY, TOTAL_KEYS
from triwulan.tasks.measure.early_warning import early_warnings
from triwulan.tasks.publish import headline, rekap, report, report_full
from triwulan.tasks.publish.rekap import write_rekap_xlsx
from triwulan.tasks.publish.report import (
    render_email_summary,
    render_email_text,
    render_problems_email,
    strip_newlines,
)
from triwulan.tasks.publish.report_full import render_full_report

PERCENT = [k for k in TOTAL_KEYS if k.endswith("_persen")]
SHEETS = ["Ringkasan", "Per Unit", "Per Program", "Per Kegiatan", "Per Sub Kegiatan"]

_ROWS = [
    # unit, nama_unit, program, kegiatan, sub, pagu, target_tw, real_tw, target_sd, real_sd, fisik
    (
        "kecamatan",
        "Kecamatan Bekasi Utara",
        ("7.01.01", "Program Penunjang Urusan Pemerintahan Daerah Kabupaten/Kota"),
        ("7.01.01.2.02", "Administrasi Keuangan Perangkat Daerah"),
        ("7.01.01.2.02.0001", "Penyediaan Gaji dan Tunjangan ASN"),
        (2_000_000_000, 500_000_000, 480_000_000, 1_000_000_000, 950_000_000, 50.0),
        ("Jumlah Orang yang Menerima Gaji dan Tunjangan ASN", "Orang/Bulan", 2218.0, 554.5, 1109.0),
        ("", ""),
    ),
    (
        "kecamatan",
        "Kecamatan Bekasi Utara",
        ("7.01.03", "Program Pemberdayaan Masyarakat Desa dan Kelurahan"),
        ("7.01.03.2.01", "Pembangunan Sarana dan Prasarana Kelurahan"),
        ("7.01.03.2.01.0001", "Pembangunan Sarana dan Prasarana Kelurahan"),
        (40_000_000, 0, 0, 10_004_595, 1_234_567, 10.0),
        ("Jumlah Sarana dan Prasarana Kelurahan", "Unit", 2.0, 0.0, 0.0),
        ("Lelang ulang", "Percepatan pengadaan"),
    ),
    (
        "perwira",
        "Kelurahan Perwira",
        ("7.01.03", "Program Pemberdayaan Masyarakat Desa dan Kelurahan"),
        ("7.01.03.2.01", "Pembangunan Sarana dan Prasarana Kelurahan"),
        ("7.01.03.2.01.0002", "Pemberdayaan Lembaga Kemasyarakatan Kelurahan"),
        (300_000_000, 75_000_000, 60_000_000, 150_000_000, 100_000_000, 30.0),
        ("Jumlah Pokmas/Ormas yang Diberdayakan", "Pokmas/Ormas", 158.0, 20.0, 40.0),
        ("<script>alert('x')</script> & cuaca", "Koordinasi dengan RW"),
    ),
    (  # from Teluk Pucung's earlier accepted file (its new file is rejected); ahead of plan
        "teluk-pucung",
        "Kelurahan Teluk Pucung",
        ("7.01.02", "Program Penyelenggaraan Pemerintahan dan Pelayanan Publik"),
        ("7.01.02.2.01", "Penyelenggaraan Urusan Pemerintahan dan Pelayanan Publik"),
        ("7.01.02.2.01.0001", "Pelayanan Administrasi Kependudukan di Kelurahan"),
        (150_000_000, 30_000_000, 30_000_000, 60_000_000, 66_000_000, 45.0),
        ("Jumlah Dokumen Pelayanan", "Dokumen", 1200.0, 300.0, 620.0),
        ("", ""),
    ),
]


def _pct(num: float, den: float) -> float:
    return round(num / den * 100, 2) if den else math.nan


def _predikat(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    for label, floor in [("Sangat Tinggi", 91), ("Tinggi", 76), ("Sedang", 66), ("Rendah", 51)]:
        if value >= floor:
            return label
    return "Sangat Rendah"


def _add_percentages(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["capaian_keuangan_tw_persen"] = [
        _pct(r, t)
        for r, t in zip(frame.realisasi_keuangan_tw, frame.target_keuangan_tw, strict=True)
    ]
    frame["capaian_keuangan_sd_tw_persen"] = [
        _pct(r, t)
        for r, t in zip(frame.realisasi_keuangan_sd_tw, frame.target_keuangan_sd_tw, strict=True)
    ]
    frame["serapan_pagu_persen"] = [
        _pct(r, p) for r, p in zip(frame.realisasi_keuangan_sd_tw, frame.pagu, strict=True)
    ]
    frame["deviasi_persen"] = [
        round(_pct(t, p) - s, 2) if p else math.nan
        for t, p, s in zip(
            frame.target_keuangan_sd_tw, frame.pagu, frame.serapan_pagu_persen, strict=True
        )
    ]
    frame["predikat_keuangan_sd_tw"] = [_predikat(v) for v in frame.capaian_keuangan_sd_tw_persen]
    return frame


def make_detail() -> pd.DataFrame:
    rows = []
    for unit, nama_unit, prog, keg, sub, money, out, notes in _ROWS:
        pagu, t_tw, r_tw, t_sd, r_sd, fisik = money
        indikator, satuan, target_k, real_k_tw, real_k_sd = out
        rows.append(
            {
                "unit": unit,
                "nama_unit": nama_unit,
                "kode_program": prog[0],
                "nama_program": prog[1],
                "kode_kegiatan": keg[0],
                "nama_kegiatan": keg[1],
                "kode_sub_kegiatan": sub[0],
                "nama_sub_kegiatan": sub[1],
                "indikator_keluaran": indikator,
                "satuan": satuan,
                "target_keluaran": target_k,
                "pagu": pagu,
                "target_keuangan_tw": t_tw,
                "realisasi_keuangan_tw": r_tw,
                "target_keuangan_sd_tw": t_sd,
                "realisasi_keuangan_sd_tw": r_sd,
                "realisasi_fisik_persen": fisik,
                "realisasi_keluaran_tw": real_k_tw,
                "realisasi_keluaran_sd_tw": real_k_sd,
                "capaian_keluaran_persen": _pct(real_k_sd, target_k),
                "kendala": notes[0],
                "tindak_lanjut": notes[1],
            }
        )
    frame = pd.DataFrame(rows)
    frame[MONEY] = frame[MONEY].astype("int64")
    return _add_percentages(frame)


def make_levels(detail: pd.DataFrame) -> dict[str, pd.DataFrame]:
    levels = {}
    for name, keys in LEVEL_KEYS.items():
        weighted = detail.assign(_w=detail.pagu * detail.realisasi_fisik_persen)
        grouped = weighted.groupby(list(keys), sort=True)[MONEY + ["_w"]].sum().reset_index()
        grouped["realisasi_fisik_persen"] = (grouped["_w"] / grouped["pagu"]).round(2)
        levels[name] = _add_percentages(grouped.drop(columns="_w"))
    return levels


def make_peringatan(detail: pd.DataFrame, threshold: float = 10) -> dict:
    """summary["peringatan_dini"] as tasks.measure.report_data builds it (rows over the threshold)."""
    rows = early_warnings(detail, threshold)
    return {
        "ambang_deviasi_persen": float(threshold),
        "baris": rows.astype(object).where(rows.notna(), None).to_dict("records"),
        "jumlah": len(rows),
        "lainnya": 0,
    }


def make_summary(detail: pd.DataFrame) -> dict:
    sums = {col: int(detail[col].sum()) for col in MONEY}
    fisik = round(float((detail.pagu * detail.realisasi_fisik_persen).sum() / sums["pagu"]), 2)
    capaian_sd = _pct(sums["realisasi_keuangan_sd_tw"], sums["target_keuangan_sd_tw"])
    serapan = _pct(sums["realisasi_keuangan_sd_tw"], sums["pagu"])
    totals = sums | {
        "capaian_keuangan_tw_persen": _pct(
            sums["realisasi_keuangan_tw"], sums["target_keuangan_tw"]
        ),
        "capaian_keuangan_sd_tw_persen": capaian_sd,
        "serapan_pagu_persen": serapan,
        "realisasi_fisik_persen": fisik,
        "deviasi_persen": round(_pct(sums["target_keuangan_sd_tw"], sums["pagu"]) - serapan, 2),
        "predikat_keuangan_sd_tw": _predikat(capaian_sd),
    }
    unit_totals = {
        unit: {col: int(frame[col].sum()) for col in MONEY}
        for unit, frame in detail.groupby("unit")
    }
    return {
        "period": "2024-TW2",
        "version": 3,
        "complete": False,
        "kecamatan": "Kecamatan Bekasi Utara",
        "generated_at": "2024-07-10T08:15:00+07:00",
        "units": [
            {
                "unit": "kecamatan",
                "nama": "Kecamatan Bekasi Utara",
                "status": "accepted",
                "file": "kecamatan-2024-TW2.xlsx",
                "problems": [],
                "totals": unit_totals["kecamatan"],
                "data_sebelumnya": None,
            },
            {
                "unit": "perwira",
                "nama": "Kelurahan Perwira",
                "status": "accepted",
                "file": "perwira.xlsx",
                "problems": [
                    {
                        "row": 9,
                        "column": "kendala",
                        "rule": "kendala_diisi",
                        "severity": "warning",
                        "message": "Kendala kosong padahal capaian di bawah 50%.",
                    }
                ],
                "totals": unit_totals["perwira"],
                "data_sebelumnya": None,
            },
            {
                "unit": "harapan-jaya",
                "nama": "Kelurahan Harapan Jaya",
                "status": "rejected",
                "file": "harapan_jaya_tw2.xlsx",
                "problems": [
                    {
                        "row": 6.0,
                        "column": "realisasi_fisik",
                        "rule": "turun",
                        "severity": "warning",
                        "message": "Realisasi fisik lebih rendah dari triwulan lalu.",
                    },
                    {
                        "row": 5,
                        "column": "realisasi_keuangan_tw",
                        "rule": "angka",
                        "severity": "error",
                        "message": "Realisasi keuangan harus angka rupiah, bukan 'lima juta'.",
                    },
                    {
                        "row": 7,
                        "column": "realisasi_fisik",
                        "rule": "rentang",
                        "severity": "error",
                        "message": "Realisasi fisik harus antara 0 dan 100.",
                    },
                ],
                "totals": None,
                "data_sebelumnya": None,
            },
            {
                "unit": "teluk-pucung",
                "nama": "Kelurahan Teluk Pucung",
                "status": "rejected",
                "file": "teluk_pucung_tw2_revisi.xlsx",
                "problems": [
                    {
                        "row": 4,
                        "column": "pagu",
                        "rule": "pagu_referensi",
                        "severity": "error",
                        "message": "Pagu berbeda dengan data referensi.",
                    }
                ],
                "totals": unit_totals["teluk-pucung"],
                "data_sebelumnya": {"file": "teluk_pucung_tw2.xlsx", "versi": 2},
            },
            {
                "unit": "marga-mulya",
                "nama": "Kelurahan Marga Mulya",
                "status": "missing",
                "file": None,
                "problems": [],
                "totals": None,
                "data_sebelumnya": None,
            },
        ],
        "unreadable_files": [
            {
                "file": "kaliabang_tengah_tw2.xls",
                "message": "Format .xls tidak didukung; simpan ulang sebagai .xlsx.",
            },
            {
                "file": "laporan <final>.xlsx",
                "message": "Unit pengirim tidak dikenali dari nama berkas maupun isinya.",
            },
        ],
        "totals": totals,
        "counts": {"accepted": 2, "rejected": 2, "missing": 1, "total": 5},
    }


@pytest.fixture
def data() -> dict:
    detail = make_detail()
    return {
        "summary": make_summary(detail) | {"peringatan_dini": make_peringatan(detail)},
        "detail": detail,
        "levels": make_levels(detail),
    }


# --- leadership email ----------------------------------------------------------------------------


def _visible(html: str) -> str:
    """Text of an HTML document with tags removed and whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_email_summary_contents(data: dict) -> None:
    html = render_email_summary(data["summary"])
    assert "\n" not in html and "\r" not in html
    assert "DRAF — dibuat otomatis, belum final, mohon diperiksa" in html
    assert "2 dari 5 unit diterima" in html
    assert "Kelurahan Harapan Jaya" in html and "Kelurahan Marga Mulya" in html
    assert ">Belum mengirim<" in html and ">Ditolak<" in html
    assert "2 kesalahan pada berkas harapan_jaya_tw2.xlsx, antara lain baris 5:" in html
    assert "1 peringatan" in html
    totals = data["summary"]["totals"]
    assert report._rupiah(totals["realisasi_keuangan_sd_tw"]) == "Rp 1.117.234.567"
    assert "Rp 1.117.234.567" in html
    # the early warning: rupiah not yet spent, what was spent, the kendala beside it
    assert "Belum terserap <strong>Rp 8.770.028</strong>" in html
    assert "realisasi Rp 1.234.567 dari target Rp 10.004.595" in html
    assert "Kendala: Lelang ulang" in html
    assert "tertinggal 21,93% dari pagu dibanding rencana" in html  # 8.770.028 / 40.000.000
    assert "Pembangunan Sarana dan Prasarana Kelurahan" in html
    assert "Peringatan dini" in html
    assert "max-width:600px" in html
    assert "<style" not in html  # inline CSS only
    assert "10 Juli 2024 pukul 08.15 WIB" in html
    assert "terlampir" in html


def test_email_summary_escapes_user_text(data: dict) -> None:
    html = render_email_summary(data["summary"])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "laporan &lt;final&gt;.xlsx" in html


def test_email_summary_undefined_percentages(data: dict) -> None:
    summary = copy.deepcopy(data["summary"])
    for key in PERCENT:
        summary["totals"][key] = None
    summary["totals"]["predikat_keuangan_sd_tw"] = "-"
    html = render_email_summary(summary)
    assert not re.search(r"\bnan\b", _visible(html), re.IGNORECASE)
    assert re.search(r">\s*-\s*<", html)
    text = render_email_text(summary)
    assert "Capaian keuangan s.d. TW II: -" in text
    assert "Deviasi: -" in text


def test_email_summary_complete(data: dict) -> None:
    summary = copy.deepcopy(data["summary"])
    summary["complete"] = True
    summary["units"] = [u for u in summary["units"] if u["status"] == "accepted"]
    summary["counts"] = {"accepted": 2, "rejected": 0, "missing": 0, "total": 2}
    summary["unreadable_files"] = []
    html = render_email_summary(summary)
    assert "2 dari 2 unit diterima" in html
    assert "semua unit lengkap" in html
    assert "Unit belum masuk" not in html
    assert "hanya mencakup" not in html
    assert "Berkas yang tidak dapat diproses" not in html


def test_email_text(data: dict) -> None:
    text = render_email_text(data["summary"])
    assert text.startswith("*** DRAF — dibuat otomatis, belum final, mohon diperiksa ***")
    assert "2 dari 5 unit diterima" in text
    assert "\n- Kelurahan Marga Mulya: Belum mengirim\n" in text
    assert (
        "\n- Kelurahan Harapan Jaya: Ditolak; 2 kesalahan pada berkas harapan_jaya_tw2.xlsx, "
        "antara lain baris 5: Realisasi keuangan harus angka rupiah, bukan 'lima juta'; "
        "1 peringatan (tidak menyebabkan penolakan)\n"
    ) in text
    assert "Rp 1.117.234.567" in text
    assert "belum terserap Rp 8.770.028" in text
    assert "PERINGATAN DINI" in text
    assert "Deviasi: tertinggal" in text
    assert "\n\n\n" not in text
    user_text = ("<script>", "</script>", "<final>")  # typed by units: plain text shows it as is
    for typed in user_text:
        text = text.replace(typed, "")
    assert "<" not in text


def test_email_subject(data: dict) -> None:
    subject = report.email_subject(data["summary"])
    assert subject.startswith("[DRAF]")
    assert "TW II 2024" in subject and "2 dari 5 unit diterima" in subject


def test_no_repeated_draf_wording(data: dict, tmp_path: Path) -> None:
    outputs = [
        render_email_summary(data["summary"]),
        render_email_text(data["summary"]),
        render_full_report(data["summary"], data["detail"], data["levels"]),
    ]
    path = tmp_path / "rekap.xlsx"
    write_rekap_xlsx(path, data["summary"], data["detail"], data["levels"])
    outputs.append(str(openpyxl.load_workbook(path)["Ringkasan"]["A2"].value))
    for out in outputs:
        assert "draf otomatis" not in out.lower()
        assert not re.search(r"DRAF\W+Draf", out, re.IGNORECASE)
    for out in outputs[:3]:
        assert out.count(report.DRAF_NOTE) == 2  # banner and footer
    assert outputs[3].startswith("Dibuat otomatis, belum final, mohon diperiksa.")


# --- new summary fields --------------------------------------------------------------------------


def test_unreadable_files_listed(data: dict) -> None:
    html = render_email_summary(data["summary"])
    assert "Berkas yang tidak dapat diproses" in html
    assert "kaliabang_tengah_tw2.xls" in html
    assert "Format .xls tidak didukung; simpan ulang sebagai .xlsx." in html
    text = render_email_text(data["summary"])
    assert "BERKAS YANG TIDAK DAPAT DIPROSES" in text
    assert "- kaliabang_tengah_tw2.xls: Format .xls tidak didukung" in text
    assert "- laporan <final>.xlsx: Unit pengirim tidak dikenali" in text
    report_html = render_full_report(data["summary"], data["detail"], data["levels"])
    assert "Berkas yang Tidak Dapat Diproses" in report_html
    assert "kaliabang_tengah_tw2.xls" in report_html and "laporan &lt;final&gt;.xlsx" in report_html


def test_unreadable_files_optional(data: dict) -> None:
    summary = copy.deepcopy(data["summary"])
    del summary["unreadable_files"]
    for unit in summary["units"]:
        del unit["data_sebelumnya"]
        for problem in unit["problems"]:
            problem.pop("severity")
    del summary["complete"]
    html = render_email_summary(summary)
    assert "Berkas yang tidak dapat diproses" not in html
    assert "Angka di bawah hanya mencakup unit yang diterima." in html
    assert "3 kesalahan pada berkas harapan_jaya_tw2.xlsx" in html  # no severity = error
    assert "BERKAS YANG TIDAK" not in render_email_text(summary)
    report_html = render_full_report(summary, data["detail"], data["levels"])
    assert "Tidak Dapat Diproses" not in report_html


def test_data_sebelumnya_shown(data: dict, tmp_path: Path) -> None:
    note = "memakai data berkas teluk_pucung_tw2.xlsx yang diterima pada versi 2"
    scope = (
        "hanya mencakup unit yang diterima (dan data yang diterima sebelumnya untuk unit yang "
        "berkas barunya ditolak)."
    )
    html = render_email_summary(data["summary"])
    visible = _visible(html)
    assert "Kelurahan Teluk Pucung Ditolak Memakai data berkas teluk_pucung_tw2.xlsx" in visible
    assert f"Angka di bawah {scope}" in visible
    assert "2 dari 5 unit diterima" in visible  # completeness stays count-based
    text = render_email_text(data["summary"])
    assert f"- Kelurahan Teluk Pucung: Ditolak — {note}; 1 kesalahan pada berkas" in text
    assert f"KELENGKAPAN: 2 dari 5 unit diterima.\nAngka di bawah {scope}\n" in text
    report_html = render_full_report(data["summary"], data["detail"], data["levels"])
    assert f">Ditolak — {note}<" in report_html
    assert f"Angka dalam laporan ini {scope}" in report_html
    assert "Memakai data berkas teluk_pucung_tw2.xlsx" in report_html  # unit level table
    path = tmp_path / "rekap.xlsx"
    write_rekap_xlsx(path, data["summary"], data["detail"], data["levels"])
    ws = openpyxl.load_workbook(path)["Ringkasan"]
    assert f"Ditolak — {note}" in [c.value for row in ws.iter_rows() for c in row]


def test_scope_note_unchanged_without_data_sebelumnya(data: dict) -> None:
    summary = copy.deepcopy(data["summary"])
    for unit in summary["units"]:
        unit["data_sebelumnya"] = None
    html = render_email_summary(summary)
    assert "Angka di bawah hanya mencakup unit yang diterima. " in html
    assert "yang diterima (dan data" not in html
    assert "diterima sebelumnya" not in html and "Memakai data" not in html


def test_peringatan_empty_wording(data: dict) -> None:
    summary = copy.deepcopy(data["summary"])
    summary["peringatan_dini"] = make_peringatan(data["detail"].iloc[0:0])
    html = render_email_summary(summary)
    assert "Tidak ada sub kegiatan yang melewati ambang peringatan." in html
    text = render_email_text(summary)
    assert "PERINGATAN DINI\nTidak ada sub kegiatan yang melewati ambang" in text
    report_html = render_full_report(summary, data["detail"], data["levels"])
    assert "Tidak ada sub kegiatan yang melewati ambang peringatan." in report_html

    for unit in summary["units"]:  # nobody accepted, nothing from earlier files
        unit["status"], unit["data_sebelumnya"] = "missing", None
    summary["counts"] = {"accepted": 0, "rejected": 0, "missing": 5, "total": 5}
    html = render_email_summary(summary)
    assert "Belum ada data sub kegiatan dari unit yang diterima." in html
    assert "melewati ambang" not in html


# --- feedback email ------------------------------------------------------------------------------


def test_problems_email(data: dict) -> None:
    unit = data["summary"]["units"][2]
    problems = unit["problems"] + [
        {
            "row": None,
            "column": None,
            "rule": "berkas",
            "severity": "error",
            "message": "Lembar <realisasi> hilang",
        }
    ]
    html = render_problems_email(unit["nama"], "2024-TW2", problems, unit["file"])
    assert "\n" not in html
    assert "DRAF" not in html and "Draf" not in html
    assert "harapan_jaya_tw2.xlsx" in html
    assert "Kelurahan Harapan Jaya" in html
    assert "Triwulan II Tahun 2024" in html
    assert "3 kesalahan yang harus diperbaiki, serta 1 peringatan" in html
    assert "perbaiki berkas lalu kirim ulang ke sekretariat" in html
    for header in ("Baris", "Kolom", "Pesan"):
        assert f">{header}</th>" in html
    assert "realisasi keuangan tw" in html and "bukan &#39;lima juta&#39;" in html
    assert "realisasi_keuangan_tw" not in html  # the column as the template heads it, not its key
    assert "&lt;realisasi&gt;" in html
    assert "<td" in html and html.count("<tr>") >= 6


def test_problems_email_errors_before_warnings(data: dict) -> None:
    unit = data["summary"]["units"][2]  # the warning comes first in the input
    html = render_problems_email(unit["nama"], "2024-TW2", unit["problems"], unit["file"])
    errors_at = html.index("Kesalahan yang harus diperbaiki")
    warnings_at = html.index("Peringatan (tidak menyebabkan penolakan)")
    assert errors_at < warnings_at
    assert errors_at < html.index("bukan &#39;lima juta&#39;") < warnings_at
    assert errors_at < html.index("antara 0 dan 100") < warnings_at
    assert html.index("lebih rendah dari triwulan lalu") > warnings_at
    assert ">6<" in html and "6.0" not in html  # row numbers as Excel shows them


def test_problems_email_without_warnings_or_file() -> None:
    html = render_problems_email(
        "Kelurahan Perwira", report.parse_period("2024-TW1"), [], None, kecamatan="Kecamatan X"
    )
    assert "Berkas yang dikirim" in html
    assert "Sekretariat Kecamatan X" in html
    assert "Rincian kesalahan tidak tersedia" in html
    assert "Peringatan (tidak" not in html


def test_problems_email_lists_a_bounded_number(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever validation found, a mail lists MAIL_PROBLEMS per section and counts the rest."""
    monkeypatch.setattr(report, "MAIL_PROBLEMS", 3)
    problems = [
        {"row": r, "column": "pagu", "rule": "x", "severity": "error", "message": f"Salah {r}."}
        for r in range(2, 12)
    ]
    html = render_problems_email("Kelurahan Perwira", "2024-TW2", problems, "p.xlsx")
    assert "terdapat 10 kesalahan" in html
    assert "Salah 4." in html and "Salah 5." not in html
    assert "… dan 7 kesalahan lain tidak ditampilkan." in html


def test_full_report_and_mail_list_a_bounded_number(
    data: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_full, "REPORT_PROBLEMS", 1)
    monkeypatch.setattr(report, "UNREADABLE_LISTED", 1)
    html = render_full_report(data["summary"], data["detail"], data["levels"])
    assert "Kesalahan yang harus diperbaiki (2)" in html  # the count stays the full one
    assert "… dan 1 kesalahan lain tidak ditampilkan." in html
    assert "… dan 1 catatan berkas lain tidak ditampilkan." in html
    assert "laporan &lt;final&gt;.xlsx" not in html
    mail = render_email_summary(data["summary"])
    assert "… dan 1 catatan berkas lain tidak ditampilkan." in mail
    assert "… dan 1 catatan berkas lain tidak ditampilkan." in render_email_text(data["summary"])


def test_problems_email_accepted_with_warnings(data: dict) -> None:
    unit = data["summary"]["units"][1]
    html = render_problems_email(
        unit["nama"], "2024-TW2", unit["problems"], unit["file"], accepted=True
    )
    assert "\n" not in html
    assert "sudah kami terima" in html and "belum dapat kami terima" not in html
    assert "Kesalahan yang harus diperbaiki" not in html
    assert "Peringatan (tidak menyebabkan penolakan)" in html
    assert "Kendala kosong" in html
    assert "tidak perlu dikirim ulang" in html


# --- full report ---------------------------------------------------------------------------------


def test_full_report(data: dict) -> None:
    html = render_full_report(data["summary"], data["detail"], data["levels"])
    assert (
        "Laporan Realisasi Fisik dan Keuangan Kecamatan Bekasi Utara Triwulan II Tahun 2024" in html
    )
    assert "DRAF" in html
    assert "2 dari 5 unit diterima" in html
    for row in data["detail"].itertuples():
        assert row.nama_sub_kegiatan in html
        assert row.nama_unit in html
        assert row.kode_sub_kegiatan in html
    for name in ("Kelurahan Harapan Jaya", "Kelurahan Marga Mulya", "Ditolak", "Belum mengirim"):
        assert name in html
    assert "Rp 2.490.000.000" in html  # total pagu
    assert ">8.770.028<" in html and ">21,93%<" in html  # early warning: rupiah, deviasi
    assert "realisasi tertinggal" in html
    assert "Lelang ulang" in html and "Percepatan pengadaan" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert not re.search(r"\bnan\b", _visible(html), re.IGNORECASE)
    # program > kegiatan > sub-kegiatan order, level totals attached
    rfk = html[html.index("(RFK) per Sub Kegiatan") :]
    assert ">1.234.567<" in rfk and "Realisasi s.d. TW II (Rp)" in rfk  # wide tables: no 'Rp '
    assert rfk.index("7.01.01.2.02.0001") < rfk.index("7.01.03.2.01.0001")
    assert rfk.index(">7.01.03<") < rfk.index(">7.01.03.2.01<") < rfk.index("7.01.03.2.01.0002")
    kegiatan_row = rfk[rfk.index(">7.01.03.2.01<") : rfk.index("7.01.03.2.01.0001")]
    assert ">340.000.000<" in kegiatan_row  # kegiatan pagu from levels["kegiatan"]
    assert "@page" in html


def test_full_report_problems_split(data: dict) -> None:
    html = render_full_report(data["summary"], data["detail"], data["levels"])
    assert "<th>Kesalahan</th><th>Peringatan</th>" in html
    details = html[html.index("Rincian Kesalahan dan Peringatan Berkas Unit") :]
    # an accepted unit's warnings are listed once, under Catatan Validasi, not here
    assert "Kelurahan Perwira" not in details
    notes = html[html.index('id="catatan-validasi"') : html.index("Rincian Kesalahan")]
    assert "Kelurahan Perwira" in notes
    harapan = details[details.index("Kelurahan Harapan Jaya") : details.index("Teluk Pucung")]
    errors_at = harapan.index("Kesalahan yang harus diperbaiki (2)")
    warnings_at = harapan.index("Peringatan (tidak menyebabkan penolakan) (1)")
    assert errors_at < harapan.index("lima juta") < warnings_at
    assert harapan.index("lebih rendah dari triwulan lalu") > warnings_at
    assert "Kelurahan Marga Mulya" not in details  # no problems, no section


def test_full_report_empty_detail(data: dict) -> None:
    empty = data["detail"].iloc[0:0]
    levels = {k: v.iloc[0:0] for k, v in data["levels"].items()}
    summary = copy.deepcopy(data["summary"])
    for key in PERCENT:
        summary["totals"][key] = None
    html = render_full_report(summary, empty, levels)
    assert "Belum ada unit yang diterima." in html
    assert not re.search(r"\bnan\b", _visible(html), re.IGNORECASE)


def with_more_units(detail: pd.DataFrame, extra: int) -> pd.DataFrame:
    """The fixture's detail plus `extra` units, each with a copy of its rows (a larger level)."""
    copies = [
        detail.assign(unit=f"u{i:04d}", nama_unit=f"Kelurahan Tambahan {i:04d}")
        for i in range(extra)
    ]
    return pd.concat([detail, *copies], ignore_index=True)


def test_full_report_leaves_sub_kegiatan_rows_to_the_rekap_above_the_threshold(
    data: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.tasks.publish.test_rekap import e81_frame

    args = (data["summary"], data["detail"], data["levels"])
    whole = render_full_report(*args, e81=e81_frame())
    monkeypatch.setattr(report_full, "DETAIL_UNITS_MAX", 3)  # the fixture has rows of 3 units
    assert render_full_report(*args, e81=e81_frame()) == whole  # at the threshold: unchanged
    assert '<table class="data rfk cards">' in whole and "rekap.xlsx" not in whole.replace(
        "pada tampilan komputer dan rekap.xlsx", ""
    )
    monkeypatch.setattr(report_full, "DETAIL_UNITS_MAX", 2)
    html = render_full_report(*args, e81=e81_frame())
    shown = _visible(html)
    assert (
        "Rincian per sub kegiatan (4 baris dari 3 unit) tidak dimuat di halaman ini" in shown
        and "rekap.xlsx (sheet Per Sub Kegiatan" in shown
        and "rincian.json" in shown
    )
    assert '<table class="data rfk cards' not in html  # the RFK table; E.81 stays
    assert "7.01.01.2.02.0001" not in html  # no sub-kegiatan row, neither RFK nor E.81
    assert "Penyediaan Administrasi Pelaksanaan Tugas ASN" not in html
    assert "Baris sub kegiatan per unit ada di sheet E.81 pada rekap.xlsx" in shown
    e81 = html[html.index('id="e81"') :]
    assert "Program Penunjang" in e81 and "Administrasi Keuangan" in e81 and "Jumlah" in e81
    # the per-unit, per-program and per-kegiatan summaries stay
    units = html[html.index("Realisasi per Unit</h2>") : html.index("Realisasi per Program</h2>")]
    for name in ("Kecamatan Bekasi Utara", "Kelurahan Perwira", "Kelurahan Teluk Pucung"):
        assert name in units
    assert ">7.01.03<" in html and ">7.01.03.2.01<" in html and ">340.000.000<" in html


def test_full_report_of_many_units_has_no_row_per_sub_kegiatan(data: dict) -> None:
    """Issue 16: a province's 41,700 sub-kegiatan rows made laporan.html 140 MB."""
    detail = with_more_units(data["detail"], report_full.DETAIL_UNITS_MAX)
    html = render_full_report(data["summary"], detail, make_levels(detail))
    rows, units = 4 * (report_full.DETAIL_UNITS_MAX + 1), report_full.DETAIL_UNITS_MAX + 3
    assert f"Rincian per sub kegiatan ({rows} baris dari {units} unit)" in html
    assert '<table class="data rfk">' not in html and "Unit: Kelurahan Tambahan" not in html
    assert html.count("Kelurahan Tambahan") == report_full.DETAIL_UNITS_MAX  # per-unit table


# --- xlsx rekap ----------------------------------------------------------------------------------


def test_rekap_xlsx(data: dict, tmp_path: Path) -> None:
    path = tmp_path / "rekap.xlsx"
    write_rekap_xlsx(path, data["summary"], data["detail"], data["levels"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert str(ws["A1"].value).startswith("DRAF")
        assert ws.freeze_panes == f"A{rekap.HEADER_ROW + 1}"
        assert ws.cell(row=rekap.HEADER_ROW, column=1).font.bold

    ws = wb["Per Unit"]
    headers = [c.value for c in ws[rekap.HEADER_ROW]]
    assert headers[:2] == ["Unit", "Pagu (Rp)"]  # units by name; their ids are not for readers
    assert "Realisasi Keuangan s.d. TW II (Rp)" in headers
    data_rows = [
        r for r in ws.iter_rows(min_row=rekap.HEADER_ROW + 1) if r[0].value not in (None, "Jumlah")
    ]
    assert [r[0].value for r in data_rows] == [
        "Kecamatan Bekasi Utara",
        "Kelurahan Perwira",
        "Kelurahan Teluk Pucung",
    ]
    money_headers = {h: i for i, h in enumerate(headers) if h and h.endswith("(Rp)")}
    assert len(money_headers) == len(MONEY)
    for col in MONEY:
        header = next(
            h for key, h, _ in rekap._money_headers(report.parse_period("2024-TW2")) if key == col
        )
        idx = headers.index(header)
        cells = [r[idx] for r in data_rows]
        assert all(type(c.value) is int and c.number_format == rekap.MONEY_FORMAT for c in cells)
        assert sum(c.value for c in cells) == int(data["detail"][col].sum())
    total = next(r for r in ws.iter_rows(min_row=rekap.HEADER_ROW + 1) if r[0].value == "Jumlah")
    assert total[headers.index("Pagu (Rp)")].value == int(data["detail"]["pagu"].sum())
    pct_idx = headers.index("Serapan Pagu (%)")
    assert all(isinstance(r[pct_idx].value, int | float) for r in data_rows)
    assert data_rows[0][pct_idx].number_format == rekap.PERCENT_FORMAT

    headers = [c.value for c in wb["Per Kegiatan"][rekap.HEADER_ROW]]
    assert headers[:2] == ["Kode Kegiatan", "Nama Kegiatan"]

    ws = wb["Per Sub Kegiatan"]
    headers = [c.value for c in ws[rekap.HEADER_ROW]]
    names = [r[headers.index("Nama Sub Kegiatan")].value for r in ws.iter_rows(min_row=5)]
    for name in data["detail"]["nama_sub_kegiatan"]:
        assert name in names
    capaian_tw = headers.index("Capaian Keuangan TW II (%)")
    values = [r[capaian_tw].value for r in ws.iter_rows(min_row=5)]
    assert None in values  # target TW 0 -> empty cell, not NaN
    assert ws.column_dimensions["A"].width >= 8

    ws = wb["Ringkasan"]
    cells = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert "2 dari 5 unit diterima" in cells
    assert "Ditolak" in cells and "Belum mengirim" in cells
    assert "Kesalahan" in cells and "Peringatan" in cells
    assert "Berkas yang tidak dapat diproses" in cells and "kaliabang_tengah_tw2.xls" in cells
    pagu_row = next(r for r in ws.iter_rows() if r[0].value == "Pagu (Rp)")
    assert pagu_row[1].value == 2_490_000_000 and pagu_row[1].number_format == rekap.MONEY_FORMAT

    assert len(wb["Per Program"]["A"]) > rekap.HEADER_ROW + 2
    assert len(wb["Per Kegiatan"]["A"]) > rekap.HEADER_ROW + 2


# --- helpers -------------------------------------------------------------------------------------


def test_strip_newlines() -> None:
    html = "<div>\n  <p>Satu\r\n dua</p>\n</div>\n<pre>a\nb</pre>"
    out = strip_newlines(html)
    assert "\n" not in out and "\r" not in out
    assert "<p>Satu dua</p>" in out
    assert "<pre>a&#10;b</pre>" in out
    assert strip_newlines(out) == out


class _Opaque:
    """An object pd.isna cannot judge."""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, True),
        (math.nan, True),
        (np.float64("nan"), True),
        (pd.NA, True),
        (pd.NaT, True),
        (np.datetime64("NaT"), True),
        (0, False),
        (0.0, False),
        ("", False),
        ("-", False),
        (np.int64(5), False),
        ([None], False),
        ([1, 2], False),
        ({"a": None}, False),
        (np.array([np.nan]), False),
        (_Opaque(), False),
    ],
)
def test_fmt_is_missing(value: object, expected: bool) -> None:
    assert fmt.is_missing(value) is expected


def test_fmt_shared_names() -> None:
    assert fmt.WIB.key == "Asia/Jakarta"
    assert fmt.STATUS_LABEL == {
        "accepted": "Diterima",
        "rejected": "Ditolak",
        "missing": "Belum mengirim",
    }
    assert not hasattr(report, "is_missing") and not hasattr(report, "MONEY_COLS")
    assert report_full.LEVEL_KEYS is compute.LEVEL_KEYS and rekap.MONEY is compute.MONEY
    assert fmt.rupiah(pd.NA) == "-" and fmt.persen(None) == "-" and fmt.angka(math.nan) == "-"


def test_filters_handle_nan() -> None:
    assert report._persen(math.nan) == "-"
    assert report._persen(12.34) == "12,34%"
    assert report._rupiah(pd.NA) == "-"
    assert report._rupiah(1234567) == "Rp 1.234.567"
    assert report._jumlah(2218.0) == "2.218"
    assert report._jumlah(0.5) == "0,5"
    assert report._baris(7.0) == "7" and report._baris(None) == "-" and report._baris(pd.NA) == "-"
    assert report.waktu("2024-07-10T01:15:00+00:00") == "10 Juli 2024 pukul 08.15 WIB"
    assert report.waktu("2024-07-10T08:15:00") == "10 Juli 2024 pukul 08.15 WIB"
    assert report.completeness_line({"accepted": 6, "total": 7}) == "6 dari 7 unit diterima"


def test_deviasi_words() -> None:
    assert headline.deviasi_keterangan(1.05) == "tertinggal 1,05% dari pagu dibanding rencana"
    assert headline.deviasi_keterangan(-1.2) == "lebih cepat 1,20% dari pagu dibanding rencana"
    assert headline.deviasi_keterangan(0.0) == "sesuai rencana"
    assert headline.deviasi_keterangan(math.nan) == "-"
    assert (
        report.deviasi_keterangan(1.05, "Realisasi keuangan")
        == "Realisasi keuangan tertinggal 1,05% dari pagu dibanding rencana"
    )
    assert headline.deviasi_keterangan(None, "Realisasi keuangan") == "-"


def test_unit_reason_and_status_text() -> None:
    error = {"row": 3, "column": "pagu", "rule": "r", "severity": "error", "message": "Salah."}
    warning = {"row": 4, "column": "kendala", "rule": "w", "severity": "warning", "message": "?"}
    rejected = {"status": "rejected", "file": "a.xlsx", "problems": [warning, error]}
    assert report.unit_reason(rejected) == (
        "1 kesalahan pada berkas a.xlsx, baris 3: Salah; 1 peringatan (tidak menyebabkan penolakan)"
    )
    assert report.status_text(rejected) == "Ditolak"
    rejected["data_sebelumnya"] = {"file": "a-lama.xlsx", "versi": 2}
    assert report.status_text(rejected) == (
        "Ditolak — memakai data berkas a-lama.xlsx yang diterima pada versi 2"
    )
    assert report.unit_reason({"status": "rejected", "file": None, "problems": []}) == (
        "Berkas ditolak"
    )
    assert report.unit_reason({"status": "missing", "problems": []}) == ""
    assert report.status_text({"status": "missing"}) == "Belum mengirim"
    accepted = {"status": "accepted", "problems": [warning]}
    assert report.unit_reason(accepted) == "1 peringatan (tidak menyebabkan penolakan)"
    assert report.problem_counts(accepted) == {"errors": 0, "warnings": 1}


def test_changed_notes_point_to_where_the_rows_are(
    data: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above DETAIL_UNITS_MAX the RFK table is not on the page: the note names the rekap sheet."""
    from tests.tasks.publish.test_rekap import PERUBAHAN

    summary = {**data["summary"], "perubahan": {**PERUBAHAN, "keterangan_berubah": 2}}
    args = (summary, data["detail"], data["levels"])
    shown = _visible(render_full_report(*args))
    assert "berubah pada 2 sub kegiatan (lihat tabel RFK)" in shown
    monkeypatch.setattr(report_full, "DETAIL_UNITS_MAX", 2)
    shown = _visible(render_full_report(*args))
    assert "lihat tabel RFK" not in shown
    assert "berubah pada 2 sub kegiatan (lihat sheet Per Sub Kegiatan pada rekap.xlsx" in shown
