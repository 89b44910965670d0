"""`triwulan akses` and the portal's settings on the command line (no server started)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from triwulan.cli import app

runner = CliRunner()


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    for name in ("TRIWULAN_PORTAL_RAHASIA", "TRIWULAN_CONFIG", "TRIWULAN_PORTAL_ALAMAT"):
        monkeypatch.delenv(name, raising=False)
    return {"TRIWULAN_OUT": str(tmp_path / "out"), "TRIWULAN_INBOX": str(tmp_path / "inbox")}


def test_a_code_is_printed_once_alone_on_the_last_line(env: dict[str, str]) -> None:
    env["TRIWULAN_PORTAL_ALAMAT"] = "https://triwulan.contoh.go.id/"
    made = runner.invoke(app, ["akses", "buat", "Perwira"], env=env)
    assert made.exit_code == 0, made.output
    lines = made.stdout.strip().splitlines()
    assert len(lines[-1]) == 29 and lines[-1].count("-") == 5  # XXXX-…-XXXX, nothing else
    assert "Kelurahan Perwira" in lines[0]
    assert any(
        x.startswith("Tautan masuk sekali pakai: https://triwulan.contoh.go.id/masuk/")
        for x in lines
    )

    admin = runner.invoke(app, ["akses", "buat", "--admin"], env=env)
    assert admin.exit_code == 0 and admin.stdout.strip().splitlines()[-1] != lines[-1]

    gone = runner.invoke(app, ["akses", "cabut", "perwira"], env=env)
    assert gone.exit_code == 0 and "1 kode akses perwira dicabut" in gone.stdout
    again = runner.invoke(app, ["akses", "cabut", "perwira"], env=env)
    assert "Tidak ada kode akses aktif" in again.stdout


def test_mistakes_are_one_indonesian_line(env: dict[str, str]) -> None:
    unknown = runner.invoke(app, ["akses", "buat", "bekasi-selatan"], env=env)
    assert unknown.exit_code == 2 and "tidak ada di data referensi" in unknown.stderr
    both = runner.invoke(app, ["akses", "buat", "perwira", "--admin"], env=env)
    assert both.exit_code == 2 and "salah satu saja" in both.stderr
    neither = runner.invoke(app, ["akses", "cabut"], env=env)
    assert neither.exit_code == 2
    for result in (unknown, both, neither):
        assert "Traceback" not in result.output


def test_the_session_secret_is_masked_in_triwulan_config(env: dict[str, str]) -> None:
    secret = "k" * 40
    shown = runner.invoke(app, ["config"], env={**env, "TRIWULAN_PORTAL_RAHASIA": secret})
    assert shown.exit_code == 0, shown.output
    assert secret not in shown.stdout and "TRIWULAN_PORTAL_RAHASIA" in shown.stdout


def test_a_short_secret_is_refused_and_still_masked(env: dict[str, str]) -> None:
    shown = runner.invoke(app, ["config"], env={**env, "TRIWULAN_PORTAL_RAHASIA": "pendek-sekali"})
    assert shown.exit_code == 2
    line = next(
        x for x in shown.stdout.splitlines() if x.strip().startswith("TRIWULAN_PORTAL_RAHASIA")
    )
    assert "TIDAK SAH: terlalu pendek" in line and "pendek-sekali" not in shown.output
