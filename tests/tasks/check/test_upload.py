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
    twice = [Upload("perwira", path, "a.xlsx"), Upload("perwira", path, "a.xlsx")]
    with pytest.raises(ValueError):
        judge_uploads(twice, ref, period, None, load_limits())


def test_a_units_file_name_never_claims_another_uploads_problems(
    tmp_path: Path, ref: Reference, period: Period
) -> None:
    """A name with ', ' in it, or another unit's template name, changes nothing."""
    bad = filled_template(
        ref, period, "perwira", tmp_path / "p.xlsx", {(4, "realisasi_keuangan"): "dua juta"}
    )
    good = filled_template(ref, period, "harapan-jaya", tmp_path / "h.xlsx")
    sly = "realisasi-2024-TW2-harapan-jaya.xlsx, salinan.xlsx"
    items = [
        Upload("perwira", bad, sly),
        Upload("harapan-jaya", good, "realisasi-2024-TW2-harapan-jaya.xlsx"),
    ]

    faulty, fine = judge_uploads(items, ref, period, None, load_limits())

    assert fine.status == "diterima", fine.masalah
    assert faulty.status == "ditolak"
    assert all("unggahan-" not in m["pesan"] for m in faulty.masalah)

    unknown = filled_template(ref, period, "perwira", tmp_path / "u.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(unknown)
    for row in range(2, book["realisasi"].max_row + 1):
        book["realisasi"].cell(row=row, column=3, value="perwiraa")
    book.save(unknown)
    for name in ("Laporan TW2 revisi.xlsx", "Laporan TW2, revisi.xlsx"):
        (verdict,) = judge_uploads(
            [Upload("perwira", unknown, name)], ref, period, None, load_limits()
        )
        assert verdict.status == "ditolak", (name, verdict.masalah)


def test_the_inbox_is_read_for_what_each_file_holds_and_remembered(
    tmp_path: Path, ref: Reference, period: Period
) -> None:
    """A file saved from email since the last run counts: by its rows, or by its name."""
    from triwulan.tasks.check.upload import inbox_holdings

    folder = tmp_path / "TW2"
    folder.mkdir()
    filled_template(ref, period, "perwira", folder / "dari email.xlsx")
    filled_template(ref, period, "harapan-jaya", folder / "HJ.xlsx")
    (folder / "Perwira rusak.xlsx").write_bytes(b"bukan xlsx")
    (folder / "tautan.xlsx").symlink_to(folder / "HJ.xlsx")
    seen: dict = {}

    held = inbox_holdings(folder, ref.units, load_limits(), seen)

    assert set(held) == {"dari email.xlsx", "HJ.xlsx", "Perwira rusak.xlsx"}  # no link
    assert held["dari email.xlsx"].units == {"perwira"}
    assert held["dari email.xlsx"].sheets == {"realisasi", "zona_k3"}
    assert held["Perwira rusak.xlsx"].units == {"perwira"} and not held["Perwira rusak.xlsx"].sheets
    assert len(seen) == 3
    (folder / "HJ.xlsx").unlink()
    assert set(inbox_holdings(folder, ref.units, load_limits(), seen)) == {
        "dari email.xlsx",
        "Perwira rusak.xlsx",
    }


def test_what_an_accepted_upload_replaces() -> None:
    from triwulan.tasks.check.upload import Holding, superseded

    def h(units: set[str], sheets: set[str]) -> Holding:
        return Holding(frozenset(units), frozenset(sheets))

    held = {
        "portal-perwira.xlsx": h({"perwira"}, {"realisasi", "zona_k3"}),
        "dari email.xlsx": h({"perwira"}, {"realisasi", "zona_k3"}),
        "Perwira rusak.xlsx": h({"perwira"}, set()),
        "portal-perwira-zona_k3.csv": h({"perwira"}, {"zona_k3"}),
        "gabungan.xlsx": h({"perwira", "marga-mulya"}, {"realisasi"}),
        "HJ.xlsx": h({"harapan-jaya"}, {"realisasi"}),
    }
    full = superseded(held, "perwira", ("realisasi", "zona_k3"), "portal-perwira.xlsx")
    assert full == ["dari email.xlsx", "Perwira rusak.xlsx", "portal-perwira-zona_k3.csv"]
    sheet = superseded(held, "perwira", ("zona_k3",), "portal-perwira-zona_k3.csv")
    assert sheet == []  # the zona sheet inside the xlsx files stays with them
    held["lama-zona.csv"] = h({"perwira"}, {"zona_k3"})
    assert superseded(held, "perwira", ("zona_k3",), "portal-perwira-zona_k3.csv") == [
        "lama-zona.csv"
    ]


def test_an_iku_sheets_cell_is_shown_with_its_value(
    tmp_path: Path, ref: Reference, period: Period
) -> None:
    from openpyxl import load_workbook

    path = filled_template(ref, period, "perwira", tmp_path / "p.xlsx")
    book = load_workbook(path)
    book["zona_k3"].cell(row=3, column=3, value="mungkin")  # status_tertib: ya or tidak
    book.save(path)

    (verdict,) = judge_uploads(
        [Upload("perwira", path, "p.xlsx")], ref, period, None, load_limits()
    )

    (problem,) = [m for m in verdict.masalah if m["baris"] == 3]
    assert problem["kolom"] == "status_tertib (sheet zona_k3)"
    assert problem["nilai"] == "mungkin" and "zona_k3" in problem["label"]
