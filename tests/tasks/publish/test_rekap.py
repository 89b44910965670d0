"""rekap.xlsx: print setup of every sheet, and the IKU, E.81, early-warning and change sheets.

The older sheet contents are tested in test_report.py; this file covers the print setup as
written in the xlsx and the newer sheets. How LibreOffice really prints the sample year's rekap
is tested in test_rekap_print.py.
"""

from __future__ import annotations

import copy
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.tasks.publish.test_report import make_detail, make_levels, make_summary
from triwulan.tasks.core.signature import nip_text
from triwulan.tasks.publish import rekap, rekap_e81, rekap_layout
from triwulan.tasks.publish.rekap import write_rekap_xlsx
from triwulan.tasks.publish.rekap_layout import lines_of
from triwulan.tasks.publish.rekap_page import paper_for

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
MONEY_FORMAT = "[$-421]#,##0"  # Indonesian separators whatever the PC's locale (LibreOffice)
PERCENT_FORMAT = "[$-421]0.00"

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
                "alasan": "tertinggal dari rencana lebih dari 10% pagu",
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


def printed_width(ws) -> float:
    """Units of the printed columns (the print area's, else every column written)."""
    last = ws.max_column
    if ws.print_area:
        letters = re.search(r"\$([A-Z]+)\$\d+$", ws.print_area).group(1)
        last = openpyxl.utils.column_index_from_string(letters)
    return sum(column_width(ws, c) or 0 for c in range(1, last + 1))


# --- print setup ---------------------------------------------------------------------------------


def test_every_sheet_prints_one_page_wide_landscape_with_mark_and_page_numbers(
    data: dict, tmp_path: Path
) -> None:
    """Issue 17: no sheet prints in left and right halves: each is fitted to one page wide
    (rows run down the pages), on A4 or, when A4 would print it below 60%, on F4."""
    wb = write_all(tmp_path / "rekap.xlsx", data)
    assert wb.sheetnames == ALL_SHEETS
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert int(setup.paperSize) in (rekap_layout.A4, rekap_layout.F4), ws.title
        paper, scale = paper_for(printed_width(ws))
        assert int(setup.paperSize) == paper and scale >= rekap_layout.MIN_SCALE, ws.title
        assert ws.oddHeader.left.text == "DRAF"
        assert ws.title.split()[-1] in ws.oddHeader.center.text or ws.title == "E.81"
        assert ws.oddFooter.center.text == "Halaman &P dari &N"
        assert ws.page_margins.left == ws.page_margins.right == 0.3
        assert ws.print_title_rows, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        # one page wide (1 is the default XlsxWriter leaves out), any number of pages tall
        assert int(setup.fitToWidth or 1) == 1 and int(setup.fitToHeight) == 0, ws.title
        assert not ws.col_breaks.brk and not ws.print_title_cols, ws.title
    assert wb["Per Unit"].print_title_rows == "$4:$4"
    assert wb["Ringkasan"].print_title_rows == "$1:$3"
    e81 = wb["E.81"]  # the four header rows under the form's header block
    top = find_row(e81, "No")
    assert e81.print_title_rows == f"${top}:${top + 3}"
    assert [c.value for c in e81[top + 3]][:3] == ["(1)", "(2)", "(3)"]


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


def test_sub_kegiatan_prints_whole_rows(data: dict, tmp_path: Path) -> None:
    """Identity, money, outputs and kendala on one page width; the program and kegiatan
    columns (for filtering) after the print area."""
    ws = write_all(tmp_path / "rekap.xlsx", data)["Per Sub Kegiatan"]
    headers = row_values(ws, rekap.HEADER_ROW)
    assert headers[:3] == ["Unit", "Kode Sub Kegiatan", "Nama Sub Kegiatan"]
    assert headers.index("Predikat Keuangan s.d. TW II") + 1 == headers.index("Indikator Keluaran")
    last = re.search(r"\$([A-Z]+)\$\d+$", ws.print_area).group(1)
    assert headers[openpyxl.utils.column_index_from_string(last) - 1] == "Tindak Lanjut"
    assert headers[-4:] == ["Kode Program", "Nama Program", "Kode Kegiatan", "Nama Kegiatan"]
    assert not ws.col_breaks.brk and not ws.print_title_cols


def test_no_row_is_padded_by_a_column_outside_the_print_area(data: dict, tmp_path: Path) -> None:
    """The filter-only program name must not make a printed row taller (issue 17: rows were
    padded by text from the other half)."""
    data["detail"]["nama_program"] = "Program dengan nama yang sangat panjang " * 6
    ws = write_all(tmp_path / "rekap.xlsx", data)["Per Sub Kegiatan"]
    first = rekap.HEADER_ROW + 1
    heights = [ws.row_dimensions[r].height for r in range(first, first + len(data["detail"]))]
    assert all(h is None or h < 6 * rekap_layout.LINE_POINTS for h in heights), heights


