"""Which Prefect API a `triwulan run` talks to, and starting the temporary one patiently.

Prefect starts a temporary server on first use and waits 20 counted sleeps for it; on a busy
office PC (antivirus scan, `triwulan serve`, another run) that start takes longer and the run
failed before doing anything. Here, in order:

1. a configured PREFECT_API_URL is used as it is;
2. else the server `triwulan serve` keeps on 127.0.0.1:TRIWULAN_PREFECT_PORT, when it answers;
3. else the temporary server is started here, waited for by the wall clock for
   TRIWULAN_PREFECT_MULAI_DETIK seconds (default 300), and started once more on a new port when
   the first start fails. Its output goes to a log file, never to the terminal.

The temporary server dies with this process (parent-death signal), also on kill -9.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from triwulan.lifeline import popen_dies_with_parent
from triwulan.tasks.core.errors import TriwulanError

START_ENV = "TRIWULAN_PREFECT_MULAI_DETIK"
PORT_ENV = "TRIWULAN_PREFECT_PORT"
DEFAULT_START_S = 300.0
ATTEMPTS = 2
TRIES = {1: "sekali", 2: "dua kali", 3: "tiga kali"}


class ServerDidNotStart(TriwulanError):
    """The temporary Prefect server did not answer in time, twice: one line for the clerk."""


def start_wait_seconds(env: Mapping[str, str] = os.environ) -> float:
    raw = (env.get(START_ENV) or "").strip()
    if not raw:
        return DEFAULT_START_S
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = -1
    if not 10 <= value <= 3600:
        raise TriwulanError(f"{START_ENV}='{raw}' tidak sah: isi jumlah detik (10 sampai 3600).")
    return value


def serve_port(env: Mapping[str, str] = os.environ) -> int:
    raw = (env.get(PORT_ENV) or "4200").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise TriwulanError(f"{PORT_ENV}='{raw}' tidak sah: isi nomor port 1 sampai 65535.")
    return int(raw)


def healthy(api_url: str, timeout_s: float = 2) -> bool:
    """Whether a Prefect API answers its health check (refused connections answer at once)."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout_s) as resp:
            return resp.status == 200
    except (OSError, ValueError):
        return False


def configured_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


@contextlib.contextmanager
def prefect_api(log_dir: Path) -> Iterator[str]:
    """The API URL for this run, active for the flows run inside the block."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url = configured_url()
    if url:
        if not healthy(url, timeout_s=10):
            raise TriwulanError(
                f"Server Prefect di PREFECT_API_URL={url} tidak menjawab. Nyalakan server itu "
                "(misalnya 'triwulan serve' atau 'prefect server start'), atau kosongkan "
                "PREFECT_API_URL agar run memakai server sementara."
            )
        yield url
        return
    served = f"http://127.0.0.1:{serve_port()}/api"
    if healthy(served):
        with temporary_settings(updates={PREFECT_API_URL: served}):
            yield served
        return
    yield start_temporary_server(log_dir, start_wait_seconds())


def start_temporary_server(log_dir: Path, wait_s: float, attempts: int = ATTEMPTS) -> str:
    """Start Prefect's temporary server (the singleton its client reuses) and wait for it.

    Done from the main thread before the flow: the flow's client then finds it running. A start
    that times out or exits is stopped and tried once more on a new port.
    """
    from prefect.server.api.server import SubprocessASGIServer

    existing = SubprocessASGIServer()
    process = existing.server_process
    if existing.running and process is not None and process.poll() is None:
        return existing.api_url
    if existing.running:  # it died since: start afresh
        _stop(existing)
        existing = SubprocessASGIServer()
    if threading.current_thread() is not threading.main_thread():
        existing.start(timeout=int(wait_s))  # Prefect's own start, as patient as ours
        return existing.api_url
    reason = ""
    for _ in range(attempts):
        server = SubprocessASGIServer()
        log = _server_log(log_dir)
        try:
            server.port = server.find_available_port()
            with popen_dies_with_parent(stdout=log):
                server.server_process = server._run_uvicorn_command()
            server.running = True
            atexit.register(_stop, server)
            reason = _wait(server, wait_s)
        finally:
            if log is not subprocess.DEVNULL:
                log.close()  # type: ignore[union-attr]
        if not reason:
            return server.api_url
        _stop(server)
    raise ServerDidNotStart(
        f"Server Prefect sementara tidak siap dalam {wait_s:g} detik, {TRIES.get(attempts, f'{attempts} kali')} ({reason}); PC "
        "mungkin sedang sangat sibuk. Tidak ada yang diproses. Jalankan lagi sebentar lagi, atau "
        f"biarkan 'triwulan serve' berjalan agar run memakai servernya (batas tunggu: {START_ENV})."
    )


def _wait(server: Any, wait_s: float) -> str:
    """'' once the server answers; else why it did not (exited, or no answer in time)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        code = server.server_process.poll()
        if code is not None:
            return f"proses server berhenti dengan kode {code}"
        if healthy(server.api_url, timeout_s=5):
            return ""
        time.sleep(0.25)
    return "tidak menjawab"


def _server_log(log_dir: Path) -> IO[bytes] | int:
    """The server's own output (startup, shutdown tracebacks) goes to a file, or nowhere."""
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        return (log_dir / "prefect-server.log").open("ab")
    except OSError:
        return subprocess.DEVNULL


def _stop(server: Any) -> None:
    """Stop quietly; also removes Prefect's singleton so a retry gets a fresh instance."""
    process = server.server_process
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    server.server_process = None
    server.running = False
    key = getattr(server, "_instance_key", None)
    type(server)._instances.pop(key, None)
