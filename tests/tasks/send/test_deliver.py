"""Delivery against a real aiosmtpd server with real yagmail: what arrives, retries, idempotence."""

from __future__ import annotations

import email
import email.policy
import io
import json
import socket
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest

from tests.smtp_server import SmtpTestServer
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.fmt import strip_newlines
from triwulan.tasks.core.smtp_settings import SmtpConfig
from triwulan.tasks.send.deliver import DeliveryResult, Mail, deliver

SUBJECT = "[DRAF] Laporan Realisasi TW II 2024 — Kecamatan Sukamaju (versi 1)"
HTML = """<!DOCTYPE html>
<html lang="id">
<head><meta charset="utf-8"><style>td { padding: 4px; }</style></head>
<body>
<h1>Realisasi Triwulan II</h1>
<p>Capaian keuangan
mencapai <b>72,5%</b> dari target.<br>Baris kedua.</p>
<table>
<tr><td>Pemerintahan</td><td>Rp 1.250.000</td></tr>
</table>
<pre>kolom A
kolom B</pre>
</body>
</html>
"""
TEXT = "Realisasi Triwulan II\nCapaian keuangan 72,5% dari target."


def _config(server: SmtpTestServer, **overrides: str) -> SmtpConfig:
    config = SmtpConfig.from_env(server.env(**overrides))
    assert config is not None
    return config


def _attachments(folder: Path) -> list[Path]:
    xlsx = folder / "rekap.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["unit", "realisasi"])
    sheet.append(["Seksi Pemerintahan", 1250000])
    book.save(xlsx)
    html = folder / "laporan.html"
    html.write_text("<html><body><p>Laporan lengkap</p></body></html>", encoding="utf-8")
    return [xlsx, html]


def _mail(key: str, folder: Path | None = None, **overrides: object) -> Mail:
    values: dict[str, object] = {
        "key": key,
        "to": ["camat@sukamaju.go.id", "sekcam@sukamaju.go.id"],
        "cc": ["sekretariat@sukamaju.go.id"],
        "subject": SUBJECT,
        "html": HTML,
        "text": TEXT,
        "attachments": _attachments(folder) if folder else [],
    }
    values.update(overrides)
    return Mail(**values)  # type: ignore[arg-type]


def _attachment_parts(message: EmailMessage) -> dict[str, bytes]:
    """By file name; yagmail gives text/* attachments a name but no Content-Disposition."""
    found = {}
    for part in message.walk():
        name = part.get_filename()
        if name:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[name] = payload
    return found


def _ledger(outbox: Path) -> dict[str, dict[str, object]]:
    return json.loads((outbox / "terkirim.json").read_text(encoding="utf-8"))["terkirim"]


