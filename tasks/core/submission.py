"""The submission contract: one file per unit per quarter, columns from reference/kolom_pengajuan.csv."""

from __future__ import annotations

import pandas as pd

from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference, unit_plan


def columns(ref: Reference) -> list[str]:
    return list(ref.kolom["kolom"])


def input_columns(ref: Reference) -> list[str]:
    return list(ref.kolom.loc[ref.kolom["jenis"] == "isian", "kolom"])


def prefilled_frame(ref: Reference, period: Period, unit: str) -> pd.DataFrame:
    """The rows a unit must report for a quarter, pre-filled from reference data, inputs empty.

    Only the unit's rows are cut from the quarter's plan: every rejected unit gets a template.
    """
    plan = unit_plan(ref, period.triwulan, unit)
    frame = pd.DataFrame(
        {
            "tahun": period.tahun,
            "triwulan": period.triwulan,
            "unit": unit,
            "kode_sub_kegiatan": plan["kode_sub_kegiatan"],
            "nama_sub_kegiatan": plan["nama_sub_kegiatan"],
            "pagu": plan["pagu"],
            "target_keuangan": plan["target_keuangan"],
            "indikator_keluaran": plan["indikator_keluaran"],
            "satuan": plan["satuan"],
            "target_keluaran": plan["target_keluaran"],
        }
    )
    for col in input_columns(ref):
        frame[col] = None
    return frame[columns(ref)].reset_index(drop=True)