def test_number_formats_widths_and_wrapped_rows(data: dict, tmp_path: Path) -> None:
    data["detail"].loc[2, "kendala"] = "Kendala panjang " * 30
    wb = write_all(tmp_path / "rekap.xlsx", data)
    ws = wb["Per Sub Kegiatan"]
    headers = row_values(ws, rekap.HEADER_ROW)
    first = rekap.HEADER_ROW + 1
    pagu = ws.cell(row=first, column=headers.index("Pagu (Rp)") + 1)
    assert type(pagu.value) is int and pagu.number_format == MONEY_FORMAT
    assert rekap.MONEY_FORMAT == MONEY_FORMAT and rekap.PERCENT_FORMAT == PERCENT_FORMAT
    serapan = ws.cell(row=first, column=headers.index("Serapan Pagu (%)") + 1)
    assert serapan.number_format == PERCENT_FORMAT
    kendala_col = headers.index("Kendala/Permasalahan") + 1
    assert column_width(ws, kendala_col) <= rekap_layout.WIDTHS["longtext"][1]
    long_row = next(
        r
        for r in range(first, ws.max_row + 1)
        if str(ws.cell(row=r, column=kendala_col).value).startswith("Kendala panjang")
    )
    cell = ws.cell(row=long_row, column=kendala_col)
    assert cell.alignment.wrap_text
    # as high as its own wrapped lines, whatever the other cells of the row hold
    lines = lines_of(cell.value, column_width(ws, kendala_col))
    assert lines >= 20
    height = ws.row_dimensions[long_row].height
    assert height == pytest.approx(
        lines * rekap_layout.LINE_POINTS + rekap_layout.ROW_PADDING, abs=0.75
    )
    for ws in wb.worksheets:
        for col, dim in ws.column_dimensions.items():
            assert dim.width is None or dim.width <= 34, (ws.title, col)


def test_numbers_fit_their_columns(data: dict, tmp_path: Path) -> None:
    """A number wider than its column prints as ###: the widest figure sizes the column."""
    ws = write_all(tmp_path / "rekap.xlsx", data)["Per Unit"]
    headers = row_values(ws, rekap.HEADER_ROW)
    col = headers.index("Pagu (Rp)") + 1
    total = ws.cell(row=find_row(ws, "Jumlah"), column=col).value
    shown = f"{total:,}"  # the widest: every digit 7 px, a separator 4 px, 5 px of padding
    pixels = 7 * sum(ch.isdigit() for ch in shown) + 4 * shown.count(",") + 5
    assert round(column_width(ws, col) * 7) >= pixels  # Excel: whole pixels


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
    assert pagu.number_format == MONEY_FORMAT and not pagu.font.b
    assert pagu.border.bottom.style == "thin" and pagu.border.bottom.color.rgb.endswith("9CA3AF")
    assert first[header.index("Serapan Pagu (%)")].number_format == PERCENT_FORMAT
    name = first[header.index("Nama Sub Kegiatan")]
    assert name.alignment.wrap_text and name.alignment.vertical == "top"
    assert name.font.name == "Arial" and name.font.sz == 10
    total = ws[find_row(ws, "Jumlah")]
    assert total[header.index("Pagu (Rp)")].font.b
    e81 = wb["E.81"]
    program = e81.cell(row=uraian_row(e81, "7.01.01 "), column=3)
    assert program.font.b and program.fill.fgColor.rgb.endswith("F3F4F6")
    kegiatan = e81.cell(row=uraian_row(e81, "7.01.01.2.02 "), column=3)
    assert kegiatan.font.b and not kegiatan.alignment.indent
    assert kegiatan.fill.fill_type is None  # grey only for sasaran, program and Jumlah rows
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
    assert ws.cell(row=5, column=7).number_format == PERCENT_FORMAT


def test_iku_sheet_empty(data: dict, tmp_path: Path) -> None:
    ws = write_all(tmp_path / "rekap.xlsx", data, iku=[])["IKU"]
    assert ws.cell(row=rekap.HEADER_ROW, column=1).value == "Belum ada data IKU."
    assert ws.max_row == rekap.HEADER_ROW
    assert ws.page_setup.orientation == "landscape"


# --- E.81 ---------------------------------------------------------------------------------------


