"""Validate one quarter's submissions (all units at once) against the contract and reference data.

Rules are data (expectations/submission.json). The quarter's text frame is first turned into one
typed working frame in plain pandas (`prepare_frame`): parse flags, reference values joined per
row, file-level facts as columns. Every GX expectation is then a column check on that frame, run
once, in one batch, with one ephemeral context. The two checks GX cannot state on that frame
(missing columns, missing rows) run in pandas but are listed in the same file and give the same
problem records. A unit with any error is rejected as a whole; the other units go on.

Numbers are read as people type them ('Rp 1.234.567,-', '82,5', '75%'); a value read from another
form than the contract's is used and reported once per file and column as a warning saying how to
write it. Sum rows typed under the table (JUMLAH, TOTAL) are set aside with one warning each.
Earlier accepted quarters (tasks.store.earlier_figures) feed the cumulative and quarter-to-quarter
rules; plausibility rules only warn.

What a run writes must not grow with the square of a file's rows: a message lists at most
`baris_per_masalah` rows or values (tasks/limits.py), and a row-level rule keeps at most that
many problems per unit, file and column, followed by one problem counting the rest.
"""

from __future__ import annotations

import json
import logging
import math
import numbers
import os
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from triwulan.paths import EXPECTATIONS_DIR
from triwulan.tasks.earlier import aligned, normalise
from triwulan.tasks.fmt import angka, rupiah
from triwulan.tasks.ingest import HEADER_SEP
from triwulan.tasks.layout import SUM_WORDS, suggest_columns, sum_rows
from triwulan.tasks.limits import load_limits
from triwulan.tasks.parse import Reading, read_decimal, read_rupiah
from triwulan.tasks.period import ROMAN, Period
from triwulan.tasks.reference import Reference, plan_for_quarter

SUITE_PATH = EXPECTATIONS_DIR / "submission.json"
PROBLEM_COLUMNS = ["unit", "file", "row", "column", "rule", "severity", "message"]
ACCEPTED_COLUMNS = [
    "unit",
    "kode_sub_kegiatan",
    "realisasi_keuangan",
    "realisasi_fisik",
    "realisasi_keluaran",
    "kendala",
    "tindak_lanjut",
    "_file",
    "_row",
]
SEVERITIES = ("error", "warning")
# row: one problem per failing row (at most baris_per_masalah per file, see _bound_rows);
# file_rows: one per file (first row, {jumlah} rows); file: one per unit and file, no row;
# unit: one per unit, naming all its files.
LEVELS = ("row", "file_rows", "file", "unit")
FORMATS = ("teks", "polos", "rupiah", "angka")
# Thresholds of the plausibility rules (percent), overridable by the suite's "ambang" object;
# messages show them as {ambang_<name>}.
AMBANG: dict[str, float] = {
    "fisik_tinggi": 90,  # fisik this high ...
    "serapan_rendah": 25,  # ... with cumulative money below this share of pagu: a warning
    "serapan_tinggi": 90,  # cumulative money this high a share of pagu ...
    "fisik_rendah": 25,  # ... with fisik below this: a warning
    "capaian_rendah": 50,  # quarter money below this share of the quarter target: say why
}
PLACEHOLDERS = frozenset(
    {"value", "expected", "column", "judul", "row", "file", "unit", "tw", "jumlah", "baris"}
    | {"mirip"}  # kolom_wajib: the header a missing column was probably typed as
    | {f"ambang_{name}" for name in AMBANG}
)
INDEX_COLUMNS = ["_idx", "_file", "_row"]  # _idx = position in the working frame
EMPTY = "(kosong)"
SHOW_MAX = 120  # characters of one cell's text in a message (a CSV cell can be megabytes)

# Input columns: raw text kept as <col>_teks, parse flag as <col>_ok, typed value as <col>.
_INPUTS: dict[str, str] = {
    "realisasi_keuangan": "Int64",
    "realisasi_fisik": "float64",
    "realisasi_keluaran": "float64",
}
# How each input column is read (tasks.parse): money whole, fisik a percentage, keluaran a number.
_READERS: dict[str, Callable[[str], Reading]] = {
    "realisasi_keuangan": read_rupiah,
    "realisasi_fisik": lambda text: read_decimal(text, percent=True),
    "realisasi_keluaran": read_decimal,
}
EARLIER_COLUMNS = ["unit", "kode_sub_kegiatan", "realisasi_keuangan"]


# ---------------------------------------------------------------- display (pure)


