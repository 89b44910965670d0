"""The run's summary.json: a contract read by people, emails and later runs."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pandas as pd

from triwulan.tasks.core.fmt import WIB, plain
from triwulan.tasks.core.period import ROMAN, Period
from triwulan.tasks.core.reference import Reference, plan_for_quarter
from triwulan.tasks.core.reference_view import budget_version
from triwulan.tasks.measure.compute import plain_mean_fisik, totals, unit_totals


def problem_records(problems: pd.DataFrame) -> list[dict[str, object]]:
    cols = ["row", "column", "rule", "severity", "message"]
    return [{c: plain(r.get(c)) for c in cols} for _, r in problems.iterrows()]


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
    warnings: list[dict[str, object]] | None = None,
    cause: dict[str, object] | None = None,
) -> dict[str, object]:
    """Assemble the summary from the validation outcome and the computed detail rows.

    earlier_data: units not accepted in this run (rejected, unreadable or no file) whose figures
    come from a file accepted for this quarter in an earlier version.
    """
    earlier_data = earlier_data or {}
    # grouped once: a filter per unit would be O(units x rows) at a province's size
    totals_of = unit_totals(detail, ref.predikat)
    problems_of = dict(tuple(problems.groupby("unit", sort=False))) if not problems.empty else {}
    no_problems = problems.iloc[0:0]
    units = []
    for unit, nama in zip(ref.units["unit"], ref.units["nama"], strict=True):
        state = status.get(unit, "missing")
        units.append(
            {
                "unit": unit,
                "nama": nama,
                "status": state,
                "file": files.get(unit),
                "problems": problem_records(problems_of.get(unit, no_problems)),
                "totals": totals_of.get(unit),
                "data_sebelumnya": earlier_data.get(unit) if state != "accepted" else None,
            }
        )
    orphans = problems[problems["unit"].isna()]
    file_problems = [
        *file_problems,
        *(orphans[["file", "message"]].to_dict("records") if not orphans.empty else []),
    ]
    states = Counter(u["status"] for u in units)
    counts = {s: states[s] for s in ("accepted", "rejected", "missing")}
    counts["total"] = len(units)
    warnings = warnings or []
    return {
        "period": period.label,
        "version": version,
        # "semua unit lengkap" is said only when every unit is in and nothing earlier is missing
        "complete": counts["accepted"] == counts["total"] and not warnings,
        "warnings": warnings,
        "cause": cause,
        "kecamatan": ref.kecamatan_name,
        # which budget the targets of this quarter come from (a revision changes them)
        "anggaran": budget_version(ref.anggaran, period.triwulan),
        "generated_at": (generated_at or dt.datetime.now(WIB))
        .astimezone(WIB)
        .isoformat(timespec="seconds"),
        "counts": counts,
        "units": units,
        "unreadable_files": file_problems,
        "totals": totals(detail, ref.predikat),
        # the pagu of every unit of the reference in force this quarter: the percentages above
        # are of the units counted, and a reader must see what a left-out unit takes away
        "pagu_semua_unit": full_pagu(ref, period),
        "fisik_rata_biasa_persen": plain_mean_fisik(detail) if len(detail) else None,
    }


def full_pagu(ref: Reference, period: Period) -> int:
    """The pagu of all units (anggaran in force in the quarter), exact rupiah."""
    pagu = plan_for_quarter(ref, period.triwulan)["pagu"].dropna()
    return int(pagu.astype("int64").sum())


def write_detail(folder: Path, detail: pd.DataFrame) -> Path:
    """The computed detail rows of a version (exact integers), to render that version again."""
    path = folder / "rincian.json"
    path.write_text(
        detail.to_json(orient="table", index=False, force_ascii=False), encoding="utf-8"
    )
    return path


def read_detail(folder: Path) -> pd.DataFrame:
    return pd.read_json(folder / "rincian.json", orient="table")


def write_summary(folder: Path, summary: dict[str, object]) -> Path:
    """summary.json as UTF-8 JSON (Indonesian text kept readable)."""
    path = folder / "summary.json"
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def earlier_gaps(
    stored: pd.DataFrame, counted: list[str], triwulan: int, names: dict[str, str]
) -> list[dict[str, object]]:
    """Units counted now whose earlier quarters of the year have no accepted data in the store.

    Their "s.d." figures silently lack those quarters (mid-year adoption, a lost database, a unit
    rejected in TW I, another out folder): the reader must be told. `stored` has (triwulan, unit).
    """
    if triwulan <= 1:
        return []
    have = set(zip(stored["triwulan"].astype(int), stored["unit"], strict=True))
    out = []
    for unit in counted:
        missing = [q for q in range(1, triwulan) if (q, unit) not in have]
        if missing:
            listed = ", ".join(f"TW {ROMAN[q]}" for q in missing)
            out.append(
                {
                    "code": "earlier_quarter_missing",
                    "unit": unit,
                    "quarters": missing,
                    "message": f"{names.get(unit, unit)}: data {listed} belum ada di basis data, "
                    f"sehingga angka s.d. TW {ROMAN[triwulan]} unit ini belum termasuk "
                    f"{'triwulan' if len(missing) == 1 else 'triwulan-triwulan'} tersebut.",
                }
            )
    return out


def counted_units(
    status: dict[str, str], sources: dict[str, dict[str, object]]
) -> tuple[list[str], dict[str, dict[str, object]]]:
    """Units whose figures count: accepted now, plus units not accepted now that keep the rows
    accepted for this quarter before (returned with their source file, for the report)."""
    accepted = [u for u, state in status.items() if state == "accepted"]
    now = set(accepted)  # a set: a list lookup per unit was quadratic at a province's size
    earlier_data = {u: src for u, src in sources.items() if u not in now}
    return accepted + list(earlier_data), earlier_data
