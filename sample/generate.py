"""Generate the 2024 sample submissions (inbox + corrections) from the seed's annual figures.

Why: the flows need realistic quarterly files of all seven units to demo and test against, and
the only real numbers we have are annual (seed Tabel 3.12). This script spreads each
sub-kegiatan's annual realisation over TW I–IV along the anggaran kas, so that the correct data
adds up exactly to the seed, then plants a few documented faults (with their corrections) that
the validator must catch.

Run: `.venv/bin/python sample/generate.py` (deterministic; seed `SEED`).
Pure functions compute the numbers and frames; only `load_seed`, `write_sample` and `main` touch
the disk.
"""

from __future__ import annotations

import argparse
import csv
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from triwulan.tasks.collect.ingest import read_submission
from triwulan.tasks.collect.template import write_xlsx
from triwulan.tasks.core.fmt import rupiah
from triwulan.tasks.core.iku_input import AKIP, SKM, ZONA, sheet_columns
from triwulan.tasks.core.period import ROMAN, Period
from triwulan.tasks.core.reference import QUARTERS, Reference, load_reference, plan_for_quarter
from triwulan.tasks.core.submission import prefilled_frame

SEED = 20240101
TAHUN = 2024
SAMPLE_DIR = Path(__file__).resolve().parent
SEED_CSV = SAMPLE_DIR / "seed_realisasi_2024.csv"
KEY = ["unit", "kode_sub_kegiatan"]
Frames = dict[tuple[str, int], pd.DataFrame]  # (unit, triwulan) -> submission frame
MANIFEST_COLUMNS = ["periode", "unit", "berkas", "jenis_kesalahan", "keterangan", "baris", "kolom"]

# File names as each clerk tends to name them: inconsistent on purpose (the unit comes from the
# `unit` column, never from the name).
FILE_NAMES: dict[str, str] = {
    "kecamatan": "Realisasi TW{q} 2024 Sekretariat Kecamatan.xlsx",
    "perwira": "Realisasi TW{q} Kel Perwira.xlsx",
    "harapan-jaya": "RFK_Harapan_Jaya_TW_{roman}_2024.xlsx",
    "marga-mulya": "Laporan Realisasi Marga Mulya Triwulan {q}.xlsx",
    "harapan-baru": "realisasi harapan baru tw{q} 2024.xlsx",
    "teluk-pucung": "TW{q}-2024 Kel. Teluk Pucung (final).xlsx",
    "kaliabang-tengah": "Kaliabang Tengah - Realisasi TW {roman} 2024.xlsx",
}

# (kendala, tindak_lanjut) when cumulative spending lags the cumulative target.
LAG_NOTES: tuple[tuple[str, str], ...] = (
    (
        "Pencairan menunggu tagihan penyedia",
        "Berkoordinasi dengan penyedia agar tagihan diajukan pada awal triwulan berikutnya",
    ),
    (
        "Kegiatan dijadwalkan ulang ke TW berikutnya",
        "Jadwal pelaksanaan disesuaikan dan dipantau dalam rapat koordinasi bulanan",
    ),
    (
        "Dokumen SPJ belum lengkap sehingga belum dapat dicairkan",
        "Kelengkapan SPJ dipenuhi bersama bendahara pengeluaran pembantu",
    ),
    (
        "Proses pengadaan melalui e-katalog belum selesai",
        "Mempercepat proses pemilihan penyedia bersama PPK",
    ),
)
POKMAS_NOTE = (
    "Sebagian Pokmas belum menyerahkan proposal dan LPJ kegiatan",
    "Pendampingan penyusunan proposal dan LPJ oleh pendamping kelurahan",
)
YEAR_END_LEFTOVER = (
    "Terdapat sisa anggaran dari efisiensi belanja",
    "Sisa anggaran menjadi SiLPA dan menjadi bahan perencanaan tahun berikutnya",
)
YEAR_END_UNFINISHED = (
    "Target fisik belum tercapai 100% sampai akhir tahun anggaran",
    "Sisa kegiatan dievaluasi dan diusulkan kembali pada anggaran tahun berikutnya",
)
NO_COST = (
    "Kegiatan dilaksanakan secara swakelola tanpa memerlukan biaya",
    "Anggaran tidak diserap dan dicatat sebagai sisa anggaran",
)
NOT_HELD = (
    "Kegiatan belum terlaksana karena menunggu jadwal dari perangkat daerah penyelenggara",
    "Berkoordinasi dengan perangkat daerah penyelenggara mengenai jadwal pelaksanaan",
)


