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

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from triwulan.tasks.earlier import aligned, normalise
from triwulan.tasks.fmt import angka
from triwulan.tasks.layout import SUM_WORDS, sum_rows
from triwulan.tasks.limits import load_limits
from triwulan.tasks.parse import read_rupiah
from triwulan.tasks.period import ROMAN, Period
from triwulan.tasks.problems import (  # noqa: F401  (public names used via this module)
    CHECKS,
    _problem,
    _Run,
    file_headers,
    listed,
    missing_columns,
    problems_from_results,
    row_list,
    row_ranges,
    run_expectations,
)
from triwulan.tasks.reference import Reference, plan_for_quarter
from triwulan.tasks.suite import (  # noqa: F401  (public names used via this module)
    _INPUTS,
    _READERS,
    ACCEPTED_COLUMNS,
    AMBANG,
    EARLIER_COLUMNS,
    EMPTY,
    PROBLEM_COLUMNS,
    SHOW_MAX,
    SUITE_PATH,
    Check,
    Rule,
    Suite,
    load_suite,
    show,
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
