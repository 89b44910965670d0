"""LKIP Tabel 3.13: the year's pagu by jenis belanja (operasi, modal) and their sub-jenis.

From reference `jenis_belanja.csv` (each sub-kegiatan's pagu in force at TW IV, split by jenis
belanja; checked on load to add up to that pagu). Every figure is a sum of rows: the subtotal
of a jenis is the sum of its sub-jenis, the TOTAL the sum of the jenis, never a printed number.
Labels and order come from the data of reference_form (JENIS_BELANJA, SUB_JENIS_BELANJA). A
year without the file gives an empty table: the LKIP then says the split is not available.
"""

from __future__ import annotations

import pandas as pd

from triwulan.tasks.core.reference import Reference
from triwulan.tasks.core.reference_form import JENIS_BELANJA, SUB_JENIS_BELANJA

COLUMNS = ["tingkat", "uraian", "pagu"]
JENIS, SUB_JENIS, TOTAL = 0, 1, -1  # tingkat of a row
TOTAL_LABEL = "TOTAL"


def jenis_belanja_table(ref: Reference) -> pd.DataFrame:
    """Rows: each jenis (tingkat 0, its subtotal) followed by its sub-jenis (tingkat 1), then
    TOTAL (tingkat -1). Both jenis are listed (0 when a year has no belanja modal); a sub-jenis
    only when the year has rows of it. Pagu are exact integers (int64)."""
    belanja = ref.jenis_belanja
    rows: list[tuple[int, str, int]] = []
    if belanja.empty:
        return _frame(rows)
    per_sub = {str(k): int(v) for k, v in belanja.groupby("sub_jenis")["pagu"].sum().items()}
    total = 0
    for jenis, label in JENIS_BELANJA.items():
        subs = [
            (SUB_JENIS, sub_label, per_sub[sub])
            for sub, (owner, sub_label) in SUB_JENIS_BELANJA.items()
            if owner == jenis and sub in per_sub
        ]
        subtotal = sum(p for _, _, p in subs)
        rows += [(JENIS, label, subtotal), *subs]
        total += subtotal
    rows.append((TOTAL, TOTAL_LABEL, total))
    return _frame(rows)


def _frame(rows: list[tuple[int, str, int]]) -> pd.DataFrame:
    tingkat, uraian, pagu = zip(*rows, strict=True) if rows else ((), (), ())
    return pd.DataFrame(
        {
            "tingkat": pd.Series(tingkat, dtype="int64"),
            "uraian": pd.Series(uraian, dtype=str),
            "pagu": pd.Series(pagu, dtype="int64"),
        }
    )
