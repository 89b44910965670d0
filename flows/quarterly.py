"""The `quarterly-report` flow: collect, validate, store, compute, report, deliver."""

from __future__ import annotations

import contextlib
from pathlib import Path

from prefect import flow

from triwulan.paths import quarter_out, raw_store
from triwulan.tasks import steps, store
from triwulan.tasks.attribution import attach_file_problems
from triwulan.tasks.compute import LEVEL_KEYS, aggregate, furthest_behind
from triwulan.tasks.mails import leadership_mail, unit_feedback_mails
from triwulan.tasks.setup import check_setup
from triwulan.tasks.summary import build_summary, write_summary


@flow(name="quarterly-report", log_prints=True)
def quarterly_report(
    periode: str | None = None, inbox: str | None = None, out: str | None = None
) -> dict:
    """Produce the draft report of one quarter from the files in the inbox now.

    Without a periode (the scheduled quarter-end run) it reports the quarter that just ended.
    """
    setup = check_setup(periode, Path(inbox) if inbox else None, Path(out) if out else None)
    period, ref, engine = setup.period, setup.ref, setup.engine
    quarter_folder = quarter_out(setup.out, period.tahun, period.triwulan)
    version = store.next_version(engine, period.label, quarter_folder)
    folder = quarter_folder / f"v{version}"
    folder.mkdir(parents=True)
    run_id = store.start_run(engine, period.label, version, folder)
    try:
        collected = steps.collect(engine, setup.inbox, period, raw_store(setup.out))
        earlier = store.earlier_totals(engine, period.tahun, period.triwulan)
        validation = steps.validate(collected.raw, ref, period, earlier)
        validation, unattached = attach_file_problems(
            validation, collected.file_problems, ref.units
        )
        steps.save(engine, period, validation.accepted, collected.sha256, version)
        # A unit not accepted in this run (new file rejected, unreadable or gone) keeps the rows
        # it had accepted for this quarter before; the report says which file they come from.
        accepted = [u for u, state in validation.status.items() if state == "accepted"]
        sources = store.stored_sources(engine, period.tahun, period.triwulan)
        earlier_data = {u: src for u, src in sources.items() if u not in accepted}
        counted = accepted + list(earlier_data)
        detail = steps.compute_quarter(engine, ref, period, counted)
        levels = {level: aggregate(detail, level, ref.predikat) for level in LEVEL_KEYS}
        behind = furthest_behind(detail)
        file_problems = [{"file": p.file, "message": p.message} for p in unattached]
        summary = build_summary(
            ref,
            period,
            version,
            validation.status,
            validation.files,
            validation.problems,
            file_problems,
            detail,
            earlier_data,
        )
        attachments = steps.write_reports(folder, summary, detail, levels, behind)
        mails = [
            leadership_mail(ref, period, summary, behind, attachments),
            *unit_feedback_mails(ref, period, summary, collected.sha256),
        ]
        results = steps.send(mails, folder / "outbox", setup.smtp, quarter_folder / "terkirim.json")
        summary["delivery"] = [
            {"key": r.key, "status": r.status, "eml": str(r.eml), "error": r.error} for r in results
        ]
        write_summary(folder, summary)
        steps.publish_artifacts(summary)
    except BaseException:
        # the original error is what the user must see; a failing ledger update must not hide it
        with contextlib.suppress(Exception):
            store.finish_run(engine, run_id, "gagal", {})
        raise
    store.finish_run(engine, run_id, "selesai", summary["counts"])
    summary["folder"] = str(folder)
    return summary