def test_mail_with_html_and_attachments_arrives_intact(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    mail = _mail("2024-TW2/v1/pimpinan", tmp_path)

    [result] = deliver([mail], outbox, _config(smtp_server), backoff_s=0.01)

    assert result == DeliveryResult(
        "2024-TW2/v1/pimpinan",
        "terkirim",
        outbox / "2024-TW2_v1_pimpinan.eml",
        None,
        1,
        (*mail.to, *mail.cc),
    )
    [received] = smtp_server.messages
    assert received.login == smtp_server.user  # logged in as the SMTP user ...
    assert received.mail_from == "kecamatan@sukamaju.go.id"  # ... but sent as TRIWULAN_MAIL_FROM
    assert sorted(received.rcpt_tos) == sorted([*mail.to, *mail.cc])

    message = received.parse()
    assert message["Subject"] == SUBJECT
    assert message["From"].addresses[0].display_name == "Sekretariat Kecamatan Sukamaju"
    assert message["From"].addresses[0].addr_spec == "kecamatan@sukamaju.go.id"
    assert {a.addr_spec for a in message["To"].addresses} == set(mail.to)
    assert {a.addr_spec for a in message["Cc"].addresses} == set(mail.cc)
    assert message["X-Triwulan-Key"] == mail.key

    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert html.lower().count("<br") == HTML.lower().count("<br") == 1
    assert "Capaian keuangan mencapai <b>72,5%</b>" in html
    assert "<pre>kolom A&#10;kolom B</pre>" in html

    files = _attachment_parts(message)
    assert set(files) == {"rekap.xlsx", "laporan.html"}
    assert files["laporan.html"] == (tmp_path / "laporan.html").read_bytes()
    book = openpyxl.load_workbook(io.BytesIO(files["rekap.xlsx"]))
    assert book.active is not None
    assert book.active["A2"].value == "Seksi Pemerintahan"
    assert book.active["B2"].value == 1250000

    # The archived copy shares the identifying headers with what was sent.
    archived = email.message_from_bytes(result.eml.read_bytes(), policy=email.policy.default)
    assert archived["Message-ID"] == message["Message-ID"]
    assert archived["Date"] == message["Date"]
    assert _ledger(outbox)[mail.key]["eml"] == result.eml.name


def test_offline_mode_writes_complete_eml(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    mails = [_mail("2024-TW2/v1/pimpinan", tmp_path), _mail("2024-TW2/v1/unit/perwira")]

    results = deliver(mails, outbox, None)

    assert [r.status for r in results] == ["disimpan", "disimpan"]
    assert [r.error for r in results] == [None, None]
    assert not (outbox / "terkirim.json").exists()
    message = email.message_from_bytes(results[0].eml.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == SUBJECT
    assert message["X-Unsent"] == "1"
    assert {a.addr_spec for a in message["To"].addresses} == set(mails[0].to)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert text.get_content().replace("\r\n", "\n").strip() == TEXT  # .eml lines end in CRLF
    # the archived copy is exactly what is sent: newlines flattened (yagmail would add <br>)
    assert html is not None and html.get_content().strip() == strip_newlines(HTML).strip()
    attached = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attached) == {"rekap.xlsx", "laporan.html"}
    xlsx = attached["rekap.xlsx"].get_content()
    assert openpyxl.load_workbook(io.BytesIO(xlsx)).active["A2"].value == "Seksi Pemerintahan"
    assert results[1].eml.name == "2024-TW2_v1_unit_perwira.eml"
    assert results[1].eml.is_file()


def test_retry_after_temporary_refusal_delivers_once(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    smtp_server.fail_data(1)

    [result] = deliver(
        [_mail("unit1/isi", tmp_path)], tmp_path / "out", _config(smtp_server), backoff_s=0.01
    )

    assert (result.status, result.attempts, result.error) == ("terkirim", 2, None)
    assert smtp_server.data_attempts == 2
    assert len(smtp_server.messages) == 1


def test_server_that_always_fails_keeps_eml_and_continues(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    smtp_server.fail_data(None, "451 4.3.0 Antrean penuh")
    mails = [_mail("unit1/isi"), _mail("unit2/isi")]

    results = deliver(mails, tmp_path / "out", _config(smtp_server), attempts=3, backoff_s=0.01)

    assert [(r.status, r.attempts) for r in results] == [("gagal", 3), ("gagal", 3)]
    assert smtp_server.data_attempts == 6  # the second mail was still tried, three times
    assert smtp_server.messages == []
    for result in results:
        assert result.eml.is_file()
        assert result.error is not None
        assert "451" in result.error and "Antrean penuh" in result.error
        assert "setelah 3 percobaan" in result.error
    assert not (tmp_path / "out" / "terkirim.json").exists()


def test_permanent_refusal_is_not_retried_and_next_mail_is_sent(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    smtp_server.refuse_recipient("hilang@sukamaju.go.id")
    mails = [_mail("unit1/isi", to=["hilang@sukamaju.go.id"], cc=[]), _mail("unit2/isi")]

    first, second = deliver(mails, tmp_path / "out", _config(smtp_server), backoff_s=0.01)

    assert (first.status, first.attempts) == ("gagal", 1)
    assert first.error is not None and "hilang@sukamaju.go.id" in first.error
    assert "550" in first.error
    assert first.eml.is_file()
    assert (second.status, second.attempts) == ("terkirim", 1)
    assert len(smtp_server.messages) == 1
    assert list(_ledger(tmp_path / "out")) == ["unit2/isi"]


def test_partly_refused_recipients_count_as_sent_with_a_note(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    smtp_server.refuse_recipient("sekcam@sukamaju.go.id")

    [result] = deliver([_mail("unit1/isi")], tmp_path / "out", _config(smtp_server))

    assert result.status == "terkirim"  # resending would duplicate it for the others
    assert result.error is not None and "sekcam@sukamaju.go.id" in result.error
    [received] = smtp_server.messages
    assert "sekcam@sukamaju.go.id" not in received.rcpt_tos


def test_rerun_sends_nothing_twice(smtp_server: SmtpTestServer, tmp_path: Path) -> None:
    outbox = tmp_path / "out"
    config = _config(smtp_server)
    first = deliver([_mail("unit1/isi", tmp_path), _mail("unit2/isi")], outbox, config)
    assert [r.status for r in first] == ["terkirim", "terkirim"]
    eml_before = first[0].eml.read_bytes()

    again = deliver(
        [_mail("unit1/isi", tmp_path), _mail("unit2/isi"), _mail("unit3/isi")], outbox, config
    )

    assert [r.status for r in again] == ["sudah_terkirim", "sudah_terkirim", "terkirim"]
    assert [r.eml for r in again[:2]] == [r.eml for r in first]
    assert first[0].eml.read_bytes() == eml_before  # the archive of a sent mail is not rewritten
    assert len(smtp_server.messages) == 3
    assert set(_ledger(outbox)) == {"unit1/isi", "unit2/isi", "unit3/isi"}
    # Offline reruns honour the ledger too.
    assert [r.status for r in deliver([_mail("unit1/isi")], outbox, None)] == ["sudah_terkirim"]


def test_unauthenticated_relay_skips_login(smtp_server: SmtpTestServer, tmp_path: Path) -> None:
    config = SmtpConfig.from_env(smtp_server.env(login=False))
    assert config is not None and config.user is None

    [result] = deliver([_mail("unit1/isi")], tmp_path / "out", config)

    assert result.status == "terkirim"
    assert smtp_server.messages[0].login is None


def test_wrong_password_fails_once_without_prompting(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    config = _config(smtp_server, TRIWULAN_SMTP_PASSWORD="salah")

    [result] = deliver([_mail("unit1/isi")], tmp_path / "out", config, backoff_s=0.01)

    assert (result.status, result.attempts) == ("gagal", 1)
    assert result.error is not None and "TRIWULAN_SMTP_PASSWORD" in result.error
    assert smtp_server.data_attempts == 0


def test_drop_after_content_is_not_resent_by_yagmail(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    # yagmail.send() would reconnect and resend three times per call; only one copy may go out.
    smtp_server.disconnect_data(None)

    [result] = deliver(
        [_mail("unit1/isi")], tmp_path / "out", _config(smtp_server), attempts=2, backoff_s=0.01
    )

    assert (result.status, result.attempts) == ("unknown", 1)
    assert result.error is not None and "tidak pasti" in result.error
    assert smtp_server.data_attempts == 1
    assert result.eml.is_file()


def test_unreachable_server_is_reported_not_raised(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = SmtpConfig.from_env(
        {
            "TRIWULAN_SMTP_HOST": "127.0.0.1",
            "TRIWULAN_SMTP_PORT": str(port),
            "TRIWULAN_SMTP_SECURITY": "none",
            "TRIWULAN_MAIL_FROM": "kecamatan@sukamaju.go.id",
        }
    )

    [result] = deliver([_mail("unit1/isi")], tmp_path / "out", config, attempts=2, backoff_s=0.01)

    assert (result.status, result.attempts) == ("gagal", 2)
    assert result.error is not None and "Tidak dapat terhubung" in result.error


def test_starttls_against_plain_server_fails_cleanly(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    config = _config(smtp_server, TRIWULAN_SMTP_SECURITY="starttls")

    [result] = deliver([_mail("unit1/isi")], tmp_path / "out", config, backoff_s=0.01)

    assert (result.status, result.attempts) == ("gagal", 1)
    assert result.error is not None and "TRIWULAN_SMTP_SECURITY" in result.error


def test_bad_input_is_rejected_before_anything_is_sent(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    mails = [
        _mail("unit1/isi"),
        _mail("unit1/isi"),
        _mail("unit2/isi", to=[]),
        _mail("unit3/isi", attachments=[tmp_path / "tidak-ada.xlsx"]),
        _mail("unit4/isi", subject="Baris\nBcc: penyusup@contoh.id"),
    ]

    with pytest.raises(TriwulanError) as caught:
        deliver(mails, tmp_path / "out", _config(smtp_server))

    text = str(caught.value)
    assert "dipakai lebih dari sekali" in text
    assert "tidak ada penerima" in text
    assert "tidak-ada.xlsx" in text
    assert "subjek berisi baris baru" in text
    assert smtp_server.data_attempts == 0


def test_corrupt_ledger_stops_the_run(smtp_server: SmtpTestServer, tmp_path: Path) -> None:
    outbox = tmp_path / "out"
    outbox.mkdir()
    (outbox / "terkirim.json").write_text("{rusak", encoding="utf-8")

    with pytest.raises(TriwulanError, match="terkirim.json"):
        deliver([_mail("unit1/isi")], outbox, _config(smtp_server))
    assert smtp_server.data_attempts == 0


def test_config_absent_host_means_offline() -> None:
    assert SmtpConfig.from_env({}) is None
    assert SmtpConfig.from_env({"TRIWULAN_SMTP_HOST": "  "}) is None


def test_config_parses_and_defaults() -> None:
    config = SmtpConfig.from_env(
        {
            "TRIWULAN_SMTP_HOST": "smtp.sukamaju.go.id",
            "TRIWULAN_SMTP_SECURITY": "SSL",
            "TRIWULAN_SMTP_USER": "petugas",
            "TRIWULAN_SMTP_PASSWORD": "s3cret",
            "TRIWULAN_MAIL_FROM": '"Kecamatan Sukamaju" <kecamatan@sukamaju.go.id>',
        }
    )
    assert config is not None
    assert (config.port, config.security) == (465, "ssl")
    assert (config.sender_name, config.mail_from) == (
        "Kecamatan Sukamaju",
        "kecamatan@sukamaju.go.id",
    )
    assert "s3cret" not in repr(config)
    starttls = SmtpConfig.from_env(
        {"TRIWULAN_SMTP_HOST": "smtp.contoh.id", "TRIWULAN_SMTP_USER": "op@contoh.id"}
        | {"TRIWULAN_SMTP_PASSWORD": "x"}
    )
    assert starttls is not None
    assert (starttls.port, starttls.security, starttls.mail_from) == (
        587,
        "starttls",
        "op@contoh.id",
    )


def test_config_reports_every_bad_value() -> None:
    with pytest.raises(TriwulanError) as caught:
        SmtpConfig.from_env(
            {
                "TRIWULAN_SMTP_HOST": "smtp.sukamaju.go.id",
                "TRIWULAN_SMTP_PORT": "dua lima",
                "TRIWULAN_SMTP_SECURITY": "tls",
                "TRIWULAN_SMTP_USER": "petugas",
                "TRIWULAN_MAIL_FROM": "bukan alamat",
            }
        )
    text = str(caught.value)
    for name in (
        "TRIWULAN_SMTP_PORT",
        "TRIWULAN_SMTP_SECURITY",
        "TRIWULAN_SMTP_PASSWORD",
        "TRIWULAN_MAIL_FROM",
    ):
        assert name in text


def test_config_refuses_plaintext_password_to_remote_host() -> None:
    with pytest.raises(TriwulanError, match="tanpa enkripsi"):
        SmtpConfig.from_env(
            {
                "TRIWULAN_SMTP_HOST": "smtp.sukamaju.go.id",
                "TRIWULAN_SMTP_SECURITY": "none",
                "TRIWULAN_SMTP_USER": "petugas",
                "TRIWULAN_SMTP_PASSWORD": "x",
                "TRIWULAN_MAIL_FROM": "kecamatan@sukamaju.go.id",
            }
        )


def test_a_return_to_an_earlier_state_is_sent_again(smtp_server, tmp_path):
    """A, then B, then A again: the reader's latest mail must describe A, so A goes out again."""
    config = SmtpConfig.from_env(smtp_server.env(login=False, TRIWULAN_MAIL_FROM="a@example.go.id"))
    ledger = tmp_path / "terkirim.json"

    def draft(state: str) -> Mail:
        return Mail(
            key=f"2024-TW1/pimpinan/{state}",
            to=["camat@example.go.id"],
            subject=f"Draf {state}",
            html=f"<p>{state}</p>",
            text=state,
        )

    statuses = []
    for step, state in enumerate(["A", "A", "B", "A", "A"]):
        result = deliver([draft(state)], tmp_path / f"v{step}", config, ledger=ledger, backoff_s=0)
        statuses.append(result[0].status)
    assert statuses == ["terkirim", "sudah_terkirim", "terkirim", "terkirim", "sudah_terkirim"]
    assert [m.parse()["Subject"] for m in smtp_server.messages] == ["Draf A", "Draf B", "Draf A"]
