"""The validation suite as data (expectations/submission.json): rules, checks, thresholds.

Also how a cell value is shown in a message (`show`): one place, so no message ever shows two
equal-looking values as different.
"""

from __future__ import annotations

import json
import math
import numbers
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.paths import EXPECTATIONS_DIR
from triwulan.tasks.core.fmt import rupiah
from triwulan.tasks.core.parse import Reading, read_decimal, read_rupiah

SUITE_PATH = EXPECTATIONS_DIR / "submission.json"
PROBLEM_COLUMNS = ["unit", "file", "row", "column", "rule", "severity", "message"]
ACCEPTED_COLUMNS = [
    "unit",
    "kode_sub_kegiatan",
    "realisasi_keuangan",
    "realisasi_fisik",
    "realisasi_keluaran",
    "kendala",
    "tindak_lanjut",
    "_file",
    "_row",
]
SEVERITIES = ("error", "warning")
# row: one problem per failing row (at most baris_per_masalah per file, see validate.bound_rows);
# file_rows: one per file (first row, {jumlah} rows); file: one per unit and file, no row;
# unit: one per unit, naming all its files.
LEVELS = ("row", "file_rows", "file", "unit")
FORMATS = ("teks", "polos", "rupiah", "angka")
# Thresholds of the plausibility rules (percent), overridable by the suite's "ambang" object;
# messages show them as {ambang_<name>}.
AMBANG: dict[str, float] = {
    "fisik_tinggi": 90,  # fisik this high ...
    "serapan_rendah": 25,  # ... with cumulative money below this share of pagu: a warning
    "serapan_tinggi": 90,  # cumulative money this high a share of pagu ...
    "fisik_rendah": 25,  # ... with fisik below this: a warning
    "capaian_rendah": 50,  # quarter money below this share of the quarter target: say why
}
PLACEHOLDERS = frozenset(
    {"value", "expected", "column", "judul", "row", "file", "unit", "tw", "jumlah", "baris"}
    | {"mirip"}  # kolom_wajib: the header a missing column was probably typed as
    | {f"ambang_{name}" for name in AMBANG}
)
# What a rule's plain description (meta.uraian) may name: thresholds and the numbers the
# expectation itself states, so no number is typed twice.
DESCRIPTION_PLACEHOLDERS = frozenset(
    {"min_value", "max_value"} | {f"ambang_{name}" for name in AMBANG}
)
INDEX_COLUMNS = ["_idx", "_file", "_row"]  # _idx = position in the working frame
EMPTY = "(kosong)"
SHOW_MAX = 120  # characters of one cell's text in a message (a CSV cell can be megabytes)

# Input columns: raw text kept as <col>_teks, parse flag as <col>_ok, typed value as <col>.
_INPUTS: dict[str, str] = {
    "realisasi_keuangan": "Int64",
    "realisasi_fisik": "float64",
    "realisasi_keluaran": "float64",
}
# How each input column is read (tasks.core.parse): money whole, fisik a percentage, keluaran a number.
_READERS: dict[str, Callable[[str], Reading]] = {
    "realisasi_keuangan": read_rupiah,
    "realisasi_fisik": lambda text: read_decimal(text, percent=True),
    "realisasi_keluaran": read_decimal,
}
EARLIER_COLUMNS = ["unit", "kode_sub_kegiatan", "realisasi_keuangan"]


# ---------------------------------------------------------------- display (pure)


