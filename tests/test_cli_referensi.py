"""`triwulan referensi` from the command line: where it installs, what it refuses, what it keeps."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from triwulan.cli import app
from triwulan.paths import PACKAGED_REFERENCE
from triwulan.tasks.record.reference_log import referensi_pasang


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("buku")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("TRIWULAN_REFERENCE", raising=False)
        made = _run("referensi", "templat", "2025", "-o", str(folder / "referensi-2025.xlsx"))
    assert made.exit_code == 0, made.stdout + made.stderr
    return folder / "referensi-2025.xlsx"


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("TRIWULAN_REFERENCE", str(tmp_path / "referensi"))
    monkeypatch.setenv("TRIWULAN_OUT", str(tmp_path / "out"))
    return tmp_path / "referensi"


def _package_state() -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(PACKAGED_REFERENCE.rglob("*.csv"))}


def test_the_package_data_is_never_the_place_to_install(book, tmp_path, monkeypatch):
    monkeypatch.delenv("TRIWULAN_REFERENCE", raising=False)
    monkeypatch.setenv("TRIWULAN_OUT", str(tmp_path / "out"))
    before = _package_state()
    result = _run("referensi", "pasang", str(book))
    assert result.exit_code == 2
    assert "[folder] referensi" in result.stderr and "TRIWULAN_REFERENCE" in result.stderr
    assert not (PACKAGED_REFERENCE / "2025").exists()
    assert _package_state() == before


def test_a_good_workbook_passes_and_installs_once(book, root, tmp_path):
    checked = _run("referensi", "periksa", str(book))
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    assert "Buku kerja data referensi 2025 lolos pemeriksaan." in checked.stdout
    assert not root.exists()  # periksa writes nothing

    first = _run("referensi", "pasang", str(book))
    assert first.exit_code == 0, first.stdout + first.stderr
    assert "disalin dari data bawaan paket: 2024/" in first.stdout
    year = root / "2025"
    assert sorted(p.name for p in year.iterdir()) == sorted(
        p.name
        for p in (PACKAGED_REFERENCE / "2024").glob("*.csv")
        if p.name not in ("catatan_e81.csv", "jenis_belanja.csv")  # last year's notes, split
    )
    assert oct(year.stat().st_mode & 0o777) == oct((root / "2024").stat().st_mode & 0o777)
    assert not [p for p in root.iterdir() if p.name.startswith(".pasang-")]
    installed = (year / "anggaran.csv").read_bytes()

    again = _run("referensi", "pasang", str(book))
    assert again.exit_code == 2
    assert "sudah terpasang" in again.stderr and "--ganti" in again.stderr
    assert (year / "anggaran.csv").read_bytes() == installed

    replaced = _run("referensi", "pasang", "--ganti", str(book))
    assert replaced.exit_code == 0, replaced.stdout + replaced.stderr
    [archived] = (root / "_arsip").iterdir()
    assert (
        archived.name.startswith("2025-") and (archived / "anggaran.csv").read_bytes() == installed
    )
    assert f"yang lama disimpan di {archived}" in replaced.stdout

    engine = create_engine(f"sqlite:///{tmp_path / 'out' / 'triwulan.sqlite'}")
    with engine.connect() as conn:
        rows = conn.execute(select(referensi_pasang).order_by(referensi_pasang.c.id)).all()
    engine.dispose()
    assert [(r.tahun, r.jenis) for r in rows] == [(2025, "pasang"), (2025, "ganti")]
    assert rows[1].arsip == str(archived) and rows[0].arsip is None
    assert rows[0].sha256 == hashlib.sha256(book.read_bytes()).hexdigest()
    assert rows[0].berkas == "referensi-2025.xlsx" and "@" in rows[0].oleh

    shown = _run("referensi", "lihat", "2025")
    assert shown.exit_code == 0, shown.stdout + shown.stderr
    assert "Riwayat pemasangan:" in shown.stdout and "diganti oleh" in shown.stdout


def test_a_broken_workbook_exits_1_and_installs_nothing(book, root, tmp_path):
    broken = tmp_path / "rusak.xlsx"
    workbook = load_workbook(book)
    workbook["anggaran"]["E3"] = 1
    workbook.save(broken)
    result = _run("referensi", "pasang", str(broken))
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "1 kesalahan. Tidak ada yang dipasang" in result.stdout
    assert "- lembar anggaran, baris 3, kolom E (Pagu (Rp)): TW I sampai TW IV berjumlah" in (
        result.stdout
    )
    assert not (root / "2025").exists()


def test_the_year_comes_from_the_workbook_or_is_asked_for(book, root, tmp_path):
    renamed = tmp_path / "anggaran-baru.xlsx"
    shutil.copy(book, renamed)
    said = _run("referensi", "periksa", str(renamed))
    assert "referensi 2025 lolos" in said.stdout  # from the petunjuk sheet
    workbook = load_workbook(renamed)
    del workbook["petunjuk"]
    workbook.save(renamed)
    unknown = _run("referensi", "periksa", str(renamed))
    assert unknown.exit_code == 2 and "--tahun" in unknown.stderr
    given = _run("referensi", "periksa", "--tahun", "2026", str(renamed))
    assert given.exit_code == 0 and "referensi 2026 lolos" in given.stdout


def test_a_revision_needs_the_year_installed_first(book, root):
    result = _run("referensi", "perubahan", "2025", "--mulai-tw", "3", str(book))
    assert result.exit_code == 2
    assert "belum terpasang" in result.stderr and "referensi pasang" in result.stderr
    refused = _run("referensi", "perubahan", "2025", "--mulai-tw", "1", str(book))
    assert refused.exit_code == 2  # TW I is the murni budget itself


def test_periksa_gives_the_verdict_pasang_would(book, root, tmp_path):
    """A problem only the year loader sees (an E.81 note of an unknown kind) fails periksa too."""
    broken = tmp_path / "catatan.xlsx"
    workbook = load_workbook(book)
    sheet = workbook["catatan_e81"]
    for j, value in enumerate(["3", "lainnya", "catatan"], start=1):
        sheet.cell(row=3, column=j, value=value)
    workbook.save(broken)
    checked = _run("referensi", "periksa", str(broken))
    installed = _run("referensi", "pasang", str(broken))
    assert checked.exit_code == installed.exit_code == 1
    line = next(x for x in checked.stdout.splitlines() if x.startswith("- lembar catatan_e81"))
    assert line.startswith("- lembar catatan_e81, baris 3:") and "lainnya" in line
    assert line in installed.stdout
    assert not (root / "2025").exists()


def test_revisions_from_the_command_line(book, root, tmp_path):
    assert _run("referensi", "pasang", str(book)).exit_code == 0
    revision = tmp_path / "perubahan-2025.xlsx"
    made = _run("referensi", "templat", "2025", "--dari", "2025", "-o", str(revision))
    assert "anggaran yang berlaku, untuk perubahan" in made.stdout
    same = _run("referensi", "perubahan", "2025", "--mulai-tw", "4", str(revision))
    assert same.exit_code == 0, same.stdout + same.stderr
    assert "tidak ada yang dipasang" in same.stdout and not (root / "_arsip").exists()

    workbook = load_workbook(revision)
    sheet = workbook["anggaran"]
    sheet["E3"], sheet["I3"] = 4_000_000, 1_000_000  # Laporan Capaian Kinerja: +1 jt in TW IV
    workbook.save(revision)
    first = _run("referensi", "perubahan", "2025", "--mulai-tw", "4", str(revision))
    assert first.exit_code == 0, first.stdout + first.stderr
    again = _run("referensi", "perubahan", "2025", "--mulai-tw", "4", str(revision))
    assert again.exit_code == 1, again.stdout + again.stderr
    assert "Sudah ada versi anggaran yang berlaku mulai TW IV" in again.stdout
    shutil.copytree(root / "2025", root / "2026")
    other_year = _run("referensi", "perubahan", "2026", "--mulai-tw", "4", str(revision))
    assert other_year.exit_code == 2 and "untuk tahun 2025, bukan 2026" in other_year.stderr
