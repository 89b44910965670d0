"""The `quarterly-report` flow: collect, validate, store, compute, report, deliver."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from prefect import flow

from tasks import steps, store
from tasks.compute import LEVEL_KEYS, aggregate, furthest_behind
from tasks.deliver import SmtpConfig
from tasks.errors import TriwulanError
from tasks.mails import leadership_mail, unit_feedback_mails
from tasks.period import last_completed_quarter, parse_period
from tasks.reference import load_reference
from tasks.summary import WIB, build_summary
from triwulan.paths import inbox_dir, out_dir, quarter_out


def check_inbox(inbox: Path) -> None:
    """An inbox that is not there is a setup mistake, not 'every unit is missing'."""
    if not inbox.is_dir():
        raise TriwulanError(f"Folder inbox '{inbox}' tidak ada atau tidak dapat dibaca.")


@flow(name="quarterly-report", log_prints=True)
def quarterly_report(
    periode: str | None = None, inbox: str | None = None, out: str | None = None
) -> dict:
    """Produce the draft report of one quarter from the files in the inbox now.

    Without a periode (the scheduled quarter-end run) it reports the quarter that just ended.
    """
    period = (
        parse_period(periode) if periode else last_completed_quarter(dt.datetime.now(WIB).date())
    )
    ref = load_reference(period.tahun)
    inbox_path, out_path = (
        inbox_dir(Path(inbox) if inbox else None),
        out_dir(Path(out) if out else None),
    )
    check_inbox(inbox_path)
    out_path.mkdir(parents=True, exist_ok=True)
    engine = store.open_store(store.db_url(out_path))
    version = store.next_version(
        engine, period.label, quarter_out(out_path, period.tahun, period.triwulan)
    )
    folder = quarter_out(out_path, period.tahun, period.triwulan) / f"v{version}"
    folder.mkdir(parents=True)
    run_id = store.start_run(engine, period.label, version, folder)

    collected = steps.collect(engine, inbox_path, period, out_path / "store" / "raw")
    validation = steps.validate(collected.raw, ref, period)
    steps.save(engine, period, validation.accepted, collected.sha256, version)
    accepted = [u for u, s in validation.status.items() if s == "accepted"]
    detail = steps.compute_quarter(engine, ref, period, accepted)
    levels = {level: aggregate(detail, level, ref.predikat) for level in LEVEL_KEYS}
    behind = furthest_behind(detail)
    file_problems = [{"file": p.file, "message": p.message} for p in collected.file_problems]
    summary = build_summary(
        ref,
        period,
        version,
        validation.status,
        validation.files,
        validation.problems,
        file_problems,
        detail,
    )
    attachments = steps.write_reports(folder, summary, detail, levels, behind)

    mails = [
        leadership_mail(ref, period, summary, behind, attachments),
        *unit_feedback_mails(ref, period, summary),
    ]
    results = steps.send(mails, folder / "outbox", SmtpConfig.from_env())
    summary["delivery"] = [
        {"key": r.key, "status": r.status, "eml": str(r.eml), "error": r.error} for r in results
    ]
    (folder / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    steps.publish_artifacts(summary)
    store.finish_run(engine, run_id, "selesai", summary["counts"])
    summary["folder"] = str(folder)
    return summary
