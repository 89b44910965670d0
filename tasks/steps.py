"""Prefect task shells: each step does its I/O and calls the plain functions of tasks/.

No step is cached: ingestion keyed on a path would return the old result after a file is
corrected, and a rerun must see exactly the files in the inbox now.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine

from triwulan.paths import out_dir, quarter_inbox
from triwulan.tasks import compute, record, store
from triwulan.tasks.deliver import DeliveryResult, Mail, SmtpConfig, deliver
from triwulan.tasks.errors import DeliveryFailed
from triwulan.tasks.fingerprint import run_fingerprint
from triwulan.tasks.fmt import STATUS_LABEL, persen, rupiah
from triwulan.tasks.iku_store import load_iku
from triwulan.tasks.iku_store import save_iku as save_iku_rows
from triwulan.tasks.iku_validate import IkuValidation, validate_received
from triwulan.tasks.ingest import FileProblem, Received, collect_quarter, find_submissions
from triwulan.tasks.mails import failure_mail, leadership_key, secretariat_address
from triwulan.tasks.period import Period, period_for_run
from triwulan.tasks.reference import Reference, plan_for_quarter
from triwulan.tasks.report_data import previous_version, summarise_version
from triwulan.tasks.rerun import (
    answer_unchanged,
    delivery_rows,
    reference_digest,
    settings_values,
)
from triwulan.tasks.summary import (
    counted_units,
    earlier_gaps,
    write_summary,
)
from triwulan.tasks.validate import Validation
from triwulan.tasks.version_files import Checked, write_version_files


@task(name="kumpulkan", cache_policy=NO_CACHE)
def collect(engine: Engine, inbox: Path, period: Period, raw_dir: Path) -> Received:
    """Keep every received file byte-for-byte, then read the kept copies into one text frame.

    No retries: a file that cannot be read is a problem of that file, never a failed step.
    """
    paths = find_submissions(quarter_inbox(inbox, period.tahun, period.triwulan))

    def keep(path: Path) -> tuple[str, Path]:
        sha = store.keep_raw(engine, path, raw_dir)
        return sha, store.raw_path(raw_dir, sha, path.suffix)

    received = collect_quarter(paths, keep)
    get_run_logger().info(
        "%d berkas ditemukan untuk %s, %d bermasalah",
        len(paths),
        period.label,
        len(received.file_problems),
    )
    return received


@task(name="validasi", cache_policy=NO_CACHE)
def validate(
    collected: Received, ref: Reference, period: Period, earlier: pd.DataFrame
) -> tuple[Validation, IkuValidation]:
    """Great Expectations over all units of the quarter (one batch for the money, one per IKU
    sheet); an error anywhere in a unit's file rejects the file."""
    return validate_received(collected, ref, period, earlier)


