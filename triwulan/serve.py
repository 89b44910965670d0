"""`triwulan serve`: both deployments with their schedules, in one long-running process.

For an office PC without a work pool: Prefect's `serve` runs the flows in this process when
their schedule is due. The schedule comes from triwulan.toml ([jadwal]), like prefect.yaml's.
"""

from __future__ import annotations

import atexit
import subprocess
import sys
import time
from typing import Any

from triwulan.config import apply_config
from triwulan.prefect_api import PORT_ENV, healthy, serve_port
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.schedule import deadline_cron, reminder_cron, schedule

TIMEZONE = "Asia/Jakarta"
QUARTERLY = "akhir-triwulan"
REMINDER = "pengingat-batas"


def deployments() -> list[Any]:
    """The quarterly report at the deadline, the reminder N days before it (WIB)."""
    from prefect.schedules import Cron

    from triwulan.flows.quarterly import quarterly_report
    from triwulan.flows.reminder import deadline_reminder

    apply_config()
    when = schedule()
    return [
        quarterly_report.to_deployment(
            name=QUARTERLY,
            schedules=[Cron(deadline_cron(when), timezone=TIMEZONE)],
            concurrency_limit=1,
            tags=["triwulan", QUARTERLY],
            description="Laporan DRAF triwulan yang baru berakhir, pada batas pengiriman.",
        ),
        deadline_reminder.to_deployment(
            name=REMINDER,
            schedules=[Cron(reminder_cron(when), timezone=TIMEZONE)],
            concurrency_limit=1,
            tags=["triwulan", REMINDER],
            description="Pengingat ke unit yang belum mengirim berkas, sebelum batas pengiriman.",
        ),
    ]


def serve_all() -> None:
    """Serve both deployments against a Prefect server that runs the scheduler.

    Prefect's temporary server does not run the scheduler, so schedules would never fire. Without
    PREFECT_API_URL, a real `prefect server` is started on 127.0.0.1 as a child that dies with
    this process (or an already running one on that port is used).
    """
    from prefect import serve
    from prefect.settings import PREFECT_API_URL, temporary_settings

    apply_config()
    url = PREFECT_API_URL.value() or ensure_local_server(serve_port())
    with temporary_settings(updates={PREFECT_API_URL: url}):
        print(
            f"triwulan serve: Prefect API {url}; jadwal dari triwulan.toml. Ctrl+C untuk berhenti."
        )
        serve(*deployments())


def ensure_local_server(port: int, wait_s: float = 120) -> str:
    """The API URL of a Prefect server on 127.0.0.1:port, started here if none answers."""
    url = f"http://127.0.0.1:{port}/api"
    if healthy(url):
        return url
    command = [sys.executable, "-m", "triwulan.prefect_server", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(_stop, process)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise TriwulanError(
                f"Server Prefect di port {port} tidak dapat dijalankan (keluar dengan kode "
                f"{process.returncode}); port dipakai program lain? Atur {PORT_ENV}."
            )
        if healthy(url):
            return url
        time.sleep(0.5)
    raise TriwulanError(f"Server Prefect di port {port} tidak menjawab dalam {wait_s:g} detik.")


def _stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
