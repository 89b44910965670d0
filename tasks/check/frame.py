"""The typed working frame of a quarter, built once in plain pandas for the whole quarter.

Every rule of expectations/submission.json names columns of this frame: validate_quarter
(tasks.check.validate) runs the suite's GX expectations as column checks on it, in one batch. Kept apart
from that run because building it is pure pandas over all units at once (no GX, no problem
records): parse flags, reference values joined per row, file-level facts as columns.

Numbers are read as people type them ('Rp 1.234.567,-', '82,5', '75%'); where a value was read
from another form than the contract's, `<col>_baku` is False and `<col>_dibaca` says how it was
read, so a rule can warn once per file and column. Earlier accepted quarters
(tasks.record.store.earlier_figures) feed the cumulative and quarter-to-quarter columns; plausibility
rules (warnings only) are flag columns computed with the suite's thresholds (`ambang`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from triwulan.tasks.check.earlier import aligned, normalise
from triwulan.tasks.check.problems import row_list
from triwulan.tasks.check.suite import _INPUTS, _READERS, AMBANG, show
from triwulan.tasks.core.limits import load_limits
from triwulan.tasks.core.parse import read_rupiah
from triwulan.tasks.core.period import ROMAN, Period
from triwulan.tasks.core.reference import Reference, plan_for_quarter


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
    None if none), `unit_teks` (cell), `unit_baris` (cell if a known unit), `unit_dikenal`,
    `unit_nama` and `unit_baris_nama` (the units' names, for messages);
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
    target). From earlier quarters (see tasks.check.earlier): `keluaran_sebelumnya`,
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
    # what messages show of a unit: its name, never its code (the code is a file-name word)
    names = {u: ref.unit_name(u) for u in known}
    work["unit_baris_nama"] = pd.Series([names.get(u) for u in work["unit_baris"]], dtype=object)
    work["unit_nama"] = pd.Series([names.get(u) for u in work["unit"]], dtype=object)

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