def show(value: Any, fmt: str = "teks") -> str:
    """A cell value as a message shows it: text quoted, money as 'Rp 1.000', empty as '(kosong)'."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return EMPTY
    if isinstance(value, str):
        if not value:
            return EMPTY
        if len(value) > SHOW_MAX:
            value = value[: SHOW_MAX - 1] + "…"
        return value if fmt == "polos" else f"'{value}'"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, numbers.Number):
        number = float(value)  # type: ignore[arg-type]
        if fmt == "rupiah" and number.is_integer():
            return rupiah(int(value))  # type: ignore[call-overload]
        if number.is_integer():
            return str(int(number))
        return f"{number:.6f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


# ---------------------------------------------------------------- suite (data)


@dataclass(frozen=True)
class Rule:
    """How one rule reports: what its meta in the suite file says."""

    rule: str
    severity: str
    message: str
    column: str | None = None
    value: str | None = None  # "<working-frame column>|<format>"
    expected: str | None = None
    level: str = "row"
    fields: tuple[tuple[str, str], ...] = ()  # more placeholders: (name, "<column>|<format>")

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any], where: str = "") -> Rule:
        """Read and check meta; a broken suite entry must fail loudly, not skip a rule."""
        fields = meta.get("fields") or {}
        rule = cls(
            rule=str(meta.get("rule") or ""),
            severity=str(meta.get("severity") or ""),
            message=str(meta.get("message") or ""),
            column=meta.get("column"),
            value=meta.get("value"),
            expected=meta.get("expected"),
            level=meta.get("level", "row"),
            fields=tuple(fields.items()) if isinstance(fields, Mapping) else (),
        )
        problems = []
        if not isinstance(fields, Mapping):
            problems.append("meta.fields harus objek {nama: 'kolom|format'}")
        if not rule.rule:
            problems.append("meta.rule kosong")
        if rule.severity not in SEVERITIES:
            problems.append(f"meta.severity '{rule.severity}' harus error atau warning")
        if rule.level not in LEVELS:
            problems.append(f"meta.level '{rule.level}' harus salah satu dari {', '.join(LEVELS)}")
        if not rule.message:
            problems.append("meta.message kosong")
        names: set[str] = set()
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(rule.message) if name}
        except ValueError as exc:
            problems.append(f"meta.message tidak sah ({exc})")
        known = PLACEHOLDERS | {name for name, _ in rule.fields}
        if names - known:
            problems.append(f"placeholder tidak dikenal: {', '.join(sorted(names - known))}")
        for spec in (rule.value, rule.expected, *(spec for _, spec in rule.fields)):
            if spec and "|" in spec and spec.split("|", 1)[1] not in FORMATS:
                problems.append(f"format '{spec}' harus salah satu dari {', '.join(FORMATS)}")
        if problems:
            raise ValueError(
                f"Aturan validasi {where or rule.rule} tidak sah: {'; '.join(problems)}."
            )
        return rule


@dataclass(frozen=True)
class Check:
    """A rule run in plain pandas: `check` names a function in CHECKS."""

    check: str
    kwargs: dict[str, Any]
    rule: Rule


@dataclass(frozen=True)
class Suite:
    """The rules of one suite file: pandas checks and GX expectation entries (type/kwargs/meta)."""

    name: str
    checks: list[Check]
    expectations: list[dict[str, Any]]
    ambang: Mapping[str, float] = field(default_factory=lambda: dict(AMBANG))

    @property
    def rule_order(self) -> dict[str, int]:
        """Rule id -> first position in the file, to list problems in the file's order."""
        ids = [c.rule.rule for c in self.checks] + [e["meta"]["rule"] for e in self.expectations]
        return {rule: i for i, rule in reversed(list(enumerate(ids)))}


