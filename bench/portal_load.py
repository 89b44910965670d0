"""Many units uploading to one `triwulan portal` at the same moment: latency under a burst.

Run: .venv/bin/python bench/portal_load.py --units 50
     .venv/bin/python bench/portal_load.py --units 10,50,120
A benchmark, not a test: it prints a table. Per size N, outside the timing:

1. bench/scale_data.py generates a reference with N + 1 units (the kecamatan office and N
   kelurahan cloned from the sample's six) and their TW II 2024 xlsx files, a few with planted
   faults (listed in kesalahan.csv).
2. A real `triwulan portal` starts on a free port of 127.0.0.1 (tests/portal_server.py) with
   TRIWULAN_REFERENCE set to that reference, and every unit gets an access code (written into
   the portal's store as `triwulan akses buat` does; the command itself costs ~1.5 s of imports
   each, which is not what is measured here).
3. "alone": after the office's file has been uploaded once (untimed: the judge has warmed up),
   the first kelurahan's file uploaded by itself on the idle portal, the median of three.
4. The burst: the N kelurahan upload their own file through POST /api/v1/unggah, each from its
   own thread and connection, released together by a barrier. Latency is per request, from the
   barrier to the verdict.

Columns: p50/p95/max of the burst's latencies, the wall time of the whole burst, the single
upload alone, p95 / alone: how many "single uploads" the slowest units wait in a burst, and
"page": the slowest GET /masuk of a thread polling the sign-in page during the burst (a page is
served from the same worker threads the waiting uploads hold).
tests/portal/test_load.py runs the same burst for 50 units and checks every verdict.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "bench"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import scale_data  # noqa: E402

from tests.portal_server import PortalServer, running_portal  # noqa: E402

PERIODE = scale_data.PERIODE
OFFICE = "kecamatan"
TIMEOUT_S = 600.0


@dataclass(frozen=True)
class LoadData:
    """A generated reference and, per unit, the file it uploads."""

    reference: Path
    files: dict[str, Path]  # the N kelurahan that upload in the burst, in plan order
    office: Path  # the kecamatan's file: the untimed first upload
    faulty: frozenset[str]  # units with a planted fault (kesalahan.csv)


@dataclass(frozen=True)
class Outcome:
    unit: str
    http: int  # 0: no answer (connection error or timeout)
    answer: dict | None  # the JSON answer
    seconds: float
    error: str = ""

    @property
    def status(self) -> str | None:
        return (self.answer or {}).get("status")


def _unit_of(path: Path) -> str:
    """The unit code in the first data row of the file's realisasi sheet."""
    book = load_workbook(path, read_only=True)
    try:
        rows = book["realisasi"].iter_rows(max_row=2, values_only=True)
        header, first = next(rows), next(rows)
    finally:
        book.close()
    return str(first[list(header).index("unit")]).strip()


@contextlib.contextmanager
def _reference_env() -> Iterator[None]:
    """scale_data.generate points TRIWULAN_REFERENCE of this process at what it writes: undone."""
    previous = os.environ.get("TRIWULAN_REFERENCE")
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TRIWULAN_REFERENCE", None)
        else:
            os.environ["TRIWULAN_REFERENCE"] = previous


def prepare(units: int, root: Path) -> LoadData:
    """Reference and files for `units` uploading kelurahan (plus the office) under `root`."""
    with _reference_env():
        data = scale_data.generate(units + 1, root, log=lambda _line: None)
    by_unit = {_unit_of(path): path for path in sorted(data.quarter_inbox.glob("*.xlsx"))}
    assert len(by_unit) == units + 1, sorted(by_unit)
    with (root / "kesalahan.csv").open(encoding="utf-8") as planted:
        faulty = frozenset(row["unit"] for row in csv.DictReader(planted))
    office = by_unit.pop(OFFICE)
    return LoadData(Path(data.reference), by_unit, office, faulty)


def make_codes(server: PortalServer, units: list[str]) -> dict[str, str]:
    """One access code per unit, written into the portal's own store (see the module doc)."""
    from triwulan.tasks.record import portal as ledger
    from triwulan.tasks.record.database import open_store

    engine = open_store(f"sqlite:///{server.out / 'triwulan.sqlite'}")
    try:
        made = {unit: ledger.create_access(engine, unit, "bench").code for unit in units}
    finally:
        engine.dispose()
    server.codes.update(made)
    return made


def upload(
    url: str, code: str, path: Path, periode: str = PERIODE, timeout: float = TIMEOUT_S
) -> tuple[int, dict | None, float]:
    """POST /api/v1/unggah with one file: (HTTP status, JSON answer, seconds)."""
    with httpx.Client(base_url=url, timeout=timeout) as client:
        started = time.perf_counter()
        response = client.post(
            "/api/v1/unggah",
            headers={"Authorization": f"Bearer {code}"},
            files={"berkas": (path.name, path.read_bytes())},
            data={"periode": periode},
        )
        seconds = time.perf_counter() - started
    try:
        answer = response.json()
    except ValueError:
        answer = None
    return response.status_code, answer, seconds


