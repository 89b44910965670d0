"""What validation checked, rule by rule: validasi.html in the version folder, and GX Data Docs.

The problem records keep only {unit, file, row, column, rule, severity, message}. Everything this
module shows beyond them is derived from the suite: a message was rendered from its rule's
template, so reading it back against that template gives the value found and the value expected,
and a rule's level says whether it counts rows or files. Nothing here changes the records.
"""

from __future__ import annotations

import html
import logging
import os
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.tasks import fmt
from triwulan.tasks.attribution import RULE as UNREADABLE_RULE
from triwulan.tasks.period import parse_period
from triwulan.tasks.report import capped, environment, mark_of, more_line, split_problems
from triwulan.tasks.validate import EMPTY, Rule, Suite, load_suite

RULE_ROWS_LISTED = 50  # failing rows listed per rule in validasi.html; the rest is counted
DOCS_EXAMPLES = 50  # failing values/rows per expectation kept for the Data Docs page
DOCS_TEXT_MAX = 2_000  # characters of one long text (e.g. GX's unexpected_index_query)
DATA_DOCS_DIR = "data-docs"
REPORT_NAME = "validasi.html"
# validate._bound_rows: the line that counts the rows of a rule left out of the list
_REST = re.compile(r"^… dan ([\d.]+) baris lain dengan masalah yang sama \(baris (.*)\)\.$")


# --- reading a message back against its rule ------------------------------------------------


@lru_cache(maxsize=256)
def _template_pattern(template: str) -> re.Pattern[str] | None:
    """The message template as a regex whose named groups are its placeholders."""
    parts: list[str] = []
    seen: set[str] = set()
    try:
        pieces = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for literal, name, _, _ in pieces:
        parts.append(re.escape(literal))
        if name is None:
            continue
        if not name.isidentifier():
            return None
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
        seen.add(name)
    return re.compile("".join(parts), re.DOTALL)


def message_fields(template: str, message: str) -> dict[str, str] | None:
    """The placeholders of `template` as they appear in `message`, or None if it is not one.

    'Pagu {value} berbeda dengan data referensi {expected}.' read against the rendered message
    gives {'value': 'Rp 50.000.000', 'expected': 'Rp 40.000.000'}.
    """
    pattern = _template_pattern(template)
    if pattern is None or message.startswith("… dan "):
        return None
    found = pattern.fullmatch(message)
    return found.groupdict() if found else None


@dataclass(frozen=True)
class RuleEntry:
    """One suite entry: how it reports (Rule) and what it runs (check name or GX type)."""

    rule: Rule
    kind: str  # "pandas" or "gx"
    name: str  # check function or expectation type
    kwargs: Mapping[str, Any]


def suite_entries(suite: Suite) -> list[RuleEntry]:
    """Every entry of the suite in file order (pandas checks first, as validate runs them)."""
    entries = [RuleEntry(c.rule, "pandas", c.check, c.kwargs) for c in suite.checks]
    entries += [
        RuleEntry(Rule.from_meta(e["meta"]), "gx", e["type"], e["kwargs"])
        for e in suite.expectations
    ]
    return entries


def _spec_column(spec: str | None) -> str:
    return (spec or "").partition("|")[0]


def _entry_of(problem: Mapping[str, Any], entries: list[RuleEntry]) -> tuple[RuleEntry, dict]:
    """The entry whose template rendered the message, with the placeholders read back."""
    message = str(problem.get("message") or "")
    for entry in entries:
        if entry.rule.rule != problem.get("rule"):
            continue
        if entry.rule.column and problem.get("column") and entry.rule.column != problem["column"]:
            continue
        fields = message_fields(entry.rule.message, message)
        if fields is not None:
            return entry, fields
    raise LookupError


def explain(problem: Mapping[str, Any], entry: RuleEntry, fields: Mapping[str, str]) -> str:
    """The value found in the unit's cell, when the rule's message quotes that cell."""
    rule = entry.rule
    column = rule.column or ""
    source = _spec_column(rule.value)
    if column and "value" in fields and source in (column, f"{column}_teks"):
        return fields["value"]
    if entry.name == "expect_column_values_to_not_be_null" and column:
        return EMPTY
    return ""


