"""Generate the 2024 sample IKU inputs: survey responses (SKM), the SAKIP evaluation, zona K3.

Why: the seed only prints the year's IKU results (IKM 84,84 mutu B, Nilai AKIP 72,74 BB, 60 %
of zones tertib); the flows compute them from raw inputs, so demos and tests need raw inputs
that reproduce exactly those figures. The CSVs are the CSV form of reference/kolom_iku.csv
(tahun, triwulan, unit, then the columns of the sheet).

- SKM: TW II and TW IV only (no survey in TW I and III), unit `kecamatan`. TW II lands around
  80 (above its 77,80 target), TW IV around 89 (below its 89,71 target); the scores are then
  nudged one point at a time, at seeded random cells, until the pooled year IKM is 84,84.
- AKIP: one evaluation (LHE) in TW II with the components of seed Tabel 3.5 (sum 72,74).
- Zona K3: each kelurahan reports its own zones every quarter; tertib at the end of TW I..IV:
  2 / 4 / 6 / 9 of 15 (one zone falls back in TW III and recovers in TW IV).

Run: `.venv/bin/python -m triwulan.sample.iku_sample` (deterministic; seed `SEED`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from triwulan.paths import SAMPLE_DIR
from triwulan.tasks.core.reference import Reference, load_reference
from triwulan.tasks.measure.iku_values import UNSUR, ikm

SEED = 20240417
TAHUN = 2024
IKM_TAHUN = 84.84  # seed Tabel 3.1: year IKM, mutu B
RESPONDEN = {2: 312, 4: 298}
MEAN_SCORE = {2: 3.19, 4: 3.62}  # converted IKM ≈ 25 × mean score
# Unsur effects: the service is free (u4 biaya high); complaints handling (u8) and completion time
# (u3) are what respondents of a kecamatan usually grumble about.
UNSUR_EFFECT = np.array([0.05, -0.05, -0.18, 0.35, 0.0, 0.05, 0.12, -0.25, -0.10])
# jenis layanan of the kecamatan office: (name, share of respondents, satisfaction effect)
LAYANAN = (
    ("PATEN - Administrasi Kependudukan (KTP-el, KK, Pindah Datang)", 0.38, 0.0),
    ("Legalisasi Dokumen", 0.22, 0.10),
    ("Surat Keterangan Ahli Waris", 0.14, -0.12),
    ("Rekomendasi Perizinan dan Non-Perizinan", 0.14, -0.05),
    ("Akta Tanah (Camat selaku PPAT Sementara)", 0.12, -0.08),
)
# seed Tabel 3.5, Data Capaian Komponen Nilai AKIP Tahun 2024
AKIP_TW2 = {
    "perencanaan": 23.62,
    "pengukuran": 20.64,
    "pelaporan": 11.11,
    "evaluasi_internal": 17.37,
}
# zona K3: no -> the quarter it becomes tertib; zone 13 falls back in TW III and is tertib again
# in TW IV. Tertib at the end of TW I..IV: 2, 4, 6, 9 of 15.
TERTIB_SEJAK = {12: 1, 6: 1, 2: 2, 13: 2, 4: 3, 10: 3, 11: 3, 1: 4, 5: 4}
KAMBUH = {(13, 3)}
CATATAN = {
    (12, 1): "Kerja bakti rutin warga perumahan; tidak ada PKL di bahu jalan",
    (6, 1): "Trotoar bersih, pot tanaman ditata kelurahan",
    (13, 2): "Penataan taman selesai, PKL dipindahkan ke lokasi binaan",
    (13, 3): "Lapak PKL muncul kembali di sisi jalan; teguran tertulis sudah diberikan",
    (13, 4): "Lapak PKL ditertibkan bersama Satpol PP dan 3 pilar",
    (4, 2): "Parkir liar di depan stasiun masih ada pada jam sibuk",
    (4, 3): "Parkir liar ditertibkan bersama Dishub dan PT KAI",
    (1, 4): "Giat bersih lingkungan bersama 3 pilar setiap Jumat",
    (3, 4): "Bangunan liar di bantaran kali belum ditertibkan",
    (7, 3): "Parkir liar di sekitar pertigaan",
    (8, 4): "Genangan air dan sampah di saluran; diusulkan normalisasi ke dinas",
    (9, 4): "Reklame liar di tiang listrik",
    (14, 1): "PKL masih berjualan di bahu jalan pasar",
    (14, 4): "Penataan PKL dijadwalkan bersama pengelola pasar tahun depan",
    (15, 2): "Sampah pasar menumpuk pada sore hari",
    (15, 4): "Penambahan kontainer sampah diusulkan ke DLH",
}
# 2024 national holidays and cuti bersama falling in TW II and TW IV (SKB 3 Menteri 2024)
LIBUR = [
    *[f"2024-04-{d:02d}" for d in (8, 9, 10, 11, 12, 15)],
    "2024-05-01", "2024-05-09", "2024-05-10", "2024-05-23", "2024-05-24",
    "2024-06-17", "2024-06-18", "2024-12-25", "2024-12-26",
]  # fmt: skip
COLUMNS = {
    "skm": ["tahun", "triwulan", "unit", "responden", "jenis_layanan", "tanggal", *UNSUR],
    "akip": ["tahun", "triwulan", "unit", "komponen", "nilai"],
    "zona": ["tahun", "triwulan", "unit", "no_zona", "nama_zona", "status_tertib", "catatan"],
}


def _business_days(triwulan: int) -> pd.DatetimeIndex:
    """Office days of the quarter (no weekends, national holidays or cuti bersama)."""
    start = pd.Timestamp(TAHUN, 3 * triwulan - 2, 1)
    return pd.bdate_range(start, start + pd.offsets.QuarterEnd(0), freq="C", holidays=LIBUR)


def _responses(rng: np.random.Generator, triwulan: int) -> pd.DataFrame:
    """One quarter's questionnaires: latent satisfaction per respondent, unsur and layanan."""
    n = RESPONDEN[triwulan]
    pick = rng.choice(len(LAYANAN), size=n, p=[share for _, share, _ in LAYANAN])
    layanan_effect = np.array([effect for _, _, effect in LAYANAN])[pick]
    latent = (
        MEAN_SCORE[triwulan]
        + UNSUR_EFFECT[None, :]
        + (layanan_effect + rng.normal(0, 0.3, n))[:, None]
        + rng.normal(0, 0.45, (n, len(UNSUR)))
    )
    scores = np.clip(np.rint(latent), 1, 4).astype("int64")
    days = np.sort(rng.choice(_business_days(triwulan), size=n))
    frame = pd.DataFrame(scores, columns=UNSUR)
    frame.insert(0, "tanggal", pd.DatetimeIndex(days).strftime("%Y-%m-%d"))
    frame.insert(0, "jenis_layanan", [LAYANAN[i][0] for i in pick])
    frame.insert(0, "responden", [f"R{triwulan}-{i:03d}" for i in range(1, n + 1)])
    frame.insert(0, "unit", "kecamatan")
    frame.insert(0, "triwulan", triwulan)
    frame.insert(0, "tahun", TAHUN)
    return frame