def uraian_row(ws, start: str) -> int:
    """The E.81 row whose column (3) starts with `start` (code and uraian)."""
    return next(r[0].row for r in ws.iter_rows() if str(r[2].value or "").startswith(start))


def e81_columns() -> dict[str, int]:
    """Form key -> column number, as rekap_e81 lays the sixteen columns out."""
    groups = rekap_e81.form_groups(rekap.parse_period("2024-TW2"), {})
    keys = [key for group in groups for key, _, _ in group.columns]
    return {key: i for i, key in enumerate(keys, start=1)}


def test_e81_sheet_of_an_older_version(data: dict, tmp_path: Path) -> None:
    """An e81.json made before the form had No, Sasaran and the Renstra columns: those are
    blank, the rest in place; a summary without the form's header block or signatories."""
    path = tmp_path / "rekap.xlsx"
    ws = write_all(path, data)["E.81"]
    top = find_row(ws, "No")
    labels = row_values(ws, top)
    assert labels[:4] == [
        "No",
        "Sasaran",
        "Program/ Kegiatan/ Sub Kegiatan",
        "Indikator Kinerja (Satuan)",
    ]
    for label in (
        "Target Renstra akhir periode",
        "Realisasi Renstra s.d. tahun lalu (2023)",
        "Target Renja tahun 2024",
        "Realisasi TW I",
        "Realisasi TW IV",
        "Realisasi capaian Renja tahun 2024 s.d. TW II",
        "Realisasi Renstra s.d. tahun 2024",
        "Tingkat capaian Renstra s.d. tahun 2024 (%)",
        "Unit penanggung jawab",
        "Keterangan",
    ):
        assert label in labels, label
    assert row_values(ws, top + 1)[18:24] == ["Realisasi", None, "Capaian (%)", None] + [
        "Predikat",
        None,
    ]
    assert row_values(ws, top + 2)[4:10] == ["K", "Rp"] * 3
    numbers = [v for v in row_values(ws, top + 3) if v]
    assert numbers == [f"({n})" for n in range(1, 17)]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert f"A{top}:A{top + 2}" in merged and f"E{top + 3}:F{top + 3}" in merged
    assert f"S{top}:X{top}" in merged and f"S{top + 3}:X{top + 3}" in merged  # column (12)

    col = e81_columns()
    gaji = uraian_row(ws, "7.01.01.2.02.0001 Penyediaan Gaji")

    def value(row: int, key: str) -> object:
        return ws.cell(row=row, column=col[key]).value

    assert value(gaji, "rp_tw2") == 480_000_000
    assert ws.cell(row=gaji, column=col["rp_tw2"]).number_format == MONEY_FORMAT
    assert value(gaji, "k_tw2") == 554.5
    # quarters after TW II are empty cells, never 0
    for key in ("k_tw3", "rp_tw3", "k_tw4", "rp_tw4"):
        assert value(gaji, key) is None
    for key in ("no", "renstra_target_k", "renstra_lalu_rp", "renstra_capaian_k_persen"):
        assert value(gaji, key) is None  # not in an older e81.json
    administrasi = uraian_row(ws, "7.01.01.2.02.0002")
    assert value(administrasi, "rp_tw1") == 0 and value(administrasi, "k_tw1") == 0.0
    assert value(administrasi, "rp_tw2") is None  # not reported: blank, unlike TW I's real 0
    assert value(gaji, "rp_sd") == 1_080_000_000 and value(gaji, "capaian_rp_persen") == 54.0
    assert value(gaji, "predikat_k") == "Rendah"
    assert value(uraian_row(ws, "7.01.01 "), "k_tw1") is None  # volumes of programs: not added
    assert value(gaji, "indikator_cell") == "Jumlah Orang yang Menerima Gaji (Orang/Bulan)"
    assert value(gaji, "nama_unit") == "Kecamatan Bekasi Utara"
    assert value(gaji, "keterangan_cell") == f"Kendala: {HOSTILE}\nTindak lanjut: Dikoordinasikan"
    assert ws.cell(row=gaji, column=col["keterangan_cell"]).data_type == "s"
    assert value(administrasi, "keterangan_cell").startswith("Kendala: Belum dilaksanakan")
    jumlah = uraian_row(ws, "Jumlah")
    assert value(jumlah, "rp_sd") == 1_080_000_000 and ws.cell(row=jumlah, column=3).font.b
    assert not ws.cell(row=gaji, column=3).font.b
    assert ws.freeze_panes == f"D{top + 4}"
    assert "Disusun oleh," not in [c.value for row in ws.iter_rows() for c in row]

    with zipfile.ZipFile(path) as book:
        xml = "".join(
            book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/")
        )
    assert "<f>" not in xml  # the kendala stays text, never a formula


