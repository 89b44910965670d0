"""What a version reports beside the money table: IKU, E.81, early warnings, changes, charts.

One pure function assembles it from the stored data of the year (or a preview's overlay), so a
run, a cascade and a preview compute it the same way; summary.json carries the JSON parts (IKU,
warnings, changes, the cumulative series of the chart) and e81.json the form's rows, so FINAL
renders a version again without recomputing anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.tasks.core.fmt import plain_records
from triwulan.tasks.core.iku_input import AKIP, SKM, ZONA
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import QUARTERS, Reference, plan_for_quarter
from triwulan.tasks.measure.changes import changes_since
from triwulan.tasks.measure.e81 import e81_rows
from triwulan.tasks.measure.e81_form import e81_closing, e81_form_rows, e81_header, pengesahan
from triwulan.tasks.measure.early_warning import early_warnings, load_thresholds
from triwulan.tasks.measure.iku import iku_rows
from triwulan.tasks.measure.summary import build_summary, read_detail

E81_FILE = "e81.json"


@dataclass(frozen=True)
class Extras:
    """The parts of a version beyond the quarter's money detail."""

    iku: list[dict[str, Any]]
    e81: pd.DataFrame
    peringatan: dict[str, Any]
    perubahan: dict[str, Any] | None
    kumulatif: dict[str, list[int | None]]
    e81_form: dict[str, Any]
    pengesahan: dict[str, Any]

    def into(self, summary: dict[str, Any]) -> dict[str, Any]:
        """The summary with the JSON parts added (keys iku, peringatan_dini, perubahan, ...)."""
        return {
            **summary,
            "iku": self.iku,
            "peringatan_dini": self.peringatan,
            "perubahan": self.perubahan,
            "kumulatif": self.kumulatif,
            "e81_form": self.e81_form,
            "pengesahan": self.pengesahan,
        }


def cumulative_series(
    ref: Reference, e81: pd.DataFrame, triwulan: int, units: list[str]
) -> dict[str, list[int | None]]:
    """Plan s.d. TW I..IV (anggaran kas in force, counted units) and realisation s.d. TW I..n."""
    plan = []
    for q in QUARTERS:
        rows = plan_for_quarter(ref, q)
        plan.append(int(rows.loc[rows["unit"].isin(units), "target_sd"].sum()))
    total = e81[e81["tingkat"] == "jumlah"].iloc[0] if len(e81) else None
    done: list[int | None] = []
    running = 0
    for q in QUARTERS:
        if q > triwulan or total is None:
            done.append(None)
            continue
        value = total[f"rp_tw{q}"]
        if pd.isna(value):  # no unit reported that quarter: no point, not "nothing spent"
            done.append(None)
            continue
        running += int(value)
        done.append(running)
    return {"rencana_sd": plan, "realisasi_sd": done}


def quarter_extras(
    ref: Reference,
    period: Period,
    realisasi: pd.DataFrame,
    iku_inputs: dict[str, pd.DataFrame],
    detail: pd.DataFrame,
    counted: list[str],
    summary: dict[str, Any],
    previous: tuple[dict[str, Any], pd.DataFrame] | None,
) -> Extras:
    """Everything beyond the money detail, from the stored rows of the year up to this quarter.

    realisasi: accepted rows of quarters 1..n; iku_inputs: accepted IKU rows per sheet (tasks.
    tasks.record.iku.load_iku); previous: (summary, detail) of the last version, for "what changed".
    """
    core = e81_rows(ref, realisasi, period.triwulan, counted)
    thresholds = load_thresholds()
    warnings = early_warnings(
        detail, float(thresholds["deviasi_persen"]), int(thresholds["baris_maks"])
    )
    peringatan = {
        "ambang_deviasi_persen": float(thresholds["deviasi_persen"]),
        "baris": plain_records(warnings),
        "jumlah": int(warnings.attrs.get("jumlah", len(warnings))),
        "lainnya": int(warnings.attrs.get("lainnya", 0)),
    }
    # every quarter's IKU for the form's TW I-IV columns; three indicators each
    by_quarter = {
        q: iku_rows(ref, q, iku_inputs.get(SKM), iku_inputs.get(AKIP), iku_inputs.get(ZONA))
        for q in range(1, period.triwulan + 1)
    }
    iku = by_quarter[period.triwulan]
    e81 = e81_form_rows(ref, core, by_quarter, period.triwulan)
    form = {
        "kepala": e81_header(ref, period.triwulan),
        "penutup": e81_closing(ref, e81, period.triwulan),
    }
    perubahan = None
    if previous is not None:
        before_summary, before_detail = previous
        perubahan = changes_since(before_summary, before_detail, {**summary, "iku": iku}, detail)
    return Extras(
        iku,
        e81,
        peringatan,
        perubahan,
        cumulative_series(ref, e81, period.triwulan, counted),
        form,
        pengesahan(ref),
    )


def summarise_version(
    ref: Reference,
    period: Period,
    version: int,
    validation: Any,
    unattached: list[Any],
    detail: pd.DataFrame,
    earlier_data: dict[str, dict[str, object]],
    warnings: list[dict[str, object]],
    realisasi: pd.DataFrame,
    iku_inputs: dict[str, pd.DataFrame],
    counted: list[str],
    previous: tuple[dict[str, Any], pd.DataFrame] | None,
    cause: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], Extras]:
    """summary.json of a version (tasks.measure.summary) with its performance parts: one place for a run,
    a cascade and a preview."""
    summary = build_summary(
        ref,
        period,
        version,
        validation.status,
        validation.files,
        validation.problems,
        [{"file": p.file, "message": p.message} for p in unattached],
        detail,
        earlier_data,
        warnings=warnings,
        cause=cause,
    )
    extras = quarter_extras(ref, period, realisasi, iku_inputs, detail, counted, summary, previous)
    return extras.into(summary), extras


def previous_version(folder: str | Path | None) -> tuple[dict[str, Any], pd.DataFrame] | None:
    """(summary, detail) of an earlier version folder, or None when there is none to read."""
    if not folder:
        return None
    path = Path(folder)
    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
        return summary, read_detail(path)
    except (OSError, ValueError):
        return None  # a version folder moved or removed by hand: nothing to compare with


def write_e81(folder: Path, e81: pd.DataFrame) -> Path:
    path = folder / E81_FILE
    path.write_text(e81.to_json(orient="table", index=False, force_ascii=False), encoding="utf-8")
    return path


def read_e81(folder: Path) -> pd.DataFrame | None:
    path = folder / E81_FILE
    if not path.is_file():
        return None  # a version made before the form existed
    frame = pd.read_json(path, orient="table")
    ints = [c for c in frame.columns if c.startswith("rp_") or c == "target_rp"]
    return frame.astype({c: "Int64" for c in ints})
