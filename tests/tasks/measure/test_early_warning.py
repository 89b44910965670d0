"""Peringatan dini: the threshold rule on hand-made rows, the sample quarter, and the TOML loader."""

from __future__ import annotations

import importlib.util
import math
import sys
from fractions import Fraction

import pandas as pd
import pytest

from triwulan.paths import SAMPLE_DIR
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.reference import load_reference, plan_for_quarter
from triwulan.tasks.measure.compute import quarter_detail
from triwulan.tasks.measure.early_warning import (
    COLUMNS,
    all_warnings,
    behind_plan,
    early_warnings,
    load_thresholds,
)


def detail_rows() -> pd.DataFrame:
    """(kode, pagu, target s.d. TW, realisasi s.d. TW, kendala) of one unit's detail rows."""
    rows = [
        ("A.0001", 1_000_000, 500_000, 400_000, ""),  # deviasi 10,00: at the threshold
        ("A.0002", 1_000_000, 500_000, 399_900, "Tagihan belum masuk"),  # 10,01: just above
        ("A.0003", 100_000_000, 3_000_000, 0, "Menunggu jadwal"),  # nothing spent, 3,00
        ("A.0004", 1_000_000, 0, 0, ""),  # no target yet: nothing to lag behind
        ("A.0005", 2_000_000, 1_500_000, 1_000_000, ""),  # 25,00
        ("A.0006", 1_000_000_000, 600_000_000, 500_050_000, ""),  # 9,995 printed as 10,00
        ("A.0007", 1_000_000, 100_000, 900_000, ""),  # ahead of plan
        ("A.0008", 1_000_000, 600_000, 0, "Pengadaan belum selesai"),  # both reasons
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "kode_sub_kegiatan",
            "pagu",
            "target_keuangan_sd_tw",
            "realisasi_keuangan_sd_tw",
            "kendala",
        ],
    )
    return frame.assign(
        unit="perwira",
        nama_unit="Kelurahan Perwira",
        nama_sub_kegiatan="Sub " + frame["kode_sub_kegiatan"],
        tindak_lanjut=frame["kendala"].map(lambda k: f"Tindak lanjut: {k}" if k else ""),
    )


def test_threshold_is_exclusive_and_zero_realisation_is_flagged():
    flagged = all_warnings(detail_rows(), 10)
    assert list(flagged.columns) == COLUMNS
    got = flagged[["kode_sub_kegiatan", "selisih_rupiah", "deviasi_persen", "alasan"]]
    assert got.values.tolist() == [
        ["A.0003", 3_000_000, 3.0, "tanpa realisasi"],
        ["A.0008", 600_000, 60.0, "tanpa realisasi"],
        ["A.0005", 500_000, 25.0, "tertinggal dari rencana lebih dari 10% pagu"],
        ["A.0002", 100_100, 10.01, "tertinggal dari rencana lebih dari 10% pagu"],
    ]  # sorted by rupiah at stake; A.0001 (10,00) and A.0006 (10,00 printed) not flagged
    assert flagged["selisih_rupiah"].dtype == "int64"


def test_the_reason_says_the_threshold_in_force_in_plain_words():
    assert behind_plan(10) == "tertinggal dari rencana lebih dari 10% pagu"
    assert behind_plan(7.5) == "tertinggal dari rencana lebih dari 7,5% pagu"
    reasons = set(all_warnings(detail_rows(), 7.5)["alasan"])
    assert reasons == {"tanpa realisasi", "tertinggal dari rencana lebih dari 7,5% pagu"}
    assert not any("ambang" in r or "deviasi" in r for r in reasons)


def test_the_reason_takes_its_number_from_peringatan_toml(tmp_path, monkeypatch):
    (tmp_path / "peringatan.toml").write_text("deviasi_persen = 12.5\n", encoding="utf-8")
    monkeypatch.setenv("TRIWULAN_REFERENCE", str(tmp_path))
    threshold = load_thresholds({})["deviasi_persen"]
    reasons = set(all_warnings(detail_rows(), threshold)["alasan"])
    assert "tertinggal dari rencana lebih dari 12,5% pagu" in reasons


def test_kendala_and_tindak_lanjut_are_carried():
    flagged = all_warnings(detail_rows(), 10).set_index("kode_sub_kegiatan")
    assert flagged.loc["A.0002", "kendala"] == "Tagihan belum masuk"
    assert flagged.loc["A.0008", "tindak_lanjut"] == "Tindak lanjut: Pengadaan belum selesai"
    assert flagged.loc["A.0005", "kendala"] == ""
    assert flagged.loc["A.0003", "nama_unit"] == "Kelurahan Perwira"


def test_lower_threshold_flags_the_rows_at_ten():
    codes = set(all_warnings(detail_rows(), 9.99)["kode_sub_kegiatan"])
    assert codes == {"A.0001", "A.0002", "A.0003", "A.0005", "A.0006", "A.0008"}