KEPALA = {
    "perangkat_daerah": "Kecamatan Bekasi Utara",
    "periode": "Triwulan II Tahun 2024",
    "tahun": 2024,
    "periode_renstra": "2024–2026",
    "tahun_akhir_renstra": 2026,
    "sasaran_rkpd": ["Meningkatnya Akuntabilitas dan Profesionalisme Pengelolaan Pemerintah"],
}
PENUTUP = [
    {"butir": "rata_rata", "judul": "Rata-rata capaian kinerja (%)", "k": 25.0, "rp": 27.0},
    {"butir": "predikat", "judul": "Predikat kinerja", "k": "Sangat Rendah", "rp": "Rendah"},
    {"butir": "faktor_pendorong", "judul": "Faktor pendorong keberhasilan", "teks": ["Aktif"]},
    {"butir": "faktor_penghambat", "judul": "Faktor penghambat", "teks": ["A (Kel. X)", "B"]},
    {"butir": "tindak_lanjut_triwulan", "judul": "Tindak lanjut triwulan berikutnya", "teks": []},
    {"butir": "tindak_lanjut_renja", "judul": "Tindak lanjut dalam Renja", "teks": ["C"]},
]
PEJABAT = [
    {
        "peran": "penyusun",
        "label": "Disusun oleh",
        "jabatan": "SEKRETARIS KECAMATAN BEKASI UTARA",
        "nama": "",
        "pangkat": "",
        "nip": "",
    },
    {
        "peran": "camat",
        "label": "Mengetahui",
        "jabatan": "CAMAT BEKASI UTARA",
        "nama": "SUMPONO BRAMA, S.STP., M.Si",
        "pangkat": "Pembina Tk.I",
        "nip": "198008251999121001",
    },
    {
        "peran": "evaluator",
        "label": "Dievaluasi oleh",
        "jabatan": "KEPALA BAPPELITBANGDA KOTA BEKASI",
        "nama": "",
        "pangkat": "",
        "nip": "",
    },
]


def form_frame() -> pd.DataFrame:
    """e81_frame as the form writes it now: a sasaran row first, numbered rows, Renstra."""
    core = e81_frame()
    sasaran = {
        "tingkat": "sasaran",
        "kode": "",
        "uraian": KEPALA["sasaran_rkpd"][0],
        "indikator": "Indeks Kepuasan Masyarakat",
        "satuan": "Nilai",
        "target_k": 81.0,
        "target_rp": 2_040_000_000,
        "k_tw2": 80.72,
        "k_sd": 80.72,
        "rp_sd": 1_080_000_000,
        "capaian_k_persen": 99.65,
        "predikat_k": "Sangat Tinggi",
        "keterangan": "Survei triwulan II",
        "renstra_target_k": 100.0,
        "renstra_lalu_k": 83.17,
        "renstra_sd_k": 80.72,
        "renstra_capaian_k_persen": 80.72,
    }
    frame = pd.concat([pd.DataFrame([sasaran]), core], ignore_index=True)
    frame["sasaran"] = KEPALA["sasaran_rkpd"][0]
    frame["no"] = ["1", "2", "3", "4", "5", ""]
    frame["renstra_lalu_rp"] = pd.array([0, 0, 0, None, None, 0], dtype="Int64")
    frame["renstra_sd_rp"] = frame["rp_sd"]
    return frame


@pytest.fixture
def final(data: dict) -> dict:
    summary = data["summary"]
    summary["e81_form"] = {"kepala": KEPALA, "penutup": PENUTUP}
    summary["pengesahan"] = {"tempat": "Bekasi", "pejabat": PEJABAT}
    summary["status_laporan"] = "FINAL"
    summary["tanggal_pengesahan"] = "2025-01-10"
    return data


def cells_of(ws) -> list[object]:
    return [c.value for row in ws.iter_rows() for c in row if c.value is not None]


