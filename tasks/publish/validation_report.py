"""What validation checked, rule by rule: validasi.html in the version folder.

Per rule of the suite: files and rows checked, passed and failed, and the failing rows, derived
from the problem records {unit, file, row, column, rule, severity, message} alone. A rule's level
says whether it counts rows or files; a message read back against its rule's template
(tasks.check.problem_details) gives the rows a file-level problem stands for. Nothing here changes the
records. The GX Data Docs the page links to are built by tasks.publish.data_docs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.tasks.check.attribution import RULE as UNREADABLE_RULE
from triwulan.tasks.check.columns import ColumnLabels, labelled, shared_labels
from triwulan.tasks.check.problem_details import (  # noqa: F401  (message_fields: used via this module)
    entry_of,
    message_fields,
    suite_entries,
)
from triwulan.tasks.check.rule_text import rule_descriptions
from triwulan.tasks.check.suite import Suite, load_suite
from triwulan.tasks.core import fmt
from triwulan.tasks.core.period import parse_period
from triwulan.tasks.publish.data_docs import (  # noqa: F401  (write_data_docs: used via this module)
    DOCS_EXAMPLES,
    write_data_docs,
)
from triwulan.tasks.publish.report import capped, environment, mark_of, more_line, split_problems

UNKNOWN_RULE = "Pemeriksaan lain"  # a rule no suite file describes (never shown by its id)
RULE_ROWS_LISTED = 50  # failing rows listed per rule in validasi.html; the rest is counted
REPORT_NAME = "validasi.html"
# validate.bound_rows: the line that counts the rows of a rule left out of the list
_REST = re.compile(r"^… dan ([\d.]+) baris lain dengan masalah yang sama \(baris (.*)\)\.$")


# --- counting per rule ----------------------------------------------------------------------

LEVEL_LABEL = {
    "row": "per baris",
    "file_rows": "per berkas (baris dihitung)",
    "file": "per berkas",
    "unit": "per unit",
}


def _row_set(text: str) -> set[int] | None:
    """'2–5, 9' -> {2, 3, 4, 5, 9}; None when the list was cut ('…') or is not a row list."""
    if "…" in text:
        return None
    rows: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        first, dash, last = part.partition("–")
        if not first.isdigit() or (dash and not last.isdigit()):
            return None
        rows.update(range(int(first), int(last or first) + 1))
    return rows


def _number(text: str) -> int:
    digits = text.replace(".", "")
    return int(digits) if digits.isdigit() else 0


def _files(cell: Any) -> list[str]:
    """A unit's file cell ('a.xlsx, b.xlsx' when it sent several) as file names."""
    if fmt.is_missing(cell):
        return []
    return [f.strip() for f in str(cell).split(",") if f.strip()]


def problem_rows(summary: Mapping[str, Any], problems: Any = None) -> list[dict[str, Any]]:
    """Problem records with unit and file: the given ones, else those in summary['units'].

    `problems`: validation's problem frame or records (the 7 fields). From the summary, a
    problem's file is its unit's file cell.
    """
    if problems is not None:
        frame = problems if isinstance(problems, pd.DataFrame) else pd.DataFrame(list(problems))
        return [
            {k: (None if fmt.is_missing(v) else v) for k, v in r.items()}
            for r in frame.to_dict("records")
        ]
    out = []
    for unit in summary.get("units") or []:
        for p in unit.get("problems") or []:
            out.append({"unit": unit.get("unit"), "file": unit.get("file"), **dict(p)})
    return out


