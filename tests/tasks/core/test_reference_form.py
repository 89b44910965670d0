"""The optional form files (sasaran, Renstra, IKU of earlier years, pejabat, catatan E.81).

A year may have none of them; when present, every wrong line is named by file and line (the
line as an editor shows it: the header is line 1), and all problems come back at once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.tasks.core.test_reference import _edit, _problems, broken_reference  # noqa: F401
from tests.units import SLUGS
from triwulan.tasks.core.errors import ReferenceDataError
from triwulan.tasks.core.reference import load_reference
from triwulan.tasks.core.reference_form import OPTIONAL_FILES

Edit = Callable[[pd.DataFrame], None]


def _set(row: int, column: str, value: str) -> Edit:
    """Set one cell; row 0 is line 2 of the file."""
    return lambda frame: frame.loc.__setitem__((row, column), value)


def _append(path: Path, values: dict[str, str]) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = pd.concat([frame, pd.DataFrame([values])], ignore_index=True).fillna("")
    frame.to_csv(path, index=False)


def _renstra_row(kode: str, **values: str) -> dict[str, str]:
    row = dict.fromkeys(OPTIONAL_FILES["renstra.csv"], "")
    return row | {"kode": kode, "tahun_awal": "2024", "tahun_akhir": "2026"} | values


def test_a_year_without_the_optional_files_loads_with_empty_frames(
    broken_reference: Path,  # noqa: F811
) -> None:
    """The forms then print empty Renstra columns and unsigned blocks; the run goes on."""
    for name in OPTIONAL_FILES:
        (broken_reference / name).unlink()
    ref = load_reference(2024)
    frames = {
        "sasaran.csv": ref.sasaran,
        "renstra.csv": ref.renstra,
        "iku_tahunan.csv": ref.iku_tahunan,
        "pejabat.csv": ref.pejabat,
        "catatan_e81.csv": ref.catatan_e81,
        "jenis_belanja.csv": ref.jenis_belanja,
        "akip_komponen_tahunan.csv": ref.akip_komponen_tahunan,
    }
    assert set(frames) == set(OPTIONAL_FILES)
    for name, frame in frames.items():
        assert frame.empty, name
        assert list(frame.columns) == OPTIONAL_FILES[name], name
    assert list(ref.units["unit"]) == SLUGS  # the required files are read as before


def test_the_sample_files_load_typed(broken_reference: Path) -> None:  # noqa: F811
    """Numbers parsed (IKU targets as floats, rupiah Int64), texts kept as written."""
    _append(
        broken_reference / "renstra.csv",
        _renstra_row("7.01.01", target_akhir_rp="150000000000", realisasi_lalu_rp="0"),
    )
    _append(broken_reference / "renstra.csv", _renstra_row("7.01.01.2.02", target_akhir_k="82,5"))
    ref = load_reference(2024)
    renstra = ref.renstra.set_index("kode")
    assert renstra.loc["akip", "target_akhir_k"] == 72.05
    assert renstra.loc["7.01.01", "target_akhir_rp"] == 150_000_000_000
    assert renstra["target_akhir_rp"].dtype == "Int64"
    assert renstra.loc["7.01.01.2.02", "target_akhir_k"] == 82.5
    assert pd.isna(renstra.loc["ikm", "target_akhir_rp"])
    assert list(ref.renstra["tahun_awal"]) == [2024] * 5
    tahunan = ref.iku_tahunan
    assert list(zip(tahunan["kode"], tahunan["tahun"], tahunan["realisasi"], strict=True)) == [
        ("ikm", 2022, 82.71),
        ("ikm", 2023, 83.17),
        ("akip", 2023, 72.75),
    ]
    assert list(ref.catatan_e81["triwulan"]) == [4, 4, 4]
    assert ref.pejabat.loc[1, "nip"] == "19800825 199912 1 001"


# (case, file, edit, the problems it gives: one a line)
CASES: list[tuple[str, str, Edit, str]] = [
    (
        "unknown IKU",
        "sasaran.csv",
        _set(3, "iku", "ipm"),
        "2024/sasaran.csv baris 5: IKU 'ipm' tidak ada di iku.csv.",
    ),
    (
        "program in two sasaran",
        "sasaran.csv",
        _set(3, "kode_program", "7.01.02"),
        "2024/sasaran.csv baris 5: program '7.01.02' sudah masuk sasaran lain.",
    ),
    (
        "unknown program",
        "sasaran.csv",
        _set(4, "kode_program", "7.01.09"),
        "2024/sasaran.csv baris 6: program '7.01.09' tidak ada di programs.csv.",
    ),
    (
        "non-year tahun_awal",
        "renstra.csv",
        _set(0, "tahun_awal", "24"),
        "2024/renstra.csv baris 2: tahun_awal '24' harus tahun empat angka.\n"
        # and the line no longer shares the others' period
        "2024/renstra.csv: semua baris harus memakai periode Renstra yang sama.",
    ),
    (
        "non-numeric target",
        "renstra.csv",
        _set(1, "target_akhir_k", "tinggi"),
        "2024/renstra.csv baris 3: target_akhir_k 'tinggi' harus angka (desimal dengan titik).",
    ),
    (
        "money with separators",
        "renstra.csv",
        _set(0, "target_akhir_rp", "1.000"),
        "2024/renstra.csv baris 2: target_akhir_rp '1.000' harus rupiah bilangan bulat tanpa"
        " pemisah.",
    ),
    (
        "negative money",
        "renstra.csv",
        _set(2, "realisasi_lalu_rp", "-5"),
        "2024/renstra.csv baris 4: realisasi_lalu_rp '-5' harus rupiah bilangan bulat tanpa"
        " pemisah.",
    ),
    (
        "differing periods",
        "renstra.csv",
        _set(2, "tahun_akhir", "2029"),
        "2024/renstra.csv: semua baris harus memakai periode Renstra yang sama.",
    ),
    (
        "unknown IKU of an earlier year",
        "iku_tahunan.csv",
        _set(2, "kode", "sakip"),
        "2024/iku_tahunan.csv baris 4: IKU 'sakip' tidak ada di iku.csv.",
    ),
    (
        "non-year tahun of an earlier IKU",
        "iku_tahunan.csv",
        _set(0, "tahun", "2022/23"),
        "2024/iku_tahunan.csv baris 2: tahun '2022/23' harus tahun empat angka.",
    ),
    (
        "non-numeric realisasi of an earlier IKU",
        "iku_tahunan.csv",
        _set(1, "realisasi", "83.17%"),
        "2024/iku_tahunan.csv baris 3: realisasi '83.17%' harus angka (desimal dengan titik).",
    ),
    (
        "NIP without its grouping",
        "pejabat.csv",
        _set(1, "nip", "1980082519991210"),
        "2024/pejabat.csv baris 3: NIP '1980082519991210' harus 18 angka dalam kelompok"
        " 8 6 1 3 (misalnya 19800825 199912 1 001).",
    ),
    (
        "unknown peran",
        "pejabat.csv",
        _set(0, "peran", "sekcam"),
        "2024/pejabat.csv baris 2: peran 'sekcam' harus salah satu dari penyusun, camat,"
        " evaluator.",
    ),
    (
        "two people for one role",
        "pejabat.csv",
        _set(2, "peran", "camat"),
        "2024/pejabat.csv baris 4: peran 'camat' sudah ada di baris sebelumnya: satu orang per"
        " peran.",
    ),
    (
        "one sasaran, two IKU",
        "sasaran.csv",
        _set(1, "iku", "akip"),
        "2024/sasaran.csv baris 3: iku 'akip' berbeda dari baris lain sasaran yang sama.",
    ),
    (
        "a renstra kode twice",
        "renstra.csv",
        _set(1, "kode", "ikm"),
        "2024/renstra.csv baris 3: kode 'ikm' sudah ada di baris sebelumnya: satu baris per kode.",
    ),
    (
        "a Renstra period without this year",
        "renstra.csv",
        lambda f: f.update(pd.DataFrame({"tahun_awal": "2019", "tahun_akhir": "2023"}, f.index)),
        "2024/renstra.csv baris 2: periode 2019–2023 tidak memuat tahun 2024: pakai Renstra yang"
        " berlaku tahun ini.\n"
        "2024/renstra.csv baris 3: periode 2019–2023 tidak memuat tahun 2024: pakai Renstra yang"
        " berlaku tahun ini.\n"
        "2024/renstra.csv baris 4: periode 2019–2023 tidak memuat tahun 2024: pakai Renstra yang"
        " berlaku tahun ini.",
    ),
    (
        "rupiah beyond int64",
        "renstra.csv",
        _set(0, "target_akhir_rp", "99999999999999999999"),
        "2024/renstra.csv baris 2: target_akhir_rp '99999999999999999999' harus rupiah bilangan"
        " bulat tanpa pemisah.",
    ),
    (
        "unknown butir",
        "catatan_e81.csv",
        _set(0, "butir", "saran"),
        "2024/catatan_e81.csv baris 2: butir 'saran' harus salah satu dari faktor_pendorong,"
        " faktor_penghambat, tindak_lanjut_triwulan, tindak_lanjut_renja.",
    ),
    (
        "triwulan 5",
        "catatan_e81.csv",
        _set(2, "triwulan", "5"),
        "2024/catatan_e81.csv baris 4: triwulan '5' harus 1 sampai 4.",
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


def test_renstra_plans_programs_and_kegiatan_not_sub_kegiatan(
    broken_reference: Path,  # noqa: F811
) -> None:
    """A program and a kegiatan code are accepted; a sub-kegiatan code (the Renja's) is not."""
    path = broken_reference / "renstra.csv"
    _append(path, _renstra_row("7.01.01", target_akhir_rp="1000000"))
    _append(path, _renstra_row("7.01.01.2.02", target_akhir_rp="500000"))
    assert set(load_reference(2024).renstra["kode"]) >= {"7.01.01", "7.01.01.2.02"}
    _append(path, _renstra_row("7.01.01.2.02.0001", target_akhir_rp="100000"))
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    assert excinfo.value.problems == [
        "2024/renstra.csv baris 7: kode '7.01.01.2.02.0001' bukan IKU di iku.csv maupun kode"
        " program atau kegiatan."
    ]


def test_a_missing_column_is_named(broken_reference: Path) -> None:  # noqa: F811
    _edit(broken_reference / "sasaran.csv", lambda frame: frame.pop("iku"))
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    assert excinfo.value.problems == ["2024/sasaran.csv: kolom tidak ada: iku"]


def test_every_problem_of_every_file_is_raised_at_once(broken_reference: Path) -> None:  # noqa: F811
    _edit(broken_reference / "sasaran.csv", _set(3, "iku", "ipm"))
    _edit(broken_reference / "renstra.csv", _set(0, "target_akhir_rp", "1.000"))
    _edit(broken_reference / "iku_tahunan.csv", _set(0, "tahun", "2022/23"))

    def spoil_pejabat(frame: pd.DataFrame) -> None:
        frame.loc[1, "nip"] = "19800825-199912-1-001"
        frame.loc[2, "peran"] = "bupati"

    _edit(broken_reference / "pejabat.csv", spoil_pejabat)
    _edit(broken_reference / "catatan_e81.csv", _set(1, "triwulan", "5"))
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    problems = excinfo.value.problems
    assert len(problems) == 6
    text = _problems(excinfo)
    for expected in (
        "2024/sasaran.csv baris 5: IKU 'ipm'",
        "2024/renstra.csv baris 2: target_akhir_rp '1.000'",
        "2024/iku_tahunan.csv baris 2: tahun '2022/23'",
        "2024/pejabat.csv baris 3: NIP '19800825-199912-1-001'",
        "2024/pejabat.csv baris 4: peran 'bupati'",
        "2024/catatan_e81.csv baris 3: triwulan '5'",
    ):
        assert expected in text, expected
    assert str(excinfo.value).startswith("Data referensi tidak konsisten (6 masalah)")


def test_an_empty_optional_file_counts_as_absent(broken_reference: Path) -> None:  # noqa: F811
    """Nothing to note this quarter: a 0-byte catatan_e81.csv is natural, not a traceback."""
    (broken_reference / "catatan_e81.csv").write_bytes(b"")
    assert load_reference(2024).catatan_e81.empty


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            "peran,label,jabatan,nama,pangkat,nip,tempat\n"
            "camat,Mengetahui,CAMAT,SUMPONO BRAMA, S.STP., M.Si,Pembina,19800825 199912 1 001,X\n",
            "2024/pejabat.csv: ada baris dengan kolom lebih banyak dari judulnya",
        ),
        (
            'peran,label,jabatan,nama,pangkat,nip,tempat\ncamat,"Mengetahui,CAMAT\n',
            "2024/pejabat.csv: tidak dapat dibaca sebagai CSV",
        ),
        ("peran,nama\ncamat,Ibu Ç".encode("latin-1"), "2024/pejabat.csv: bukan teks UTF-8"),
    ],
)
def test_a_file_that_is_no_csv_table_is_named(
    broken_reference: Path,  # noqa: F811
    content: str | bytes,
    problem: str,
) -> None:
    """An unquoted name with degrees, an open quote, a Latin-1 file: a message, not a crash."""
    path = broken_reference / "pejabat.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ReferenceDataError) as excinfo:
        load_reference(2024)
    assert any(p.startswith(problem) for p in excinfo.value.problems), excinfo.value.problems
