"""Numbers as people type them (tasks.core.parse.read_rupiah / read_decimal), and from a real xlsx."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from triwulan.tasks.check import validate as v
from triwulan.tasks.collect.ingest import read_submission
from triwulan.tasks.core import parse
from triwulan.tasks.core.parse import Reading, read_decimal, read_rupiah
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import load_reference, plan_for_quarter
from triwulan.tasks.core.submission import columns
from triwulan.tasks.core.xlsx_safe import write_cell


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234567", Reading(1234567, True)),
        ("-5", Reading(-5, True)),
        ("1.234.567", Reading(1234567, False)),
        ("Rp 1.234.567", Reading(1234567, False)),
        ("Rp1.234.567,-", Reading(1234567, False)),
        ("rp. 1.234.567,--", Reading(1234567, False)),
        ("1.234.567,00", Reading(1234567, False)),
        ("1234567,00", Reading(1234567, False)),
        ("1234567.0", Reading(1234567, False)),
        ("1,234,567", Reading(1234567, False)),
        ("1,234,567.00", Reading(1234567, False)),
        ("1 234 567", Reading(1234567, False)),
        ("1\u00a0234\u00a0567", Reading(1234567, False)),
        ("1.000", Reading(1000, False)),  # in money a dot before three digits groups thousands
        ("-Rp 5.000", Reading(-5000, False)),
        ("Rp -5.000", Reading(-5000, False)),
        ("1.234,567,8", parse.UNREAD),  # reads two ways
        ("1.234.567.00", parse.UNREAD),
        ("12,5", parse.UNREAD),  # no whole rupiah
        ("1234567.5", parse.UNREAD),
        ("0.500", parse.UNREAD),
        ("abc", parse.UNREAD),
        ("Rp", parse.UNREAD),
        ("-", parse.UNREAD),
        ("", parse.UNREAD),
        ("\u0663", parse.UNREAD),  # an Arabic-Indic digit is no ASCII digit
        ("9" * 20, parse.UNREAD),  # beyond int64
        ("9" * 5000, parse.UNREAD),  # beyond the digit limit: refused before any regex
        ("Rp " + "9.999" * 2000, parse.UNREAD),
    ],
)
def test_read_rupiah(text: str, expected: Reading) -> None:
    assert read_rupiah(text) == expected


@pytest.mark.parametrize(
    ("text", "percent", "expected"),
    [
        ("75", True, Reading(75.0, True)),
        ("50,5", True, Reading(50.5, True)),  # the contract's decimal comma
        ("50.5", True, Reading(50.5, True)),  # how the xlsx reader writes a float
        ("0,125", False, Reading(0.125, True)),
        ("1e-05", False, Reading(1e-05, True)),
        ("75%", True, Reading(75.0, False)),
        ("75%", False, parse.UNREAD),  # '%' only where a percentage is asked
        ("1.000", False, Reading(1.0, False)),  # read as before, but shown: maybe a thousand
        ("82.500", True, Reading(82.5, False)),
        ("1.234,5", False, Reading(1234.5, False)),
        ("1,234.5", False, Reading(1234.5, False)),
        ("1.234.567", False, Reading(1234567.0, False)),
        ("-1", False, Reading(-1.0, True)),
        ("1,2,3", False, parse.UNREAD),
        ("1.234,567,8", False, parse.UNREAD),
        ("x", False, parse.UNREAD),
        ("9" * 400, False, parse.UNREAD),
        ("1e999", False, parse.UNREAD),
    ],
)
def test_read_decimal(text: str, percent: bool, expected: Reading) -> None:
    assert read_decimal(text, percent=percent) == expected


def test_strict_parsers_are_unchanged() -> None:
    """Reference data and templates keep the strict readers: '1.000' is no whole rupiah there."""
    assert parse.parse_int("1.000") is None and parse.parse_number("1.000,5") is None


def test_numbers_in_an_xlsx_as_people_type_them(tmp_path: Path) -> None:
    """Text cells ('1234567', 'Rp 1.234.567,-') and numbers read to their value; one warning."""
    ref = load_reference(2024)
    period = Period(2024, 2)
    plan = plan_for_quarter(ref, 2)
    mine = plan[plan["unit"] == "perwira"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "realisasi"
    keys = columns(ref)
    for j, key in enumerate(keys, start=1):
        write_cell(sheet, 1, j, key)
    money = ["1890000", "Rp 100.000.000,-", 276_757_400, "10.000.000"]  # text, text, number, text
    for i, r in enumerate(mine.itertuples(), start=2):
        row = {
            "tahun": 2024,
            "triwulan": 2,
            "unit": "perwira",
            "kode_sub_kegiatan": r.kode_sub_kegiatan,
            "nama_sub_kegiatan": r.nama_sub_kegiatan,
            "pagu": int(r.pagu),
            "target_keuangan": str(r.target_keuangan),  # a number stored as text
            "indikator_keluaran": r.indikator_keluaran,
            "satuan": r.satuan,
            "target_keluaran": float(r.target_keluaran),
            "realisasi_keuangan": money[i - 2],
            "realisasi_fisik": 50.5,
            "realisasi_keluaran": "1",
            "kendala": "",
            "tindak_lanjut": "",
        }
        for j, key in enumerate(keys, start=1):
            write_cell(sheet, i, j, row[key])
    path = tmp_path / "perwira.xlsx"
    book.save(path)

    frame, problem = read_submission(path)
    assert problem is None
    result = v.validate_quarter(frame, ref, period)
    assert result.status == {"perwira": "accepted"}
    p = result.problems
    found = list(zip(p["rule"], p["row"], p["column"], strict=True))
    assert found == [("angka_tidak_baku", 3, "realisasi_keuangan")]
    message = result.problems.iloc[0]["message"]
    assert "di 2 baris (baris 3, 5)" in message
    assert "'Rp 100.000.000,-' dibaca sebagai 100000000" in message
    assert list(result.accepted["realisasi_keuangan"]) == [
        1_890_000,
        100_000_000,
        276_757_400,
        10_000_000,
    ]
    assert list(result.accepted["realisasi_fisik"]) == [50.5] * 4
