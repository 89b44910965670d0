"""The record of a quarter on a real PostgreSQL: the lock, a run, an identical rerun, the ledger."""

from __future__ import annotations

import shutil
import threading

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tests.smtp_server import SmtpTestServer
from triwulan.cli import app
from triwulan.paths import SAMPLE_DIR
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.record import database
from triwulan.tasks.record.lock import quarter_lock


def test_the_quarter_lock_holds_across_connections(postgres_url):
    holder, waiter = database.open_store(postgres_url), database.open_store(postgres_url)
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with quarter_lock(holder, "2030-TW1", 5):
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    assert inside.wait(10)
    with (
        pytest.raises(TriwulanError, match="2030-TW1 sedang diproses oleh run lain"),
        quarter_lock(waiter, "2030-TW1", 1, poll_s=0.1),
    ):
        pass
    release.set()
    thread.join()
    with quarter_lock(waiter, "2030-TW1", 1):  # free again once the holder is done
        pass
    with waiter.connect() as conn:
        assert conn.execute(text("select count(*) from kunci")).scalar() == 0


def test_a_quarter_run_and_an_identical_rerun_on_postgresql(
    prefect_api, postgres_url, tmp_path, monkeypatch
):
    shutil.copytree(SAMPLE_DIR / "inbox" / "2024" / "TW1", tmp_path / "inbox" / "2024" / "TW1")
    monkeypatch.setenv("TRIWULAN_DB_URL", postgres_url)
    monkeypatch.setenv("TRIWULAN_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("TRIWULAN_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("TRIWULAN_MAIL_FROM", "Sekretariat <sekretariat@example.go.id>")
    runner = CliRunner()
    with SmtpTestServer() as server:
        for key, value in server.env(login=True).items():
            monkeypatch.setenv(key, value)
        first = runner.invoke(app, ["run", "2024-TW1"])
        sent = len(server.messages)
        again = runner.invoke(app, ["run", "2024-TW1"])
        assert len(server.messages) == sent
    assert first.exit_code == 0, first.stdout + first.stderr
    assert "2024-TW1 versi 1: 6 dari 7 unit diterima." in first.stdout
    assert again.exit_code == 0 and "tidak ada perubahan sejak v1" in again.stdout
    engine = database.open_store(postgres_url)
    with engine.connect() as conn:
        total = conn.execute(
            text("select sum(realisasi_keuangan) from realisasi where tahun=2024 and triwulan=1")
        ).scalar()
        mails = conn.execute(text("select count(*) from surat where status='terkirim'")).scalar()
        runs = conn.execute(text("select status from runs order by id")).scalars().all()
    assert total > 0 and mails == sent
    assert runs == ["selesai", "tanpa_perubahan"]
    status = runner.invoke(app, ["status", "2024-TW1"])
    assert status.exit_code == 0 and "Realisasi TW1 Kel Perwira.xlsx" in status.stdout
