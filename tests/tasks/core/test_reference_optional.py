"""The optional files of LKIP: jenis_belanja.csv (Tabel 3.13) and akip_komponen_tahunan.csv.

Absent: empty frames, the run goes on. Present: typed (pagu int64, tahun int, nilai float) and
checked; each case breaks one file once and the problems must name the file and its line (the
line as an editor shows it: the header is line 1), nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.tasks.core.test_reference import broken_reference  # noqa: F401
from triwulan.tasks.core.errors import ReferenceDataError
from triwulan.tasks.core.reference import load_reference
from triwulan.tasks.core.reference_form import OPTIONAL_FILES

Edit = Callable[[pd.DataFrame], pd.DataFrame | None]  # changes the frame or gives a new one
BELANJA, AKIP = "jenis_belanja.csv", "akip_komponen_tahunan.csv"
SPLIT = "jenis belanja."  # the end of the message of a sub-kegiatan without rows


def _set(row: int, column: str, value: str) -> Edit:
    """Set one cell; row 0 is line 2 of the file."""
    return lambda frame: frame.loc.__setitem__((row, column), value)


def _add(**values: str) -> Edit:
    """Append one line after the last."""
    return lambda frame: frame.loc.__setitem__(len(frame), pd.Series(values))


def _drop(row: int) -> Edit:
    return lambda frame: frame.drop(index=row)


def _edit(path: Path, edit: Edit) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    changed = edit(frame)
    (frame if changed is None else changed).to_csv(path, index=False)


def test_absent_files_give_empty_typed_frames(broken_reference: Path) -> None:  # noqa: F811
    for name in (BELANJA, AKIP):
        (broken_reference / name).unlink()
    ref = load_reference(2024)
    for name, frame in ((BELANJA, ref.jenis_belanja), (AKIP, ref.akip_komponen_tahunan)):
        assert frame.empty, name
        assert list(frame.columns) == OPTIONAL_FILES[name], name
    assert ref.jenis_belanja["pagu"].dtype == "int64"
    assert ref.akip_komponen_tahunan["tahun"].dtype == "int64"
    assert ref.akip_komponen_tahunan["nilai"].dtype == "float64"


def test_the_2024_files_load_typed(broken_reference: Path) -> None:  # noqa: F811
    ref = load_reference(2024)
    belanja = ref.jenis_belanja
    assert belanja["pagu"].dtype == "int64"
    assert int(belanja.loc[belanja["jenis"] == "operasi", "pagu"].sum()) == 45_412_821_520
    assert int(belanja.loc[belanja["jenis"] == "modal", "pagu"].sum()) == 1_341_268_000
    akip = ref.akip_komponen_tahunan
    assert list(zip(akip["tahun"], akip["komponen"], akip["nilai"], strict=True)) == [
        (2023, "perencanaan", 23.43),
        (2023, "pengukuran", 20.84),
        (2023, "pelaporan", 11.11),
        (2023, "evaluasi_internal", 17.37),
    ]
    # Tabel 3.4's components add up to the 2023 AKIP of iku_tahunan.csv
    tahunan = ref.iku_tahunan.set_index(["kode", "tahun"])
    assert round(akip["nilai"].sum(), 2) == tahunan.loc[("akip", 2023), "realisasi"] == 72.75


def test_a_decimal_comma_is_read(broken_reference: Path) -> None:  # noqa: F811
    _edit(broken_reference / AKIP, _set(0, "nilai", "23,43"))
    assert load_reference(2024).akip_komponen_tahunan.loc[0, "nilai"] == 23.43


# (case, file, edit, the problems it gives: one a line)
CASES: list[tuple[str, str, Edit, str]] = [
    (
        "unknown unit",
        BELANJA,
        _add(
            unit="bekasi-timur",
            kode_sub_kegiatan="7.01.01.2.01.0006",
            jenis="operasi",
            sub_jenis="barang_jasa",
            pagu="0",
        ),
        "2024/jenis_belanja.csv baris 52: unit 'bekasi-timur' tidak ada di units.csv.",
    ),
    (
        "unknown sub-kegiatan",
        BELANJA,
        _add(
            unit="perwira",
            kode_sub_kegiatan="7.01.01.2.01.0006",  # the kecamatan's, not Perwira's
            jenis="operasi",
            sub_jenis="barang_jasa",
            pagu="0",
        ),
        "2024/jenis_belanja.csv baris 52: sub kegiatan '7.01.01.2.01.0006' unit 'perwira' tidak"
        " ada di sub_kegiatan.csv.",
    ),
    (
        "jenis neither operasi nor modal",
        BELANJA,
        _set(0, "jenis", "langsung"),
        "2024/jenis_belanja.csv baris 2: jenis 'langsung' harus operasi atau modal.",
    ),
    (
        "sub_jenis of the other jenis",
        BELANJA,
        _set(17, "jenis", "operasi"),
        "2024/jenis_belanja.csv baris 19: sub_jenis 'modal_gedung_bangunan' bukan belanja"
        " operasi: pilih salah satu dari pegawai, barang_jasa, bunga, subsidi, hibah,"
        " bantuan_sosial.",
    ),
    (
        "unknown sub_jenis",
        BELANJA,
        _set(1, "sub_jenis", "gaji"),
        "2024/jenis_belanja.csv baris 3: sub_jenis 'gaji' bukan belanja operasi: pilih salah satu"
        " dari pegawai, barang_jasa, bunga, subsidi, hibah, bantuan_sosial.",
    ),
    (
        "pagu with separators",
        BELANJA,
        _set(0, "pagu", "3.000.000"),
        "2024/jenis_belanja.csv baris 2: pagu '3.000.000' harus rupiah bilangan bulat tanpa"
        " pemisah.",
    ),
    (
        "negative pagu",
        BELANJA,
        _set(0, "pagu", "-3000000"),
        "2024/jenis_belanja.csv baris 2: pagu '-3000000' harus rupiah bilangan bulat tanpa"
        " pemisah.",
    ),
    (
        "empty pagu",
        BELANJA,
        _set(0, "pagu", ""),
        "2024/jenis_belanja.csv baris 2: pagu '' harus rupiah bilangan bulat tanpa pemisah.",
    ),
    (
        "rows not adding up to the pagu",
        BELANJA,
        _set(0, "pagu", "3000001"),
        "2024/jenis_belanja.csv baris 2: baris sub kegiatan '7.01.01.2.01.0006' unit"
        " 'kecamatan' berjumlah 3.000.001 tetapi pagu yang berlaku di TW IV (anggaran.csv)"
        " 3.000.000 (selisih 1).",
    ),
    (
        "a split not adding up",
        BELANJA,
        _set(17, "pagu", "91267000"),
        "2024/jenis_belanja.csv baris 18: baris sub kegiatan '7.01.01.2.09.0009' unit"
        " 'kecamatan' berjumlah 249.999.000 tetapi pagu yang berlaku di TW IV (anggaran.csv)"
        " 250.000.000 (selisih -1.000).",
    ),
    (
        "the murni pagu instead of the revised one",
        BELANJA,
        _set(1, "pagu", "14921107000"),
        "2024/jenis_belanja.csv baris 3: baris sub kegiatan '7.01.01.2.02.0001' unit"
        " 'kecamatan' berjumlah 14.921.107.000 tetapi pagu yang berlaku di TW IV (anggaran.csv)"
        " 15.046.107.000 (selisih -125.000.000).",
    ),
    (
        "a sub_jenis twice",
        BELANJA,
        _add(
            unit="kecamatan",
            kode_sub_kegiatan="7.01.01.2.01.0006",
            jenis="operasi",
            sub_jenis="barang_jasa",
            pagu="0",
        ),
        "2024/jenis_belanja.csv baris 52: sub_jenis 'barang_jasa' untuk '7.01.01.2.01.0006' unit"
        " 'kecamatan' sudah ada di baris sebelumnya: satu baris per sub_jenis.",
    ),
    (
        "a sub-kegiatan without rows",
        BELANJA,
        _drop(0),
        "2024/jenis_belanja.csv: sub kegiatan '7.01.01.2.01.0006' unit 'kecamatan' berpagu"
        " 3.000.000 di TW IV (anggaran.csv baris 2) tetapi tidak punya baris: bagi pagu setiap"
        " sub kegiatan habis menurut jenis belanja.",
    ),
    (
        "this year's evaluation",
        AKIP,
        _set(0, "tahun", "2024"),
        "2024/akip_komponen_tahunan.csv baris 2: tahun 2024 harus sebelum 2024: berkas ini memuat"
        " nilai evaluasi tahun-tahun lalu.",
    ),
    (
        "tahun not a year",
        AKIP,
        _set(1, "tahun", "23"),
        "2024/akip_komponen_tahunan.csv baris 3: tahun '23' harus tahun empat angka.",
    ),
    (
        "unknown komponen",
        AKIP,
        _set(2, "komponen", "reformasi"),
        "2024/akip_komponen_tahunan.csv baris 4: komponen 'reformasi' tidak ada di"
        " akip_komponen.csv (pilih perencanaan, pengukuran, pelaporan, evaluasi_internal).",
    ),
    (
        "nilai not a number",
        AKIP,
        _set(3, "nilai", "17.37%"),
        "2024/akip_komponen_tahunan.csv baris 5: nilai '17.37%' harus angka (desimal dengan"
        " titik).",
    ),
    (
        "nilai empty",
        AKIP,
        _set(3, "nilai", ""),
        "2024/akip_komponen_tahunan.csv baris 5: nilai '' harus angka (desimal dengan titik).",
    ),
    (
        "nilai above the bobot",
        AKIP,
        _set(2, "nilai", "15.5"),
        "2024/akip_komponen_tahunan.csv baris 4: nilai 15.5 melebihi bobot komponen pelaporan"
        " (15).",
    ),
    (
        "a komponen twice in a year",
        AKIP,
        _set(1, "komponen", "perencanaan"),
        "2024/akip_komponen_tahunan.csv baris 3: komponen 'perencanaan' tahun 2023 sudah ada di"
        " baris sebelumnya: satu nilai per komponen dan tahun.",
    ),
]


@pytest.mark.parametrize(("name", "file", "edit", "problem"), CASES, ids=[c[0] for c in CASES])
def test_each_wrong_line_is_named_by_file_and_line(
    broken_reference: Path,  # noqa: F811
    name: str,
    file: str,
    edit: Edit,
    problem: str,
) -> None:
    _edit(broken_reference / file, edit)
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    assert excinfo.value.problems == problem.split("\n"), name


@pytest.mark.parametrize("file", [BELANJA, AKIP])
def test_a_missing_column_is_named(broken_reference: Path, file: str) -> None:  # noqa: F811
    column = OPTIONAL_FILES[file][-1]
    _edit(broken_reference / file, lambda frame: frame.drop(columns=column))
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    assert excinfo.value.problems == [f"2024/{file}: kolom tidak ada: {column}"]


def test_a_revision_s_pagu_is_the_one_checked(broken_reference: Path) -> None:  # noqa: F811
    """A later perubahan moves the TW IV pagu: the split must follow it, the murni no longer."""

    def revise(frame: pd.DataFrame) -> None:
        frame.loc[len(frame)] = pd.Series(
            {
                "unit": "kecamatan",
                "kode_sub_kegiatan": "7.01.01.2.01.0006",
                "versi": "perubahan",
                "berlaku_mulai_tw": "4",
                "pagu": "5000000",
                "tw1": "3000000",
                "tw2": "0",
                "tw3": "0",
                "tw4": "2000000",
            }
        )

    _edit(broken_reference / "anggaran.csv", revise)
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    assert excinfo.value.problems == [
        "2024/jenis_belanja.csv baris 2: baris sub kegiatan '7.01.01.2.01.0006' unit"
        " 'kecamatan' berjumlah 3.000.000 tetapi pagu yang berlaku di TW IV (anggaran.csv)"
        " 5.000.000 (selisih -2.000.000)."
    ]
    _edit(broken_reference / BELANJA, _add(
        unit="kecamatan", kode_sub_kegiatan="7.01.01.2.01.0006", jenis="modal",
        sub_jenis="modal_peralatan_mesin", pagu="2000000",
    ))  # fmt: skip
    ref = load_reference(2024)
    assert int(ref.jenis_belanja["pagu"].sum()) == 46_754_089_520 + 2_000_000
