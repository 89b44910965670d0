"""Synthetic reference data and TW II 2024 submissions for N units, for bench/scale.py.

Why a generator: the shipped sample has 7 units, and the question of issue 16 is how the real
pipeline grows with the number of units. The data is the sample multiplied, not invented: the
kecamatan office once, and N − 1 kelurahan cloned in turn from the six kelurahan of
reference/2024 (clone k of Perwira is `perwira-k`, with Perwira's sub-kegiatan codes, anggaran,
zones and, slightly scaled down, its TW II figures). At N = 7 the units are exactly the sample's.
About 1% of the rows carry a planted fault (fisik 105%, spending above pagu, swapped code
digits), so the faulty units are rejected as in real life.

What the data is lives in bench/scale_plan.py. The sample's own units are written by the
project's writer (tasks/collect/template.py `write_xlsx`, with the IKU sheets of the sample as
sample/generate.py `write_sample` does); their clones either by the writer too (writer
"template", ~150 ms a file: 15 minutes for 5,957 units) or rewritten from one writer's workbook
per sample unit (writer "fast", bench/scale_clone.py, checked equal to the writer's XML on a
sample of clones before anything is written). Both are cached per N under the cache root, so a
rerun of the benchmark skips the generation.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_clone  # noqa: E402
from scale_plan import (  # noqa: E402, F401  (re-exported: the generator's plan)
    FAULT_COLUMNS,
    YEAR_FILES_SCALED,
    Clone,
    clones,
    plant_faults,
    scaled_rows,
    scaled_year,
)

TAHUN, TRIWULAN = 2024, 2
PERIODE = f"{TAHUN}-TW{TRIWULAN}"
# Bump when what is generated changes: a cache written by another format is rebuilt.
FORMAT = 1
MARKER = "dataset.json"
YEAR_FILES_COPIED = ("programs.csv", "kegiatan.csv", "iku.csv", "recipients.csv")
ZONA = "zona_k3"  # tasks.core.iku_input.ZONA

_worker_ref = None  # the scaled Reference, loaded once per writer process
# one workbook to write: unit, path, the realisasi frame, the filled IKU sheets
Work = tuple[str, str, pd.DataFrame, dict[str, pd.DataFrame]]
Log = Callable[[str], None]


@dataclass(frozen=True)
class Dataset:
    """Where one generated size lives and what it holds."""

    units: int
    root: str
    reference: str  # TRIWULAN_REFERENCE for the run
    inbox: str  # --inbox for the run (files in inbox/2024/TW2)
    files: int
    rows: int
    faulty_rows: int
    faulty_units: int
    generate_s: float
    format: int = FORMAT
    writer: str = "template"  # "fast": clones rewritten from the writer's workbooks

    @property
    def quarter_inbox(self) -> Path:
        return Path(self.inbox) / str(TAHUN) / f"TW{TRIWULAN}"


# ---------------------------------------------------------------- disk


def _read_text_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def write_reference(target: Path, plan: list[Clone]) -> None:
    """reference/ in the layout of the shipped one: shared tables copied, 2024 scaled."""
    from triwulan.paths import PACKAGED_REFERENCE

    year_dir = target / str(TAHUN)
    year_dir.mkdir(parents=True)
    for path in PACKAGED_REFERENCE.iterdir():
        if path.is_file() and path.suffix in (".csv", ".toml"):
            shutil.copy2(path, target / path.name)
    source = PACKAGED_REFERENCE / str(TAHUN)
    for name in YEAR_FILES_COPIED:
        shutil.copy2(source / name, year_dir / name)
    year = {n: _read_text_csv(source / n) for n in YEAR_FILES_SCALED}
    for name, frame in scaled_year(year, plan).items():
        frame.to_csv(year_dir / name, index=False, encoding="utf-8")


def _file_name(c: Clone, nama: str) -> str:
    from triwulan.sample.generate import FILE_NAMES, file_name

    if c.copy == 0 and c.unit in FILE_NAMES:
        return file_name(c.unit, TRIWULAN)
    return f"Realisasi TW{TRIWULAN} {TAHUN} {nama}.xlsx"


def _zona_sheet(sheet: pd.DataFrame, c: Clone, zones: int) -> pd.DataFrame:
    """The template's filled zona_k3 sheet, renumbered to the clone's own zones."""
    if c.copy == 0:
        return sheet
    return sheet.assign(
        no_zona=(sheet["no_zona"].astype(int) + zones * c.copy).astype(str),
        nama_zona=sheet["nama_zona"] + f" #{c.copy + 1}",
    )


def _init_writer(reference: str) -> None:
    global _worker_ref
    os.environ["TRIWULAN_REFERENCE"] = reference
    from triwulan.tasks.core.reference import load_reference

    _worker_ref = load_reference(TAHUN)


def _write_batch(batch: list[Work]) -> int:
    """Write one batch of workbooks with the project's writer; returns how many."""
    from triwulan.tasks.collect.template import write_xlsx
    from triwulan.tasks.core.period import Period

    assert _worker_ref is not None
    for unit, path, frame, sheets in batch:
        write_xlsx(frame, Path(path), _worker_ref, Period(TAHUN, TRIWULAN), unit, sheets)
    return len(batch)


