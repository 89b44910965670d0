"""How the real `triwulan run` grows with the number of units, against the floor of reading alone.

Run: .venv/bin/python bench/scale.py --sizes 7,56,560 [--json PATH] [--timeout 1200]
     .venv/bin/python bench/scale.py --units 56 --json /tmp/scale-56.json
A benchmark, not a test: it prints a table and writes JSON. Per size N (N units: the kecamatan
office + N − 1 kelurahan cloned from the sample's six, see bench/scale_data.py):

1. Reference data and TW II 2024 xlsx submissions are generated with the project's writers,
   outside the timing, and cached under --cache/N (default /tmp/triwulan-scale/N).
2. The pipeline: `triwulan run 2024-TW2 --inbox … --out …` as a subprocess in a clean
   environment (no inherited PREFECT_*/TRIWULAN_*; PREFECT_HOME in a temporary folder;
   TRIWULAN_REFERENCE = the generated reference). It talks to our own Prefect server on
   TRIWULAN_PREFECT_PORT, started once before the first size, so the seconds of each task run
   (kumpulkan, validasi, simpan, …) are read back through the Prefect client; "other" is the
   wall time no task run covers (process start, imports, setup, lock, untasked steps).
3. The floor: the same files read with python-calamine (sheet `realisasi`), concatenated into
   one pandas frame and summed by unit and program, no validation, also as a subprocess.

Peak RSS is ru_maxrss of the run's process tree (os.wait4 in a small launcher: the largest
single process of the tree, the capped xlsx reader children included). A size that passes
--timeout is killed and reported as "timeout", with the phases that finished before. The
first size is preceded by one untimed 7-unit run (--no-warmup skips it). JSON: one object
for --units, a list of them for --sizes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_data  # noqa: E402

PHASES = (
    "kumpulkan",
    "validasi",
    "simpan",
    "simpan-iku",
    "sidik",
    "hitung",
    "laporan",
    "kirim",
    "artefak",
)
FLOW = "quarterly-report"
MB = 1024 * 1024
MONEY = ["pagu", "target_keuangan", "realisasi_keuangan"]
WARMUP_UNITS = 7


@dataclass
class Result:
    """One size: what the JSON holds (seconds, MB; None where a value could not be measured)."""

    units: int
    files: int
    rows: int
    status: str  # ok | timeout | exit N
    pipeline_s: float | None
    floor_s: float | None
    ratio: float | None
    peak_rss_mb: float | None
    leadership_eml_mb: float | None
    phases: dict[str, float] = field(default_factory=dict)
    flow_s: float | None = None
    floor_rss_mb: float | None = None
    floor_rows: int | None = None
    faulty_rows: int = 0
    faulty_units: int = 0
    laporan_html_mb: float | None = None
    rekap_xlsx_mb: float | None = None
    outbox_mb: float | None = None
    outbox_files: int | None = None
    exit_code: int | None = None
    load_before: list[float] = field(default_factory=list)
    generated_s: float | None = None
    cached: bool = False
    started_utc: str = ""
    tree: str = ""  # commit of the working tree measured, "+N changed" when it differs


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


# ---------------------------------------------------------------- processes


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


# ---------------------------------------------------------------- Prefect's record of the run


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


# ---------------------------------------------------------------- outputs


def _mb(path: Path | None) -> float | None:
    return round(path.stat().st_size / MB, 3) if path and path.is_file() else None


def _newest(out: Path, name: str) -> Path | None:
    """The file of the newest finished version folder (v1, v2 …; never v<k>.gagal)."""
    found = [
        p
        for p in (out / str(scale_data.TAHUN) / f"TW{scale_data.TRIWULAN}").glob(f"v*/{name}")
        if p.parent.name[1:].isdigit()
    ]
    return max(found, key=lambda p: int(p.parent.name[1:]), default=None)


def eml_key(path: Path) -> str:
    with path.open("rb") as handle:
        headers = BytesHeaderParser().parsebytes(handle.read(64 * 1024))
    return str(headers.get("X-Triwulan-Key") or "")


def measure_outputs(out: Path, result: Result) -> None:
    result.laporan_html_mb = _mb(_newest(out, "laporan.html"))
    result.rekap_xlsx_mb = _mb(_newest(out, "rekap.xlsx"))
    outbox = _newest(out, "outbox")
    if outbox is None or not outbox.is_dir():
        return
    emls = sorted(outbox.glob("*.eml"))
    result.outbox_files = len(emls)
    result.outbox_mb = round(
        sum(p.stat().st_size for p in outbox.rglob("*") if p.is_file()) / MB, 3
    )
    leaders = [p for p in emls if "/pimpinan/" in eml_key(p)]
    result.leadership_eml_mb = round(sum(p.stat().st_size for p in leaders) / MB, 3) or None


# ---------------------------------------------------------------- the floor


def floor(folder: Path) -> dict[str, int]:
    """Read every xlsx's `realisasi` sheet with calamine, one frame, sums by unit and program."""
    import pandas as pd
    from python_calamine import CalamineWorkbook

    frames = []
    for path in sorted(folder.glob("*.xlsx")):
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("realisasi").to_python()
        frames.append(pd.DataFrame(rows[1:], columns=rows[0]))
    data = pd.concat(frames, ignore_index=True)
    data["kode_program"] = data["kode_sub_kegiatan"].astype(str).str[:7]
    data[MONEY] = data[MONEY].apply(pd.to_numeric, errors="coerce")
    sums = data.groupby(["unit", "kode_program"])[MONEY].sum()
    return {"files": len(frames), "rows": len(data), "groups": len(sums)}


