"""Processes of bench/scale.py: a clean environment, the measuring launcher, our Prefect server.

Why a module of its own: how a run is started and measured (wall seconds, exit code, peak RSS of
its process tree, the kill at the timeout) is the same for `triwulan run`, the national harness
and the floor, and it is the part of the benchmark that must not change by accident.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOW = "quarterly-report"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def triwulan_command() -> list[str]:
    script = Path(sys.executable).with_name("triwulan")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "triwulan.cli"]


def tree_state() -> str:
    """Which code was measured: the commit, plus how many files differ (read only)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},  # never rewrite the index
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f"{head} +{len(changed)} changed" if changed else head


@dataclass(frozen=True)
class Finished:
    seconds: float
    code: int | None  # None: killed at the timeout
    maxrss_mb: float | None


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """No TRIWULAN_/PREFECT_ setting of the caller leaks into a measured process."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TRIWULAN_", "PREFECT_"))},
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        **extra,
    }


# Started between this (large) process and a measured command: a forked child's ru_maxrss keeps
# the RSS its parent had at the fork, so the measured command is forked from this small one.
LAUNCHER = """
import os, signal, sys, time
stats, command = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execv(command[0], command)
    finally:
        os._exit(127)
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a timeout's TERM is for the command
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(stats, "w") as f:
    f.write(f"{seconds} {usage.ru_maxrss}")
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_measured(
    args: list[str], env: dict[str, str], cwd: Path, log: Path, timeout_s: float
) -> Finished:
    """Wall seconds, exit code and peak RSS of one process tree, killed at the timeout.

    The launcher's os.wait4 gives the rusage of the command alone (with the children it waited
    for, e.g. the xlsx readers), so neither this process nor the Prefect server ever counts.
    """
    stats = log.with_suffix(".stats")
    stats.unlink(missing_ok=True)
    launcher = [sys.executable, "-S", "-c", LAUNCHER, str(stats), *args]
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            launcher,
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        killed_at: float | None = None
        while (code := proc.poll()) is None:
            now = time.perf_counter()
            if killed_at is None and now - started > timeout_s:
                killed_at = now
                _signal_group(proc.pid, signal.SIGTERM)
            elif killed_at is not None and now - killed_at > 10:
                _signal_group(proc.pid, signal.SIGKILL)
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    maxrss_mb = None
    if stats.is_file():  # absent only when the launcher itself was killed
        measured, maxrss_kb = stats.read_text().split()
        seconds, maxrss_mb = float(measured), float(maxrss_kb) / 1024
        stats.unlink()
    return Finished(seconds, None if killed_at is not None else code, maxrss_mb)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the run's session (TERM first, KILL after 10 s); reader children die with it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(api: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start_server(home: Path, log: Path) -> tuple[subprocess.Popen, str, int]:
    """Our own Prefect server (dies with this process), as `triwulan serve` keeps one."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    home.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "triwulan.prefect_server", str(port)],
            env=clean_env(home),
            cwd=home,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 300
    while not healthy(api):
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the Prefect server did not start (log: {log})")
        time.sleep(0.5)
    return server, api, port


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def read_phases(api: str, since: datetime) -> tuple[dict[str, float], float | None]:
    """Seconds per task name of the newest quarterly-report run started after `since`.

    A task run's seconds are its end − start (retries included); a name run several times is
    summed. Also the flow run's own seconds (None while it has not ended).
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterId,
    )
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api}), get_client(sync_client=True) as c:
        runs = c.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW])),
            sort=FlowRunSort.EXPECTED_START_TIME_DESC,
            limit=1,
        )
        run = runs[0] if runs else None
        if run is None or (run.start_time and run.start_time < since):
            return {}, None
        tasks = c.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))
    phases: dict[str, float] = {}
    for task in tasks:
        name = task.name.rsplit("-", 1)[0]
        if task.start_time and task.end_time:
            seconds = (task.end_time - task.start_time).total_seconds()
        else:
            seconds = task.total_run_time.total_seconds()
        phases[name] = phases.get(name, 0.0) + seconds
    flow_s = (
        (run.end_time - run.start_time).total_seconds() if run.start_time and run.end_time else None
    )
    return phases, flow_s
