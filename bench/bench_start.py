"""What starting Prefect costs a `triwulan run`, against the floor of starting Prefect at all.

Run: .venv/bin/python bench/bench_start.py [--repeat N]   (prints a table; not a test; about
five minutes on a 2-core machine). Each case is a fresh process, as the clerk runs it, timed by
the wall clock; the median of N (default 3) is shown with its ratio to (a):

  (a) a trivial Prefect flow (`@flow def noop(): return 1`) with Prefect's temporary server
  (b) the same flow against a running server (`python -m triwulan.prefect_server PORT`)
  (c) `triwulan run 2024-TW1`, first run of a fresh out folder (our temporary server)
  (d) the same again with nothing changed (answered without Prefect)
  (e) the same after `triwulan final 2024-TW1 --ya` (refused without Prefect, exit 2)
  (f) (c) with the running server found on TRIWULAN_PREFECT_PORT

All cases share one PREFECT_HOME in a temporary folder, migrated by one untimed warm-up run of
(a) first, so no case pays for creating Prefect's database. The running server is started only
after (a) to (e), so it does not compete with them for the CPU.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from triwulan.paths import SAMPLE_DIR  # noqa: E402

PERIODE = "2024-TW1"
NOOP = "from prefect import flow\n\n@flow\ndef noop():\n    return 1\n\nassert noop() == 1\n"


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """No TRIWULAN_/PREFECT_ setting of the caller (PREFECT_API_URL above all) leaks in."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TRIWULAN_", "PREFECT_"))},
        "HOME": str(home),
        "PREFECT_HOME": str(home / ".prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        **extra,
    }


def timed(args: list[str], env: dict[str, str], cwd: Path, expect: int = 0) -> float:
    started = time.perf_counter()
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    if result.returncode != expect:
        raise SystemExit(
            f"{' '.join(args)}: exit {result.returncode}, expected {expect}\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(api: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    python = sys.executable
    cli = [python, "-m", "triwulan.cli"]
    base = Path(tempfile.mkdtemp(prefix="bench-start-"))
    (base / "inbox" / "2024").mkdir(parents=True)
    shutil.copytree(SAMPLE_DIR / "inbox" / "2024" / "TW1", base / "inbox" / "2024" / "TW1")
    env = clean_env(base)
    outs = iter(range(1000))

    def run_args(out: Path) -> list[str]:
        return [*cli, "run", PERIODE, "--inbox", str(base / "inbox"), "--out", str(out)]

    def fresh_out() -> Path:
        return base / f"out-{next(outs)}"

    results: dict[str, list[float]] = {}

    def measure(key: str, once: Callable[[], float]) -> None:
        results[key] = []
        for _ in range(repeat):
            results[key].append(once())
            print(f"  {key}: {results[key][-1]:6.1f} s", file=sys.stderr, flush=True)

    load_before = os.getloadavg()
    started = time.perf_counter()
    server = None
    try:
        print("warm-up (Prefect's database in PREFECT_HOME)", file=sys.stderr, flush=True)
        timed([python, "-c", NOOP], env, base)
        measure("a", lambda: timed([python, "-c", NOOP], env, base))
        last_out: list[Path] = []

        def first_run(run_env: dict[str, str]) -> float:
            out = fresh_out()
            last_out[:] = [out]
            return timed(run_args(out), run_env, base)

        measure("c", lambda: first_run(env))
        done = last_out[0]
        measure("d", lambda: timed(run_args(done), env, base))
        timed([*cli, "final", PERIODE, "--ya", "--out", str(done)], env, base)
        measure("e", lambda: timed(run_args(done), env, base, expect=2))

        port = free_port()
        api = f"http://127.0.0.1:{port}/api"
        server_home = base / "server"
        server_home.mkdir()
        server = subprocess.Popen(
            [python, "-m", "triwulan.prefect_server", str(port)],
            env=clean_env(server_home),
            cwd=server_home,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 180
        while not healthy(api):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the Prefect server did not start")
            time.sleep(0.5)
        served = clean_env(base, PREFECT_API_URL=api)
        measure("b", lambda: timed([python, "-c", NOOP], served, base))
        by_port = clean_env(base, TRIWULAN_PREFECT_PORT=str(port))
        measure("f", lambda: first_run(by_port))
        if (last_out[0] / "log" / "prefect-server.log").exists():
            raise SystemExit("(f) started a temporary server instead of using the running one")
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(base, ignore_errors=True)
    total = time.perf_counter() - started

    labels = {
        "a": "(a) trivial flow, temporary server",
        "b": "(b) trivial flow, running server",
        "c": f"(c) triwulan run {PERIODE}, first run, temporary server",
        "d": "(d) no-change rerun",
        "e": "(e) FINAL refusal",
        "f": f"(f) triwulan run {PERIODE}, first run, running server",
    }
    floor = statistics.median(results["a"])
    print(
        f"Start-up of a run: median of {repeat}, wall clock, fresh process each "
        f"({os.cpu_count()} CPUs, load {load_before[0]:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after; {total:.0f} s in all)"
    )
    print(f"{'case':<56} {'median s':>9} {'runs s':>20} {'× (a)':>7}")
    for key in "abcdef":
        runs = results[key]
        median = statistics.median(runs)
        listed = " ".join(f"{r:.1f}" for r in runs)
        print(f"{labels[key]:<56} {median:>9.1f} {listed:>20} {median / floor:>7.2f}")


if __name__ == "__main__":
    main()
