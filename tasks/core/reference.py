"""Reference data of a budget year (units, nomenclature, pagu, anggaran kas, IKU) from CSV files.

Everything is read as text and parsed strictly, so a stray "1.000,5" in a money column is reported
with its file and row instead of becoming a float. The checks (`reference_checks`) are pure
functions over the frames and return every problem found; `load_reference` raises them all at
once. A year is read once per process while its files stay as they are: the command line and the
flow it starts ask for the same year, and a province's reference takes seconds to read and check.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from triwulan.paths import reference_dir, reference_root
from triwulan.tasks.core.errors import ReferenceDataError
from triwulan.tasks.core.reference_checks import (
    FILES,
    MONEY_COLS,
    QUARTERS,
    check_frames,
)
from triwulan.tasks.core.reference_form import (
    OPTIONAL_FILES,
    check_form_files,
    empty,
    typed_form_frames,
)
from triwulan.tasks.core.reference_shared_checks import check_shared

# Tables shared by every year, beside the year folders.
SHARED_REFERENCE = (
    "predikat.csv",
    "kolom_pengajuan.csv",
    "ikm_mutu.csv",
    "akip_predikat.csv",
    "akip_komponen.csv",
    "kolom_iku.csv",
)


@dataclass(frozen=True)
class Reference:
    """All reference frames of one year; money columns are Python-int-exact int64."""

    tahun: int
    units: pd.DataFrame
    recipients: pd.DataFrame
    programs: pd.DataFrame
    kegiatan: pd.DataFrame
    sub_kegiatan: pd.DataFrame
    anggaran: pd.DataFrame
    iku: pd.DataFrame
    zona_k3: pd.DataFrame
    predikat: pd.DataFrame
    kolom: pd.DataFrame
    ikm_mutu: pd.DataFrame  # mutu, kinerja, batas_bawah, batas_atas (float), best band first
    akip_predikat: pd.DataFrame  # predikat, keterangan, lebih_dari (float, NaN = lowest band)
    akip_komponen: pd.DataFrame  # komponen, judul, bobot (float), in file order
    kolom_iku: pd.DataFrame  # lembar, kolom, tipe, wajib, judul, penjelasan (text)
    # the optional form files (reference_form): empty frames when a year has none
    sasaran: pd.DataFrame = field(default_factory=lambda: _optional("sasaran.csv"))
    renstra: pd.DataFrame = field(default_factory=lambda: _optional("renstra.csv"))
    iku_tahunan: pd.DataFrame = field(default_factory=lambda: _optional("iku_tahunan.csv"))
    pejabat: pd.DataFrame = field(default_factory=lambda: _optional("pejabat.csv"))
    catatan_e81: pd.DataFrame = field(default_factory=lambda: _optional("catatan_e81.csv"))
    # unit, kode_sub_kegiatan, jenis, sub_jenis, pagu (int64): the TW IV pagu by jenis belanja
    jenis_belanja: pd.DataFrame = field(default_factory=lambda: _optional("jenis_belanja.csv"))
    # tahun (int), komponen, nilai (float): AKIP component scores of earlier years
    akip_komponen_tahunan: pd.DataFrame = field(
        default_factory=lambda: _optional("akip_komponen_tahunan.csv")
    )
    # plan_for_quarter's results: every step of a run asks for the same quarter's plan
    _plans: dict[int, pd.DataFrame] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # unit_plan's row positions per quarter: a template per rejected unit cuts only its rows
    _unit_rows: dict[int, dict[str, np.ndarray]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @cached_property
    def unit_names(self) -> dict[str, str]:
        """Unit code -> name, in the order of units.csv."""
        return dict(zip(self.units["unit"], self.units["nama"], strict=True))

    @cached_property
    def _first_names(self) -> dict[str, str]:
        """Unit code -> name of its first row (asked once per mail and sheet, never scanned)."""
        units = self.units.drop_duplicates("unit", keep="first")
        return {u: str(n) for u, n in zip(units["unit"], units["nama"], strict=True)}

    def unit_name(self, unit: str) -> str:
        return self._first_names.get(unit, unit)

    @cached_property
    def kecamatan_name(self) -> str:
        match = self.units.loc[self.units["jenis"] == "kecamatan", "nama"]
        return str(match.iloc[0]) if len(match) else "Kecamatan"


class _Unreadable(Exception):
    """A reference file that is no CSV table; its message names the file's problem."""


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except pd.errors.EmptyDataError as error:
        raise _Unreadable("berkas kosong, tanpa baris judul kolom.") from error
    except pd.errors.ParserError as error:
        raise _Unreadable(
            f"tidak dapat dibaca sebagai CSV ({error}); teks yang berisi koma harus diapit tanda "
            'kutip, misalnya "SUMPONO BRAMA, S.STP., M.Si".'
        ) from error
    except UnicodeDecodeError as error:
        raise _Unreadable("bukan teks UTF-8: simpan ulang sebagai CSV UTF-8.") from error
    if not isinstance(frame.index, pd.RangeIndex):
        # more fields than headings: pandas took the first column as an index, shifting a row
        raise _Unreadable(
            "ada baris dengan kolom lebih banyak dari judulnya; teks yang berisi koma harus diapit "
            'tanda kutip, misalnya "SUMPONO BRAMA, S.STP., M.Si".'
        )
    frame.columns = [c.strip() for c in frame.columns]
    frame = frame.apply(lambda col: col.str.strip())
    frame.insert(0, "_baris", range(2, len(frame) + 2))  # line number as seen in an editor
    return frame


