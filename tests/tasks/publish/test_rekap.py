"""rekap.xlsx: print setup of every sheet, and the IKU, E.81, early-warning and change sheets.

The older sheet contents are tested in test_report.py; this file covers printing and the new sheets.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.tasks.publish.test_report import make_detail, make_levels, make_summary
from triwulan.tasks.publish import rekap, rekap_layout
from triwulan.tasks.publish.rekap import write_rekap_xlsx

HOSTILE = '=HYPERLINK("http://evil.example","klik")'
DEFAULT_SHEETS = ["Ringkasan", "Per Unit", "Per Program", "Per Kegiatan", "Per Sub Kegiatan"]
ALL_SHEETS = [
    "Ringkasan",
    "IKU",
    "Peringatan Dini",
    "Perubahan",
    "Per Unit",
    "Per Program",
    "Per Kegiatan",
    "Per Sub Kegiatan",
    "E.81",
]
BLOCKED = {"Per Sub Kegiatan": "$A:$C", "E.81": "$A:$B"}  # printed in two page columns

IKU = [
    {
        "kode": "ikm",
        "nama": "Indeks Kepuasan Masyarakat (IKM) di Kecamatan Bekasi Utara",
        "satuan": "Nilai",
        "target_tahunan": 81.0,
        "target_tw": 77.8,
        "realisasi_tw": 84.84,
        "capaian_persen": 109.05,
        "status": "tercapai",
        "target_sd_tw": 81.0,
        "realisasi_sd_tw": 84.84,
        "capaian_sd_tw_persen": 104.74,
        "status_sd_tw": "tercapai",
        "keterangan": "Survei triwulan II",
        "responden": 1250,
        "mutu": "B",
    },
    {
        "kode": "akip",
        "nama": "Nilai AKIP Kecamatan Bekasi Utara",
        "satuan": "Nilai",
        "target_tahunan": 70.0,
        "target_tw": None,
        "realisasi_tw": None,
        "capaian_persen": None,
        "status": None,
        "target_sd_tw": 70.0,
        "realisasi_sd_tw": None,
        "capaian_sd_tw_persen": None,
        "status_sd_tw": None,
        "keterangan": HOSTILE,
        "predikat": "BB",
    },
]


def e81_frame() -> pd.DataFrame:
    """A program, a kegiatan, two sub-kegiatan and the total at TW II: quarters III-IV are NA."""
    na = pd.NA
    rows = [
        # tingkat, kode, uraian, indikator, satuan, target_k, target_rp, k (4), rp (4), kendala
        (
            "program",
            "7.01.01",
            "Program Penunjang",
            "",
            "",
            na,
            2_040_000_000,
            [na] * 4,
            [600_000_000, 480_000_000, na, na],
            "",
        ),
        (
            "kegiatan",
            "7.01.01.2.02",
            "Administrasi Keuangan",
            "",
            "",
            na,
            2_040_000_000,
            [na] * 4,
            [600_000_000, 480_000_000, na, na],
            "",
        ),
        (
            "sub_kegiatan",
            "7.01.01.2.02.0001",
            "Penyediaan Gaji dan Tunjangan ASN",
            "Jumlah Orang yang Menerima Gaji",
            "Orang/Bulan",
            2218.0,
            2_000_000_000,
            [554.5, 554.5, na, na],
            [600_000_000, 480_000_000, na, na],
            HOSTILE,
        ),
        (
            "sub_kegiatan",
            "7.01.01.2.02.0002",
            "Penyediaan Administrasi Pelaksanaan Tugas ASN",
            "Jumlah Dokumen",
            "Dokumen",
            12.0,
            40_000_000,
            [0.0, na, na, na],
            [0, na, na, na],
            "Belum dilaksanakan",
        ),
        (
            "jumlah",
            "",
            "Jumlah",
            "",
            "",
            na,
            2_040_000_000,
            [na] * 4,
            [600_000_000, 480_000_000, na, na],
            "",
        ),
    ]
    records = []
    for tingkat, kode, uraian, indikator, satuan, target_k, target_rp, k, rp, kendala in rows:
        record = {
            "tingkat": tingkat,
            "kode": kode,
            "uraian": uraian,
            "indikator": indikator,
            "satuan": satuan,
            "target_k": target_k,
            "target_rp": target_rp,
            **{f"k_tw{q}": k[q - 1] for q in range(1, 5)},
            **{f"rp_tw{q}": rp[q - 1] for q in range(1, 5)},
            "nama_unit": "Kecamatan Bekasi Utara" if tingkat == "sub_kegiatan" else "",
            "kendala": kendala,
            "tindak_lanjut": "Dikoordinasikan" if tingkat == "sub_kegiatan" else "",
        }
        records.append(record)
    frame = pd.DataFrame(records)
    k_cols = ["target_k", *(f"k_tw{q}" for q in range(1, 5))]
    rp_cols = ["target_rp", *(f"rp_tw{q}" for q in range(1, 5))]
    frame[k_cols] = frame[k_cols].astype("Float64")
    frame[rp_cols] = frame[rp_cols].astype("Int64")
    frame["k_sd"] = frame[[f"k_tw{q}" for q in range(1, 5)]].sum(axis=1, min_count=1)
    frame["rp_sd"] = frame[[f"rp_tw{q}" for q in range(1, 5)]].sum(axis=1, min_count=1)
    frame["rp_sd"] = frame["rp_sd"].astype("Int64")
    frame["capaian_k_persen"] = pd.array([na, na, 50.0, 0.0, na], dtype="Float64")
    frame["capaian_rp_persen"] = pd.array([52.94, 52.94, 54.0, 0.0, 52.94], dtype="Float64")
    frame["predikat_k"] = ["-", "-", "Rendah", "Sangat Rendah", "-"]
    frame["predikat_rp"] = ["Rendah", "Rendah", "Rendah", "Sangat Rendah", "Rendah"]
    return frame


def peringatan_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "unit": "kecamatan",
                "nama_unit": "Kecamatan Bekasi Utara",
                "kode_sub_kegiatan": "7.01.03.2.01.0001",
                "nama_sub_kegiatan": "Pembangunan Sarana dan Prasarana Kelurahan",
                "target_keuangan_sd_tw": 10_004_595,
                "realisasi_keuangan_sd_tw": 1_234_567,
                "selisih_rupiah": 8_770_028,
                "deviasi_persen": 21.93,
                "alasan": "Deviasi di atas ambang",
                "kendala": "@SUM(A1:A9)",
                "tindak_lanjut": "Percepatan pengadaan",
            }
        ]
    )


PERUBAHAN = {
    "versi_sebelumnya": 2,
    "ada_perubahan": True,
    "total_sebelum": 1_000_000_000,
    "total_sesudah": 1_010_000_000,
    "angka_lainnya": 3,
    "unit_berubah": [
        {
            "unit": "perwira",
            "nama": "Kelurahan Perwira",
            "sebelum": "ditolak",
            "sesudah": "diterima",
        }
    ],
    "angka_berubah": [
        {
            "unit": "perwira",
            "nama_unit": "Kelurahan Perwira",
            "kode_sub_kegiatan": "7.01.03.2.01.0002",
            "nama_sub_kegiatan": "Pemberdayaan Lembaga Kemasyarakatan Kelurahan",
            "kolom": "realisasi_keuangan_tw",
            "judul": "Realisasi Keuangan TW II",
            "sebelum": 50_000_000,
            "sesudah": 60_000_000,
            "selisih_rupiah": 10_000_000,
        },
        {
            "unit": "perwira",
            "nama_unit": "Kelurahan Perwira",
            "kode_sub_kegiatan": "7.01.03.2.01.0002",
            "nama_sub_kegiatan": "Pemberdayaan Lembaga Kemasyarakatan Kelurahan",
            "kolom": "realisasi_fisik_persen",
            "judul": "Realisasi Fisik (%)",
            "sebelum": 25.0,
            "sesudah": 30.0,
            "selisih_rupiah": None,
        },
    ],
}


@pytest.fixture
def data() -> dict:
    detail = make_detail()
    return {"summary": make_summary(detail), "detail": detail, "levels": make_levels(detail)}


def write_all(path: Path, data: dict, **overrides: object) -> openpyxl.Workbook:
    extra = {
        "iku": IKU,
        "e81": e81_frame(),
        "peringatan": peringatan_frame(),
        "perubahan": PERUBAHAN,
    }
    extra.update(overrides)
    write_rekap_xlsx(path, data["summary"], data["detail"], data["levels"], **extra)
    return openpyxl.load_workbook(path)


def row_values(ws, row: int) -> list[object]:
    return [c.value for c in ws[row]]


def column_width(ws, col: int) -> float | None:
    """The width Excel shows for a column: XlsxWriter writes columns of one width as one range
    (<col min="5" max="6">), which openpyxl files under the range's first letter only."""
    return next(
        (d.width for d in ws.column_dimensions.values() if d.min <= col <= d.max),
        None,
    )


