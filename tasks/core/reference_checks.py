"""What the reference CSV files must hold, and the checks that say, per file and row, where not.

The checks are pure functions over the raw text frames (with `_baris`, the line number as an
editor shows it). They work on whole columns, since a province has tens of thousands of rows;
only the offending rows are turned into messages, listed in the order a row-by-row reading gives
(by row, then by check), the order people have always seen them in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from triwulan.tasks.core.parse import parse_int

QUARTERS = (1, 2, 3, 4)
TW_COLS = [f"tw{q}" for q in QUARTERS]
MONEY_COLS = ["pagu", *TW_COLS]
CODE_RE = re.compile(r"^\d\.\d{2}\.\d{2}\.\d\.\d{2}\.\d{4}$")
SLUG_RE = re.compile(r"^[a-z][a-z0-9-]*$")
TARGET_RE = re.compile(r"\d+(\.\d+)?")
KOMPONEN_RE = re.compile(r"[a-z][a-z0-9_]*")

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
SUB_KEY = ["unit", "kode_sub_kegiatan"]

# One per-row check's result: the positions of the offending rows and their messages.
Hits = tuple[np.ndarray, list[str]]


def _where(name: str, row: int) -> str:
    return f"{name} baris {row}"


def _rows(
    frame: pd.DataFrame,
    mask: pd.Series | np.ndarray,
    name: str,
    text: Callable[..., str],
    *columns: str,
) -> Hits:
    """The rows of `frame` where `mask` holds, each as '<name> baris N: text(its columns)'."""
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))
    if not len(rows):  # the usual case: skip pandas' fixed cost of an empty selection
        return rows, []
    picked = frame.iloc[rows]
    values = zip(picked["_baris"], *(picked[c] for c in columns), strict=True)
    return rows, [f"{_where(name, b)}: {text(*rest)}" for b, *rest in values]


def _repeats(
    frame: pd.DataFrame, keys: str | list[str], name: str, text: Callable[..., str], *columns: str
) -> list[str]:
    """One message per row repeating `keys` of an earlier row."""
    return _rows(frame, frame.duplicated(keys, keep="first"), name, text, *columns)[1]


def _by_row(*checks: Hits) -> list[str]:
    """Messages as a loop over the rows running the checks in turn would list them."""
    rows = np.concatenate([np.asarray(r, dtype=np.int64) for r, _ in checks])
    turn = np.concatenate([np.full(len(r), i) for i, (r, _) in enumerate(checks)])
    messages = [m for _, ms in checks for m in ms]
    return [messages[i] for i in np.lexsort((turn, rows))]


def _matches(column: pd.Series, pattern: re.Pattern[str], *, full: bool = False) -> np.ndarray:
    """Python's `re` on every cell (object dtype: a pyarrow string column would use RE2)."""
    text = column.astype(object).str
    match = text.fullmatch if full else text.match
    return match(pattern.pattern, na=False).to_numpy(dtype=bool)


def _in(column: pd.Series, known: pd.Series) -> np.ndarray:
    return column.isin(known).to_numpy(dtype=bool)


