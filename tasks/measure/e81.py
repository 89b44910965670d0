"""Renja evaluation rows in the layout of form E.81 (Permendagri 86/2017, Lampiran, Evaluasi Renja).

Indonesian readers expect this form: per program, kegiatan and sub-kegiatan the annual target
(K = output volume, Rp = pagu), the realisation of each of TW I-IV (K and Rp), the realisation to
date, its capaian against the annual target, the predikat band, the responsible unit and notes.

`e81_rows` returns one row per program, per kegiatan and per (unit, sub-kegiatan), in nomenclature
order (a program, then each of its kegiatan followed by its sub-kegiatan rows; the same
sub-kegiatan code run by several units gives one row per unit, units in units.csv order), then a
final "Jumlah" row for the kecamatan. Programs and kegiatan without any sub-kegiatan in the year's
reference are left out (they have no target and nothing to report).

Columns:

- `tingkat`: "program" | "kegiatan" | "sub_kegiatan" | "jumlah".
- `kode`, `uraian`: nomenclature code and name ("" and "Jumlah" on the total row).
- `indikator`, `satuan`: output indicator and its unit (sub-kegiatan rows only, else "").
- `target_k` (Float64): annual output target volume (sub-kegiatan only, else NA).
- `target_rp` (Int64): pagu in force at TW n (after an APBD Perubahan that applies by then).
- `k_tw1` .. `k_tw4` (Float64), `rp_tw1` .. `rp_tw4` (Int64): realisation of each quarter.
  NA ("blank", never 0) for quarters after n and for quarters the unit has not reported
  (no stored accepted row).
- `k_sd` (Float64), `rp_sd` (Int64): realisation to date = sum of the reported quarters 1..n;
  NA when nothing was reported at all.
- `capaian_k_persen`, `capaian_rp_persen` (Float64): k_sd / target_k and rp_sd / target_rp x 100,
  of the ANNUAL target (the form's "tingkat capaian" column), half-up to 2 decimals; NA when
  there is no realisation or the target is zero.
- `predikat_k`, `predikat_rp`: band of reference/predikat.csv (compute.predikat: Sangat Tinggi
  >= 91 ... Sangat Rendah); "-" when the capaian is NA.
- `unit`, `nama_unit`: responsible unit (code and name; sub-kegiatan rows only, else "").
- `kendala`, `tindak_lanjut`: notes of the latest quarter the unit reported for the row.

Program, kegiatan and Jumlah rows: every rupiah column is the exact int64 SUM of their sub-kegiatan
rows (a quarter column is NA only when no child reported that quarter); K columns are NA because
volumes of different satuan cannot be added; capaian_rp is computed from the sums.

Units not counted this quarter: every plan row appears (the form lists the whole Renja with its
targets), while realisation comes only from the stored rows given, restricted to `units` when it
is passed (the counted units). A unit left out therefore shows its targets with blank
realisation, and the Jumlah target is the whole kecamatan's pagu, not only the counted units'.
"""

from __future__ import annotations

import pandas as pd

from triwulan.tasks.core.reference import QUARTERS, Reference, plan_for_quarter
from triwulan.tasks.measure.compute import percent, predikat

KEY = ["unit", "kode_sub_kegiatan"]
K_TW = [f"k_tw{q}" for q in QUARTERS]
RP_TW = [f"rp_tw{q}" for q in QUARTERS]
RP_SUMMED = ["target_rp", *RP_TW, "rp_sd"]
K_COLUMNS = ["target_k", *K_TW, "k_sd"]
TEXT = ["indikator", "satuan", "unit", "nama_unit", "kendala", "tindak_lanjut"]
COLUMNS = [
    "tingkat",
    "kode",
    "uraian",
    "indikator",
    "satuan",
    "target_k",
    "target_rp",
    *[c for q in QUARTERS for c in (f"k_tw{q}", f"rp_tw{q}")],
    "k_sd",
    "rp_sd",
    "capaian_k_persen",
    "capaian_rp_persen",
    "predikat_k",
    "predikat_rp",
    "unit",
    "nama_unit",
    "kendala",
    "tindak_lanjut",
]
# Volumes are compared as integers of millionths so the capaian is exact and half-up (percent()).
_VOLUME_SCALE = 1_000_000


def _quarter_wide(stored: pd.DataFrame, column: str, dtype: str, names: list[str]) -> pd.DataFrame:
    """One column per quarter (all four, NA where no row was stored), indexed by (unit, kode)."""
    values = stored.assign(_v=stored[column].astype(dtype))
    wide = values.pivot(index=KEY, columns="triwulan", values="_v").reindex(columns=list(QUARTERS))
    wide.columns = names
    return wide.astype(dtype)