def write_with_writer(work: list[Work], reference: Path, jobs: int) -> int:
    """The project's own writer for every file of `work` (~150 ms a file)."""
    batches = [work[i : i + 50] for i in range(0, len(work), 50)]
    if jobs > 1 and len(batches) > 1:
        with ProcessPoolExecutor(jobs, initializer=_init_writer, initargs=(str(reference),)) as ex:
            return sum(ex.map(_write_batch, batches))
    _init_writer(str(reference))
    return sum(_write_batch(batch) for batch in batches)


@dataclass(frozen=True)
class Scaled:
    """Everything written for one size: the plan, the rows (with and without the planted
    faults, one block per clone) and the filled IKU sheets of the sample."""

    plan: list[Clone]
    rows: pd.DataFrame
    correct: pd.DataFrame
    keys: list[str]  # contract columns of sheet realisasi
    sheets: dict[tuple[str, int], dict[str, pd.DataFrame]]
    zones: int
    names: dict[str, str]
    inbox: Path

    @cached_property
    def bounds(self) -> np.ndarray:
        return np.searchsorted(self.rows["_clone"].to_numpy(), np.arange(len(self.plan) + 1))

    @cached_property
    def records(self) -> list[tuple]:
        return list(self.rows[self.keys].itertuples(index=False, name=None))

    def path(self, i: int) -> Path:
        c = self.plan[i]
        return self.inbox / _file_name(c, self.names[c.unit])

    def frame(self, i: int, faults: bool = True) -> pd.DataFrame:
        rows = self.rows if faults else self.correct
        return rows.iloc[self.bounds[i] : self.bounds[i + 1]].reset_index(drop=True)[self.keys]

    def unit_sheets(self, c: Clone) -> dict[str, pd.DataFrame]:
        found = dict(self.sheets.get((c.template, TRIWULAN), {}))
        if ZONA in found:
            found[ZONA] = _zona_sheet(found[ZONA], c, self.zones)
        return found

    def work(self, i: int, path: Path | None = None, faults: bool = True) -> Work:
        c = self.plan[i]
        return (c.unit, str(path or self.path(i)), self.frame(i, faults), self.unit_sheets(c))

    @cached_property
    def _sheet_rows(self) -> dict[str, dict[str, tuple[list[str], list[tuple]]]]:
        return {
            template: {
                name: (list(f.columns), list(f.itertuples(index=False, name=None)))
                for name, f in self.sheets.get((template, TRIWULAN), {}).items()
            }
            for template in {c.template for c in self.plan}
        }

    def job(self, i: int, path: Path | None = None, faults: bool = True) -> scale_clone.Job:
        """One clone for the fast path: plain tuples, cheap to send to a writer process."""
        c = self.plan[i]
        if faults:
            rows = self.records[self.bounds[i] : self.bounds[i + 1]]
        else:
            rows = list(self.frame(i, faults=False).itertuples(index=False, name=None))
        iku = dict(self._sheet_rows[c.template])
        if ZONA in iku:
            cols, zona = iku[ZONA]
            no, nama = cols.index("no_zona"), cols.index("nama_zona")
            iku[ZONA] = (cols, [_zona_row(r, no, nama, c, self.zones) for r in zona])
        nama = self.names[c.unit]
        return (str(path or self.path(i)), c.unit, nama, c.template, rows, iku)


def _zona_row(row: tuple, no: int, nama: int, c: Clone, zones: int) -> tuple:
    """_zona_sheet for one row as a tuple."""
    if c.copy == 0:
        return row
    out = list(row)
    out[no] = str(int(row[no]) + zones * c.copy)
    out[nama] = f"{row[nama]} #{c.copy + 1}"
    return tuple(out)


def _verify_sample(plan: list[Clone], faulty: set[str]) -> list[int]:
    """Clones the fast path is checked on: the first and last copy of each sample unit and the
    first faulted clones (the fault kinds rotate, so all three kinds are among them)."""
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for i, c in enumerate(plan):
        if c.copy:
            first.setdefault(c.template, i)
            last[c.template] = i
    faulted = [i for i, c in enumerate(plan) if c.copy and c.unit in faulty][:12]
    return sorted({*first.values(), *last.values(), *faulted})


