"""`triwulan referensi periksa` / `pasang`: every check of the reference workbook, one test each.

The 2025 workbook is written from 2024 once per module. Each case breaks a copy of it with
openpyxl the way a secretariat might (a cell typed wrong or left empty, a row twice, a sheet
deleted, a header cleared) and installs it into a fresh reference root: the problem must sit at
its sheet, row and column under its rule id, and nothing may be installed. A warning does not
block: that workbook is installed, the warning reported with it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import column_index_from_string
from openpyxl.worksheet.worksheet import Worksheet

from triwulan.paths import EXPECTATIONS_DIR, PACKAGED_REFERENCE
from triwulan.tasks.core.reference_book import (
    CHECK,
    FIRST_ROW,
    labels,
    read_year_text,
    starting_point,
    write_book,
)
from triwulan.tasks.record.reference_install import Outcome, install_book
from triwulan.tasks.record.reference_log import installs
from triwulan.tasks.setup import open_database

TAHUN = 2025
SUITE = json.loads((EXPECTATIONS_DIR / "referensi.json").read_text(encoding="utf-8"))
GX_RULES = {e["meta"]["rule"]: e for e in SUITE["expectations"]}
OTHER_RULES = set(SUITE["uraian_lain"])  # the rules reported outside GX

Edit = Callable[[Workbook], None]


# --- ways to break the workbook -----------------------------------------------------------------


def cell(sheet: str, ref: str, value: Any) -> Edit:
    """Type `value` into one cell (None: empty it)."""

    def edit(book: Workbook) -> None:
        book[sheet][ref].value = value

    return edit


def row(sheet: str, at: int, *values: Any) -> Edit:
    """Write a whole row from column A (a row added below the data)."""

    def edit(book: Workbook) -> None:
        for j, value in enumerate(values, start=1):
            book[sheet].cell(row=at, column=j).value = value

    return edit


def copy_row(sheet: str, source: int, at: int) -> Edit:
    """Copy one data row's cells to row `at` (a row entered twice)."""

    def edit(book: Workbook) -> None:
        ws = book[sheet]
        for j, key in enumerate(_keys(ws), start=1):
            if key and key != CHECK:  # the sheet's own formula column stays as written
                ws.cell(row=at, column=j).value = ws.cell(row=source, column=j).value

    return edit


def blank_row(sheet: str, at: int) -> Edit:
    """Empty every cell of one data row (the row deleted in all but name)."""

    def edit(book: Workbook) -> None:
        ws = book[sheet]
        for j, key in enumerate(_keys(ws), start=1):
            if key and key != CHECK:
                ws.cell(row=at, column=j).value = None

    return edit


def blank_sheet(sheet: str) -> Edit:
    """Empty every data row of a sheet, its two header rows kept."""

    def edit(book: Workbook) -> None:
        ws = book[sheet]
        for r in range(FIRST_ROW, ws.max_row + 1):
            for j, key in enumerate(_keys(ws), start=1):
                if key and key != CHECK:
                    ws.cell(row=r, column=j).value = None

    return edit


def header(sheet: str, letter: str) -> Edit:
    """Clear a column's key in row 1."""

    def edit(book: Workbook) -> None:
        book[sheet].cell(row=1, column=column_index_from_string(letter)).value = None

    return edit


def drop(sheet: str) -> Edit:
    """Delete a sheet."""

    def edit(book: Workbook) -> None:
        del book[sheet]

    return edit


def _keys(ws: Worksheet) -> list[Any]:
    return [c.value for c in ws[1]]


# --- the cases ----------------------------------------------------------------------------------
# (rule, how to break the workbook, sheet, rows it is reported at (None: the sheet as a whole),
#  column key, column letter, what the message must name)

