"""Targets against realisation, over whole frames (all units at once).

Money stays int64 rupiah end to end; a percentage is computed from the integer sums with integer
arithmetic and rounded half-up to two decimals, so 1/3 of a rupiah never drifts into a total.
Percentages are NaN where the denominator is zero (e.g. no target in that quarter).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

MONEY = [
    "pagu",
    "target_keuangan_tw",
    "realisasi_keuangan_tw",
    "target_keuangan_sd_tw",
    "realisasi_keuangan_sd_tw",
]
LEVEL_KEYS = {
    "unit": ["unit", "nama_unit"],
    "program": ["kode_program", "nama_program"],
    "kegiatan": ["kode_program", "kode_kegiatan", "nama_kegiatan"],
}
TOTAL_KEYS = [
    *MONEY,
    "capaian_keuangan_tw_persen",
    "capaian_keuangan_sd_tw_persen",
    "serapan_pagu_persen",
    "realisasi_fisik_persen",
    "deviasi_persen",
    "predikat_keuangan_sd_tw",
]


# |numerator| up to this keeps numerator * 20000 inside int64; above it (a whole province or
# country in one sum) the same arithmetic runs on Python integers, still exact.
_INT64_SAFE = (2**63 - 1) // 20000 - 1


def percent(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator x 100, exact on integers, half-up to 2 decimals; NaN when /0."""
    index = getattr(numerator, "index", None)
    num = np.asarray(numerator, dtype="int64")
    den = np.asarray(denominator, dtype="int64")
    dtype = object if len(num) and int(np.abs(num).max()) > _INT64_SAFE else "int64"
    num, den = num.astype(dtype), den.astype(dtype)
    safe = np.where(den == 0, 1, den).astype(dtype)
    negative = (num < 0) != (safe < 0)
    hundredths = (np.abs(num) * 20000 + np.abs(safe)) // (2 * np.abs(safe))
    out = np.where(negative, -hundredths, hundredths).astype(float) / 100.0
    return pd.Series(np.where(den == 0, np.nan, out), index=index)


def predikat(values: pd.Series, bands: pd.DataFrame) -> pd.Series:
    """Band label of each capaian (bands: predikat, batas_bawah; highest band first); '-' if NaN."""
    ordered = bands.sort_values("batas_bawah", ascending=False)
    numbers = values.astype(float).to_numpy()
    conditions = [numbers >= low for low in ordered["batas_bawah"]]
    labels = np.select(
        conditions,
        ordered["predikat"].astype(str).tolist(),
        default=str(ordered.iloc[-1]["predikat"]),
    )
    return pd.Series(np.where(np.isnan(numbers), "-", labels), index=values.index, dtype=object)


