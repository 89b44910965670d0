"""A sheet's rows as a text table, and a quarter's tables of one sheet kind as one frame.

Each row keeps `_file` (name as received), `_row` (row number as the user sees it in Excel) and
`_kolom` (the file's own header joined by "|"): a column absent from one file is "" when another
file has it, so only `_kolom` tells "absent" from "left empty".

A table is plain lists, not a pandas frame: a province's quarter has thousands of files, and a
frame per file (built, compared, inserted into, concatenated) cost more than reading them.
`frame_of` builds one frame per sheet kind, exactly the frame that concatenating per-file
frames gave, dtypes included (tests/tasks/collect/test_tables.py keeps that as the oracle).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from triwulan.tasks.collect.messages import FileProblem
from triwulan.tasks.collect.xlsx_child import cell_text
from triwulan.tasks.core.iku_input import IDENTITY

META_COLS = ["_file", "_row", "_kolom"]
HEADER_SEP = "|"


@dataclass(frozen=True)
class Table:
    """One sheet of one file: data columns, then META_COLS, and rows in that order.

    `loose`: columns a frame of this table alone holds as object, not str (a sheet without data
    rows gives no values to infer from); they stay object in the quarter's frame too.
    """

    columns: list[str]
    rows: list[list[object]]
    loose: frozenset[str] = frozenset()


EMPTY = Table(list(META_COLS), [], frozenset(META_COLS))


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame(columns=META_COLS)


def column_letter(index: int) -> str:
    """0 -> 'A', 27 -> 'AB': how Excel (and a CSV opened in Excel) names the column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _duplicated(named: list[tuple[int, str]]) -> dict[str, list[int]]:
    """Header name -> its column positions, for names that occur more than once."""
    where: dict[str, list[int]] = defaultdict(list)
    for i, h in named:
        where[h].append(i)
    return {h: cols for h, cols in where.items() if len(cols) > 1}


def rows_to_table(
    rows: Sequence[Sequence[object]], name: str, texts: bool = False
) -> tuple[Table, FileProblem | None]:
    """Text table of a sheet's rows; the header is the first non-empty row.

    Columns with an empty header are dropped, and so are rows empty in every named column
    (trailing rows Excel keeps after content was deleted). `texts`: the cells are cell_text
    already (the reader process made them so).
    """
    cells_of: Sequence[Sequence[object]] = (
        rows if texts else [[cell_text(v) for v in raw] for raw in rows]
    )
    start = next((i for i, cells in enumerate(cells_of) if any(cells)), None)
    if start is None:
        return EMPTY, FileProblem(name, f"Berkas {name} kosong (tidak ada judul kolom).")
    header = [str(h).lower() for h in cells_of[start]]
    named = [(i, h) for i, h in enumerate(header) if h and h not in META_COLS]
    repeated = _duplicated(named)
    if repeated:
        listed = ", ".join(
            f"'{h}' (kolom {' dan '.join(column_letter(i) for i in cols)})"
            for h, cols in repeated.items()
        )
        return EMPTY, FileProblem(
            name,
            f"Berkas {name} memuat judul kolom ganda: {listed}. Setiap kolom hanya boleh ada "
            "satu kali; hapus kolom yang ganda (gunakan templat triwulan ini) lalu kirim lagi.",
        )
    kolom = HEADER_SEP.join(h for _, h in named)
    positions = [i for i, _ in named]
    body: list[list[object]] = []
    for number, cells in enumerate(cells_of[start + 1 :], start=start + 2):  # Excel row numbers
        width = len(cells)
        values: list[object] = [cells[i] if i < width else "" for i in positions]
        if any(values):
            values += [name, number, kolom]
            body.append(values)
    columns = [*(h for _, h in named), *META_COLS]
    if not body:
        loose = frozenset(c for c in columns if c != "_row")
        return Table(columns, [], loose), FileProblem(
            name, f"Berkas {name} tidak berisi baris data."
        )
    return Table(columns, body), None


def identity(table: Table) -> dict[str, str]:
    """tahun, triwulan and unit of a realisasi table: each column's most common non-empty text
    (the smallest of equally common ones, as pandas' mode gave)."""
    out = {}
    for col in IDENTITY:
        counts: Counter[object] = Counter()
        if col in table.columns:
            at = table.columns.index(col)
            counts.update(v for row in table.rows if (v := row[at]) != "")
        if counts:
            top = max(counts.values())
            out[col] = str(min(v for v, n in counts.items() if n == top))
        else:
            out[col] = ""
    return out


def iku_table(
    rows: Sequence[Sequence[object]], name: str, ident: dict[str, str], texts: bool = False
) -> Table | FileProblem:
    """An IKU sheet's rows (possibly none: a quarter without survey); identity filled in.

    "No data rows" and "no header at all" are fine for an IKU sheet (nothing this quarter); any
    other problem (e.g. a header twice) is the sheet's.
    """
    table, problem = rows_to_table(rows, name, texts)
    if (
        problem is not None
        and all(c in META_COLS for c in table.columns)
        and any(any(str(c).strip() for c in r) for r in rows)  # some text: a header problem
    ):
        return problem
    missing = [col for col in IDENTITY if col not in table.columns]
    if not missing:
        return table
    prefix = [ident.get(col, "") for col in missing]
    return Table([*missing, *table.columns], [[*prefix, *row] for row in table.rows], table.loose)


def frame_of(tables: list[Table]) -> pd.DataFrame:
    """One frame of a sheet kind: the union of the columns (data columns first, in the order
    they first appear, then META_COLS), "" where a file lacks a column.

    dtypes as pd.concat gave them: object where any file's own frame held the column as object,
    int64 for `_row` otherwise, str for the rest.
    """
    if not tables:
        return empty_frame()
    order: dict[str, None] = {}
    for table in tables:
        order.update(dict.fromkeys(table.columns))
    columns = [c for c in order if c not in META_COLS] + META_COLS
    values: dict[str, list[object]] = {c: [] for c in columns}
    for table in tables:
        count = len(table.rows)
        if not count:
            continue
        by_column = dict(zip(table.columns, zip(*table.rows, strict=True), strict=True))
        for column in columns:
            got = by_column.get(column)
            values[column].extend(got if got is not None else [""] * count)
    loose = frozenset().union(*(t.loose for t in tables))
    data: dict[str, object] = {}
    for column in columns:
        if column in loose:
            data[column] = pd.Series(values[column], dtype=object)
        elif column == "_row":
            data[column] = np.array(values[column], dtype="int64")
        else:
            data[column] = pd.Series(values[column], dtype="str")
    return pd.DataFrame(data, columns=columns)
