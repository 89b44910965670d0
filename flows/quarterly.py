"""The `quarterly-report` flow: collect → check → record → measure → publish → send.

One run per quarter at a time (a lock in the database). A rerun whose inputs are identical makes
no version. A run that changes a quarter's accepted data also recomputes the later quarters of
that year already reported, and leadership gets one mail naming every quarter that changed.
Each step lives in tasks/steps.py; the stages that do the work are the packages of tasks/.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from prefect import flow
from prefect.runtime import flow_run

from triwulan.config import apply_config
from triwulan.settings_check import require_valid_settings
from triwulan.tasks import runtime, steps, steps_collect
from triwulan.tasks.cascade import cascade
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.period import period_for_run
from triwulan.tasks.core.quarter import Quarter
from triwulan.tasks.setup import enter_kecamatan, guard_final, open_quarter


def run_name() -> str:
    """Runs are named after the quarter they report ('2024-TW2'); the version is added later."""
    params = flow_run.parameters or {}
    where = f"{params['wilayah']} " if params.get("wilayah") else ""
    try:
        return where + period_for_run(params.get("periode"), runtime.scheduled_start()).label
    except TriwulanError:
        return f"{where}periode {params.get('periode')!r} tidak sah"


@flow(name="quarterly-report", log_prints=True, flow_run_name=run_name)
def quarterly_report(
    periode: str | None = None,
    inbox: str | None = None,
    out: str | None = None,
    paksa: bool = False,
    buka_final: str | None = None,
    pemicu: str | None = None,
    wilayah: str | None = None,
    referensi: str | None = None,
) -> dict:
    """Produce the draft report of one quarter from the files in the inbox now.

    Without a periode (the scheduled run at the deadline) it reports the quarter that ended
    before the run's scheduled start, however late the run starts or is retried. `paksa` makes
    a version even when nothing changed; `buka_final` (a reason) reopens a final quarter.
    A run that cannot produce a report fails with one Indonesian line, and a deployment run also
    mails it to the secretariat; an undelivered leadership draft fails the run (exit 3).
    `wilayah` (a kecamatan code) runs one kecamatan of a roll-up: its folders under the inbox,
    out and reference roots (`referensi`), its own schema in a shared database.
    """
    pemicu = pemicu or runtime.trigger()
    with ExitStack() as kecamatan:
        quarter = setup(periode, inbox, out, pemicu, wilayah, referensi, kecamatan)
        return report_quarter(quarter, pemicu, paksa, buka_final)


def report_quarter(quarter: Quarter, pemicu: str, paksa: bool, buka_final: str | None) -> dict:
    """The steps of one quarter, in order."""
    with steps.lock(quarter) as recovered:
        guard_final(quarter, buka_final)
        collected = steps_collect.collect(quarter)
        verdicts = steps.check(quarter, collected)
        recorded = steps.record_quarter(quarter, collected, verdicts)
        unchanged = steps.unchanged_rerun(quarter, recorded, pemicu, paksa)
        if unchanged is not None:
            return {**unchanged, "recovered": recovered}
        with steps.new_version(quarter, recorded, pemicu) as run:
            steps.record_files(quarter, run, collected, verdicts)
            measured = steps.measure(quarter, run.number, verdicts.validation, verdicts.unattached)
            built = steps.publish(quarter, run, measured, verdicts, collected.raw)
            later = cascade(quarter, run.number, recorded.changed)
            mails = steps.compose_mails(quarter, built, later, collected)
            results = steps.send(quarter, run, mails)
            summary = steps.finish(quarter, run, built, results, later)
    return steps.answer(quarter, run, summary, recovered, later)


def setup(
    periode: str | None,
    inbox: str | None,
    out: str | None,
    pemicu: str,
    wilayah: str | None,
    referensi: str | None,
    kecamatan: ExitStack,
) -> Quarter:
    """Settings first, then the quarter; a deployment run that cannot start tells the secretariat."""
    scheduled = runtime.scheduled_start()
    inbox_path, out_path = Path(inbox) if inbox else None, Path(out) if out else None
    try:
        apply_config()
        require_valid_settings()  # every bad setting, one line each, before any work
        if wilayah:
            root = Path(referensi) if referensi else None
            inbox_path, out_path = enter_kecamatan(wilayah, root, inbox_path, out_path, kecamatan)
        return open_quarter(periode, inbox_path, out_path, scheduled)
    except TriwulanError as exc:
        if pemicu != "manual":
            runtime.tell_secretariat(periode, scheduled, exc)
        raise