@dataclass(frozen=True)
class Fault:
    """One planted mistake: which file, which row (by sub-kegiatan) and column, wrong vs right."""

    unit: str
    triwulan: int
    jenis: str
    kode_sub_kegiatan: str | None = None  # the correct code of the faulty row; None = whole file
    kolom: str | None = None
    salah: object = None
    benar: object = None

    @property
    def period(self) -> Period:
        return Period(TAHUN, self.triwulan)


@dataclass(frozen=True)
class Sample:
    """Correct frames of every (unit, TW), the faulty versions and where they are."""

    correct: Frames
    faulty: Frames  # what lands in the inbox instead of `correct`
    faults: list[Fault]

    def late(self) -> set[tuple[str, int]]:
        return {(f.unit, f.triwulan) for f in self.faults if f.kolom is None}


# ---------------------------------------------------------------- pure number helpers


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split an integer total by weights with the largest-remainder rule, so parts sum exactly."""
    if total == 0:
        return [0] * len(weights)
    w = np.asarray(weights, dtype=float)
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"bobot tidak sah: {list(weights)}")
    exact = w / w.sum() * total
    parts = np.floor(exact).astype(np.int64)
    short = int(total - parts.sum())
    # ties broken by position (earlier quarter first) so the result is stable
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:short]:
        parts[i] += 1
    return [int(p) for p in parts]


def _weights(allocs: Sequence[int]) -> list[float]:
    """Allocation weights; all-zero allocations fall back to an even spread."""
    return [float(a) for a in allocs] if any(a > 0 for a in allocs) else [1.0] * len(allocs)


def spread_keuangan(
    total: int,
    allocs: Sequence[int],
    pagus: Sequence[int],
    rng: np.random.Generator,
    noise: float = 0.15,
) -> list[int]:
    """Quarterly realisation summing to `total`, along the allocations, never above pagu in force.

    Quarters with zero allocation get zero (unless all are zero). If noise pushes the cumulative
    realisation above the pagu in force, the excess moves to the next funded quarter.
    """
    base = _weights(allocs)
    weights = [w * (1 + rng.uniform(-noise, noise)) if w > 0 else 0.0 for w in base]
    parts = apportion(total, weights)
    for q in range(len(parts) - 1):
        excess = sum(parts[: q + 1]) - pagus[q]
        if excess > 0:
            later = [i for i in range(q + 1, len(parts)) if base[i] > 0] or [q + 1]
            parts[q] -= excess
            parts[later[0]] += excess
    if any(p < 0 for p in parts) or sum(parts) > pagus[-1]:
        raise ValueError(f"realisasi {total} tidak muat dalam pagu {list(pagus)}")
    return parts


def fisik_path(
    fisik_akhir: float,
    keuangan: Sequence[int],
    allocs: Sequence[int],
    rng: np.random.Generator,
) -> list[float]:
    """Cumulative physical progress per quarter, non-decreasing, ending at `fisik_akhir`.

    Rises with the mean of the cumulative spending share and the cumulative allocation share
    (rows without spending follow the allocations), with a little noise; two decimals.
    """
    total = sum(keuangan)
    weights = _weights(allocs)
    path: list[float] = []
    previous = 0.0
    for q in range(len(keuangan)):
        if q == len(keuangan) - 1:
            path.append(round(float(fisik_akhir), 2))
            break
        alloc_share = sum(weights[: q + 1]) / sum(weights)
        share = alloc_share if total == 0 else (sum(keuangan[: q + 1]) / total + alloc_share) / 2
        noise = rng.uniform(-0.05, 0.05)  # drawn always, so the stream does not depend on share
        value = fisik_akhir * min(share * (1 + noise), 1.0) if share < 1 else fisik_akhir
        value = round(min(max(value, previous), fisik_akhir), 2)
        path.append(value)
        previous = value
    return path


def spread_keluaran(target: float, fisik_akhir: float, allocs: Sequence[int]) -> list[int]:
    """Quarterly output volumes adding up to round(target × fisik_akhir / 100), as allocated."""
    return apportion(int(round(target * fisik_akhir / 100)), _weights(allocs))


def pick_lag_note(nama: str, rng: np.random.Generator) -> tuple[str, str]:
    """The one reason a row gives whenever it lags (a clerk repeats it, not a new one each TW)."""
    if "Pemberdayaan Masyarakat" in nama and rng.uniform() < 0.5:
        return POKMAS_NOTE
    return LAG_NOTES[int(rng.integers(len(LAG_NOTES)))]


def notes_for(
    triwulan: int,
    allocs: Sequence[int],
    keuangan: Sequence[int],
    fisik_akhir: float,
    lag_note: tuple[str, str],
) -> tuple[str, str]:
    """(kendala, tindak_lanjut) of one row in one quarter; empty when nothing lags.

    Notes appear only in quarters with an allocation (and in TW IV when the year ends short):
    the row's lag reason while it lags, and in its last funded quarter a
    leftover note when the year's spending stays under 97% of the target. A row lags when the
    quarter's or the cumulative spending is under 90% of its target.
    """
    i = triwulan - 1
    if triwulan == len(allocs) and fisik_akhir < 100:
        return YEAR_END_UNFINISHED
    if allocs[i] == 0:
        return "", ""
    if sum(keuangan) == 0:
        return NO_COST if fisik_akhir >= 100 else NOT_HELD
    ratio = sum(keuangan[: i + 1]) / sum(allocs[: i + 1])
    last_funded = max(q for q, a in enumerate(allocs) if a > 0)
    if i == last_funded:
        return YEAR_END_LEFTOVER if ratio < 0.97 else ("", "")
    lags = min(ratio, keuangan[i] / allocs[i]) < 0.9
    return lag_note if lags else ("", "")


# ---------------------------------------------------------------- frames


def load_seed(path: Path = SEED_CSV) -> pd.DataFrame:
    """The seed's annual realisation and year-end fisik per (unit, sub-kegiatan)."""
    seed = pd.read_csv(path, dtype=str, keep_default_na=False)
    seed["realisasi_keuangan_tahun"] = seed["realisasi_keuangan_tahun"].astype("int64")
    seed["realisasi_fisik_persen"] = seed["realisasi_fisik_persen"].astype(float)
    return seed


