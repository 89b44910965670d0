"""What each validation rule checks, in plain Indonesian, for the secretariat's validasi.html.

The words are data: meta.uraian of every rule in expectations/submission.json and iku.json, and
`uraian_lain` there for rules reported by code (a file that cannot be read, a missing IKU
column). Numbers in a description come from the suite (thresholds, the expectation's min/max),
never typed twice. A rule id is never shown: a rule without a description is shown by its
message with the placeholders left out.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from typing import Any

from triwulan.tasks.check.iku import IKU_SUITE_PATH, load_iku_suite
from triwulan.tasks.check.suite import Rule, Suite, show
from triwulan.tasks.core.fmt import angka


class _Blank(dict[str, str]):
    """format_map fields; a placeholder without a value becomes '…', not a KeyError."""

    def __missing__(self, key: str) -> str:
        return "…"


def _number(value: float) -> str:
    """'1.000', '7,5': as messages show numbers, with thousands grouped."""
    return angka(value) if float(value).is_integer() else show(value, "angka")


def describe(uraian: str, kwargs: Mapping[str, Any], ambang: Mapping[str, float]) -> str:
    """A rule's description with its numbers filled in ('antara 0% dan 100%')."""
    fields = _Blank({f"ambang_{name}": _number(value) for name, value in ambang.items()})
    for name in ("min_value", "max_value"):
        value = kwargs.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            fields[name] = _number(value)
    try:
        return string.Formatter().vformat(uraian, (), fields)
    except (ValueError, IndexError):
        return uraian


def _from_message(message: str) -> str:
    """A message template with its placeholders left out, for a rule without a description."""
    try:
        parts = list(string.Formatter().parse(message))
    except ValueError:
        return message
    return "".join(literal + ("…" if name is not None else "") for literal, name, _, _ in parts)


def _meta(rule: Rule) -> dict[str, str]:
    return {"rule": rule.rule, "uraian": rule.uraian, "message": rule.message}


def _iku_others() -> dict[str, str]:
    data = json.loads(IKU_SUITE_PATH.read_text(encoding="utf-8"))
    others = data.get("uraian_lain") or {}
    return {str(k): str(v) for k, v in others.items()} if isinstance(others, dict) else {}


def rule_descriptions(suite: Suite) -> dict[str, str]:
    """Rule id -> what it checks: the suite's rules, the IKU rules and the rules of code.

    The first description of a rule id wins (isian_wajib is one rule over three columns).
    """
    out: dict[str, str] = {}

    def add(meta: Mapping[str, Any], kwargs: Mapping[str, Any]) -> None:
        rule = str(meta.get("rule") or "")
        if not rule or rule in out:
            return
        uraian = str(meta.get("uraian") or "")
        text = describe(uraian, kwargs, suite.ambang) if uraian else ""
        out[rule] = text or _from_message(str(meta.get("message") or ""))

    for check in suite.checks:
        add(_meta(check.rule), check.kwargs)
    for entry in [*suite.expectations, *load_iku_suite()]:
        add(entry["meta"], entry["kwargs"])
    for rule, text in {**_iku_others(), **suite.uraian_lain}.items():
        out.setdefault(rule, text)
    return out
