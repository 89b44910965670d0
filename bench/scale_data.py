"""Synthetic reference data and TW II 2024 submissions for N units, for bench/scale.py.

Why a generator: the shipped sample has 7 units, and the question of issue 16 is how the real
pipeline grows with the number of units. The data is the sample multiplied, not invented: the
kecamatan office once, and N − 1 kelurahan cloned in turn from the six kelurahan of
reference/2024 (clone k of Perwira is `perwira-k`, with Perwira's sub-kegiatan codes, anggaran,
zones and, slightly scaled down, its TW II figures). At N = 7 the units are exactly the sample's.
About 1% of the rows carry a planted fault (fisik 105%, spending above pagu, swapped code
digits), so the faulty units are rejected as in real life.

Files are written with the project's own writers (tasks/collect/template.py `write_xlsx`, with
the IKU sheets of the sample as sample/generate.py `write_sample` does) and cached per N under
the cache root, so a rerun of the benchmark skips the generation.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TAHUN, TRIWULAN = 2024, 2
PERIODE = f"{TAHUN}-TW{TRIWULAN}"
SEED = 20240216
FAULT_RATE = 0.01
# Bump when what is generated changes: a cache written by another format is rebuilt.
FORMAT = 1
MARKER = "dataset.json"
YEAR_FILES_COPIED = ("programs.csv", "kegiatan.csv", "iku.csv", "recipients.csv")
KECAMATAN = "kecamatan"

_worker_ref = None  # the scaled Reference, loaded once per writer process
# one workbook to write: unit, path, the realisasi frame, the filled IKU sheets
Work = tuple[str, str, pd.DataFrame, dict[str, pd.DataFrame]]


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

    @property
    def quarter_inbox(self) -> Path:
        return Path(self.inbox) / str(TAHUN) / f"TW{TRIWULAN}"


@dataclass(frozen=True)
class Clone:
    """One unit of the scaled data: which sample unit it copies and as which copy."""

    unit: str
    template: str
    copy: int  # 0 = the sample unit itself

    @property
    def suffix(self) -> str:
        return "" if self.copy == 0 else f" {self.copy + 1}"


# ---------------------------------------------------------------- pure


def clones(kelurahan: list[str], units: int) -> list[Clone]:
    """The kecamatan office and units − 1 kelurahan, cycling through the sample's kelurahan."""
    if units < 1:
        raise ValueError("units must be at least 1")
    out = [Clone(KECAMATAN, KECAMATAN, 0)]
    for i in range(units - 1):
        template, copy = kelurahan[i % len(kelurahan)], i // len(kelurahan)
        out.append(Clone(template if copy == 0 else f"{template}-{copy + 1}", template, copy))
    return out


def scaled_year(year: dict[str, pd.DataFrame], plan: list[Clone]) -> dict[str, pd.DataFrame]:
    """units, sub_kegiatan, anggaran and zona_k3 of the scaled year (text frames, file order)."""
    units, sub, ang, zona = (
        year[n] for n in ("units.csv", "sub_kegiatan.csv", "anggaran.csv", "zona_k3.csv")
    )
    zones = len(zona)
    unit_rows, sub_rows, ang_rows, zona_rows = [], [], [], []
    by_unit = {name: frame for name, frame in units.groupby("unit", sort=False)}
    sub_of = {name: frame for name, frame in sub.groupby("unit", sort=False)}
    ang_of = {name: frame for name, frame in ang.groupby("unit", sort=False)}
    zona_of = {name: frame for name, frame in zona.groupby("kelurahan", sort=False)}
    for c in plan:
        row = by_unit[c.template].assign(unit=c.unit)
        if c.copy:
            row = row.assign(
                nama=row["nama"] + c.suffix,
                email=row["email"].str.replace("@", f"{c.copy + 1}@", regex=False),
            )
        unit_rows.append(row)
        sub_rows.append(sub_of[c.template].assign(unit=c.unit))
        ang_rows.append(ang_of[c.template].assign(unit=c.unit))
        if c.template in zona_of:
            z = zona_of[c.template]
            zona_rows.append(
                z.assign(
                    no=(z["no"].astype(int) + zones * c.copy).astype(str),
                    nama_zona=z["nama_zona"] + (f" #{c.copy + 1}" if c.copy else ""),
                    kelurahan=c.unit,
                )
            )
    zona_out = pd.concat(zona_rows, ignore_index=True)
    return {
        "units.csv": pd.concat(unit_rows, ignore_index=True),
        "sub_kegiatan.csv": pd.concat(sub_rows, ignore_index=True),
        "anggaran.csv": pd.concat(ang_rows, ignore_index=True),
        "zona_k3.csv": zona_out.sort_values("no", key=lambda s: s.astype(int), ignore_index=True),
    }


def scaled_frame(template: pd.DataFrame, c: Clone) -> pd.DataFrame:
    """The TW II submission of a clone: its template's correct figures, scaled by 85–100%.

    Scaling down keeps every rule the sample satisfies (spending within pagu, fisik 0–100), and
    gives each clone its own numbers so the report's sums are not a multiple of one unit.
    """
    frame = template.copy()
    frame["unit"] = c.unit
    if c.copy == 0:
        return frame
    rng = np.random.default_rng([SEED, c.copy, sum(map(ord, c.template))])
    factor = float(rng.uniform(0.85, 1.0))
    frame["realisasi_keuangan"] = (frame["realisasi_keuangan"].astype("int64") * factor).astype(
        "int64"
    )
    frame["realisasi_fisik"] = (frame["realisasi_fisik"].astype(float) * factor).round(2)
    return frame


