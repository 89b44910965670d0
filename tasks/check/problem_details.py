"""What one problem found and what its cell should hold, read back from the problem's message.

The problem records keep only {unit, file, row, column, rule, severity, message}. A message was
rendered from its rule's template (expectations/submission.json), so reading it back against that
template gives the value found and the value expected. Kept apart from validasi.html
(tasks.publish.validation_report) because the units' feedback mails (tasks.send.mails) show these details and
need nothing else of that report. Nothing here changes the records.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from triwulan.tasks.check.columns import ColumnLabels, labelled, shared_labels
from triwulan.tasks.check.suite import EMPTY, Rule, Suite
from triwulan.tasks.core import fmt


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


def entry_of(problem: Mapping[str, Any], entries: list[RuleEntry]) -> tuple[RuleEntry, dict]:
    """The entry whose template rendered the message, with the placeholders read back.

    LookupError when no entry did (e.g. the line counting further rows, see validate.bound_rows).
    """
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
    labels: ColumnLabels | None = None,
) -> list[dict[str, Any]]:
    """Copies of the problems with 'isian' (value found), 'diterima' (what is accepted) and
    'kolom' (the column as the unit finds it in the template, see tasks.check.columns).

    '' when it cannot be derived (a message not rendered from a suite rule, e.g. the line
    counting further rows, or a rule whose message quotes no cell); the message still says it.
    `accepts`: column -> what it accepts (column_accepts of Reference.kolom); `labels`: default
    those of the reference root in use.
    """
    entries = suite_entries(suite)
    labels = labels or shared_labels()
    out = []
    for problem in problems:
        row = labelled(problem, labels)
        try:
            entry, fields = entry_of(row, entries)
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
