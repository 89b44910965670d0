"""Text tables instead of a frame per file: the quarter's frames must be exactly what one pandas
frame per file, concatenated, gave (kept below as the oracle), dtypes and column order included."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from triwulan.tasks.collect.messages import FileProblem
from triwulan.tasks.collect.tables import (
    HEADER_SEP,
    META_COLS,
    Table,
    frame_of,
    identity,
    iku_table,
    rows_to_table,
)
from triwulan.tasks.collect.xlsx_child import cell_text
from triwulan.tasks.core.iku_input import IDENTITY

# ------------------------------------------------------------ the oracle: a frame per file


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=META_COLS)


def reference_rows_to_frame(
    rows: list[list[object]], name: str
) -> tuple[pd.DataFrame, FileProblem | None]:
    texts = [[cell_text(v) for v in raw] for raw in rows]
    start = next((i for i, cells in enumerate(texts) if any(cells)), None)
    if start is None:
        return _empty(), FileProblem(name, "kosong")
    header = [h.lower() for h in texts[start]]
    named = [(i, h) for i, h in enumerate(header) if h and h not in META_COLS]
    where: dict[str, list[int]] = defaultdict(list)
    for i, h in named:
        where[h].append(i)
    if any(len(cols) > 1 for cols in where.values()):
        return _empty(), FileProblem(name, "ganda")
    kolom = HEADER_SEP.join(h for _, h in named)
    body = []
    for number, cells in enumerate(texts[start + 1 :], start=start + 2):
        values = [cells[i] if i < len(cells) else "" for i, _ in named]
        if any(values):
            body.append([*values, name, number, kolom])
    frame = pd.DataFrame(body, columns=[*(h for _, h in named), *META_COLS])
    frame["_row"] = frame["_row"].astype("int64")
    if frame.empty:
        return frame, FileProblem(name, "tanpa baris")
    return frame, None


def reference_identity(frame: pd.DataFrame) -> dict[str, str]:
    out = {}
    for col in IDENTITY:
        values = frame[col][frame[col] != ""] if col in frame else pd.Series(dtype=str)
        out[col] = str(values.mode().iloc[0]) if len(values) else ""
    return out


def reference_iku_frame(
    rows: list[list[object]], name: str, ident: dict[str, str]
) -> pd.DataFrame | FileProblem:
    frame, problem = reference_rows_to_frame(rows, name)
    has_text = any(any(str(c).strip() for c in r) for r in rows)
    if problem is not None and has_text and all(c in META_COLS for c in frame.columns):
        return problem
    for col in reversed(IDENTITY):
        if col not in frame.columns:
            frame.insert(0, col, ident.get(col, ""))
    return frame


def reference_combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return _empty()
    combined = pd.concat(frames, ignore_index=True)
    data = [c for c in combined.columns if c not in META_COLS]
    combined[data] = combined[data].fillna("")
    return combined[[*data, *META_COLS]]


# ------------------------------------------------------------------------- generated sheets

NAMES = ["tahun", "Unit", "triwulan", "pagu", "_file", "_row", "", " catatan ", "no_zona", "X"]
CELLS = st.one_of(
    st.sampled_from(["", " ", "a", "b", "2024", "perwira", "B"]),
    st.none(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
)
SHEETS = st.lists(
    st.lists(st.one_of(CELLS, st.sampled_from(NAMES)), max_size=7), max_size=6
) | st.builds(
    lambda header, body: [header, *body],
    st.lists(st.sampled_from(NAMES), min_size=1, max_size=7, unique_by=str.lower),
    st.lists(st.lists(CELLS, max_size=8), max_size=5),
)


def same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert list(new.dtypes.astype(str)) == list(old.dtypes.astype(str))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(sheets=st.lists(SHEETS, max_size=6))
def test_tables_give_the_frames_per_file_frames_gave(sheets: list[list[list[object]]]) -> None:
    old_main, new_main, old_iku, new_iku = [], [], [], []
    for i, rows in enumerate(sheets):
        name = f"berkas-{i}.xlsx"
        frame, problem = reference_rows_to_frame(rows, name)
        table, new_problem = rows_to_table(rows, name)
        assert (problem is None) == (new_problem is None)
        if problem is None:
            same(frame_of([table]), frame)
            old_main.append(frame)
            new_main.append(table)
            assert identity(table) == reference_identity(frame)
        ident = {"tahun": "2024", "unit": f"u{i}"}
        old = reference_iku_frame(rows, name, ident)
        new = iku_table(rows, name, ident)
        assert isinstance(new, FileProblem) == isinstance(old, FileProblem)
        if isinstance(old, pd.DataFrame):
            assert isinstance(new, Table)
            same(frame_of([new]), old)
            old_iku.append(old)
            new_iku.append(new)
    same(frame_of(new_main), reference_combine(old_main))
    same(frame_of(new_iku), reference_combine(old_iku))


def test_ties_in_the_identity_take_the_smallest_as_pandas_did() -> None:
    rows: list[list[object]] = [["tahun", "unit"], ["2024", "b"], ["2023", "a"], ["", "Z"]]
    table, _ = rows_to_table(rows, "f.xlsx")
    frame, _ = reference_rows_to_frame(rows, "f.xlsx")
    assert (
        identity(table)
        == reference_identity(frame)
        == {
            "tahun": "2023",
            "triwulan": "",
            "unit": "Z",
        }
    )
