"""The xlsx reader process: calamine runs here, under a memory cap, and dies with its parent.

Even after tasks.collect.xlsx_check, a native reader can abort on input nobody foresaw; in this process
that costs one file, not the quarter (and leaves no orphan: it gets SIGKILL when the parent dies).
Protocol: one JSON request per stdin line {"path", "sheet"}, one JSON answer per stdout line:
{"rows": [[text, ...], ...]} or {"error": "<exception class>"}.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys

from triwulan.lifeline import die_with_parent


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


def read_rows(path: str, sheet: str) -> list[list[str]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(path)
    name = next(n for n in book.sheet_names if n.strip().lower() == sheet)
    rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return [[cell_text(v) for v in row] for row in rows]


def main() -> None:
    die_with_parent()
    limit = int(sys.argv[1]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer: dict[str, object] = {"rows": read_rows(request["path"], request["sheet"])}
        except Exception as exc:  # the parent turns this into a problem of that file
            answer = {"error": type(exc).__name__}
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
