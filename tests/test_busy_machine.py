"""Issue 14 part 1, "a run always starts": the real CLI on a busy machine, and where it does not.

On a busy 2-core office PC Prefect's own 20 counted sleeps for its temporary server ran out and
`triwulan run` failed before doing anything. These tests run `python -m triwulan.cli` in a fresh
process, with no PREFECT_API_URL and no start-up timeout of Prefect's or ours overridden:

- with CPU burners keeping the load high for the whole run, the run still succeeds;
- a temporary server that really cannot start (its database cannot be opened) ends in one line,
  exit 2, and leaves no server process behind;
- a server that is already running on TRIWULAN_PREFECT_PORT is used; no temporary one starts;
- a FINAL refusal and an unchanged rerun are answered without starting any Prefect server.

Each starts Prefect once or twice: a few minutes in all, most of it the busy run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.faults.hostile import alive, children, cli_env, cmdline, descendants
from triwulan.paths import SAMPLE_DIR

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="watches child processes through /proc"
)

PERIODE = "2024-TW1"
RUN_TIMEOUT_S = 900  # about 7 minutes on a 2-core machine at load 10
SERVER_WORDS = ("uvicorn", "prefect server start", "triwulan.prefect_server")
# A CPU burner: dies with the test (parent-death signal) and ends by itself after its deadline.
BURNER = (
    "import ctypes, sys, time\n"
    "ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)\n"
    "end = time.monotonic() + float(sys.argv[1])\n"
    "while time.monotonic() < end:\n"
    "    pass\n"
)


# --- processes seen through /proc ------------------------------------------------------------


def processes_with(marker: str) -> list[int]:
    """Live processes (not this one) whose environment holds `marker`: what a run left behind."""
    needle = marker.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes() and alive(int(entry.name)):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def healthy(api: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def is_server(command: str) -> bool:
    return any(word in command for word in SERVER_WORDS)


# --- the CLI in a fresh process, watched -----------------------------------------------------


@dataclass
class Watched:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    servers: dict[int, str] = field(default_factory=dict)  # Prefect servers among descendants
    started: list[int] = field(default_factory=list)  # uvicorn servers the run itself started
    answered_after: dict[int, float] = field(default_factory=dict)  # seconds to /api/health

    def one_line(self) -> str:
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, self.stderr
        assert "Traceback" not in self.stdout + self.stderr
        return lines[0]


def triwulan(
    args: list[str], root: Path, env: dict[str, str], stdin: str = "", timeout: float = 300
) -> Watched:
    """`python -m triwulan.cli ARGS`, noting every Prefect server among its descendants."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "triwulan.cli", *args],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
        )
        assert proc.stdin is not None
        proc.stdin.write(stdin.encode())
        proc.stdin.close()
        servers: dict[int, str] = {}
        started: list[int] = []
        answered: dict[int, float] = {}
        try:
            while proc.poll() is None:
                for pid in descendants(proc.pid):
                    command = cmdline(pid)
                    if is_server(command):
                        servers.setdefault(pid, command)
                for pid in children(proc.pid):  # a server's own short-lived forks are not new
                    command = cmdline(pid)
                    if "uvicorn" in command and pid not in started:
                        started.append(pid)
                        port = command.split("--port ")[1].split()[0]
                        threading.Thread(
                            target=time_to_health, args=(pid, port, answered), daemon=True
                        ).start()
                if time.monotonic() - began > timeout:
                    raise AssertionError(f"triwulan {' '.join(args)} ran over {timeout} s")
                time.sleep(0.05)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        seconds = time.monotonic() - began
        out.seek(0)
        err.seek(0)
        return Watched(
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            servers,
            started,
            dict(answered),
        )


def time_to_health(pid: int, port: str, answered: dict[int, float]) -> None:
    """Seconds from the server's start to its first health answer, polled as the run polls it."""
    seen = time.monotonic()
    api = f"http://127.0.0.1:{port}/api"
    while alive(pid) and time.monotonic() - seen < RUN_TIMEOUT_S:
        if healthy(api, timeout=5):
            answered[pid] = time.monotonic() - seen
            return
        time.sleep(0.25)


