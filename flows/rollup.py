"""The `wilayah-report` flow: every kecamatan below a level, then the level's report.

A kota, province or the nation (`--wilayah 32.75`) runs the quarterly flow of every kecamatan
below it, concurrently, then consolidates their stored results level by level (a province's kota
first) into each level's report, and mails the level asked for to its own leadership.

Where the kecamatan run (`task_runner` and `deployment`):
- in this process, a few at a time (TRIWULAN_WILAYAH_PARALEL, default 2): the default;
- as flow runs of a deployment (TRIWULAN_WILAYAH_DEPLOYMENT, e.g.
  "quarterly-report/kecamatan-wilayah") on a Prefect work pool, whose workers may sit on several
  machines sharing the inbox and out folders;
- on a Dask cluster (TRIWULAN_DASK_ALAMAT: "tcp://host:8786", or "lokal:2" for a LocalCluster of
  two worker processes on this PC), through prefect-dask's DaskTaskRunner.
One task per kecamatan, never per file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from triwulan.config import apply_config
from triwulan.flows.quarterly import quarterly_report
from triwulan.settings_check import require_valid_settings
from triwulan.tasks import level, runtime
from triwulan.tasks.core.errors import DeliveryFailed, TriwulanError
from triwulan.tasks.core.period import period_for_run
from triwulan.tasks.core.wilayah import (
    DEPLOYMENT_ENV,
    PARALLEL_ENV,
    deployment_name,
    parallel_count,
)
from triwulan.tasks.rerun import delivery_rows


def task_runner(env: Mapping[str, str] = os.environ) -> TaskRunner:
    """Threads in this process by default; a Dask cluster when an address is configured."""
    return runtime.dask_runner(env) or ThreadPoolTaskRunner(
        max_workers=parallel_count(env.get(PARALLEL_ENV))
    )


def run_name() -> str:
    params = flow_run.parameters or {}
    try:
        label = period_for_run(params.get("periode"), runtime.scheduled_start()).label
    except TriwulanError:
        label = str(params.get("periode"))
    return f"{params.get('wilayah')} {label}"


@task(name="kecamatan", cache_policy=NO_CACHE, task_run_name="{parameters[wilayah]}")
def run_kecamatan(parameters: dict[str, Any]) -> str:
    """One kecamatan's quarter in this process or on a Dask worker; '' when it ran, else why not."""
    try:
        quarterly_report(**parameters)
        return ""
    except DeliveryFailed:
        return ""  # the report stands; its own leadership mail is the kecamatan's matter
    except TriwulanError as exc:
        return str(exc)
    except Exception as exc:  # one kecamatan never stops the others
        return f"kesalahan tak terduga ({type(exc).__name__})"


def run_on_pool(plan: level.Rollup, deployment: str, poll_s: float = 2.0) -> dict[str, str]:
    """Every kecamatan at once as a run of the deployment: the pool's workers share them out.

    Returns the failures ({kode: why}); a run that ends Completed is a kecamatan that reported.
    """
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    started = {
        k.kode: run_deployment(
            name=deployment, parameters=level.child_parameters(plan, k), timeout=0
        ).id
        for k in plan.kecamatan
    }
    failures: dict[str, str] = {}
    pending = dict(started)
    with get_client(sync_client=True) as client:
        while pending:
            for kode, run_id in list(pending.items()):
                state = client.read_flow_run(run_id).state
                if state is None or not state.is_final():
                    continue
                del pending[kode]
                if not state.is_completed():
                    failures[kode] = f"run {state.name}: {state.message or '-'}"
            if pending:
                time.sleep(poll_s)
    return failures


@flow(name="wilayah-report", log_prints=True, flow_run_name=run_name)
def wilayah_report(
    wilayah: str,
    periode: str | None = None,
    inbox: str | None = None,
    out: str | None = None,
    referensi: str | None = None,
    deployment: str | None = None,
) -> dict[str, Any]:
    """Run every kecamatan below `wilayah`, then build each level's report and mail the top one."""
    plan = setup(wilayah, periode, inbox, out, referensi)
    deployment = deployment_name(deployment or os.environ.get(DEPLOYMENT_ENV))
    if deployment:
        failures = run_on_pool(plan, deployment)
    else:
        runs = {
            k.kode: run_kecamatan.submit(level.child_parameters(plan, k)) for k in plan.kecamatan
        }
        failures = {kode: message for kode, run in runs.items() if (message := run.result())}
    built = [level.build_level(plan, lvl, failures) for lvl in plan.levels]
    top = built[-1]
    results = level.send_level(plan, top)
    answer = {
        **top.summary,
        "folder": str(top.folder),
        "new_version": top.new,
        "failures": failures,
        "levels": [{"kode": b.level.kode, "folder": str(b.folder)} for b in built],
        "delivery": delivery_rows(results),
    }
    failed = [r for r in results if r.status == "gagal"]
    if failed:
        raise DeliveryFailed(
            f"Laporan {plan.top.label} sudah dibuat, tetapi emailnya GAGAL dikirim: "
            f"{failed[0].error} Salinan email: {failed[0].eml}.",
            answer,
        )
    return answer


def setup(
    wilayah: str,
    periode: str | None,
    inbox: str | None,
    out: str | None,
    referensi: str | None,
) -> level.Rollup:
    apply_config()
    require_valid_settings()
    return level.plan_rollup(
        periode,
        wilayah,
        Path(inbox) if inbox else None,
        Path(out) if out else None,
        Path(referensi) if referensi else None,
        runtime.scheduled_start(),
    )


def run_rollup(wilayah: str, periode: str, **options: Any) -> dict[str, Any]:
    """The flow on the task runner the settings choose (threads here, or Dask)."""
    return wilayah_report.with_options(task_runner=task_runner())(wilayah, periode, **options)
