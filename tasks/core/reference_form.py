"""Optional reference files of a year for the printed forms: sasaran, Renstra, signatories.

They complete form E.81 (Permendagri 86/2017) and the signature blocks; a year without them
still runs, its forms then show empty Renstra columns and unsigned blocks. Each file is read as
text and checked like the required ones, problems naming file and line.

- `sasaran.csv`: no, sasaran, sasaran_rkpd, iku, kode_program: which sasaran (and its IKU) each
  program serves, one line per program; a sasaran's lines repeat its text.
- `renstra.csv`: kode (an IKU of iku.csv, or a program or kegiatan code: the Renstra's levels), tahun_awal,
  tahun_akhir, target_akhir_k, target_akhir_rp, realisasi_lalu_k, realisasi_lalu_rp: the Renstra
  columns of E.81 that no quarter's data gives.
- `iku_tahunan.csv`: kode, tahun, target, realisasi: the IKU of earlier years (LKIP Tabel 3.3).
- `pejabat.csv`: peran (penyusun, camat, evaluator), label, jabatan, nama, pangkat, nip, tempat.
- `catatan_e81.csv`: triwulan, butir, teks: the closing rows the secretariat writes itself.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from triwulan.tasks.core.reference_checks import missing_columns

OPTIONAL_FILES: dict[str, list[str]] = {
    "sasaran.csv": ["no", "sasaran", "sasaran_rkpd", "iku", "kode_program"],
    "renstra.csv": [
        "kode",
        "tahun_awal",
        "tahun_akhir",
        "target_akhir_k",
        "target_akhir_rp",
        "realisasi_lalu_k",
        "realisasi_lalu_rp",
    ],
    "iku_tahunan.csv": ["kode", "tahun", "target", "realisasi"],
    "pejabat.csv": ["peran", "label", "jabatan", "nama", "pangkat", "nip", "tempat"],
    "catatan_e81.csv": ["triwulan", "butir", "teks"],
}
PERAN = ("penyusun", "camat", "evaluator")
BUTIR = {
    "faktor_pendorong": "Faktor pendorong keberhasilan pencapaian",
    "faktor_penghambat": "Faktor penghambat pencapaian kinerja",
    "tindak_lanjut_triwulan": "Tindak lanjut yang diperlukan dalam triwulan berikutnya",
    "tindak_lanjut_renja": "Tindak lanjut yang diperlukan dalam Renja Perangkat Daerah berikutnya",
}
# ASCII digits only: a full-width "１０００" would pass \d and then fail to parse
NIP_RE = re.compile(r"^([0-9]{8} [0-9]{6} [0-9] [0-9]{3}|[0-9]{18})$")
YEAR_RE = re.compile(r"^[0-9]{4}$")
NUMBER_RE = re.compile(r"^[0-9]{1,12}([.,][0-9]{1,6})?$")
MONEY_RE = re.compile(r"^[0-9]{1,18}$")  # below 2**63: rupiah stay exact int64
_YEAR, _NUMBER = "harus tahun empat angka.", "harus angka (desimal dengan titik)."
_MONEY = "harus rupiah bilangan bulat tanpa pemisah."
# (file, column, its name in the message, pattern, required, what it must be)
FORMATS = (
    ("renstra.csv", "tahun_awal", "tahun_awal", YEAR_RE, True, _YEAR),
    ("renstra.csv", "tahun_akhir", "tahun_akhir", YEAR_RE, True, _YEAR),
    ("renstra.csv", "target_akhir_k", "target_akhir_k", NUMBER_RE, False, _NUMBER),
    ("renstra.csv", "realisasi_lalu_k", "realisasi_lalu_k", NUMBER_RE, False, _NUMBER),
    ("renstra.csv", "target_akhir_rp", "target_akhir_rp", MONEY_RE, False, _MONEY),
    ("renstra.csv", "realisasi_lalu_rp", "realisasi_lalu_rp", MONEY_RE, False, _MONEY),
    ("iku_tahunan.csv", "tahun", "tahun", YEAR_RE, True, _YEAR),
    ("iku_tahunan.csv", "target", "target", NUMBER_RE, False, _NUMBER),
    ("iku_tahunan.csv", "realisasi", "realisasi", NUMBER_RE, False, _NUMBER),
    (
        "pejabat.csv",
        "nip",
        "NIP",
        NIP_RE,
        False,
        "harus 18 angka dalam kelompok 8 6 1 3 (misalnya 19800825 199912 1 001).",
    ),
)


def empty(name: str) -> pd.DataFrame:
    """The frame of an absent optional file: its columns, no rows."""
    return pd.DataFrame({c: pd.Series(dtype=str) for c in ["_baris", *OPTIONAL_FILES[name]]})


def _bad(frame: pd.DataFrame, mask: np.ndarray | pd.Series, name: str, text) -> list[str]:
    rows = frame[np.asarray(mask, dtype=bool)]
    return [f"{name} baris {r['_baris']}: {text(r)}" for _, r in rows.iterrows()]


def _not_matching(column: pd.Series, pattern: re.Pattern[str]) -> np.ndarray:
    text = column.astype(str)
    return (text != "").to_numpy() & ~text.map(lambda v: bool(pattern.match(v))).to_numpy()


def check_form_files(
    tahun: int,
    frames: dict[str, pd.DataFrame],
    iku: pd.DataFrame,
    programs: pd.DataFrame,
    codes: set[str],
) -> list[str]:
    """Problems of the optional files (missing columns, unknown codes, malformed numbers)."""
    problems = missing_columns(OPTIONAL_FILES, frames)
    if problems:
        return problems
    known_iku = set(iku["kode"])
    sasaran, renstra = frames["sasaran.csv"], frames["renstra.csv"]
    tahunan, pejabat = frames["iku_tahunan.csv"], frames["pejabat.csv"]
    catatan = frames["catatan_e81.csv"]
    problems += _bad(
        sasaran,
        ~sasaran["iku"].isin(known_iku),
        "sasaran.csv",
        lambda r: f"IKU '{r['iku']}' tidak ada di iku.csv.",
    )
    problems += _bad(
        sasaran,
        ~sasaran["kode_program"].isin(set(programs["kode_program"])),
        "sasaran.csv",
        lambda r: f"program '{r['kode_program']}' tidak ada di programs.csv.",
    )
    problems += _bad(
        sasaran,
        (sasaran["sasaran"].astype(str).str.strip() == "").to_numpy(),
        "sasaran.csv",
        lambda r: "teks sasaran kosong.",
    )
    first = sasaran.drop_duplicates("sasaran").set_index("sasaran")
    for col in ("iku", "sasaran_rkpd", "no"):
        problems += _bad(
            sasaran,
            (sasaran[col] != sasaran["sasaran"].map(first[col])).to_numpy(),
            "sasaran.csv",
            lambda r, col=col: f"{col} '{r[col]}' berbeda dari baris lain sasaran yang sama.",
        )
    problems += _bad(
        sasaran,
        sasaran.duplicated("kode_program").to_numpy(),
        "sasaran.csv",
        lambda r: f"program '{r['kode_program']}' sudah masuk sasaran lain.",
    )
    problems += _bad(
        renstra,
        renstra.duplicated("kode").to_numpy(),
        "renstra.csv",
        lambda r: f"kode '{r['kode']}' sudah ada di baris sebelumnya: satu baris per kode.",
    )
    problems += _bad(
        renstra,
        ~renstra["kode"].isin(known_iku | codes),
        "renstra.csv",
        lambda r: f"kode '{r['kode']}' bukan IKU di iku.csv maupun kode program atau kegiatan.",
    )
    for name, col, label, pattern, required, rule in FORMATS:
        frame = frames[name]
        wrong = _not_matching(frame[col], pattern)
        if required:
            wrong |= (frame[col].astype(str) == "").to_numpy()
        problems += _bad(
            frame,
            wrong,
            name,
            lambda r, col=col, label=label, rule=rule: f"{label} '{r[col]}' {rule}",
        )
    if renstra[["tahun_awal", "tahun_akhir"]].drop_duplicates().shape[0] > 1:
        problems.append("renstra.csv: semua baris harus memakai periode Renstra yang sama.")
    years = renstra[["tahun_awal", "tahun_akhir"]].astype(str)
    proper = years.apply(lambda c: c.str.fullmatch(YEAR_RE.pattern.strip("^$"))).all(axis=1)
    outside = proper & ~(
        (years["tahun_awal"].where(proper, "0").astype(int) <= tahun)
        & (tahun <= years["tahun_akhir"].where(proper, "0").astype(int))
    )
    problems += _bad(
        renstra,
        outside.to_numpy(),
        "renstra.csv",
        lambda r: (
            f"periode {r['tahun_awal']}–{r['tahun_akhir']} tidak memuat tahun {tahun}: "
            "pakai Renstra yang berlaku tahun ini."
        ),
    )
    problems += _bad(
        tahunan,
        ~tahunan["kode"].isin(known_iku),
        "iku_tahunan.csv",
        lambda r: f"IKU '{r['kode']}' tidak ada di iku.csv.",
    )
    problems += _bad(
        pejabat,
        ~pejabat["peran"].isin(PERAN),
        "pejabat.csv",
        lambda r: f"peran '{r['peran']}' harus salah satu dari {', '.join(PERAN)}.",
    )
    problems += _bad(
        pejabat,
        pejabat.duplicated("peran").to_numpy(),
        "pejabat.csv",
        lambda r: f"peran '{r['peran']}' sudah ada di baris sebelumnya: satu orang per peran.",
    )
    problems += _bad(
        catatan,
        ~catatan["butir"].isin(list(BUTIR)),
        "catatan_e81.csv",
        lambda r: f"butir '{r['butir']}' harus salah satu dari {', '.join(BUTIR)}.",
    )
    problems += _bad(
        catatan,
        ~catatan["triwulan"].isin(["1", "2", "3", "4"]),
        "catatan_e81.csv",
        lambda r: f"triwulan '{r['triwulan']}' harus 1 sampai 4.",
    )
    return problems


def _numbers(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.replace("", np.nan).str.replace(",", "."), errors="coerce")


def _money(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.replace("", np.nan)).astype("Int64")


def typed_form_frames(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The checked optional frames with numbers parsed (floats, Int64 rupiah)."""
    renstra = frames["renstra.csv"].drop(columns="_baris").copy()
    for col in ("tahun_awal", "tahun_akhir"):
        renstra[col] = renstra[col].astype("int64")
    for col in ("target_akhir_k", "realisasi_lalu_k"):
        renstra[col] = _numbers(renstra[col])
    for col in ("target_akhir_rp", "realisasi_lalu_rp"):
        renstra[col] = _money(renstra[col])
    tahunan = frames["iku_tahunan.csv"].drop(columns="_baris").copy()
    tahunan["tahun"] = tahunan["tahun"].astype("int64")
    for col in ("target", "realisasi"):
        tahunan[col] = _numbers(tahunan[col])
    catatan = frames["catatan_e81.csv"].drop(columns="_baris").copy()
    catatan["triwulan"] = catatan["triwulan"].astype("int64")
    return {
        "sasaran": frames["sasaran.csv"].drop(columns="_baris").reset_index(drop=True),
        "renstra": renstra.reset_index(drop=True),
        "iku_tahunan": tahunan.reset_index(drop=True),
        "pejabat": frames["pejabat.csv"].drop(columns="_baris").reset_index(drop=True),
        "catatan_e81": catatan.reset_index(drop=True),
    }
