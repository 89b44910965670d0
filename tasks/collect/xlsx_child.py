"""The xlsx reader process: the bounded checks and calamine run here, under a memory cap.

Even after the checks (tasks/collect/xlsx_check.py, xlsx_scan.py), a native reader can abort on
input nobody foresaw; in this process that costs one file, not the quarter (and leaves no orphan:
it gets SIGKILL when the parent dies). The checks run here too, next to the read: a workbook is
opened, checked and read once, and the parent only assembles rows (two of these processes share
a quarter's files, tasks/collect/xlsx_reader.py).

Protocol: one JSON request per stdin line {"path", "sheets", "skip"}; `sheets` is the sheet read
first (its problem is the file's) and the others read when the workbook has them, `skip` how
many of that order were answered already (a retry after a crash). Answer lines on stdout:
{"names": [...]} (the sheets as written), then one {"sheet": s, ...} per sheet in order, with
"rows", "refused" + "details", "formulas", "absent" or "error"; or instead {"fatal": {...}}
when the file cannot be opened at all ("refused", "oserror" or "error"). Always last: {"done": 1}.
Every line resets the parent's clock: each step has the whole time limit.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from triwulan.lifeline import die_with_parent
from triwulan.tasks.collect.xlsx_check import XlsxBook
from triwulan.tasks.collect.xlsx_scan import XlsxRefused

Answer = dict[str, Any]


def cell_text(value: object) -> str:
    """A calamine cell as the text a person typed (15.0 -> '15'); typing happens in validation."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip()


def _texts(rows: list[list[object]]) -> list[list[str]]:
    """cell_text of every cell; strings (most cells) only stripped, without the checks."""
    out = []
    for row in rows:
        out.append([v.strip() if type(v) is str else cell_text(v) for v in row])
    return out


class _Calamine:
    """The workbook opened once for all its sheets (it used to be opened again per sheet)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.book: Any = None
        self.failed: Exception | None = None

    def rows(self, sheet: str) -> list[list[str]]:
        from python_calamine import CalamineWorkbook

        if self.failed is not None:
            raise self.failed
        if self.book is None:
            try:
                self.book = CalamineWorkbook.from_path(self.path)
            except Exception as exc:  # every sheet of a workbook calamine cannot open fails
                self.failed = exc
                raise
        name = next(n for n in self.book.sheet_names if n.strip().lower() == sheet)
        return _texts(self.book.get_sheet_by_name(name).to_python(skip_empty_area=False))


def _sheet(book: XlsxBook, calamine: _Calamine, sheet: str) -> Answer:
    """One sheet: checked by its scan, then read; or what kept it from being read."""
    try:
        scan = book.scan(sheet)
    except XlsxRefused as refused:
        return {"sheet": sheet, "refused": refused.kind, "details": refused.details}
    if scan is None:
        return {"sheet": sheet, "absent": True}
    if scan.formulas_without_value:
        return {"sheet": sheet, "formulas": scan.formulas_without_value}
    try:
        return {"sheet": sheet, "rows": calamine.rows(sheet)}
    except Exception as exc:  # the parent turns this into a problem of that sheet
        return {"sheet": sheet, "error": type(exc).__name__}


def _fatal(exc: Exception) -> Answer:
    """A file that cannot be checked at all, as the parent's message needs it."""
    if isinstance(exc, XlsxRefused):
        return {"fatal": {"refused": exc.kind, "details": exc.details}}
    if isinstance(exc, OSError):
        kind = type(exc).__name__
        return {"fatal": {"oserror": kind, "errno": exc.errno, "strerror": exc.strerror}}
    return {"fatal": {"error": type(exc).__name__}}


def read_book(
    path: str, sheets: list[str], skip: int, limits: dict[str, int], send: Callable[[Answer], None]
) -> None:
    """Check and read one workbook: its first sheet, then the others it has, in `sheets` order.

    A problem of the first sheet ends the file (the parent makes it the file's problem); an
    OSError or any other failure while checking makes the file unreadable, as it always did.
    """
    try:
        book = XlsxBook(Path(path), **limits)
    except Exception as exc:
        send(_fatal(exc))
        return
    with book:
        send({"names": book.names})
        present = {s.strip().lower() for s in book.names}
        order = [sheets[0], *(s for s in sheets[1:] if s in present)]
        calamine = _Calamine(path)
        for sheet in order[skip:]:
            try:
                answer = _sheet(book, calamine, sheet)
            except Exception as exc:  # OSError (file gone) or a check's own failure
                send(_fatal(exc))
                return
            send(answer)
            if sheet == sheets[0] and "rows" not in answer:
                return


def _send(answer: Answer) -> None:
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")
    sys.stdout.buffer.flush()


def main() -> None:
    die_with_parent()
    memory_mb, max_total, max_ratio, max_rows, max_cols = map(int, sys.argv[1:6])
    limit = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    limits = {
        "max_total": max_total,
        "max_ratio": max_ratio,
        "max_rows": max_rows,
        "max_cols": max_cols,
    }
    for line in sys.stdin.buffer:
        request = json.loads(line)
        read_book(request["path"], request["sheets"], request.get("skip", 0), limits, _send)
        _send({"done": 1})
    os._exit(0)


if __name__ == "__main__":
    main()