def _typed(
    frames: dict[str, pd.DataFrame], tahun: int, shared: dict[str, pd.DataFrame]
) -> Reference:
    sub = frames["sub_kegiatan.csv"].drop(columns="_baris").copy()
    sub["target_keluaran"] = sub["target_keluaran"].str.replace(",", ".").astype(float)
    sub["kode_program"] = sub["kode_sub_kegiatan"].str[:7]
    sub["kode_kegiatan"] = sub["kode_sub_kegiatan"].str[:12]
    sub = sub.merge(frames["programs.csv"].drop(columns="_baris"), on="kode_program", how="left")
    sub = sub.merge(frames["kegiatan.csv"].drop(columns="_baris"), on="kode_kegiatan", how="left")
    ang = frames["anggaran.csv"].drop(columns="_baris").copy()
    for col in [*MONEY_COLS, "berlaku_mulai_tw"]:
        ang[col] = ang[col].astype("int64")
    iku = frames["iku.csv"].drop(columns="_baris").copy()
    for col in ["target_tahunan", *[f"target_tw{q}" for q in QUARTERS]]:
        iku[col] = pd.to_numeric(iku[col].str.replace(",", "."), errors="coerce")
    predikat = shared["predikat.csv"].drop(columns="_baris").copy()
    predikat["batas_bawah"] = predikat["batas_bawah"].astype(float)
    mutu = shared["ikm_mutu.csv"].drop(columns="_baris").copy()
    for col in ("batas_bawah", "batas_atas"):
        mutu[col] = mutu[col].str.replace(",", ".").astype(float)
    akip_predikat = shared["akip_predikat.csv"].drop(columns="_baris").copy()
    akip_predikat["lebih_dari"] = pd.to_numeric(
        akip_predikat["lebih_dari"].str.replace(",", "."), errors="coerce"
    )
    akip_komponen = shared["akip_komponen.csv"].drop(columns="_baris").copy()
    akip_komponen["bobot"] = akip_komponen["bobot"].str.replace(",", ".").astype(float)
    return Reference(
        tahun=tahun,
        units=frames["units.csv"].drop(columns="_baris"),
        recipients=frames["recipients.csv"].drop(columns="_baris"),
        programs=frames["programs.csv"].drop(columns="_baris"),
        kegiatan=frames["kegiatan.csv"].drop(columns="_baris"),
        sub_kegiatan=sub,
        anggaran=ang,
        iku=iku,
        zona_k3=frames["zona_k3.csv"].drop(columns="_baris"),
        predikat=predikat.sort_values("batas_bawah", ascending=False, ignore_index=True),
        kolom=shared["kolom_pengajuan.csv"].drop(columns="_baris"),
        ikm_mutu=mutu.sort_values("batas_bawah", ascending=False, ignore_index=True),
        akip_predikat=akip_predikat.sort_values(
            "lebih_dari", ascending=False, na_position="last", ignore_index=True
        ),
        akip_komponen=akip_komponen.reset_index(drop=True),
        kolom_iku=shared["kolom_iku.csv"].drop(columns="_baris").reset_index(drop=True),
        **typed_form_frames(frames),
    )


