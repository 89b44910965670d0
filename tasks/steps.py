"""Prefect task shells: each step does its I/O and calls the plain functions of tasks/.

No step is cached: ingestion keyed on a path would return the old result after a file is
corrected, and a rerun must see exactly the files in the inbox now.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine

from triwulan.paths import quarter_inbox
from triwulan.tasks import compute, store
from triwulan.tasks.deliver import DeliveryResult, Mail, SmtpConfig, deliver
from triwulan.tasks.fmt import STATUS_LABEL, persen, rupiah
from triwulan.tasks.ingest import Received, collect_quarter, find_submissions
from triwulan.tasks.period import Period
from triwulan.tasks.reference import Reference, plan_for_quarter
from triwulan.tasks.report import render_full_report, write_rekap_xlsx
from triwulan.tasks.summary import write_summary
from triwulan.tasks.validate import Validation, validate_quarter


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
    raw: pd.DataFrame, ref: Reference, period: Period, earlier: pd.DataFrame
) -> Validation:
    """Great Expectations over all units of the quarter in one batch (earlier quarters for s.d.)."""
    return validate_quarter(raw, ref, period, earlier=earlier)


@task(name="simpan", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def save(
    engine: Engine, period: Period, accepted: pd.DataFrame, shas: dict[str, str], version: int
) -> int:
    """Accepted rows replace the unit's earlier rows of this quarter (a correction)."""
    rows = accepted.assign(sha256=accepted["_file"].map(shas))
    return store.save_accepted(engine, period.tahun, period.triwulan, rows, version)


@task(name="hitung", cache_policy=NO_CACHE)
def compute_quarter(
    engine: Engine, ref: Reference, period: Period, units: list[str]
) -> pd.DataFrame:
    """Figures of the quarter and cumulative to date, from the stored accepted rows."""
    stored = store.load_realisasi(engine, period.tahun, period.triwulan)
    names = dict(zip(ref.units["unit"], ref.units["nama"], strict=True))
    plan = plan_for_quarter(ref, period.triwulan)
    return compute.quarter_detail(plan, stored, units, period.triwulan, names, ref.predikat)


@task(name="laporan", cache_policy=NO_CACHE)
def write_reports(
    folder: Path,
    summary: dict[str, object],
    detail: pd.DataFrame,
    levels: dict[str, pd.DataFrame],
    behind: pd.DataFrame,
) -> list[Path]:
    """summary.json, laporan.html and rekap.xlsx into the version folder."""
    folder.mkdir(parents=True, exist_ok=True)
    write_summary(folder, summary)  # written again after delivery, with its outcome
    laporan = folder / "laporan.html"
    laporan.write_text(render_full_report(summary, detail, levels, behind), encoding="utf-8")
    rekap = folder / "rekap.xlsx"
    write_rekap_xlsx(rekap, summary, detail, levels)
    return [laporan, rekap]


@task(name="kirim", cache_policy=NO_CACHE)
def send(
    mails: list[Mail], outbox: Path, config: SmtpConfig | None, ledger: Path
) -> list[DeliveryResult]:
    """Idempotent: the quarter's ledger skips mails already sent, so reruns never resend.

    No Prefect retries: deliver() is the one retry layer (nested retries sent 9 copies).
    """
    return deliver(mails, outbox, config, ledger=ledger)


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
    ]
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
