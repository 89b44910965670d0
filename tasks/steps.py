"""The steps of the quarterly flow: thin Prefect shells over the stages' plain functions.

Each step takes the Quarter (tasks.core.quarter) and what the step before it handed on; it does
the I/O and calls the stage that owns the work. No step is cached: ingestion keyed on a path
would return the old result after a file is corrected, and a rerun must see the inbox as it is.
Large arguments are handed to tasks in `quote(...)`: Prefect would otherwise walk every element
(thousands of units, frames, mails) looking for futures, seconds per call at a province's size.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from triwulan.tasks import rerun
from triwulan.tasks.check.attribution import attach_file_problems
from triwulan.tasks.check.iku import IkuValidation, validate_received
from triwulan.tasks.check.validate import Validation
from triwulan.tasks.collect.ingest import (
    FileProblem,
    Received,
)
from triwulan.tasks.core.errors import DeliveryFailed
from triwulan.tasks.core.quarter import Quarter
from triwulan.tasks.measure import compute
from triwulan.tasks.measure.report_data import Extras, previous_version, summarise_version
from triwulan.tasks.measure.summary import counted_units, earlier_gaps, write_summary
from triwulan.tasks.publish.version_files import Checked, write_version_files
from triwulan.tasks.record import runs as record
from triwulan.tasks.record import store
from triwulan.tasks.record.fingerprint import data_digest, run_fingerprint
from triwulan.tasks.record.iku import load_iku
from triwulan.tasks.record.iku import save_iku as save_iku_rows
from triwulan.tasks.record.lock import lock_wait_seconds, quarter_lock, recover_dead_runs
from triwulan.tasks.record.mail import DbLedger, unconfirmed_leadership
from triwulan.tasks.record.version import VersionRun, version_run
from triwulan.tasks.runtime import publish_artifacts, rename_run
from triwulan.tasks.send.acknowledgement import acknowledgement_mails
from triwulan.tasks.send.deliver import DeliveryResult, Mail, deliver
from triwulan.tasks.send.mails import (
    leadership_key,
    leadership_mail,
    unit_feedback_mails,
)

# ------------------------------------------------------------------------ the quarter's lock


@contextlib.contextmanager
def lock(quarter: Quarter) -> Iterator[list[str]]:
    """One run per quarter at a time; what a dead run left is cleared first (and named)."""
    with quarter_lock(quarter.engine, quarter.label, lock_wait_seconds()):
        yield recover_dead_runs(quarter.engine, quarter.label, quarter.folder)


# collect: tasks/steps_collect.py (keep and read, here or in batches on Dask)


# --------------------------------------------------------------------------------- check


@dataclass(frozen=True)
class Verdicts:
    """What checking decided: per unit accepted or rejected, the IKU sheets, stray files."""

    validation: Validation
    iku: IkuValidation
    unattached: list[FileProblem]  # unreadable files that name no unit


@task(name="validasi", cache_policy=NO_CACHE)
def validate(
    collected: Received, quarter: Quarter, earlier: pd.DataFrame
) -> tuple[Validation, IkuValidation]:
    """Great Expectations over all units of the quarter (one batch for the money, one per IKU
    sheet); an error anywhere in a unit's file rejects the file."""
    return validate_received(collected, quarter.ref, quarter.period, earlier)


def check(quarter: Quarter, collected: Received) -> Verdicts:
    """Validate against the rules and the earlier quarters; unreadable files go to their unit."""
    period = quarter.period
    earlier = store.earlier_figures(quarter.engine, period.tahun, period.triwulan)
    validation, iku = validate(quote(collected), quote(quarter), quote(earlier))
    validation, unattached = attach_file_problems(
        validation, collected.file_problems, quarter.ref.units
    )
    return Verdicts(validation, iku, unattached)


# -------------------------------------------------------------------------------- record


@dataclass(frozen=True)
class Recorded:
    """The accepted rows saved as the next version's data, and what the run depends on."""

    version: int
    changed: bool  # the quarter's stored data differs from before this run
    sidik: str  # everything the report would be made of (tasks.record.fingerprint)
    sidik_masukan: str | None  # the inputs as they lie, for the fast unchanged answer


