"""The README's deployment section, followed as far as a test can: both ways, for one run each.

(b) `prefect server start` on 127.0.0.1, PREFECT_API_URL, a process work pool, `prefect deploy
--all`, a deployment run with a periode, and a worker that picks it up; (a) `triwulan serve`,
which starts its own server. Each checks the report on disk and stops what it started.
About a minute in all (two Prefect servers start); marked `deployment`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.smtp_server import SmtpTestServer
from triwulan.paths import SAMPLE_DIR

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.deployment


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def office(tmp_path: Path):
    """A project folder as the README sets it up: prefect.yaml, flows/, triwulan.toml, inbox."""
    home = tmp_path / "kantor"
    home.mkdir()
    shutil.copy(ROOT / "prefect.yaml", home)
    shutil.copytree(ROOT / "flows", home / "flows", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(SAMPLE_DIR / "inbox" / "2024" / "TW1", home / "inbox" / "2024" / "TW1")
    with SmtpTestServer() as mail:
        (home / "triwulan.toml").write_text(
            '[folder]\ninbox = "inbox"\nout = "out"\n'
            f'[smtp]\nhost = "{mail.host}"\nport = {mail.port}\nkeamanan = "none"\n'
            'pengirim = "Sekretariat <sekretariat@example.go.id>"\n',
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIWULAN_", "PREFECT_"))}
        env.update(
            HOME=str(tmp_path),
            PREFECT_HOME=str(tmp_path / ".prefect"),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            DO_NOT_TRACK="1",
            TRIWULAN_HOME=str(home),
            COLUMNS="300",  # rich tables of the prefect CLI, untruncated
        )
        yield home, env, mail


def stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prefect(*args: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        [str(BIN / "prefect"), "--no-prompt", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout


def test_way_b_server_pool_deploy_and_worker(office):
    home, env, mail = office
    port = free_port()
    env["PREFECT_API_URL"] = url = f"http://127.0.0.1:{port}/api"
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        wait_for(lambda: healthy(url), 120, "prefect server")
        prefect("work-pool", "create", "triwulan", "--type", "process", env=env, cwd=home)
        deployed = prefect("deploy", "--all", env=env, cwd=home)
        assert "akhir-triwulan" in deployed and "pengingat-batas" in deployed
        prefect(
            "deployment",
            "run",
            "quarterly-report/akhir-triwulan",
            "-p",
            "periode=2024-TW1",
            env=env,
            cwd=home,
        )
        worker = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", "triwulan", "--run-once"],
            env=env,
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output, _ = worker.communicate(timeout=300)
        report = home / "out" / "2024" / "TW1" / "v1" / "laporan.html"
        assert report.exists(), output[-3000:]
        runs = prefect("flow-run", "ls", env=env, cwd=home)
        done = [line for line in runs.splitlines() if "2024-TW1 v1" in line]
        assert len(done) == 1 and "COMPLETED" in done[0], runs
        assert any("camat.bekasiutara@example.go.id" in m.rcpt_tos for m in mail.messages)
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        stop(server)
    assert server.poll() is not None


def test_way_a_triwulan_serve(office):
    home, env, mail = office
    port = free_port()
    env["TRIWULAN_PREFECT_PORT"] = str(port)
    url = f"http://127.0.0.1:{port}/api"
    serve = subprocess.Popen(
        [str(BIN / "triwulan"), "serve"],
        env=env,
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client_env = {**env, "PREFECT_API_URL": url}
    try:
        wait_for(lambda: healthy(url), 120, "the server started by triwulan serve")
        wait_for(
            lambda: (
                "akhir-triwulan" in prefect("deployment", "ls", env=client_env, cwd=home)
                and "pengingat-batas" in prefect("deployment", "ls", env=client_env, cwd=home)
            ),
            120,
            "served deployments",
        )
        prefect(
            "deployment",
            "run",
            "quarterly-report/akhir-triwulan",
            "-p",
            "periode=2024-TW1",
            env=client_env,
            cwd=home,
        )
        report = home / "out" / "2024" / "TW1" / "v1" / "laporan.html"
        wait_for(report.exists, 180, "the report of the served run")
        wait_for(
            lambda: "2024-TW1 v1" in prefect("flow-run", "ls", env=client_env, cwd=home),
            60,
            "the run's name",
        )
    finally:
        stop(serve)
    wait_for(lambda: not healthy(url), 30, "the served server to stop with triwulan serve")