def _target_total(n: int) -> int:
    """The score total (9 unsur, n respondents) nearest to the one giving IKM_TAHUN."""
    return round(IKM_TAHUN * 9 * n / 25)


def skm_frame(rng: np.random.Generator, mutu: pd.DataFrame) -> pd.DataFrame:
    """TW II and TW IV responses whose pooled IKM is exactly IKM_TAHUN."""
    skm = pd.concat([_responses(rng, 2), _responses(rng, 4)], ignore_index=True)
    scores = skm[UNSUR].to_numpy()
    gap = _target_total(len(skm)) - int(scores.sum())
    step = 1 if gap > 0 else -1
    movable = np.flatnonzero((scores < 4) if step > 0 else (scores > 1))
    cells = rng.permutation(movable)[: abs(gap)]
    if len(cells) < abs(gap):
        raise ValueError("skor tidak cukup untuk mencapai IKM sasaran")
    flat = scores.reshape(-1)
    flat[cells] += step
    skm[UNSUR] = flat.reshape(scores.shape)
    year = ikm(skm, mutu)
    tw2, tw4 = (ikm(skm[skm["triwulan"] == q], mutu) for q in (2, 4))
    assert year and tw2 and tw4
    assert year["ikm"] == IKM_TAHUN and year["mutu"] == "B", year
    assert 77.80 < tw2["ikm"] < 82, tw2["ikm"]  # above the TW II target 77,80
    assert 88 <= tw4["ikm"] < 89.71, tw4["ikm"]  # below the TW IV target 89,71
    return skm[COLUMNS["skm"]]


def akip_frame() -> pd.DataFrame:
    rows = [(TAHUN, 2, "kecamatan", k, v) for k, v in AKIP_TW2.items()]
    return pd.DataFrame(rows, columns=COLUMNS["akip"])


def zona_frame(ref: Reference) -> pd.DataFrame:
    """Every zone every quarter, reported by the kelurahan it lies in."""
    rows = []
    for q in (1, 2, 3, 4):
        for z in ref.zona_k3.itertuples(index=False):
            no = int(z.no)
            tertib = TERTIB_SEJAK.get(no, 9) <= q and (no, q) not in KAMBUH
            rows.append(
                (TAHUN, q, z.kelurahan, no, z.nama_zona, "ya" if tertib else "tidak",
                 CATATAN.get((no, q), ""))
            )  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS["zona"])


def sample_frames(ref: Reference, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """The three CSV frames (text form, as a person would type them)."""
    rng = np.random.default_rng(seed)
    return {"skm": skm_frame(rng, ref.ikm_mutu), "akip": akip_frame(), "zona": zona_frame(ref)}


def csv_path(folder: Path, name: str) -> Path:
    return folder / f"{name}_{TAHUN}.csv"


def read_sample(folder: Path | None = None) -> dict[str, pd.DataFrame]:
    """The committed CSVs as the typed frames validation hands to tasks.measure.iku (tertib as bool)."""
    folder = folder or SAMPLE_DIR / "iku"
    frames = {
        name: pd.read_csv(csv_path(folder, name), dtype=str, keep_default_na=False)
        for name in COLUMNS
    }
    skm = frames["skm"].astype({c: "int64" for c in ["tahun", "triwulan", *UNSUR]})
    akip = frames["akip"].astype({"tahun": "int64", "triwulan": "int64", "nilai": float})
    zona = frames["zona"].astype({"tahun": "int64", "triwulan": "int64", "no_zona": "int64"})
    zona = zona.assign(tertib=zona["status_tertib"] == "ya").drop(columns="status_tertib")
    return {"skm": skm, "akip": akip, "zona": zona}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Buat berkas contoh data IKU 2024.")
    parser.add_argument("--root", type=Path, default=SAMPLE_DIR / "iku", help="folder tujuan")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    args.root.mkdir(parents=True, exist_ok=True)
    for name, frame in sample_frames(load_reference(TAHUN), args.seed).items():
        frame.to_csv(csv_path(args.root, name), index=False, encoding="utf-8")
        print(f"{csv_path(args.root, name)}: {len(frame)} baris")


if __name__ == "__main__":
    main()