def _sub_rows(plan: pd.DataFrame, stored: pd.DataFrame, unit_names: dict[str, str]) -> pd.DataFrame:
    """The (unit, sub-kegiatan) rows with their quarters, to-date sums and latest notes."""
    rows = plan.set_index(KEY)
    sums = stored.groupby(KEY)[["_rp", "_k"]].sum()
    latest = stored.sort_values("triwulan", kind="stable").drop_duplicates(KEY, keep="last")
    latest = latest.set_index(KEY)
    out = pd.DataFrame(index=rows.index)
    out["tingkat"] = "sub_kegiatan"
    out["kode"] = rows.index.get_level_values("kode_sub_kegiatan")
    out["uraian"] = rows["nama_sub_kegiatan"]
    out["indikator"] = rows["indikator_keluaran"]
    out["satuan"] = rows["satuan"]
    out["target_k"] = rows["target_keluaran"].astype("Float64")
    out["target_rp"] = rows["pagu"].astype("Int64")
    out = out.join(_quarter_wide(stored, "_k", "Float64", K_TW))
    out = out.join(_quarter_wide(stored, "_rp", "Int64", RP_TW))
    out["k_sd"] = sums["_k"].reindex(out.index).astype("Float64")
    out["rp_sd"] = sums["_rp"].reindex(out.index).astype("Int64")
    out["nama_unit"] = out.index.get_level_values("unit").map(unit_names)
    for text in ("kendala", "tindak_lanjut"):
        out[text] = latest[text].reindex(out.index).fillna("").astype(str)
    out["_program"] = rows["kode_program"]
    out["_kegiatan"] = rows["kode_kegiatan"]
    return out.reset_index().drop(columns="kode_sub_kegiatan")


def _roll_up(subs: pd.DataFrame, level: str, names: pd.Series) -> pd.DataFrame:
    """Program or kegiatan rows: exact sums of the children's rupiah columns (NA if all NA)."""
    keys = ["_program"] if level == "program" else ["_program", "_kegiatan"]
    sums = subs.groupby(keys, sort=False)[RP_SUMMED].sum(min_count=1).reset_index()
    sums["tingkat"] = level
    sums["kode"] = sums[keys[-1]]
    sums["uraian"] = sums["kode"].map(names)
    if level == "program":
        sums["_kegiatan"] = ""
    return sums


def _total(subs: pd.DataFrame) -> pd.DataFrame:
    sums = subs[RP_SUMMED].sum(min_count=1)
    row = pd.DataFrame({c: pd.array([sums[c]], dtype="Int64") for c in RP_SUMMED})
    return row.assign(tingkat="jumlah", kode="", uraian="Jumlah", _program="", _kegiatan="")


def _capaian(done: pd.Series, target: pd.Series, scale: int = 1) -> pd.Series:
    """done / target x 100, exact and half-up (compute.percent); NA without realisation or target."""
    num = (done.astype("Float64").fillna(0) * scale).round().astype("int64")
    den = (target.astype("Float64").fillna(0) * scale).round().astype("int64")
    rate = percent(num, den).astype("Float64")
    return rate.where(done.notna() & target.notna() & (den != 0))


def e81_rows(
    ref: Reference,
    realisasi: pd.DataFrame,
    triwulan: int,
    units: list[str] | None = None,
) -> pd.DataFrame:
    """The E.81 rows at TW `triwulan` (see the module docstring for the columns).

    realisasi: stored accepted rows of quarters 1..triwulan (tasks.record.store.load_realisasi); rows of
    later quarters are ignored. units: the units counted this quarter; None = every unit present
    in `realisasi`.
    """
    if triwulan not in QUARTERS:
        raise ValueError(f"triwulan harus 1 sampai 4, bukan {triwulan}")
    plan = plan_for_quarter(ref, triwulan)
    quarter = pd.to_numeric(realisasi["triwulan"]).astype("int64")
    stored = realisasi[(quarter >= 1) & (quarter <= triwulan)].assign(triwulan=quarter)
    if units is not None:
        stored = stored[stored["unit"].isin(units)]
    # only rows of the plan: a stored row without a plan row cannot be placed in the form
    stored = stored.merge(plan[KEY], on=KEY, how="inner")
    stored = stored.assign(
        _rp=stored["realisasi_keuangan"].astype("int64"),
        _k=stored["realisasi_keluaran"].astype(float),
    )
    unit_names = ref.unit_names
    subs = _sub_rows(plan, stored, unit_names)
    program_names = pd.Series(
        ref.programs["nama_program"].to_numpy(), index=ref.programs["kode_program"]
    )
    kegiatan_names = pd.Series(
        ref.kegiatan["nama_kegiatan"].to_numpy(), index=ref.kegiatan["kode_kegiatan"]
    )
    rows = pd.concat(
        [
            _roll_up(subs, "program", program_names),
            _roll_up(subs, "kegiatan", kegiatan_names),
            subs,
            _total(subs),
        ],
        ignore_index=True,
    )
    # nomenclature order: a parent's key sorts before its children's ("" < any code)
    order = {u: i for i, u in enumerate(ref.units["unit"])}
    rows["_last"] = rows["tingkat"] == "jumlah"
    rows["_sub"] = rows["kode"].where(rows["tingkat"] == "sub_kegiatan", "")
    rows["_unit"] = rows["unit"].map(order).fillna(-1)
    rows = rows.sort_values(
        ["_last", "_program", "_kegiatan", "_sub", "_unit"], kind="stable"
    ).reset_index(drop=True)

    for col in RP_SUMMED:
        rows[col] = rows[col].astype("Int64")
    for col in K_COLUMNS:
        rows[col] = rows[col].astype("Float64")
    for col in TEXT:
        rows[col] = rows[col].fillna("").astype(str)
    rows["capaian_k_persen"] = _capaian(rows["k_sd"], rows["target_k"], _VOLUME_SCALE)
    rows["capaian_rp_persen"] = _capaian(rows["rp_sd"], rows["target_rp"])
    rows["predikat_k"] = predikat(rows["capaian_k_persen"].astype(float), ref.predikat)
    rows["predikat_rp"] = predikat(rows["capaian_rp_persen"].astype(float), ref.predikat)
    return rows[COLUMNS]
