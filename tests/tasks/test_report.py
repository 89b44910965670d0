"""Rendering of the consolidated quarter: emails, full report, xlsx rekap."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tasks import report
from tasks.report import (
    render_email_summary,
    render_email_text,
    render_full_report,
    render_problems_email,
    strip_newlines,
    write_rekap_xlsx,
)

MONEY = report.MONEY_COLS
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
    for name, keys in report.LEVEL_KEYS.items():
        weighted = detail.assign(_w=detail.pagu * detail.realisasi_fisik_persen)
        grouped = weighted.groupby(list(keys), sort=True)[MONEY + ["_w"]].sum().reset_index()
        grouped["realisasi_fisik_persen"] = (grouped["_w"] / grouped["pagu"]).round(2)
        levels[name] = _add_percentages(grouped.drop(columns="_w"))
    return levels


def make_behind(detail: pd.DataFrame) -> pd.DataFrame:
    return detail.sort_values("capaian_keuangan_sd_tw_persen").head(5).reset_index(drop=True)


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
            },
            {
                "unit": "perwira",
                "nama": "Kelurahan Perwira",
                "status": "accepted",
                "file": "perwira.xlsx",
                "problems": [],
                "totals": unit_totals["perwira"],
            },
            {
                "unit": "harapan-jaya",
                "nama": "Kelurahan Harapan Jaya",
                "status": "rejected",
                "file": "harapan_jaya_tw2.xlsx",
                "problems": [
                    {
                        "row": 5,
                        "column": "realisasi_keuangan_tw",
                        "rule": "angka",
                        "message": "Realisasi keuangan harus angka rupiah, bukan 'lima juta'.",
                    },
                    {
                        "row": 7,
                        "column": "realisasi_fisik",
                        "rule": "rentang",
                        "message": "Realisasi fisik harus antara 0 dan 100.",
                    },
                ],
                "totals": None,
            },
            {
                "unit": "marga-mulya",
                "nama": "Kelurahan Marga Mulya",
                "status": "missing",
                "file": None,
                "problems": [],
                "totals": None,
            },
        ],
        "totals": totals,
        "counts": {"accepted": 2, "rejected": 1, "missing": 1, "total": 4},
    }


@pytest.fixture
def data() -> dict:
    detail = make_detail()
    return {
        "summary": make_summary(detail),
        "detail": detail,
        "levels": make_levels(detail),
        "behind": make_behind(detail),
    }


# --- leadership email ----------------------------------------------------------------------------


def test_email_summary_contents(data: dict) -> None:
    html = render_email_summary(data["summary"], data["behind"])
    assert "\n" not in html and "\r" not in html
    assert "DRAF" in html
    assert "Draf otomatis — belum final, mohon diperiksa" in html
    assert "2 dari 4 unit diterima" in html
    assert "Kelurahan Harapan Jaya" in html and "Kelurahan Marga Mulya" in html
    assert "Belum mengirim berkas" in html
    assert "2 masalah" in html
    totals = data["summary"]["totals"]
    assert report._rupiah(totals["realisasi_keuangan_sd_tw"]) == "Rp 1.051.234.567"
    assert "Rp 1.051.234.567" in html
    assert "Rp 1.234.567" in html  # furthest-behind row
    assert "12,34%" in html
    assert "Pembangunan Sarana dan Prasarana Kelurahan" in html
    assert "max-width:600px" in html
    assert "<style" not in html  # inline CSS only
    assert "10 Juli 2024 pukul 08.15 WIB" in html
    assert "terlampir" in html


def test_email_summary_escapes_user_text(data: dict) -> None:
    html = render_email_summary(data["summary"], data["behind"])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_email_summary_undefined_percentages(data: dict) -> None:
    summary = copy.deepcopy(data["summary"])
    for key in report.PERCENT_COLS:
        summary["totals"][key] = None
    summary["totals"]["predikat_keuangan_sd_tw"] = "-"
    behind = data["behind"].copy()
    behind["capaian_keuangan_sd_tw_persen"] = math.nan
    html = render_email_summary(summary, behind)
    assert not re.search(r"\bnan\b", re.sub(r"<[^>]+>", " ", html), re.IGNORECASE)
    assert re.search(r">\s*-\s*<", html)
    text = render_email_text(summary, behind)
    assert "Capaian keuangan s.d. TW II: -" in text


def test_email_summary_complete_and_empty(data: dict) -> None:
    summary = copy.deepcopy(data["summary"])
    summary["complete"] = True
    summary["units"] = [u for u in summary["units"] if u["status"] == "accepted"]
    summary["counts"] = {"accepted": 2, "rejected": 0, "missing": 0, "total": 2}
    html = render_email_summary(summary, data["behind"].iloc[0:0])
    assert "2 dari 2 unit diterima" in html
    assert "semua unit lengkap" in html
    assert "Unit belum masuk" not in html


def test_email_text(data: dict) -> None:
    text = render_email_text(data["summary"], data["behind"])
    assert text.startswith("*** DRAF")
    assert "2 dari 4 unit diterima" in text
    assert "Kelurahan Marga Mulya: Belum mengirim berkas" in text
    assert "Kelurahan Harapan Jaya: ditolak, 2 masalah pada berkas harapan_jaya_tw2.xlsx" in text
    assert "Rp 1.051.234.567" in text
    assert "12,34%" in text
    assert "Draf otomatis — belum final, mohon diperiksa" in text
    assert "\n\n\n" not in text
    assert "<" not in text.replace("<script>", "")


def test_email_subject(data: dict) -> None:
    subject = report.email_subject(data["summary"])
    assert subject.startswith("[DRAF]")
    assert "TW II 2024" in subject and "2 dari 4 unit diterima" in subject


# --- feedback email ------------------------------------------------------------------------------


def test_problems_email(data: dict) -> None:
    unit = data["summary"]["units"][2]
    problems = unit["problems"] + [
        {"row": None, "column": None, "rule": "berkas", "message": "Lembar <realisasi> hilang"}
    ]
    html = render_problems_email(unit["nama"], "2024-TW2", problems, unit["file"])
    assert "\n" not in html
    assert "DRAF" not in html and "Draf" not in html
    assert "harapan_jaya_tw2.xlsx" in html
    assert "Kelurahan Harapan Jaya" in html
    assert "Triwulan II Tahun 2024" in html
    assert "perbaiki berkas lalu kirim ulang ke sekretariat" in html
    for header in ("Baris", "Kolom", "Pesan"):
        assert f">{header}</th>" in html
    assert "realisasi_keuangan_tw" in html and "bukan &#39;lima juta&#39;" in html
    assert "&lt;realisasi&gt;" in html
    assert "<td" in html and html.count("<tr>") >= 4


def test_problems_email_without_file() -> None:
    html = render_problems_email(
        "Kelurahan Perwira", report.parse_period("2024-TW1"), [], None, kecamatan="Kecamatan X"
    )
    assert "Berkas yang dikirim" in html
    assert "Sekretariat Kecamatan X" in html


# --- full report ---------------------------------------------------------------------------------


def test_full_report(data: dict) -> None:
    html = render_full_report(data["summary"], data["detail"], data["levels"], data["behind"])
    assert (
        "Laporan Realisasi Fisik dan Keuangan Kecamatan Bekasi Utara Triwulan II Tahun 2024" in html
    )
    assert "DRAF" in html
    assert "2 dari 4 unit diterima" in html
    for row in data["detail"].itertuples():
        assert row.nama_sub_kegiatan in html
        assert row.nama_unit in html
        assert row.kode_sub_kegiatan in html
    for name in ("Kelurahan Harapan Jaya", "Kelurahan Marga Mulya", "Ditolak", "Belum mengirim"):
        assert name in html
    assert "Rp 2.340.000.000" in html  # total pagu
    assert "Rp 1.234.567" in html
    assert "12,34%" in html
    assert "Lelang ulang" in html and "Percepatan pengadaan" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert not re.search(r"\bnan\b", re.sub(r"<[^>]+>", " ", html), re.IGNORECASE)
    # program > kegiatan > sub-kegiatan order
    rfk = html[html.index("(RFK) per Sub Kegiatan") :]
    assert ">1.234.567<" in rfk and "Realisasi s.d. TW II (Rp)" in rfk  # wide tables: no 'Rp '
    assert rfk.index("7.01.01.2.02.0001") < rfk.index("7.01.03.2.01.0001")
    assert rfk.index(">7.01.03<") < rfk.index(">7.01.03.2.01<") < rfk.index("7.01.03.2.01.0002")
    assert "@page" in html


def test_full_report_empty_detail(data: dict) -> None:
    empty = data["detail"].iloc[0:0]
    levels = {k: v.iloc[0:0] for k, v in data["levels"].items()}
    summary = copy.deepcopy(data["summary"])
    for key in report.PERCENT_COLS:
        summary["totals"][key] = None
    html = render_full_report(summary, empty, levels, empty)
    assert "Belum ada unit yang diterima." in html
    assert not re.search(r"\bnan\b", re.sub(r"<[^>]+>", " ", html), re.IGNORECASE)


# --- xlsx rekap ----------------------------------------------------------------------------------


def test_rekap_xlsx(data: dict, tmp_path: Path) -> None:
    path = tmp_path / "rekap.xlsx"
    write_rekap_xlsx(path, data["summary"], data["detail"], data["levels"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert str(ws["A1"].value).startswith("DRAF")
        assert ws.freeze_panes == f"A{report.HEADER_ROW + 1}"
        assert ws.cell(row=report.HEADER_ROW, column=1).font.bold

    ws = wb["Per Unit"]
    headers = [c.value for c in ws[report.HEADER_ROW]]
    assert headers[:2] == ["Kode Unit", "Nama Unit"]
    assert "Realisasi Keuangan s.d. TW II (Rp)" in headers
    data_rows = [
        r for r in ws.iter_rows(min_row=report.HEADER_ROW + 1) if r[0].value not in (None, "Jumlah")
    ]
    assert [r[0].value for r in data_rows] == ["kecamatan", "perwira"]
    money_headers = {h: i for i, h in enumerate(headers) if h and h.endswith("(Rp)")}
    assert len(money_headers) == 5
    for col in MONEY:
        header = next(
            h for key, h, _ in report._money_headers(report.parse_period("2024-TW2")) if key == col
        )
        idx = headers.index(header)
        cells = [r[idx] for r in data_rows]
        assert all(type(c.value) is int and c.number_format == "#,##0" for c in cells)
        assert sum(c.value for c in cells) == int(data["detail"][col].sum())
    total = next(r for r in ws.iter_rows(min_row=report.HEADER_ROW + 1) if r[0].value == "Jumlah")
    assert total[headers.index("Pagu (Rp)")].value == int(data["detail"]["pagu"].sum())
    pct_idx = headers.index("Serapan Pagu (%)")
    assert all(isinstance(r[pct_idx].value, float) for r in data_rows)
    assert data_rows[0][pct_idx].number_format == "0.00"

    ws = wb["Per Sub Kegiatan"]
    headers = [c.value for c in ws[report.HEADER_ROW]]
    names = [r[headers.index("Nama Sub Kegiatan")].value for r in ws.iter_rows(min_row=5)]
    for name in data["detail"]["nama_sub_kegiatan"]:
        assert name in names
    capaian_tw = headers.index("Capaian Keuangan TW II (%)")
    values = [r[capaian_tw].value for r in ws.iter_rows(min_row=5)]
    assert None in values  # target TW 0 -> empty cell, not NaN
    assert ws.column_dimensions["A"].width >= 8

    ws = wb["Ringkasan"]
    cells = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert "2 dari 4 unit diterima" in cells
    assert "Ditolak" in cells and "Belum mengirim" in cells
    pagu_row = next(r for r in ws.iter_rows() if r[0].value == "Pagu (Rp)")
    assert pagu_row[1].value == 2_340_000_000 and pagu_row[1].number_format == "#,##0"

    assert len(wb["Per Program"]["A"]) > report.HEADER_ROW + 2
    assert len(wb["Per Kegiatan"]["A"]) > report.HEADER_ROW + 2


# --- helpers -------------------------------------------------------------------------------------


def test_strip_newlines() -> None:
    html = "<div>\n  <p>Satu\r\n dua</p>\n</div>\n<pre>a\nb</pre>"
    out = strip_newlines(html)
    assert "\n" not in out and "\r" not in out
    assert "<p>Satu dua</p>" in out
    assert "<pre>a&#10;b</pre>" in out
    assert strip_newlines(out) == out


def test_filters_handle_nan() -> None:
    assert report._persen(math.nan) == "-"
    assert report._persen(12.34) == "12,34%"
    assert report._rupiah(pd.NA) == "-"
    assert report._rupiah(1234567) == "Rp 1.234.567"
    assert report._jumlah(2218.0) == "2.218"
    assert report._jumlah(0.5) == "0,5"
    assert report.waktu("2024-07-10T01:15:00+00:00") == "10 Juli 2024 pukul 08.15 WIB"
    assert report.completeness_line({"accepted": 6, "total": 7}) == "6 dari 7 unit diterima"


def test_deviasi_words() -> None:
    assert report.deviasi_keterangan(4.65) == "4,65% pagu tertinggal dari rencana"
    assert report.deviasi_keterangan(-1.2) == "1,20% pagu mendahului rencana"
    assert report.deviasi_keterangan(0.0) == "sesuai rencana"
    assert report.deviasi_keterangan(math.nan) == "-"