def _row_rng(seed: int, unit: str, kode: str) -> np.random.Generator:
    """One generator per row, so adding a row elsewhere does not reshuffle this one."""
    return np.random.default_rng([seed, zlib.crc32(f"{unit}|{kode}".encode())])


def generate_year(ref: Reference, seed_frame: pd.DataFrame, seed: int = SEED) -> Frames:
    """Correct submission frames {(unit, triwulan): frame} for the whole year."""
    plans = {q: plan_for_quarter(ref, q).set_index(KEY) for q in QUARTERS}
    seed_idx = seed_frame.set_index(KEY)
    missing = set(plans[1].index) ^ set(seed_idx.index)
    if missing:
        raise ValueError(f"seed dan referensi tidak cocok: {sorted(missing)}")

    values: dict[tuple[str, str, int], dict[str, object]] = {}
    for unit, kode in plans[1].index:
        rng = _row_rng(seed, unit, kode)
        allocs = [int(plans[q].at[(unit, kode), "target_keuangan"]) for q in QUARTERS]
        pagus = [int(plans[q].at[(unit, kode), "pagu"]) for q in QUARTERS]
        total = int(seed_idx.at[(unit, kode), "realisasi_keuangan_tahun"])
        fisik_akhir = float(seed_idx.at[(unit, kode), "realisasi_fisik_persen"])
        target = float(plans[1].at[(unit, kode), "target_keluaran"])
        nama = str(plans[1].at[(unit, kode), "nama_sub_kegiatan"])
        keuangan = spread_keuangan(total, allocs, pagus, rng)
        fisik = fisik_path(fisik_akhir, keuangan, allocs, rng)
        keluaran = spread_keluaran(target, fisik_akhir, allocs)
        lag_note = pick_lag_note(nama, rng)
        for i, q in enumerate(QUARTERS):
            kendala, tindak = notes_for(q, allocs, keuangan, fisik_akhir, lag_note)
            values[(unit, kode, q)] = {
                "realisasi_keuangan": keuangan[i],
                "realisasi_fisik": fisik[i],
                "realisasi_keluaran": keluaran[i],
                "kendala": kendala,
                "tindak_lanjut": tindak,
            }

    frames: Frames = {}
    for unit in ref.units["unit"]:
        for q in QUARTERS:
            frame = prefilled_frame(ref, Period(TAHUN, q), unit)
            rows = [values[(unit, kode, q)] for kode in frame["kode_sub_kegiatan"]]
            for col in ("realisasi_keuangan", "realisasi_fisik", "realisasi_keluaran"):
                frame[col] = pd.Series(
                    [r[col] for r in rows], dtype="int64" if col != "realisasi_fisik" else float
                )
            for col in ("kendala", "tindak_lanjut"):
                frame[col] = pd.Series([r[col] for r in rows], dtype=object)
            frames[(unit, q)] = frame
    return frames


