"""Reference data loads, reconciles with the seed, and names file and row when it is wrong."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.units import SLUGS
from triwulan.paths import PACKAGED_REFERENCE
from triwulan.tasks.core import reference as module
from triwulan.tasks.core.errors import ReferenceDataError
from triwulan.tasks.core.reference import QUARTERS, load_reference, plan_for_quarter, unit_plan

# Tabel 3.11 of the seed: pagu per program after the APBD Perubahan (the table that adds up).
TABEL_3_11_PAGU = {
    "7.01.01": 29_564_223_620,
    "7.01.02": 380_000_000,
    "7.01.03": 16_694_865_900,
    "7.01.04": 75_000_000,
    "7.01.05": 40_000_000,
}


@pytest.fixture(scope="module")
def ref():
    return load_reference(2024)


def test_units_and_sub_kegiatan_counts(ref):
    assert list(ref.units["unit"]) == SLUGS
    counts = ref.sub_kegiatan.groupby("unit").size()
    assert counts["kecamatan"] == 25
    assert all(counts.drop("kecamatan") == 4)
    assert len(ref.sub_kegiatan) == 49  # the seed's "49 Sub Kegiatan"


def test_every_version_allocates_exactly_its_pagu(ref):
    tw = ref.anggaran[["tw1", "tw2", "tw3", "tw4"]].sum(axis=1)
    assert (tw == ref.anggaran["pagu"]).all()
    assert ref.anggaran["pagu"].dtype == "int64"


def test_murni_total_matches_tabel_2_4(ref):
    murni = ref.anggaran[ref.anggaran["versi"] == "murni"]
    assert int(murni["pagu"].sum()) == 46_273_489_520


def test_revised_pagu_per_program_matches_tabel_3_11(ref):
    plan = plan_for_quarter(ref, 4)
    per_program = plan.groupby("kode_program")["pagu"].sum().to_dict()
    assert {k: int(v) for k, v in per_program.items()} == TABEL_3_11_PAGU
    assert int(plan["pagu"].sum()) == 46_754_089_520


def test_plan_uses_the_version_in_force(ref):
    gaji = "7.01.01.2.02.0001"
    for q, pagu in [(1, 14_921_107_000), (3, 14_921_107_000), (4, 15_046_107_000)]:
        plan = plan_for_quarter(ref, q).set_index(["unit", "kode_sub_kegiatan"])
        assert plan.loc[("kecamatan", gaji), "pagu"] == pagu
    plan4 = plan_for_quarter(ref, 4).set_index(["unit", "kode_sub_kegiatan"])
    assert plan4.loc[("kecamatan", gaji), "target_sd"] == 15_046_107_000


def test_zones_and_iku(ref):
    assert len(ref.zona_k3) == 15
    assert set(ref.zona_k3["kelurahan"]) <= set(ref.units["unit"])
    wilayah = ref.iku.set_index("kode").loc["wilayah_tertib"]
    quarters = [wilayah[f"target_tw{q}"] for q in (1, 2, 3, 4)]
    assert sum(quarters) == wilayah["target_tahunan"] == 57


@pytest.fixture
def broken_reference(tmp_path, monkeypatch) -> Path:
    """A writable copy of the reference tree that tests may spoil."""
    root = tmp_path / "reference"
    shutil.copytree(PACKAGED_REFERENCE, root)
    monkeypatch.setenv("TRIWULAN_REFERENCE", str(root))
    return root / "2024"


def _edit(path: Path, edit) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(frame)
    frame.to_csv(path, index=False)


def _problems(excinfo) -> str:
    return "\n".join(excinfo.value.problems)


def test_allocation_not_adding_up_names_file_and_row(broken_reference):
    _edit(broken_reference / "anggaran.csv", lambda f: f.loc.__setitem__((0, "tw1"), "2999999"))
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    text = _problems(excinfo)
    assert "anggaran.csv baris 2" in text
    assert "pagu 3.000.000" in text and "selisih -1" in text


def test_duplicate_code_unknown_unit_and_negative_money(broken_reference):
    def spoil_sub(frame):
        frame.loc[1, "kode_sub_kegiatan"] = frame.loc[0, "kode_sub_kegiatan"]
        frame.loc[2, "unit"] = "bekasi-timur"

    _edit(broken_reference / "sub_kegiatan.csv", spoil_sub)

    def spoil_money(frame):
        frame.loc[4, "pagu"] = "-20000000"
        frame.loc[4, "tw1"] = "-20000000"

    _edit(broken_reference / "anggaran.csv", spoil_money)
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    text = _problems(excinfo)
    assert (
        "sub_kegiatan.csv baris 3: kode '7.01.01.2.01.0006' untuk unit 'kecamatan' tercatat dua kali"
        in text
    )
    assert "sub_kegiatan.csv baris 4: unit 'bekasi-timur' tidak ada di units.csv" in text
    assert "anggaran.csv baris 6: kolom pagu bernilai negatif" in text
    assert str(excinfo.value).startswith("Data referensi tidak konsisten")


def test_money_with_separators_is_refused(broken_reference):
    _edit(broken_reference / "anggaran.csv", lambda f: f.loc.__setitem__((0, "pagu"), "3.000.000"))
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    assert "anggaran.csv baris 2: kolom pagu '3.000.000' harus rupiah bilangan bulat" in _problems(
        excinfo
    )


def test_revision_may_not_rewrite_past_quarters(broken_reference):
    def spoil(frame):
        row = frame.index[frame["versi"] == "perubahan"][0]
        frame.loc[row, "tw1"] = str(int(frame.loc[row, "tw1"]) + 1)
        frame.loc[row, "tw4"] = str(int(frame.loc[row, "tw4"]) - 1)

    _edit(broken_reference / "anggaran.csv", spoil)
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    assert "mengubah alokasi tw1 yang sudah lewat" in _problems(excinfo)


def test_missing_year_is_a_clear_error():
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(1999)
    assert "Tidak ada data referensi untuk tahun 1999" in str(excinfo.value)


def test_shared_iku_tables(ref):
    assert list(ref.ikm_mutu["mutu"]) == ["A", "B", "C", "D"]
    assert list(ref.ikm_mutu["batas_bawah"]) == [88.31, 76.61, 65.0, 25.0]
    assert list(ref.akip_predikat["predikat"]) == ["AA", "A", "BB", "B", "CC", "C", "D"]
    assert pd.isna(ref.akip_predikat["lebih_dari"].iloc[-1])
    assert ref.akip_komponen["bobot"].sum() == 100
    assert set(ref.kolom_iku["lembar"]) == {"zona_k3", "skm", "akip"}


def test_gap_between_mutu_bands_names_file_and_row(broken_reference):
    _edit(
        broken_reference.parent / "ikm_mutu.csv",
        lambda f: f.loc.__setitem__((1, "batas_bawah"), "76.62"),
    )
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    assert (
        "ikm_mutu.csv baris 4: rentang mutu C berakhir di 76.60 tetapi mutu B mulai dari 76.62"
        in _problems(excinfo)
    )


def test_akip_tables_are_checked(broken_reference):
    root = broken_reference.parent
    _edit(root / "akip_predikat.csv", lambda f: f.loc.__setitem__((5, "lebih_dari"), ""))
    _edit(root / "akip_komponen.csv", lambda f: f.loc.__setitem__((2, "bobot"), "20"))
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    text = _problems(excinfo)
    assert "tepat satu predikat (yang terendah) harus berkolom lebih_dari kosong" in text
    assert "akip_komponen.csv: jumlah bobot 105 padahal harus 100" in text


def test_missing_shared_table_is_a_problem_not_a_crash(broken_reference):
    (broken_reference.parent / "kolom_iku.csv").unlink()
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    assert "kolom_iku.csv: berkas tidak ada." in _problems(excinfo)


def test_plan_is_computed_once_per_quarter_and_each_caller_gets_its_own_copy(monkeypatch):
    fresh = dataclasses.replace(load_reference(2024))  # no plan computed yet
    calls = []
    real = module._plan
    monkeypatch.setattr(module, "_plan", lambda r, q: calls.append(q) or real(r, q))
    first = plan_for_quarter(fresh, 2)
    first.loc[:, "target_sd"] = -1  # a caller changing its copy
    second = plan_for_quarter(fresh, 2)
    plan_for_quarter(fresh, 3)
    assert calls == [2, 3]
    assert (second["target_sd"] >= 0).all()
    pd.testing.assert_frame_equal(second, real(fresh, 2))


def test_unit_names_follow_units_csv(ref):
    assert list(ref.unit_names) == list(ref.units["unit"])
    assert ref.unit_names["kecamatan"] == ref.unit_name("kecamatan")


def test_unit_name_and_kecamatan_name(ref):
    assert [ref.unit_name(u) for u in ref.units["unit"]] == list(ref.units["nama"])
    assert ref.unit_name("bekasi-timur") == "bekasi-timur"  # unknown: the code itself
    kecamatan = ref.units.loc[ref.units["jenis"] == "kecamatan", "nama"].iloc[0]
    assert ref.kecamatan_name == kecamatan


def test_unit_name_is_the_first_row_s_and_a_reference_without_kecamatan_says_kecamatan(ref):
    units = pd.concat([ref.units, ref.units.assign(nama="Lain", jenis="kelurahan")])
    odd = dataclasses.replace(ref, units=units[units["jenis"] != "kecamatan"])
    assert odd.unit_name("perwira") == ref.unit_name("perwira")
    assert odd.kecamatan_name == "Kecamatan"


def test_unit_plan_is_the_quarter_plan_cut_by_unit(ref):
    for q in QUARTERS:
        plan = plan_for_quarter(ref, q)
        for unit in ref.units["unit"]:
            pd.testing.assert_frame_equal(unit_plan(ref, q, unit), plan[plan["unit"] == unit])


def test_unit_plan_of_an_unknown_unit_is_empty_with_the_plan_s_columns(ref):
    plan = plan_for_quarter(ref, 2)
    empty = unit_plan(ref, 2, "bekasi-timur")
    assert empty.empty
    pd.testing.assert_series_equal(empty.dtypes, plan.dtypes)


def test_unit_plan_is_a_copy(ref):
    mine = unit_plan(ref, 3, "perwira")
    mine.loc[:, "pagu"] = -1
    assert (unit_plan(ref, 3, "perwira")["pagu"] > 0).all()
    assert (plan_for_quarter(ref, 3)["pagu"] > 0).all()


# ------------------------------------------------------------------ one load per process


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The names of the CSV files read, in order."""
    seen: list[str] = []
    real = module._read_csv
    monkeypatch.setattr(module, "_read_csv", lambda path: seen.append(path.name) or real(path))
    return seen