def checked_files(summary: Mapping[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    """Every file validation saw: each unit's file(s), then files of no known unit.

    A file that could not be read (its problem is attribution.RULE) never reached the rules.
    """
    files: dict[str, None] = {}
    for unit in summary.get("units") or []:
        if unit.get("status") != "missing":
            files.update(dict.fromkeys(_files(unit.get("file"))))
    for r in rows:
        files.update(dict.fromkeys(_files(r.get("file"))))
    unread = set()
    for r in rows:
        named = _files(r.get("file"))
        if r.get("rule") == UNREADABLE_RULE and len(named) == 1:  # else: the unit's whole cell
            unread.update(named)
    return [f for f in files if f not in unread]


def _failing_rows(problem: Mapping[str, Any], fields: Mapping[str, str] | None) -> tuple[set, int]:
    """(rows named exactly, rows only counted) that one problem stands for."""
    row = problem.get("row")
    if row is not None and not fmt.is_missing(row):
        if fields and "baris" in fields:  # level file_rows: one problem for many rows
            exact = _row_set(fields["baris"])
            if exact is not None:
                return exact, 0
            return set(), _number(fields.get("jumlah", "")) or 1
        return {int(float(row))}, 0
    rest = _REST.match(str(problem.get("message") or ""))
    if rest:
        exact = _row_set(rest.group(2))
        return (exact, 0) if exact is not None else (set(), _number(rest.group(1)))
    return set(), 0


def rule_summaries(
    summary: Mapping[str, Any],
    suite: Suite,
    problems: Any = None,
    rows_per_file: Mapping[str, int] | None = None,
    listed: int | None = None,
    labels: ColumnLabels | None = None,
) -> list[dict[str, Any]]:
    """One entry per rule id of the suite (file order), then problems of no suite rule.

    Per rule: its plain description ('uraian', tasks.check.rule_text); files checked, failed
    and passed; failing rows and, with `rows_per_file`, rows checked and passed (rules of level
    file/unit count files only); the failing problems, at most `listed` (RULE_ROWS_LISTED) of
    them, each with its column as labelled in the template ('kolom', default `labels`: those of
    the reference root in use), and a line counting the rest.
    """
    listed = RULE_ROWS_LISTED if listed is None else listed
    labels = labels or shared_labels()
    descriptions = rule_descriptions(suite)
    rows = problem_rows(summary, problems)
    files = checked_files(summary, rows)
    names = {u.get("unit"): u.get("nama") or u.get("unit") for u in summary.get("units") or []}
    entries = suite_entries(suite)
    total_rows = None
    if rows_per_file is not None:
        total_rows = sum(int(rows_per_file.get(f, 0)) for f in files)

    by_rule: dict[str, dict[str, Any]] = {}
    for entry in entries:
        item = by_rule.setdefault(
            entry.rule.rule,
            {
                "rule": entry.rule.rule,
                "severity": entry.rule.severity,
                "level": entry.rule.level,
                "messages": [],
                "checks": [],
                "problems": [],
                "in_suite": True,
                "counts_rows": False,
            },
        )
        # pandas checks (missing columns, missing rows) name no rows: they count files only
        item["counts_rows"] |= entry.kind == "gx" and entry.rule.level in ("row", "file_rows")
        if entry.rule.message not in item["messages"]:
            item["messages"].append(entry.rule.message)
        item["checks"].append(
            f"{entry.name} ({entry.kwargs.get('column')})"
            if entry.kind == "gx" and entry.kwargs.get("column")
            else entry.name
        )
    for r in rows:
        rule = str(r.get("rule") or "-")
        item = by_rule.setdefault(
            rule,
            {
                "rule": rule,
                "severity": r.get("severity") or "error",
                "level": "file",
                "messages": [],
                "checks": [],
                "problems": [],
                "in_suite": False,
                "counts_rows": False,
            },
        )
        item["problems"].append(r)

    out = []
    for item in by_rule.values():
        exact: dict[str, set[int]] = {}
        counted: dict[str, int] = {}
        failed_files: dict[str, None] = {}
        for p in item["problems"]:
            try:
                fields = entry_of(p, entries)[1]
            except LookupError:
                fields = None
            for f in _files(p.get("file")) or ["-"]:
                failed_files[f] = None
            where = str(p.get("file") or "-")
            named, more = _failing_rows(p, fields)
            exact.setdefault(where, set()).update(named)
            counted[where] = counted.get(where, 0) + more
        failing = 0
        for where in set(exact) | set(counted):
            n = len(exact.get(where, ())) + counted.get(where, 0)
            if rows_per_file is not None and where in rows_per_file:
                n = min(n, int(rows_per_file[where]))
            failing += n
        by_rows = item["counts_rows"]
        errors, warnings = split_problems(item["problems"])
        shown, more = capped(
            [
                labelled(p, labels) | {"nama": names.get(p.get("unit")) or "(tidak dikenal)"}
                for p in errors + warnings
            ],
            listed,
        )
        checked = len(files)
        failed = len([f for f in failed_files if f != "-"])
        out.append(
            item
            | {
                "uraian": descriptions.get(item["rule"]) or UNKNOWN_RULE,
                "files_checked": checked,
                "files_failed": failed,
                "files_passed": max(checked - failed, 0) if item["in_suite"] else None,
                "rows_failed": failing if by_rows else None,
                "rows_checked": total_rows if by_rows else None,
                "rows_passed": max(total_rows - failing, 0)
                if by_rows and total_rows is not None
                else None,
                "level_text": LEVEL_LABEL.get(
                    item["level"] if by_rows or item["level"] != "row" else "file", item["level"]
                ),
                "problem_count": len(item["problems"]),
                "shown": shown,
                "more": more_line(more, "masalah"),
            }
        )
    return out


# --- validasi.html --------------------------------------------------------------------------

SEVERITY_LABEL = {"error": "Kesalahan", "warning": "Peringatan"}


def render_validation_report(
    summary: Mapping[str, Any],
    suite: Suite | None = None,
    problems: Any = None,
    rows_per_file: Mapping[str, int] | None = None,
    data_docs: str | None = None,
    labels: ColumnLabels | None = None,
) -> str:
    """validasi.html: per rule of the suite, files and rows passed or failed, failing rows.

    `problems`: validation's problem records (default: those in summary['units']);
    `rows_per_file`: data rows per file, for row counts; `data_docs`: relative link to the
    GX Data Docs index; `labels`: column labels (default those of the reference root in use).
    """
    suite = suite or load_suite()
    rules = rule_summaries(summary, suite, problems, rows_per_file, labels=labels)
    rows = problem_rows(summary, problems)
    files = checked_files(summary, rows)
    units = list(summary.get("units") or [])
    context = {
        "summary": summary,
        "period": parse_period(summary["period"]),
        "mark": mark_of(summary)[0],
        "rules": rules,
        "rule_count": sum(1 for r in rules if r["in_suite"]),
        "files": files,
        "total_rows": sum(int(rows_per_file.get(f, 0)) for f in files) if rows_per_file else None,
        "units": [
            {
                "nama": u.get("nama") or u.get("unit"),
                "status": u.get("status"),
                "file": u.get("file"),
                "rows": sum(int(rows_per_file.get(f, 0)) for f in _files(u.get("file")))
                if rows_per_file
                else None,
            }
            for u in units
        ],
        "unreadable": list(summary.get("unreadable_files") or [])[:RULE_ROWS_LISTED],
        "data_docs": data_docs,
        "docs_examples": DOCS_EXAMPLES,
        "severity_label": SEVERITY_LABEL,
    }
    return environment().get_template("validasi.html.j2").render(context)


def write_validation_report(
    folder: Path,
    summary: Mapping[str, Any],
    suite: Suite | None = None,
    problems: Any = None,
    rows_per_file: Mapping[str, int] | None = None,
    data_docs: Path | None = None,
) -> Path:
    """Write folder/validasi.html; `data_docs` (the Data Docs index) is linked relatively."""
    folder.mkdir(parents=True, exist_ok=True)
    link = None
    if data_docs is not None:
        link = Path(os.path.relpath(data_docs, folder)).as_posix()
    path = folder / REPORT_NAME
    path.write_text(
        render_validation_report(summary, suite, problems, rows_per_file, link), encoding="utf-8"
    )
    return path
