"""The `quarterly-report` flow: collect, validate, store, compute, report, deliver.

One run per quarter at a time (a lock in the database). A rerun whose inputs are identical makes
no version. A run that changes a quarter's accepted data also recomputes the later quarters of
that year already reported, and leadership gets one mail naming every quarter that changed.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from prefect import flow
from prefect.runtime import flow_run

from triwulan.paths import quarter_inbox, quarter_out, raw_store
from triwulan.tasks import record, rerun, steps, store
from triwulan.tasks.attribution import attach_file_problems
from triwulan.tasks.cascade import cascade
from triwulan.tasks.errors import DeliveryFailed, TriwulanError
from triwulan.tasks.limits import load_limits
from triwulan.tasks.mails import leadership_mail, unit_feedback_mails
from triwulan.tasks.notices import acknowledgement_mails
from triwulan.tasks.period import period_for_run
from triwulan.tasks.setup import check_setup, guard_final


def run_name() -> str:
    """Runs are named after the quarter they report ('2024-TW2'); the version is added later."""
    params = flow_run.parameters or {}
    try:
        return period_for_run(params.get("periode"), steps.scheduled_start()).label
    except TriwulanError:
        return f"periode {params.get('periode')!r} tidak sah"


@flow(name="quarterly-report", log_prints=True, flow_run_name=run_name)
def quarterly_report(
    periode: str | None = None,
    inbox: str | None = None,
    out: str | None = None,
    paksa: bool = False,
    buka_final: str | None = None,
    pemicu: str | None = None,
) -> dict:
    """Produce the draft report of one quarter from the files in the inbox now.

    Without a periode (the scheduled run at the deadline) it reports the quarter that ended
    before the run's scheduled start, however late the run starts or is retried. `paksa` makes
    a version even when nothing changed; `buka_final` (a reason) reopens a final quarter.
    A run that cannot produce a report fails with one Indonesian line, and a deployment run also
    mails it to the secretariat; an undelivered leadership draft fails the run (exit 3).
    """
    scheduled = steps.scheduled_start()
    pemicu = pemicu or steps.trigger()
    try:
        setup = check_setup(
            periode, Path(inbox) if inbox else None, Path(out) if out else None, scheduled
        )
    except TriwulanError as exc:
        if pemicu != "manual":
            steps.tell_secretariat(periode, scheduled, exc)
        raise
    period, ref, engine = setup.period, setup.ref, setup.engine
    params = {"periode": period.label, "inbox": str(setup.inbox), "out": str(setup.out)}
    quarter_folder = quarter_out(setup.out, period.tahun, period.triwulan)
    with record.quarter_lock(engine, period.label, record.lock_wait_seconds()):
        recovered = record.recover_dead_runs(engine, period.label, quarter_folder)
        guard_final(engine, period.label, buka_final)
        folder_in = quarter_inbox(setup.inbox, period.tahun, period.triwulan)
        found = rerun.inbox_digest(folder_in, load_limits())
        collected = steps.collect(engine, setup.inbox, period, raw_store(setup.out))
        if rerun.inbox_digest(folder_in, load_limits()) != found:
            found = None  # a file changed while it was read: no fast answer next time
        version = store.next_version(engine, period.label, quarter_folder)
        before = store.data_digest(engine, period.tahun, period.triwulan)
        earlier = store.earlier_figures(engine, period.tahun, period.triwulan)
        validation, iku = steps.validate(collected, ref, period, earlier)
        validation, unattached = attach_file_problems(
            validation, collected.file_problems, ref.units
        )
        # saving the same accepted files again changes nothing, so the fingerprint taken after
        # it tells an identical rerun: same files, same store, same rules
        steps.save(engine, period, validation.accepted, collected.sha256, version)
        steps.save_iku(engine, period, iku, validation.status, version)
        sidik = steps.fingerprint(engine, ref, period, collected)
        masukan = found and rerun.input_fingerprint(
            found,
            store.data_digest(engine, period.tahun),
            rerun.reference_digest(period),
            rerun.settings_values(),
        )
        last = record.last_report(engine, period.label)
        if last and last["sidik"] == sidik and not paksa:
            answer = steps.unchanged(
                engine, period, last, pemicu, params, sidik, setup.smtp, masukan
            )
            return {**answer, "recovered": recovered}
        steps.rename_run(f"{period.label} v{version}")

        run_id = record.start_run(
            engine,
            period.label,
            version,
            None,
            pemicu=pemicu,
            parameter=params,
            sidik=sidik,
            sidik_masukan=masukan,
        )
        work = steps.work_folder(quarter_folder, version)
        try:
            steps.record_files(engine, period, run_id, collected, validation, iku.owners)
            changed = store.data_digest(engine, period.tahun, period.triwulan) != before
            built = steps.build_quarter(
                engine, ref, period, version, work, validation, unattached, None, collected.raw
            )
            folder = steps.publish(work, quarter_folder / f"v{version}")
            built = built.moved_to(folder)
            later = cascade(engine, ref, setup.out, period, version, changed)
            mails = [
                leadership_mail(ref, period, built.summary, built.attachments, built.detail, later),
                *unit_feedback_mails(
                    ref,
                    period,
                    built.summary,
                    collected.sha256,
                    raw_dir=raw_store(setup.out),
                    attachments_dir=folder / "lampiran-unit",
                ),
                *acknowledgement_mails(ref, period, built.summary, collected.sha256),
            ]
            results = steps.send(engine, period, version, run_id, mails, folder, setup.smtp)
            steps.mark_covered(engine, period, results, later)
            summary = steps.finish(built.summary, folder, results)
            steps.publish_artifacts(summary)
        except BaseException as exc:
            # the original error is what the user must see; bookkeeping must not hide it
            with contextlib.suppress(Exception):
                steps.fail(engine, run_id, quarter_folder, version, exc)
            raise
        undelivered = rerun.leadership_undelivered(results)
        record.finish_run(
            engine, run_id, "selesai", summary["counts"], folder=folder, pesan=undelivered
        )
    summary["folder"] = str(folder)
    summary["recovered"] = recovered
    summary["unconfirmed"] = record.unconfirmed_leadership(engine, period.label)
    summary["cascade"] = [{"period": b.summary["period"], "version": b.version} for b in later]
    if undelivered:
        raise DeliveryFailed(undelivered, summary)
    return summary
