"""How the real pipeline grows with the number of units, against the floor of reading alone.

Run: .venv/bin/python bench/scale.py --sizes 7,56,560 [--json PATH] [--timeout 1200]
     .venv/bin/python bench/scale.py --units 56 --json /tmp/scale-56.json
     .venv/bin/python bench/scale.py --units 83763 --json /tmp/scale-nation.json
A benchmark, not a test: it prints a table and writes JSON. Per size N (N units: the kecamatan
office + N − 1 kelurahan cloned from the sample's six, see bench/scale_data.py):

1. Reference data and TW II 2024 xlsx submissions are generated outside the timing and cached
   under --cache/N (default /tmp/triwulan-scale/N). The sample's units are written by the
   project's writer; their clones are rewritten from one writer's workbook each (checked equal
   to the writer's XML, bench/scale_clone.py), or all by the writer with --writer template.
2. The pipeline, by --stages:
   - "run" (default up to NATIONAL_FROM units): `triwulan run 2024-TW2 --inbox … --out …` as a
     subprocess in a clean environment (no inherited PREFECT_*/TRIWULAN_*; PREFECT_HOME in a
     temporary folder; TRIWULAN_REFERENCE = the generated reference). It talks to our own
     Prefect server, started once before the first such size, so the seconds of each task run
     (kumpulkan, validasi, simpan, …) are read back through the Prefect client; "other" is the
     wall time no task run covers (process start, imports, setup, lock, untasked steps).
   - a list of stages (default from NATIONAL_FROM units: kumpulkan,validasi,simpan,hitung,
     laporan-wilayah): bench/scale_national.py, which calls the flow's stage functions
     in-process (no Prefect, no CLI), without per-unit reports and mails; its phases are its
     own clock, "other" is interpreter start and what no phase covers.
3. The floor: the same files read with python-calamine (sheet `realisasi`), concatenated into
   one pandas frame and summed by unit and program, no validation, also as a subprocess.

Peak RSS is ru_maxrss of the run's process tree (os.wait4 in a small launcher: the largest
single process of the tree, the capped xlsx reader children included). A run that passes
--timeout is killed and reported as "timeout", with the phases that finished before. The
first full-pipeline size is preceded by one untimed 7-unit run (--no-warmup skips it). JSON:
one object for --units, a list of them for --sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_data  # noqa: E402
import scale_national  # noqa: E402
from scale_proc import (  # noqa: E402
    clean_env,
    read_phases,
    run_measured,
    say,
    start_server,
    stop,
    tree_state,
    triwulan_command,
)
from scale_report import PHASES, Result, measure_outputs, table, write_json  # noqa: E402

MONEY = ["pagu", "target_keuangan", "realisasi_keuangan"]
WARMUP_UNITS = 7
NATIONAL_FROM = 20_000  # from this size on, the default is the in-process stages
RUN = "run"


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


def measure_floor(
    data: scale_data.Dataset, result: Result, work: Path, base: Path, timeout: float
) -> None:
    """The floor on the same files, in its own measured process; the ratio when both ran."""
    say(f"[{data.units}] floor (calamine + pandas)")
    size_dir = Path(data.root)
    floor_json = work / "floor.json"
    done = run_measured(
        [sys.executable, str(Path(__file__).resolve()), "--floor", str(data.quarter_inbox)],
        clean_env(base / "run-home", FLOOR_JSON=str(floor_json)),
        work,
        size_dir / "floor.log",
        timeout,
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


# ---------------------------------------------------------------- one size


def new_result(data: scale_data.Dataset, cached: bool) -> Result:
    return Result(
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
        generated_writer=data.writer,
        cached=cached,
        tree=tree_state(),
        load_before=[round(x, 2) for x in os.getloadavg()],
        started_utc=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def finish_run(
    result: Result, code: int | None, seconds: float, rss: float | None, log: Path
) -> None:
    """Status, seconds and peak RSS of the measured pipeline process."""
    result.exit_code = code
    result.peak_rss_mb = None if rss is None else round(rss, 1)
    if code is None:
        result.status = "timeout"
    else:
        result.status = "ok" if code == 0 else f"exit {code}"
        result.pipeline_s = round(seconds, 2)
    if code not in (0, None):
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        say(f"[{result.units}] run ended with exit {code}:\n{tail}")


def measure_size(
    data: scale_data.Dataset,
    cached: bool,
    api: str,
    port: int,
    base: Path,
    args: argparse.Namespace,
) -> Result:
    """The full pipeline: `triwulan run` through our Prefect server, then the floor."""
    result = new_result(data, cached)
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
    since = datetime.now(UTC)
    say(f"[{data.units}] triwulan run {scale_data.PERIODE} ({data.files} files)")
    run = run_measured(command, env, work, size_dir / "run.log", args.timeout)
    finish_run(result, run.code, run.seconds, run.maxrss_mb, size_dir / "run.log")
    try:
        phases, flow_s = read_phases(api, since)
    except Exception as exc:  # a benchmark reports what it could measure
        say(f"[{data.units}] task runs not readable: {exc}")
        phases, flow_s = {}, None
    result.flow_s = None if flow_s is None else round(flow_s, 2)
    result.phases = {name: round(phases.get(name, 0.0), 2) for name in PHASES}
    result.phases.update({k: round(v, 2) for k, v in phases.items() if k not in PHASES})
    result.finished = [k for k, v in phases.items() if v]
    if result.pipeline_s is not None:
        result.phases["other"] = round(result.pipeline_s - sum(phases.values()), 2)
    measure_outputs(out, result)
    measure_floor(data, result, work, base, args.timeout)
    _clean_up(data, result, work, out, args.keep)
    return result


def measure_stages(
    data: scale_data.Dataset, cached: bool, stages: list[str], base: Path, args: argparse.Namespace
) -> Result:
    """The in-process harness (bench/scale_national.py) over the stages, then the floor."""
    result = new_result(data, cached)
    result.mode = (
        f"stages {','.join(stages)} in-process (bench/scale_national.py; no Prefect, no CLI)"
    )
    size_dir = Path(data.root)
    work = Path(tempfile.mkdtemp(prefix="stages-", dir=size_dir))
    out, progress = work / "out", work / "progress.json"
    command = [
        sys.executable,
        str(Path(scale_national.__file__).resolve()),
        "--periode",
        scale_data.PERIODE,
        "--inbox",
        data.inbox,
        "--out",
        str(out),
        "--progress",
        str(progress),
        "--stages",
        ",".join(stages),
    ]
    env = clean_env(base / "run-home", TRIWULAN_REFERENCE=data.reference)
    say(f"[{data.units}] in-process stages {','.join(stages)} ({data.files} files)")
    log = size_dir / "stages.log"
    run = run_measured(command, env, work, log, args.timeout)
    finish_run(result, run.code, run.seconds, run.maxrss_mb, log)
    done = json.loads(progress.read_text(encoding="utf-8")) if progress.is_file() else {}
    result.phases = dict(done.get("phases", {}))
    result.finished = list(done.get("done", []))
    result.steps = dict(done.get("steps", {}))
    counts = done.get("counts", {})
    result.accepted, result.rejected = counts.get("accepted"), counts.get("rejected")
    result.realisasi_keuangan = done.get("realisasi_keuangan")
    html = (done.get("level_report") or {}).get("laporan.html")
    result.laporan_html_mb = None if html is None else round(html / 2**20, 3)
    if result.status == "timeout":
        say(f"[{data.units}] timeout after {args.timeout:.0f} s; finished: {result.finished}")
    if result.pipeline_s is not None:
        result.phases["other"] = round(result.pipeline_s - sum(result.phases.values()), 2)
    measure_floor(data, result, work, base, args.timeout)
    _clean_up(data, result, work, out, args.keep)
    return result


def _clean_up(data: scale_data.Dataset, result: Result, work: Path, out: Path, keep: bool) -> None:
    if keep or result.status != "ok":
        say(f"[{data.units}] out folder kept: {out}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def warm_up(args: argparse.Namespace, base: Path, port: int) -> None:
    """One untimed 7-unit run first: the first size must not pay for cold files and .pyc."""
    data, _ = scale_data.ensure(WARMUP_UNITS, args.cache, 1, log=say, writer=args.writer)
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


# ---------------------------------------------------------------- main


def stages_for(units: int, asked: str | None) -> list[str]:
    """[] for the full `triwulan run`, else the harness stages (a prefix of their order)."""
    if asked is None:
        return [] if units < NATIONAL_FROM else list(scale_national.STAGES)
    if asked == RUN:
        return []
    stages = [s.strip() for s in asked.split(",") if s.strip()]
    if stages != list(scale_national.STAGES[: len(stages)]):
        raise SystemExit(
            f"--stages: '{RUN}' or a prefix of {','.join(scale_national.STAGES)} "
            "(each stage needs the ones before it)"
        )
    return stages


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--units", type=int, help="one size: N units (kecamatan + N-1 kelurahan)")
    size.add_argument("--sizes", help="several sizes in sequence, e.g. 7,56,560")
    size.add_argument("--floor", type=Path, help=argparse.SUPPRESS)  # the floor's own process
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds per run (1200)")
    parser.add_argument(
        "--stages",
        help=f"'{RUN}': the full `triwulan run` (default below {NATIONAL_FROM:,} units); or "
        f"in-process stages, a prefix of {','.join(scale_national.STAGES)} (default from "
        f"{NATIONAL_FROM:,} units)",
    )
    parser.add_argument(
        "--cache", type=Path, default=Path("/tmp/triwulan-scale"), help="generated data per N"
    )
    parser.add_argument(
        "--writer",
        choices=("fast", "template"),
        default="fast",
        help="how missing data is generated: clones rewritten from the writer's workbooks "
        "(fast, default) or every file by the project's writer (template, ~150 ms a file)",
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
    plans = [(n, stages_for(n, args.stages)) for n in sizes]

    datasets = []
    for n, stages in plans:  # all generation first: none of it competes with a measured run
        say(f"[{n}] data in {args.cache / str(n)}")
        data, cached = scale_data.ensure(n, args.cache, args.jobs, log=say, writer=args.writer)
        if not cached:
            say(f"[{n}] generated in {data.generate_s:.1f} s")
        datasets.append((data, cached, stages))

    base = Path(tempfile.mkdtemp(prefix="triwulan-scale-"))
    os.environ["PREFECT_HOME"] = str(base / "client-home")  # the client reading the task runs
    results: list[Result] = []
    server = None
    try:
        for data, cached, stages in datasets:
            if stages:
                results.append(measure_stages(data, cached, stages, base, args))
            else:
                if server is None:
                    say("starting our Prefect server")
                    server, api, port = start_server(base / "server-home", base / "server.log")
                    if not args.no_warmup:
                        warm_up(args, base, port)
                results.append(measure_size(data, cached, api, port, base, args))
            say(table(results[-1:]).split("\n\n")[0])
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(base, ignore_errors=True)

    print(table(results))
    if args.json:
        write_json(args.json, results, single=bool(args.units))
        say(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
