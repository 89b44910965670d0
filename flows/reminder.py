"""The `deadline-reminder` flow: remind units without an accepted file, some days before the deadline.

A thin shell over triwulan.reminders.remind (the `triwulan ingatkan` command runs the same). The
scheduled run has no periode: it reminds about the quarter that ended before its scheduled start
(a run on 7 April is about TW I), and a late or retried run keeps that quarter and that wording.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from triwulan.reminders import QuarterIsFinal, remind
from triwulan.tasks import runtime
from triwulan.tasks.core.errors import DeliveryFailed, TriwulanError
from triwulan.tasks.core.period import period_for_run


def run_name() -> str:
    """Runs are named after the quarter they remind about ('pengingat 2025-TW1')."""
    params = flow_run.parameters or {}
    try:
        return f"pengingat {period_for_run(params.get('periode'), runtime.scheduled_start()).label}"
    except TriwulanError:
        return f"pengingat: periode {params.get('periode')!r} tidak sah"


@flow(name="deadline-reminder", log_prints=True, flow_run_name=run_name)
def deadline_reminder(
    periode: str | None = None, inbox: str | None = None, out: str | None = None
) -> dict:
    """Send the reminders and the secretariat's list; fail the run if a mail could not go out.

    Failing (rather than finishing with a note) shows the problem in the Prefect UI; a retry
    sends only what did not go out, as the ledger skips every mail already sent.
    """
    logger = get_run_logger()
    try:
        outcome = remind(
            periode,
            Path(inbox) if inbox else None,
            Path(out) if out else None,
            scheduled=runtime.scheduled_start(),
        )
    except QuarterIsFinal as closed:  # nothing to remind about: a note, not a failed run
        logger.info(str(closed))
        return {"final": True, "pesan": str(closed)}
    for line in outcome.lines:
        logger.info(line)
    result = outcome.as_dict()
    if outcome.failed:
        raise DeliveryFailed(
            f"Pengingat {outcome.period.label}: {len(outcome.failed)} email gagal dikirim "
            f"({', '.join(r.key for r in outcome.failed)}). Jalankan ulang setelah server email "
            "pulih; yang sudah terkirim tidak dikirim lagi.",
            result,
        )
    return result
