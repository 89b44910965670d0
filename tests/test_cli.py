"""The command line as people use it: Indonesian messages, exit 2 and no traceback on mistakes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.units import SLUGS
from triwulan.cli import app

runner = CliRunner()


def test_units_lists_every_unit() -> None:
    result = runner.invoke(app, ["units"])
    assert result.exit_code == 0, result.output
    listed = [line.split()[0] for line in result.stdout.splitlines()[1:] if line.strip()]
    assert listed == SLUGS
    assert "Kelurahan Kaliabang Tengah" in result.stdout


def test_units_of_a_missing_year() -> None:
    result = runner.invoke(app, ["units", "--tahun", "1999"])
    assert result.exit_code == 2
    assert "1999" in result.stderr
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
    assert len(result.stderr.strip().splitlines()) == 1


def test_template_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "x.xlsx"
    result = runner.invoke(app, ["template", "2024-TW2", "--unit", "perwira", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert load_workbook(target).sheetnames == ["realisasi", "zona_k3", "petunjuk"]
    assert "x.xlsx" in result.stdout and "Triwulan II Tahun 2024" in result.stdout


def test_template_default_name_and_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["template", "2024-TW2", "-u", "perwira"]).exit_code == 0
    assert (tmp_path / "realisasi-2024-TW2-perwira.xlsx").is_file()
    result = runner.invoke(app, ["template", "2024-TW2", "-u", "perwira", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert (
        (tmp_path / "realisasi-2024-TW2-perwira.csv")
        .read_text(encoding="utf-8")
        .startswith("tahun,triwulan,unit,")
    )


@pytest.mark.parametrize("periode", ["2024-Q2", "TW2-2024", "2024-TW5"])
def test_malformed_period_shows_the_right_form(tmp_path: Path, periode: str) -> None:
    target = tmp_path / "x.xlsx"
    result = runner.invoke(app, ["template", periode, "--unit", "perwira", "-o", str(target)])
    assert result.exit_code == 2
    assert "2024-TW2" in result.stderr
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
    assert len(result.stderr.strip().splitlines()) == 1
    assert not target.exists()


def test_unknown_unit(tmp_path: Path) -> None:
    target = tmp_path / "x.xlsx"
    result = runner.invoke(app, ["template", "2024-TW2", "--unit", "perwiraa", "-o", str(target)])
    assert result.exit_code == 2
    assert "tidak dikenal" in result.stderr and "harapan-jaya" in result.stderr
    assert not target.exists()


def test_console_script_is_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "triwulan"
    shown = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert shown.returncode == 0, shown.stderr
    assert "template" in shown.stdout and "units" in shown.stdout

    refused = subprocess.run(
        [str(script), "template", "TW2-2024", "-u", "perwira"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert refused.returncode == 2
    assert "2024-TW2" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "2024-Q2"], "2024-TW2"),
        (["run", "2023-TW1"], "Tidak ada data referensi untuk tahun 2023"),
        (["run", "2024-TW1", "--inbox", "tidak-ada"], "Folder inbox 'tidak-ada' tidak ada"),
        (
            ["run", "2024-TW1", "--out", "berkas.txt"],
            "Folder hasil 'berkas.txt' tidak dapat dibuat",
        ),
        (["run", "2024-TW1", "env:TRIWULAN_SMTP_SECURITY=tls"], "TRIWULAN_SMTP_SECURITY"),
        (["run", "2024-TW1", "env:TRIWULAN_DB_URL=sqlite:////tidak/ada/x.sqlite"], "Basis data"),
        (["run", "2024-TW1", "env:TRIWULAN_DB_URL=bukan-url"], "Basis data"),
        (["run", "2024-TW1", "env:TRIWULAN_DB_URL=mysql://u:p@127.0.0.1/db"], "Driver basis data"),
    ],
)
def test_run_fails_with_one_indonesian_line_when_nothing_can_be_produced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "berkas.txt").write_text("bukan folder")
    monkeypatch.setenv("TRIWULAN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRIWULAN_MAIL_FROM", "Sekretariat <sekretariat@example.go.id>")
    for arg in [a for a in args if a.startswith("env:")]:
        key, value = arg[4:].split("=", 1)
        monkeypatch.setenv(key, value)
    args = [a for a in args if not a.startswith("env:")]
    (tmp_path / "inbox" / "2024" / "TW1").mkdir(parents=True)
    (tmp_path / "inbox" / "2024" / "TW1" / "perwira.xlsx").write_bytes(b"isi")
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
    assert len(result.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.glob("out/*/TW*"))  # no report folder was produced


def test_a_roll_up_of_an_unknown_or_wrong_wilayah_answers_before_prefect(tmp_path, monkeypatch):
    from triwulan.sample.kota import write_kota

    kota = write_kota(tmp_path / "kota")
    monkeypatch.setenv("TRIWULAN_REFERENCE", str(kota.root))
    monkeypatch.chdir(tmp_path)
    cases = [
        (["--wilayah", "32.99"], "Wilayah 32.99 tidak dikenal"),
        (["--wilayah", "32.75.91"], "adalah kecamatan"),
        (["--wilayah", "../32"], "tidak sah"),
        (["--wilayah", "32.75", "--paksa"], "tidak dapat digabung"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["run", "2024-TW2", *args])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "Traceback" not in result.output
    (kota.root / "32.75" / "recipients.csv").write_text(
        "peran,nama,jabatan,email\nwalikota,W,Wali Kota,bukan-alamat\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["run", "2024-TW2", "--wilayah", "32.75"])
    assert result.exit_code == 2
    assert "baris 2 kolom email: 'bukan-alamat' bukan alamat email" in result.output
    assert not (tmp_path / "out").exists()  # nothing ran
