"""Computation on tiny frames: cumulative to date, exact rupiah, weighted fisik, predikat bands."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from triwulan.tasks.measure.compute import (
    aggregate,
    percent,
    predikat,
    quarter_detail,
    totals,
    unit_totals,
)

BANDS = pd.DataFrame(
    {
        "predikat": ["Sangat Tinggi", "Tinggi", "Sedang", "Rendah", "Sangat Rendah"],
        "batas_bawah": [91, 76, 66, 51, 0],
    }
)


def plan_rows() -> pd.DataFrame:
    """Two units, three sub-kegiatan, quarter 2 of a plan (pagu, this TW's target, target s.d. TW)."""
    base = {
        "kode_program": ["7.01.01", "7.01.03", "7.01.03"],
        "nama_program": ["P1", "P3", "P3"],
        "kode_kegiatan": ["7.01.01.2.02", "7.01.03.2.02", "7.01.03.2.02"],
        "nama_kegiatan": ["K1", "K2", "K2"],
        "kode_sub_kegiatan": ["7.01.01.2.02.0001", "7.01.03.2.02.0003", "7.01.03.2.02.0003"],
        "nama_sub_kegiatan": ["Gaji", "Pemberdayaan", "Pemberdayaan"],
        "indikator_keluaran": ["Orang", "Pokmas", "Pokmas"],
        "satuan": ["Orang", "Pokmas", "Pokmas"],
        "target_keluaran": [10.0, 100.0, 0.0],
        "unit": ["kecamatan", "kecamatan", "perwira"],
        "pagu": [1_000_000_000_001, 300, 900],
        "target_keuangan": [250_000_000_000, 0, 300],
        "target_sd": [500_000_000_001, 100, 600],
    }
    return pd.DataFrame(base)


def stored_rows() -> pd.DataFrame:
    rows = [
        # tahun, triwulan, unit, kode, keu, fisik, keluaran
        (2024, 1, "kecamatan", "7.01.01.2.02.0001", 250_000_000_001, 20.0, 2.0),
        (2024, 2, "kecamatan", "7.01.01.2.02.0001", 249_999_999_999, 45.5, 3.0),
        (2024, 1, "kecamatan", "7.01.03.2.02.0003", 100, 30.0, 10.0),
        (2024, 2, "kecamatan", "7.01.03.2.02.0003", 0, 30.0, 0.0),
        (2024, 1, "perwira", "7.01.03.2.02.0003", 100, 10.0, 1.0),
        (2024, 2, "perwira", "7.01.03.2.02.0003", 101, 33.33, 2.0),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "tahun",
            "triwulan",
            "unit",
            "kode_sub_kegiatan",
            "realisasi_keuangan",
            "realisasi_fisik",
            "realisasi_keluaran",
        ],
    )
    return frame.assign(kendala="", tindak_lanjut="")


@pytest.fixture
def detail() -> pd.DataFrame:
    names = {"kecamatan": "Kecamatan X", "perwira": "Kelurahan Perwira"}
    return quarter_detail(plan_rows(), stored_rows(), ["kecamatan", "perwira"], 2, names, BANDS)


def test_percent_is_exact_and_half_up():
    assert percent(pd.Series([1, 2, 1, 5]), pd.Series([3, 3, 8, 0])).tolist()[:3] == [
        33.33,
        66.67,
        12.5,
    ]
    assert math.isnan(percent(pd.Series([5]), pd.Series([0])).iloc[0])
    assert percent(pd.Series([1]), pd.Series([200])).iloc[0] == 0.5  # 0.5 exactly, no float drift
    assert percent(pd.Series([1]), pd.Series([80000])).iloc[0] == 0.0  # 0.00125% -> 0.00
    assert percent(pd.Series([1]), pd.Series([20000])).iloc[0] == 0.01  # 0.005% rounds half up


def test_cumulative_to_date_adds_earlier_quarters(detail):
    gaji = detail.set_index(["unit", "kode_sub_kegiatan"]).loc[("kecamatan", "7.01.01.2.02.0001")]
    assert gaji["realisasi_keuangan_tw"] == 249_999_999_999
    assert (
        gaji["realisasi_keuangan_sd_tw"] == 500_000_000_000
    )  # exact beyond float precision of cents
    assert gaji["realisasi_keluaran_sd_tw"] == 5.0
    assert gaji["realisasi_fisik_persen"] == 45.5  # fisik is cumulative as reported, not summed
    assert gaji["capaian_keuangan_sd_tw_persen"] == 100.0
    assert detail["realisasi_keuangan_sd_tw"].dtype == "int64"


