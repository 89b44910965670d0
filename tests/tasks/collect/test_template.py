"""The template must be usable by people (xlsx) and read back unchanged by ingest (xlsx and CSV)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from tests.filled import filled_template
from triwulan.tasks.collect.ingest import read_submission
from triwulan.tasks.collect.template import RUPIAH_FORMAT, write_template, write_xlsx
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.period import Period, parse_period
from triwulan.tasks.core.reference import Reference, load_reference, plan_for_quarter
from triwulan.tasks.core.submission import columns, input_columns, prefilled_frame

UNIT = "perwira"
PREFILLED = [
    "tahun",
    "triwulan",
    "unit",
    "kode_sub_kegiatan",
    "nama_sub_kegiatan",
    "pagu",
    "target_keuangan",
    "indikator_keluaran",
    "satuan",
    "target_keluaran",
]


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference(2024)


@pytest.fixture(scope="module")
def period() -> Period:
    return parse_period("2024-TW2")


def _expected(ref: Reference, period: Period) -> pd.DataFrame:
    """Straight from the reference, as the text ingest yields (money as integer text)."""
    plan = plan_for_quarter(ref, period.triwulan)
    plan = plan[plan["unit"] == UNIT].reset_index(drop=True)
    return pd.DataFrame(
        {
            "tahun": "2024",
            "triwulan": "2",
            "unit": UNIT,
            "kode_sub_kegiatan": plan["kode_sub_kegiatan"],
            "nama_sub_kegiatan": plan["nama_sub_kegiatan"],
            "pagu": plan["pagu"].map(lambda v: str(int(v))),
            "target_keuangan": plan["target_keuangan"].map(lambda v: str(int(v))),
            "indikator_keluaran": plan["indikator_keluaran"],
            "satuan": plan["satuan"],
            "target_keluaran": plan["target_keluaran"].map(lambda v: f"{v:g}"),
        }
    )


def _filled(n: int) -> list[dict[str, object]]:
    """Typical answers, including money above 2**31 and a decimal percentage."""
    return [
        {
            "realisasi_keuangan": 4_110_208_132 if i == 0 else 1_250_000 * i,
            "realisasi_fisik": 82.5 if i == 0 else 40 + i,
            "realisasi_keluaran": i + 1,
            "kendala": "Cuaca buruk; pekerjaan tertunda" if i == 0 else None,
            "tindak_lanjut": "Jadwal ulang" if i == 0 else None,
        }
        for i in range(n)
    ]


def _check_round_trip(frame: pd.DataFrame, ref: Reference, period: Period) -> None:
    expected = _expected(ref, period)
    assert len(frame) == len(expected) > 0
    assert list(frame.columns[: len(columns(ref))]) == columns(ref)
    for col in PREFILLED:
        assert list(frame[col]) == list(expected[col]), col
    answers = _filled(len(expected))
    assert list(frame["realisasi_keuangan"]) == [str(a["realisasi_keuangan"]) for a in answers]
    assert [float(v) for v in frame["realisasi_fisik"]] == [a["realisasi_fisik"] for a in answers]
    assert list(frame["realisasi_keluaran"]) == [str(a["realisasi_keluaran"]) for a in answers]
    assert list(frame["kendala"]) == [a["kendala"] or "" for a in answers]
    assert list(frame["tindak_lanjut"]) == [a["tindak_lanjut"] or "" for a in answers]


def test_xlsx_is_made_for_people(tmp_path: Path, ref: Reference, period: Period) -> None:
    path = write_template(ref, period, UNIT, tmp_path / "t.xlsx", "xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["realisasi", "zona_k3", "petunjuk"]  # a kelurahan: its zona K3
    ws = book["realisasi"]
    keys = columns(ref)
    assert [c.value for c in ws[1]] == keys
    rows = len(_expected(ref, period))
    assert ws.max_row == rows + 1

    assert ws.protection.sheet
    assert not ws.protection.formatColumns  # resizing columns stays allowed
    assert ws.protection.insertRows and ws.protection.deleteRows  # the row set is the contract

    inputs = set(input_columns(ref))
    kinds = dict(zip(ref.kolom["kolom"], ref.kolom["tipe"], strict=True))
    for index, key in enumerate(keys, start=1):
        for row in range(2, rows + 2):
            cell = ws.cell(row=row, column=index)
            assert cell.protection.locked is (key not in inputs), cell.coordinate
            assert cell.fill.fgColor.rgb.endswith("FFF2CC" if key in inputs else "D9D9D9")
            if kinds[key] == "rupiah":
                assert cell.number_format == RUPIAH_FORMAT
            if key in ("pagu", "target_keuangan", "tahun", "triwulan"):
                assert type(cell.value) is int

    rules = {}
    for validation in ws.data_validations.dataValidation:
        for key in inputs:
            letter = get_column_letter(keys.index(key) + 1)
            if f"{letter}2" in validation.sqref and f"{letter}{rows + 1}" in validation.sqref:
                rules[key] = validation
    assert set(rules) == inputs
    keuangan = rules["realisasi_keuangan"]
    letter = get_column_letter(keys.index("realisasi_keuangan") + 1)
    # custom formula, not "whole": Excel's whole-number rule stops at 2.147.483.647
    assert keuangan.type == "custom"
    assert keuangan.formula1 == (f"AND(ISNUMBER({letter}2),{letter}2>=0,{letter}2=INT({letter}2))")
    assert keuangan.showErrorMessage and "bulat" in keuangan.error and keuangan.prompt
    fisik = rules["realisasi_fisik"]
    assert (fisik.type, fisik.operator, fisik.formula1, fisik.formula2) == (
        "decimal",
        "between",
        "0",
        "100",
    )
    keluaran = rules["realisasi_keluaran"]
    assert (keluaran.type, keluaran.operator, keluaran.formula1) == (
        "decimal",
        "greaterThanOrEqual",
        "0",
    )

    assert ws.freeze_panes is not None
    frozen = ws[ws.freeze_panes]
    assert frozen.row == 2 and frozen.column > keys.index("kode_sub_kegiatan") + 1

    guide = "\n".join(
        str(v) for row in book["petunjuk"].iter_rows(values_only=True) for v in row if v is not None
    )
    for text in ("Kelurahan Perwira", "Triwulan II Tahun 2024", "kumulatif", "xlsx", *keys):
        assert text in guide, text
    for title in ref.kolom["judul"]:
        assert title in guide


def test_xlsx_round_trip(tmp_path: Path, ref: Reference, period: Period) -> None:
    path = write_template(ref, period, UNIT, tmp_path / "t.xlsx", "xlsx")
    book = load_workbook(path)
    ws = book["realisasi"]
    keys = columns(ref)
    for row, answer in enumerate(_filled(ws.max_row - 1), start=2):
        for key, value in answer.items():
            ws.cell(row=row, column=keys.index(key) + 1, value=value)
    book.save(path)

    frame, problem = read_submission(path)
    assert problem is None
    _check_round_trip(frame, ref, period)


def test_filling_only_input_columns_gives_a_valid_submission(
    tmp_path: Path, ref: Reference, period: Period
) -> None:
    """A clerk fills the yellow columns with plausible figures; the real validator accepts it."""
    from triwulan.tasks.check.validate import validate_quarter

    path = filled_template(ref, period, UNIT, tmp_path / "diisi.xlsx")  # yellow columns only

    frame, problem = read_submission(path)
    assert problem is None
    validation = validate_quarter(frame, ref, period)
    assert validation.problems.empty, validation.problems.to_dict("records")
    assert validation.status == {UNIT: "accepted"}
    assert len(validation.accepted) == len(frame) == 4


def test_csv_round_trip(tmp_path: Path, ref: Reference, period: Period) -> None:
    path = write_template(ref, period, UNIT, tmp_path / "t.csv", "csv")
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(columns(ref))
    assert ".0," not in text  # target_keluaran 15.0 is written 15

    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row, answer in zip(rows, _filled(len(rows)), strict=True):
        row.update({k: "" if v is None else str(v) for k, v in answer.items()})
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns(ref))
        writer.writeheader()
        writer.writerows(rows)

    frame, problem = read_submission(path)
    assert problem is None
    _check_round_trip(frame, ref, period)


def test_prefilled_answers_are_written_as_numbers(
    tmp_path: Path, ref: Reference, period: Period
) -> None:
    """The sample generator hands over frames with answers; they must stay numbers in Excel."""
    frame = prefilled_frame(ref, period, UNIT)
    n = len(frame)
    frame["realisasi_keuangan"] = [1_500_000] * n
    frame["realisasi_fisik"] = ["82.5"] * n
    frame["realisasi_keluaran"] = [2.0] * n
    frame["kendala"] = ["=bukan rumus", "#N/A"] + [None] * (n - 2)
    path = tmp_path / "s.xlsx"
    write_xlsx(frame, path, ref, period, UNIT)
    ws = load_workbook(path)["realisasi"]
    keys = columns(ref)
    cell = {key: ws.cell(row=2, column=keys.index(key) + 1) for key in keys}
    assert type(cell["realisasi_keuangan"].value) is int
    assert cell["realisasi_fisik"].value == 82.5
    assert type(cell["realisasi_keluaran"].value) is int
    assert cell["kendala"].data_type == "s"  # user text is never turned into a formula
    assert ws.cell(row=3, column=keys.index("kendala") + 1).data_type == "s"  # nor an error
    assert cell["target_keluaran"].value == 15


def test_unknown_unit_lists_the_known_ones(tmp_path: Path, ref: Reference, period: Period) -> None:
    with pytest.raises(TriwulanError) as caught:
        write_template(ref, period, "perwiraa", tmp_path / "t.xlsx", "xlsx")
    message = str(caught.value)
    assert "tidak dikenal" in message
    assert all(unit in message for unit in ref.units["unit"])
    assert not (tmp_path / "t.xlsx").exists()


@pytest.mark.parametrize(("name", "fmt"), [("t.xlsx", "csv"), ("t.xlsx", "ods")])
def test_format_must_match(
    tmp_path: Path, ref: Reference, period: Period, name: str, fmt: str
) -> None:
    with pytest.raises(TriwulanError):
        write_template(ref, period, UNIT, tmp_path / name, fmt)
