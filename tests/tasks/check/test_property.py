"""Arbitrary cells and shapes, through the real reader and the validator: never a crash.

Each example is a handful of submissions of copies of unit perwira with random cells (text,
huge and negative numbers, dates, formula-looking text, empty cells, unicode) and a random shape
(columns dropped, renamed or added, rows added, dropped or repeated). Each is written as an xlsx
and as a CSV, read with read_submission and validated in one validate_quarter call per example.
Every file must end accepted, or rejected with at least one problem naming it.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triwulan.tasks.check import validate as v
from triwulan.tasks.collect.ingest import META_COLS, XlsxReader, read_submission
from triwulan.tasks.core.limits import load_limits
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference, load_reference, plan_for_quarter
from triwulan.tasks.core.xlsx_safe import write_cell

PERIOD = Period(2024, 2)
COPIES = 12  # units perwira-000 … : one per generated file
UNIT = object()  # stands for the unit's own name in a generated row

REF = load_reference(2024)
COLUMNS = list(REF.kolom["kolom"])
_PLAN = plan_for_quarter(REF, PERIOD.triwulan)
BASE = [
    {
        "tahun": 2024,
        "triwulan": 2,
        "unit": UNIT,
        "kode_sub_kegiatan": r.kode_sub_kegiatan,
        "nama_sub_kegiatan": r.nama_sub_kegiatan,
        "pagu": int(r.pagu),
        "target_keuangan": int(r.target_keuangan),
        "indikator_keluaran": r.indikator_keluaran,
        "satuan": r.satuan,
        "target_keluaran": float(r.target_keluaran),
        "realisasi_keuangan": int(r.target_keuangan) // 2,
        "realisasi_fisik": 50,
        "realisasi_keluaran": 1.5,
        "kendala": "",
        "tindak_lanjut": "",
    }
    for r in _PLAN[_PLAN["unit"] == "perwira"].itertuples()
]

CELLS = st.one_of(
    st.none(),
    st.just(""),
    st.text(max_size=40),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.sampled_from(
        [
            "=SUM(A1:A3)",
            '=HYPERLINK("http://x","y")',
            "+62 812",
            "-",
            "Rp",
            "Rp 1.234.567,-",
            "1.234.567",
            "1.234.567,00",
            "1.234,567,8",
            "50,5",
            "75%",
            "JUMLAH",
            "Total",
            "#N/A",
            "\u0663",
            "\uff11\uff12\uff13",
            "9" * 5000,
            "-" + "9" * 40,
            "\u200b",
            "NaN",
            "inf",
            "1e308",
            "2024-06-30",
            "Cuaca buruk 🌧",
        ]
    ),
)


@st.composite
def submissions(draw: st.DrawFn) -> tuple[list[str], list[dict[str, Any]]]:
    """(header, rows) of one generated file."""
    header = list(COLUMNS)
    rows = [dict(r) for r in BASE]
    if draw(st.booleans()):
        gone = draw(st.sets(st.sampled_from(COLUMNS), max_size=3))
        header = [c for c in header if c not in gone]
    if draw(st.integers(0, 4)) == 0 and header:
        i = draw(st.integers(0, len(header) - 1))
        header[i] = draw(st.sampled_from([header[i][:-1], header[i].upper(), "x " + header[i]]))
    if draw(st.integers(0, 4)) == 0:
        header.append(draw(st.text(min_size=1, max_size=12)))
    for _ in range(draw(st.integers(0, 2))):
        rows.append({c: draw(CELLS) for c in header})
    if draw(st.integers(0, 3)) == 0 and rows:
        del rows[draw(st.integers(0, len(rows) - 1))]
    if draw(st.integers(0, 3)) == 0 and rows:
        rows.append(dict(rows[draw(st.integers(0, len(rows) - 1))]))
    for _ in range(draw(st.integers(0, 6))):
        if rows and header:
            row = rows[draw(st.integers(0, len(rows) - 1))]
            row[draw(st.sampled_from(header))] = draw(CELLS)
    return header, rows


def _value(cell: Any, unit: str) -> Any:
    return unit if cell is UNIT else cell


def write_xlsx(path: Path, header: list[str], rows: list[dict[str, Any]], unit: str) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "realisasi"
    for j, name in enumerate(header, start=1):
        write_cell(sheet, 1, j, name)
    for i, row in enumerate(rows, start=2):
        for j, name in enumerate(header, start=1):
            value = _value(row.get(name), unit)
            if isinstance(value, int) and abs(value) > 10**15:
                value = str(value)  # Excel keeps 15 digits; a longer number is typed as text
            write_cell(sheet, i, j, value)
    book.save(path)


def write_csv(path: Path, header: list[str], rows: list[dict[str, Any]], unit: str) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            cells = [_value(row.get(name), unit) for name in header]
            writer.writerow(["" if c is None else c for c in cells])


@pytest.fixture(scope="module")
def ref() -> Reference:
    def grow(frame: pd.DataFrame) -> pd.DataFrame:
        parts = [frame.assign(unit=frame["unit"] + f"-{i:03d}") for i in range(COPIES)]
        return pd.concat(parts, ignore_index=True)

    return dataclasses.replace(
        REF, units=grow(REF.units), sub_kegiatan=grow(REF.sub_kegiatan), anggaran=grow(REF.anggaran)
    )


@pytest.fixture(scope="module")
def reader() -> Iterator[XlsxReader]:
    with XlsxReader(load_limits()) as shared:  # one reader process for every example
        yield shared


@settings(
    max_examples=12,
    deadline=None,
    # CI must be reproducible: the same examples every run (run with more examples by hand)
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(submissions(), min_size=1, max_size=COPIES // 2))
def test_any_cells_end_accepted_or_named_in_a_problem(
    batch: list[tuple[list[str], list[dict[str, Any]]]], ref: Reference, reader: XlsxReader
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        frames, unread, names = [], {}, []
        for i, (header, rows) in enumerate(batch):
            for k, (suffix, write) in enumerate(((".xlsx", write_xlsx), (".csv", write_csv))):
                unit = f"perwira-{2 * i + k:03d}"
                path = Path(folder) / f"berkas-{i}{suffix}"
                write(path, header, rows, unit)
                names.append(path.name)
                frame, problem = read_submission(path, reader=reader)
                if problem is not None:
                    assert problem.file == path.name and problem.message
                    unread[path.name] = problem.message
                else:
                    assert set(META_COLS) <= set(frame.columns) and not frame.empty
                    frames.append(frame)
        if not frames:
            return
        raw = pd.concat(frames, ignore_index=True)
        data = [c for c in raw.columns if c not in META_COLS]
        raw[data] = raw[data].fillna("")
        result = v.validate_quarter(raw, ref, PERIOD)

    problems = result.problems
    assert list(problems.columns) == v.PROBLEM_COLUMNS
    assert problems["severity"].isin(["error", "warning"]).all()
    assert all(r is None or isinstance(r, int) for r in problems["row"])
    assert problems["message"].str.len().between(1, 2_000).all()
    named = [set(str(f).split(", ")) for f in problems["file"]]
    owner = {f: u for u, files in result.files.items() for f in files.split(", ")}
    for name in names:
        if name in unread:
            continue
        # a boolean Series, not a list: an empty list would select columns, not rows
        mine = problems[
            pd.Series([name in files for files in named], index=problems.index, dtype=bool)
        ]
        unit = owner.get(name)
        if unit is None:  # no known unit: reported under unit None, naming the file
            assert not mine.empty and mine["unit"].isna().all(), (name, mine.to_dict("records"))
        elif result.status[unit] == "accepted":
            assert mine[mine["severity"] == "error"].empty, mine.to_dict("records")
        else:
            assert not mine[mine["severity"] == "error"].empty, (name, problems.to_dict("records"))
    # accepted rows are typed and come only from accepted units
    accepted_rows = result.accepted
    assert set(accepted_rows["unit"]) <= {u for u, s in result.status.items() if s == "accepted"}
    assert accepted_rows["realisasi_keuangan"].notna().all()
