"""The IKU sheets of a template: what the person filling them needs, and nothing a reader must walk
through (issue 16: 1,000 styled blank `skm` rows cost every pre-scan 12,000 empty cells)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from triwulan.tasks.collect.ingest import read_file
from triwulan.tasks.collect.template import write_template
from triwulan.tasks.collect.template_iku import SKM_ROWS, WIDTHS
from triwulan.tasks.collect.xlsx_check import inspect_xlsx
from triwulan.tasks.core.period import parse_period
from triwulan.tasks.core.reference import Reference, load_reference


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference(2024)


@pytest.fixture(scope="module")
def kecamatan(ref: Reference, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("templat")
    return write_template(ref, parse_period("2024-TW2"), "kecamatan", folder / "kec.xlsx")


def test_skm_sheet_keeps_what_the_person_filling_it_needs(kecamatan: Path) -> None:
    ws = load_workbook(kecamatan)["skm"]
    keys = [c.value for c in ws[1]]
    assert keys[:3] == ["responden", "jenis_layanan", "tanggal"] and len(keys) == 12
    assert ws.max_row == 1  # no cell below the header: the open rows are ranges, not cells
    assert not ws.protection.sheet  # rows are typed or pasted freely
    assert all(c.font.b and c.fill.fgColor.rgb.endswith("FFD966") for c in ws[1])
    assert ws.column_dimensions["B"].width == WIDTHS["teks"] + 30
    assert ws.column_dimensions["D"].width == WIDTHS["skor"]

    rules = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    last = SKM_ROWS + 1
    for letter in "ABCDEFGHIJKL":
        assert f"{letter}2:{letter}{last}" in rules, letter
    for letter in "DEFGHIJKL":  # u1..u9
        score = rules[f"{letter}2:{letter}{last}"]
        assert (score.type, score.operator, score.formula1, score.formula2) == (
            "whole",
            "between",
            "1",
            "4",
        )
        assert score.showErrorMessage and "1, 2, 3 atau 4" in score.error
    date = rules[f"C2:C{last}"]
    assert (date.type, date.operator) == ("date", "greaterThan") and "tanggal" in date.error

    painted = {
        str(area.sqref): rule
        for area in ws.conditional_formatting
        for rule in area.rules  # the yellow "to fill" look of realisasi's input cells
    }
    assert list(painted) == [f"A2:L{last}"]
    assert painted[f"A2:L{last}"].dxf.fill.bgColor.rgb.endswith("FFF2CC")


def test_skm_sheet_is_small_and_scanned_in_one_row(kecamatan: Path) -> None:
    with zipfile.ZipFile(kecamatan) as book:
        names = {n for n in book.namelist() if n.startswith("xl/worksheets/sheet")}
        sizes = {n: book.getinfo(n).file_size for n in names}
    assert max(sizes.values()) < 40_000  # was 370 KB for the skm sheet alone
    scan, sheets = inspect_xlsx(
        kecamatan, "skm", max_total=100 << 20, max_ratio=200, max_rows=5000, max_cols=100
    )
    assert "skm" in sheets and scan is not None
    assert (scan.declared_rows, scan.rows, scan.cols) == (1, 1, 12)


def test_responses_typed_into_the_open_rows_are_read(kecamatan: Path, tmp_path: Path) -> None:
    book = load_workbook(kecamatan)
    ws = book["skm"]
    for row in range(2, 5):
        ws.append([f"R-{row}", "Legalisasi Dokumen", "2024-05-14", *[3] * 9])
    filled = tmp_path / "diisi.xlsx"
    book.save(filled)
    read = read_file(filled)
    assert read.problem is None
    frame = read.frames["skm"]
    assert list(frame["responden"]) == ["R-2", "R-3", "R-4"]
    assert set(frame["u9"]) == {"3"}


def test_kelurahan_sheet_has_no_open_rows_to_paint(ref: Reference, tmp_path: Path) -> None:
    path = write_template(ref, parse_period("2024-TW2"), "perwira", tmp_path / "kel.xlsx")
    ws = load_workbook(path)["zona_k3"]
    assert ws.protection.sheet and ws.max_row > 1
    assert not list(ws.conditional_formatting)