def _set(frame: pd.DataFrame, kode: str, kolom: str, value: object) -> pd.DataFrame:
    """A copy with one cell changed; the correct frame stays untouched for the corrections."""
    out = frame.copy()
    rows = out.index[out["kode_sub_kegiatan"] == kode]
    if len(rows) != 1:
        raise ValueError(f"sub kegiatan {kode} tidak tepat satu baris")
    out.loc[rows[0], kolom] = value
    return out


def _value(frame: pd.DataFrame, kode: str, kolom: str) -> object:
    return frame.loc[frame["kode_sub_kegiatan"] == kode, kolom].iloc[0]


def plant_faults(correct: Frames) -> tuple[Frames, list[Fault]]:
    """The faulty inbox versions and the fault list (a late file has no faulty version)."""
    faulty: Frames = {}
    faults: list[Fault] = []

    # TW I: kaliabang-tengah typed two digits of a code the wrong way round.
    kode, wrong = "7.01.03.2.02.0003", "7.01.03.2.02.0030"
    frame = correct[("kaliabang-tengah", 1)]
    faulty[("kaliabang-tengah", 1)] = _set(frame, kode, "kode_sub_kegiatan", wrong)
    faults.append(
        Fault(
            "kaliabang-tengah", 1, "Kode sub kegiatan salah", kode, "kode_sub_kegiatan", wrong, kode
        )
    )

    # TW II: harapan-baru sends its file after the first consolidation.
    faults.append(Fault("harapan-baru", 2, "Berkas terlambat"))

    # TW III: marga-mulya types one zero too many; the row ends above its pagu.
    frame = correct[("marga-mulya", 3)]
    right = int(_value(frame, kode, "realisasi_keuangan"))
    if right * 10 <= int(_value(frame, kode, "pagu")):
        raise ValueError("kesalahan contoh tidak melebihi pagu")
    faulty[("marga-mulya", 3)] = _set(frame, kode, "realisasi_keuangan", right * 10)
    faults.append(
        Fault(
            "marga-mulya",
            3,
            "Realisasi melebihi pagu",
            kode,
            "realisasi_keuangan",
            right * 10,
            right,
        )
    )

    # TW IV: perwira writes 105 as cumulative physical progress.
    kode = "7.01.03.2.02.0002"
    frame = correct[("perwira", 4)]
    right_fisik = float(_value(frame, kode, "realisasi_fisik"))
    faulty[("perwira", 4)] = _set(frame, kode, "realisasi_fisik", 105.0)
    faults.append(
        Fault(
            "perwira",
            4,
            "Realisasi fisik di atas 100%",
            kode,
            "realisasi_fisik",
            105.0,
            right_fisik,
        )
    )
    return faulty, faults


def build_sample(ref: Reference, seed_frame: pd.DataFrame, seed: int = SEED) -> Sample:
    """Everything the sample consists of, without touching the disk."""
    correct = generate_year(ref, seed_frame, seed)
    faulty, faults = plant_faults(correct)
    return Sample(correct=correct, faulty=faulty, faults=faults)


def file_name(unit: str, triwulan: int) -> str:
    return FILE_NAMES[unit].format(q=triwulan, roman=ROMAN[triwulan])