def load_suite(path: Path = SUITE_PATH) -> Suite:
    """Read a suite file and check every entry (GX itself would drop a bad entry silently)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    checks = []
    for i, entry in enumerate(data.get("checks", []), start=1):
        where = f"{Path(path).name} checks[{i}]"
        if entry.get("check") not in CHECKS:
            raise ValueError(f"{where}: check '{entry.get('check')}' tidak dikenal.")
        rule = Rule.from_meta(entry.get("meta", {}), where)
        checks.append(Check(entry["check"], dict(entry.get("kwargs", {})), rule))
    expectations = []
    for i, entry in enumerate(data.get("expectations", []), start=1):
        where = f"{Path(path).name} expectations[{i}]"
        if not isinstance(entry.get("type"), str) or not isinstance(entry.get("kwargs"), dict):
            raise ValueError(f"{where}: perlu 'type' (teks) dan 'kwargs' (objek).")
        Rule.from_meta(entry.get("meta", {}), where)
        expectations.append(
            {"type": entry["type"], "kwargs": entry["kwargs"], "meta": entry["meta"]}
        )
    ambang = dict(AMBANG)
    for name, value in (data.get("ambang") or {}).items():
        if name not in AMBANG or isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(
                f"{Path(path).name} ambang.{name}: harus salah satu dari "
                f"{', '.join(AMBANG)} dengan nilai angka."
            )
        ambang[name] = float(value)
    return Suite(
        name=str(data.get("name") or Path(path).stem),
        checks=checks,
        expectations=expectations,
        ambang=ambang,
    )


# ---------------------------------------------------------------- working frame (pure)


def _text(raw: pd.DataFrame, column: str) -> pd.Series:
    """A raw column as stripped Python strings; an absent column reads as empty cells."""
    if column not in raw.columns:
        return pd.Series([""] * len(raw), index=raw.index, dtype=object)
    values = raw[column].to_numpy(dtype=object, na_value="")
    return pd.Series([str(v).strip() for v in values], index=raw.index, dtype=object)


def _each(cells: pd.Series, read: Callable[[str], Any]) -> list[Any]:
    """read(cell) per cell, once per distinct text: a column repeats few values (years, pagu)."""
    seen: dict[str, Any] = {}
    return [seen[t] if t in seen else seen.setdefault(t, read(t)) for t in cells]


def _canonical_int(text: str) -> int | str:
    """Whole number where the cell reads as one ('50.000.000' too), else the text.

    Comparable to an int reference; a message never shows '50.000.000' as differing from
    Rp 50.000.000.
    """
    value = read_rupiah(text).value
    return text if value is None else int(value)


def _as_read(value: int | float) -> str:
    """A value read from a cell, as the contract wants it typed: 1234567, 82,5."""
    return str(value) if isinstance(value, int) else show(value, "angka")


def _percent(part: pd.Series, whole: pd.Series) -> pd.Series:
    """part / whole in percent, 2 decimals (as messages show it), NaN where whole is not > 0.

    Rules compare the rounded value, so a message never shows 150% as 'above 150%'.
    """
    a = pd.to_numeric(part).astype("Float64").to_numpy(dtype=float, na_value=math.nan)
    b = pd.to_numeric(whole).astype("Float64").to_numpy(dtype=float, na_value=math.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(b > 0, np.round(a / np.where(b > 0, b, 1) * 100, 2), math.nan)
    return pd.Series(ratio, index=part.index, dtype="float64")


def _same_as_last_quarter(work: pd.DataFrame, figures: pd.DataFrame) -> pd.Series:
    """Per row, a file flag: False when every row's three figures equal the unit's TW q-1 ones.

    Not applicable (None) to a file none of whose rows has a q-1 row. A file of zeros only is
    not flagged: nothing reported twice is no sign of a copied file.
    """
    money = work["realisasi_keuangan"].astype("Float64").to_numpy(dtype=float, na_value=math.nan)
    pairs = [
        (money, figures["keuangan_tw_lalu"]),
        (work["realisasi_fisik"].to_numpy(dtype=float), figures["fisik_tw_lalu"]),
        (work["realisasi_keluaran"].to_numpy(dtype=float), figures["keluaran_tw_lalu"]),
    ]
    same = np.ones(len(work), dtype=bool)
    nonzero = np.zeros(len(work), dtype=bool)
    for now, before in pairs:
        earlier = before.astype("Float64").to_numpy(dtype=float, na_value=math.nan)
        same &= now == earlier  # NaN on either side: not the same
        nonzero |= np.nan_to_num(now) != 0
    known = (figures["keuangan_tw_lalu"].notna() | figures["fisik_tw_lalu"].notna()).to_numpy()
    facts = pd.DataFrame(
        {"f": work["_file"].to_numpy(), "same": same, "nonzero": nonzero, "known": known}
    )
    per_file = facts.groupby("f", sort=False).agg(
        same=("same", "all"), nonzero=("nonzero", "any"), known=("known", "any")
    )
    flag = {
        f: (None if not r.known else not (r.same and r.nonzero))
        for f, r in zip(per_file.index, per_file.itertuples(), strict=True)
    }
    return pd.Series([flag[f] for f in work["_file"]], index=work.index, dtype=object)


def _distinct(keys: pd.Series, values: pd.Series) -> dict[str, list[str]]:
    """Key -> its sorted distinct non-null values (one pass, no per-group pandas work)."""
    out: dict[str, set[str]] = {}
    for k, v in set(zip(keys, values, strict=True)):
        if k is not None and v is not None:
            out.setdefault(k, set()).add(v)
    return {k: sorted(vs) for k, vs in out.items()}


def file_owners(unit_cells: pd.Series, files: pd.Series) -> dict[str, str | None]:
    """File -> its majority known unit (ties: first seen), None when no row names a known unit."""
    frame = pd.DataFrame(
        {"f": files.to_numpy(), "u": unit_cells.to_numpy(), "pos": range(len(files))}
    )
    counts = (
        frame.dropna(subset=["u"])
        .groupby(["f", "u"], sort=False)["pos"]
        .agg(["size", "min"])
        .reset_index()
        .sort_values(["size", "min"], ascending=[False, True])
        .drop_duplicates("f")
    )
    owners: dict[str, str | None] = dict.fromkeys(map(str, frame["f"]))
    owners.update(zip(map(str, counts["f"]), map(str, counts["u"]), strict=True))
    return owners


def earlier_by_key(earlier: pd.DataFrame | None) -> dict[tuple[str, str], int]:
    """(unit, kode) -> accepted realisation of the earlier quarters; None/empty: nothing earlier."""
    figures = normalise(earlier)
    return {
        (str(u), str(k)): int(v)
        for u, k, v in zip(
            figures["unit"],
            figures["kode_sub_kegiatan"],
            figures["realisasi_keuangan"],
            strict=True,
        )
    }


def _within_pagu(quarter: pd.Series, before: pd.Series, pagu: pd.Series) -> pd.Series:
    """Flag of the cumulative rule: None where it does not apply.

    Not applicable without an amount or a pagu, without earlier spending (then the quarter alone is
    the cumulative, checked by realisasi_melebihi_pagu) and when the quarter alone already exceeds
    pagu (reported by that rule; one problem is enough).
    """
    flags = []
    for q, b, p in zip(quarter, before, pagu, strict=True):
        if pd.isna(q) or pd.isna(p) or b == 0 or q > p:
            flags.append(None)
        else:
            flags.append(bool(q + b <= p))
    return pd.Series(flags, index=quarter.index, dtype=object)


def _flag(applies: np.ndarray, holds: np.ndarray, index: pd.Index) -> pd.Series:
    """True/False where a rule applies, None elsewhere (GX skips None)."""
    values = np.where(applies, holds, None)
    return pd.Series(values, index=index, dtype=object)


def _plausible(work: pd.DataFrame, ambang: Mapping[str, float]) -> dict[str, pd.Series]:
    """Flags of the plausibility rules (warnings), each limited to the rows it applies to.

    Only fisik within 0..100 and money to date within pagu count: outside, an error already
    says what to fix. Percentages are those of the messages (2 decimals).
    """
    fisik = work["realisasi_fisik"].to_numpy(dtype=float)
    serapan = work["serapan_kumulatif_persen"].to_numpy(dtype=float)
    capaian = work["capaian_keuangan_tw_persen"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        fisik_ok = (fisik >= 0) & (fisik <= 100)
        serapan_ok = (serapan >= 0) & (serapan <= 100)
        low = (capaian >= 0) & (capaian < ambang["capaian_rendah"])
        return {
            "keuangan_sejalan_fisik": _flag(
                fisik_ok & serapan_ok & (fisik >= ambang["fisik_tinggi"]),
                serapan >= ambang["serapan_rendah"],
                work.index,
            ),
            "fisik_sejalan_keuangan": _flag(
                fisik_ok & serapan_ok & (serapan >= ambang["serapan_tinggi"]),
                fisik >= ambang["fisik_rendah"],
                work.index,
            ),
            "kendala_bila_capaian_rendah": _flag(
                low, work["kendala_teks"].notna().to_numpy(), work.index
            ),
            "tindak_lanjut_bila_capaian_rendah": _flag(
                low, work["tindak_lanjut_teks"].notna().to_numpy(), work.index
            ),
        }


def prepare_frame(
    raw: pd.DataFrame,
    ref: Reference,
    period: Period,
    plan: pd.DataFrame | None = None,
    earlier: pd.DataFrame | None = None,
    limit: int | None = None,
    ambang: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The typed working frame of a quarter: one row per raw row, index = `_idx` = position.

    Columns: `_idx`, `_file`, `_row`; `unit` (owner of the row's file: its majority known unit,
    None if none), `unit_teks` (cell), `unit_baris` (cell if a known unit), `unit_dikenal`;
    `tahun`/`triwulan`/`pagu`/`target_keuangan` (int where the cell is one, else its text) with
    `*_ref` beside them; `kode_milik_unit` (None when the row has no unit); for each input column
    `<col>_teks` (None if empty), `<col>_ok` (parse flag, None if empty) and typed `<col>`;
    file facts `jumlah_unit_berkas`, `daftar_unit_berkas`, `jumlah_berkas_unit`,
    `daftar_berkas_unit`, `baris_kode_sama` (rows of the same code in the file, at most `limit`
    listed: default baris_per_masalah); `fisik_bila_belanja` (False when money was spent
    but fisik is 0); `realisasi_sebelumnya` (accepted earlier quarters of the year, 0 if none),
    `realisasi_kumulatif` and `kumulatif_dalam_pagu` (see _within_pagu); `kendala`,
    `tindak_lanjut` (text, "" if empty) and `kendala_teks`, `tindak_lanjut_teks` (None if empty).

    Numbers as typed: `<col>_baku` (None if empty or unread, else whether typed as the contract
    asks) and `<col>_dibaca` ("'1.234.567' dibaca sebagai 1234567" where not). From the plan:
    `target_keluaran_ref`, `satuan_ref`. Percentages, 2 decimals, NaN without a base > 0:
    `capaian_keuangan_tw_persen` (quarter money ÷ quarter target; NaN where money to date is
    above pagu: that error is enough), `serapan_kumulatif_persen` (cumulative money ÷ pagu),
    `capaian_keluaran_kumulatif_persen` (`keluaran_kumulatif` = earlier + this quarter ÷ annual
    target). From earlier quarters (see tasks.earlier): `keluaran_sebelumnya`,
    `fisik_sebelumnya`, `tw_sebelumnya` ('TW I'), `fisik_tidak_turun`, `beda_dengan_tw_lalu`
    (file flag, see _same_as_last_quarter). Plausibility flags with `ambang` (default AMBANG),
    see _plausible: `keuangan_sejalan_fisik`, `fisik_sejalan_keuangan`,
    `kendala_bila_capaian_rendah`, `tindak_lanjut_bila_capaian_rendah`.
    """
    raw = raw.reset_index(drop=True)
    n = len(raw)
    known = set(ref.units["unit"])
    work = pd.DataFrame(index=pd.RangeIndex(n))
    work["_idx"] = range(n)
    work["_file"] = _text(raw, "_file")
    work["_row"] = pd.to_numeric(raw["_row"]).astype("int64") if n else pd.Series(dtype="int64")

    work["unit_teks"] = _text(raw, "unit")
    normal = [u.lower() for u in work["unit_teks"]]
    work["unit_baris"] = pd.Series([u if u in known else None for u in normal], dtype=object)
    work["unit_dikenal"] = work["unit_baris"].notna()
    owners = file_owners(work["unit_baris"], work["_file"])
    work["unit"] = pd.Series([owners[f] for f in work["_file"]], dtype=object)

    units_in = _distinct(work["_file"], work["unit_baris"])
    work["jumlah_unit_berkas"] = pd.array(
        [len(units_in.get(f, [])) for f in work["_file"]], "Int64"
    )
    work["daftar_unit_berkas"] = [", ".join(units_in.get(f, [])) for f in work["_file"]]
    files_of = _distinct(work["unit"], work["_file"])
    work["jumlah_berkas_unit"] = pd.array(
        [len(files_of[u]) if u is not None else None for u in work["unit"]], "Int64"
    )
    work["daftar_berkas_unit"] = pd.Series(
        [", ".join(files_of[u]) if u is not None else None for u in work["unit"]], dtype=object
    )

    for col, expected in (("tahun", period.tahun), ("triwulan", period.triwulan)):
        work[col] = pd.Series(_each(_text(raw, col), _canonical_int), dtype=object)
        work[f"{col}_ref"] = pd.Series([expected] * n, dtype="int64")

    work["kode_sub_kegiatan"] = _text(raw, "kode_sub_kegiatan")
    if plan is None:
        plan = plan_for_quarter(ref, period.triwulan)
    planned = {
        (u, k): (int(p), int(t), float(o), str(s))
        for u, k, p, t, o, s in zip(
            plan["unit"],
            plan["kode_sub_kegiatan"],
            plan["pagu"],
            plan["target_keuangan"],
            plan["target_keluaran"],
            plan["satuan"],
            strict=True,
        )
    }
    keys = list(zip(work["unit"], work["kode_sub_kegiatan"], strict=True))
    work["kode_milik_unit"] = pd.Series(
        [None if u is None else (u, k) in planned for u, k in keys], dtype=object
    )
    for i, col in enumerate(("pagu", "target_keuangan")):
        work[col] = pd.Series(_each(_text(raw, col), _canonical_int), dtype=object)
        work[f"{col}_ref"] = pd.array(
            [planned[k][i] if k in planned else None for k in keys], "Int64"
        )

    work["target_keluaran_ref"] = pd.Series(
        [planned[k][2] if k in planned else math.nan for k in keys], dtype="float64"
    )
    work["satuan_ref"] = pd.Series([planned[k][3] if k in planned else "" for k in keys])

    for col, dtype in _INPUTS.items():
        cells = _text(raw, col)
        readings = _each(cells, lambda t, read=_READERS[col]: read(t) if t else None)
        parsed = [None if r is None else r.value for r in readings]
        work[f"{col}_teks"] = pd.Series([t or None for t in cells], dtype=object)
        work[f"{col}_ok"] = pd.Series(
            [None if r is None else r.value is not None for r in readings], dtype=object
        )
        work[f"{col}_baku"] = pd.Series(
            [None if r is None or r.value is None else r.plain for r in readings], dtype=object
        )
        work[f"{col}_dibaca"] = pd.Series(
            [
                None
                if r is None or r.value is None or r.plain
                else f"{show(t)} dibaca sebagai {_as_read(r.value)}"
                for t, r in zip(cells, readings, strict=True)
            ],
            dtype=object,
        )
        work[col] = (
            pd.array(parsed, dtype=dtype) if dtype == "Int64" else pd.Series(parsed, dtype=dtype)
        )

    spent, fisik = work["realisasi_keuangan"], work["realisasi_fisik"]
    work["fisik_bila_belanja"] = pd.Series(
        [
            None if pd.isna(k) or pd.isna(f) else not (k > 0 and f == 0)
            for k, f in zip(spent, fisik, strict=True)
        ],
        dtype=object,
    )

    figures = aligned(normalise(earlier), work["unit"], work["kode_sub_kegiatan"])
    work["realisasi_sebelumnya"] = figures["realisasi_keuangan"].fillna(0).astype("Int64")
    work["realisasi_kumulatif"] = spent + work["realisasi_sebelumnya"]
    work["kumulatif_dalam_pagu"] = _within_pagu(
        spent, work["realisasi_sebelumnya"], work["pagu_ref"]
    )
    over = (work["realisasi_kumulatif"] > work["pagu_ref"]).fillna(False).to_numpy(dtype=bool)
    work["capaian_keuangan_tw_persen"] = _percent(spent, work["target_keuangan_ref"]).mask(over)
    work["serapan_kumulatif_persen"] = _percent(work["realisasi_kumulatif"], work["pagu_ref"])

    work["keluaran_sebelumnya"] = figures["realisasi_keluaran"].fillna(0.0).astype("float64")
    work["keluaran_kumulatif"] = work["realisasi_keluaran"] + work["keluaran_sebelumnya"]
    work["capaian_keluaran_kumulatif_persen"] = _percent(
        work["keluaran_kumulatif"], work["target_keluaran_ref"]
    )
    work["fisik_sebelumnya"] = figures["fisik_sebelumnya"].astype("float64")
    work["tw_sebelumnya"] = pd.Series(
        [
            None if pd.isna(q) else f"TW {ROMAN.get(int(q), q)}"
            for q in figures["triwulan_sebelumnya"]
        ],
        index=work.index,
        dtype=object,
    )
    # compared as messages show them (6 decimals): '50' never 'lower than 50'
    now, before = fisik.round(6), work["fisik_sebelumnya"].round(6)
    work["fisik_tidak_turun"] = pd.Series(
        [
            None if math.isnan(a) or math.isnan(b) else bool(a >= b)
            for a, b in zip(now, before, strict=True)
        ],
        index=work.index,
        dtype=object,
    )
    work["beda_dengan_tw_lalu"] = _same_as_last_quarter(work, figures)

    # One bounded text per group, shared by its rows: listing every row of a group in every
    # row's message made output grow with the square of the rows.
    limit = limit or load_limits().baris_per_masalah
    key = ["_file", "kode_sub_kegiatan"]
    dup = work.duplicated(key, keep=False)
    same = dict(work[dup].groupby(key, sort=False)["_row"].agg(lambda r: row_list(r, limit)))
    work["baris_kode_sama"] = pd.Series([None] * n, dtype=object)
    dup_keys = zip(work.loc[dup, "_file"], work.loc[dup, "kode_sub_kegiatan"], strict=True)
    work.loc[dup, "baris_kode_sama"] = [same[k] for k in dup_keys]
    for col in ("kendala", "tindak_lanjut"):
        work[col] = _text(raw, col)
        work[f"{col}_teks"] = pd.Series([t or None for t in work[col]], dtype=object)
    for col, flag in _plausible(work, {**AMBANG, **(ambang or {})}).items():
        work[col] = flag
    return work