def _write_fast(data: Scaled, fast: list[int], faulty: set[str], jobs: int, log: Log) -> int:
    """Prototypes by the writer, a checked sample, then every clone rewritten in `jobs`."""
    ref = _worker_ref
    assert ref is not None
    contract = dict(zip(ref.kolom["kolom"], ref.kolom["tipe"], strict=True))
    tipes = [contract[k] for k in data.keys]
    protos: dict[str, scale_clone.Prototype] = {}
    with tempfile.TemporaryDirectory(prefix="scale-proto-") as folder:
        for i in fast:  # the first clone of each sample unit, without its faults
            template = data.plan[i].template
            if template not in protos:
                path = Path(folder) / f"{template}.xlsx"
                _write_batch([data.work(i, path, faults=False)])
                job = data.job(i, path, faults=False)
                protos[template] = scale_clone.prototype(path, job, tipes)
    index = {c.unit: i for i, c in enumerate(data.plan)}

    def by_writer(job: scale_clone.Job, path: Path) -> None:
        _write_batch([data.work(index[job[1]], path)])

    sample = [data.job(i) for i in _verify_sample(data.plan, faulty)]
    checked = scale_clone.verify(sample, protos, tipes, by_writer)
    log(f"  {len(protos)} prototypes by the writer; {checked} clones checked identical")
    started = time.perf_counter()
    chunks = ([data.job(i) for i in fast[k : k + 500]] for k in range(0, len(fast), 500))
    written = scale_clone.write_all(chunks, protos, tipes, jobs)
    log(f"  {written} clones rewritten in {time.perf_counter() - started:.1f} s ({jobs} processes)")
    return written


def generate(
    units: int, root: Path, jobs: int = 1, log: Log = print, writer: str = "fast"
) -> Dataset:
    """Write reference/ and inbox/ for `units` units into `root` (which must not exist).

    writer "fast": the sample units by the project's writer, their clones rewritten from one
    workbook of the writer each (bench/scale_clone.py); "template": every file by the writer.
    """
    started = time.perf_counter()
    from triwulan.paths import PACKAGED_REFERENCE
    from triwulan.sample.generate import build_sample, iku_sheets, load_seed
    from triwulan.tasks.core.reference import load_reference
    from triwulan.tasks.core.submission import columns

    os.environ["TRIWULAN_REFERENCE"] = str(PACKAGED_REFERENCE)
    sample_ref = load_reference(TAHUN)
    sample = build_sample(sample_ref, load_seed())
    kelurahan = list(sample_ref.units.loc[sample_ref.units["jenis"] == "kelurahan", "unit"])
    plan = clones(kelurahan, units)

    reference = root / "reference"
    write_reference(reference, plan)
    _init_writer(str(reference))  # the project's own checks of the generated reference
    ref = _worker_ref
    assert ref is not None
    log(f"  reference written and checked ({time.perf_counter() - started:.1f} s)")

    correct = scaled_rows({c.template: sample.correct[(c.template, TRIWULAN)] for c in plan}, plan)
    rows, manifest = plant_faults(correct)
    data = Scaled(
        plan=plan,
        rows=rows,
        correct=correct,
        keys=columns(ref),
        sheets=iku_sheets(sample_ref),
        zones=len(sample_ref.zona_k3),
        names=ref.unit_names,
        inbox=root / "inbox" / str(TAHUN) / f"TW{TRIWULAN}",
    )
    data.inbox.mkdir(parents=True)
    by_writer = [i for i, c in enumerate(plan) if writer != "fast" or c.copy == 0]
    log(f"  {len(by_writer)} xlsx files by the project's writer ({jobs} processes)")
    written = write_with_writer([data.work(i) for i in by_writer], reference, jobs)
    fast = [i for i, c in enumerate(plan) if writer == "fast" and c.copy > 0]
    if fast:
        _init_writer(str(reference))
        faulty = {str(m["unit"]) for m in manifest}
        written += _write_fast(data, fast, faulty, jobs, log)
    pd.DataFrame(manifest).to_csv(root / "kesalahan.csv", index=False, encoding="utf-8")
    return Dataset(
        units=units,
        root=str(root),
        reference=str(reference),
        inbox=str(root / "inbox"),
        files=written,
        rows=len(rows),
        faulty_rows=len(manifest),
        faulty_units=len({m["unit"] for m in manifest}),
        generate_s=round(time.perf_counter() - started, 1),
        writer=writer,
    )


def ensure(
    units: int, cache_root: Path, jobs: int = 1, log: Log = print, writer: str = "fast"
) -> tuple[Dataset, bool]:
    """The cached dataset of this size, generated first when absent; (dataset, was_cached).

    A cache written by either writer serves: their files hold the same data (see scale_clone).
    """
    folder = cache_root / str(units)
    marker = folder / MARKER
    if marker.is_file():
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
            if data.get("format") == FORMAT:
                return Dataset(**data), True
        except (OSError, ValueError, TypeError):
            pass
    if folder.exists():
        shutil.rmtree(folder)
    building = cache_root / f".{units}.building-{os.getpid()}"
    if building.exists():
        shutil.rmtree(building)
    building.mkdir(parents=True)
    previous = os.environ.get("TRIWULAN_REFERENCE")
    try:
        dataset = generate(units, building, jobs, log, writer)
    finally:
        if previous is None:
            os.environ.pop("TRIWULAN_REFERENCE", None)
        else:
            os.environ["TRIWULAN_REFERENCE"] = previous
    building.rename(folder)  # whole or not at all: an interrupted generation is not a cache
    dataset = Dataset(
        **{
            **asdict(dataset),
            "root": str(folder),
            "reference": str(folder / "reference"),
            "inbox": str(folder / "inbox"),
        }
    )
    marker.write_text(json.dumps(asdict(dataset), indent=2), encoding="utf-8")
    return dataset, False
