"""The IKU inputs of a submission: sheets `zona_k3`, `skm` and `akip` (reference/kolom_iku.csv).

A kelurahan reports the status of the zona K3 in its area; the kecamatan reports the raw answers
of the public satisfaction survey (SKM) and, in the quarter its SAKIP evaluation comes out, the
evaluation's components. In an xlsx they are sheets beside `realisasi` (identity taken from the
`realisasi` sheet of the same file); as CSV, one file per sheet with `tahun`, `triwulan` and
`unit` added, recognised by its header.
"""

from __future__ import annotations

import pandas as pd

from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference

ZONA, SKM, AKIP = "zona_k3", "skm", "akip"
IKU_SHEETS = (ZONA, SKM, AKIP)
IDENTITY = ["tahun", "triwulan", "unit"]
SCORES = [f"u{i}" for i in range(1, 10)]
# The key column that tells a CSV's sheet from its header (a realisasi CSV has none of them);
# the sheet's other columns, if missing, are then named by the rules (iku_kolom_wajib).
MARKERS: dict[str, str] = {ZONA: "no_zona", SKM: "responden", AKIP: "komponen"}
# Which unit fills which sheet (by the `jenis` of units.csv).
SHEETS_OF = {"kelurahan": (ZONA,), "kecamatan": (SKM, AKIP)}


def sheet_columns(ref: Reference, sheet: str) -> list[str]:
    """The contract columns of a sheet as an xlsx sheet has them (no identity columns)."""
    spec = ref.kolom_iku
    return list(spec.loc[spec["lembar"] == sheet, "kolom"])


def csv_columns(ref: Reference, sheet: str) -> list[str]:
    """The CSV form of a sheet: identity columns first, then the sheet's own."""
    return [*IDENTITY, *sheet_columns(ref, sheet)]


def column_spec(ref: Reference, sheet: str) -> dict[str, dict[str, str]]:
    rows = ref.kolom_iku[ref.kolom_iku["lembar"] == sheet]
    return {r["kolom"]: dict(r) for r in rows.to_dict("records")}


def sheet_of_header(header: list[str]) -> str | None:
    """The IKU sheet a CSV header belongs to, or None for a realisasi CSV."""
    names = {h.strip().lower() for h in header}
    found = [sheet for sheet, key in MARKERS.items() if key in names]
    return found[0] if len(found) == 1 else None


def sheets_for(ref: Reference, unit: str) -> tuple[str, ...]:
    """The IKU sheets a unit's template carries (a kelurahan without zona K3 gets none)."""
    match = ref.units.loc[ref.units["unit"] == unit, "jenis"]
    sheets = SHEETS_OF.get(str(match.iloc[0]) if len(match) else "", ())
    if ZONA in sheets and not (ref.zona_k3["kelurahan"] == unit).any():
        sheets = tuple(s for s in sheets if s != ZONA)
    return sheets


def prefilled_sheets(ref: Reference, period: Period, unit: str) -> dict[str, pd.DataFrame]:
    """Per IKU sheet of the unit, the rows its template starts with (inputs empty).

    zona_k3: one row per zone of the kelurahan; akip: one row per component; skm: no rows (one
    row per respondent is typed or pasted in).
    """
    out: dict[str, pd.DataFrame] = {}
    for sheet in sheets_for(ref, unit):
        cols = sheet_columns(ref, sheet)
        if sheet == ZONA:
            zones = ref.zona_k3[ref.zona_k3["kelurahan"] == unit]
            frame = pd.DataFrame(
                {"no_zona": zones["no"].astype(int), "nama_zona": zones["nama_zona"]}
            )
        elif sheet == AKIP:
            frame = pd.DataFrame({"komponen": ref.akip_komponen["komponen"]})
        else:
            frame = pd.DataFrame(columns=cols)
        out[sheet] = frame.reindex(columns=cols).reset_index(drop=True)
    return out


def with_identity(frame: pd.DataFrame, period: Period, unit: str) -> pd.DataFrame:
    """The CSV form of a sheet's frame: tahun, triwulan and unit in front."""
    out = frame.copy()
    out.insert(0, "unit", unit)
    out.insert(0, "triwulan", period.triwulan)
    out.insert(0, "tahun", period.tahun)
    return out
