"""What the clerk meets after a run, on one real run of the sample's TW I (Prefect, SMTP, SQLite).

`final` names the units without an accepted file and asks first (--ya for scripts, refused
without a terminal); `ingatkan` refuses a FINAL quarter and says since when; periods may be typed
in any letter case; and every kind of mail has a clean subject, as built and as received.
"""

from __future__ import annotations

import dataclasses
import email
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from email import policy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.smtp_server import SmtpTestServer
from triwulan import actions
from triwulan.cli import app
from triwulan.paths import SAMPLE_DIR
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import load_reference
from triwulan.tasks.core.schedule import schedule
from triwulan.tasks.measure.summary import read_detail
from triwulan.tasks.send.acknowledgement import acknowledgement_mails
from triwulan.tasks.send.deliver import Mail, deliver
from triwulan.tasks.send.mails import failure_mail, leadership_mail, unit_feedback_mails
from triwulan.tasks.send.notices import (
    deadline,
    reminder_mail,
    secretariat_mail,
    unit_states,
)

runner = CliRunner()
TW1 = Period(2024, 1)
SEKRETARIAT = ["sekretariat.bekasiutara@example.go.id"]


@pytest.fixture(scope="module")
def quarter(prefect_api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """2024-TW1 of the sample run once (typed in lower case), with a mail server listening."""
    root = tmp_path_factory.mktemp("tw1")
    shutil.copytree(SAMPLE_DIR / "inbox", root / "inbox")
    with SmtpTestServer() as server, pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith(("TRIWULAN_", "_TRIWULAN_"))]:
            mp.delenv(key)
        for key, value in server.env(login=True).items():
            mp.setenv(key, value)
        mp.setenv("TRIWULAN_MAIL_FROM", "Sekretariat <sekretariat@example.go.id>")
        mp.setenv("TRIWULAN_INBOX", str(root / "inbox"))
        mp.setenv("TRIWULAN_OUT", str(root / "out"))
        ran = runner.invoke(app, ["run", "2024-tw1"])
        assert ran.exit_code == 0, (ran.stdout, ran.stderr)
        assert "2024-TW1 versi 1:" in ran.stdout
        folder = root / "out" / "2024" / "TW1" / "v1"
        yield {
            "root": root,
            "out": root / "out",
            "folder": folder,
            "summary": json.loads((folder / "summary.json").read_text(encoding="utf-8")),
            "server": server,
        }


def final_rows(out: Path) -> list[tuple]:
    with sqlite3.connect(out / "triwulan.sqlite") as db:
        return list(db.execute("select periode, versi, aksi from final order by id"))


def test_final_asks_first_when_units_are_missing_then_ingatkan_refuses_the_final_quarter(
    quarter: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    out, server = quarter["out"], quarter["server"]
    gaps = [u for u in quarter["summary"]["units"] if u["status"] in ("missing", "rejected")]
    assert gaps  # the sample's TW I: Kaliabang Tengah's file is rejected
    words = {"missing": "belum mengirim", "rejected": "berkas ditolak"}
    listed = "; ".join(f"{u['nama']} ({words[u['status']]})" for u in gaps)
    sent = len(server.messages)

    # 1. no terminal (cron, a pipe), no --ya: refused in one line, nothing marked
    refused = runner.invoke(app, ["final", "2024-TW1"])
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        f"2024-TW1 versi 1 belum lengkap: {len(gaps)} unit belum mengirim atau ditolak ({listed}); "
        "tanpa terminal tidak dapat ditanyakan. Tambahkan --ya untuk tetap menetapkannya FINAL."
    )

    # 2. at a terminal, answering no: the units were named, nothing is marked or sent
    monkeypatch.setattr(actions, "interactive", lambda: True)
    declined = runner.invoke(app, ["final", "2024-TW1"], input="n\n")
    assert declined.exit_code == 1, (declined.stdout, declined.stderr)
    for unit in gaps:
        assert f"  - {unit['nama']}: {words[unit['status']]}" in declined.stdout
    assert "Tetap tetapkan 2024-TW1 versi 1 sebagai FINAL dan kirim ke pimpinan? [y/N]" in (
        declined.stdout
    )
    assert declined.stderr.strip() == "Dibatalkan: 2024-TW1 tidak ditetapkan FINAL."
    assert final_rows(out) == []
    assert not (quarter["folder"] / "final").exists()
    assert len(server.messages) == sent

    # 3. --ya: no question, marked and sent (the period typed in lower case)
    monkeypatch.setattr(actions, "interactive", lambda: False)
    marked = runner.invoke(app, ["final", " 2024-tw1 ", "--ya"])
    assert marked.exit_code == 0, (marked.stdout, marked.stderr)
    assert marked.stdout.startswith("2024-TW1 versi 1 ditetapkan FINAL: ")
    assert "Tetap tetapkan" not in marked.stdout
    assert final_rows(out) == [("2024-TW1", 1, "final")]
    assert len(server.messages) == sent + 1

    # 4. the quarter is FINAL: no reminder, and the clerk is told which version and since when
    before = len(server.messages)
    reminded = runner.invoke(app, ["ingatkan", "2024-Tw1"])
    assert reminded.exit_code == 2
    line = reminded.stderr.strip()
    assert len(line.splitlines()) == 1
    assert line.startswith("2024-TW1 sudah FINAL (versi 1, ditetapkan oleh ")
    assert " WIB): pengingat tidak dikirim" in line and "--buka-final" in line
    assert not (out / "2024" / "TW1" / "pengingat").exists()
    assert len(server.messages) == before


