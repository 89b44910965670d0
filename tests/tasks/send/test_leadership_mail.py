"""The draft to leadership stays under 2 MB at any scale: what does not fit is named, not sent."""

from __future__ import annotations

import email
import os
from email.policy import default
from pathlib import Path

from tests.tasks.publish.test_report import make_detail, make_summary
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import load_reference
from triwulan.tasks.send.deliver import deliver
from triwulan.tasks.send.mails import leadership_mail

PERIOD = Period(2024, 2)


def drafts(folder: Path, laporan_bytes: int) -> list[Path]:
    folder.mkdir(parents=True)
    laporan = folder / "laporan.html"
    laporan.write_bytes(os.urandom(laporan_bytes))  # incompressible, as a big report in base64
    rekap = folder / "rekap.xlsx"
    rekap.write_bytes(os.urandom(40_000))
    return [laporan, rekap]


def sent(tmp_path: Path, laporan_bytes: int):
    detail = make_detail()
    summary = make_summary(detail)
    files = drafts(tmp_path / "v1", laporan_bytes)
    mail = leadership_mail(load_reference(2024), PERIOD, summary, files, detail)
    [result] = deliver([mail], tmp_path / "outbox", None, ledger=tmp_path / "terkirim.json")
    message = email.message_from_bytes(result.eml.read_bytes(), policy=default)
    return mail, result.eml, message


def test_a_report_too_big_for_mail_stays_in_the_folder_and_is_named(tmp_path: Path) -> None:
    mail, eml, message = sent(tmp_path, 3 << 20)
    assert [p.name for p in mail.attachments] == ["rekap.xlsx"]
    assert eml.stat().st_size < 2 << 20
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    for body in (html, text):
        assert "tidak dilampirkan: laporan.html (3,0 MB)" in body
        assert str(tmp_path / "v1") in body


def test_a_small_report_travels_whole_without_a_note(tmp_path: Path) -> None:
    mail, eml, message = sent(tmp_path, 200_000)
    assert [p.name for p in mail.attachments] == ["laporan.html", "rekap.xlsx"]
    assert "tidak dilampirkan" not in message.get_body(("plain",)).get_content()
    assert eml.stat().st_size < 2 << 20