def swapped_code(code: str, taken: set[str]) -> str | None:
    """The code with its last two digits swapped (a typo), if that is another, unknown code."""
    wrong = code[:-2] + code[-1] + code[-2]
    return wrong if wrong != code and wrong not in taken else None


def plant_faults(
    frames: dict[str, pd.DataFrame], rate: float = FAULT_RATE
) -> tuple[dict[str, pd.DataFrame], list[dict[str, object]]]:
    """About `rate` of all rows get one fault each (at least one row); returns frames + manifest.

    The kinds rotate as in the sample: fisik above 100%, spending one zero too many (above the
    pagu), two digits of the code swapped.
    """
    index = [(unit, i) for unit, frame in frames.items() for i in range(len(frame))]
    count = max(1, round(len(index) * rate))
    rng = np.random.default_rng(SEED)
    picked = sorted(rng.choice(len(index), size=min(count, len(index)), replace=False))
    out = dict(frames)
    manifest: list[dict[str, object]] = []
    for n, position in enumerate(picked):
        unit, row = index[position]
        frame = out[unit] = out[unit].copy()
        kode = str(frame.at[row, "kode_sub_kegiatan"])
        kind = n % 3
        wrong_code = swapped_code(kode, set(frame["kode_sub_kegiatan"])) if kind == 2 else None
        if kind == 1:
            pagu = int(frame.at[row, "pagu"])
            salah: object = max(int(frame.at[row, "realisasi_keuangan"]) * 10, pagu + 1)
            kolom, jenis = "realisasi_keuangan", "Realisasi melebihi pagu"
        elif wrong_code is not None:
            salah, kolom, jenis = wrong_code, "kode_sub_kegiatan", "Kode sub kegiatan salah"
        else:
            salah, kolom, jenis = 105.0, "realisasi_fisik", "Realisasi fisik di atas 100%"
        frame[kolom] = frame[kolom].astype(object)
        frame.at[row, kolom] = salah
        manifest.append(
            {
                "unit": unit,
                "kode_sub_kegiatan": kode,
                "kolom": kolom,
                "salah": str(salah),
                "jenis": jenis,
            }
        )
    return out, manifest


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
    year = {
        n: _read_text_csv(source / n)
        for n in ("units.csv", "sub_kegiatan.csv", "anggaran.csv", "zona_k3.csv")
    }
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
    """Write one batch of workbooks in a writer process; returns how many."""
    from triwulan.tasks.collect.template import write_xlsx
    from triwulan.tasks.core.period import Period

    assert _worker_ref is not None
    for unit, path, frame, sheets in batch:
        write_xlsx(frame, Path(path), _worker_ref, Period(TAHUN, TRIWULAN), unit, sheets)
    return len(batch)


def _batches(items: list[Work], size: int) -> Iterator[list[Work]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def generate(units: int, root: Path, jobs: int = 1, log: Callable[[str], None] = print) -> Dataset:
    """Write reference/ and inbox/ for `units` units into `root` (which must not exist)."""
    started = time.perf_counter()
    from triwulan.paths import PACKAGED_REFERENCE
    from triwulan.sample.generate import build_sample, iku_sheets, load_seed
    from triwulan.tasks.core.iku_input import ZONA
    from triwulan.tasks.core.reference import load_reference

    os.environ["TRIWULAN_REFERENCE"] = str(PACKAGED_REFERENCE)
    sample_ref = load_reference(TAHUN)
    sample = build_sample(sample_ref, load_seed())
    sheets = iku_sheets(sample_ref)
    kelurahan = list(sample_ref.units.loc[sample_ref.units["jenis"] == "kelurahan", "unit"])
    zones = len(sample_ref.zona_k3)
    plan = clones(kelurahan, units)

    reference = root / "reference"
    write_reference(reference, plan)
    os.environ["TRIWULAN_REFERENCE"] = str(reference)
    ref = load_reference(TAHUN)  # the project's own checks of the generated reference
    names = ref.unit_names

    frames = {c.unit: scaled_frame(sample.correct[(c.template, TRIWULAN)], c) for c in plan}
    frames, manifest = plant_faults(frames)
    quarter_inbox = root / "inbox" / str(TAHUN) / f"TW{TRIWULAN}"
    quarter_inbox.mkdir(parents=True)
    work = []
    for c in plan:
        unit_sheets = dict(sheets.get((c.template, TRIWULAN), {}))
        if ZONA in unit_sheets:
            unit_sheets[ZONA] = _zona_sheet(unit_sheets[ZONA], c, zones)
        path = quarter_inbox / _file_name(c, names[c.unit])
        work.append((c.unit, str(path), frames[c.unit], unit_sheets))
    log(f"  writing {len(work)} xlsx files ({jobs} processes)")
    written = 0
    batches = list(_batches(work, 50))
    if jobs > 1:
        with ProcessPoolExecutor(jobs, initializer=_init_writer, initargs=(str(reference),)) as ex:
            for done in ex.map(_write_batch, batches):
                written += done
    else:
        _init_writer(str(reference))
        for batch in batches:
            written += _write_batch(batch)
    pd.DataFrame(manifest).to_csv(root / "kesalahan.csv", index=False, encoding="utf-8")
    return Dataset(
        units=units,
        root=str(root),
        reference=str(reference),
        inbox=str(root / "inbox"),
        files=written,
        rows=sum(len(f) for f in frames.values()),
        faulty_rows=len(manifest),
        faulty_units=len({m["unit"] for m in manifest}),
        generate_s=round(time.perf_counter() - started, 1),
    )


def ensure(
    units: int, cache_root: Path, jobs: int = 1, log: Callable[[str], None] = print
) -> tuple[Dataset, bool]:
    """The cached dataset of this size, generated first when absent; (dataset, was_cached)."""
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
        dataset = generate(units, building, jobs, log)
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
