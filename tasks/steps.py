"""Prefect task shells: each step does its I/O and calls the plain functions of tasks/.

No step is cached: ingestion keyed on a path would return the old result after a file is
corrected, and a rerun must see exactly the files in the inbox now.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine

from tasks import compute, store
from tasks.deliver import DeliveryResult, Mail, SmtpConfig, deliver
from tasks.fmt import STATUS_LABEL, persen, rupiah
from tasks.ingest import FileProblem, find_submissions, read_quarter
from tasks.period import Period
from tasks.reference import Reference, plan_for_quarter
from tasks.report import render_full_report, write_rekap_xlsx
from tasks.summary import write_summary
from tasks.validate import Validation, validate_quarter
from triwulan.paths import quarter_inbox


@dataclass(frozen=True)
class Collected:
    raw: pd.DataFrame
    file_problems: list[FileProblem]
    sha256: dict[str, str]  # file name -> sha256 of the bytes received


@task(name="kumpulkan", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def collect(engine: Engine, inbox: Path, period: Period, raw_dir: Path) -> Collected:
    """Keep every received file byte-for-byte, then read them all into one text frame."""
    paths = find_submissions(quarter_inbox(inbox, period.tahun, period.triwulan))
    shas = {p.name: store.keep_raw(engine, p, raw_dir) for p in paths}
    raw, problems = read_quarter(paths)
    get_run_logger().info("%d berkas ditemukan untuk %s", len(paths), period.label)
    return Collected(raw=raw, file_problems=problems, sha256=shas)


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


@task(name="kirim", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=10)
def send(
    mails: list[Mail], outbox: Path, config: SmtpConfig | None, ledger: Path
) -> list[DeliveryResult]:
    """Idempotent: the quarter's ledger skips mails already sent, so retries and reruns never resend."""
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
