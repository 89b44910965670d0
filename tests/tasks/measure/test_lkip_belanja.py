"""LKIP Tabel 3.13: the pagu by jenis belanja, every figure a sum of jenis_belanja.csv rows.

The 2024 figures are the seed's (BELANJA OPERASI 45.412.821.520 = pegawai 15.046.107.000 +
barang dan jasa 30.366.714.520, BELANJA MODAL 1.341.268.000, TOTAL 46.754.089.520); the total
must equal the pagu in force at TW IV (after the APBD Perubahan) over all sub-kegiatan.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from triwulan.tasks.core.reference import load_reference, plan_for_quarter
from triwulan.tasks.core.reference_form import JENIS_BELANJA, SUB_JENIS_BELANJA
from triwulan.tasks.measure.lkip_belanja import COLUMNS, jenis_belanja_table


@pytest.fixture(scope="module")
def ref():
    return load_reference(2024)


def _pagu(table: pd.DataFrame, uraian: str) -> int:
    match = table.loc[table["uraian"] == uraian, "pagu"]
    assert len(match) == 1, uraian
    return int(match.iloc[0])


def test_2024_reproduces_tabel_3_13(ref):
    table = jenis_belanja_table(ref)
    assert list(table.columns) == COLUMNS
    assert list(zip(table["tingkat"], table["uraian"], table["pagu"], strict=True)) == [
        (0, "BELANJA OPERASI", 45_412_821_520),
        (1, "Belanja Pegawai", 15_046_107_000),
        (1, "Belanja Barang dan Jasa", 30_366_714_520),
        (0, "BELANJA MODAL", 1_341_268_000),
        (1, "Belanja Modal Peralatan dan Mesin", 50_000_000),
        (1, "Belanja Modal Gedung dan Bangunan", 1_291_268_000),
        (-1, "TOTAL", 46_754_089_520),
    ]
    assert table["pagu"].dtype == "int64" and table["tingkat"].dtype == "int64"


def test_the_total_is_the_pagu_in_force_at_tw_iv(ref):
    table = jenis_belanja_table(ref)
    plan = plan_for_quarter(ref, 4)
    assert _pagu(table, "TOTAL") == int(plan["pagu"].sum()) == 46_754_089_520
    # the murni budget (Tabel 2.4) would give another total
    murni = ref.anggaran[ref.anggaran["versi"] == "murni"]
    assert _pagu(table, "TOTAL") != int(murni["pagu"].sum())


def test_each_sub_kegiatan_is_split_exactly(ref):
    split = ref.jenis_belanja.groupby(["unit", "kode_sub_kegiatan"])["pagu"].sum()
    plan = plan_for_quarter(ref, 4).set_index(["unit", "kode_sub_kegiatan"])["pagu"]
    assert split.sort_index().to_dict() == plan.sort_index().to_dict()


def test_subtotals_and_total_are_sums_of_rows(ref):
    table = jenis_belanja_table(ref)
    jenis_rows = table.index[table["tingkat"] == 0].tolist()
    ends = [*jenis_rows[1:], int(table.index[table["tingkat"] == -1][0])]
    for start, end in zip(jenis_rows, ends, strict=True):
        subs = table.loc[start + 1 : end - 1]
        assert (subs["tingkat"] == 1).all()
        assert int(table.loc[start, "pagu"]) == int(subs["pagu"].sum())
    assert _pagu(table, "TOTAL") == int(table.loc[jenis_rows, "pagu"].sum())
    assert _pagu(table, "TOTAL") == int(ref.jenis_belanja["pagu"].sum())


def test_the_seed_prose_figures(ref):
    """Belanja pegawai is Penyediaan Gaji dan Tunjangan ASN; no hibah row."""
    rows = ref.jenis_belanja
    pegawai = rows[rows["sub_jenis"] == "pegawai"]
    assert list(pegawai["kode_sub_kegiatan"]) == ["7.01.01.2.02.0001"]
    assert int(pegawai["pagu"].sum()) == 15_046_107_000
    assert int(rows.loc[rows["sub_jenis"] == "barang_jasa", "pagu"].sum()) == 30_366_714_520
    assert "Belanja Hibah" not in set(jenis_belanja_table(ref)["uraian"])


def test_without_the_file_the_table_is_empty(ref):
    empty = replace(ref, jenis_belanja=ref.jenis_belanja.iloc[0:0])
    table = jenis_belanja_table(empty)
    assert table.empty
    assert list(table.columns) == COLUMNS


def test_a_year_without_belanja_modal_lists_it_at_zero(ref):
    rows = pd.DataFrame(
        {
            "unit": ["kecamatan", "kecamatan", "perwira"],
            "kode_sub_kegiatan": ["7.01.01.2.02.0001", "7.01.01.2.01.0006", "7.01.03.2.03.0001"],
            "jenis": ["operasi"] * 3,
            "sub_jenis": ["pegawai", "barang_jasa", "hibah"],
            "pagu": pd.Series([10**17, 3, 0], dtype="int64"),
        }
    )
    table = jenis_belanja_table(replace(ref, jenis_belanja=rows))
    assert list(zip(table["tingkat"], table["uraian"], table["pagu"], strict=True)) == [
        (0, "BELANJA OPERASI", 10**17 + 3),
        (1, "Belanja Pegawai", 10**17),
        (1, "Belanja Barang dan Jasa", 3),
        (1, "Belanja Hibah", 0),
        (0, "BELANJA MODAL", 0),
        (-1, "TOTAL", 10**17 + 3),
    ]


def test_every_sub_jenis_belongs_to_a_jenis_and_has_a_label():
    for key, (jenis, label) in SUB_JENIS_BELANJA.items():
        assert jenis in JENIS_BELANJA, key
        assert label.startswith("Belanja "), key
        assert (jenis == "modal") == key.startswith("modal_"), key
