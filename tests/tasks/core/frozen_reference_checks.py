"""The reference checks as they were before they worked on whole columns (commit db0f611), frozen.

Not a test module: test_reference_checks.py runs these row-by-row loops and the vectorised checks
on the same broken frames and wants the same messages in the same order. Do not edit it to match
new behaviour; a deliberate change of a message belongs in both places' tests instead.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import pandas as pd

from triwulan.tasks.core.parse import parse_int

QUARTERS = (1, 2, 3, 4)
TW_COLS = [f"tw{q}" for q in QUARTERS]
MONEY_COLS = ["pagu", *TW_COLS]
CODE_RE = re.compile(r"^\d\.\d{2}\.\d{2}\.\d\.\d{2}\.\d{4}$")
SLUG_RE = re.compile(r"^[a-z][a-z0-9-]*$")

FILES: dict[str, list[str]] = {
    "units.csv": ["unit", "nama", "jenis", "email"],
    "recipients.csv": ["peran", "nama", "jabatan", "email"],
    "programs.csv": ["kode_program", "nama_program"],
    "kegiatan.csv": ["kode_kegiatan", "nama_kegiatan"],
    "sub_kegiatan.csv": [
        "unit",
        "kode_sub_kegiatan",
        "nama_sub_kegiatan",
        "sumber_dana",
        "indikator_keluaran",
        "satuan",
        "target_keluaran",
    ],
    "anggaran.csv": ["unit", "kode_sub_kegiatan", "versi", "berlaku_mulai_tw", *MONEY_COLS],
    "iku.csv": [
        "kode",
        "nama",
        "satuan",
        "arah",
        "target_tahunan",
        *[f"target_tw{q}" for q in QUARTERS],
    ],
    "zona_k3.csv": ["no", "nama_zona", "kelurahan"],
}

# Columns of the shared IKU tables, checked on load like the year files.
SHARED_FILES: dict[str, list[str]] = {
    "ikm_mutu.csv": ["mutu", "kinerja", "batas_bawah", "batas_atas"],
    "akip_predikat.csv": ["predikat", "keterangan", "lebih_dari"],
    "akip_komponen.csv": ["komponen", "judul", "bobot"],
    "kolom_iku.csv": ["lembar", "kolom", "tipe", "wajib", "judul", "penjelasan"],
}
IKU_SHEETS = ("zona_k3", "skm", "akip")
HUNDREDTH = Decimal("0.01")


def _where(name: str, row: int) -> str:
    return f"{name} baris {row}"


def check_frames(tahun: int, frames: dict[str, pd.DataFrame]) -> list[str]:
    """Consistency problems of the raw (text) frames of one year, each naming file and row."""
    problems: list[str] = []
    for name, columns in FILES.items():
        missing = [c for c in columns if c not in frames[name].columns]
        if missing:
            problems.append(f"{tahun}/{name}: kolom tidak ada: {', '.join(missing)}")
    if problems:
        return problems

    units = frames["units.csv"]
    known_units = set(units["unit"])
    for _, r in units.iterrows():
        if not SLUG_RE.match(r["unit"]):
            problems.append(
                f"{_where('units.csv', r['_baris'])}: kode unit '{r['unit']}' harus huruf kecil, "
                "angka dan tanda hubung (misalnya harapan-jaya)."
            )
        if r["jenis"] not in ("kecamatan", "kelurahan"):
            problems.append(
                f"{_where('units.csv', r['_baris'])}: jenis '{r['jenis']}' harus kecamatan atau kelurahan."
            )
        if "@" not in r["email"]:
            problems.append(
                f"{_where('units.csv', r['_baris'])}: email unit '{r['unit']}' kosong atau tidak sah."
            )
    for _, r in units[units.duplicated("unit", keep="first")].iterrows():
        problems.append(
            f"{_where('units.csv', r['_baris'])}: unit '{r['unit']}' tercatat dua kali."
        )

    programs = set(frames["programs.csv"]["kode_program"])
    kegiatan = set(frames["kegiatan.csv"]["kode_kegiatan"])
    sub = frames["sub_kegiatan.csv"]
    for _, r in sub.iterrows():
        where = _where("sub_kegiatan.csv", r["_baris"])
        code = r["kode_sub_kegiatan"]
        if r["unit"] not in known_units:
            problems.append(f"{where}: unit '{r['unit']}' tidak ada di units.csv.")
        if not CODE_RE.match(code):
            problems.append(f"{where}: kode '{code}' tidak berbentuk 7.01.PP.2.KK.SSSS.")
        else:
            if code[:7] not in programs:
                problems.append(
                    f"{where}: program {code[:7]} dari kode '{code}' tidak ada di programs.csv."
                )
            if code[:12] not in kegiatan:
                problems.append(
                    f"{where}: kegiatan {code[:12]} dari kode '{code}' tidak ada di kegiatan.csv."
                )
        target = r["target_keluaran"].replace(",", ".")
        if not re.fullmatch(r"\d+(\.\d+)?", target):
            problems.append(
                f"{where}: target_keluaran '{r['target_keluaran']}' harus angka tidak negatif."
            )
    for _, r in sub[sub.duplicated(["unit", "kode_sub_kegiatan"], keep="first")].iterrows():
        problems.append(
            f"{_where('sub_kegiatan.csv', r['_baris'])}: kode '{r['kode_sub_kegiatan']}' untuk unit "
            f"'{r['unit']}' tercatat dua kali."
        )

    ang = frames["anggaran.csv"]
    sub_keys = set(zip(sub["unit"], sub["kode_sub_kegiatan"], strict=True))
    for _, r in ang.iterrows():
        where = _where("anggaran.csv", r["_baris"])
        key = (r["unit"], r["kode_sub_kegiatan"])
        if r["unit"] not in known_units:
            problems.append(f"{where}: unit '{r['unit']}' tidak ada di units.csv.")
        elif key not in sub_keys:
            problems.append(
                f"{where}: sub kegiatan '{key[1]}' unit '{key[0]}' tidak ada di sub_kegiatan.csv."
            )
        if r["versi"] not in ("murni", "perubahan"):
            problems.append(f"{where}: versi '{r['versi']}' harus murni atau perubahan.")
        start = parse_int(r["berlaku_mulai_tw"])
        if start not in QUARTERS:
            problems.append(
                f"{where}: berlaku_mulai_tw '{r['berlaku_mulai_tw']}' harus 1 sampai 4."
            )
        elif r["versi"] == "murni" and start != 1:
            problems.append(f"{where}: anggaran murni harus berlaku mulai TW 1.")
        money = {c: parse_int(r[c]) for c in MONEY_COLS}
        for col, value in money.items():
            if value is None:
                problems.append(
                    f"{where}: kolom {col} '{r[col]}' harus rupiah bilangan bulat tanpa pemisah."
                )
            elif value < 0:
                problems.append(f"{where}: kolom {col} bernilai negatif ({value}).")
        if all(v is not None for v in money.values()):
            alloc = sum(money[c] for c in TW_COLS)
            if alloc != money["pagu"]:
                problems.append(
                    f"{where}: alokasi TW I–IV berjumlah {alloc:,} tetapi pagu {money['pagu']:,} "
                    f"(selisih {alloc - money['pagu']:,}).".replace(",", ".")
                )
    for _, r in ang[
        ang.duplicated(["unit", "kode_sub_kegiatan", "versi"], keep="first")
    ].iterrows():
        problems.append(
            f"{_where('anggaran.csv', r['_baris'])}: versi {r['versi']} untuk '{r['kode_sub_kegiatan']}' "
            f"unit '{r['unit']}' tercatat dua kali."
        )
    murni_keys = set(
        zip(
            *[ang.loc[ang["versi"] == "murni", c] for c in ("unit", "kode_sub_kegiatan")],
            strict=True,
        )
    )
    for _, r in sub.iterrows():
        if (r["unit"], r["kode_sub_kegiatan"]) not in murni_keys:
            problems.append(
                f"{_where('sub_kegiatan.csv', r['_baris'])}: sub kegiatan '{r['kode_sub_kegiatan']}' unit "
                f"'{r['unit']}' tidak punya anggaran murni di anggaran.csv."
            )
    problems += _check_revisions(ang)

    for _, r in frames["zona_k3.csv"].iterrows():
        if r["kelurahan"] not in known_units:
            problems.append(
                f"{_where('zona_k3.csv', r['_baris'])}: kelurahan '{r['kelurahan']}' tidak ada di units.csv."
            )
    for _, r in frames["iku.csv"].iterrows():
        if r["arah"] not in ("naik", "turun"):
            problems.append(
                f"{_where('iku.csv', r['_baris'])}: arah '{r['arah']}' harus naik atau turun."
            )
    return problems


def _decimal(text: str) -> Decimal | None:
    """'88.31' or '88,31' as a finite Decimal; None for anything else (empty included)."""
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def check_shared(frames: dict[str, pd.DataFrame]) -> list[str]:
    """Problems of the shared IKU tables (mutu bands, AKIP predicates and components, IKU columns).

    The bands decide a published rating, so a gap or an overlap between them is an error, not a
    silent fall-through to another band.
    """
    problems = [
        f"{name}: kolom tidak ada: {', '.join(missing)}"
        for name, columns in SHARED_FILES.items()
        if (missing := [c for c in columns if c not in frames[name].columns])
    ]
    if problems:
        return problems
    return (
        _check_mutu(frames["ikm_mutu.csv"])
        + _check_akip_predikat(frames["akip_predikat.csv"])
        + _check_akip_komponen(frames["akip_komponen.csv"])
        + _check_kolom_iku(frames["kolom_iku.csv"])
    )


def _check_mutu(mutu: pd.DataFrame) -> list[str]:
    """PermenPAN-RB 14/2017 bands: each a closed 2-decimal range, adjacent bands 0,01 apart."""
    problems: list[str] = []
    bands = []
    for _, r in mutu.iterrows():
        where = _where("ikm_mutu.csv", r["_baris"])
        low, high = _decimal(r["batas_bawah"]), _decimal(r["batas_atas"])
        if low is None or high is None:
            problems.append(f"{where}: batas_bawah dan batas_atas harus angka.")
        elif low > high:
            problems.append(f"{where}: batas_bawah {low} lebih besar dari batas_atas {high}.")
        else:
            bands.append((low, high, r["mutu"], where))
    for _, r in mutu[mutu.duplicated("mutu", keep="first")].iterrows():
        problems.append(
            f"{_where('ikm_mutu.csv', r['_baris'])}: mutu '{r['mutu']}' tercatat dua kali."
        )
    bands.sort(reverse=True)
    for upper, lower in zip(bands, bands[1:], strict=False):
        if lower[1] + HUNDREDTH != upper[0]:
            problems.append(
                f"{lower[3]}: rentang mutu {lower[2]} berakhir di {lower[1]} tetapi mutu {upper[2]} "
                f"mulai dari {upper[0]} (harus bersambung, selisih 0,01)."
            )
    return problems


def _check_akip_predikat(predikat: pd.DataFrame) -> list[str]:
    """Strict lower bounds ('lebih dari'), distinct; exactly one lowest band without a bound."""
    problems: list[str] = []
    empty = predikat["lebih_dari"] == ""
    for _, r in predikat[~empty].iterrows():
        if _decimal(r["lebih_dari"]) is None:
            problems.append(
                f"{_where('akip_predikat.csv', r['_baris'])}: lebih_dari '{r['lebih_dari']}' harus angka."
            )
    if int(empty.sum()) != 1:
        problems.append(
            "akip_predikat.csv: tepat satu predikat (yang terendah) harus berkolom lebih_dari kosong."
        )
    for column in ("predikat", "lebih_dari"):
        for _, r in predikat[~empty & predikat.duplicated(column, keep="first")].iterrows():
            problems.append(
                f"{_where('akip_predikat.csv', r['_baris'])}: {column} '{r[column]}' tercatat dua kali."
            )
    return problems


def _check_akip_komponen(komponen: pd.DataFrame) -> list[str]:
    """SAKIP components: unique slugs, positive weights adding up to 100."""
    problems: list[str] = []
    total = Decimal(0)
    for _, r in komponen.iterrows():
        where = _where("akip_komponen.csv", r["_baris"])
        bobot = _decimal(r["bobot"])
        if bobot is None or bobot <= 0:
            problems.append(f"{where}: bobot '{r['bobot']}' harus angka lebih dari 0.")
        else:
            total += bobot
        if not re.fullmatch(r"[a-z][a-z0-9_]*", r["komponen"]):
            problems.append(
                f"{where}: komponen '{r['komponen']}' harus huruf kecil dan garis bawah."
            )
    for _, r in komponen[komponen.duplicated("komponen", keep="first")].iterrows():
        problems.append(
            f"{_where('akip_komponen.csv', r['_baris'])}: komponen '{r['komponen']}' tercatat dua kali."
        )
    if not problems and total != 100:
        problems.append(f"akip_komponen.csv: jumlah bobot {total} padahal harus 100.")
    return problems


def _check_kolom_iku(kolom: pd.DataFrame) -> list[str]:
    """Sheets of the IKU workbook and their columns, each named once."""
    problems: list[str] = []
    for _, r in kolom.iterrows():
        where = _where("kolom_iku.csv", r["_baris"])
        if r["lembar"] not in IKU_SHEETS:
            problems.append(
                f"{where}: lembar '{r['lembar']}' harus salah satu dari {', '.join(IKU_SHEETS)}."
            )
        if r["wajib"] not in ("ya", "tidak"):
            problems.append(f"{where}: wajib '{r['wajib']}' harus ya atau tidak.")
    for _, r in kolom[kolom.duplicated(["lembar", "kolom"], keep="first")].iterrows():
        problems.append(
            f"{_where('kolom_iku.csv', r['_baris'])}: kolom '{r['kolom']}' lembar '{r['lembar']}' "
            "tercatat dua kali."
        )
    return problems


def _check_revisions(ang: pd.DataFrame) -> list[str]:
    """A perubahan may not rewrite quarters that were already in force before it."""
    problems = []
    murni = ang[ang["versi"] == "murni"].set_index(["unit", "kode_sub_kegiatan"])
    for _, r in ang[ang["versi"] == "perubahan"].iterrows():
        key = (r["unit"], r["kode_sub_kegiatan"])
        start = parse_int(r["berlaku_mulai_tw"])
        if key not in murni.index or start not in QUARTERS:
            continue
        base = murni.loc[key]
        base = base.iloc[0] if isinstance(base, pd.DataFrame) else base
        for q in range(1, start):
            if r[f"tw{q}"] != base[f"tw{q}"]:
                problems.append(
                    f"{_where('anggaran.csv', r['_baris'])}: perubahan berlaku mulai TW {start} tetapi "
                    f"mengubah alokasi tw{q} yang sudah lewat ({base[f'tw{q}']} menjadi {r[f'tw{q}']})."
                )
    return problems
