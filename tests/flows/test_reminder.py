"""Integration: reminders on real sample files, a real SMTP server, a real SQLite ledger.

The sample TW II inbox has 6 of 7 units; Perwira's file is removed too, so Perwira and Harapan
Baru are missing. Both `remind()` (what `triwulan ingatkan` runs) and the Prefect flow are run.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest

from tests.smtp_server import ReceivedMessage, SmtpTestServer
from triwulan.paths import SAMPLE_DIR
from triwulan.tasks.core.period import WIB

SEKRETARIAT = "sekretariat.bekasiutara@example.go.id"
MISSING = {"perwira": "kel.perwira@example.go.id", "harapan-baru": "kel.harapanbaru@example.go.id"}
PERWIRA_FILE = "Realisasi TW2 Kel Perwira.xlsx"
BEFORE_DEADLINE = dt.datetime(2024, 7, 7, 8, 0, tzinfo=WIB)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """A TW II inbox without Perwira and Harapan Baru, an empty out folder, a live SMTP server."""
    monkeypatch.chdir(tmp_path)  # no triwulan.toml of the developer's
    for name in (
        "TRIWULAN_CONFIG",
        "TRIWULAN_SEKRETARIAT",
        "TRIWULAN_DB_URL",
        "TRIWULAN_REFERENCE",
    ):
        monkeypatch.delenv(name, raising=False)
    for name in ("TRIWULAN_BATAS_TANGGAL", "TRIWULAN_BATAS_JAM", "TRIWULAN_PENGINGAT_HARI"):
        monkeypatch.delenv(name, raising=False)
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    quarter = inbox / "2024" / "TW2"
    shutil.copytree(SAMPLE_DIR / "inbox" / "2024" / "TW2", quarter)
    (quarter / PERWIRA_FILE).unlink()
    with SmtpTestServer() as server:
        for key, value in server.env(login=True).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv(
            "TRIWULAN_MAIL_FROM", "Sekretariat Kecamatan Bekasi Utara <sekretariat@example.go.id>"
        )
        yield {"inbox": inbox, "out": out, "quarter": quarter, "server": server}


def by_recipient(messages: list[ReceivedMessage]) -> dict[str, list[EmailMessage]]:
    out: dict[str, list[EmailMessage]] = {}
    for m in messages:
        for rcpt in m.rcpt_tos:
            out.setdefault(rcpt, []).append(m.parse())
    return out


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def template_units(message: EmailMessage) -> tuple[str, set[str]]:
    """(attachment name, the values of its `unit` column), read with openpyxl."""
    [attachment] = list(message.iter_attachments())
    book = openpyxl.load_workbook(io.BytesIO(attachment.get_content()), read_only=True)
    rows = list(book["realisasi"].iter_rows(values_only=True))
    column = list(rows[0]).index("unit")
    return attachment.get_filename(), {r[column] for r in rows[1:] if any(v is not None for v in r)}


def check_first_round(messages: list[ReceivedMessage], *, late: bool = False) -> None:
    got = by_recipient(messages)
    assert set(got) == {*MISSING.values(), SEKRETARIAT}
    for unit, address in MISSING.items():
        [mail] = got[address]  # exactly one reminder each
        name, units = template_units(mail)
        assert name == f"realisasi-2024-TW2-{unit}.xlsx"
        assert units == {unit}
        body = text_of(mail)
        assert "10 Juli 2024 pukul 08.00 WIB" in body and SEKRETARIAT in body
        assert ("sudah lewat" in body) is late
    [listing] = got[SEKRETARIAT]
    body = text_of(listing)
    missing = body[body.index("BELUM MENGIRIM (2)") : body.index("BERKAS DITOLAK")]
    assert "Kelurahan Perwira" in missing and "Kelurahan Harapan Baru" in missing
    assert "SUDAH DITERIMA (5)" in body and "Kelurahan Marga Mulya" in body


def test_remind_sends_once_and_only_what_changed(world):
    from triwulan.reminders import remind

    server = world["server"]
    # a scheduled round on 7 July without a periode: the quarter that ended before it, TW II
    first = remind(None, world["inbox"], world["out"], scheduled=BEFORE_DEADLINE)

    assert first.period.label == "2024-TW2" and not first.late
    assert not first.failed
    assert {s.unit for s in first.states if s.reminded} == set(MISSING)
    check_first_round(server.messages)
    assert any("Kelurahan Perwira (belum mengirim): pengingat terkirim" in x for x in first.lines)
    assert first.outbox is not None and len(list(first.outbox.glob("*.eml"))) == 3

    again = remind("2024-TW2", world["inbox"], world["out"], now=BEFORE_DEADLINE)
    assert len(server.messages) == 3  # nothing new
    assert {r.status for r in again.results} == {"sudah_terkirim"}
    assert again.outbox is None  # no empty folder and no stray templates per rerun
    assert [p.name for p in (first.outbox.parent).iterdir()] == [first.outbox.name]

    # Perwira's file arrives, and Harapan Baru sends a file that cannot be read
    shutil.copy(SAMPLE_DIR / "inbox" / "2024" / "TW2" / PERWIRA_FILE, world["quarter"])
    (world["quarter"] / "realisasi harapan baru tw2 2024.xlsx").write_bytes(b"bukan excel")
    third = remind("2024-TW2", world["inbox"], world["out"], now=BEFORE_DEADLINE)

    new = by_recipient(server.messages[3:])
    assert set(new) == {MISSING["harapan-baru"], SEKRETARIAT}  # nothing for Perwira now
    [rejected] = new[MISSING["harapan-baru"]]
    assert "belum dapat diterima" in str(rejected["Subject"])
    assert "realisasi harapan baru tw2 2024.xlsx" in text_of(rejected)
    assert template_units(rejected)[1] == {"harapan-baru"}
    listing = text_of(new[SEKRETARIAT][0])
    assert "BELUM MENGIRIM (0)" in listing and "BERKAS DITOLAK (1)" in listing
    assert {s.unit: s.status for s in third.states}["perwira"] == "accepted"


def test_flow_reminds_and_shares_the_ledger_with_the_command(world, prefect_api):
    from triwulan.flows.reminder import deadline_reminder
    from triwulan.reminders import remind

    server = world["server"]
    # the sample quarter ended long ago: today the deadline has passed, and the mails say so
    result = deadline_reminder("2024-TW2", str(world["inbox"]), str(world["out"]))

    assert result["period"] == "2024-TW2" and result["late"]
    check_first_round(server.messages, late=True)
    statuses = {d["key"].split("/")[1]: d["status"] for d in result["delivery"]}
    assert statuses == {"pengingat": "terkirim", "pengingat-sekretariat": "terkirim"}

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["deadline-reminder"]))
        )
    assert "pengingat 2024-TW2" in {r.name for r in runs}

    # the command afterwards finds everything already sent by the flow
    again = remind("2024-TW2", world["inbox"], world["out"])
    assert len(server.messages) == 3
    assert {r.status for r in again.results} == {"sudah_terkirim"}


def test_a_refused_reminder_is_reported_and_tried_again_next_round(world):
    from triwulan.reminders import remind

    server = world["server"]
    server.refuse_recipient(MISSING["perwira"])
    first = remind("2024-TW2", world["inbox"], world["out"], now=BEFORE_DEADLINE)

    assert [r.key.split("/")[2] for r in first.failed] == ["perwira"]
    assert any("Kelurahan Perwira" in line and "GAGAL" in line for line in first.lines)
    assert set(by_recipient(server.messages)) == {MISSING["harapan-baru"], SEKRETARIAT}

    again = remind("2024-TW2", world["inbox"], world["out"], now=BEFORE_DEADLINE)
    assert len(again.failed) == 1  # tried again: a failure never counts as sent
    assert len(server.messages) == 2  # and nothing that did go out is sent twice
