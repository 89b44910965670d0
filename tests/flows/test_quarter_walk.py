"""A quarter-end walked through as the secretariat lives it, against a real SMTP server.

Reminder to the two units that have not sent; the deadline run (v1, one unit rejected);
acknowledgements to the accepted units; then a run while the mail server is down: Failed,
exit 3, and the report is on disk.
"""

from __future__ import annotations

import shutil

import openpyxl
from typer.testing import CliRunner

from tests.smtp_server import SmtpTestServer
from triwulan.cli import app
from triwulan.paths import SAMPLE_DIR

LEADERS = {"camat.bekasiutara@example.go.id", "sekcam.bekasiutara@example.go.id"}
MISSING = {"kel.harapanbaru@example.go.id", "kel.telukpucung@example.go.id"}
SECRETARIAT = "sekretariat.bekasiutara@example.go.id"


def test_a_quarter_end_from_reminder_to_a_failed_delivery(prefect_api, tmp_path, monkeypatch):
    quarter = tmp_path / "inbox" / "2024" / "TW2"
    shutil.copytree(SAMPLE_DIR / "inbox" / "2024" / "TW2", quarter)
    late = next(quarter.glob("*Teluk*"))
    held_back = tmp_path / late.name
    late.rename(held_back)  # Teluk Pucung has not sent yet; Harapan Baru is late in the sample
    perwira = next(quarter.glob("*Perwira*"))
    book = openpyxl.load_workbook(perwira)
    sheet = book["realisasi"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("realisasi_fisik") + 1).value = 150
    book.save(perwira)
    monkeypatch.setenv("TRIWULAN_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("TRIWULAN_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("TRIWULAN_MAIL_FROM", "Sekretariat <sekretariat@example.go.id>")
    monkeypatch.setenv("TRIWULAN_SMTP_TIMEOUT_S", "2")
    runner = CliRunner()

    with SmtpTestServer() as server:
        for key, value in server.env(login=True).items():
            monkeypatch.setenv(key, value)

        # 1. the reminder reaches the two units that have not sent
        reminded = runner.invoke(app, ["ingatkan", "2024-TW2"])
        assert reminded.exit_code == 0, reminded.stdout + reminded.stderr
        to_units = [m for m in server.messages if set(m.rcpt_tos) & MISSING]
        assert sorted(r for m in to_units for r in m.rcpt_tos) == sorted(MISSING)
        for message in to_units:
            names = [p.get_filename() for p in message.parse().iter_attachments()]
            assert len(names) == 1 and names[0].endswith(".xlsx")
        assert any(SECRETARIAT in m.rcpt_tos for m in server.messages)
        before = len(server.messages)

        # 2. the deadline run is v1, with one unit rejected
        ran = runner.invoke(app, ["run", "2024-TW2"])
        assert ran.exit_code == 0, ran.stdout + ran.stderr
        assert "2024-TW2 versi 1: 4 dari 7 unit diterima." in ran.stdout
        assert "DITOLAK Kelurahan Perwira" in ran.stdout
        new = server.messages[before:]
        assert len([m for m in new if set(m.rcpt_tos) >= LEADERS]) == 1

        # 3. the accepted units get acknowledgements, the rejected one its problems
        acks = [m for m in new if m.parse()["Subject"].startswith("Berkas diterima")]
        assert sorted(r for m in acks for r in m.rcpt_tos) == sorted(
            [
                "sekretariat.bekasiutara@example.go.id",
                "kel.harapanjaya@example.go.id",
                "kel.margamulya@example.go.id",
                "kel.kaliabangtengah@example.go.id",
            ]
        )
        assert len([m for m in new if "kel.perwira@example.go.id" in m.rcpt_tos]) == 1

    # 4. Teluk Pucung sends late; the mail server is down for the rerun
    held_back.rename(late)
    failed = runner.invoke(app, ["run", "2024-TW2"])
    assert failed.exit_code == 3, failed.stdout + failed.stderr
    assert "email ke pimpinan GAGAL dikirim" in failed.stderr
    assert (tmp_path / "out" / "2024" / "TW2" / "v2" / "laporan.html").exists()
    assert "2024-TW2 versi 2" in failed.stdout

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=5)
    latest = next(r for r in runs if r.name.startswith("2024-TW2 v2"))
    assert latest.state is not None and latest.state.is_failed()
    # the delivery module's own log lines are in the run's logs in Prefect, not only on stdout
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[latest.id])))
    assert any(log.name == "triwulan.tasks.send.smtp" and "gagal" in log.message for log in logs)
