"""Text from units and file names never becomes a formula in a spreadsheet this project writes.

Checked twice: through openpyxl (value and data type) and in the raw sheet XML inside the zip (no
<f> element made from that text; the text is an inline or shared string), because openpyxl's
reading could hide what Excel would see.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.escape import unescape

from tests.tasks.publish.test_report import make_detail, make_levels, make_summary
from triwulan.tasks.check.validate import validate_quarter
from triwulan.tasks.collect.ingest import read_submission
from triwulan.tasks.collect.template import write_csv, write_template, write_xlsx
from triwulan.tasks.core.parse import parse_number
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference, load_reference
from triwulan.tasks.core.submission import columns, input_columns, prefilled_frame
from triwulan.tasks.core.xlsx_safe import FORMULA_START, csv_text, looks_like_formula
from triwulan.tasks.publish.rekap import write_rekap_xlsx

HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "-1+2",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]
FILE_NAMES = ['=HYPERLINK("http://evil.example","x").xlsx', "@SUM(A1).csv", "-1+2.xlsx"]
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
PERIOD = Period(2024, 2)
UNIT = "perwira"


# ------------------------------------------------------------------ reading the zip


def sheet_xml(path: Path) -> dict[str, ElementTree.Element]:
    """Sheet part name -> parsed XML of every worksheet in the workbook."""
    with zipfile.ZipFile(path) as book:
        return {
            name: ElementTree.fromstring(book.read(name))
            for name in book.namelist()
            if name.startswith("xl/worksheets/sheet") and name.endswith(".xml")
        }


def shared_strings(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as book:
        if "xl/sharedStrings.xml" not in book.namelist():
            return []
        root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
    return ["".join(t.text or "" for t in si.iter(f"{NS}t")) for si in root.iter(f"{NS}si")]


def formulas(path: Path) -> list[str]:
    """The text of every <f> element of every sheet."""
    return [f.text or "" for root in sheet_xml(path).values() for f in root.iter(f"{NS}f")]


def as_excel_reads(text: str) -> str:
    """OOXML text as Excel reads it: a control character may be stored as _xHHHH_ (XlsxWriter
    stores a carriage return as _x000D_), which openpyxl leaves as it stands."""
    return unescape(text)


def string_cells(path: Path) -> list[str]:
    """Every cell stored as text (inline or shared string), as Excel reads it."""
    shared = shared_strings(path)
    texts = []
    for root in sheet_xml(path).values():
        for cell in root.iter(f"{NS}c"):
            kind = cell.get("t")
            if kind == "inlineStr":
                texts.append("".join(t.text or "" for t in cell.iter(f"{NS}t")))
            elif kind == "s":
                texts.append(shared[int(cell.find(f"{NS}v").text)])
    return [as_excel_reads(text) for text in texts]


def assert_text_not_formula(path: Path, texts: list[str]) -> None:
    """Each text is in a string cell, exactly, in the XML and through openpyxl; no <f> has it."""
    found = formulas(path)
    for text in texts:
        assert not any(text.lstrip("=") in f for f in found), (text, found)
    stored = string_cells(path)
    cells = [
        cell
        for ws in openpyxl.load_workbook(path).worksheets
        for row in ws.iter_rows()
        for cell in row
    ]
    for text in texts:
        assert text in stored, text
        matching = [
            c for c in cells if isinstance(c.value, str) and as_excel_reads(c.value) == text
        ]
        assert matching, text
        assert all(c.data_type == "s" for c in matching), text


def test_the_checks_see_a_formula_when_there_is_one(tmp_path: Path) -> None:
    """Plain openpyxl turns '=…' into a formula: the XML helpers above do notice it."""
    book = openpyxl.Workbook()
    book.active["A1"] = HOSTILE[0]
    path = tmp_path / "polos.xlsx"
    book.save(path)
    assert formulas(path) == [HOSTILE[0][1:]]
    assert HOSTILE[0] not in string_cells(path)


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_start_is_recognised(text: str) -> None:
    assert looks_like_formula(text)
    assert csv_text(text) == "'" + text
    assert set(FORMULA_START) == {"=", "+", "-", "@", "\t", "\r"}


@pytest.mark.parametrize("text", ["Cuaca buruk", "-5", "-82,5", "7.01.03.2.01.0001", ""])
def test_plain_text_and_numbers_stay_as_they_are(text: str) -> None:
    assert csv_text(text) == text


# ------------------------------------------------------------------ rekap.xlsx


def hostile_report() -> tuple[dict, pd.DataFrame, dict[str, pd.DataFrame]]:
    """The report fixtures of tests/tasks/publish/test_report.py with unit text and file names hostile."""
    detail = make_detail()
    n = len(detail)
    detail["kendala"] = [HOSTILE[i % len(HOSTILE)] for i in range(n)]
    detail["tindak_lanjut"] = [HOSTILE[(i + n) % len(HOSTILE)] for i in range(n)]
    summary = copy.deepcopy(make_summary(detail))
    for unit, name in zip(summary["units"], FILE_NAMES * 2, strict=False):
        unit["file"] = name
    summary["unreadable_files"] = [
        {"file": name, "message": text} for name, text in zip(FILE_NAMES, HOSTILE, strict=False)
    ]
    return summary, detail, make_levels(detail)


def test_rekap_writes_unit_text_and_file_names_as_text(tmp_path: Path) -> None:
    summary, detail, levels = hostile_report()
    path = tmp_path / "rekap.xlsx"
    write_rekap_xlsx(path, summary, detail, levels)
    assert formulas(path) == []  # the rekap has no formula of its own
    assert_text_not_formula(path, HOSTILE + FILE_NAMES)
    ws = openpyxl.load_workbook(path)["Per Sub Kegiatan"]
    header = [c.value for c in ws[4]]
    kendala = header.index("Kendala/Permasalahan") + 1
    values = {
        as_excel_reads(ws.cell(row=r, column=kendala).value) for r in range(5, 5 + len(detail))
    }
    assert values == set(detail["kendala"])


def test_rekap_drops_control_characters_instead_of_failing(tmp_path: Path) -> None:
    """A CSV kendala may hold characters XML cannot: the rekap is still written."""
    summary, detail, levels = hostile_report()
    detail.loc[0, "kendala"] = "=a\x01b\x1f"
    path = tmp_path / "rekap.xlsx"
    write_rekap_xlsx(path, summary, detail, levels)
    assert_text_not_formula(path, ["=ab"])


# ------------------------------------------------------------------ the template


@pytest.fixture(scope="module")
def hostile_ref() -> Reference:
    """Reference data whose free text (names, indicators, units) starts like a formula."""
    ref = load_reference(PERIOD.tahun)
    sub = ref.sub_kegiatan.copy()
    mine = sub.index[sub["unit"] == UNIT]
    texts = (HOSTILE * len(mine))[: len(mine)]
    sub.loc[mine, "nama_sub_kegiatan"] = texts
    sub.loc[mine, "indikator_keluaran"] = list(reversed(texts))
    sub.loc[mine, "satuan"] = "@satuan"
    units = ref.units.copy()
    units.loc[units["unit"] == UNIT, "nama"] = "=Kelurahan Perwira"
    return dataclasses.replace(ref, sub_kegiatan=sub, units=units)


def test_template_xlsx_writes_unit_text_as_text(tmp_path: Path, hostile_ref: Reference) -> None:
    frame = prefilled_frame(hostile_ref, PERIOD, UNIT)
    frame["kendala"] = (HOSTILE * len(frame))[: len(frame)]
    frame["tindak_lanjut"] = list(reversed(frame["kendala"]))
    path = tmp_path / "t.xlsx"
    write_xlsx(frame, path, hostile_ref, PERIOD, UNIT)
    assert formulas(path) == []
    texts = [*frame["kendala"], *frame["nama_sub_kegiatan"], "@satuan"]
    assert_text_not_formula(path, texts)
    # the guide names the unit; its line starts with the (hostile) name
    assert_text_not_formula(path, ["=Kelurahan Perwira (kode unit: perwira)"])
    # deliberate formulas stay: the data validation of the money column
    ws = openpyxl.load_workbook(path)["realisasi"]
    rules = [v.formula1 for v in ws.data_validations.dataValidation]
    assert any(f and f.startswith("AND(ISNUMBER(") for f in rules)


def test_template_csv_quotes_formula_text(tmp_path: Path, hostile_ref: Reference) -> None:
    frame = prefilled_frame(hostile_ref, PERIOD, UNIT)
    frame["realisasi_keuangan"] = -5  # a number, not text: never quoted
    frame["kendala"] = (HOSTILE * len(frame))[: len(frame)]
    frame["tindak_lanjut"] = "Cuaca buruk"
    path = tmp_path / "t.csv"
    write_csv(frame, path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["kendala"] for r in rows] == ["'" + t for t in frame["kendala"]]
    assert [r["nama_sub_kegiatan"] for r in rows] == ["'" + t for t in frame["nama_sub_kegiatan"]]
    assert {r["realisasi_keuangan"] for r in rows} == {"-5"}
    assert {r["tindak_lanjut"] for r in rows} == {"Cuaca buruk"}
    for row in rows:  # nothing a spreadsheet would evaluate
        for value in row.values():
            assert not looks_like_formula(value) or parse_number(value) is not None, value


def test_template_csv_still_reads_back_as_a_valid_submission(
    tmp_path: Path, hostile_ref: Reference
) -> None:
    """The quote can only land in names, which validation does not compare (write_csv)."""
    path = write_template(hostile_ref, PERIOD, UNIT, tmp_path / "t.csv", "csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["nama_sub_kegiatan"] == "'" + HOSTILE[0]
    prefilled = [c for c in columns(hostile_ref) if c not in input_columns(hostile_ref)]
    compared = ["tahun", "triwulan", "unit", "kode_sub_kegiatan", "pagu", "target_keuangan"]
    for row in rows:
        assert not any(row[c].startswith("'") for c in compared)
        row.update(
            realisasi_keuangan="1000",
            realisasi_fisik="50",
            realisasi_keluaran="1",
            kendala="Tagihan belum masuk",  # low capaian needs a reason and a follow-up
            tindak_lanjut="Dipercepat triwulan berikutnya",
        )
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns(hostile_ref))
        writer.writeheader()
        writer.writerows(rows)

    frame, problem = read_submission(path)
    assert problem is None
    assert set(compared) <= set(prefilled)
    validation = validate_quarter(frame, hostile_ref, PERIOD)
    assert validation.problems.empty, validation.problems.to_dict("records")
    assert validation.status == {UNIT: "accepted"}
