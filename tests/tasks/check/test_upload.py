"""The portal's verdict on uploads: the run's reader and GX suite, one pass for a batch."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.filled import filled_template
from triwulan.tasks.check.upload import Upload, judge_uploads
from triwulan.tasks.core.limits import load_limits
from triwulan.tasks.core.period import Period, parse_period
from triwulan.tasks.core.reference import Reference, load_reference, unit_plan

REF = load_reference(2024)
TW2 = parse_period("2024-TW2")


@pytest.fixture()
def ref() -> Reference:
    return REF


@pytest.fixture()
def period() -> Period:
    return TW2


def test_a_faulty_cell_names_row_column_and_value_and_spares_the_batch(
    tmp_path: Path, ref: Reference, period: Period
) -> None:
    bad = filled_template(
        ref, period, "perwira", tmp_path / "p.xlsx", {(4, "realisasi_keuangan"): "dua juta"}
    )
    good = filled_template(ref, period, "harapan-jaya", tmp_path / "h.xlsx")
    items = [Upload("perwira", bad, "Perwira TW2.xlsx"), Upload("harapan-jaya", good, "HJ.xlsx")]

    faulty, fine = judge_uploads(items, ref, period, None, load_limits())

    assert faulty.status == "ditolak" and not faulty.accepted
    (problem,) = [m for m in faulty.masalah if m["tingkat"] == "galat"]
    assert (problem["baris"], problem["kolom"], problem["nilai"]) == (
        4,
        "realisasi_keuangan",
        "dua juta",
    )
    assert "rupiah" in problem["pesan"] and problem["label"].endswith("(K)")
    assert fine.status == "diterima" and fine.masalah == []
    assert fine.sheets == ("realisasi", "zona_k3")


def test_a_file_of_another_unit_is_refused_before_validation(
    tmp_path: Path, ref: Reference, period: Period
) -> None:
    """Perwira uploads Marga Mulya's file: refused, and Marga Mulya's own upload is unaffected."""
    theirs = filled_template(ref, period, "marga-mulya", tmp_path / "m.xlsx")
    mine = filled_template(ref, period, "marga-mulya", tmp_path / "m2.xlsx")
    items = [Upload("perwira", theirs, "salah.xlsx"), Upload("marga-mulya", mine, "mm.xlsx")]

    wrong, right = judge_uploads(items, ref, period, None, load_limits())

    assert wrong.status == "ditolak"
    assert "Kelurahan Marga Mulya, bukan Kelurahan Perwira" in wrong.masalah[0]["pesan"]
    assert right.status == "diterima", right.masalah


def test_an_unreadable_file_is_rejected_with_the_readers_message(
    tmp_path: Path, ref: Reference, period: Period
) -> None:
    junk = tmp_path / "rusak.xlsx"
    junk.write_bytes(b"PK\x03\x04 bukan zip yang utuh")

    (verdict,) = judge_uploads(
        [Upload("perwira", junk, "rusak.xlsx")], ref, period, None, load_limits()
    )

    assert verdict.status == "ditolak"
    assert verdict.masalah and "rusak.xlsx" in verdict.masalah[0]["pesan"]


def test_the_earlier_quarters_stored_count_against_the_pagu(
    tmp_path: Path, ref: Reference, period: Period
) -> None:
    """Row 2's TW I already spent its whole pagu: TW II's spending goes above it."""
    path = filled_template(ref, period, "perwira", tmp_path / "p.xlsx")
    first = unit_plan(ref, period.triwulan, "perwira").iloc[0]
    earlier = pd.DataFrame(
        {
            "unit": ["perwira"],
            "kode_sub_kegiatan": [first["kode_sub_kegiatan"]],
            "realisasi_keuangan": [int(first["pagu"])],
        }
    )

    (alone,) = judge_uploads([Upload("perwira", path, "p.xlsx")], ref, period, None, load_limits())
    (after,) = judge_uploads(
        [Upload("perwira", path, "p.xlsx")], ref, period, earlier, load_limits()
    )

    assert alone.status == "diterima"
    assert after.status == "ditolak"
    assert any(m["baris"] == 2 and m["kolom"] == "realisasi_keuangan" for m in after.masalah)


def test_a_batch_holds_one_upload_per_unit(tmp_path: Path, ref: Reference, period: Period) -> None:
    path = filled_template(ref, period, "perwira", tmp_path / "p.xlsx")
    twice = [Upload("perwira", path, "a.xlsx"), Upload("perwira", path, "b.xlsx")]
    with pytest.raises(ValueError):
        judge_uploads(twice, ref, period, None, load_limits())
