"""'Jalankan ulang' as a Prefect deployment run when the deployment is served, else a child.

The deployment is served by a real Prefect Runner (what `triwulan serve` uses) against the
session's Prefect server; the portal's Runs sees it and starts a deployment run, whose state
it reports line by line until the flow run ends.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from tests.filled import filled_template
from triwulan.portal.jobs import Runs, deployment_served
from triwulan.tasks.core.period import parse_period
from triwulan.tasks.core.reference import load_reference


def _inbox(root: Path) -> Path:
    ref, period = load_reference(2024), parse_period("2024-TW2")
    folder = root / "inbox" / "2024" / "TW2"
    folder.mkdir(parents=True)
    for unit in ("perwira", "harapan-jaya"):
        filled_template(ref, period, unit, folder / f"{unit}.xlsx")
    return root / "inbox"


def _wait(runs: Runs, job_id: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    job = runs.get(job_id)
    while job is not None and job.running and time.monotonic() < deadline:
        time.sleep(1)


def test_a_served_deployment_runs_the_quarter(
    prefect_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.runner import Runner

    from triwulan.flows.quarterly import quarterly_report
    from triwulan.serve import QUARTERLY

    inbox, out = _inbox(tmp_path), tmp_path / "out"
    monkeypatch.setenv("TRIWULAN_INBOX", str(inbox))  # the served flow reads the configuration
    monkeypatch.setenv("TRIWULAN_OUT", str(out))
    monkeypatch.delenv("TRIWULAN_CONFIG", raising=False)
    runs = Runs(inbox, out)
    assert not deployment_served()  # nothing served yet: a child process would run it

    runner = Runner(query_seconds=1, pause_on_shutdown=False)
    runner.add_deployment(quarterly_report.to_deployment(name=QUARTERLY))
    loop = asyncio.new_event_loop()
    serving = threading.Thread(target=loop.run_until_complete, args=(runner.start(),), daemon=True)
    serving.start()
    try:
        deadline = time.monotonic() + 60
        while not deployment_served() and time.monotonic() < deadline:
            time.sleep(0.5)
        job = runs.start("2024-TW2")
        assert job.how == "deployment"
        assert runs.start("2024-TW2") is job  # pressed twice: the same run
        _wait(runs, job.id, 600)
    finally:
        asyncio.run_coroutine_threadsafe(runner.astop(), loop).result(60)
        serving.join(60)

    assert job.state == "selesai", job.lines
    assert any(line.startswith("Status: Completed") for line in job.lines), job.lines
    assert (out / "2024" / "TW2" / "v1" / "laporan.html").is_file()