@pytest.fixture
def settled(monkeypatch) -> None:
    """Files written by the test count as settled at once (no wait for the racy window)."""
    monkeypatch.setattr(module, "RACY_NS", 0)


def _rename(year: Path, unit: str, nama: str) -> None:
    _edit(year / "units.csv", lambda f: f.loc.__setitem__((f["unit"] == unit, "nama"), nama))


def test_a_year_is_read_once_while_its_files_are_unchanged(broken_reference, settled, reads):
    first = load_reference(2024)
    assert len(reads) == len(module.FILES) + len(module.OPTIONAL_FILES) + len(
        module.SHARED_REFERENCE
    )
    reads.clear()
    assert load_reference(2024) is first
    assert reads == []


@pytest.mark.parametrize("racy", ["default window", "no window"])
def test_a_corrected_csv_is_read_again(broken_reference, monkeypatch, racy):
    """A unit's name corrected between two runs of one process shows in the second."""
    if racy == "no window":  # only the files' stat tells the change
        monkeypatch.setattr(module, "RACY_NS", 0)
    before = load_reference(2024)
    assert before.unit_name("perwira") == "Kelurahan Perwira"
    _rename(broken_reference, "perwira", "Kelurahan Perwiro")  # same size
    after = load_reference(2024)
    assert after is not before
    assert after.unit_name("perwira") == "Kelurahan Perwiro"
    assert after.unit_names["perwira"] == "Kelurahan Perwiro"
    assert before.unit_name("perwira") == "Kelurahan Perwira"  # a run already under way keeps its