def _pairs_in(frame: pd.DataFrame, other: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Whether each row's (columns) pair occurs among `other`'s."""
    known = pd.MultiIndex.from_frame(other[columns])
    return pd.MultiIndex.from_frame(frame[columns]).isin(known)


def whole_rupiah(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """`parse_int` over a column: (readable, value as int64, 0 where unreadable).

    The one parser itself, once per distinct text: a second spelling of its rules would drift,
    and this is faster than pandas' string methods chained to say the same.
    """
    codes, texts = pd.factorize(column)  # each distinct text once (quarters, zeros repeat)
    parsed = [parse_int(text) for text in texts.tolist()] + [None]  # code -1: a missing cell
    readable = np.array([v is not None for v in parsed], dtype=bool)
    values = np.array([v or 0 for v in parsed], dtype=np.int64)
    return readable[codes], values[codes]


def _decimal(text: str) -> Decimal | None:
    """'88.31' or '88,31' as a finite Decimal; None for anything else (empty included)."""
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _decimals(column: pd.Series) -> pd.Series:
    return column.astype(object).map(_decimal)


def missing_columns(
    files: dict[str, list[str]], frames: dict[str, pd.DataFrame], prefix: str = ""
) -> list[str]:
    """'<prefix><file>: kolom tidak ada: …' for each file lacking columns its checks read."""
    return [
        f"{prefix}{name}: kolom tidak ada: {', '.join(missing)}"
        for name, columns in files.items()
        if (missing := [c for c in columns if c not in frames[name].columns])
    ]


def check_frames(tahun: int, frames: dict[str, pd.DataFrame]) -> list[str]:
    """Consistency problems of the raw (text) frames of one year, each naming file and row."""
    problems = missing_columns(FILES, frames, f"{tahun}/")
    if problems:
        return problems

    units, sub, ang = frames["units.csv"], frames["sub_kegiatan.csv"], frames["anggaran.csv"]
    zona, iku = frames["zona_k3.csv"], frames["iku.csv"]
    return (
        _check_units(units)
        + _check_sub_kegiatan(sub, units, frames["programs.csv"], frames["kegiatan.csv"])
        + _check_anggaran(ang, units, sub)
        + _by_row(
            _rows(
                sub,
                ~_pairs_in(sub, ang, SUB_KEY),
                "sub_kegiatan.csv",
                lambda u, k: f"sub kegiatan '{k}' unit '{u}' tidak punya anggaran di anggaran.csv.",
                *SUB_KEY,
            )
        )
        + _check_revisions(ang)
        + _by_row(
            _rows(
                zona,
                ~_in(zona["kelurahan"], units["unit"]),
                "zona_k3.csv",
                lambda k: f"kelurahan '{k}' tidak ada di units.csv.",
                "kelurahan",
            )
        )
        + _by_row(
            _rows(
                iku,
                ~iku["arah"].isin(["naik", "turun"]),
                "iku.csv",
                lambda a: f"arah '{a}' harus naik atau turun.",
                "arah",
            )
        )
    )


def _check_units(units: pd.DataFrame) -> list[str]:
    name = "units.csv"
    return _by_row(
        _rows(
            units,
            ~_matches(units["unit"], SLUG_RE),
            name,
            lambda u: (
                f"kode unit '{u}' harus huruf kecil, angka dan tanda hubung (misalnya harapan-jaya)."
            ),
            "unit",
        ),
        _rows(
            units,
            ~units["jenis"].isin(["kecamatan", "kelurahan"]),
            name,
            lambda j: f"jenis '{j}' harus kecamatan atau kelurahan.",
            "jenis",
        ),
        _rows(
            units,
            ~units["email"].astype(object).str.contains("@", regex=False, na=False),
            name,
            lambda u: f"email unit '{u}' kosong atau tidak sah.",
            "unit",
        ),
    ) + _repeats(units, "unit", name, lambda u: f"unit '{u}' tercatat dua kali.", "unit")


def _check_sub_kegiatan(
    sub: pd.DataFrame, units: pd.DataFrame, programs: pd.DataFrame, kegiatan: pd.DataFrame
) -> list[str]:
    name, code = "sub_kegiatan.csv", sub["kode_sub_kegiatan"]
    well_formed = _matches(code, CODE_RE)
    target = sub["target_keluaran"].astype(object).str.replace(",", ".", regex=False)
    return _by_row(
        _rows(
            sub,
            ~_in(sub["unit"], units["unit"]),
            name,
            lambda u: f"unit '{u}' tidak ada di units.csv.",
            "unit",
        ),
        _rows(
            sub,
            ~well_formed,
            name,
            lambda c: f"kode '{c}' tidak berbentuk 7.01.PP.2.KK.SSSS.",
            "kode_sub_kegiatan",
        ),
        _rows(
            sub,
            well_formed & ~_in(code.str[:7], programs["kode_program"]),
            name,
            lambda c: f"program {c[:7]} dari kode '{c}' tidak ada di programs.csv.",
            "kode_sub_kegiatan",
        ),
        _rows(
            sub,
            well_formed & ~_in(code.str[:12], kegiatan["kode_kegiatan"]),
            name,
            lambda c: f"kegiatan {c[:12]} dari kode '{c}' tidak ada di kegiatan.csv.",
            "kode_sub_kegiatan",
        ),
        _rows(
            sub,
            ~_matches(target, TARGET_RE, full=True),
            name,
            lambda t: f"target_keluaran '{t}' harus angka tidak negatif.",
            "target_keluaran",
        ),
    ) + _repeats(
        sub,
        SUB_KEY,
        name,
        lambda u, c: f"kode '{c}' untuk unit '{u}' tercatat dua kali.",
        *SUB_KEY,
    )


def _thousands(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _check_anggaran(ang: pd.DataFrame, units: pd.DataFrame, sub: pd.DataFrame) -> list[str]:
    name = "anggaran.csv"
    known_unit = _in(ang["unit"], units["unit"])
    start_ok, start = whole_rupiah(ang["berlaku_mulai_tw"])
    start_ok &= np.isin(start, QUARTERS)
    murni = (ang["versi"] == "murni").to_numpy(dtype=bool)
    money = {c: whole_rupiah(ang[c]) for c in MONEY_COLS}
    checks = [
        _rows(ang, ~known_unit, name, lambda u: f"unit '{u}' tidak ada di units.csv.", "unit"),
        _rows(
            ang,
            known_unit & ~_pairs_in(ang, sub, SUB_KEY),
            name,
            lambda u, k: f"sub kegiatan '{k}' unit '{u}' tidak ada di sub_kegiatan.csv.",
            *SUB_KEY,
        ),
        _rows(
            ang,
            ~ang["versi"].isin(["murni", "perubahan"]),
            name,
            lambda v: f"versi '{v}' harus murni atau perubahan.",
            "versi",
        ),
        _rows(
            ang,
            ~start_ok,
            name,
            lambda s: f"berlaku_mulai_tw '{s}' harus 1 sampai 4.",
            "berlaku_mulai_tw",
        ),
        _rows(
            ang,
            start_ok & murni & (start != 1),
            name,
            lambda: "anggaran murni harus berlaku mulai TW 1.",
        ),
    ]
    for col, (ok, values) in money.items():
        checks.append(
            _rows(
                ang,
                ~ok,
                name,
                lambda v, col=col: f"kolom {col} '{v}' harus rupiah bilangan bulat tanpa pemisah.",
                col,
            )
        )
        checks.append(
            _rows(
                ang.assign(_nilai=values),
                ok & (values < 0),
                name,
                lambda v, col=col: f"kolom {col} bernilai negatif ({v}).",
                "_nilai",
            )
        )
    # Python ints (object dtype) keep the sum exact even near the int64 bound.
    readable = np.logical_and.reduce([ok for ok, _ in money.values()])
    amount = {c: pd.Series(v, dtype="int64").astype(object) for c, (_, v) in money.items()}
    alloc = sum((amount[c] for c in TW_COLS), start=pd.Series(0, index=amount["pagu"].index))
    checks.append(
        _rows(
            ang.assign(_alokasi=alloc.to_numpy(), _pagu=amount["pagu"].to_numpy()),
            readable & (alloc != amount["pagu"]).to_numpy(dtype=bool),
            name,
            lambda a, p: (
                f"alokasi TW I–IV berjumlah {_thousands(a)} tetapi pagu {_thousands(p)} "
                f"(selisih {_thousands(a - p)})."
            ),
            "_alokasi",
            "_pagu",
        )
    )
    return _by_row(*checks) + _repeats(
        ang,
        [*SUB_KEY, "versi", "berlaku_mulai_tw"],  # a second revision starts later: allowed
        name,
        lambda u, k, v: f"versi {v} untuk '{k}' unit '{u}' tercatat dua kali.",
        *SUB_KEY,
        "versi",
    )


def _check_revisions(ang: pd.DataFrame) -> list[str]:
    """A perubahan may not rewrite quarters that were already in force before it.

    Each revision is compared with the version in force before it (murni, or an earlier
    perubahan); a sub-kegiatan a revision adds had nothing before, so its earlier quarters are 0.
    A revision that removes a sub-kegiatan (every amount 0) is exempt: it leaves the quarters
    from its start, and the revision command allows it only when nothing was realised.
    """
    past = TW_COLS[:-1]  # a perubahan starts at TW 4 at the latest
    start_ok, start = whole_rupiah(ang["berlaku_mulai_tw"])
    work = ang.assign(_mulai=np.where(start_ok, start, 0), _pos=np.arange(len(ang)))
    work = work.sort_values([*SUB_KEY, "_mulai", "_pos"], kind="stable")
    earlier = work.groupby(SUB_KEY, sort=False)[past].shift(1)
    is_first = work.groupby(SUB_KEY, sort=False).cumcount().to_numpy() == 0
    amounts = [whole_rupiah(work[c])[1] for c in MONEY_COLS]
    removed = (work["versi"] == "perubahan").to_numpy(dtype=bool) & (sum(amounts) == 0)
    checked = (
        (work["versi"] == "perubahan").to_numpy(dtype=bool)
        & np.isin(work["_mulai"].to_numpy(), QUARTERS)
        & ~removed
    )
    out = []
    for q, col in enumerate(past, start=1):
        before = np.where(is_first, "0", earlier[col].astype(object).fillna("0"))
        work[f"{col}_lalu"] = before
        changed = whole_rupiah(work[col])[1] != whole_rupiah(pd.Series(before))[1]
        out.append(
            _rows(
                work,
                checked & (work["_mulai"].to_numpy() > q) & changed,
                "anggaran.csv",
                lambda s, old, new, col=col: (
                    f"perubahan berlaku mulai TW {s} tetapi mengubah alokasi {col} yang sudah "
                    f"lewat ({old} menjadi {new})."
                ),
                "_mulai",
                f"{col}_lalu",
                col,
            )
        )
    # _rows counts positions in `work` (sorted); _by_row orders them by those positions
    order = work["_pos"].to_numpy()
    return _by_row(*((order[rows], messages) for rows, messages in out))