CASES = [
    # what reading a sheet refuses or leaves out
    ("kolom_ganda", cell("anggaran", "K1", "tw1"), "anggaran", [1], "tw1", "F", ["'tw1'"]),
    ("kolom_lain", cell("unit", "F1", "catatan_saya"), "unit", [1], None, "", ["'catatan_saya'"]),
    ("angka_panjang", cell("pejabat", "F4", 198008251999121001), "pejabat", [4], "nip", "F",
     ["15 digit"]),
    # unit
    ("unit_unit_isi", cell("unit", "A6", None), "unit", [6], "unit", "A", []),
    ("kode_unit_bentuk", cell("unit", "A5", "Harapan Jaya"), "unit", [5], "unit", "A",
     ["'Harapan Jaya'"]),
    ("kode_unit_unik", cell("unit", "A8", "perwira"), "unit", [4, 8], "unit", "A", ["'perwira'"]),
    ("unit_nama_isi", cell("unit", "B7", None), "unit", [7], "nama", "B", []),
    ("jenis_unit", cell("unit", "C9", "desa"), "unit", [9], "jenis", "C", ["'desa'"]),
    ("unit_jenis_isi", cell("unit", "C4", None), "unit", [4], "jenis", "C", []),
    ("unit_lengkap", cell("unit", "C3", "kelurahan"), "unit", None, "jenis", "C",
     ["jenis kecamatan"]),
    ("kecamatan_satu", cell("unit", "C6", "kecamatan"), "unit", [6], "jenis", "C",
     ["'marga-mulya'", "baris 3"]),
    ("email_unit", cell("unit", "D5", "kel.harapanjaya@example"), "unit", [5], "email", "D",
     ["'kel.harapanjaya@example'"]),
    ("unit_email_isi", cell("unit", "D8", None), "unit", [8], "email", "D", []),
    ("unit_punya_sub_kegiatan",
     row("unit", 10, "rawa-indah", "Kelurahan Rawa Indah", "kelurahan", "kel.rawa@example.go.id"),
     "unit", [10], "unit", "A", ["'rawa-indah'"]),
    # penerima
    ("penerima_peran_isi", cell("penerima", "A4", None), "penerima", [4], "peran", "A", []),
    ("penerima_nama_isi", cell("penerima", "B3", None), "penerima", [3], "nama", "B", []),
    ("email_penerima", cell("penerima", "D4", "sekcam.bekasiutara.example.go.id"), "penerima",
     [4], "email", "D", ["'sekcam.bekasiutara.example.go.id'"]),
    ("penerima_email_isi", cell("penerima", "D3", None), "penerima", [3], "email", "D", []),
    # program
    ("program_kode_program_isi", cell("program", "A6", None), "program", [6], "kode_program",
     "A", []),
    ("kode_program_bentuk", cell("program", "A5", "7.1.03"), "program", [5], "kode_program", "A",
     ["'7.1.03'"]),
    ("kode_program_unik", copy_row("program", 4, 8), "program", [4, 8], "kode_program", "A",
     ["'7.01.02'"]),
    ("program_nama_program_isi", cell("program", "B7", None), "program", [7], "nama_program",
     "B", []),
    # kegiatan
    ("kegiatan_kode_kegiatan_isi", cell("kegiatan", "A10", None), "kegiatan", [10],
     "kode_kegiatan", "A", []),
    ("kode_kegiatan_bentuk", cell("kegiatan", "A4", "7.01.01.02.02"), "kegiatan", [4],
     "kode_kegiatan", "A", ["'7.01.01.02.02'"]),
    ("kode_kegiatan_unik", copy_row("kegiatan", 9, 15), "kegiatan", [9, 15], "kode_kegiatan",
     "A", ["'7.01.02.2.03'"]),
    ("kegiatan_program_ada", cell("kegiatan", "A14", "7.01.06.2.01"), "kegiatan", [14],
     "kode_kegiatan", "A", ["7.01.06 ", "'7.01.06.2.01'"]),
    ("kegiatan_nama_kegiatan_isi", cell("kegiatan", "B3", None), "kegiatan", [3],
     "nama_kegiatan", "B", []),
    # sub_kegiatan
    ("sub_kegiatan_unit_isi", cell("sub_kegiatan", "A30", None), "sub_kegiatan", [30], "unit",
     "A", []),
    ("sub_unit_ada", cell("sub_kegiatan", "A31", "perwiraa"), "sub_kegiatan", [31], "unit", "A",
     ["'perwiraa'"]),
    ("sub_kegiatan_kode_sub_kegiatan_isi", cell("sub_kegiatan", "B12", None), "sub_kegiatan",
     [12], "kode_sub_kegiatan", "B", []),
    ("kode_sub_bentuk", cell("sub_kegiatan", "B13", "7.01.01.2.06.011"), "sub_kegiatan", [13],
     "kode_sub_kegiatan", "B", ["'7.01.01.2.06.011'"]),
    ("sub_program_ada", cell("sub_kegiatan", "B26", "7.01.07.2.01.0001"), "sub_kegiatan", [26],
     "kode_sub_kegiatan", "B", ["7.01.07 ", "'7.01.07.2.01.0001'"]),
    ("sub_kegiatan_ada", cell("sub_kegiatan", "B18", "7.01.01.2.07.0006"), "sub_kegiatan", [18],
     "kode_sub_kegiatan", "B", ["7.01.01.2.07 ", "'7.01.01.2.07.0006'"]),
    ("sub_unik", copy_row("sub_kegiatan", 28, 52), "sub_kegiatan", [28, 52],
     "kode_sub_kegiatan", "B", ["'7.01.02.2.03.0001'", "'perwira'"]),
    ("sub_kegiatan_nama_sub_kegiatan_isi", cell("sub_kegiatan", "C40", None), "sub_kegiatan",
     [40], "nama_sub_kegiatan", "C", []),
    ("target_keluaran_angka", cell("sub_kegiatan", "G22", "7 laporan"), "sub_kegiatan", [22],
     "target_keluaran", "G", ["'7 laporan'"]),
    ("sub_kegiatan_target_keluaran_isi", cell("sub_kegiatan", "G15", None), "sub_kegiatan",
     [15], "target_keluaran", "G", []),
    ("sub_punya_anggaran", blank_row("anggaran", 44), "sub_kegiatan", [44], "kode_sub_kegiatan",
     "B", ["'7.01.02.2.03.0001'", "'teluk-pucung'"]),
    # anggaran
    ("anggaran_unit_isi", cell("anggaran", "A20", None), "anggaran", [20], "unit", "A", []),
    ("anggaran_kode_sub_kegiatan_isi", cell("anggaran", "B21", None), "anggaran", [21],
     "kode_sub_kegiatan", "B", []),
    ("anggaran_sub_ada", cell("anggaran", "B33", "7.01.03.2.02.0005"), "anggaran", [33],
     "kode_sub_kegiatan", "B", ["'7.01.03.2.02.0005'", "'harapan-jaya'"]),
    ("versi_anggaran", cell("anggaran", "C11", "induk"), "anggaran", [11], "versi", "C",
     ["'induk'"]),
    ("anggaran_versi_isi", cell("anggaran", "C12", None), "anggaran", [12], "versi", "C", []),
    ("berlaku_mulai", cell("anggaran", "D13", "5"), "anggaran", [13], "berlaku_mulai_tw", "D",
     ["'5'"]),
    ("anggaran_berlaku_mulai_tw_isi", cell("anggaran", "D14", None), "anggaran", [14],
     "berlaku_mulai_tw", "D", []),
    ("rupiah_pagu", cell("anggaran", "E15", "12.530.795.120"), "anggaran", [15], "pagu", "E",
     ["'12.530.795.120'"]),
    ("anggaran_pagu_isi", cell("anggaran", "E16", None), "anggaran", [16], "pagu", "E", []),
    ("rupiah_tw1", cell("anggaran", "F17", "Rp100.000.000"), "anggaran", [17], "tw1", "F",
     ["'Rp100.000.000'"]),
    ("anggaran_tw1_isi", cell("anggaran", "F18", None), "anggaran", [18], "tw1", "F", []),
    ("rupiah_tw2", cell("anggaran", "G19", -5), "anggaran", [19], "tw2", "G", ["'-5'"]),
    ("anggaran_tw2_isi", cell("anggaran", "G23", None), "anggaran", [23], "tw2", "G", []),
    ("rupiah_tw3", cell("anggaran", "H24", 0.5), "anggaran", [24], "tw3", "H", ["'0.5'"]),
    ("anggaran_tw3_isi", cell("anggaran", "H25", None), "anggaran", [25], "tw3", "H", []),
    ("rupiah_tw4", cell("anggaran", "I26", "nol"), "anggaran", [26], "tw4", "I", ["'nol'"]),
    ("anggaran_tw4_isi", cell("anggaran", "I27", None), "anggaran", [27], "tw4", "I", []),
    ("pagu_sama_tw", cell("anggaran", "E28", 50000001), "anggaran", [28], "pagu", "E",
     ["Rp 50.000.000", "Rp 50.000.001"]),
    ("anggaran_unik", copy_row("anggaran", 29, 52), "anggaran", [29, 52], "kode_sub_kegiatan",
     "B", ["'7.01.03.2.02.0002'", "'perwira'", "TW 1 "]),
    ("murni_mulai_tw1", cell("anggaran", "D31", "2"), "anggaran", [31], "berlaku_mulai_tw", "D",
     ["TW 2."]),
    # iku
    ("iku_kode_isi", cell("iku", "A5", None), "iku", [5], "kode", "A", []),
    ("kode_iku_unik", cell("iku", "A4", "ikm"), "iku", [3, 4], "kode", "A", ["'ikm'"]),
    ("iku_nama_isi", cell("iku", "B4", None), "iku", [4], "nama", "B", []),
    ("iku_satuan_isi", cell("iku", "C5", None), "iku", [5], "satuan", "C", []),
    ("arah_iku", cell("iku", "D4", "tetap"), "iku", [4], "arah", "D", ["'tetap'"]),
    ("iku_arah_isi", cell("iku", "D3", None), "iku", [3], "arah", "D", []),
    ("iku_target_tahunan_angka", cell("iku", "E5", "57%"), "iku", [5], "target_tahunan", "E",
     ["'57%'"]),
    ("iku_target_tw1_angka", cell("iku", "F5", "10 persen"), "iku", [5], "target_tw1", "F",
     ["'10 persen'"]),
    ("iku_target_tw2_angka", cell("iku", "G3", "tujuh puluh"), "iku", [3], "target_tw2", "G",
     ["'tujuh puluh'"]),
    ("iku_target_tw3_angka", cell("iku", "H5", "sepuluh"), "iku", [5], "target_tw3", "H",
     ["'sepuluh'"]),
    ("iku_target_tw4_angka", cell("iku", "I3", "89.71 poin"), "iku", [3], "target_tw4", "I",
     ["'89.71 poin'"]),
    ("iku_target_tahunan_isi", cell("iku", "E4", None), "iku", [4], "target_tahunan", "E", []),
    # pejabat
    ("peran_pejabat", cell("pejabat", "A5", "pemeriksa"), "pejabat", [5], "peran", "A",
     ["'pemeriksa'"]),
    ("peran_pejabat_unik", cell("pejabat", "A5", "camat"), "pejabat", [4, 5], "peran", "A",
     ["'camat'"]),
    ("pejabat_jabatan_isi", cell("pejabat", "C3", None), "pejabat", [3], "jabatan", "C", []),
    ("nip_18", cell("pejabat", "F4", "19800825 199912 1 01"), "pejabat", [4], "nip", "F",
     ["'19800825 199912 1 01'"]),
    # zona_k3
    ("zona_k3_nama_zona_isi", cell("zona_k3", "B9", None), "zona_k3", [9], "nama_zona", "B", []),
    ("zona_k3_kelurahan_isi", cell("zona_k3", "C10", None), "zona_k3", [10], "kelurahan", "C",
     []),
    ("zona_kelurahan_ada", cell("zona_k3", "C11", "kecamatan"), "zona_k3", [11], "kelurahan",
     "C", ["'kecamatan'"]),
    ("zona_unik", copy_row("zona_k3", 12, 18), "zona_k3", [12, 18], "nama_zona", "B",
     ["'Jalan Harapan Kita Bekasi Utara'", "'harapan-jaya'"]),
    # the optional sheets
    ("sasaran_iku_ada", cell("sasaran", "D5", "ikk"), "sasaran", [5], "iku", "D", ["'ikk'"]),
    ("sasaran_program_ada", cell("sasaran", "E6", "7.01.09"), "sasaran", [6], "kode_program",
     "E", ["'7.01.09'"]),
    ("iku_tahunan_ada", cell("iku_tahunan", "A4", "ikk"), "iku_tahunan", [4], "kode", "A",
     ["'ikk'"]),
    ("iku_tahunan_tahun", cell("iku_tahunan", "B5", "23"), "iku_tahunan", [5], "tahun", "B",
     ["'23'"]),
    ("renstra_kode_ada", cell("renstra", "A4", "akip2"), "renstra", [4], "kode", "A",
     ["'akip2'"]),
    ("catatan_triwulan", cell("catatan_e81", "A5", "IV"), "catatan_e81", [5], "triwulan", "A",
     ["'IV'"]),
    # outside GX: the workbook's shape, and the year folder as a run loads it
    ("lembar_ada", drop("zona_k3"), "zona_k3", None, None, "", ["Lembar zona_k3 "]),
    ("kolom_ada", header("anggaran", "E"), "anggaran", [1], "pagu", "", ["'pagu'"]),
    ("lembar_isi", blank_sheet("penerima"), "penerima", None, None, "", ["Lembar penerima "]),
    # a perubahan from TW 3 rewriting TW I, already past: only the year loader sees it
    ("data_referensi",
     row("anggaran", 52, "kecamatan", "7.01.01.2.01.0006", "perubahan", "3", 4000000, 4000000,
         0, 0, 0),
     "anggaran", [52], None, "", ["TW 3", "tw1", "3000000 menjadi 4000000"]),
]  # fmt: skip


