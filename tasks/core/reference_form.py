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
- `jenis_belanja.csv`: unit, kode_sub_kegiatan, jenis, sub_jenis, pagu: each sub-kegiatan's pagu
  in force at TW IV split by jenis belanja (LKIP Tabel 3.13); its rows add up to that pagu.
- `akip_komponen_tahunan.csv`: tahun, komponen, nilai: the AKIP component scores of earlier
  years' evaluations (LKIP Tabel 3.4), komponen as in the shared akip_komponen.csv.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from triwulan.tasks.core.reference_checks import SUB_KEY, missing_columns, whole_rupiah
from triwulan.tasks.core.reference_revision import in_force_before

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
    "jenis_belanja.csv": ["unit", "kode_sub_kegiatan", "jenis", "sub_jenis", "pagu"],
    "akip_komponen_tahunan.csv": ["tahun", "komponen", "nilai"],
}
PERAN = ("penyusun", "camat", "evaluator")
BUTIR = {
    "faktor_pendorong": "Faktor pendorong keberhasilan pencapaian",
    "faktor_penghambat": "Faktor penghambat pencapaian kinerja",
    "tindak_lanjut_triwulan": "Tindak lanjut yang diperlukan dalam triwulan berikutnya",
    "tindak_lanjut_renja": "Tindak lanjut yang diperlukan dalam Renja Perangkat Daerah berikutnya",
}
# Jenis belanja of the APBD (Permendagri 77/2020): key -> label, in the order reports list them.
JENIS_BELANJA: dict[str, str] = {"operasi": "BELANJA OPERASI", "modal": "BELANJA MODAL"}
# sub_jenis -> (its jenis, label)
SUB_JENIS_BELANJA: dict[str, tuple[str, str]] = {
    "pegawai": ("operasi", "Belanja Pegawai"),
    "barang_jasa": ("operasi", "Belanja Barang dan Jasa"),
    "bunga": ("operasi", "Belanja Bunga"),
    "subsidi": ("operasi", "Belanja Subsidi"),
    "hibah": ("operasi", "Belanja Hibah"),
    "bantuan_sosial": ("operasi", "Belanja Bantuan Sosial"),
    "modal_tanah": ("modal", "Belanja Modal Tanah"),
    "modal_peralatan_mesin": ("modal", "Belanja Modal Peralatan dan Mesin"),
    "modal_gedung_bangunan": ("modal", "Belanja Modal Gedung dan Bangunan"),
    "modal_jalan_irigasi_jaringan": ("modal", "Belanja Modal Jalan, Irigasi dan Jaringan"),
    "modal_aset_tetap_lainnya": ("modal", "Belanja Modal Aset Tetap Lainnya"),
    "modal_aset_lainnya": ("modal", "Belanja Modal Aset Lainnya"),
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
    ("jenis_belanja.csv", "pagu", "pagu", MONEY_RE, True, _MONEY),
    ("akip_komponen_tahunan.csv", "tahun", "tahun", YEAR_RE, True, _YEAR),
    ("akip_komponen_tahunan.csv", "nilai", "nilai", NUMBER_RE, True, _NUMBER),
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
    akip_komponen: pd.DataFrame,
) -> list[str]:
    """Problems of the optional files (missing columns, unknown codes, malformed numbers).

    `frames` holds the year's required files too (units, sub-kegiatan, anggaran: what
    jenis_belanja.csv refers to); `akip_komponen` is the shared table of AKIP components.
    """
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
    problems += _check_jenis_belanja(frames)
    problems += _check_akip_tahunan(tahun, frames["akip_komponen_tahunan.csv"], akip_komponen)
    return problems


