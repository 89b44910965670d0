"""The run's summary.json: a contract read by people, emails and later runs."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pandas as pd

from tasks.compute import aggregate, totals
from tasks.period import Period
from tasks.reference import Reference

WIB = ZoneInfo("Asia/Jakarta")


def _clean(value: object) -> object:
    """JSON-safe scalars: NaN -> None, numpy ints/floats -> Python."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def problem_records(problems: pd.DataFrame) -> list[dict[str, object]]:
    cols = ["row", "column", "rule", "message"]
    return [{c: _clean(r[c]) for c in cols} for _, r in problems.iterrows()]


def build_summary(
    ref: Reference,
    period: Period,
    version: int,
    status: dict[str, str],
    files: dict[str, str],
    problems: pd.DataFrame,
    file_problems: list[dict[str, str]],
    detail: pd.DataFrame,
    generated_at: dt.datetime | None = None,
) -> dict[str, object]:
    """Assemble the summary from the validation outcome and the computed detail rows."""
    by_unit = (
        aggregate(detail, "unit", ref.predikat).set_index("unit") if not detail.empty else None
    )
    units = []
    for unit, nama in zip(ref.units["unit"], ref.units["nama"], strict=True):
        state = status.get(unit, "missing")
        unit_totals = None
        if state == "accepted" and by_unit is not None and unit in by_unit.index:
            unit_totals = totals(detail[detail["unit"] == unit], ref.predikat)
        units.append(
            {
                "unit": unit,
                "nama": nama,
                "status": state,
                "file": files.get(unit),
                "problems": problem_records(problems[problems["unit"] == unit]),
                "totals": unit_totals,
            }
        )
    orphans = problems[problems["unit"].isna()]
    file_problems = [
        *file_problems,
        *({"file": r["file"], "message": r["message"]} for _, r in orphans.iterrows()),
    ]
    counts = {
        s: sum(1 for u in units if u["status"] == s) for s in ("accepted", "rejected", "missing")
    }
    counts["total"] = len(units)
    return {
        "period": period.label,
        "version": version,
        "complete": counts["accepted"] == counts["total"],
        "kecamatan": ref.kecamatan_name,
        "generated_at": (generated_at or dt.datetime.now(WIB))
        .astimezone(WIB)
        .isoformat(timespec="seconds"),
        "counts": counts,
        "units": units,
        "unreadable_files": file_problems,
        "totals": totals(detail, ref.predikat),
    }