# What a cell of each contract type accepts, short enough for a table column on a phone.
ACCEPTS = {
    "rupiah": "Bilangan bulat 0 atau lebih, tanpa titik/koma (misalnya 1500000)",
    "persen": "Angka 0 sampai 100 (misalnya 75 atau 82,5)",
    "angka": "Angka 0 atau lebih (misalnya 3 atau 2,5)",
    "bulat": "Bilangan bulat 0 atau lebih",
}
PREFILLED = "Isian templat, jangan diubah"


def accepted_text(
    problem: Mapping[str, Any],
    entry: RuleEntry,
    fields: Mapping[str, str],
    accepts: Mapping[str, str],
) -> str:
    """What the cell should hold: the reference value the message names, else the column's kind.

    The reference value only when the rule compares the cell with it (expected spec `<column>`
    or `<column>_ref`). Otherwise, for an error in a cell, what the column accepts (see
    column_accepts); warnings are about plausibility, not format, and get nothing.
    """
    rule = entry.rule
    column = rule.column or str(problem.get("column") or "")
    if "expected" in fields and _spec_column(rule.expected) in (column, f"{column}_ref"):
        return fields["expected"]
    if rule.severity != "error" or fmt.is_missing(problem.get("row")):
        return ""
    return accepts.get(column, "")


