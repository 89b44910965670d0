"""A unit's pre-filled rows are its rows of the quarter's plan, cut by index instead of a filter."""

from __future__ import annotations

import pandas as pd
import pytest

from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import QUARTERS, Reference, load_reference, plan_for_quarter
from triwulan.tasks.core.submission import columns, input_columns, prefilled_frame


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference(2024)


def _filtered(ref: Reference, period: Period, unit: str) -> pd.DataFrame:
    """prefilled_frame as it was: the whole quarter's plan, filtered by unit."""
    plan = plan_for_quarter(ref, period.triwulan)
    plan = plan[plan["unit"] == unit]
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


def test_every_unit_and_quarter_gets_the_rows_it_got_before(ref):
    for q in QUARTERS:
        period = Period(2024, q)
        for unit in ref.units["unit"]:
            frame = prefilled_frame(ref, period, unit)
            assert len(frame) > 0
            pd.testing.assert_frame_equal(frame, _filtered(ref, period, unit))


def test_a_unit_without_sub_kegiatan_gets_no_rows_and_every_column(ref):
    frame = prefilled_frame(ref, Period(2024, 2), "bekasi-timur")
    assert frame.empty and list(frame.columns) == columns(ref)
    pd.testing.assert_frame_equal(frame, _filtered(ref, Period(2024, 2), "bekasi-timur"))
