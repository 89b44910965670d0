"""The mid-year revision as a pure function, and the year loader's rules for revisions.

Frames are the packaged 2024 year read as text; the revision workbook is the same frames as
read_book gives them (with `_baris`, the sheet's row), changed in the test.
"""

from __future__ import annotations

import pandas as pd
import pytest

from triwulan.paths import PACKAGED_REFERENCE
from triwulan.tasks.core.reference_book import FIRST_ROW, read_year_text, starting_point
from triwulan.tasks.core.reference_checks import check_frames
from triwulan.tasks.core.reference_revision import in_force_before, revise

SUB = "7.01.01.2.06.0009"  # kecamatan; murni 90.000.000 in 2024, 160.000.000 from TW IV
LAPORAN = "7.01.01.2.01.0006"  # kecamatan; Laporan Capaian Kinerja, 3.000.000 all in TW I


@pytest.fixture(scope="module")
def year() -> dict[str, pd.DataFrame]:
    """2024 with its murni budget only: a year before any revision."""
    return starting_point(read_year_text(PACKAGED_REFERENCE / "2024"))


def _book(year: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The year as a revision workbook reads back: sheet rows numbered from row 3."""
    book = {}
    for name, frame in year.items():
        numbered = frame.copy().reset_index(drop=True)
        numbered["_baris"] = [str(FIRST_ROW + i) for i in range(len(numbered))]
        numbered.attrs["huruf"] = {k: chr(ord("A") + j) for j, k in enumerate(frame.columns)}
        book[name] = numbered
    return book


def _row(book: dict[str, pd.DataFrame], code: str, unit: str = "kecamatan") -> int:
    ang = book["anggaran.csv"]
    return int(ang.index[(ang["unit"] == unit) & (ang["kode_sub_kegiatan"] == code)][0])


def _set(book: dict[str, pd.DataFrame], code: str, **amounts: int) -> int:
    i = _row(book, code)
    for column, value in amounts.items():
        book["anggaran.csv"].loc[i, column] = str(value)
    return i


def _nothing_realised() -> pd.DataFrame:
    return pd.DataFrame(columns=["unit", "kode_sub_kegiatan", "realisasi_keuangan"])


def test_raising_one_pagu_and_lowering_another_adds_two_perubahan_rows(year):
    book = _book(year)
    before = book["anggaran.csv"].iloc[_row(book, SUB)]
    _set(book, SUB, pagu=100_000_000, tw3=int(before["tw3"]) + 10_000_000)
    _set(book, "7.01.01.2.09.0001", pagu=90_000_000, tw3=37_500_000)  # murni 100.000.000
    revision = revise(year, book, 3, _nothing_realised())
    assert revision.problems == []
    ang = revision.files["anggaran.csv"]
    added = ang[ang["versi"] == "perubahan"]
    assert sorted(added["kode_sub_kegiatan"]) == ["7.01.01.2.06.0009", "7.01.01.2.09.0001"]
    assert set(added["berlaku_mulai_tw"]) == {"3"}
    assert len(ang) == len(year["anggaran.csv"]) + 2  # the murni rows stay as they were
    table = revision.changes.set_index("kode_sub_kegiatan")
    assert table.loc[SUB, "status"] == "pagu naik"
    assert (table.loc[SUB, "pagu_lama"], table.loc[SUB, "pagu_baru"]) == (90_000_000, 100_000_000)
    assert table.loc["7.01.01.2.09.0001", "status"] == "pagu turun"
    assert check_frames(2024, {**revision.files, **_numbered(revision.files)}) == []


def _numbered(files: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {n: f.assign(_baris=[str(i + 2) for i in range(len(f))]) for n, f in files.items()}


def test_a_past_quarter_changed_is_refused_at_its_cell(year):
    book = _book(year)
    i = _set(book, SUB, tw1=1, pagu=90_000_000 - 12_500_000 + 1)
    revision = revise(year, book, 3, _nothing_realised())
    assert revision.files == {}
    [problem] = revision.problems
    assert (problem["lembar"], problem["baris"], problem["kolom"]) == (
        "anggaran",
        FIRST_ROW + i,
        "tw1",
    )
    assert problem["huruf"] == "F"
    assert "TW I" in problem["pesan"] and "Rp 12.500.000" in problem["pesan"]


def test_a_pagu_below_accepted_realisation_is_refused_naming_the_sub_kegiatan(year):
    book = _book(year)
    i = _set(book, LAPORAN, pagu=2_000_000, tw1=2_000_000)
    realised = pd.DataFrame(
        [["kecamatan", LAPORAN, 1_500_000], ["kecamatan", LAPORAN, 1_000_000]],
        columns=["unit", "kode_sub_kegiatan", "realisasi_keuangan"],
    )
    revision = revise(year, book, 2, realised)
    problems = [p for p in revision.problems if p["kolom"] == "pagu"]
    assert len(problems) == 1 and problems[0]["baris"] == FIRST_ROW + i
    assert "Laporan Capaian Kinerja" in problems[0]["pesan"]
    assert "Rp 2.500.000" in problems[0]["pesan"] and "Rp 2.000.000" in problems[0]["pesan"]
    assert revision.files == {}


def test_a_new_sub_kegiatan_joins_and_an_unrealised_one_leaves(year):
    book = _book(year)
    new_code = "7.01.01.2.06.0099"
    sub = book["sub_kegiatan.csv"]
    template = sub[sub["kode_sub_kegiatan"] == SUB].iloc[0].to_dict()
    book["sub_kegiatan.csv"] = pd.concat(
        [sub, pd.DataFrame([{**template, "kode_sub_kegiatan": new_code, "_baris": "99"}])],
        ignore_index=True,
    )
    ang = book["anggaran.csv"]
    row = {**ang.iloc[_row(book, SUB)].to_dict(), "kode_sub_kegiatan": new_code}
    row.update(pagu="50000000", tw1="0", tw2="0", tw3="20000000", tw4="30000000", _baris="99")
    book["anggaran.csv"] = pd.concat(
        [ang.drop(index=_row(book, LAPORAN)), pd.DataFrame([row])], ignore_index=True
    )
    revision = revise(year, book, 3, _nothing_realised())
    assert revision.problems == []
    status = dict(
        zip(revision.changes["kode_sub_kegiatan"], revision.changes["status"], strict=True)
    )
    assert status == {new_code: "baru", LAPORAN: "dihapus"}
    files = revision.files
    assert new_code in set(files["sub_kegiatan.csv"]["kode_sub_kegiatan"])
    removed = files["anggaran.csv"][files["anggaran.csv"]["kode_sub_kegiatan"] == LAPORAN]
    assert removed[["pagu", "tw1", "tw2", "tw3", "tw4"]].iloc[-1].tolist() == ["0"] * 5
    assert check_frames(2024, _numbered(files)) == []


def test_a_realised_sub_kegiatan_cannot_be_removed(year):
    book = _book(year)
    book["anggaran.csv"] = book["anggaran.csv"].drop(index=_row(book, LAPORAN))
    realised = pd.DataFrame(
        [["kecamatan", LAPORAN, 3_000_000]],
        columns=["unit", "kode_sub_kegiatan", "realisasi_keuangan"],
    )
    revision = revise(year, book, 3, realised)
    [problem] = revision.problems
    assert "tidak boleh dihapus" in problem["pesan"] and "Rp 3.000.000" in problem["pesan"]


def test_a_new_sub_kegiatan_may_not_claim_past_quarters(year):
    book = _book(year)
    ang = book["anggaran.csv"]
    row = {**ang.iloc[_row(book, SUB)].to_dict(), "kode_sub_kegiatan": "7.01.01.2.06.0098"}
    row.update(pagu="30", tw1="10", tw2="0", tw3="10", tw4="10", _baris="80")
    book["anggaran.csv"] = pd.concat([ang, pd.DataFrame([row])], ignore_index=True)
    revision = revise(year, book, 3, _nothing_realised())
    assert [(p["baris"], p["kolom"]) for p in revision.problems] == [(80, "tw1")]


def test_a_revision_must_start_after_the_versions_already_there():
    year = read_year_text(PACKAGED_REFERENCE / "2024")  # with its perubahan from TW IV
    revision = revise(year, _book(year), 3, _nothing_realised())
    assert "TW IV" in revision.problems[0]["pesan"] and revision.files == {}


def test_the_budget_in_force_before_a_quarter_follows_every_revision():
    year = read_year_text(PACKAGED_REFERENCE / "2024")
    murni = in_force_before(year["anggaran.csv"], 4)
    revised = in_force_before(year["anggaran.csv"], 5)
    assert set(murni["versi"]) == {"murni"}
    assert (revised["kode_sub_kegiatan"] == SUB).any()
    assert revised.loc[revised["kode_sub_kegiatan"] == SUB, "pagu"].item() == "160000000"


# --- the year loader's revision rules (changed on purpose since the frozen checks) -------------


def _with_rows(year: dict[str, pd.DataFrame], *rows: dict[str, str]) -> dict[str, pd.DataFrame]:
    files = dict(year)
    files["anggaran.csv"] = pd.concat([year["anggaran.csv"], pd.DataFrame(rows)], ignore_index=True)
    return _numbered(files)


def _revision_row(year, code: str, start: str, **amounts: int) -> dict[str, str]:
    ang = year["anggaran.csv"]
    base = ang[(ang["unit"] == "kecamatan") & (ang["kode_sub_kegiatan"] == code)].iloc[-1]
    row = {**base.to_dict(), "versi": "perubahan", "berlaku_mulai_tw": start}
    row.update({k: str(v) for k, v in amounts.items()})
    return row


def test_a_second_revision_is_compared_with_the_first_not_with_murni(year):
    first = _revision_row(year, SUB, "3", tw3=40_000_000, tw4=75_000_000)  # 12.5+32.5+40+75
    first["pagu"] = "160000000"
    second = {**first, "berlaku_mulai_tw": "4", "tw4": "85000000", "pagu": "170000000"}
    assert check_frames(2024, _with_rows(year, first, second)) == []
    wrong = {**second, "tw3": "30000000", "pagu": "160000000"}  # undoes TW III of the first
    [message] = check_frames(2024, _with_rows(year, first, wrong))
    assert message.startswith("anggaran.csv baris")
    assert "mengubah alokasi tw3 yang sudah lewat (40000000 menjadi 30000000)" in message


def test_a_sub_kegiatan_with_only_a_revision_had_nothing_before(year):
    files = dict(year)
    sub = year["sub_kegiatan.csv"]
    files["sub_kegiatan.csv"] = pd.concat(
        [sub, sub[sub["kode_sub_kegiatan"] == SUB].assign(kode_sub_kegiatan="7.01.01.2.06.0097")],
        ignore_index=True,
    )
    row = _revision_row(year, SUB, "3", pagu=20, tw1=0, tw2=0, tw3=10, tw4=10)
    row["kode_sub_kegiatan"] = "7.01.01.2.06.0097"
    files["anggaran.csv"] = pd.concat(
        [year["anggaran.csv"], pd.DataFrame([row])], ignore_index=True
    )
    assert check_frames(2024, _numbered(files)) == []
    files["anggaran.csv"].loc[len(files["anggaran.csv"]) - 1, ["tw1", "tw3"]] = ["5", "5"]
    [message] = check_frames(2024, _numbered(files))
    assert "mengubah alokasi tw1 yang sudah lewat (0 menjadi 5)" in message


def test_a_removal_with_every_amount_zero_is_allowed(year):
    row = _revision_row(year, LAPORAN, "3", pagu=0, tw1=0, tw2=0, tw3=0, tw4=0)
    assert check_frames(2024, _with_rows(year, row)) == []


def test_a_row_with_every_amount_zero_removes_as_leaving_it_out_does(year):
    zeroed, left_out = _book(year), _book(year)
    _set(zeroed, LAPORAN, pagu=0, tw1=0, tw2=0, tw3=0, tw4=0)
    left_out["anggaran.csv"] = left_out["anggaran.csv"].drop(index=_row(left_out, LAPORAN))
    one = revise(year, zeroed, 3, _nothing_realised())
    other = revise(year, left_out, 3, _nothing_realised())
    assert one.problems == [] and other.problems == []
    assert one.files["anggaran.csv"].equals(other.files["anggaran.csv"])
    assert list(one.changes["status"]) == ["dihapus"]


def test_a_sub_kegiatan_twice_in_the_revision_is_refused_at_the_second_row(year):
    book = _book(year)
    ang = book["anggaran.csv"]
    again = ang.iloc[[_row(book, SUB)]].assign(_baris="90", versi="perubahan")
    book["anggaran.csv"] = pd.concat([ang, again], ignore_index=True)
    revision = revise(year, book, 3, _nothing_realised())
    assert [(p["baris"], p["kolom"], p["huruf"]) for p in revision.problems] == [
        (90, "kode_sub_kegiatan", "B")
    ]
    assert revision.files == {}


def test_a_revision_that_changes_nothing_installs_nothing(year):
    revision = revise(year, _book(year), 3, _nothing_realised())
    assert revision.problems == [] and revision.files == {} and revision.changes.empty
    assert "tidak ada yang dipasang" in revision.notes[0]


def test_quarters_already_reported_from_the_revision_on_are_named(year):
    book = _book(year)
    _set(book, SUB, pagu=100_000_000, tw4=25_000_000)
    realised = pd.DataFrame(
        [["perwira", "7.01.03.2.02.0003", 3, 10], ["perwira", "7.01.03.2.02.0003", 1, 10]],
        columns=["unit", "kode_sub_kegiatan", "triwulan", "realisasi_keuangan"],
    )
    revision = revise(year, book, 3, realised)
    assert revision.files and any("TW III sudah punya realisasi" in n for n in revision.notes)


def test_a_new_year_starts_with_the_sub_kegiatan_a_revision_added(year):
    files = dict(year)
    sub = year["sub_kegiatan.csv"]
    new_code = "7.01.01.2.06.0096"
    files["sub_kegiatan.csv"] = pd.concat(
        [sub, sub[sub["kode_sub_kegiatan"] == SUB].assign(kode_sub_kegiatan=new_code)],
        ignore_index=True,
    )
    row = _revision_row(year, SUB, "3", pagu=20, tw1=0, tw2=0, tw3=10, tw4=10)
    row["kode_sub_kegiatan"] = new_code
    files["anggaran.csv"] = pd.concat(
        [year["anggaran.csv"], pd.DataFrame([row])], ignore_index=True
    )
    start = starting_point(files)
    ang = start["anggaran.csv"]
    added = ang[ang["kode_sub_kegiatan"] == new_code]
    assert added[["versi", "berlaku_mulai_tw", "pagu"]].values.tolist() == [["murni", "1", "20"]]
    assert set(ang["versi"]) == {"murni"} and len(ang) == len(year["anggaran.csv"]) + 1
    assert check_frames(2025, _numbered(start)) == []


def test_a_revision_takes_the_new_split_by_jenis_belanja_from_its_workbook(year):
    book = _book(year)
    _set(book, SUB, pagu=100_000_000, tw4=25_000_000)
    split = pd.DataFrame(
        [["kecamatan", SUB, "operasi", "barang_jasa", "100000000", "7"]],
        columns=["unit", "kode_sub_kegiatan", "jenis", "sub_jenis", "pagu", "_baris"],
    )
    book["jenis_belanja.csv"] = split
    revision = revise(year, book, 3, _nothing_realised())
    assert revision.files["jenis_belanja.csv"].equals(split.drop(columns="_baris"))
    book.pop("jenis_belanja.csv")
    kept = revise(year, book, 3, _nothing_realised()).files["jenis_belanja.csv"]
    assert kept.equals(year["jenis_belanja.csv"])  # without the sheet: the installed split
