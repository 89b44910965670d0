"""Faults of the machine rather than of a file: folders, database, disk, a killed run.

Each is checked up front with one Indonesian line and exit 2, or, when it strikes mid-run, ends
in one line naming the file with the traceback kept in a log file under the out folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.faults import hostile
from tests.faults.hostile import alive, children, cmdline
from triwulan.paths import SAMPLE_DIR

needs_modes = pytest.mark.skipif(
    not hostile.as_other_user(), reason="root ignores file modes: needs setpriv to drop that"
)


@pytest.fixture
def quarter(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE_DIR / "inbox" / "2024" / "TW1", tmp_path / "inbox" / "2024" / "TW1")
    return tmp_path


def run(root: Path, *extra: str, env: dict[str, str] | None = None):
    args = ["run", "2024-TW1", "--inbox", str(root / "inbox"), "--out", str(root / "out")]
    return hostile.run_cli([*args, *extra], root, env or {})


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stdout
    return lines[0]


@needs_modes
def test_read_only_database_is_refused_before_any_work(quarter: Path) -> None:
    out = quarter / "out"
    out.mkdir()
    db = out / "triwulan.sqlite"
    sqlite3.connect(db).close()
    db.chmod(0o444)
    result = run(quarter)
    assert result.returncode == 2
    assert "tidak dapat dibuka atau ditulisi" in one_line(result)
    assert not (out / "2024").exists()  # no version folder, no report


@needs_modes
def test_non_writable_quarter_folder_is_refused_before_any_work(quarter: Path) -> None:
    folder = quarter / "out" / "2024" / "TW1"
    folder.mkdir(parents=True)
    folder.chmod(0o555)
    result = run(quarter)
    assert result.returncode == 2
    line = one_line(result)
    assert "Folder triwulan" in line and str(folder) in line
    assert list(folder.iterdir()) == []


@needs_modes
def test_non_writable_raw_store_is_refused_before_any_work(quarter: Path) -> None:
    store = quarter / "out" / "store" / "raw"
    store.mkdir(parents=True)
    store.chmod(0o555)
    result = run(quarter)
    assert result.returncode == 2
    assert "Folder arsip berkas" in one_line(result)


def test_too_little_disk_space_is_refused_before_any_work(quarter: Path) -> None:
    result = run(quarter, env={"TRIWULAN_BATAS_RUANG_DISK_MB": str(10**9)})
    assert result.returncode == 2
    assert "Ruang disk kosong" in one_line(result)
    assert not (quarter / "out" / "2024").exists()


def test_a_bad_limit_setting_is_refused(quarter: Path) -> None:
    result = run(quarter, env={"TRIWULAN_BATAS_DIGIT_MAKS": "banyak"})
    assert result.returncode == 2
    assert "TRIWULAN_BATAS_DIGIT_MAKS='banyak' tidak sah" in one_line(result)


@needs_modes
def test_a_mid_run_fault_is_one_line_and_a_log_file(quarter: Path) -> None:
    """The quarter's delivery ledger cannot be read: found only when mails are about to go."""
    folder = quarter / "out" / "2024" / "TW1"
    folder.mkdir(parents=True)
    ledger = folder / "terkirim.json"
    ledger.write_text(json.dumps({}), encoding="utf-8")
    ledger.chmod(0)
    result = run(quarter)
    assert result.returncode in (1, 2)
    assert "terkirim.json" in one_line(result)
    logs = list((quarter / "out" / "log").glob("run-2024-TW1-*.log"))
    assert len(logs) == 1
    assert "Traceback" in logs[0].read_text(encoding="utf-8")
    # a failed run never leaves a folder that looks complete: at most v1.gagal/
    assert not (folder / "v1").exists()
    assert (folder / "v1.gagal" / "laporan.html").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and prctl")
def test_a_killed_run_leaves_no_prefect_server_behind(quarter: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIWULAN_", "PREFECT_API"))}
    env.update(PREFECT_HOME=str(quarter / ".prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    args = ["run", "2024-TW1", "--inbox", str(quarter / "inbox"), "--out", str(quarter / "out")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "triwulan.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = None
    deadline = time.monotonic() + 60
    while server is None and time.monotonic() < deadline and proc.poll() is None:
        server = next((c for c in children(proc.pid) if "uvicorn" in cmdline(c)), None)
        time.sleep(0.05)
    assert server is not None, "the run never started Prefect's temporary server"
    proc.send_signal(signal.SIGKILL)  # like the OOM killer or an abort: no atexit runs
    proc.wait()
    deadline = time.monotonic() + 15
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    gone = not alive(server)
    if not gone:
        os.kill(server, signal.SIGKILL)
    assert gone, "the Prefect server outlived the killed run"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and prctl")
def test_the_xlsx_reader_process_dies_with_its_parent(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from triwulan.tasks.collect.ingest import XlsxReader\n"
        "from triwulan.tasks.core.limits import load_limits\n"
        "r = XlsxReader(load_limits()); p = r._start()\n"
        "print(p.pid, flush=True); time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert alive(child)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)