def burst(
    url: str, codes: dict[str, str], files: dict[str, Path], timeout: float = TIMEOUT_S
) -> tuple[list[Outcome], float]:
    """Every unit uploads its file from its own thread, all released at once; (outcomes, wall)."""
    units = list(files)
    barrier = threading.Barrier(len(units) + 1)
    payloads = {unit: files[unit].read_bytes() for unit in units}

    def one(unit: str) -> Outcome:
        with httpx.Client(base_url=url, timeout=timeout) as client:
            barrier.wait()
            started = time.perf_counter()
            try:
                response = client.post(
                    "/api/v1/unggah",
                    headers={"Authorization": f"Bearer {codes[unit]}"},
                    files={"berkas": (files[unit].name, payloads[unit])},
                    data={"periode": PERIODE},
                )
            except httpx.HTTPError as exc:
                return Outcome(unit, 0, None, time.perf_counter() - started, repr(exc))
            seconds = time.perf_counter() - started
        try:
            answer = response.json()
        except ValueError:
            return Outcome(unit, response.status_code, None, seconds, response.text[:300])
        return Outcome(unit, response.status_code, answer, seconds)

    with ThreadPoolExecutor(len(units)) as pool:
        futures = [pool.submit(one, unit) for unit in units]
        barrier.wait()
        started = time.perf_counter()
        outcomes = [f.result() for f in futures]
        wall = time.perf_counter() - started
    return outcomes, wall


class PageProbe:
    """GET /masuk every 0.2 s in a thread of its own: how long a page waits during a burst."""

    def __init__(self, url: str) -> None:
        self.url, self.seconds = url, [0.0]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        with httpx.Client(base_url=self.url, timeout=TIMEOUT_S) as client:
            while not self._stop.wait(0.2):
                started = time.perf_counter()
                client.get("/masuk")
                self.seconds.append(time.perf_counter() - started)

    def __enter__(self) -> PageProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def latencies(outcomes: list[Outcome]) -> dict[str, float]:
    seconds = [o.seconds for o in outcomes]
    return {
        "p50": percentile(seconds, 50),
        "p95": percentile(seconds, 95),
        "max": max(seconds),
    }


@dataclass(frozen=True)
class Row:
    units: int
    p50: float
    p95: float
    max: float
    wall: float
    alone: float
    page: float  # the slowest GET /masuk during the burst
    ditolak: int
    failed: int  # no verdict: not HTTP 200 with a status

    @property
    def ratio(self) -> float:
        return self.p95 / self.alone


def measure(units: int, work: Path, say=print) -> Row:  # type: ignore[no-untyped-def]
    """One size: data, a portal of its own, the upload alone, then the burst."""
    data = prepare(units, work / "data")
    say(f"[{units}] data ready: {len(data.faulty)} units with planted faults")
    extra = {"TRIWULAN_REFERENCE": str(data.reference), "TRIWULAN_PORTAL_UNGGAH_PER_JAM": "100"}
    with running_portal(work / "portal", extra) as server:
        codes = make_codes(server, [OFFICE, *data.files])
        http, answer, _ = upload(server.url, codes[OFFICE], data.office)  # waits for warm-up
        assert http == 200, (http, answer)
        first, path = next(iter(data.files.items()))
        alone = statistics.median(upload(server.url, codes[first], path)[2] for _ in range(3))
        with PageProbe(server.url) as probe:
            outcomes, wall = burst(server.url, codes, data.files)
    failed = [o for o in outcomes if o.http != 200 or o.status is None]
    for o in failed[:5]:
        say(f"[{units}] {o.unit}: HTTP {o.http} {o.answer or o.error}")
    stats = latencies(outcomes)
    ditolak = sum(o.status == "ditolak" for o in outcomes)
    page = max(probe.seconds)
    return Row(
        units, stats["p50"], stats["p95"], stats["max"], wall, alone, page, ditolak, len(failed)
    )


def table(rows: list[Row]) -> str:
    head = (
        f"{'units':>6} {'p50 s':>8} {'p95 s':>8} {'max s':>8} {'wall s':>8} {'alone s':>8} "
        f"{'p95/alone':>10} {'page s':>7} {'ditolak':>8} {'failed':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.units:>6} {r.p50:>8.2f} {r.p95:>8.2f} {r.max:>8.2f} {r.wall:>8.2f} "
            f"{r.alone:>8.2f} {r.ratio:>10.1f} {r.page:>7.2f} {r.ditolak:>8} {r.failed:>7}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--units", default="50", help="uploading units per burst, comma-separated (e.g. 10,50)"
    )
    args = parser.parse_args(argv)
    sizes = [int(n) for n in str(args.units).split(",") if n.strip()]

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix=f"portal-load-{n}-") as work:
            rows.append(measure(n, Path(work), say))
    print(table(rows), flush=True)
    return 1 if any(r.failed for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