def test_a_corrected_shared_table_is_read_again(broken_reference, settled):
    before = load_reference(2024)
    _edit(
        broken_reference.parent / "akip_komponen.csv",
        lambda f: f.loc.__setitem__((0, "judul"), "Perencanaan Kinerja (diubah)"),
    )
    after = load_reference(2024)
    assert after is not before
    assert after.akip_komponen.loc[0, "judul"] == "Perencanaan Kinerja (diubah)"


def test_a_file_touched_back_to_its_old_stat_is_still_read_again(broken_reference, settled):
    """Same size, mtime set back (cp -p, an editor keeping times): the change time still tells."""
    load_reference(2024)
    path = broken_reference / "units.csv"
    old = path.stat()
    _rename(broken_reference, "perwira", "Kelurahan Perwiro")
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert path.stat().st_size == old.st_size and path.stat().st_mtime_ns == old.st_mtime_ns
    assert load_reference(2024).unit_name("perwira") == "Kelurahan Perwiro"


def test_a_load_right_after_a_change_is_not_reused(broken_reference, monkeypatch):
    """Changed twice within one tick of the file system's clock, a file keeps its stat.

    A load of a file changed that recently is not reused, so the second change is not missed.
    """
    now = time.time_ns()  # every file changed just now, and its stat never shows another change
    monkeypatch.setattr(module, "_stamp", lambda paths: (("all", (1, now, now, 1)),))
    first = load_reference(2024)
    assert load_reference(2024) is not first
    monkeypatch.setattr(module, "RACY_NS", 0)  # long after the change
    settled_load = load_reference(2024)
    assert load_reference(2024) is settled_load


def test_a_broken_file_is_never_cached_and_its_correction_loads(broken_reference, settled):
    path = broken_reference / "anggaran.csv"
    good = path.read_bytes()
    _edit(path, lambda f: f.loc.__setitem__((0, "tw1"), "2999999"))
    for _ in range(2):
        with pytest.raises(ReferenceDataError):
            load_reference(2024)
    path.write_bytes(good)
    assert load_reference(2024).anggaran.loc[0, "tw1"] == 3_000_000


def test_a_removed_file_is_missed_at_once(broken_reference, settled):
    load_reference(2024)
    (broken_reference / "zona_k3.csv").unlink()
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    assert "2024/zona_k3.csv: berkas tidak ada." in _problems(excinfo)


def test_each_reference_root_is_its_own(broken_reference, settled, tmp_path, monkeypatch):
    first = load_reference(2024)
    other = tmp_path / "lain"
    shutil.copytree(broken_reference.parent, other)
    _rename(other / "2024", "perwira", "Kelurahan Lain")
    monkeypatch.setenv("TRIWULAN_REFERENCE", str(other))
    second = load_reference(2024)
    assert second is not first and second.unit_name("perwira") == "Kelurahan Lain"
    monkeypatch.setenv("TRIWULAN_REFERENCE", str(broken_reference.parent))
    assert load_reference(2024) is first