# --- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_book(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The 2025 workbook as `triwulan referensi templat 2025` writes it from 2024."""
    year = starting_point(read_year_text(PACKAGED_REFERENCE / "2024"))
    path = write_book(year, TAHUN, tmp_path_factory.mktemp("buku") / "referensi-2025.xlsx")
    return path.read_bytes()


def _workbook(good: bytes, edit: Edit | None, path: Path) -> Path:
    book = load_workbook(io.BytesIO(good))
    if edit is not None:
        edit(book)
    book.save(path)
    return path


def _install(
    good: bytes, edit: Edit | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Outcome, Path, Any]:
    """`triwulan referensi pasang` of the (broken) workbook into a fresh reference root."""
    root = tmp_path / "referensi"
    monkeypatch.setenv("TRIWULAN_REFERENCE", str(root))
    monkeypatch.delenv("TRIWULAN_DB_URL", raising=False)
    (tmp_path / "out").mkdir()
    engine = open_database(tmp_path / "out")
    path = _workbook(good, edit, tmp_path / f"referensi-{TAHUN}.xlsx")
    return install_book(path, engine, "sekretariat"), root, engine


def _row(value: Any) -> int | None:
    if value is None or pd.isna(value):
        return None
    assert value == int(value), value
    return int(value)


def _where(problems: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [
        (p["lembar"], _row(p["baris"]), p["kolom"] or None, p["huruf"])
        for p in problems.to_dict("records")
    ]


def _lines(problems: pd.DataFrame) -> str:
    """The problems one a line, for a failing assertion."""
    return "\n".join(
        f"{p['aturan']} @ {p['lembar']}, baris {_row(p['baris'])}, kolom {p['kolom']} "
        f"({p['huruf']}): {p['pesan']}"
        for p in problems.to_dict("records")
    )


def _assert_nothing_installed(outcome: Outcome, root: Path, engine: Any) -> None:
    assert outcome.installed is None
    assert not (root / str(TAHUN)).exists()
    assert not list(root.glob(".pasang-*"))  # no staged copy left behind either
    assert installs(engine, TAHUN).empty


def _assert_installed(outcome: Outcome, root: Path, engine: Any) -> None:
    assert outcome.installed == root / str(TAHUN)
    assert (root / str(TAHUN) / "anggaran.csv").is_file()
    assert len(installs(engine, TAHUN)) == 1


# --- the tests ----------------------------------------------------------------------------------


def test_the_good_workbook_has_no_problems_and_is_installed(
    good_book: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, root, engine = _install(good_book, None, tmp_path, monkeypatch)

    assert outcome.problems.empty, _lines(outcome.problems)
    assert outcome.tahun == TAHUN
    _assert_installed(outcome, root, engine)
    written = read_year_text(root / str(TAHUN))
    expected = starting_point(read_year_text(PACKAGED_REFERENCE / "2024"))
    expected = {n: f for n, f in expected.items() if not f.empty}  # empty: not written
    assert set(written) == set(expected)
    for name, frame in expected.items():
        assert written[name].equals(frame), name


@pytest.mark.parametrize(
    ("rule", "edit", "lembar", "baris", "kolom", "huruf", "shows"),
    [pytest.param(*case, id=case[0]) for case in CASES],
)
def test_each_check_reports_its_problem_where_it_is(
    rule: str,
    edit: Edit,
    lembar: str,
    baris: list[int] | None,
    kolom: str | None,
    huruf: str,
    shows: list[str],
    good_book: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outcome, root, engine = _install(good_book, edit, tmp_path, monkeypatch)
    problems = outcome.problems
    found = problems[problems["aturan"] == rule]
    entry = GX_RULES.get(rule)
    severity = (
        entry["meta"]["severity"] if entry else ("warning" if rule == "kolom_lain" else "error")
    )

    if severity == "warning":  # reported, and the year installed all the same
        assert outcome.errors.empty, _lines(outcome.errors)
        _assert_installed(outcome, root, engine)
    else:
        _assert_nothing_installed(outcome, root, engine)
    rows = baris if baris is not None else [None]
    assert _where(found) == [(lembar, r, kolom, huruf) for r in rows], _lines(problems)
    titles = {c.key: c.judul for c in labels().get(lembar, ("", []))[1]}
    for problem in found.to_dict("records"):
        assert problem["tingkat"] == severity
        assert problem["judul"] == titles.get(kolom or "", kolom or "")
        for text in shows:
            assert text in problem["pesan"], problem["pesan"]
    if entry and entry["type"] == "expect_column_values_to_not_be_null":
        # an empty cell is judged by its *_isi rule alone (the suite's notes say so)
        same_cell = problems[
            (problems["lembar"] == lembar)
            & (problems["baris"].map(_row) == rows[0])
            & (problems["kolom"] == kolom)
        ]
        assert list(same_cell["aturan"]) == [rule], _lines(same_cell)
    if rule == "kolom_ada":
        # that sheet is not judged without its key column, but its rows are there: no other
        # sheet may be judged against it as if they were missing
        assert _where(problems) == _where(found), _lines(problems)


def test_every_rule_of_the_suite_has_its_case() -> None:
    covered = [case[0] for case in CASES]
    assert len(covered) == len(set(covered))
    assert set(covered) == set(GX_RULES) | OTHER_RULES
    assert {
        "lembar_ada", "kolom_ada", "lembar_isi", "data_referensi", "kolom_ganda", "kolom_lain",
        "angka_panjang",
    } == OTHER_RULES  # fmt: skip
