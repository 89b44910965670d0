"""The reference workbook: a year's CSVs out to one workbook and back, exactly."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from triwulan.cli import app
from triwulan.paths import reference_dir
from triwulan.tasks.core.reference_book import (
    read_book,
    read_year_text,
    starting_point,
    write_book,
)


def test_a_year_goes_out_and_comes_back_as_the_same_text(tmp_path: Path) -> None:
    year = read_year_text(reference_dir(2024))
    assert len(year) == 15  # eight required files and the seven optional ones of 2024

    back = read_book(write_book(year, 2025, tmp_path / "r.xlsx"))

    assert set(back) == set(year)
    for name, frame in year.items():
        read = back[name]
        assert list(read["_baris"]) == [str(i) for i in range(3, len(frame) + 3)]  # sheet rows
        assert read.drop(columns="_baris").equals(frame), name


def test_the_workbook_is_made_for_people(tmp_path: Path) -> None:
    path = write_book(read_year_text(reference_dir(2024)), 2025, tmp_path / "r.xlsx")
    book = load_workbook(path)
    assert book.sheetnames[0] == "petunjuk" and "2025" in book["petunjuk"]["A1"].value
    budget = book["anggaran"]
    header = [c.value for c in budget[1]]
    assert header[-1] == "cek" and header[:4] == [
        "unit",
        "kode_sub_kegiatan",
        "versi",
        "berlaku_mulai_tw",
    ]
    assert budget["E2"].value == "Pagu (Rp)"  # row 2: the Indonesian labels
    assert budget["E3"].number_format == "#,##0" and isinstance(budget["E3"].value, int)
    assert str(budget[f"{chr(64 + len(header))}3"].value).startswith("=IF(")  # the check
    assert budget.protection.sheet and budget["E3"].protection.locked is False
    assert budget["A1"].protection.locked is True and budget["A1"].comment is not None
    assert budget.page_setup.orientation == "landscape" and budget.page_setup.fitToWidth == 1
    lists = {
        tuple(v.sqref.ranges)[0].coord.split(":")[0][0]: v.formula1
        for v in budget.data_validations.dataValidation
    }
    assert lists["C"] == '"murni,perubahan"'
    units = book["unit"]
    assert units["A3"].value == "kecamatan" and units["A3"].number_format == "@"


def test_a_new_year_starts_from_the_budget_as_passed_and_typed_formulas_stay_text(
    tmp_path: Path,
) -> None:
    year = read_year_text(reference_dir(2024))
    assert set(year["anggaran.csv"]["versi"]) == {"murni", "perubahan"}
    start = starting_point(year)
    assert set(start["anggaran.csv"]["versi"]) == {"murni"}

    start["units.csv"].loc[1, "nama"] = '=HYPERLINK("http://x")'
    back = read_book(write_book(start, 2025, tmp_path / "r.xlsx"))
    assert back["units.csv"].loc[1, "nama"] == '=HYPERLINK("http://x")'
    cell = load_workbook(tmp_path / "r.xlsx")["unit"]["B4"]
    assert cell.data_type == "s"  # text, not a formula


def test_the_commands_write_a_workbook_and_show_a_year(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "referensi-2025.xlsx"
    made = runner.invoke(app, ["referensi", "templat", "2025", "-o", str(target)])
    assert made.exit_code == 0, made.output
    assert "diisi dari 2024" in made.stdout and target.is_file()

    shown = runner.invoke(app, ["referensi", "lihat", "2024"])
    assert shown.exit_code == 0, shown.output
    assert "pagu seluruhnya Rp 46.754.089.520 untuk 49 sub kegiatan" in shown.stdout
    assert "perwira            Kelurahan Perwira (kelurahan): 4 sub kegiatan" in shown.stdout
    assert "TW II: 77,8" in shown.stdout and "NIP 19800825 199912 1 001" in shown.stdout

    missing = runner.invoke(app, ["referensi", "lihat", "1999"])
    assert missing.exit_code == 2 and "Traceback" not in missing.output


def test_every_sheet_prints_one_page_wide_and_the_headers_fit(tmp_path: Path) -> None:
    book = load_workbook(write_book(read_year_text(reference_dir(2024)), 2025, tmp_path / "r.xlsx"))
    for ws in book.worksheets:  # the guide too: in portrait its long lines ran off the page
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert "&A" in ws.oddFooter.center.text  # loose pages say which sheet they are
    guide = book["petunjuk"]
    assert guide.row_dimensions[5].height > guide.row_dimensions[4].height  # a long line wraps
    budget = book["anggaran"]
    check = budget.cell(row=2, column=budget.max_column)
    assert check.value == "Cek TW I–IV = pagu"
    assert budget.column_dimensions[check.column_letter].width >= len(check.value) + 2
    assert budget["A2"].font.name == "Calibri" and budget["A2"].font.b  # not the viewer's serif
    assert check.font.name == "Calibri" and budget["A1"].font.name == "Calibri"
    assert budget.conditional_formatting  # a mismatch prints in red