def test_zero_target_quarter_has_no_capaian(detail):
    row = detail.set_index(["unit", "kode_sub_kegiatan"]).loc[("kecamatan", "7.01.03.2.02.0003")]
    assert math.isnan(row["capaian_keuangan_tw_persen"])
    assert row["capaian_keuangan_sd_tw_persen"] == 100.0
    assert row["serapan_pagu_persen"] == 33.33
    assert row["capaian_keluaran_persen"] == 10.0


def test_weighted_fisik_by_pagu(detail):
    program = aggregate(detail, "program", BANDS).set_index("kode_program")
    # P3: (300 x 30 + 900 x 33.33) / 1200 = 32.4975 -> 32.5
    assert program.loc["7.01.03", "realisasi_fisik_persen"] == 32.5
    assert program.loc["7.01.03", "pagu"] == 1200
    assert program.loc["7.01.03", "realisasi_keuangan_sd_tw"] == 301


def test_totals_are_integers_and_rates_from_sums(detail):
    t = totals(detail, BANDS)
    assert t["pagu"] == 1_000_000_001_201 and isinstance(t["pagu"], int)
    assert t["realisasi_keuangan_sd_tw"] == 500_000_000_301
    assert t["capaian_keuangan_sd_tw_persen"] == 100.0
    assert t["predikat_keuangan_sd_tw"] == "Sangat Tinggi"
    assert t["deviasi_persen"] == 0.0


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (100.0, "Sangat Tinggi"),
        (91.0, "Sangat Tinggi"),
        (90.99, "Tinggi"),
        (76.0, "Tinggi"),
        (75.5, "Sedang"),
        (66.0, "Sedang"),
        (65.0, "Rendah"),
        (51.0, "Rendah"),
        (50.99, "Sangat Rendah"),
        (0.0, "Sangat Rendah"),
    ],
)
def test_predikat_bands(value, label):
    assert predikat(pd.Series([value]), BANDS).iloc[0] == label


def test_predikat_of_undefined_capaian_is_dash():
    assert predikat(pd.Series([float("nan")]), BANDS).iloc[0] == "-"


def test_percent_stays_exact_beyond_int64_intermediates():
    # a national sum (~Rp 1.300 triliun): numerator x 20000 no longer fits int64
    national = 1_300_000_000_000_001
    assert percent(pd.Series([national]), pd.Series([1_400_000_000_000_000])).iloc[0] == 92.86
    assert percent(pd.Series([national, 1]), pd.Series([national, 3])).tolist() == [100.0, 33.33]


def test_weighted_fisik_ignores_rows_without_fisik(detail):
    missing = detail.copy()
    missing.loc[missing["unit"] == "perwira", "realisasi_fisik_persen"] = float("nan")
    program = aggregate(missing, "program", BANDS).set_index("kode_program")
    assert program.loc["7.01.03", "realisasi_fisik_persen"] == 30.0  # only the kecamatan row
    assert totals(missing, BANDS)["realisasi_fisik_persen"] == round(
        (1_000_000_000_001 * 45.5 + 300 * 30.0) / (1_000_000_000_001 + 300), 2
    )


def test_unit_totals_equal_totals_of_each_unit():
    # many units, rows interleaved, fisik partly missing, a unit with no fisik and no target
    import numpy as np

    rng = np.random.default_rng(7)
    n = 400
    units = rng.choice([f"u{i}" for i in range(37)], n)
    frame = pd.DataFrame(
        {
            "unit": units,
            "pagu": rng.integers(0, 10**12, n),
            "target_keuangan_tw": rng.integers(0, 10**11, n),
            "realisasi_keuangan_tw": rng.integers(0, 10**11, n),
            "target_keuangan_sd_tw": rng.integers(0, 10**12, n),
            "realisasi_keuangan_sd_tw": rng.integers(0, 10**12, n),
            "realisasi_fisik_persen": np.where(
                rng.random(n) < 0.2, np.nan, rng.random(n) * 100
            ).round(2),
        }
    )
    frame.loc[frame["unit"] == "u3", "realisasi_fisik_persen"] = np.nan
    frame.loc[frame["unit"] == "u4", ["target_keuangan_tw", "target_keuangan_sd_tw"]] = 0
    got = unit_totals(frame, BANDS)
    assert list(got) == list(dict.fromkeys(frame["unit"]))
    for unit, block in got.items():
        assert block == totals(frame[frame["unit"] == unit], BANDS)
    assert got["u3"]["realisasi_fisik_persen"] is None
    assert unit_totals(frame.iloc[0:0], BANDS) == {}