# --- mail subjects -----------------------------------------------------------------------------


def every_kind_of_mail(quarter: dict[str, Any], work: Path) -> list[Mail]:
    """Each mail the program writes, built from the real run's summary and figures."""
    ref = load_reference(2024)
    summary, detail = quarter["summary"], read_detail(quarter["folder"])
    drafts = work / "draf"
    drafts.mkdir()
    attachments = [
        Path(shutil.copy(quarter["folder"] / name, drafts))
        for name in ("laporan.html", "rekap.xlsx")
    ]
    final = {**summary, "status_laporan": "FINAL"}
    tw2 = {**summary, "period": "2024-TW2"}
    later = SimpleNamespace(summary=tw2, version=1, detail=detail, attachments=attachments)
    noted = dict(summary)
    accepted = next(u for u in summary["units"] if u["status"] == "accepted")
    warning = {"row": 2, "column": "realisasi_fisik", "rule": "x", "severity": "warning",
               "message": "Fisik 100% tetapi keuangan 0."}  # fmt: skip
    noted["units"] = [
        {**u, "problems": [*u["problems"], warning]} if u is accepted else u
        for u in summary["units"]
    ]
    states = unit_states(
        ref,
        {},
        {u["unit"]: u["status"] for u in summary["units"]},
        {u["unit"]: u["file"] for u in summary["units"] if u["file"]},
    )
    due = deadline(TW1, schedule({}))
    reminded = [s for s in states if s.reminded]
    kinds = {s.status for s in reminded}
    assert kinds == {"missing", "rejected"} or kinds == {"rejected"}, kinds
    all_in = [dataclasses.replace(s, status="accepted") for s in states]
    return [
        leadership_mail(ref, TW1, summary, attachments, detail),
        leadership_mail(ref, TW1, final, attachments, detail),
        leadership_mail(ref, TW1, summary, attachments, detail, later=[later]),
        *unit_feedback_mails(ref, TW1, summary, {}),
        *acknowledgement_mails(ref, TW1, summary, {}),
        *acknowledgement_mails(ref, TW1, noted, {}),
        *(
            reminder_mail(ref, TW1, s, due=due, late=late, send_to=SEKRETARIAT, attachment=None)
            for s in reminded
            for late in (False, True)
        ),
        secretariat_mail(ref, TW1, states, due=due, late=False, to=SEKRETARIAT, unattributed=[]),
        secretariat_mail(ref, TW1, all_in, due=due, late=True, to=SEKRETARIAT, unattributed=[]),
        failure_mail("2024-TW1", "Folder inbox 'inbox' tidak ada.", SEKRETARIAT),
        failure_mail("triwulan terakhir", "Periode tidak sah.", SEKRETARIAT),
    ]


def clean(subject: str) -> bool:
    return subject == subject.strip() and "  " not in subject and "\n" not in subject


def test_every_subject_reads_cleanly_as_built_archived_and_received(
    quarter: dict[str, Any], tmp_path: Path
) -> None:
    mails = every_kind_of_mail(quarter, tmp_path)
    prefixes = {m.subject.split(":")[0].split(" ")[0] for m in mails}
    assert {"[DRAF]", "[FINAL]", "Perbaikan", "Berkas", "Pengingat", "Batas", "[GAGAL]"} <= prefixes
    for number, mail in enumerate(mails):
        assert clean(mail.subject), mail.subject
        (result,) = deliver([mail], tmp_path / "outbox" / str(number), None)
        archived = email.message_from_bytes(result.eml.read_bytes(), policy=policy.default)
        assert archived["Subject"] == mail.subject  # the '—' once came back as '  —'
    received = [m.parse()["Subject"] for m in quarter["server"].messages]
    assert received and all(clean(s) for s in received), [s for s in received if not clean(s)]