def _optional(name: str) -> pd.DataFrame:
    """A Reference built by hand (tests) without the optional form files."""
    return typed_form_frames({n: empty(n) for n in OPTIONAL_FILES})[name.removesuffix(".csv")]


# The stat of each file a load reads: (path, (size, mtime_ns, ctime_ns, inode) or None if absent).
Stamp = tuple[tuple[str, tuple[int, int, int, int] | None], ...]


@dataclass(frozen=True)
class _Loaded:
    stamp: Stamp
    racy: bool  # a file changed so shortly before the read that a change after it may not show
    ref: Reference


# load_reference's results per (resolved reference root, tahun); a few roots at most (tests).
_CACHE: dict[tuple[Path, int], _Loaded] = {}
_CACHE_SIZE = 8
_CACHE_LOCK = threading.Lock()  # tasks in threads asking at once wait for one load, not start two
# A file changed within this long before it was read may change again within one tick of the
# file system's clock (coarse kernel clocks; FAT: 2 s) and keep its stat: such a load is not
# reused, as git treats its "racily clean" files.
RACY_NS = 3_000_000_000


def _stamp(paths: list[Path]) -> Stamp:
    stamps = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            stamps.append((str(path), None))
        else:
            stamps.append((str(path), (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)))
    return tuple(stamps)


def load_reference(tahun: int) -> Reference:
    """One year's checked reference data; raise ReferenceDataError with every problem.

    The same Reference (frames are shared: copy before changing) while none of the files read
    changed since: a corrected CSV is read again on the next call.
    """
    root, folder = reference_root(), reference_dir(tahun)
    paths = [folder / name for name in [*FILES, *OPTIONAL_FILES]] + [
        root / name for name in SHARED_REFERENCE
    ]
    key = (root.resolve(), tahun)
    with _CACHE_LOCK:
        read_at = time.time_ns()
        stamp = _stamp(paths)  # before reading: a change during the read shows next time
        cached = _CACHE.get(key)
        if cached is not None and not cached.racy and cached.stamp == stamp:
            return cached.ref
        ref = _load(tahun, root, folder)
        newest = max((max(s[1], s[2]) for _, s in stamp if s is not None), default=read_at)
        _CACHE.pop(key, None)
        while len(_CACHE) >= _CACHE_SIZE:
            del _CACHE[next(iter(_CACHE))]  # the oldest entry
        _CACHE[key] = _Loaded(stamp, newest + RACY_NS > read_at, ref)
        return ref


def read_year_folder(tahun: int, root: Path, folder: Path) -> Reference:
    """One year's reference from an explicit folder (a staged install), not cached."""
    return _load(tahun, root, folder)


def _read_into(
    frames: dict[str, pd.DataFrame], name: str, path: Path, shown: str, problems: list[str]
) -> None:
    """frames[name] from `path`, or a problem naming the file ('2024/pejabat.csv: …')."""
    try:
        frames[name] = _read_csv(path)
    except _Unreadable as error:
        problems.append(f"{shown}: {error}")