# ---------------------------------------------------------------- problems


@dataclass
class _Run:
    """What checks and message rendering need about one run."""

    raw: pd.DataFrame
    work: pd.DataFrame
    ref: Reference
    period: Period
    plan: pd.DataFrame
    judul: dict[str, str] = field(default_factory=dict)
    limit: int = field(default_factory=lambda: load_limits().baris_per_masalah)
    sums: pd.DataFrame | None = None  # sum rows set aside (their raw cells and `_jumlah`)
    ambang: Mapping[str, float] = field(default_factory=lambda: dict(AMBANG))


def _problem(
    rule: Rule,
    run: _Run,
    *,
    unit: str | None,
    file: str | None,
    row: int | None,
    column: str | None,
    value: str = "",
    expected: str = "",
    rows: list[int] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    rows = rows or ([] if row is None else [row])
    fields = {
        "value": value,
        "expected": expected,
        "column": column or "",
        "judul": run.judul.get(column or "", column or ""),
        "row": "-" if row is None else row,
        "file": file or "-",
        "unit": unit or "(tidak dikenal)",
        "tw": run.period.roman,
        "jumlah": angka(len(rows)),
        "baris": row_ranges(rows),
        **{f"ambang_{name}": show(value, "angka") for name, value in run.ambang.items()},
        **(extra or {}),
    }
    return {
        "unit": unit,
        "file": file,
        "row": row,
        "column": column,
        "rule": rule.rule,
        "severity": rule.severity,
        "message": rule.message.format_map(fields),
    }


def listed(items: Iterable[str], limit: int, noun: str = "lainnya") -> str:
    """'a, b, c' or, past `limit` items, 'a, b dan 1.230 <noun>': a message stays short."""
    items = list(items)
    shown = ", ".join(items[:limit])
    rest = len(items) - limit
    return f"{shown} dan {angka(rest)} {noun}" if rest > 0 else shown


def row_list(rows: Iterable[int], limit: int) -> str:
    """'4, 5' or '2, 6, 10 dan 1.230 baris lain': the rows of a group, bounded."""
    return listed((str(r) for r in rows), limit, "baris lain")


def row_ranges(rows: Iterable[int], limit: int = 8) -> str:
    """'2–5, 9' for rows 2, 3, 4, 5, 9: short enough for a message even for a whole file."""
    spans: list[list[int]] = []
    for r in sorted(set(rows)):
        if spans and r == spans[-1][1] + 1:
            spans[-1][1] = r
        else:
            spans.append([r, r])
    parts = [str(a) if a == b else f"{a}–{b}" for a, b in spans]
    return ", ".join(parts[:limit]) + (", …" if len(parts) > limit else "") if parts else "-"


def _resolve(spec: str | None, record: Mapping[str, Any]) -> str:
    """Display value of a meta.value/meta.expected spec ('column|format') for one frame row."""
    if not spec:
        return ""
    column, _, fmt = spec.partition("|")
    if column not in record:
        raise ValueError(f"Aturan validasi merujuk kolom '{column}' yang tidak ada di frame kerja.")
    return show(record[column], fmt or "teks")


def file_headers(raw: pd.DataFrame) -> dict[str, set[str]]:
    """File -> the columns its own header had.

    From `_kolom` (set by tasks.ingest per file); a frame without it (built by hand) counts every
    column of the frame as present in every file.
    """
    frame_columns = {str(c) for c in raw.columns if not str(c).startswith("_")}
    if "_kolom" not in raw.columns:
        return {str(f): frame_columns for f in dict.fromkeys(raw["_file"])}
    firsts = raw.drop_duplicates("_file")
    return {
        str(f): set(str(k).split(HEADER_SEP)) if isinstance(k, str) and k else frame_columns
        for f, k in zip(firsts["_file"], firsts["_kolom"], strict=True)
    }


def missing_columns(
    raw: pd.DataFrame, columns: Iterable[str], optional: Iterable[str] = ()
) -> dict[str, list[str]]:
    """File -> required contract columns it lacks, in contract order.

    Lacking means absent from the file's own header (not from the quarter's frame: read_quarter
    fills a column of another file with "") or empty in every row of the file. Optional columns
    may be absent or empty.
    """
    optional = set(optional)
    required = [c for c in columns if c not in optional]
    headers = file_headers(raw)
    checked = [c for c in required if c in raw.columns]
    empty = pd.DataFrame(
        {c: raw[c].fillna("").astype(str).str.strip().eq("").to_numpy() for c in checked},
        index=raw.index,
    )
    empty["_file"] = raw["_file"].astype(str).to_numpy()
    all_empty = empty.groupby("_file", sort=False).all().to_dict("index")
    out: dict[str, list[str]] = {}
    for name, header in headers.items():
        flags = all_empty.get(name, {})
        lacking = [c for c in required if c not in header or flags.get(c, False)]
        if lacking:
            out[name] = lacking
    return out


def _check_missing_columns(
    run: _Run, kwargs: Mapping[str, Any], rule: Rule
) -> list[dict[str, Any]]:
    """One problem per file and lacking column; a mistyped header is named ({mirip})."""
    owners = run.work.drop_duplicates("_file").set_index("_file")["unit"]
    lacking = missing_columns(run.raw, run.ref.kolom["kolom"], kwargs.get("opsional", ()))
    headers = file_headers(run.raw)
    out = []
    for f, cols in lacking.items():
        absent = [c for c in cols if c not in headers.get(f, set())]
        meant = suggest_columns(absent, sorted(headers.get(f, set())), run.judul)
        for c in cols:
            mirip = (
                f" Mungkin maksudnya kolom '{meant[c]}'? Ubah judul kolom itu menjadi {c}."
                if c in meant
                else ""
            )
            where = {"unit": owners.get(f), "file": f, "row": None, "column": c}
            problem = _problem(rule, run, **where, value=c, extra={"mirip": mirip})
            out.append({**problem, "_missing_column": True})
    return out


def _check_sum_rows(run: _Run, kwargs: Mapping[str, Any], rule: Rule) -> list[dict[str, Any]]:
    """One problem per sum row set aside by validate_quarter (see tasks.layout.sum_rows)."""
    if run.sums is None or run.sums.empty:
        return []
    owners = run.work.drop_duplicates("_file").set_index("_file")["unit"]
    return [
        _problem(
            rule,
            run,
            unit=owners.get(f),
            file=f,
            row=int(r),
            column=rule.column,
            value=show(text),
        )
        for f, r, text in zip(run.sums["_file"], run.sums["_row"], run.sums["_jumlah"], strict=True)
    ]


def _check_missing_rows(run: _Run, kwargs: Mapping[str, Any], rule: Rule) -> list[dict[str, Any]]:
    """Reference rows of a unit that sent something but are absent from everything it sent."""
    work = run.work.dropna(subset=["unit"])
    present = work[["unit", "kode_sub_kegiatan"]].drop_duplicates()
    expected = run.plan.loc[
        run.plan["unit"].isin(present["unit"]), ["unit", "kode_sub_kegiatan", "nama_sub_kegiatan"]
    ]
    merged = expected.merge(present, on=["unit", "kode_sub_kegiatan"], how="left", indicator=True)
    missing = merged[merged["_merge"] == "left_only"]
    files = work.drop_duplicates("unit").set_index("unit")["daftar_berkas_unit"]
    return [
        _problem(
            rule,
            run,
            unit=str(unit),
            file=files[unit],
            row=None,
            column=rule.column or "kode_sub_kegiatan",
            value=code,
            expected=name,
        )
        for unit, code, name in zip(
            missing["unit"], missing["kode_sub_kegiatan"], missing["nama_sub_kegiatan"], strict=True
        )
    ]


CHECKS: dict[str, Callable[[_Run, Mapping[str, Any], Rule], list[dict[str, Any]]]] = {
    "missing_columns": _check_missing_columns,
    "missing_rows": _check_missing_rows,
    "sum_rows": _check_sum_rows,
}


def _raised(info: Mapping[str, Any] | None) -> str | None:
    """The exception message when GX caught one (flat or keyed by metric), else None."""
    if not info:
        return None
    if "raised_exception" in info:
        return str(info.get("exception_message")) if info["raised_exception"] else None
    for sub in info.values():
        if isinstance(sub, Mapping) and sub.get("raised_exception"):
            return str(sub.get("exception_message"))
    return None


def problems_from_results(results: Iterable[Any], run: _Run) -> list[dict[str, Any]]:
    """Problem records from GX results, matched to rules by the meta each result carries.

    GX does not return results in suite order; meta travels with expectation_config, so the
    order does not matter. Failing rows are found by `_idx` in unexpected_index_list.
    """
    out = []
    results = list(results)
    failing_idx = sorted(
        {
            int(item["_idx"])
            for result in results
            if not result.success
            for item in (result.result.get("unexpected_index_list") or [])
        }
    )  # only the failing rows become records: the frame is wide and mostly fine
    records = dict(zip(failing_idx, run.work.iloc[failing_idx].to_dict("records"), strict=True))
    for result in results:
        config = result.expectation_config
        error = _raised(result.exception_info)
        if error:
            raise RuntimeError(f"Great Expectations gagal menjalankan {config.type}: {error}")
        if result.success:
            continue
        rule = Rule.from_meta(config.meta)
        failing = result.result.get("unexpected_index_list") or []
        if not failing:  # e.g. a table-level expectation: no rows to name, still a problem
            out.append(_problem(rule, run, unit=None, file=None, row=None, column=rule.column))
        groups = _groups([records[int(item["_idx"])] for item in failing], rule.level)
        for group, more in _bounded(groups, rule.level, run.limit):
            first = group[0]
            rows = [int(r["_row"]) for r in group]
            per_unit = rule.level == "unit" and first["unit"] is not None
            out.append(
                _problem(
                    rule,
                    run,
                    unit=first["unit"],
                    file=first["daftar_berkas_unit"] if per_unit else first["_file"],
                    row=None if rule.level in ("file", "unit") else rows[0],
                    column=rule.column,
                    value=listed(dict.fromkeys(_resolve(rule.value, r) for r in group), run.limit),
                    expected=_resolve(rule.expected, first),
                    rows=rows,
                    extra={name: _resolve(spec, first) for name, spec in rule.fields},
                )
            )
            if more:
                out[-1]["_more"] = more
    return out


def _bounded(
    groups: list[list[dict[str, Any]]], level: str, limit: int
) -> list[tuple[list[dict[str, Any]], list[int]]]:
    """(group, rows left out) to report: for a row rule the first `limit` rows per unit and file.

    The rows left out ride on the last kept group, so _finish can count them without a problem
    (and its message) being built for each.
    """
    if level != "row":
        return [(g, []) for g in groups]
    per_file: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for (r,) in groups:
        per_file.setdefault((r["unit"], r["_file"]), []).append(r)
    out: list[tuple[list[dict[str, Any]], list[int]]] = []
    for rows in per_file.values():
        rows.sort(key=lambda r: int(r["_row"]))
        out += [([r], []) for r in rows[:limit]]
        if len(rows) > limit:
            out[-1] = (out[-1][0], [int(r["_row"]) for r in rows[limit:]])
    return out


def _groups(records: list[dict[str, Any]], level: str) -> list[list[dict[str, Any]]]:
    """Failing rows grouped as the rule's level reports them, each group in row order."""
    if level == "row":
        return [[r] for r in records]
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in records:
        key = (r["unit"],) if level == "unit" and r["unit"] is not None else (r["unit"], r["_file"])
        groups.setdefault(key, []).append(r)
    return [sorted(g, key=lambda r: (r["_file"], int(r["_row"]))) for g in groups.values()]


def run_expectations(work: pd.DataFrame, suite: Suite) -> Any:
    """All GX expectations of the suite on the whole quarter frame: one context, one batch.

    Returns GX's ExpectationSuiteValidationResult (its `.results`, and Data Docs from it).
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )
    from great_expectations.expectations.metadata_types import FailureSeverity

    import triwulan.tasks.gx_custom  # noqa: F401  (registers the custom expectation types)

    # GX announces its temporary docs folder at INFO on every run: noise for the secretariat
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    expectations = [
        ExpectationConfiguration(
            type=e["type"],
            kwargs=e["kwargs"],
            meta=e["meta"],
            severity=FailureSeverity.CRITICAL
            if e["meta"]["severity"] == "error"
            else FailureSeverity.WARNING,
        ).to_domain_obj()
        for e in suite.expectations
    ]
    gx_suite = gx.ExpectationSuite(name=suite.name, expectations=expectations)
    if len(gx_suite.expectations) != len(expectations):
        raise ValueError(f"Suite {suite.name}: sebagian expectation ditolak Great Expectations.")
    batch = (
        context.data_sources.add_pandas("pengajuan")
        .add_dataframe_asset("triwulan")
        .add_batch_definition_whole_dataframe("semua")
        .get_batch(batch_parameters={"dataframe": work})
    )
    result = batch.validate(
        gx_suite,
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": INDEX_COLUMNS,
            # a pandas query text naming every failing row: long, and nobody runs it
            "return_unexpected_index_query": False,
        },
    )
    return result


# ---------------------------------------------------------------- the run


@dataclass
class Validation:
    """Outcome of a quarter: every problem, the typed rows of accepted units, status per unit.

    `files[unit]` is the file name the unit sent (names joined by ", " when it sent several,
    which is itself an error).
    """

    problems: pd.DataFrame
    accepted: pd.DataFrame
    status: dict[str, str]
    files: dict[str, str]
    gx_result: Any = None  # GX's validation result, for the run's Data Docs


def _empty_validation() -> Validation:
    return Validation(
        problems=_problem_frame([]),
        accepted=pd.DataFrame(columns=ACCEPTED_COLUMNS),
        status={},
        files={},
    )


def _finish(
    problems: list[dict[str, Any]],
    lacking: set[tuple[str, str]],
    suite: Suite,
    ref: Reference,
    limit: int | None = None,
) -> pd.DataFrame:
    """Drop repeats and problems of missing columns, sort, bound, into a frame.

    A repeat (same unit, file, row, column, rule and message) says nothing new to the unit and
    would only lengthen its feedback mail. Row problems are bounded by _bound_rows.
    """
    kept: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for p in problems:
        if "_missing_column" not in p and (p["file"], p["column"]) in lacking:
            continue  # the whole column is missing: one problem for it is enough
        key = (p["unit"], p["file"], p["row"], p["column"], p["rule"], p["message"])
        if key in seen:
            if p.get("_more"):
                seen[key]["_more"] = [*seen[key].get("_more", []), *p["_more"]]
            continue
        seen[key] = p
        kept.append(p)
    unit_order = {u: i for i, u in enumerate(ref.units["unit"])}
    rule_order = suite.rule_order
    kept.sort(
        key=lambda p: (
            unit_order.get(p["unit"], len(unit_order))
            if p["unit"] is not None
            else len(unit_order) + 1,
            p["file"] or "",
            -1 if p["row"] is None else p["row"],
            rule_order.get(p["rule"], len(rule_order)),
            p["column"] or "",
        )
    )
    kept = _bound_rows(kept, limit or load_limits().baris_per_masalah)
    return _problem_frame([[p[c] for c in PROBLEM_COLUMNS] for p in kept])


def _bound_rows(problems: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """At most `limit` row problems per unit, file, rule and column, then one counting the rest.

    The rest ('… dan 4.980 baris lain dengan masalah yang sama (baris 23–5002)') follows the
    last row problem kept, so in a unit's mail it reads as the continuation of that line. Problems
    without a row are bounded by the reference and the file limits, and all kept.
    """
    shown: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    rest: dict[tuple[Any, ...], set[int]] = {}
    out = []
    for p in problems:
        if p["row"] is None:
            out.append(p)
            continue
        key = (p["unit"], p["file"], p["rule"], p["column"])
        group = shown.setdefault(key, [])
        more = rest.setdefault(key, set())
        more.update(p.get("_more", ()))
        if len(group) < limit:
            group.append(p)
            out.append(p)
        else:
            more.add(int(p["row"]))
    after: dict[int, dict[str, Any]] = {}
    for key, more in rest.items():
        more -= {int(p["row"]) for p in shown[key]}
        if more:
            last = shown[key][-1]
            rows = sorted(more)
            after[id(last)] = {
                **{c: last[c] for c in ("unit", "file", "column", "rule", "severity")},
                "row": None,
                "message": f"… dan {angka(len(rows))} baris lain dengan masalah yang sama "
                f"(baris {row_ranges(rows)}).",
            }
    return [q for p in out for q in ((p, after[id(p)]) if id(p) in after else (p,))]


def _problem_frame(rows: list[list[Any]]) -> pd.DataFrame:
    """Object columns, so an absent unit/row/column stays None (not NaN) for the reader."""
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS, dtype=object)


def validate_quarter(
    raw: pd.DataFrame,
    ref: Reference,
    period: Period,
    suite: Suite | None = None,
    earlier: pd.DataFrame | None = None,
) -> Validation:
    """Check every unit's submission of one quarter in one pass; reject units with an error.

    `raw` is read_quarter's frame (text cells, `_file`, `_row`, `_kolom`). Rows whose unit cell is
    unknown belong to their file's majority unit; a file with no known unit is reported under unit
    None. `earlier` is the stored accepted realisation of the earlier quarters of the year:
    tasks.store.earlier_figures (every quarter-to-quarter rule) or, from older callers, only
    (unit, kode_sub_kegiatan, realisasi_keuangan) (then only spending to date against pagu);
    None or empty means nothing earlier.
    """
    if ref.tahun != period.tahun:
        raise ValueError(
            f"Data referensi tahun {ref.tahun} tidak cocok dengan periode {period.label}."
        )
    suite = suite or load_suite()
    raw = raw.reset_index(drop=True)
    if raw.empty:
        return _empty_validation()
    sums = None
    spec = next((c for c in suite.checks if c.check == "sum_rows"), None)
    if spec is not None:  # the suite asks for sum rows to be recognised: set them aside
        found = sum_rows(raw, spec.kwargs.get("kata", SUM_WORDS))
        sums = raw[found.notna()].assign(_jumlah=found[found.notna()])
        raw = raw[found.isna()].reset_index(drop=True)
    plan = plan_for_quarter(ref, period.triwulan)
    limit = load_limits().baris_per_masalah
    work = prepare_frame(raw, ref, period, plan, earlier, limit, suite.ambang)
    run = _Run(
        raw=raw,
        work=work,
        ref=ref,
        period=period,
        plan=plan,
        judul=dict(zip(ref.kolom["kolom"], ref.kolom["judul"], strict=True)),
        limit=limit,
        sums=sums,
        ambang=suite.ambang,
    )

    found: list[dict[str, Any]] = []
    lacking: set[tuple[str, str]] = set()
    for check in suite.checks:
        results = CHECKS[check.check](run, check.kwargs, check.rule)
        lacking |= {(p["file"], p["column"]) for p in results if "_missing_column" in p}
        found += results
    gx_result = None
    if suite.expectations:
        gx_result = run_expectations(work, suite)
        found += problems_from_results(list(gx_result.results), run)
    problems = _finish(found, lacking, suite, ref, limit)

    unit_order = {u: i for i, u in enumerate(ref.units["unit"])}
    units = sorted(set(work["unit"].dropna()), key=lambda u: unit_order.get(u, len(unit_order)))
    rejected = set(problems.loc[problems["severity"] == "error", "unit"].dropna())
    status = {u: "rejected" if u in rejected else "accepted" for u in units}
    first = work.dropna(subset=["unit"]).drop_duplicates("unit").set_index("unit")
    files = {u: str(first.at[u, "daftar_berkas_unit"]) for u in units}

    ok = [u for u in units if status[u] == "accepted"]
    accepted = work[work["unit"].isin(ok)].copy()
    accepted["_o"] = accepted["unit"].map(unit_order)
    accepted = accepted.sort_values(["_o", "_file", "_row"])[ACCEPTED_COLUMNS].reset_index(
        drop=True
    )
    if not accepted["realisasi_keuangan"].isna().any():
        accepted["realisasi_keuangan"] = accepted["realisasi_keuangan"].astype("int64")
    accepted["unit"] = accepted["unit"].astype(str)
    return Validation(
        problems=problems, accepted=accepted, status=status, files=files, gx_result=gx_result
    )