def _ribuan(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _check_jenis_belanja(frames: dict[str, pd.DataFrame]) -> list[str]:
    """Known sub-kegiatan, jenis and sub_jenis; each sub-kegiatan's rows add up to its pagu.

    The pagu is the one in force at TW IV (the latest anggaran.csv row: after the APBD
    Perubahan), which the LKIP reports. A present file must split every sub-kegiatan whose pagu
    is not 0; an absent one is no problem (the LKIP then says the split is not available).
    """
    name, belanja = "jenis_belanja.csv", frames["jenis_belanja.csv"]
    units, sub = frames["units.csv"], frames["sub_kegiatan.csv"]
    if belanja.empty:
        return []
    known_unit = belanja["unit"].isin(units["unit"]).to_numpy()
    pairs = pd.MultiIndex.from_frame(belanja[SUB_KEY])
    listed = pairs.isin(pd.MultiIndex.from_frame(sub[SUB_KEY]))
    problems = _bad(
        belanja, ~known_unit, name, lambda r: f"unit '{r['unit']}' tidak ada di units.csv."
    )
    problems += _bad(
        belanja,
        known_unit & ~listed,
        name,
        lambda r: (
            f"sub kegiatan '{r['kode_sub_kegiatan']}' unit '{r['unit']}' tidak ada di "
            "sub_kegiatan.csv."
        ),
    )
    jenis_ok = belanja["jenis"].isin(list(JENIS_BELANJA)).to_numpy()
    problems += _bad(
        belanja,
        ~jenis_ok,
        name,
        lambda r: f"jenis '{r['jenis']}' harus {' atau '.join(JENIS_BELANJA)}.",
    )
    owner = belanja["sub_jenis"].map({k: j for k, (j, _) in SUB_JENIS_BELANJA.items()})
    problems += _bad(
        belanja,
        jenis_ok & (owner != belanja["jenis"]).to_numpy(),
        name,
        lambda r: (
            f"sub_jenis '{r['sub_jenis']}' bukan belanja {r['jenis']}: pilih salah satu dari "
            + ", ".join(k for k, (j, _) in SUB_JENIS_BELANJA.items() if j == r["jenis"])
            + "."
        ),
    )
    problems += _bad(
        belanja,
        belanja.duplicated([*SUB_KEY, "sub_jenis"]).to_numpy(),
        name,
        lambda r: (
            f"sub_jenis '{r['sub_jenis']}' untuk '{r['kode_sub_kegiatan']}' unit '{r['unit']}' "
            "sudah ada di baris sebelumnya: satu baris per sub_jenis."
        ),
    )
    # each sub-kegiatan's rows against its pagu in force at TW IV (Python ints: exact sums),
    # reported at its first row
    readable = ~_not_matching(belanja["pagu"], MONEY_RE) & (belanja["pagu"] != "").to_numpy()
    in_force = in_force_before(frames["anggaran.csv"], 5)
    ceiling = pd.Series(
        whole_rupiah(in_force["pagu"])[1].astype(object),
        index=pd.MultiIndex.from_frame(in_force[SUB_KEY]),
    )
    work = belanja.assign(
        _jumlah=pd.Series(whole_rupiah(belanja["pagu"])[1], index=belanja.index).astype(object),
        _ok=readable & listed,
    )
    groups = work.groupby(SUB_KEY, sort=False)
    work["_jumlah"] = groups["_jumlah"].transform("sum")
    work["_pagu"] = ceiling.reindex(pairs).to_numpy()
    judged = groups["_ok"].transform("all").to_numpy(dtype=bool) & work["_pagu"].notna().to_numpy()
    first = ~work.duplicated(SUB_KEY).to_numpy()
    wrong = judged & first & (work["_jumlah"] != work["_pagu"]).to_numpy()
    problems += _bad(
        work,
        wrong,
        name,
        lambda r: (
            f"baris sub kegiatan '{r['kode_sub_kegiatan']}' unit '{r['unit']}' berjumlah "
            f"{_ribuan(r['_jumlah'])} tetapi pagu yang berlaku di TW IV (anggaran.csv) "
            f"{_ribuan(r['_pagu'])} (selisih {_ribuan(r['_jumlah'] - r['_pagu'])})."
        ),
    )
    missing = in_force[
        (ceiling.to_numpy() != 0) & ~pd.MultiIndex.from_frame(in_force[SUB_KEY]).isin(pairs)
    ]
    problems += [
        f"{name}: sub kegiatan '{k}' unit '{u}' berpagu {_ribuan(int(p))} di TW IV (anggaran.csv "
        f"baris {b}) tetapi tidak punya baris: bagi pagu setiap sub kegiatan habis menurut jenis "
        "belanja."
        for u, k, p, b in zip(
            missing["unit"],
            missing["kode_sub_kegiatan"],
            missing["pagu"],
            missing["_baris"],
            strict=True,
        )
    ]
    return problems


def _check_akip_tahunan(tahun: int, frame: pd.DataFrame, akip_komponen: pd.DataFrame) -> list[str]:
    """Earlier years only; komponen of akip_komponen.csv, once per year, within its bobot."""
    name = "akip_komponen_tahunan.csv"
    proper = ~_not_matching(frame["tahun"], YEAR_RE) & (frame["tahun"] != "").to_numpy()
    year = frame["tahun"].where(proper, "0").astype(int).to_numpy()
    problems = _bad(
        frame,
        proper & (year >= tahun),
        name,
        lambda r: (
            f"tahun {r['tahun']} harus sebelum {tahun}: berkas ini memuat nilai evaluasi "
            "tahun-tahun lalu."
        ),
    )
    bobot = akip_komponen.set_index("komponen")["bobot"]
    known = frame["komponen"].isin(bobot.index).to_numpy()
    problems += _bad(
        frame,
        ~known,
        name,
        lambda r: (
            f"komponen '{r['komponen']}' tidak ada di akip_komponen.csv (pilih "
            f"{', '.join(bobot.index)})."
        ),
    )
    most = _numbers(frame["komponen"].map(bobot).fillna("").astype(str))
    value = _numbers(frame["nilai"].where(~_not_matching(frame["nilai"], NUMBER_RE), ""))
    problems += _bad(
        frame.assign(_bobot=frame["komponen"].map(bobot)),
        known & (value > most).to_numpy(),
        name,
        lambda r: f"nilai {r['nilai']} melebihi bobot komponen {r['komponen']} ({r['_bobot']}).",
    )
    problems += _bad(
        frame,
        frame.duplicated(["tahun", "komponen"]).to_numpy(),
        name,
        lambda r: (
            f"komponen '{r['komponen']}' tahun {r['tahun']} sudah ada di baris sebelumnya: satu "
            "nilai per komponen dan tahun."
        ),
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
    belanja = frames["jenis_belanja.csv"].drop(columns="_baris").copy()
    belanja["pagu"] = belanja["pagu"].astype("int64")
    akip = frames["akip_komponen_tahunan.csv"].drop(columns="_baris").copy()
    akip["tahun"] = akip["tahun"].astype("int64")
    akip["nilai"] = _numbers(akip["nilai"]).astype(float)
    return {
        "sasaran": frames["sasaran.csv"].drop(columns="_baris").reset_index(drop=True),
        "renstra": renstra.reset_index(drop=True),
        "iku_tahunan": tahunan.reset_index(drop=True),
        "pejabat": frames["pejabat.csv"].drop(columns="_baris").reset_index(drop=True),
        "catatan_e81": catatan.reset_index(drop=True),
        "jenis_belanja": belanja.reset_index(drop=True),
        "akip_komponen_tahunan": akip.reset_index(drop=True),
    }