# ---------------------------------------------------------------- one size


def triwulan_command() -> list[str]:
    script = Path(sys.executable).with_name("triwulan")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "triwulan.cli"]


def measure_size(
    data: scale_data.Dataset,
    cached: bool,
    api: str,
    port: int,
    base: Path,
    args: argparse.Namespace,
) -> Result:
    result = Result(
        units=data.units,
        files=data.files,
        rows=data.rows,
        status="",
        pipeline_s=None,
        floor_s=None,
        ratio=None,
        peak_rss_mb=None,
        leadership_eml_mb=None,
        faulty_rows=data.faulty_rows,
        faulty_units=data.faulty_units,
        generated_s=data.generate_s,
        cached=cached,
        tree=tree_state(),
    )
    size_dir = Path(data.root)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=size_dir))  # kept on failure or --keep
    out = work / "out"
    env = clean_env(
        base / "run-home",
        TRIWULAN_REFERENCE=data.reference,
        TRIWULAN_PREFECT_PORT=str(port),
    )
    command = [
        *triwulan_command(),
        "run",
        scale_data.PERIODE,
        "--inbox",
        data.inbox,
        "--out",
        str(out),
    ]
    result.load_before = [round(x, 2) for x in os.getloadavg()]
    since = datetime.now(UTC)
    result.started_utc = since.isoformat(timespec="seconds")
    say(f"[{data.units}] triwulan run {scale_data.PERIODE} ({data.files} files)")
    run = run_measured(command, env, work, size_dir / "run.log", args.timeout)
    result.exit_code = run.code
    result.peak_rss_mb = None if run.maxrss_mb is None else round(run.maxrss_mb, 1)
    if run.code is None:
        result.status = "timeout"
    else:
        result.status = "ok" if run.code == 0 else f"exit {run.code}"
        result.pipeline_s = round(run.seconds, 2)
    if run.code not in (0, None):
        tail = (size_dir / "run.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        say(f"[{data.units}] run ended with exit {run.code}:\n{tail}")
    try:
        phases, flow_s = read_phases(api, since)
    except Exception as exc:  # a benchmark reports what it could measure
        say(f"[{data.units}] task runs not readable: {exc}")
        phases, flow_s = {}, None
    result.flow_s = None if flow_s is None else round(flow_s, 2)
    result.phases = {name: round(phases.get(name, 0.0), 2) for name in PHASES}
    result.phases.update({k: round(v, 2) for k, v in phases.items() if k not in PHASES})
    if result.pipeline_s is not None:
        result.phases["other"] = round(result.pipeline_s - sum(phases.values()), 2)
    measure_outputs(out, result)

    say(f"[{data.units}] floor (calamine + pandas)")
    floor_json = work / "floor.json"
    done = run_measured(
        [sys.executable, str(Path(__file__).resolve()), "--floor", str(data.quarter_inbox)],
        clean_env(base / "run-home", FLOOR_JSON=str(floor_json)),
        work,
        size_dir / "floor.log",
        args.timeout,
    )
    result.floor_rss_mb = None if done.maxrss_mb is None else round(done.maxrss_mb, 1)
    if done.code == 0:
        result.floor_s = round(done.seconds, 2)
        result.floor_rows = json.loads(floor_json.read_text(encoding="utf-8"))["rows"]
    else:
        tail = (size_dir / "floor.log").read_text(encoding="utf-8", errors="replace")[-2000:]
        say(f"[{data.units}] floor failed ({done.code or 'timeout'}):\n{tail}")
    if result.status == "ok" and result.pipeline_s and result.floor_s:
        result.ratio = round(result.pipeline_s / result.floor_s, 1)
    if args.keep or result.status != "ok":
        say(f"[{data.units}] out folder kept: {out}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return result


def warm_up(args: argparse.Namespace, base: Path, port: int) -> None:
    """One untimed 7-unit run first: the first size must not pay for cold files and .pyc."""
    data, _ = scale_data.ensure(WARMUP_UNITS, args.cache, 1, log=say)
    say(f"warm-up: untimed run of {WARMUP_UNITS} units")
    work = Path(tempfile.mkdtemp(prefix="warmup-", dir=base))
    env = clean_env(
        base / "run-home", TRIWULAN_REFERENCE=data.reference, TRIWULAN_PREFECT_PORT=str(port)
    )
    command = [*triwulan_command(), "run", scale_data.PERIODE, "--inbox", data.inbox]
    done = run_measured([*command, "--out", str(work / "out")], env, work, work / "log", 600)
    if done.code != 0:
        say(f"warm-up ended with {done.code or 'timeout'}: {(work / 'log').read_text()[-2000:]}")
    shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- table


def _f(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.{digits}f}"


def table(results: list[Result]) -> str:
    head = [
        "units",
        "files",
        "rows",
        "pipeline s",
        "floor s",
        "ratio",
        "peak RSS MB",
        "leadership eml MB",
    ]
    lines = []
    for r in results:
        lines.append(
            [
                _f(r.units),
                _f(r.files),
                _f(r.rows),
                _f(r.pipeline_s) if r.status == "ok" else r.status,
                _f(r.floor_s, 2),
                _f(r.ratio),
                _f(r.peak_rss_mb, 0),
                _f(r.leadership_eml_mb, 2),
            ]
        )
    phase_head = ["phase s", *[_f(r.units) for r in results]]
    names = [*PHASES, *sorted({k for r in results for k in r.phases} - {*PHASES, "other"})]
    phase_lines = [[name, *[_f(r.phases.get(name), 2) for r in results]] for name in names]
    phase_lines.append(["other", *[_f(r.phases.get("other"), 2) for r in results]])
    phase_lines.append(["total", *[_f(r.pipeline_s, 2) for r in results]])
    phase_lines.append(["(flow run)", *[_f(r.flow_s, 2) for r in results]])
    return _grid(head, lines) + "\n\n" + _grid(phase_head, phase_lines)


def _grid(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    fmt = [
        "  ".join(
            c.ljust(w) if i == 0 and not c[:1].isdigit() else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [head, *rows]
    ]
    return "\n".join([fmt[0], "  ".join("-" * w for w in widths), *fmt[1:]])


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--units", type=int, help="one size: N units (kecamatan + N-1 kelurahan)")
    size.add_argument("--sizes", help="several sizes in sequence, e.g. 7,56,560")
    size.add_argument("--floor", type=Path, help=argparse.SUPPRESS)  # the floor's own process
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds per run (1200)")
    parser.add_argument(
        "--cache", type=Path, default=Path("/tmp/triwulan-scale"), help="generated data per N"
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="processes writing the xlsx files"
    )
    parser.add_argument("--keep", action="store_true", help="keep each run's out folder")
    parser.add_argument(
        "--no-warmup", action="store_true", help="skip the untimed 7-unit run before the first size"
    )
    args = parser.parse_args(argv)
    if args.floor is None and args.units is None and args.sizes is None:
        parser.error("give --units N or --sizes N,M,…")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.floor is not None:
        summary = floor(args.floor)
        Path(os.environ["FLOOR_JSON"]).write_text(json.dumps(summary), encoding="utf-8")
        return
    sizes = [args.units] if args.units else [int(s) for s in args.sizes.split(",") if s.strip()]

    datasets = []
    for n in sizes:  # all generation first: none of it competes with a measured run
        say(f"[{n}] data in {args.cache / str(n)}")
        data, cached = scale_data.ensure(n, args.cache, args.jobs, log=say)
        if not cached:
            say(f"[{n}] generated in {data.generate_s:.1f} s")
        datasets.append((data, cached))

    base = Path(tempfile.mkdtemp(prefix="triwulan-scale-"))
    os.environ["PREFECT_HOME"] = str(base / "client-home")  # the client reading the task runs
    results: list[Result] = []
    server = None
    try:
        say("starting our Prefect server")
        server, api, port = start_server(base / "server-home", base / "server.log")
        if not args.no_warmup:
            warm_up(args, base, port)
        for data, cached in datasets:
            results.append(measure_size(data, cached, api, port, base, args))
            say(table(results[-1:]).split("\n\n")[0])
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(base, ignore_errors=True)

    print(table(results))
    if args.json:
        payload = [asdict(r) for r in results]
        args.json.write_text(
            json.dumps(payload[0] if args.units else payload, indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
        say(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
