"""Prefect's runtime as a run sees it: its scheduled start, its trigger, its name, its artifacts.

Every call works outside a flow run too (the CLI's fast answers, tests): then there is no
schedule, the trigger is 'manual' and nothing is renamed.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import TaskRunner

from triwulan.paths import out_dir
from triwulan.tasks.core.fmt import STATUS_LABEL, persen, rupiah
from triwulan.tasks.core.period import period_for_run
from triwulan.tasks.core.smtp_settings import SmtpConfig
from triwulan.tasks.core.wilayah import DASK_ENV, dask_workers
from triwulan.tasks.send.deliver import deliver
from triwulan.tasks.send.mails import failure_mail, secretariat_address


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


def dask_runner(env: Mapping[str, str] = os.environ) -> TaskRunner | None:
    """prefect-dask's DaskTaskRunner when [dask] alamat is set, else None.

    "tcp://host:8786" uses a running cluster; "lokal:2" starts a LocalCluster of two worker
    processes (one thread each: the work is CPU-bound Python) for the length of the block.
    """
    address, local = dask_workers(env.get(DASK_ENV))
    if not address and not local:
        return None
    from prefect_dask import DaskTaskRunner  # only the runs that use Dask pay for it

    if local:
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": local, "threads_per_worker": 1, "processes": True}
        )
    return DaskTaskRunner(address=address)
