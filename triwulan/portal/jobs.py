"""'Jalankan ulang' from the board: the quarterly flow as a deployment run, else in a child process.

With a Prefect server configured (PREFECT_API_URL answering) and the deployment served, the run
is a deployment run and its progress is the flow run's state. Otherwise `triwulan run PERIODE`
runs as a child of the portal with the same configuration: what it prints is the progress, and
a run that crashes or fills memory never takes the portal down with it (a run also installs
signal handlers, which only a main thread may). One run per quarter at a time: pressing the
button again shows the run already going.
"""

from __future__ import annotations

import itertools
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from triwulan.prefect_api import configured_url, healthy
from triwulan.serve import QUARTERLY

log = logging.getLogger("triwulan.portal")
DEPLOYMENT = f"quarterly-report/{QUARTERLY}"
KEEP_LINES = 400
PICKUP_S = 120  # a deployment run nobody picks up in this time is reported, not waited on


@dataclass
class RunJob:
    id: int
    periode: str
    how: str  # 'deployment' or 'proses'
    lines: list[str] = field(default_factory=list)
    state: str = "berjalan"  # berjalan, selesai, gagal
    started: float = field(default_factory=time.time)
    ended: float | None = None

    def say(self, line: str) -> None:
        self.lines.append(line.rstrip())
        del self.lines[:-KEEP_LINES]

    @property
    def running(self) -> bool:
        return self.state == "berjalan"


def deployment_served() -> bool:
    """A configured Prefect server answers and knows the quarterly deployment."""
    url = configured_url()
    if not url or not healthy(url, timeout_s=3):
        return False
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import DeploymentStatus

    try:
        with get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name(DEPLOYMENT)
    except Exception:  # not found, or the server went away: the run goes in a child process
        return False
    # a deployment stays registered after `triwulan serve` stops; READY means it is served now
    return deployment.status == DeploymentStatus.READY


class Runs:
    """The portal's runs, newest first; at most one running per quarter."""

    def __init__(self, inbox: Path, out: Path) -> None:
        self.inbox, self.out = inbox, out
        self._jobs: dict[int, RunJob] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def get(self, job_id: int) -> RunJob | None:
        """A run started from this portal process (none survive a restart)."""
        with self._lock:
            return self._jobs.get(job_id)

    def recent(self) -> list[RunJob]:
        """The 20 newest runs, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: -j.id)[:20]

    def start(self, periode: str) -> RunJob:
        """A new run of the quarter, or the one already running for it."""
        with self._lock:
            for job in self._jobs.values():
                if job.periode == periode and job.running:
                    return job
            how = "deployment" if deployment_served() else "proses"
            job = RunJob(next(self._ids), periode, how)
            self._jobs[job.id] = job
        target = self._deployment if how == "deployment" else self._child
        threading.Thread(target=self._guarded, args=(target, job), daemon=True).start()
        return job

    def _guarded(self, target: Callable[[RunJob], None], job: RunJob) -> None:
        try:
            target(job)
        except Exception as exc:  # told on the page; the traceback goes to the portal's log
            log.exception("jalankan ulang %s gagal", job.periode)
            job.say(f"Gagal menjalankan: {exc}")
            job.state = "gagal"
        finally:
            job.ended = job.ended or time.time()

    def _child(self, job: RunJob) -> None:
        command = [sys.executable, "-m", "triwulan", "run", job.periode]
        command += ["--inbox", str(self.inbox), "--out", str(self.out)]
        job.say(f"Menjalankan: triwulan run {job.periode}")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
        ) as child:
            assert child.stdout is not None
            for line in child.stdout:
                job.say(line)
            code = child.wait()
        job.state = "selesai" if code == 0 else "gagal"
        job.say(f"Selesai (kode keluar {code})." if code == 0 else f"Gagal (kode keluar {code}).")

    def _deployment(self, job: RunJob) -> None:
        from prefect.client.orchestration import get_client
        from prefect.deployments import run_deployment

        flow_run = run_deployment(DEPLOYMENT, parameters={"periode": job.periode}, timeout=0)
        job.say(f"Run deployment {DEPLOYMENT} dibuat: {flow_run.name}")
        seen, waiting_since = None, time.monotonic()
        with get_client(sync_client=True) as client:
            while True:
                state = client.read_flow_run(flow_run.id).state
                name = state.name if state else "?"
                if name != seen:
                    job.say(f"Status: {name}")
                    seen = name
                if state is not None and state.is_final():
                    job.state = "selesai" if state.is_completed() else "gagal"
                    return
                if state is not None and (state.is_scheduled() or state.is_pending()):
                    if time.monotonic() - waiting_since > PICKUP_S:
                        job.say(
                            f"Tidak ada yang mengambil run ini dalam {PICKUP_S} detik: apakah "
                            "'triwulan serve' masih berjalan? Run tetap terjadwal di Prefect."
                        )
                        job.state = "gagal"
                        return
                else:
                    waiting_since = time.monotonic()
                time.sleep(2)