def show(value: Any, fmt: str = "teks") -> str:
    """A cell value as a message shows it: text quoted, money as 'Rp 1.000', empty as '(kosong)'."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return EMPTY
    if isinstance(value, str):
        if not value:
            return EMPTY
        if len(value) > SHOW_MAX:
            value = value[: SHOW_MAX - 1] + "…"
        return value if fmt == "polos" else f"'{value}'"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, numbers.Number):
        number = float(value)  # type: ignore[arg-type]
        if fmt == "rupiah" and number.is_integer():
            return rupiah(int(value))  # type: ignore[call-overload]
        if number.is_integer():
            return str(int(number))
        return f"{number:.6f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


# ---------------------------------------------------------------- suite (data)


@dataclass(frozen=True)
class Rule:
    """How one rule reports: what its meta in the suite file says."""

    rule: str
    severity: str
    message: str
    column: str | None = None
    value: str | None = None  # "<working-frame column>|<format>"
    expected: str | None = None
    level: str = "row"
    fields: tuple[tuple[str, str], ...] = ()  # more placeholders: (name, "<column>|<format>")
    uraian: str = ""  # what the rule checks, in plain Indonesian (validasi.html)

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any], where: str = "") -> Rule:
        """Read and check meta; a broken suite entry must fail loudly, not skip a rule."""
        fields = meta.get("fields") or {}
        rule = cls(
            rule=str(meta.get("rule") or ""),
            severity=str(meta.get("severity") or ""),
            message=str(meta.get("message") or ""),
            column=meta.get("column"),
            value=meta.get("value"),
            expected=meta.get("expected"),
            level=meta.get("level", "row"),
            fields=tuple(fields.items()) if isinstance(fields, Mapping) else (),
            uraian=str(meta.get("uraian") or ""),
        )
        problems = []
        if not isinstance(fields, Mapping):
            problems.append("meta.fields harus objek {nama: 'kolom|format'}")
        if not rule.rule:
            problems.append("meta.rule kosong")
        if rule.severity not in SEVERITIES:
            problems.append(f"meta.severity '{rule.severity}' harus error atau warning")
        if rule.level not in LEVELS:
            problems.append(f"meta.level '{rule.level}' harus salah satu dari {', '.join(LEVELS)}")
        if not rule.message:
            problems.append("meta.message kosong")
        names: set[str] = set()
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(rule.message) if name}
        except ValueError as exc:
            problems.append(f"meta.message tidak sah ({exc})")
        known = PLACEHOLDERS | {name for name, _ in rule.fields}
        if names - known:
            problems.append(f"placeholder tidak dikenal: {', '.join(sorted(names - known))}")
        try:
            said = {name for _, name, _, _ in string.Formatter().parse(rule.uraian) if name}
        except ValueError as exc:
            said = set()
            problems.append(f"meta.uraian tidak sah ({exc})")
        if said - DESCRIPTION_PLACEHOLDERS:
            problems.append(
                f"placeholder uraian tidak dikenal: {', '.join(sorted(said - DESCRIPTION_PLACEHOLDERS))}"
            )
        for spec in (rule.value, rule.expected, *(spec for _, spec in rule.fields)):
            if spec and "|" in spec and spec.split("|", 1)[1] not in FORMATS:
                problems.append(f"format '{spec}' harus salah satu dari {', '.join(FORMATS)}")
        if problems:
            raise ValueError(
                f"Aturan validasi {where or rule.rule} tidak sah: {'; '.join(problems)}."
            )
        return rule


@dataclass(frozen=True)
class Check:
    """A rule run in plain pandas: `check` names a function in CHECKS."""

    check: str
    kwargs: dict[str, Any]
    rule: Rule


@dataclass(frozen=True)
class Suite:
    """The rules of one suite file: pandas checks and GX expectation entries (type/kwargs/meta)."""

    name: str
    checks: list[Check]
    expectations: list[dict[str, Any]]
    ambang: Mapping[str, float] = field(default_factory=lambda: dict(AMBANG))
    uraian_lain: Mapping[str, str] = field(default_factory=dict)  # rules reported by code

    @property
    def rule_order(self) -> dict[str, int]:
        """Rule id -> first position in the file, to list problems in the file's order."""
        ids = [c.rule.rule for c in self.checks] + [e["meta"]["rule"] for e in self.expectations]
        return {rule: i for i, rule in reversed(list(enumerate(ids)))}


# The pandas checks a suite may name; tasks.check.problems.CHECKS implements each (by these names).
CHECK_NAMES = ("missing_columns", "missing_rows", "sum_rows")


def load_suite(path: Path = SUITE_PATH) -> Suite:
    """Read a suite file and check every entry (GX itself would drop a bad entry silently)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    checks = []
    for i, entry in enumerate(data.get("checks", []), start=1):
        where = f"{Path(path).name} checks[{i}]"
        if entry.get("check") not in CHECK_NAMES:
            raise ValueError(f"{where}: check '{entry.get('check')}' tidak dikenal.")
        rule = Rule.from_meta(entry.get("meta", {}), where)
        checks.append(Check(entry["check"], dict(entry.get("kwargs", {})), rule))
    expectations = []
    for i, entry in enumerate(data.get("expectations", []), start=1):
        where = f"{Path(path).name} expectations[{i}]"
        if not isinstance(entry.get("type"), str) or not isinstance(entry.get("kwargs"), dict):
            raise ValueError(f"{where}: perlu 'type' (teks) dan 'kwargs' (objek).")
        Rule.from_meta(entry.get("meta", {}), where)
        expectations.append(
            {"type": entry["type"], "kwargs": entry["kwargs"], "meta": entry["meta"]}
        )
    ambang = dict(AMBANG)
    for name, value in (data.get("ambang") or {}).items():
        if name not in AMBANG or isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(
                f"{Path(path).name} ambang.{name}: harus salah satu dari "
                f"{', '.join(AMBANG)} dengan nilai angka."
            )
        ambang[name] = float(value)
    others = data.get("uraian_lain") or {}
    if not isinstance(others, Mapping) or not all(isinstance(v, str) for v in others.values()):
        raise ValueError(f"{Path(path).name} uraian_lain: harus objek {{aturan: 'uraian'}}.")
    return Suite(
        name=str(data.get("name") or Path(path).stem),
        checks=checks,
        expectations=expectations,
        ambang=ambang,
        uraian_lain=dict(others),
    )