def find_row(ws, first: object) -> int:
    return next(r[0].row for r in ws.iter_rows() if r[0].value == first)


# --- print setup ---------------------------------------------------------------------------------


def test_every_sheet_prints_landscape_a4_with_mark_and_page_numbers(
    data: dict, tmp_path: Path
) -> None:
    wb = write_all(tmp_path / "rekap.xlsx", data)
    assert wb.sheetnames == ALL_SHEETS
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert int(setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
        assert ws.oddHeader.left.text == "DRAF"
        assert ws.title.split()[-1] in ws.oddHeader.center.text or ws.title == "E.81"
        assert ws.oddFooter.center.text == "Halaman &P dari &N"
        assert ws.page_margins.left == ws.page_margins.right == 0.4
        assert ws.print_title_rows, ws.title
        if ws.title in BLOCKED:
            assert not ws.sheet_properties.pageSetUpPr.fitToPage
            assert ws.print_title_cols == BLOCKED[ws.title]
            assert len(ws.col_breaks.brk) == 1
            assert 60 <= setup.scale < 100
        else:
            assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            # one page wide (1 is the default XlsxWriter leaves out), any number of pages tall
            assert int(setup.fitToWidth or 1) == 1 and int(setup.fitToHeight) == 0, ws.title
    assert wb["Per Unit"].print_title_rows == "$4:$4"
    assert wb["E.81"].print_title_rows == "$4:$5"
    assert wb["Ringkasan"].print_title_rows == "$1:$2"


@pytest.mark.parametrize("mark", ["FINAL", "PRATINJAU"])
def test_mark_in_page_header_and_title(data: dict, tmp_path: Path, mark: str) -> None:
    data["summary"]["status_laporan"] = mark
    wb = write_all(tmp_path / "rekap.xlsx", data)
    for ws in wb.worksheets:
        assert ws.oddHeader.left.text == mark
        assert str(ws["A1"].value).startswith(f"{mark} — ")


def test_header_text_ampersand_is_not_a_code(data: dict, tmp_path: Path) -> None:
    data["summary"]["kecamatan"] = "Kecamatan A & B"
    wb = write_all(tmp_path / "rekap.xlsx", data)
    assert "Kecamatan A && B" in wb["Per Unit"].oddHeader.center.text


def test_default_sheets_unchanged_without_new_data(data: dict, tmp_path: Path) -> None:
    path = tmp_path / "rekap.xlsx"
    write_rekap_xlsx(path, data["summary"], data["detail"], data["levels"])
    assert openpyxl.load_workbook(path).sheetnames == DEFAULT_SHEETS


def test_sub_kegiatan_prints_money_then_outputs_with_identity_repeated(
    data: dict, tmp_path: Path
) -> None:
    ws = write_all(tmp_path / "rekap.xlsx", data)["Per Sub Kegiatan"]
    headers = row_values(ws, rekap.HEADER_ROW)
    assert headers[:3] == ["Unit", "Kode Sub Kegiatan", "Nama Sub Kegiatan"]
    brk = ws.col_breaks.brk[0].id  # last column of the first page column
    assert headers[brk - 1] == "Predikat Keuangan s.d. TW II"
    assert headers[brk] == "Indikator Keluaran"
    # program and kegiatan columns are for filtering, after the print area
    area = ws.print_area
    last = re.search(r"\$([A-Z]+)\$\d+$", area).group(1)
    assert headers[openpyxl.utils.column_index_from_string(last) - 1] == "Tindak Lanjut"
    assert headers[-4:] == ["Kode Program", "Nama Program", "Kode Kegiatan", "Nama Kegiatan"]
    # the scale fits the wider page column on the page width
    widths = [column_width(ws, c) for c in range(1, len(headers) + 1)]
    identity = sum(widths[:3])
    widest = max(identity + sum(widths[3:brk]), identity + sum(widths[brk : len(headers) - 4]))
    assert ws.page_setup.scale == int(rekap_layout.PAGE_WIDTH_UNITS * 100 // widest)


def test_number_formats_widths_and_wrapped_rows(data: dict, tmp_path: Path) -> None:
    data["detail"].loc[2, "kendala"] = "Kendala panjang " * 30
    wb = write_all(tmp_path / "rekap.xlsx", data)
    ws = wb["Per Sub Kegiatan"]
    headers = row_values(ws, rekap.HEADER_ROW)
    first = rekap.HEADER_ROW + 1
    pagu = ws.cell(row=first, column=headers.index("Pagu (Rp)") + 1)
    assert type(pagu.value) is int and pagu.number_format == "#,##0"
    serapan = ws.cell(row=first, column=headers.index("Serapan Pagu (%)") + 1)
    assert serapan.number_format == "0.00"
    kendala_col = headers.index("Kendala/Permasalahan") + 1
    assert column_width(ws, kendala_col) <= rekap_layout.WIDTHS["longtext"][1]
    long_row = next(
        r
        for r in range(first, ws.max_row + 1)
        if str(ws.cell(row=r, column=kendala_col).value).startswith("Kendala panjang")
    )
    cell = ws.cell(row=long_row, column=kendala_col)
    assert cell.alignment.wrap_text
    # 480 characters in a column of at most 30 units: several lines, not one, not a page
    assert 4 * rekap_layout.LINE_POINTS < ws.row_dimensions[long_row].height < 300
    for ws in wb.worksheets:
        for col, dim in ws.column_dimensions.items():
            assert dim.width is None or dim.width <= 34, (ws.title, col)


# --- cell styles ---------------------------------------------------------------------------------


def cell_formats(path: Path) -> int:
    """How many cell formats (cellXfs) the workbook's styles.xml holds."""
    with zipfile.ZipFile(path) as book:
        styles = book.read("xl/styles.xml").decode()
    return int(re.search(r'<cellXfs count="(\d+)"', styles).group(1))


def test_table_cells_share_a_few_formats(data: dict, tmp_path: Path) -> None:
    """Issue 16: a Font/Border/Alignment per cell made the province's rekap take 149 s; cells
    share one format per look instead, so the workbook's formats do not grow with its rows."""
    path = tmp_path / "rekap.xlsx"
    wb = write_all(path, data)
    assert cell_formats(path) <= 40
    ws = wb["Per Sub Kegiatan"]
    header = row_values(ws, rekap.HEADER_ROW)
    for cell in ws[rekap.HEADER_ROW]:
        assert cell.font.b and cell.font.name == "Arial" and cell.alignment.wrap_text
        assert cell.fill.fgColor.rgb.endswith("E5E7EB") and cell.border.left.style == "thin"
    first = ws[rekap.HEADER_ROW + 1]
    pagu = first[header.index("Pagu (Rp)")]
    assert pagu.number_format == "#,##0" and not pagu.font.b
    assert pagu.border.bottom.style == "thin" and pagu.border.bottom.color.rgb.endswith("9CA3AF")
    assert first[header.index("Serapan Pagu (%)")].number_format == "0.00"
    name = first[header.index("Nama Sub Kegiatan")]
    assert name.alignment.wrap_text and name.alignment.vertical == "top"
    assert name.font.name == "Arial" and name.font.sz == 10
    total = ws[find_row(ws, "Jumlah")]
    assert total[header.index("Pagu (Rp)")].font.b
    e81 = wb["E.81"]
    program = e81.cell(row=find_row(e81, "7.01.01"), column=2)
    assert program.font.b and program.fill.fgColor.rgb.endswith("F3F4F6")
    kegiatan = e81.cell(row=find_row(e81, "7.01.01.2.02"), column=2)
    assert kegiatan.font.b and kegiatan.alignment.indent == 1
    assert kegiatan.fill.fill_type is None  # grey only for program and Jumlah rows
    # ten times the rows, the same cell formats
    many = copy.deepcopy(data)
    many["detail"] = pd.concat([data["detail"]] * 10, ignore_index=True)
    larger = tmp_path / "larger.xlsx"
    write_all(larger, many)
    assert cell_formats(larger) == cell_formats(path)


# --- IKU -----------------------------------------------------------------------------------------


def test_iku_sheet(data: dict, tmp_path: Path) -> None:
    ws = write_all(tmp_path / "rekap.xlsx", data)["IKU"]
    assert ws["A1"].value == (
        "DRAF — Capaian Indikator Kinerja Utama (IKU) — Kecamatan Bekasi Utara "
        "Triwulan II Tahun 2024"
    )
    assert row_values(ws, rekap.HEADER_ROW) == [
        "No",
        "Indikator Kinerja Utama",
        "Satuan",
        "Target Tahunan",
        "Target s.d. TW II",
        "Realisasi s.d. TW II",
        "Capaian s.d. TW II (%)",
        "Status s.d. TW II",
        "Target TW II saja",
        "Realisasi TW II saja",
        "Capaian TW II saja (%)",
        "Status TW II saja",
        "Keterangan",
    ]
    assert row_values(ws, 5) == [
        1,
        "Indeks Kepuasan Masyarakat (IKM) di Kecamatan Bekasi Utara",
        "Nilai",
        81.0,
        81.0,
        84.84,
        104.74,
        "Tercapai",
        77.8,
        84.84,
        109.05,
        "Tercapai",
        "1.250 responden TW ini, mutu B; Survei triwulan II",  # as the HTML report says
    ]
    akip = row_values(ws, 6)
    assert akip[8:12] == [None, None, None, None]  # no target and no figure this quarter: blank
    assert akip[12] == f"predikat BB; {HOSTILE}"
    assert ws.cell(row=5, column=7).number_format == "0.00"


def test_iku_sheet_empty(data: dict, tmp_path: Path) -> None:
    ws = write_all(tmp_path / "rekap.xlsx", data, iku=[])["IKU"]
    assert ws.cell(row=rekap.HEADER_ROW, column=1).value == "Belum ada data IKU."
    assert ws.max_row == rekap.HEADER_ROW
    assert ws.page_setup.orientation == "landscape"


# --- E.81 ----------------------------------------------------------------------------------------


def test_e81_sheet(data: dict, tmp_path: Path) -> None:
    path = tmp_path / "rekap.xlsx"
    ws = write_all(path, data)["E.81"]
    top, bottom = row_values(ws, 4), row_values(ws, 5)
    assert top[:5] == [
        "Kode",
        "Program / Kegiatan / Sub Kegiatan",
        "Indikator Kinerja",
        "Satuan",
        "Target Tahun 2024",
    ]
    for label in (
        "Realisasi TW I",
        "Realisasi TW IV",
        "Realisasi s.d. TW II",
        "Capaian (%)",
        "Predikat",
        "Unit Penanggung Jawab",
        "Kendala",
        "Tindak Lanjut",
    ):
        assert label in top
    assert bottom[4:16] == ["K", "Rp"] * 6
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A4:A5", "E4:F4", "G4:H4", "M4:N4", "O4:P4", "V4:V5"} <= merged

    col = {
        name: i + 1
        for i, name in enumerate(
            [
                "kode",
                "uraian",
                "indikator",
                "satuan",
                "target_k",
                "target_rp",
                "k_tw1",
                "rp_tw1",
                "k_tw2",
                "rp_tw2",
                "k_tw3",
                "rp_tw3",
                "k_tw4",
                "rp_tw4",
                "k_sd",
                "rp_sd",
                "capaian_k",
                "capaian_rp",
                "predikat_k",
                "predikat_rp",
                "nama_unit",
                "kendala",
                "tindak_lanjut",
            ]
        )
    }
    rows = {ws.cell(row=r, column=1).value or "jumlah": r for r in range(6, ws.max_row + 1)}
    gaji = rows["7.01.01.2.02.0001"]

    def value(row: int, name: str) -> object:
        return ws.cell(row=row, column=col[name]).value

    assert value(gaji, "rp_tw2") == 480_000_000
    assert ws.cell(row=gaji, column=col["rp_tw2"]).number_format == "#,##0"
    assert value(gaji, "k_tw2") == 554.5
    # quarters after TW II are empty cells, never 0
    for name in ("k_tw3", "rp_tw3", "k_tw4", "rp_tw4"):
        assert value(gaji, name) is None
    administrasi = rows["7.01.01.2.02.0002"]
    assert value(administrasi, "rp_tw1") == 0 and value(administrasi, "k_tw1") == 0.0
    assert value(administrasi, "rp_tw2") is None  # not reported: blank, unlike TW I's real 0
    assert value(gaji, "rp_sd") == 1_080_000_000 and value(gaji, "capaian_rp") == 54.0
    assert value(rows["7.01.01"], "k_tw1") is None  # volumes of programs are not added up
    assert value(gaji, "kendala") == HOSTILE
    assert ws.cell(row=gaji, column=col["kendala"]).data_type == "s"

    bold = {name: ws.cell(row=r, column=2).font.b for name, r in rows.items()}
    assert bold == {
        "7.01.01": True,
        "7.01.01.2.02": True,
        "7.01.01.2.02.0001": False,
        "7.01.01.2.02.0002": False,
        "jumlah": True,
    }
    assert ws.cell(row=rows["jumlah"], column=2).value == "Jumlah"
    assert ws.cell(row=gaji, column=2).alignment.indent == 2
    assert ws.freeze_panes == "C6"

    with zipfile.ZipFile(path) as book:
        xml = "".join(
            book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/")
        )
    assert "<f>" not in xml  # the kendala stays text, never a formula


def test_e81_sheet_empty(data: dict, tmp_path: Path) -> None:
    ws = write_all(tmp_path / "rekap.xlsx", data, e81=e81_frame().iloc[0:0])["E.81"]
    assert ws.cell(row=rekap.HEADER_ROW, column=1).value == "Belum ada data evaluasi Renja (E.81)."


# --- Peringatan Dini, Perubahan ------------------------------------------------------------------


def test_peringatan_sheet(data: dict, tmp_path: Path) -> None:
    wb = write_all(tmp_path / "rekap.xlsx", data)
    ws = wb["Peringatan Dini"]
    assert row_values(ws, rekap.HEADER_ROW) == [
        "Unit",
        "Kode Sub Kegiatan",
        "Nama Sub Kegiatan",
        "Target Keuangan s.d. TW II (Rp)",
        "Realisasi Keuangan s.d. TW II (Rp)",
        "Selisih (Rp)",
        "Deviasi (%)",
        "Alasan Peringatan",
        "Kendala/Permasalahan",
        "Tindak Lanjut",
    ]
    assert row_values(ws, 5) == [
        "Kecamatan Bekasi Utara",
        "7.01.03.2.01.0001",
        "Pembangunan Sarana dan Prasarana Kelurahan",
        10_004_595,
        1_234_567,
        8_770_028,
        21.93,
        "Deviasi di atas ambang",
        "@SUM(A1:A9)",
        "Percepatan pengadaan",
    ]
    assert ws.cell(row=5, column=9).data_type == "s"
    assert ws.cell(row=5, column=6).number_format == "#,##0"
    empty = write_all(tmp_path / "kosong.xlsx", data, peringatan=peringatan_frame().iloc[0:0])
    assert empty["Peringatan Dini"].cell(row=4, column=1).value == (
        "Tidak ada sub kegiatan yang masuk peringatan dini pada triwulan ini."
    )


def test_perubahan_sheet(data: dict, tmp_path: Path) -> None:
    ws = write_all(tmp_path / "rekap.xlsx", data)["Perubahan"]
    assert ws.cell(row=4, column=1).value == (
        "Realisasi keuangan kecamatan: Rp 1.000.000.000 pada versi 2, Rp 1.010.000.000 pada "
        "versi ini (selisih Rp 10.000.000)."
    )
    assert ws.cell(row=6, column=1).value == "Status unit yang berubah dibanding versi 2"
    assert row_values(ws, 7)[:4] == ["Kode Unit", "Nama Unit", "Sebelum", "Sesudah"]
    assert row_values(ws, 8)[:4] == ["perwira", "Kelurahan Perwira", "ditolak", "diterima"]
    figures = find_row(ws, "Unit")
    assert row_values(ws, figures) == [
        "Unit",
        "Kode Sub Kegiatan",
        "Nama Sub Kegiatan",
        "Kolom",
        "Sebelum",
        "Sesudah",
        "Selisih (Rp)",
    ]
    money, fisik = row_values(ws, figures + 1), row_values(ws, figures + 2)
    assert money[3:] == ["Realisasi Keuangan TW II", 50_000_000, 60_000_000, 10_000_000]
    assert ws.cell(row=figures + 1, column=5).number_format == "#,##0"
    assert fisik[3:] == ["Realisasi Fisik (%)", 25.0, 30.0, None]
    assert ws.cell(row=figures + 3, column=1).value == (
        "… dan 3 angka berubah lain tidak ditampilkan."
    )


def test_perubahan_sheet_without_changes_and_omitted_on_v1(data: dict, tmp_path: Path) -> None:
    nothing = {
        "versi_sebelumnya": 1,
        "ada_perubahan": False,
        "unit_berubah": [],
        "angka_berubah": [],
    }
    ws = write_all(tmp_path / "rekap.xlsx", data, perubahan=nothing)["Perubahan"]
    assert ws.cell(row=4, column=1).value == "Tidak ada perubahan dibanding versi 1."
    wb = write_all(tmp_path / "v1.xlsx", data, perubahan=None)
    assert "Perubahan" not in wb.sheetnames


def test_new_sheets_do_not_change_the_summary(data: dict, tmp_path: Path) -> None:
    before = copy.deepcopy(data["summary"])
    write_all(tmp_path / "rekap.xlsx", data)
    assert data["summary"] == before


# --- printed by LibreOffice ----------------------------------------------------------------------


def soffice() -> str:
    """The LibreOffice binary; in CI a missing one is a failure, locally a skip."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("LibreOffice (soffice) tidak terpasang di CI: uji cetak rekap.xlsx gagal")
    pytest.skip("LibreOffice (soffice) tidak terpasang")


def test_rekap_prints_landscape_with_bounded_pages(data: dict, tmp_path: Path) -> None:
    from pypdf import PdfReader

    binary = soffice()
    path = tmp_path / "rekap.xlsx"
    write_all(path, data)
    subprocess.run(
        [
            binary,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pages = PdfReader(tmp_path / "rekap.pdf").pages
    for page in pages:
        assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
        assert round(float(page.mediabox.width)) == 842  # A4: 297 mm
    # one page per sheet, two for each sheet printed in two page columns (was 39 pages portrait
    # for the TW IV sample before the print setup)
    assert len(pages) == len(ALL_SHEETS) + len(BLOCKED)
    text = [" ".join(page.extract_text().split()) for page in pages]
    assert "DRAF — Ringkasan Realisasi Fisik dan Keuangan Kecamatan Bekasi Utara" in text[0]
    assert f"Halaman 1 dari {len(pages)}" in text[0]
    # Per Sub Kegiatan: money on one page, outputs and kendala on the next, identity on both
    sub = [t for t in text if "per Sub Kegiatan" in t]
    assert len(sub) == 2
    assert "Pagu (Rp)" in sub[0] and "Kendala/Permasalahan" not in sub[0]
    assert "Kendala/Permasalahan" in sub[1] and "Pagu (Rp)" not in sub[1]
    for page in sub:
        assert "Nama Sub Kegiatan" in page and "Pelayanan Administrasi Kependudukan" in page
