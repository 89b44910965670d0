"""The run's summary.json: a contract read by people, emails and later runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from triwulan.tasks.compute import totals
from triwulan.tasks.fmt import WIB, is_missing
from triwulan.tasks.period import Period
from triwulan.tasks.reference import Reference


def _clean(value: object) -> object:
    """JSON-safe scalars: NaN -> None, numpy ints/floats -> Python."""
    if is_missing(value):
        return None
    return value.item() if hasattr(value, "item") else value


def problem_records(problems: pd.DataFrame) -> list[dict[str, object]]:
    cols = ["row", "column", "rule", "severity", "message"]
    return [{c: _clean(r.get(c)) for c in cols} for _, r in problems.iterrows()]


def build_summary(
    ref: Reference,
    period: Period,
    version: int,
    status: dict[str, str],
    files: dict[str, str],
    problems: pd.DataFrame,
    file_problems: list[dict[str, str]],
    detail: pd.DataFrame,
    earlier_data: dict[str, dict[str, object]] | None = None,
    generated_at: dt.datetime | None = None,
) -> dict[str, object]:
    """Assemble the summary from the validation outcome and the computed detail rows.

    earlier_data: units not accepted in this run (rejected, unreadable or no file) whose figures
    come from a file accepted for this quarter in an earlier version.
    """
    earlier_data = earlier_data or {}
    counted = set(detail["unit"]) if not detail.empty else set()
    units = []
    for unit, nama in zip(ref.units["unit"], ref.units["nama"], strict=True):
        state = status.get(unit, "missing")
        unit_totals = None
        if unit in counted:
            unit_totals = totals(detail[detail["unit"] == unit], ref.predikat)
        units.append(
            {
                "unit": unit,
                "nama": nama,
                "status": state,
                "file": files.get(unit),
                "problems": problem_records(problems[problems["unit"] == unit]),
                "totals": unit_totals,
                "data_sebelumnya": earlier_data.get(unit) if state != "accepted" else None,
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


def write_summary(folder: Path, summary: dict[str, object]) -> Path:
    """summary.json as UTF-8 JSON (Indonesian text kept readable)."""
    path = folder / "summary.json"
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