def _angka(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


def keterangan(fault: Fault, ref: Reference, baris: int | None) -> str:
    """What is wrong and where, in Indonesian, for the manifest."""
    nama = ref.unit_name(fault.unit)
    period = fault.period
    if fault.kolom is None:
        return (
            f"Berkas {period.roman} {nama} tidak masuk sampai batas waktu dan dikirim terlambat; "
            f"salin berkas dari corrections/{period.tahun}/TW{period.triwulan} ke "
            f"inbox/{period.tahun}/TW{period.triwulan} lalu jalankan ulang konsolidasi."
        )
    where = f"Baris {baris}, kolom {fault.kolom}"
    if fault.kolom == "kode_sub_kegiatan":
        return (
            f"{where}: tertulis {fault.salah} (dua angka terakhir tertukar), seharusnya "
            f"{fault.benar}; kode {fault.salah} tidak ada di referensi {nama} dan baris "
            f"{fault.benar} jadi tidak dilaporkan."
        )
    if fault.kolom == "realisasi_keuangan":
        plan = plan_for_quarter(ref, fault.triwulan).set_index(KEY)
        pagu = int(plan.at[(fault.unit, fault.kode_sub_kegiatan), "pagu"])
        return (
            f"{where} (sub kegiatan {fault.kode_sub_kegiatan}): tertulis {rupiah(fault.salah)}, "
            f"melebihi pagu {rupiah(pagu)} (kelebihan satu angka nol); seharusnya "
            f"{rupiah(fault.benar)}."
        )
    return (
        f"{where} (sub kegiatan {fault.kode_sub_kegiatan}): tertulis {_angka(fault.salah)}%, "
        f"padahal realisasi fisik kumulatif paling tinggi 100%; seharusnya {_angka(fault.benar)}%."
    )


# ---------------------------------------------------------------- I/O edge


def _excel_row(path: Path, kode: str) -> int:
    """Row number of a sub-kegiatan as the user sees it in Excel, read back from the file."""
    frame, problem = read_submission(path)
    if problem:
        raise ValueError(problem.message)
    return int(frame.loc[frame["kode_sub_kegiatan"] == kode, "_row"].iloc[0])


def iku_sheets(
    ref: Reference, root: Path = SAMPLE_DIR
) -> dict[tuple[str, int], dict[str, pd.DataFrame]]:
    """The sample's IKU sheets (sample/iku/*.csv, made by iku_sample.py) per (unit, quarter)."""
    out: dict[tuple[str, int], dict[str, pd.DataFrame]] = {}
    for sheet, name in ((ZONA, "zona"), (SKM, "skm"), (AKIP, "akip")):
        frame = pd.read_csv(root / "iku" / f"{name}_{TAHUN}.csv", dtype=str, keep_default_na=False)
        for (unit, q), rows in frame.groupby(["unit", "triwulan"]):
            cols = sheet_columns(ref, sheet)
            out.setdefault((str(unit), int(q)), {})[sheet] = rows[cols].reset_index(drop=True)
    return out


def write_sample(
    sample: Sample, ref: Reference, root: Path = SAMPLE_DIR
) -> list[dict[str, object]]:
    """Write inbox and corrections xlsx files and corrections/manifest.csv; return manifest rows."""
    inbox, corrections = root / "inbox" / str(TAHUN), root / "corrections" / str(TAHUN)
    for folder in (inbox, corrections):  # drop stale files of an earlier run, nothing else
        for old in folder.glob("TW*/*.xlsx"):
            old.unlink()

    late = sample.late()
    iku = iku_sheets(ref, root if (root / "iku").is_dir() else SAMPLE_DIR)
    for (unit, q), frame in sample.correct.items():
        target = corrections if (unit, q) in late else inbox
        path = target / f"TW{q}" / file_name(unit, q)
        path.parent.mkdir(parents=True, exist_ok=True)
        sheets = iku.get((unit, q), {})
        period = Period(TAHUN, q)
        write_xlsx(sample.faulty.get((unit, q), frame), path, ref, period, unit, sheets)
        if (unit, q) in sample.faulty:
            fixed = corrections / f"TW{q}" / file_name(unit, q)
            fixed.parent.mkdir(parents=True, exist_ok=True)
            write_xlsx(frame, fixed, ref, period, unit, sheets)

    rows = []
    for fault in sample.faults:
        berkas = file_name(fault.unit, fault.triwulan)
        baris = None
        if fault.kolom is not None:
            written = inbox / f"TW{fault.triwulan}" / berkas
            look_for = (
                fault.salah if fault.kolom == "kode_sub_kegiatan" else fault.kode_sub_kegiatan
            )
            baris = _excel_row(written, str(look_for))
        rows.append(
            {
                "periode": fault.period.label,
                "unit": fault.unit,
                "berkas": berkas,
                "jenis_kesalahan": fault.jenis,
                "keterangan": keterangan(fault, ref, baris),
                "baris": "" if baris is None else baris,
                "kolom": fault.kolom or "",
            }
        )
    manifest = root / "corrections" / "manifest.csv"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with manifest.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Buat berkas contoh realisasi 2024.")
    parser.add_argument(
        "--root", type=Path, default=SAMPLE_DIR, help="folder tujuan (bawaan: sample/)"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    ref = load_reference(TAHUN)
    sample = build_sample(ref, load_seed(), args.seed)
    rows = write_sample(sample, ref, args.root)
    n_files = len(sample.correct) - len(sample.late())
    print(
        f"{n_files} berkas inbox, {len(sample.faulty) + len(sample.late())} berkas koreksi, "
        f"{len(rows)} kesalahan tercatat di {args.root / 'corrections' / 'manifest.csv'}"
    )


if __name__ == "__main__":
    main()