@task(name="simpan-iku", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def save_iku(
    engine: Engine, period: Period, iku: IkuValidation, status: dict[str, str], version: int
) -> int:
    """IKU rows of units not rejected replace their earlier rows of the sheets they sent."""
    units = {u for u, _ in iku.sent if status.get(u) != "rejected"}
    return save_iku_rows(
        engine, period.tahun, period.triwulan, iku.accepted, iku.sent, units, version
    )


@task(name="simpan", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def save(
    engine: Engine, period: Period, accepted: pd.DataFrame, shas: dict[str, str], version: int
) -> int:
    """Accepted rows replace the unit's earlier rows of this quarter (a correction)."""
    rows = accepted.assign(sha256=accepted["_file"].map(shas))
    return store.save_accepted(engine, period.tahun, period.triwulan, rows, version)


@task(name="hitung", cache_policy=NO_CACHE)
def compute_quarter(
    ref: Reference, period: Period, stored: pd.DataFrame, units: list[str]
) -> pd.DataFrame:
    """Figures of the quarter and cumulative to date, from the stored accepted rows."""
    names = dict(zip(ref.units["unit"], ref.units["nama"], strict=True))
    plan = plan_for_quarter(ref, period.triwulan)
    return compute.quarter_detail(plan, stored, units, period.triwulan, names, ref.predikat)


@task(name="laporan", cache_policy=NO_CACHE)
def write_reports(
    folder: Path,
    summary: dict[str, object],
    detail: pd.DataFrame,
    predikat: pd.DataFrame,
    checked: Checked | None = None,
    e81: pd.DataFrame | None = None,
) -> list[Path]:
    """The version folder's files (summary, detail, report, rekap, charts; validasi, data docs)."""
    return write_version_files(folder, summary, detail, predikat, checked, e81)


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


def build_quarter(
    engine: Engine,
    ref: Reference,
    period: Period,
    version: int,
    folder: Path,
    validation: Validation,
    unattached: list[FileProblem],
    cause: dict[str, Any] | None,
    raw: pd.DataFrame | None = None,
) -> Built:
    """Figures from the store, the summary with its warnings, and the report files.

    `raw` (the rows read this run) is given when files were validated: then the version also
    gets its validation report and GX Data Docs.
    """
    # A unit not accepted in this run (new file rejected, unreadable or gone) keeps the rows
    # it had accepted for this quarter before; the report says which file they come from.
    sources = store.stored_sources(engine, period.tahun, period.triwulan)
    counted, earlier_data = counted_units(validation.status, sources)
    stored = store.load_realisasi(engine, period.tahun, period.triwulan)  # read once
    detail = compute_quarter(ref, period, stored, counted)
    names = dict(zip(ref.units["unit"], ref.units["nama"], strict=True))
    warnings = earlier_gaps(
        store.quarters_with_data(engine, period.tahun), counted, period.triwulan, names
    )
    last = record.last_report(engine, period.label)
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
    checked = None
    if raw is not None:
        rows = raw.groupby("_file").size().to_dict() if not raw.empty else {}
        checked = Checked(
            validation.problems,
            {str(k): int(v) for k, v in rows.items()},
            getattr(validation, "gx_result", None),
            f"{period.label} v{version}",
        )
    attachments = write_reports(folder, summary, detail, ref.predikat, checked, extras.e81)
    return Built(version, folder, summary, detail, attachments)


def work_folder(quarter_folder: Path, version: int) -> Path:
    """A version is built under a temporary name and renamed only when it is complete."""
    return quarter_folder / f".v{version}.sedang"


def publish(work: Path, final: Path) -> Path:
    work.replace(final)
    return final


def fail(
    engine: Engine, run_id: int, quarter_folder: Path, version: int, exc: BaseException
) -> None:
    """A failed run leaves at most v<k>.gagal/ (never a folder that looks complete).

    The folder is renamed first and each step is tried on its own: on a full disk the database
    write may fail too, and the folder must still not stay `.sedang`.
    """
    status, message = record.outcome_of(exc)
    for candidate in (work_folder(quarter_folder, version), quarter_folder / f"v{version}"):
        if candidate.exists():
            with contextlib.suppress(OSError):
                candidate.replace(quarter_folder / f"v{version}.gagal")
            break
    with contextlib.suppress(Exception):
        record.finish_run(engine, run_id, status, pesan=message)


def unchanged(
    engine: Engine,
    period: Period,
    last: dict[str, Any],
    pemicu: str,
    params: dict[str, str],
    sidik: str,
    smtp: SmtpConfig | None,
    sidik_masukan: str | None = None,
) -> dict[str, Any]:
    """Nothing differs from the last version: recorded, no version, pending mails sent."""
    result = answer_unchanged(engine, period, last, pemicu, params, sidik, smtp, sidik_masukan)
    rename_run(f"{period.label} v{last['versi']} (tanpa perubahan)")
    get_run_logger().info("%s: tidak ada perubahan sejak v%s", period.label, last["versi"])
    if result["undelivered"]:
        raise DeliveryFailed(result["undelivered"], result)
    return result


def scheduled_start() -> dt.datetime | None:
    """The scheduled start of this flow run (stays put when the run is late or retried)."""
    from prefect.runtime import flow_run

    try:
        value = flow_run.scheduled_start_time
    except Exception:  # outside a flow run
        return None
    if value is None:
        return None
    return dt.datetime.fromisoformat(value.isoformat())


def trigger() -> str:
    """'jadwal' for a deployment run the scheduler created, 'manual' otherwise."""
    from prefect.client.orchestration import get_client
    from prefect.runtime import deployment, flow_run

    try:
        if deployment.id is None or not flow_run.id:
            return "manual"
        with get_client(sync_client=True) as client:
            return "jadwal" if client.read_flow_run(flow_run.id).auto_scheduled else "deployment"
    except Exception:  # outside a flow run, or no API: treat as a person's run
        return "manual"


def rename_run(name: str) -> None:
    """Name the Prefect flow run after what it reported ('2024-TW2 v3')."""
    from prefect.client.orchestration import get_client
    from prefect.runtime import flow_run

    run_id = flow_run.id
    if not run_id:
        return
    try:
        with get_client(sync_client=True) as client:
            client.update_flow_run(run_id, name=name)
    except Exception as exc:  # a name is a convenience; the report must not depend on it
        get_run_logger().warning("nama run tidak dapat diubah: %s", exc)


def tell_secretariat(periode: str | None, scheduled: dt.datetime | None, exc: Exception) -> None:
    """A scheduled run that cannot produce a report mails the secretariat what to do."""
    logger = get_run_logger()
    try:
        config = SmtpConfig.from_env()
        to = secretariat_address()
    except Exception as problem:
        logger.error("sekretariat tidak dapat diberi tahu: %s", problem)
        return
    if not to:
        logger.error("alamat sekretariat tidak diketahui (TRIWULAN_SEKRETARIAT)")
        return
    label = periode or (period_for_run(None, scheduled).label if scheduled else "triwulan terakhir")
    mail = failure_mail(label, str(exc), to)
    outbox = out_dir() / "log" / "pemberitahuan"
    try:
        outbox.mkdir(parents=True, exist_ok=True)
    except OSError:
        outbox = Path(tempfile.mkdtemp(prefix="triwulan-pemberitahuan-"))
    for result in deliver([mail], outbox, config, ledger=outbox / "terkirim.json"):
        logger.info("pemberitahuan ke sekretariat: %s", result.status)


@task(name="sidik", cache_policy=NO_CACHE)
def fingerprint(engine: Engine, ref: Reference, period: Period, collected: Received) -> str:
    """Digest of everything the report would be made of (see tasks.fingerprint)."""
    return run_fingerprint(
        collected.sha256,
        {p.file: p.message for p in collected.file_problems},
        store.data_digest(engine, period.tahun),
        reference_digest(period),
        # the thresholds as read (file or TRIWULAN_PERINGATAN_DEVIASI): they change the report
        settings_values(),
    )


def record_files(
    engine: Engine,
    period: Period,
    run_id: int,
    collected: Received,
    validation: Validation,
    iku_owners: dict[str, str] | None = None,
) -> None:
    """Which unit sent which file, and what became of it in this run.

    A file with only IKU sheets (e.g. the survey as CSV) belongs to the unit its rows name.
    """
    owner: dict[str, str] = dict(iku_owners or {})
    for unit, names in validation.files.items():
        for name in collected.sha256:
            if name == names or name in names.split(", "):
                owner[name] = unit
    problems = validation.problems
    verdicts = {}
    for name in collected.sha256:
        unit = owner.get(name)
        count = int(((problems["file"] == name) & (problems["severity"] == "error")).sum())
        status = validation.status.get(unit, "rejected" if count else "accepted")
        verdicts[name] = (unit, status if unit else "rejected", count)
    record.record_submissions(engine, period.label, run_id, collected.sha256, verdicts)


@task(name="kirim", cache_policy=NO_CACHE)
def send(
    engine: Engine,
    period: Period,
    version: int,
    run_id: int,
    mails: list[Mail],
    folder: Path,
    config: SmtpConfig | None,
) -> list[DeliveryResult]:
    """Idempotent: the quarter's ledger (in the database) skips mails already sent.

    No Prefect retries: deliver() is the one retry layer (nested retries sent 9 copies).
    """
    ledger = record.DbLedger(
        engine, period.label, folder.parent / "terkirim.json", versi=version, run_id=run_id
    )
    return deliver(mails, folder / "outbox", config, ledger=ledger)


def mark_covered(
    engine: Engine, period: Period, results: list[DeliveryResult], later: list[Built]
) -> None:
    """The combined correction mail also delivered each later quarter's new draft."""
    lead = next((r for r in results if "/pimpinan/" in r.key), None)
    if lead is None or lead.status not in ("terkirim", "unknown", "sudah_terkirim"):
        return
    for built in later:
        label = built.summary["period"]
        ledger = record.DbLedger(
            engine, label, built.folder.parent / "terkirim.json", versi=built.version, run_id=None
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


def finish(summary: dict[str, Any], folder: Path, results: list[DeliveryResult]) -> dict[str, Any]:
    summary["folder"] = str(folder)
    summary["delivery"] = delivery_rows(results)
    write_summary(folder, summary)
    return summary


@task(name="artefak", cache_policy=NO_CACHE)
def publish_artifacts(summary: dict[str, object]) -> None:
    """A markdown and a table artifact so the run reads at a glance in the Prefect UI."""
    t = summary["totals"]
    c = summary["counts"]
    lines = [
        f"# DRAF {summary['kecamatan']} — {summary['period']} (versi {summary['version']})",
        "",
        f"**{c['accepted']} dari {c['total']} unit diterima** "
        f"({c['rejected']} ditolak, {c['missing']} belum mengirim).",
        "",
        f"- Realisasi TW: {rupiah(t['realisasi_keuangan_tw'])} dari target {rupiah(t['target_keuangan_tw'])} "
        f"({persen(t['capaian_keuangan_tw_persen'])})",
        f"- Realisasi s.d. TW: {rupiah(t['realisasi_keuangan_sd_tw'])} dari target "
        f"{rupiah(t['target_keuangan_sd_tw'])} ({persen(t['capaian_keuangan_sd_tw_persen'])})",
        f"- Serapan pagu: {persen(t['serapan_pagu_persen'])}; fisik: {persen(t['realisasi_fisik_persen'])}",
        "",
        f"Folder versi: `{summary.get('folder', '-')}`",
    ]
    for warning in summary.get("warnings") or []:
        lines.append(f"- PERHATIAN: {warning['message']}")
    delivery = summary.get("delivery") or []
    if delivery:
        lines += ["", "## Pengiriman email", "", "| email | status | keterangan |", "|---|---|---|"]
        for d in delivery:
            note = (d.get("error") or "").replace("|", "/").replace("\n", " ")
            lines.append(f"| {d['key']} | {d['status']} | {note} |")
    key = summary["period"].lower().replace("-", "")
    create_markdown_artifact("\n".join(lines), key=f"ringkasan-{key}", description="Ringkasan DRAF")
    rows = [
        {
            "unit": u["nama"],
            "status": STATUS_LABEL[u["status"]],
            "berkas": u["file"] or "-",
            "masalah": len(u["problems"]),
            "realisasi s.d. TW": rupiah(u["totals"]["realisasi_keuangan_sd_tw"])
            if u["totals"]
            else "-",
        }
        for u in summary["units"]
    ]
    create_table_artifact(rows, key=f"unit-{key}", description="Status unit")
