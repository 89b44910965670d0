"""The committed sample inbox is realistic, adds up to the seed, and its faults are documented.

Reads the committed xlsx files the way the flows do (tasks.collect.ingest.read_submission) and applies
sample/corrections over the inbox in memory, as the demo does after a first run of a quarter.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from triwulan.paths import SAMPLE_DIR
from triwulan.tasks.check.validate import Validation, validate_quarter
from triwulan.tasks.collect.ingest import (
    FileProblem,
    find_submissions,
    read_quarter,
    read_submission,
)
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import QUARTERS, load_reference
from triwulan.tasks.core.submission import prefilled_frame

TAHUN = 2024
INBOX = SAMPLE_DIR / "inbox" / str(TAHUN)
CORRECTIONS = SAMPLE_DIR / "corrections" / str(TAHUN)
MANIFEST = SAMPLE_DIR / "corrections" / "manifest.csv"
INPUTS = ["realisasi_keuangan", "realisasi_fisik", "realisasi_keluaran", "kendala", "tindak_lanjut"]


def _load_generator():
    spec = importlib.util.spec_from_file_location("sample_generate", SAMPLE_DIR / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def _read_folder(folder: Path) -> dict[str, pd.DataFrame]:
    frames = {}
    for path in find_submissions(folder):
        frame, problem = read_submission(path)
        assert problem is None, problem
        frames[path.name] = frame
    return frames


@pytest.fixture(scope="module")
def ref():
    return load_reference(TAHUN)


@pytest.fixture(scope="module")
def seed():
    return gen.load_seed().set_index(["unit", "kode_sub_kegiatan"])


@pytest.fixture(scope="module")
def inbox() -> dict[int, dict[str, pd.DataFrame]]:
    return {q: _read_folder(INBOX / f"TW{q}") for q in QUARTERS}


@pytest.fixture(scope="module")
def corrections() -> dict[int, dict[str, pd.DataFrame]]:
    return {q: _read_folder(CORRECTIONS / f"TW{q}") for q in QUARTERS}


@pytest.fixture(scope="module")
def manifest() -> list[dict[str, str]]:
    with MANIFEST.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def by_unit(inbox, corrections) -> dict[tuple[str, int], pd.DataFrame]:
    """Corrections copied over the inbox (same file name wins), keyed by the `unit` column."""
    out = {}
    for q in QUARTERS:
        for name, frame in {**inbox[q], **corrections[q]}.items():
            units = set(frame["unit"])
            assert len(units) == 1, f"TW{q}/{name} memuat lebih dari satu unit: {units}"
            key = (units.pop(), q)
            assert key not in out, f"dua berkas untuk {key}"
            out[key] = frame
    return out


@pytest.fixture(scope="module")
def yearly(by_unit) -> pd.DataFrame:
    """All corrected rows of the year, typed."""
    frame = pd.concat(by_unit.values(), ignore_index=True)
    for col in ("triwulan", "pagu", "target_keuangan", "realisasi_keuangan", "realisasi_keluaran"):
        frame[col] = frame[col].astype("int64")
    frame["realisasi_fisik"] = frame["realisasi_fisik"].astype(float)
    return frame.sort_values(["unit", "kode_sub_kegiatan", "triwulan"], ignore_index=True)


# ---------------------------------------------------------------- pure helpers


def test_apportion_is_exact_and_respects_zero_weights():
    assert gen.apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert gen.apportion(0, [5, 0, 1]) == [0, 0, 0]
    parts = gen.apportion(1_283_859_100, [242_888_000, 0, 252_282_300, 360_491_380])
    assert sum(parts) == 1_283_859_100 and parts[1] == 0


def test_spread_keuangan_moves_excess_above_pagu_to_a_later_quarter():
    rng = np.random.default_rng(1)
    parts = gen.spread_keuangan(120, [100, 0, 0, 20], [100, 100, 100, 120], rng, noise=0.0)
    assert parts == [100, 0, 0, 20]
    # allocations that would overshoot a small early pagu
    parts = gen.spread_keuangan(150, [90, 0, 0, 10], [100, 100, 100, 150], rng, noise=0.0)
    assert sum(parts) == 150 and parts[0] <= 100 and parts[1] == parts[2] == 0


def test_all_zero_allocations_spread_evenly():
    rng = np.random.default_rng(1)
    assert sum(gen.spread_keuangan(10, [0, 0, 0, 0], [10] * 4, rng)) == 10
    assert gen.spread_keluaran(4, 100, [0, 0, 0, 0]) == [1, 1, 1, 1]


# ---------------------------------------------------------------- committed files


def test_every_unit_has_a_file_for_every_quarter_after_corrections(ref, by_unit):
    expected = {(u, q) for u in ref.units["unit"] for q in QUARTERS}
    assert set(by_unit) == expected


def test_rows_are_the_units_reference_rows(ref, by_unit):
    for (unit, q), frame in by_unit.items():
        want = prefilled_frame(ref, Period(TAHUN, q), unit)
        assert list(frame["kode_sub_kegiatan"]) == list(want["kode_sub_kegiatan"]), (unit, q)
        for col in ("pagu", "target_keuangan"):
            assert list(frame[col].astype("int64")) == list(want[col]), (unit, q, col)
        assert set(frame["tahun"]) == {str(TAHUN)} and set(frame["triwulan"]) == {str(q)}
        assert list(frame["nama_sub_kegiatan"]) == list(want["nama_sub_kegiatan"])


def test_quarters_add_up_exactly_to_the_seed(yearly, seed):
    sums = yearly.groupby(["unit", "kode_sub_kegiatan"])["realisasi_keuangan"].sum()
    assert set(sums.index) == set(seed.index)
    for key, total in sums.items():
        assert total == seed.at[key, "realisasi_keuangan_tahun"], key


def test_cumulative_realisation_stays_within_pagu_in_force(yearly):
    for key, rows in yearly.groupby(["unit", "kode_sub_kegiatan"]):
        cumulative = rows["realisasi_keuangan"].cumsum()
        assert (rows["realisasi_keuangan"] >= 0).all(), key
        assert (cumulative.to_numpy() <= rows["pagu"].to_numpy()).all(), key


def test_zero_allocation_quarters_spend_nothing(yearly):
    unfunded = yearly[yearly["target_keuangan"] == 0]
    assert (unfunded["realisasi_keuangan"] == 0).all()


def test_fisik_is_cumulative_and_ends_at_the_seed(yearly, seed):
    for key, rows in yearly.groupby(["unit", "kode_sub_kegiatan"]):
        fisik = rows["realisasi_fisik"].to_numpy()
        assert ((fisik >= 0) & (fisik <= 100)).all(), key
        assert (np.diff(fisik) >= 0).all(), key
        assert fisik[-1] == pytest.approx(seed.at[key, "realisasi_fisik_persen"]), key
        assert all(round(v, 2) == v for v in fisik), key


def test_keluaran_adds_up_to_target_times_fisik(yearly, ref, seed):
    target = ref.sub_kegiatan.set_index(["unit", "kode_sub_kegiatan"])["target_keluaran"]
    for key, rows in yearly.groupby(["unit", "kode_sub_kegiatan"]):
        assert (rows["realisasi_keluaran"] >= 0).all(), key
        want = round(target[key] * seed.at[key, "realisasi_fisik_persen"] / 100)
        assert rows["realisasi_keluaran"].sum() == want, key


def test_some_rows_explain_their_lag(yearly):
    noted = yearly[yearly["kendala"] != ""]
    assert 0 < len(noted) < len(yearly)
    assert (noted["tindak_lanjut"] != "").all()
    assert "Pencairan menunggu tagihan penyedia" in set(noted["kendala"])


def test_committed_files_match_the_generator(ref, by_unit):
    """Regenerate in memory and compare values (catches a stale commit), not xlsx bytes."""
    sample = gen.build_sample(ref, gen.load_seed())
    for key, frame in sample.correct.items():
        got = by_unit[key]
        assert list(got["realisasi_keuangan"].astype("int64")) == list(frame["realisasi_keuangan"])
        assert list(got["realisasi_fisik"].astype(float)) == list(frame["realisasi_fisik"])
        assert list(got["realisasi_keluaran"].astype("int64")) == list(frame["realisasi_keluaran"])
        for col in ("kendala", "tindak_lanjut"):
            assert list(got[col]) == list(frame[col]), (key, col)


def test_file_names_are_in_the_inbox_tree(inbox):
    assert "Realisasi TW2 Kel Perwira.xlsx" in inbox[2]
    assert sum(len(files) for files in inbox.values()) == 7 * 4 - 1


# ---------------------------------------------------------------- faults and corrections


def test_manifest_lists_every_correction_file(manifest, corrections):
    assert list(manifest[0]) == [
        "periode",
        "unit",
        "berkas",
        "jenis_kesalahan",
        "keterangan",
        "baris",
        "kolom",
    ]
    listed = {(r["periode"], r["berkas"]) for r in manifest}
    on_disk = {(f"{TAHUN}-TW{q}", name) for q in QUARTERS for name in corrections[q]}
    assert listed == on_disk
    assert all(r["keterangan"] and r["jenis_kesalahan"] for r in manifest)


def test_late_file_is_missing_from_the_first_inbox(manifest, inbox, corrections):
    late = [r for r in manifest if not r["kolom"]]
    assert [(r["periode"], r["unit"]) for r in late] == [("2024-TW2", "harapan-baru")]
    assert late[0]["berkas"] not in inbox[2]
    assert set(corrections[2][late[0]["berkas"]]["unit"]) == {"harapan-baru"}


def test_faulty_file_differs_from_its_correction_only_at_the_named_cell(
    manifest, inbox, corrections
):
    cells = [r for r in manifest if r["kolom"]]
    assert {(r["periode"], r["unit"], r["kolom"]) for r in cells} == {
        ("2024-TW1", "kaliabang-tengah", "kode_sub_kegiatan"),
        ("2024-TW3", "marga-mulya", "realisasi_keuangan"),
        ("2024-TW4", "perwira", "realisasi_fisik"),
    }
    for r in cells:
        q = int(r["periode"][-1])
        bad = inbox[q][r["berkas"]].set_index("_row")
        good = corrections[q][r["berkas"]].set_index("_row")
        assert list(bad.index) == list(good.index)
        differ = bad.drop(columns="_file") != good.drop(columns="_file")
        where = [(row, col) for row, col in zip(*np.nonzero(differ.to_numpy()), strict=True)]
        assert [(int(bad.index[i]), differ.columns[j]) for i, j in where] == [
            (int(r["baris"]), r["kolom"])
        ]
        assert f"Baris {r['baris']}, kolom {r['kolom']}" in r["keterangan"]


FAULT_RULES = {
    "kode_sub_kegiatan": "kode_milik_unit",
    "realisasi_keuangan": "realisasi_melebihi_pagu",
    "realisasi_fisik": "realisasi_fisik_rentang",
}


@pytest.fixture(scope="module")
def cell_faults(manifest) -> dict[int, dict[str, str]]:
    """Quarter -> its manifest entry, for the quarters whose inbox has a faulty cell."""
    faults = {int(r["periode"][-1]): r for r in manifest if r["kolom"]}
    assert len(faults) == len([r for r in manifest if r["kolom"]]), "one faulty file per quarter"
    return faults


@pytest.fixture(scope="module")
def validated(ref, cell_faults, by_unit) -> dict[int, tuple[Validation, list[FileProblem]]]:
    """The validator over each faulty quarter's inbox as shipped: one GX run per quarter.

    Earlier quarters count as accepted in their corrected form, as after the demo's reruns.
    """
    out = {}
    for q in cell_faults:
        raw, file_problems = read_quarter(find_submissions(INBOX / f"TW{q}"))
        earlier = pd.concat([f for (_, tw), f in by_unit.items() if tw < q] or [pd.DataFrame()])
        if not earlier.empty:
            earlier = earlier[["unit", "kode_sub_kegiatan", "realisasi_keuangan"]].astype(
                {"realisasi_keuangan": "int64"}
            )
        out[q] = (validate_quarter(raw, ref, Period(TAHUN, q), earlier=earlier), file_problems)
    return out


def test_faults_are_what_the_validator_must_catch(ref, cell_faults, validated):
    for q, fault in cell_faults.items():
        result, file_problems = validated[q]
        assert file_problems == [], q
        errors = result.problems[result.problems["severity"] == "error"]
        at_cells = errors[errors["row"].notna()]
        found = {
            (u, int(r), c, rule)
            for u, r, c, rule in at_cells[["unit", "row", "column", "rule"]].itertuples(index=False)
        }
        want = (fault["unit"], int(fault["baris"]), fault["kolom"], FAULT_RULES[fault["kolom"]])
        assert found == {want}, (q, errors.to_string())
        # a row-less error may only be a consequence in the same unit (TW I: the row whose code
        # was mistyped is then absent)
        assert set(errors["unit"]) == {fault["unit"]}, (q, errors.to_string())
        assert set(errors.loc[errors["row"].isna(), "rule"]) <= {"sub_kegiatan_lengkap"}
        assert set(errors["file"]) == {fault["berkas"]}
        rejected = {u for u, s in result.status.items() if s == "rejected"}
        assert rejected == {fault["unit"]}, q
        assert set(result.status) == set(ref.units["unit"]), q


# ---------------------------------------------------------------- determinism


def test_generation_is_deterministic(ref):
    first = gen.build_sample(ref, gen.load_seed())
    second = gen.build_sample(ref, gen.load_seed())
    assert first.faults == second.faults
    for attr in ("correct", "faulty"):
        a, b = getattr(first, attr), getattr(second, attr)
        assert a.keys() == b.keys()
        for key in a:
            pd.testing.assert_frame_equal(a[key], b[key])


def test_another_seed_gives_other_numbers_but_the_same_sums(ref, seed):
    other = gen.build_sample(ref, gen.load_seed(), seed=7)
    base = gen.build_sample(ref, gen.load_seed())
    frames = pd.concat(other.correct.values())
    sums = frames.groupby(["unit", "kode_sub_kegiatan"])["realisasi_keuangan"].sum()
    assert (sums == seed["realisasi_keuangan_tahun"].reindex(sums.index)).all()
    assert any(
        not other.correct[k]["realisasi_keuangan"].equals(base.correct[k]["realisasi_keuangan"])
        for k in base.correct
    )