def _load(tahun: int, root: Path, folder: Path) -> Reference:
    """Read and check one year's reference data; raise ReferenceDataError with every problem."""
    if not folder.is_dir():
        raise ReferenceDataError(
            [f"Tidak ada data referensi untuk tahun {tahun} (folder {folder} tidak ada)."]
        )
    frames: dict[str, pd.DataFrame] = {}
    problems = []
    for name in FILES:
        path = folder / name
        if not path.is_file():
            problems.append(f"{tahun}/{name}: berkas tidak ada.")
            continue
        _read_into(frames, name, path, f"{tahun}/{name}", problems)
    for name in OPTIONAL_FILES:
        path = folder / name
        frames[name] = empty(name)  # absent or empty: the forms go without it
        if path.is_file() and path.stat().st_size:
            _read_into(frames, name, path, f"{tahun}/{name}", problems)
    shared: dict[str, pd.DataFrame] = {}
    for name in SHARED_REFERENCE:
        path = root / name
        if path.is_file():
            _read_into(shared, name, path, name, problems)
        else:
            problems.append(f"{name}: berkas tidak ada.")
    if not problems:
        problems = [
            f"{tahun}/{p}" if not p.startswith(f"{tahun}/") else p
            for p in check_frames(tahun, frames)
        ] + check_shared(shared)
    if not problems:
        # the Renstra plans programs and kegiatan; sub-kegiatan are the Renja's
        codes = set(frames["programs.csv"]["kode_program"])
        codes |= set(frames["kegiatan.csv"]["kode_kegiatan"])
        problems = [
            f"{tahun}/{p}"
            for p in check_form_files(
                tahun,
                frames,
                frames["iku.csv"],
                frames["programs.csv"],
                codes,
                shared["akip_komponen.csv"],
            )
        ]
    if problems:
        raise ReferenceDataError(problems)
    return _typed(frames, tahun, shared)


def plan_for_quarter(ref: Reference, triwulan: int) -> pd.DataFrame:
    """One row per (unit, sub-kegiatan): the pagu and allocation in force in that quarter.

    Adds `target_sd` (cumulative allocation of quarters 1..triwulan under the version in force).
    Computed once per reference and quarter; each caller gets its own copy to change.
    """
    return _quarter_plan(ref, triwulan).copy()


def unit_plan(ref: Reference, triwulan: int, unit: str) -> pd.DataFrame:
    """One unit's rows of plan_for_quarter (same order and index), a copy to change.

    Cut by row positions kept per quarter, not by copying and filtering the whole plan: a
    province rejects hundreds of units and each gets a fresh template.
    """
    plan = _quarter_plan(ref, triwulan)
    if triwulan not in ref._unit_rows:
        ref._unit_rows[triwulan] = plan.groupby("unit", sort=False).indices
    rows = ref._unit_rows[triwulan].get(unit, np.empty(0, dtype=np.intp))
    return plan.iloc[rows].copy()


def _quarter_plan(ref: Reference, triwulan: int) -> pd.DataFrame:
    """The quarter's plan as kept on the reference: never handed out to be changed."""
    if triwulan not in ref._plans:
        ref._plans[triwulan] = _plan(ref, triwulan)
    return ref._plans[triwulan]


def _plan(ref: Reference, triwulan: int) -> pd.DataFrame:
    ang = ref.anggaran[ref.anggaran["berlaku_mulai_tw"] <= triwulan]
    ang = (
        ang.sort_values("berlaku_mulai_tw")
        .groupby(["unit", "kode_sub_kegiatan"], as_index=False)
        .last()
    )
    ang = ang.assign(
        target_keuangan=ang[f"tw{triwulan}"],
        target_sd=ang[[f"tw{q}" for q in range(1, triwulan + 1)]].sum(axis=1).astype("int64"),
        versi_anggaran=ang["versi"],
    )
    # A sub-kegiatan belongs to the quarters its budget is in force: one added by a revision
    # joins from the quarter the revision applies; one a revision removed (pagu 0) leaves then.
    removed = (ang["versi"] == "perubahan") & (ang[MONEY_COLS].sum(axis=1) == 0)
    ang = ang[~removed]
    plan = ref.sub_kegiatan.merge(
        ang[
            ["unit", "kode_sub_kegiatan", "pagu", "target_keuangan", "target_sd", "versi_anggaran"]
        ],
        on=["unit", "kode_sub_kegiatan"],
        how="inner",
        validate="one_to_one",
    )
    order = {u: i for i, u in enumerate(ref.units["unit"])}
    plan = (
        plan.assign(_o=plan["unit"].map(order))
        .sort_values(["_o", "kode_sub_kegiatan"])
        .drop(columns="_o")
    )
    return plan.reset_index(drop=True)
