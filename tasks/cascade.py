"""Later quarters recomputed after an earlier one is corrected (the cascade).

The "s.d." figures of a later quarter include the corrected one, so each later quarter already
reported gets a new version built from the store and its last verdicts, with the cause named.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.tasks import steps
from triwulan.tasks.check.validate import PROBLEM_COLUMNS, Validation
from triwulan.tasks.collect.ingest import FileProblem
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.quarter import Quarter
from triwulan.tasks.record import runs as record
from triwulan.tasks.record import store
from triwulan.tasks.record.version import version_run
from triwulan.tasks.steps import Built


def cascade(quarter: Quarter, version: int, changed: bool) -> list[Built]:
    """Later quarters of the year already reported, recomputed in order as new versions.

    Their "s.d." figures include the corrected quarter. A later quarter marked final is left as
    it is (reopening it is a person's decision).
    """
    if not changed:
        return []
    rebuilt = []
    for q in range(quarter.period.triwulan + 1, 5):
        later = quarter.later(q)
        last = record.last_report(later.engine, later.label)
        if last is None or record.current_final(later.engine, later.label):
            continue
        with steps.lock(later):
            rebuilt.append(_rebuild(later, last, quarter.period, version))
    return rebuilt


def _rebuild(
    later: Quarter, last: dict[str, Any], corrected: Period, corrected_version: int
) -> Built:
    base = json.loads((Path(last["folder"]) / "summary.json").read_text(encoding="utf-8"))
    validation, unattached = validation_from_summary(base)
    version = store.next_version(later.engine, later.label, later.folder)
    cause = {
        "code": "earlier_quarter_corrected",
        "period": corrected.label,
        "version": corrected_version,
        "message": f"Versi ini dibuat ulang karena data {corrected.roman} {corrected.tahun} "
        f"dikoreksi (versi {corrected_version}); angka s.d. {later.period.roman} ikut berubah.",
    }
    with version_run(
        later.engine,
        later.label,
        version,
        later.folder,
        pemicu="cascade",
        parameter={"periode": later.label, "koreksi": corrected.label},
        sidik=None,
        sebab=cause["message"],
    ) as run:
        measured = steps.measure(later, version, validation, unattached, cause)
        built = steps.publish(later, run, measured)
        run.finished(built.summary["counts"])
    return built


def validation_from_summary(summary: dict[str, Any]) -> tuple[Validation, list[FileProblem]]:
    """The verdicts of a reported version, to render it again with new figures."""
    rows = [
        [
            u["unit"],
            p.get("file") or u["file"],
            p.get("row"),
            p.get("column"),
            p.get("rule"),
            p.get("severity"),
            p.get("message"),
        ]
        for u in summary["units"]
        for p in u["problems"]
    ]
    problems = pd.DataFrame(rows, columns=PROBLEM_COLUMNS, dtype=object)
    status = {u["unit"]: u["status"] for u in summary["units"] if u["status"] != "missing"}
    files = {u["unit"]: u["file"] for u in summary["units"] if u.get("file")}
    validation = Validation(problems=problems, accepted=pd.DataFrame(), status=status, files=files)
    unattached = [
        FileProblem(f["file"], f["message"]) for f in summary.get("unreadable_files") or []
    ]
    return validation, unattached