def with_details(
    problems: Iterable[Mapping[str, Any]],
    suite: Suite,
    accepts: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Copies of the problems with 'isian' (value found) and 'diterima' (what is accepted).

    '' when it cannot be derived (a message not rendered from a suite rule, e.g. the line
    counting further rows, or a rule whose message quotes no cell); the message still says it.
    `accepts`: column -> what it accepts (column_accepts of Reference.kolom).
    """
    entries = suite_entries(suite)
    out = []
    for problem in problems:
        row = dict(problem)
        try:
            entry, fields = _entry_of(row, entries)
        except LookupError:
            row |= {"isian": "", "diterima": ""}
        else:
            row["isian"] = explain(row, entry, fields)
            row["diterima"] = accepted_text(row, entry, fields, accepts or {})
        out.append(row)
    return out


def column_accepts(kolom: pd.DataFrame | None) -> dict[str, str]:
    """kolom_pengajuan.csv as column -> what it accepts.

    Columns the unit fills (jenis 'isian') by their type; pre-filled ones must keep the
    template's value.
    """
    if kolom is None or kolom.empty or not {"kolom", "jenis", "tipe"} <= set(kolom.columns):
        return {}
    out = {}
    for name, jenis, tipe in zip(kolom["kolom"], kolom["jenis"], kolom["tipe"], strict=True):
        text = ACCEPTS.get(str(tipe), "") if str(jenis) == "isian" else PREFILLED
        if text:
            out[str(name)] = text
    return out


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
) -> list[dict[str, Any]]:
    """One entry per rule id of the suite (file order), then problems of no suite rule.

    Per rule: files checked, failed and passed; failing rows and, with `rows_per_file`, rows
    checked and passed (rules of level file/unit count files only); the failing problems, at
    most `listed` (RULE_ROWS_LISTED) of them, and a line counting the rest.
    """
    listed = RULE_ROWS_LISTED if listed is None else listed
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
                fields = _entry_of(p, entries)[1]
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
                {**p, "nama": names.get(p.get("unit")) or p.get("unit") or "(tidak dikenal)"}
                for p in errors + warnings
            ],
            listed,
        )
        checked = len(files)
        failed = len([f for f in failed_files if f != "-"])
        out.append(
            item
            | {
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
) -> str:
    """validasi.html: per rule of the suite, files and rows passed or failed, failing rows.

    `problems`: validation's problem records (default: those in summary['units']);
    `rows_per_file`: data rows per file, for row counts; `data_docs`: relative link to the
    GX Data Docs index.
    """
    suite = suite or load_suite()
    rules = rule_summaries(summary, suite, problems, rows_per_file)
    rows = problem_rows(summary, problems)
    files = checked_files(summary, rows)
    units = list(summary.get("units") or [])
    context = {
        "summary": summary,
        "period": parse_period(summary["period"]),
        "mark": mark_of(summary)[0],
        "suite_name": suite.name,
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


# --- GX Data Docs ---------------------------------------------------------------------------

# Lists in an expectation result that grow with the failing rows; Data Docs show a few anyway.
_LONG_LISTS = (
    "unexpected_list",
    "unexpected_index_list",
    "partial_unexpected_list",
    "partial_unexpected_index_list",
    "partial_unexpected_counts",
)


def _escaped(value: Any) -> Any:
    """Every string HTML-escaped: GX Data Docs put result values into the page unescaped."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, Mapping):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value


def _trimmed(result: Mapping[str, Any]) -> dict[str, Any]:
    """An expectation's result with its row lists cut to DOCS_EXAMPLES and long texts shortened."""
    out = dict(result)
    for key in _LONG_LISTS:
        if isinstance(out.get(key), list):
            out[key] = out[key][:DOCS_EXAMPLES]
    for key, value in out.items():
        if isinstance(value, str) and len(value) > DOCS_TEXT_MAX:
            out[key] = value[: DOCS_TEXT_MAX - 1] + "…"
    return out


def docs_safe_result(gx_result: Any) -> Any:
    """A copy of the validation result fit for Data Docs: values escaped, row lists bounded.

    What a unit typed (file names, cell values) reaches the page only escaped. The expectation
    configurations come from the suite file and are kept as they are.
    """
    from great_expectations.core.expectation_validation_result import (
        expectationSuiteValidationResultSchema,
    )

    data = gx_result.to_json_dict()
    results = []
    for item in data.get("results") or []:
        item = dict(item)
        if isinstance(item.get("result"), Mapping):
            item["result"] = _escaped(_trimmed(item["result"]))
        for key in ("exception_info", "meta"):
            if item.get(key) is not None:
                item[key] = _escaped(item[key])
        results.append(item)
    data["results"] = results
    for key in ("meta", "statistics", "suite_parameters"):
        if data.get(key) is not None:
            data[key] = _escaped(data[key])
    return expectationSuiteValidationResultSchema.load(data)


def write_data_docs(folder: Path, gx_result: Any, run_name: str = "triwulan") -> Path | None:
    """GX Data Docs of one validation result under folder/data-docs; the index, or None.

    A throwaway ephemeral context with one local site: the result (escaped, bounded) goes into
    its in-memory results store, the suite into its suites, and build_data_docs writes static
    pages (index.html, validations/…, expectations/…, static/). Pages load their styling from
    public CDNs, as GX's own pages do; offline they are plain but complete. A failure is logged
    and gives None: the run's reports do not depend on the docs.
    """
    if gx_result is None:
        return None
    try:
        return _build_data_docs(folder / DATA_DOCS_DIR, gx_result, run_name)
    except Exception as exc:  # noqa: BLE001  (the quarter's reports matter more than its docs)
        logging.getLogger(__name__).warning("Data Docs Great Expectations tidak dibuat: %s", exc)
        return None


def _build_data_docs(target: Path, gx_result: Any, run_name: str) -> Path | None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    import triwulan.tasks.gx_custom  # noqa: F401  (custom expectation types of the suite)

    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    target.mkdir(parents=True, exist_ok=True)
    result = docs_safe_result(gx_result)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.add_data_docs_site(
        "triwulan",
        {
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(target.resolve()),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    try:  # the suite's own page; a suite GX cannot rebuild only loses that page
        expectations = [r.expectation_config.to_domain_obj() for r in result.results]
        context.suites.add(gx.ExpectationSuite(name=result.suite_name, expectations=expectations))
    except Exception as exc:  # noqa: BLE001
        logging.getLogger(__name__).warning("Halaman suite Data Docs dilewati: %s", exc)
    run_id = RunIdentifier(run_name=re.sub(r"[^A-Za-z0-9._-]+", "-", run_name) or "triwulan")
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
        run_id=run_id,
        batch_identifier="triwulan",
    )
    result.meta = {**(result.meta or {}), "run_id": run_id.to_json_dict()}  # page title and info
    context.validation_results_store.set(key, result)
    context.build_data_docs(site_names=["triwulan"])
    _prune_static(target)
    index = target / "index.html"
    return index if index.is_file() else None


_STATIC_REF = re.compile(r"""(?:\.\./|\./)*static/([^"'()\s>]+)""")


def _prune_static(site: Path) -> None:
    """Drop GX's static files no page refers to (fonts and images: ~4 MB per version)."""
    static = site / "static"
    if not static.is_dir():
        return
    used = set()
    for page in site.rglob("*.html"):
        used |= set(_STATIC_REF.findall(page.read_text(encoding="utf-8", errors="replace")))
    for path in sorted(static.rglob("*"), reverse=True):
        if path.is_file() and path.relative_to(static).as_posix() not in used:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
