"""Earlier accepted quarters as validation sees them: one row per (unit, sub-kegiatan).

The store gives them (tasks.record.store.earlier_figures); older callers pass only the summed
realisation in money (tasks.record.store.earlier_totals). Both are read here into one shape, the rules
that need a figure the caller did not give simply do not apply.
"""

from __future__ import annotations

import pandas as pd

KEY = ["unit", "kode_sub_kegiatan"]
REQUIRED = [*KEY, "realisasi_keuangan"]
# column -> dtype; absent from an older caller's frame means "not known" (NA)
OPTIONAL = {
    "realisasi_keluaran": "float64",  # sum of the earlier quarters
    "triwulan_sebelumnya": "Int64",  # latest earlier quarter with a row
    "fisik_sebelumnya": "float64",  # cumulative fisik of that quarter
    "keuangan_tw_lalu": "Int64",  # the quarter just before (q-1), for the identical check
    "fisik_tw_lalu": "float64",
    "keluaran_tw_lalu": "float64",
}
COLUMNS = [*REQUIRED, *OPTIONAL]


def empty_figures() -> pd.DataFrame:
    """No earlier quarter (TW I, or nothing accepted yet), with the columns' types."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in KEY})
    frame["realisasi_keuangan"] = pd.Series(dtype="Int64")
    for column, dtype in OPTIONAL.items():
        frame[column] = pd.Series(dtype=dtype)
    return frame


def normalise(earlier: pd.DataFrame | None) -> pd.DataFrame:
    """One row per key with every column of COLUMNS; a column the caller lacks is all NA.

    Several rows of one key (an older caller's unsummed rows) add up; the latest quarter wins
    for fisik; the first known value wins for the previous quarter's figures.
    """
    if earlier is None or earlier.empty:
        return empty_figures()
    absent = [c for c in REQUIRED if c not in earlier.columns]
    if absent:
        raise ValueError(f"Data realisasi triwulan sebelumnya tanpa kolom {', '.join(absent)}.")
    frame = pd.DataFrame({c: earlier[c].astype(str).to_numpy() for c in KEY})
    money = pd.to_numeric(earlier["realisasi_keuangan"], errors="raise")
    frame["realisasi_keuangan"] = money.fillna(0).astype("int64").to_numpy()
    for column, dtype in OPTIONAL.items():
        values = earlier[column] if column in earlier.columns else pd.Series(pd.NA, earlier.index)
        numbers = pd.to_numeric(values, errors="coerce")
        frame[column] = (
            numbers.round().astype("Int64") if dtype == "Int64" else numbers.astype(dtype)
        ).to_numpy()
    types = {"realisasi_keuangan": "Int64", **OPTIONAL}
    if not frame.duplicated(KEY).any():
        return frame.astype(types)
    grouped = frame.groupby(KEY, sort=False)
    out = grouped[["realisasi_keuangan"]].sum()
    out["realisasi_keluaran"] = grouped["realisasi_keluaran"].sum(min_count=1)
    latest = (
        frame.sort_values("triwulan_sebelumnya", na_position="first", kind="stable")
        .drop_duplicates(KEY, keep="last")
        .set_index(KEY)
    )
    for column in ("triwulan_sebelumnya", "fisik_sebelumnya"):
        out[column] = latest[column]
    for column in ("keuangan_tw_lalu", "fisik_tw_lalu", "keluaran_tw_lalu"):
        out[column] = grouped[column].first()
    return out.reset_index()[COLUMNS].astype(types)


def aligned(figures: pd.DataFrame, units: pd.Series, codes: pd.Series) -> pd.DataFrame:
    """The figures of each working-frame row's (unit, code), NA where nothing is stored.

    A row without a unit (None) matches nothing. Index: that of `units`.
    """
    keys = pd.MultiIndex.from_arrays(
        [units.fillna("").astype(str).to_numpy(), codes.astype(str).to_numpy()], names=KEY
    )
    table = figures.set_index(KEY)
    if table.empty:
        out = pd.DataFrame(index=keys, columns=table.columns).astype(table.dtypes.to_dict())
    else:
        out = table.reindex(keys)
    return out.reset_index(drop=True).set_axis(units.index)