def test_limit_and_count_of_the_rest():
    shown = early_warnings(detail_rows(), 10, limit=2)
    assert shown["kode_sub_kegiatan"].tolist() == ["A.0003", "A.0008"]
    assert shown.attrs == {"jumlah": 4, "lainnya": 2}
    assert early_warnings(detail_rows(), 10).attrs == {"jumlah": 4, "lainnya": 0}
    none = early_warnings(detail_rows().iloc[:0], 10)
    assert none.empty and list(none.columns) == COLUMNS and none.attrs["jumlah"] == 0


def test_ties_are_ordered_by_unit_then_code():
    rows = detail_rows().iloc[[4, 4, 4]].reset_index(drop=True)
    rows["unit"] = ["teluk-pucung", "harapan-jaya", "harapan-jaya"]
    rows["kode_sub_kegiatan"] = ["X.2", "X.9", "X.1"]
    flagged = all_warnings(rows, 10)
    assert list(zip(flagged["unit"], flagged["kode_sub_kegiatan"], strict=True)) == [
        ("harapan-jaya", "X.1"),
        ("harapan-jaya", "X.9"),
        ("teluk-pucung", "X.2"),
    ]


def test_sample_quarter_matches_the_rule_row_by_row():
    """2024 TW II of the sample: every row is flagged exactly when the rule says so."""
    spec = importlib.util.spec_from_file_location("sample_generate", SAMPLE_DIR / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = gen
    spec.loader.exec_module(gen)
    ref = load_reference(2024)
    correct = gen.build_sample(ref, gen.load_seed()).correct
    stored = pd.concat([f for (_, q), f in correct.items() if q <= 2], ignore_index=True)
    names = dict(zip(ref.units["unit"], ref.units["nama"], strict=True))
    detail = quarter_detail(plan_for_quarter(ref, 2), stored, list(names), 2, names, ref.predikat)
    flagged = all_warnings(detail, 10).set_index(["unit", "kode_sub_kegiatan"])
    expected = {}
    for r in detail.to_dict("records"):
        target, done, pagu = (
            int(r["target_keuangan_sd_tw"]),
            int(r["realisasi_keuangan_sd_tw"]),
            int(r["pagu"]),
        )
        printed = math.floor(Fraction(target - done, pagu) * 10000 + Fraction(1, 2)) / 100
        if done == 0 and target > 0:
            expected[(r["unit"], r["kode_sub_kegiatan"])] = "tanpa realisasi"
        elif printed > 10:
            expected[(r["unit"], r["kode_sub_kegiatan"])] = behind_plan(10)
    assert dict(flagged["alasan"]) == expected
    assert len(expected) >= 3  # the sample lags somewhere at TW II
    assert flagged["selisih_rupiah"].is_monotonic_decreasing


# ------------------------------------------------------------------------- thresholds file


def test_shipped_thresholds():
    assert load_thresholds({}) == {"deviasi_persen": 10.0, "baris_maks": 20}


def test_environment_overrides_the_deviasi(monkeypatch):
    assert load_thresholds({"TRIWULAN_PERINGATAN_DEVIASI": "7,5"})["deviasi_persen"] == 7.5
    assert load_thresholds({"TRIWULAN_PERINGATAN_DEVIASI": " "})["deviasi_persen"] == 10.0
    monkeypatch.setenv("TRIWULAN_PERINGATAN_DEVIASI", "15")
    assert load_thresholds()["deviasi_persen"] == 15.0
    for bad in ("sepuluh", "-1", "101", "nan"):
        with pytest.raises(TriwulanError, match="TRIWULAN_PERINGATAN_DEVIASI"):
            load_thresholds({"TRIWULAN_PERINGATAN_DEVIASI": bad})


def test_reference_root_file_wins_and_a_root_without_it_uses_the_shipped_one(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIWULAN_REFERENCE", str(tmp_path))
    assert load_thresholds({})["deviasi_persen"] == 10.0  # no peringatan.toml there
    (tmp_path / "peringatan.toml").write_text(
        "deviasi_persen = 12.5\nbaris_maks = 5\n", encoding="utf-8"
    )
    assert load_thresholds({}) == {"deviasi_persen": 12.5, "baris_maks": 5}
    (tmp_path / "peringatan.toml").write_text("deviasi_persen = 150\n", encoding="utf-8")
    with pytest.raises(TriwulanError, match="deviasi_persen = '150' tidak sah"):
        load_thresholds({})
    (tmp_path / "peringatan.toml").write_text("baris_maks = 5\n", encoding="utf-8")
    with pytest.raises(TriwulanError, match="deviasi_persen belum diisi"):
        load_thresholds({})