def test_e81_sheet_is_the_whole_form(final: dict, tmp_path: Path) -> None:
    """Header block, No, Sasaran, Renstra columns, closing rows and the signature block with
    the Camat's name and NIP on FINAL (issue 17, item 4)."""
    ws = write_all(tmp_path / "rekap.xlsx", final, e81=form_frame())["E.81"]
    cells = cells_of(ws)
    assert "EVALUASI TERHADAP HASIL RENJA PERANGKAT DAERAH" in cells
    assert "Perangkat Daerah: Kecamatan Bekasi Utara" in cells
    assert "Periode pelaksanaan: Triwulan II Tahun 2024" in cells
    sasaran = KEPALA["sasaran_rkpd"][0]
    assert f"1. {sasaran}" in cells
    assert "Target Renstra akhir periode (2026)" in cells
    col = e81_columns()
    head = find_row(ws, 1)  # No 1: the sasaran row
    assert ws.cell(row=head, column=2).value == sasaran  # across columns 2-3
    assert f"B{head}:C{head}" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.cell(row=head, column=col["renstra_target_k"]).value == 100.0
    assert ws.cell(row=head, column=col["renstra_lalu_k"]).value == 83.17
    assert ws.cell(row=head, column=col["keterangan_cell"]).value == "Survei triwulan II"
    assert ws.cell(row=head, column=col["predikat_k"]).value == "Sangat Tinggi"
    assert [ws.cell(row=r, column=1).value for r in range(head, head + 5)] == [1, 2, 3, 4, 5]

    rata = find_row(ws, "Rata-rata capaian kinerja (%)")
    assert ws.cell(row=rata, column=col["capaian_k_persen"]).value == 25.0
    assert ws.cell(row=rata, column=col["capaian_rp_persen"]).value == 27.0
    predikat = find_row(ws, "Predikat kinerja")
    assert ws.cell(row=predikat, column=col["predikat_k"]).value == "Sangat Rendah"
    assert ws.cell(row=predikat, column=col["predikat_rp"]).value == "Rendah"
    assert ws.cell(row=find_row(ws, "Faktor penghambat"), column=5).value == "1. A (Kel. X)\n2. B"
    assert ws.cell(row=find_row(ws, "Tindak lanjut triwulan berikutnya"), column=5).value == "-"

    for text in (
        "Bekasi, 10 Januari 2025",
        "Disusun oleh,",
        "Mengetahui,",
        "Dievaluasi oleh,",
        "CAMAT BEKASI UTARA,",
        "SUMPONO BRAMA, S.STP., M.Si",
        "Pembina Tk.I",
        "NIP. 19800825 199912 1 001",
        "KEPALA BAPPELITBANGDA KOTA BEKASI,",
    ):
        assert text in cells, text
    name = next(
        c for row in ws.iter_rows() for c in row if c.value == "SUMPONO BRAMA, S.STP., M.Si"
    )
    assert name.font.b and name.font.u
    # a signatory without a name yet keeps blank lines, even on FINAL
    assert cells.count("NIP. " + "." * 40) == 2


def test_signature_blocks_stay_empty_on_a_draf(final: dict, tmp_path: Path) -> None:
    final["summary"]["status_laporan"] = "DRAF"
    wb = write_all(tmp_path / "rekap.xlsx", final, e81=form_frame())
    for title, roles in (("E.81", 3), ("Ringkasan", 2)):
        cells = cells_of(wb[title])
        assert "Disusun oleh," in cells and "Mengetahui," in cells, title
        assert "CAMAT BEKASI UTARA," in cells, title
        assert "SUMPONO BRAMA, S.STP., M.Si" not in cells, title
        assert cells.count("NIP. " + "." * 40) == roles, title
        assert "Bekasi, " + "." * 28 in cells, title
    assert "Dievaluasi oleh," not in cells_of(wb["Ringkasan"])


def test_ringkasan_is_signed_on_final(final: dict, tmp_path: Path) -> None:
    ws = write_all(tmp_path / "rekap.xlsx", final)["Ringkasan"]
    cells = cells_of(ws)
    assert "Bekasi, 10 Januari 2025" in cells
    assert "SUMPONO BRAMA, S.STP., M.Si" in cells and "NIP. 19800825 199912 1 001" in cells


def test_nip_is_grouped_8_6_1_3() -> None:
    assert nip_text("198008251999121001") == "19800825 199912 1 001"
    assert nip_text("19800825 199912 1 001") == "19800825 199912 1 001"
    assert nip_text("123") == "123"


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
        "tertinggal dari rencana lebih dari 10% pagu",
        "@SUM(A1:A9)",
        "Percepatan pengadaan",
    ]
    assert ws.cell(row=5, column=9).data_type == "s"
    assert ws.cell(row=5, column=6).number_format == MONEY_FORMAT
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
    assert row_values(ws, 7)[:3] == ["Unit", "Sebelum", "Sesudah"]  # by name, never an id
    assert row_values(ws, 8)[:3] == ["Kelurahan Perwira", "ditolak", "diterima"]
    figures = next(r[0].row for r in ws.iter_rows(min_row=9) if r[0].value == "Unit")
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
    assert ws.cell(row=figures + 1, column=5).number_format == MONEY_FORMAT
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
