"""Later quarters recomputed after an earlier one is corrected (the cascade).

The "s.d." figures of a later quarter include the corrected one, so each later quarter already
reported gets a new version built from the store and its last verdicts, with the cause named.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from triwulan.paths import quarter_out
from triwulan.tasks import record, store
from triwulan.tasks.ingest import FileProblem
from triwulan.tasks.period import Period
from triwulan.tasks.reference import Reference
from triwulan.tasks.steps import Built, build_quarter, fail, publish, work_folder
from triwulan.tasks.validate import PROBLEM_COLUMNS, Validation


def cascade(
    engine: Engine, ref: Reference, out: Path, period: Period, version: int, changed: bool
) -> list[Built]:
    """Later quarters of the year already reported, recomputed in order as new versions.

    Their "s.d." figures include the corrected quarter. A later quarter marked final is left as
    it is (reopening it is a person's decision).
    """
    if not changed:
        return []
    rebuilt = []
    for q in range(period.triwulan + 1, 5):
        later = Period(period.tahun, q)
        last = record.last_report(engine, later.label)
        if last is None or record.current_final(engine, later.label):
            continue
        with record.quarter_lock(engine, later.label, record.lock_wait_seconds()):
            record.recover_dead_runs(engine, later.label, quarter_out(out, later.tahun, q))
            rebuilt.append(_rebuild(engine, ref, out, later, last, period, version))
    return rebuilt


def _rebuild(
    engine: Engine,
    ref: Reference,
    out: Path,
    later: Period,
    last: dict[str, Any],
    corrected: Period,
    corrected_version: int,
) -> Built:
    base = json.loads((Path(last["folder"]) / "summary.json").read_text(encoding="utf-8"))
    validation, unattached = validation_from_summary(base)
    quarter_folder = quarter_out(out, later.tahun, later.triwulan)
    version = store.next_version(engine, later.label, quarter_folder)
    cause = {
        "code": "earlier_quarter_corrected",
        "period": corrected.label,
        "version": corrected_version,
        "message": f"Versi ini dibuat ulang karena data {corrected.roman} {corrected.tahun} "
        f"dikoreksi (versi {corrected_version}); angka s.d. {later.roman} ikut berubah.",
    }
    run_id = record.start_run(
        engine,
        later.label,
        version,
        None,
        pemicu="cascade",
        parameter={"periode": later.label, "koreksi": corrected.label},
        sidik=None,
        sebab=cause["message"],
    )
    work = work_folder(quarter_folder, version)
    try:
        built = build_quarter(engine, ref, later, version, work, validation, unattached, cause)
        folder = publish(work, quarter_folder / f"v{version}")
    except BaseException as exc:
        fail(engine, run_id, quarter_folder, version, exc)
        raise
    record.finish_run(engine, run_id, "selesai", built.summary["counts"], folder=folder)
    return built.moved_to(folder)


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