@task(name="simpan", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def save(quarter: Quarter, accepted: pd.DataFrame, shas: dict[str, str], version: int) -> int:
    """Accepted rows replace the unit's earlier rows of this quarter (a correction)."""
    rows = accepted.assign(sha256=accepted["_file"].map(shas))
    period = quarter.period
    return store.save_accepted(quarter.engine, period.tahun, period.triwulan, rows, version)


@task(name="simpan-iku", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def save_iku(quarter: Quarter, iku: IkuValidation, status: dict[str, str], version: int) -> int:
    """IKU rows of units not rejected replace their earlier rows of the sheets they sent."""
    units = {u for u, _ in iku.sent if status.get(u) != "rejected"}
    period = quarter.period
    return save_iku_rows(
        quarter.engine, period.tahun, period.triwulan, iku.accepted, iku.sent, units, version
    )


@task(name="sidik", cache_policy=NO_CACHE)
def fingerprint(quarter: Quarter, collected: Received, year_data: str) -> str:
    """Digest of everything the report would be made of (see tasks.record.fingerprint)."""
    return run_fingerprint(
        collected.sha256,
        {p.file: p.message for p in collected.file_problems},
        year_data,  # data_digest of the year, as stored after this run's save
        rerun.reference_digest(quarter.period),
        # the thresholds as read (file or TRIWULAN_PERINGATAN_DEVIASI): they change the report
        rerun.settings_values(),
    )


def record_quarter(quarter: Quarter, collected: Received, verdicts: Verdicts) -> Recorded:
    """Save what was accepted, then fingerprint: saving the same files again changes nothing,
    so an identical rerun (same files, same store, same rules) has the same fingerprint."""
    engine, period = quarter.engine, quarter.period
    version = store.next_version(engine, quarter.label, quarter.folder)
    before = data_digest(engine, period.tahun, period.triwulan)
    save(quote(quarter), quote(verdicts.validation.accepted), quote(collected.sha256), version)
    save_iku(quote(quarter), quote(verdicts.iku), quote(verdicts.validation.status), version)
    changed = data_digest(engine, period.tahun, period.triwulan) != before
    year_data = data_digest(engine, period.tahun)  # once: the store does not change below
    masukan = collected.inbox_digest and rerun.input_fingerprint(
        collected.inbox_digest,
        year_data,
        rerun.reference_digest(period),
        rerun.settings_values(),
    )
    sidik = fingerprint(quote(quarter), quote(collected), year_data)
    return Recorded(version, changed, sidik, masukan)


def unchanged_rerun(
    quarter: Quarter, recorded: Recorded, pemicu: str, paksa: bool
) -> dict[str, Any] | None:
    """Nothing differs from the last version: recorded, no version, pending mails sent."""
    last = record.last_report(quarter.engine, quarter.label)
    if paksa or not last or last["sidik"] != recorded.sidik:
        return None
    result = rerun.answer_unchanged(quarter, last, pemicu, recorded.sidik, recorded.sidik_masukan)
    rename_run(f"{quarter.label} v{last['versi']} (tanpa perubahan)")
    get_run_logger().info("%s: tidak ada perubahan sejak v%s", quarter.label, last["versi"])
    if result["undelivered"]:
        raise DeliveryFailed(result["undelivered"], result)
    return result


@contextlib.contextmanager
def new_version(quarter: Quarter, recorded: Recorded, pemicu: str) -> Iterator[VersionRun]:
    """The run row of the new version; a failure inside marks it and leaves v<k>.gagal/."""
    rename_run(f"{quarter.label} v{recorded.version}")
    with version_run(
        quarter.engine,
        quarter.label,
        recorded.version,
        quarter.folder,
        pemicu=pemicu,
        parameter=quarter.params,
        sidik=recorded.sidik,
        sidik_masukan=recorded.sidik_masukan,
    ) as run:
        yield run


def record_files(
    quarter: Quarter, run: VersionRun, collected: Received, verdicts: Verdicts
) -> None:
    """Which unit sent which file, and what became of it in this run.

    A file with only IKU sheets (e.g. the survey as CSV) belongs to the unit its rows name.
    """
    validation = verdicts.validation
    owner: dict[str, str] = dict(verdicts.iku.owners or {})
    for unit, names in validation.files.items():  # "a.xlsx" or "a.xlsx, b.csv"
        for name in {names, *names.split(", ")} & collected.sha256.keys():
            owner[name] = unit
    problems = validation.problems
    errors = problems.loc[problems["severity"] == "error", "file"].value_counts().to_dict()
    outcome = {}
    for name in collected.sha256:
        unit = owner.get(name)
        count = int(errors.get(name, 0))
        status = validation.status.get(unit, "rejected" if count else "accepted")
        outcome[name] = (unit, status if unit else "rejected", count)
    record.record_submissions(quarter.engine, quarter.label, run.run_id, collected.sha256, outcome)


# ------------------------------------------------------------------------------- measure


@dataclass(frozen=True)
class Measured:
    """One version's figures and summary, before any file is written."""

    version: int
    summary: dict[str, Any]
    detail: pd.DataFrame
    extras: Extras


@task(name="hitung", cache_policy=NO_CACHE)
def compute_quarter(quarter: Quarter, stored: pd.DataFrame, units: list[str]) -> pd.DataFrame:
    """Figures of the quarter and cumulative to date, from the stored accepted rows."""
    ref, period = quarter.ref, quarter.period
    return compute.quarter_detail(
        quarter.plan, stored, units, period.triwulan, ref.unit_names, ref.predikat
    )


def measure(
    quarter: Quarter,
    version: int,
    validation: Validation,
    unattached: list[FileProblem],
    cause: dict[str, Any] | None = None,
) -> Measured:
    """Figures from the store, and the summary with its warnings, IKU, E.81 and changes."""
    engine, ref, period = quarter.engine, quarter.ref, quarter.period
    # A unit not accepted in this run (new file rejected, unreadable or gone) keeps the rows
    # it had accepted for this quarter before; the report says which file they come from.
    sources = store.stored_sources(engine, period.tahun, period.triwulan)
    counted, earlier_data = counted_units(validation.status, sources)
    stored = store.load_realisasi(engine, period.tahun, period.triwulan)  # read once
    detail = compute_quarter(quote(quarter), quote(stored), quote(counted))
    warnings = earlier_gaps(
        store.quarters_with_data(engine, period.tahun), counted, period.triwulan, ref.unit_names
    )
    last = record.last_report(engine, quarter.label)
    summary, extras = summarise_version(
        ref,
        period,
        version,
        validation,
        unattached,
        detail,
        earlier_data,
        warnings,
        stored,
        load_iku(engine, period.tahun, period.triwulan),
        counted,
        previous_version(last["folder"]) if last else None,
        cause,
    )
    return Measured(version, summary, detail, extras)


# ------------------------------------------------------------------------------- publish


@dataclass(frozen=True)
class Built:
    """One quarter's version, rendered: what mails and later steps need of it."""

    version: int
    folder: Path
    summary: dict[str, Any]
    detail: pd.DataFrame
    attachments: list[Path]

    def moved_to(self, folder: Path) -> Built:
        moved = [folder / p.name for p in self.attachments]
        return replace(self, folder=folder, attachments=moved)


@task(name="laporan", cache_policy=NO_CACHE)
def write_reports(
    quarter: Quarter,
    folder: Path,
    measured: Measured,
    checked: Checked | None = None,
) -> list[Path]:
    """The version folder's files (summary, detail, report, rekap, charts; validasi, data docs)."""
    return write_version_files(
        folder,
        measured.summary,
        measured.detail,
        quarter.ref.predikat,
        checked,
        measured.extras.e81,
    )


def publish(
    quarter: Quarter,
    run: VersionRun,
    measured: Measured,
    verdicts: Verdicts | None = None,
    raw: pd.DataFrame | None = None,
) -> Built:
    """The version's files, built under a temporary name, then given the version's own.

    `raw` (the rows read this run) is given when files were validated: then the version also
    gets its validation report and GX Data Docs.
    """
    checked = None
    if raw is not None and verdicts is not None:
        rows = raw.groupby("_file").size().to_dict() if not raw.empty else {}
        checked = Checked(
            verdicts.validation.problems,
            {str(k): int(v) for k, v in rows.items()},
            getattr(verdicts.validation, "gx_result", None),
            f"{quarter.label} v{measured.version}",
        )
    attachments = write_reports(quote(quarter), run.work, quote(measured), quote(checked))
    built = Built(measured.version, run.work, measured.summary, measured.detail, attachments)
    return built.moved_to(run.publish())


# ---------------------------------------------------------------------------------- send


def compose_mails(
    quarter: Quarter, built: Built, later: list[Built], collected: Received
) -> list[Mail]:
    """The draft to leadership (naming every quarter that changed), feedback, receipts."""
    ref, period = quarter.ref, quarter.period
    return [
        leadership_mail(ref, period, built.summary, built.attachments, built.detail, later),
        *unit_feedback_mails(
            ref,
            period,
            built.summary,
            collected.sha256,
            raw_dir=quarter.raw_dir,
            attachments_dir=built.folder / "lampiran-unit",
        ),
        *acknowledgement_mails(ref, period, built.summary, collected.sha256),
    ]


def send(quarter: Quarter, run: VersionRun, mails: list[Mail]) -> list[DeliveryResult]:
    """Every mail of the run (thousands at a province's size: handed over unvisited)."""
    return send_mails(quote(quarter), quote(run), quote(mails))


@task(name="kirim", cache_policy=NO_CACHE)
def send_mails(quarter: Quarter, run: VersionRun, mails: list[Mail]) -> list[DeliveryResult]:
    """Idempotent: the quarter's ledger (in the database) skips mails already sent.

    No Prefect retries: deliver() is the one retry layer (nested retries sent 9 copies).
    """
    ledger = DbLedger(
        quarter.engine,
        quarter.label,
        quarter.folder / "terkirim.json",
        versi=run.number,
        run_id=run.run_id,
    )
    return deliver(mails, run.final / "outbox", quarter.smtp, ledger=ledger)


def mark_covered(quarter: Quarter, results: list[DeliveryResult], later: list[Built]) -> None:
    """The combined correction mail also delivered each later quarter's new draft."""
    lead = next((r for r in results if "/pimpinan/" in r.key), None)
    if lead is None or lead.status not in ("terkirim", "unknown", "sudah_terkirim"):
        return
    for built in later:
        label = built.summary["period"]
        ledger = DbLedger(
            quarter.engine,
            label,
            built.folder.parent / "terkirim.json",
            versi=built.version,
            run_id=None,
        )
        key = leadership_key(label, built.summary, built.detail)
        if key not in ledger.load():
            ledger.record(
                key,
                {
                    "status": "terkirim" if lead.status != "unknown" else "unknown",
                    "eml": str(lead.eml),
                    "kepada": [],
                    "versi": built.version,
                },
            )


def finish(
    quarter: Quarter,
    run: VersionRun,
    built: Built,
    results: list[DeliveryResult],
    later: list[Built],
) -> dict[str, Any]:
    """The summary with what was delivered, in the folder and the Prefect UI; the run's row."""
    mark_covered(quarter, results, later)
    summary = built.summary
    summary["folder"] = str(built.folder)
    summary["delivery"] = rerun.delivery_rows(results)
    write_summary(built.folder, summary)
    publish_artifacts(quote(summary))
    run.finished(summary["counts"], rerun.leadership_undelivered(results))
    return summary


def answer(
    quarter: Quarter,
    run: VersionRun,
    summary: dict[str, Any],
    recovered: list[str],
    later: list[Built],
) -> dict[str, Any]:
    """What the caller is told; an undelivered draft fails the run (exit 3) after it is recorded."""
    summary["folder"] = str(run.final)
    summary["recovered"] = recovered
    summary["unconfirmed"] = unconfirmed_leadership(quarter.engine, quarter.label)
    summary["cascade"] = [{"period": b.summary["period"], "version": b.version} for b in later]
    if run.message:
        raise DeliveryFailed(run.message, summary)
    return summary