def quarter_detail(
    plan: pd.DataFrame,
    realisasi: pd.DataFrame,
    units: list[str],
    triwulan: int,
    unit_names: dict[str, str],
    bands: pd.DataFrame,
) -> pd.DataFrame:
    """One row per sub-kegiatan of the given (accepted) units with the quarter's figures.

    plan: plan_for_quarter(ref, triwulan); realisasi: stored accepted rows of quarters 1..triwulan.
    """
    rows = plan[plan["unit"].isin(units)].copy()
    key = ["unit", "kode_sub_kegiatan"]
    stored = realisasi[realisasi["unit"].isin(units)]
    current = stored[stored["triwulan"] == triwulan].set_index(key)
    cumulative = (
        stored.groupby(key)[["realisasi_keuangan", "realisasi_keluaran"]].sum()
        if not stored.empty
        else pd.DataFrame(columns=["realisasi_keuangan", "realisasi_keluaran"])
    )
    rows = rows.set_index(key)
    rows["nama_unit"] = rows.index.get_level_values("unit").map(unit_names)
    rows["target_keuangan_tw"] = rows["target_keuangan"].astype("int64")
    rows["target_keuangan_sd_tw"] = rows["target_sd"].astype("int64")
    rows["realisasi_keuangan_tw"] = (
        current["realisasi_keuangan"].reindex(rows.index, fill_value=0).astype("int64")
    )
    rows["realisasi_keuangan_sd_tw"] = (
        cumulative["realisasi_keuangan"].reindex(rows.index, fill_value=0).astype("int64")
    )
    rows["realisasi_fisik_persen"] = current["realisasi_fisik"].reindex(rows.index).astype(float)
    rows["realisasi_keluaran_tw"] = (
        current["realisasi_keluaran"].reindex(rows.index).fillna(0).astype(float)
    )
    rows["realisasi_keluaran_sd_tw"] = (
        cumulative["realisasi_keluaran"].reindex(rows.index).fillna(0).astype(float)
    )
    for text in ("kendala", "tindak_lanjut"):
        rows[text] = current[text].reindex(rows.index).fillna("").astype(str)
    rows = rows.reset_index()
    rows["pagu"] = rows["pagu"].astype("int64")
    rows = add_rates(rows, bands)
    target = rows["target_keluaran"].astype(float)
    rows["capaian_keluaran_persen"] = np.where(
        target > 0,
        (rows["realisasi_keluaran_sd_tw"] / target.where(target > 0, 1) * 100).round(2),
        np.nan,
    )
    columns = [
        "unit",
        "nama_unit",
        "kode_program",
        "nama_program",
        "kode_kegiatan",
        "nama_kegiatan",
        "kode_sub_kegiatan",
        "nama_sub_kegiatan",
        "indikator_keluaran",
        "satuan",
        "target_keluaran",
        *MONEY,
        "capaian_keuangan_tw_persen",
        "capaian_keuangan_sd_tw_persen",
        "serapan_pagu_persen",
        "realisasi_fisik_persen",
        "deviasi_persen",
        "realisasi_keluaran_tw",
        "realisasi_keluaran_sd_tw",
        "capaian_keluaran_persen",
        "predikat_keuangan_sd_tw",
        "kendala",
        "tindak_lanjut",
    ]
    return rows[columns]


def add_rates(frame: pd.DataFrame, bands: pd.DataFrame) -> pd.DataFrame:
    """Percentages derived from the integer money columns (and fisik, already per row)."""
    out = frame.copy()
    out["capaian_keuangan_tw_persen"] = percent(
        out["realisasi_keuangan_tw"], out["target_keuangan_tw"]
    )
    out["capaian_keuangan_sd_tw_persen"] = percent(
        out["realisasi_keuangan_sd_tw"], out["target_keuangan_sd_tw"]
    )
    out["serapan_pagu_persen"] = percent(out["realisasi_keuangan_sd_tw"], out["pagu"])
    # deviasi: planned cumulative share of pagu minus realised share; positive = behind plan
    out["deviasi_persen"] = percent(
        out["target_keuangan_sd_tw"] - out["realisasi_keuangan_sd_tw"], out["pagu"]
    )
    out["predikat_keuangan_sd_tw"] = predikat(out["capaian_keuangan_sd_tw_persen"], bands)
    return out


def weighted_fisik(frame: pd.DataFrame) -> float:
    """Σ(pagu × fisik) / Σ pagu over rows that report fisik; NaN when there is no such pagu."""
    reported = frame[frame["realisasi_fisik_persen"].notna()]
    pagu = reported["pagu"].astype(float)
    total = pagu.sum()
    fisik = reported["realisasi_fisik_persen"].astype(float)
    return round(float((pagu * fisik).sum() / total), 2) if total > 0 else float("nan")


