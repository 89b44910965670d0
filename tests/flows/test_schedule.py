"""A scheduled run reports the quarter of its scheduled start, however late it runs."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from triwulan.paths import PACKAGED_REFERENCE
from triwulan.tasks.core import period as period_module
from triwulan.tasks.core.errors import TriwulanError

WIB = dt.timezone(dt.timedelta(hours=7))


def test_late_scheduled_run_reports_its_own_quarter(prefect_api, tmp_path, monkeypatch):
    """Scheduled for 2025-04-10 08:00 WIB (TW I's deadline), started on 2025-07-02."""
    import prefect.runtime.flow_run as runtime

    from triwulan.flows.quarterly import quarterly_report

    reference = tmp_path / "referensi"
    shutil.copytree(PACKAGED_REFERENCE, reference)
    shutil.copytree(reference / "2024", reference / "2025")  # a 2025 budget like 2024's
    monkeypatch.setenv("TRIWULAN_REFERENCE", str(reference))
    (tmp_path / "inbox" / "2025" / "TW2").mkdir(parents=True)
    (tmp_path / "inbox" / "2025" / "TW2" / "berkas-tw2.xlsx").write_bytes(b"-")
    monkeypatch.setenv("TRIWULAN_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("TRIWULAN_OUT", str(tmp_path / "out"))
    monkeypatch.setattr(period_module, "wib_now", lambda: dt.datetime(2025, 7, 2, 9, 0, tzinfo=WIB))
    monkeypatch.setitem(
        runtime.FIELDS,
        "scheduled_start_time",
        lambda: dt.datetime(2025, 4, 10, 8, 0, tzinfo=WIB),
    )
    # TW I 2025 has no files; had the clock decided, TW II (which has one) would have been taken
    with pytest.raises(TriwulanError, match="Belum ada berkas masuk untuk 2025-TW1"):
        quarterly_report()


def test_period_for_run_prefers_the_given_period_then_the_schedule_then_the_clock(monkeypatch):
    from triwulan.tasks.core.period import period_for_run

    monkeypatch.setattr(period_module, "wib_now", lambda: dt.datetime(2025, 7, 2, 9, 0, tzinfo=WIB))
    assert period_for_run("2024-TW3").label == "2024-TW3"
    assert period_for_run(None, dt.datetime(2025, 4, 10, 1, 0, tzinfo=dt.UTC)).label == "2025-TW1"
    assert period_for_run(None, dt.datetime(2025, 1, 10, 8, 0, tzinfo=WIB)).label == "2024-TW4"
    assert period_for_run(None).label == "2025-TW2"


def test_a_scheduled_run_that_cannot_report_tells_the_secretariat(
    prefect_api, tmp_path, monkeypatch
):
    """No file at the deadline: the run fails with one line, and the secretariat gets it by mail."""
    from tests.smtp_server import SmtpTestServer
    from triwulan.flows.quarterly import quarterly_report

    (tmp_path / "inbox" / "2024" / "TW3").mkdir(parents=True)
    monkeypatch.setenv("TRIWULAN_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("TRIWULAN_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("TRIWULAN_SEKRETARIAT", "sekretariat@example.go.id")
    monkeypatch.setenv("TRIWULAN_MAIL_FROM", "triwulan@example.go.id")
    with SmtpTestServer() as server:
        for key, value in server.env(login=True).items():
            monkeypatch.setenv(key, value)
        with pytest.raises(TriwulanError, match="Belum ada berkas masuk untuk 2024-TW3") as caught:
            quarterly_report("2024-TW3", pemicu="jadwal")
        [mail] = server.messages
    assert mail.rcpt_tos == ["sekretariat@example.go.id"]
    message = mail.parse()
    assert message["Subject"] == "[GAGAL] Laporan triwulan 2024-TW3 belum dapat dibuat"
    assert str(caught.value) in message.get_body(("plain",)).get_content()


def test_the_smtp_password_can_come_from_a_prefect_secret_block(prefect_api, tmp_path):
    from prefect.blocks.system import Secret

    from triwulan.config import apply_config, effective

    Secret(value="sandi-dari-block").save("triwulan-smtp-uji", overwrite=True)
    config = tmp_path / "triwulan.toml"
    config.write_text('[smtp]\nhost = "mail.example"\nsecret_block = "triwulan-smtp-uji"\n')
    env = {"TRIWULAN_CONFIG": str(config)}
    apply_config(env)
    assert env["TRIWULAN_SMTP_PASSWORD"] == "sandi-dari-block"
    shown = {r.variable: r for r in effective(env)}["TRIWULAN_SMTP_PASSWORD"]
    assert shown.value == "******" and shown.origin == "Prefect Secret 'triwulan-smtp-uji'"