def run_args(root: Path) -> list[str]:
    return ["run", PERIODE, "--inbox", str(root / "inbox"), "--out", str(root / "out")]


@pytest.fixture
def quarter(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE_DIR / "inbox" / "2024" / "TW1", tmp_path / "inbox" / "2024" / "TW1")
    return tmp_path


def server_log(root: Path) -> Path:
    return root / "out" / "log" / "prefect-server.log"


def report_of(root: Path, version: int = 1) -> Path:
    return root / "out" / "2024" / "TW1" / f"v{version}" / "laporan.html"


def assert_made_v1(result: Watched, root: Path) -> None:
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert report_of(root).exists()
    assert f"{PERIODE} versi 1:" in result.stdout
    assert "Laporan:" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]


# --- a busy machine --------------------------------------------------------------------------


class LoadSampler(threading.Thread):
    """Samples the 1-minute load average and the runnable count once a second."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stopped = threading.Event()
        self.loads: list[float] = []
        self.runnable: list[int] = []

    def sample(self) -> None:
        self.loads.append(os.getloadavg()[0])
        fields = Path("/proc/loadavg").read_text().split()
        self.runnable.append(int(fields[3].split("/")[0]))

    def run(self) -> None:
        while not self.stopped.is_set():
            self.sample()
            self.stopped.wait(1)

    def report(self) -> str:
        loads, runnable = self.loads or [0.0], self.runnable or [0]
        return (
            f"load average (1 min) during the run: start {loads[0]:.2f}, "
            f"max {max(loads):.2f}, mean {sum(loads) / len(loads):.2f}; "
            f"runnable tasks max {max(runnable)} ({len(loads)} samples, {os.cpu_count()} CPUs)"
        )


def burners(count: int, seconds: float) -> list[subprocess.Popen]:  # type: ignore[type-arg]
    return [subprocess.Popen([sys.executable, "-c", BURNER, str(seconds)]) for _ in range(count)]


def test_run_succeeds_while_the_machine_is_busy(quarter: Path) -> None:
    count = 2 * (os.cpu_count() or 2)  # load about 5 on 2 cores: the low end of the report
    sampler = LoadSampler()
    hot = burners(count, RUN_TIMEOUT_S + 120)
    try:
        sampler.start()
        # the load average lags: let it climb a little before the run starts its server
        deadline = time.monotonic() + 45
        while os.getloadavg()[0] < 4 and time.monotonic() < deadline:
            time.sleep(1)
        # Prefect's own wait set to 1 counted sleep: the run must not depend on it at all
        env = cli_env(quarter, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="1")
        result = triwulan(run_args(quarter), quarter, env, timeout=RUN_TIMEOUT_S)
    finally:
        sampler.stopped.set()
        for burner in hot:
            burner.kill()
        for burner in hot:
            burner.wait()
        sampler.join()
    print(f"\nbusy run: {count} CPU burners, run took {result.seconds:.1f} s")
    print(sampler.report())
    for pid in result.started:
        answered = result.answered_after.get(pid)
        when = f"answered after {answered:.1f} s" if answered is not None else "never answered"
        print(f"temporary server {pid}: {when} (Prefect's own wait: 20 counted sleeps)")
    assert_made_v1(result, quarter)
    assert result.started, "the run should have started Prefect's temporary server"
    assert max(sampler.loads) > 3, sampler.report()


# --- a temporary server that cannot start ----------------------------------------------------


def test_server_that_cannot_start_is_one_line(quarter: Path) -> None:
    """Its database lies under a regular file: the server exits at start-up, every time."""
    (quarter / "not-a-folder").write_text("", encoding="utf-8")
    database = f"sqlite+aiosqlite:///{quarter / 'not-a-folder' / 'prefect.db'}"
    env = cli_env(
        quarter,
        PREFECT_SERVER_DATABASE_CONNECTION_URL=database,
        TRIWULAN_PREFECT_MULAI_DETIK="10",
    )
    result = triwulan(run_args(quarter), quarter, env)
    line = result.one_line()
    print(f"\nrefused in {result.seconds:.1f} s: {line}")
    assert result.returncode == 2, result.stdout + result.stderr
    assert line.startswith("Server Prefect sementara tidak siap dalam 10 detik, dua kali")
    assert "Traceback" not in result.stdout
    assert not (quarter / "out" / "2024" / "TW1").exists()
    # two attempts, two servers, both gone; nothing started by the run still lives
    assert len(result.started) == 2, result.servers
    assert not result.answered_after, "a server answered although its database cannot be opened"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (
        any(alive(pid) for pid in result.servers) or processes_with(str(quarter / ".prefect"))
    ):
        time.sleep(0.2)
    assert not [pid for pid in result.servers if alive(pid)], "a Prefect server was left running"
    assert not processes_with(str(quarter / ".prefect")), "a process of the run was left running"


# --- a server that is already running --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flow_run_names(api: str) -> list[str]:
    request = urllib.request.Request(
        f"{api}/flow_runs/filter",
        data=b"{}",
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return [run["name"] for run in json.load(response)]


def stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_run_uses_a_running_server(quarter: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    server_home = tmp_path_factory.mktemp("server")
    server = subprocess.Popen(
        [sys.executable, "-m", "triwulan.prefect_server", str(port)],
        cwd=server_home,
        env=cli_env(server_home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not healthy(api):
            assert server.poll() is None, "the Prefect server exited"
            assert time.monotonic() < deadline, "the Prefect server did not answer in 120 s"
            time.sleep(0.5)
        result = triwulan(
            run_args(quarter), quarter, cli_env(quarter, TRIWULAN_PREFECT_PORT=str(port))
        )
        print(f"\nrun against the running server took {result.seconds:.1f} s")
        assert_made_v1(result, quarter)
        assert not result.servers, f"a Prefect server was started: {result.servers}"
        assert not server_log(quarter).exists(), "a temporary Prefect server was started"
        names = flow_run_names(api)
        assert f"{PERIODE} v1" in names, names
    finally:
        stop(server)


# --- answers that need no Prefect ------------------------------------------------------------


def test_unchanged_rerun_and_final_refusal_start_no_prefect_server(quarter: Path) -> None:
    env = cli_env(quarter)
    first = triwulan(run_args(quarter), quarter, env)
    assert_made_v1(first, quarter)
    assert first.servers and server_log(quarter).exists()
    size = server_log(quarter).stat().st_size

    again = triwulan(run_args(quarter), quarter, env)
    print(f"\nfirst run {first.seconds:.1f} s, unchanged rerun {again.seconds:.1f} s")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "tidak ada perubahan" in again.stdout
    assert "Traceback" not in again.stdout + again.stderr
    assert not again.servers, f"the unchanged rerun started a Prefect server: {again.servers}"
    assert server_log(quarter).stat().st_size == size
    assert not report_of(quarter, 2).parent.exists()

    final = triwulan(["final", PERIODE, "--ya", "--out", str(quarter / "out")], quarter, env)
    if final.returncode != 0 and "--ya" in final.stderr:  # the option is not there yet
        final = triwulan(["final", PERIODE, "--out", str(quarter / "out")], quarter, env, "y\n")
    assert final.returncode == 0, final.stdout + final.stderr
    assert "FINAL" in final.stdout

    refused = triwulan(run_args(quarter), quarter, env)
    print(f"FINAL refusal {refused.seconds:.1f} s")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "sudah FINAL" in refused.one_line()
    assert not refused.servers, f"the FINAL refusal started a Prefect server: {refused.servers}"
    assert server_log(quarter).stat().st_size == size
    assert not report_of(quarter, 2).parent.exists()