def aggregate(detail: pd.DataFrame, level: str, bands: pd.DataFrame) -> pd.DataFrame:
    """Sum money per level (unit, program, kegiatan), then derive rates from the sums."""
    keys = LEVEL_KEYS[level]
    if detail.empty:
        return pd.DataFrame(columns=[*keys, *TOTAL_KEYS])
    fisik = detail["realisasi_fisik_persen"].astype(float)
    reported_pagu = detail["pagu"].astype(float).where(fisik.notna(), 0.0)
    grouped = detail.assign(_pf=reported_pagu * fisik.fillna(0.0), _pr=reported_pagu).groupby(
        keys, sort=False
    )
    sums = grouped[MONEY].sum().astype("int64")
    pagu = grouped["_pr"].sum()
    sums["realisasi_fisik_persen"] = (grouped["_pf"].sum() / pagu.where(pagu > 0)).round(2)
    sums["jumlah_sub_kegiatan"] = grouped.size()
    out = add_rates(sums.reset_index(), bands)
    sort_key = "kode_kegiatan" if level == "kegiatan" else keys[0]
    return (
        out.sort_values(sort_key, kind="stable").reset_index(drop=True) if level != "unit" else out
    )


def plain_mean_fisik(frame: pd.DataFrame) -> float | None:
    """Mean fisik of the rows that report it, unweighted (the seed's 97,34 beside our weighted
    97,61): printed beside the weighted figure so a reader sees why the two differ."""
    fisik = frame["realisasi_fisik_persen"].dropna().astype(float)
    return round(float(fisik.mean()), 2) if len(fisik) else None


def totals(detail: pd.DataFrame, bands: pd.DataFrame) -> dict[str, object]:
    """The summary.json totals block: ints for rupiah, 2-decimal floats (None when undefined)."""
    if detail.empty:
        return totals_of_sums(dict.fromkeys(MONEY, 0), np.nan, bands)
    money = {k: int(detail[k].sum()) for k in MONEY}
    return totals_of_sums(money, weighted_fisik(detail), bands)


def totals_of_sums(
    money: Mapping[str, int], fisik: float, bands: pd.DataFrame
) -> dict[str, object]:
    """A totals block from summed integer rupiah and a pagu-weighted fisik (a unit, a level)."""
    frame = pd.DataFrame([{**{k: int(money[k]) for k in MONEY}, "realisasi_fisik_persen": fisik}])
    return _totals_blocks(add_rates(frame, bands))[0]


def unit_totals(detail: pd.DataFrame, bands: pd.DataFrame) -> dict[str, dict[str, object]]:
    """totals() of each unit in `detail`, computed over the whole frame at once.

    Same numbers as totals(detail[detail.unit == u]) for every u: the money sums are exact
    integers, and each unit's fisik is summed over its rows in their order exactly as
    weighted_fisik does (a per-unit filter would be O(units x rows) at a province's size).
    """
    if detail.empty:
        return {}
    groups = detail.groupby("unit", sort=False).indices
    money = {k: detail[k].to_numpy() for k in MONEY}
    pagu = detail["pagu"].to_numpy(dtype=float)
    fisik = detail["realisasi_fisik_persen"].to_numpy(dtype=float)
    rows = []
    for at in groups.values():
        reported = at[~np.isnan(fisik[at])]
        p, f = pagu[reported], fisik[reported]
        total = p.sum()
        weighted = round(float((p * f).sum() / total), 2) if total > 0 else float("nan")
        rows.append(
            {
                **{k: int(values[at].sum()) for k, values in money.items()},
                "realisasi_fisik_persen": weighted,
            }
        )
    blocks = _totals_blocks(add_rates(pd.DataFrame(rows), bands))
    return dict(zip(groups, blocks, strict=True))


def _totals_blocks(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Each row of a rates frame as a totals block (plain ints, floats, None, labels)."""
    out = []
    for record in frame[TOTAL_KEYS].to_dict("records"):
        block: dict[str, object] = {k: int(record[k]) for k in MONEY}
        for k in TOTAL_KEYS[len(MONEY) :]:
            value = record[k]
            if isinstance(value, str):
                block[k] = value
            else:
                block[k] = None if pd.isna(value) else round(float(value), 2)
        out.append(block)
    return out
