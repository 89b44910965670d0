"""Delivery: every mail is archived as an .eml in the outbox, then sent with yagmail if configured.

Sending is idempotent per key: outbox/terkirim.json records each key after the server accepted
it, so reruns skip what already went out. There is exactly one retry policy, deliver()'s own:
yagmail only opens the connection (its send() would reconnect and resend by itself), and a
mail whose complete content reached the server but whose answer was lost is never resent
automatically (status "unknown", see deliver()). Every read and write is bounded by
SmtpConfig.timeout_s and the whole run by SmtpConfig.total_budget_s.
"""

from __future__ import annotations

import contextlib
import email
import functools
import hashlib
import ipaddress
import json
import logging
import math
import mimetypes
import os
import re
import smtplib
import ssl
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formataddr, formatdate, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Literal

import yagmail

from triwulan.tasks.errors import TriwulanError
from triwulan.tasks.fmt import WIB, strip_newlines

log = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "none"]
# "unknown": the whole mail reached the server but its answer was lost; the operator checks.
DeliveryStatus = Literal["terkirim", "disimpan", "gagal", "sudah_terkirim", "unknown"]

LEDGER_NAME = "terkirim.json"
DEFAULT_PORTS: dict[str, int] = {"ssl": 465, "starttls": 587, "none": 25}
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_BUDGET_S = 120.0
# Offline .eml files are opened and sent by hand; the mail client replaces this From.
OFFLINE_FROM = ("Triwulan (belum dikirim)", "triwulan@localhost")


@dataclass(frozen=True, kw_only=True)
class Mail:
    """One report mail.

    `key` is "<group>/<content digest>", e.g. "2024-TW2/unit/perwira/3f9a…": the same content
    keeps its key across reruns (never sent twice); within a group only the latest key counts.
    """

    key: str
    to: list[str]
    cc: list[str] = field(default_factory=list)
    subject: str
    html: str
    text: str
    attachments: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one mail; `error` is Indonesian text meant for the operator."""

    key: str
    status: DeliveryStatus
    eml: Path
    error: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class SmtpConfig:
    """SMTP settings from TRIWULAN_* variables; the password is kept out of repr/logs.

    timeout_s bounds the connect and every single read or write of one attempt;
    total_budget_s bounds all sending of one deliver() call, so a stalled server cannot hold up
    the run: what did not fit is kept as .eml and goes out on the next run.
    """

    host: str
    port: int
    security: Security
    mail_from: str  # bare address: envelope sender and From address
    sender_name: str  # display name of From, may be empty
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S
    total_budget_s: float = DEFAULT_BUDGET_S

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SmtpConfig | None:
        """None without TRIWULAN_SMTP_HOST (offline mode); every bad value is reported at once."""
        host = env.get("TRIWULAN_SMTP_HOST", "").strip()
        if not host:
            return None
        problems: list[str] = []

        security_raw = env.get("TRIWULAN_SMTP_SECURITY", "").strip().lower() or "starttls"
        if security_raw not in DEFAULT_PORTS:
            problems.append(
                f"TRIWULAN_SMTP_SECURITY bernilai '{security_raw}'; "
                "gunakan 'ssl', 'starttls' atau 'none'."
            )
            security_raw = "starttls"
        security: Security = security_raw  # type: ignore[assignment]

        port = DEFAULT_PORTS[security]
        port_raw = env.get("TRIWULAN_SMTP_PORT", "").strip()
        if port_raw:
            if port_raw.isdigit() and 1 <= int(port_raw) <= 65535:
                port = int(port_raw)
            else:
                problems.append(
                    f"TRIWULAN_SMTP_PORT bernilai '{port_raw}'; harus angka 1 sampai 65535."
                )

        user = env.get("TRIWULAN_SMTP_USER", "").strip() or None
        password = env.get("TRIWULAN_SMTP_PASSWORD", "") or None
        if user and not password:
            # yagmail would fall back to keyring and an interactive prompt that hangs the run.
            problems.append("TRIWULAN_SMTP_USER diisi tetapi TRIWULAN_SMTP_PASSWORD kosong.")
        if password and not user:
            problems.append("TRIWULAN_SMTP_PASSWORD diisi tetapi TRIWULAN_SMTP_USER kosong.")
        if password and security == "none" and not _is_loopback(host):
            problems.append(
                "Kata sandi SMTP tidak boleh dikirim tanpa enkripsi: "
                "atur TRIWULAN_SMTP_SECURITY ke 'ssl' atau 'starttls'."
            )

        timeout_s = _seconds(env, "TRIWULAN_SMTP_TIMEOUT_S", DEFAULT_TIMEOUT_S, problems)
        budget_s = _seconds(env, "TRIWULAN_SMTP_BUDGET_S", DEFAULT_BUDGET_S, problems)

        from_raw = env.get("TRIWULAN_MAIL_FROM", "").strip()
        if not from_raw and user and "@" in user:
            from_raw = user
        name, address = parseaddr(from_raw)
        if not from_raw:
            problems.append(
                "TRIWULAN_MAIL_FROM kosong; isi misalnya "
                "'Sekretariat Kecamatan <kecamatan@contoh.go.id>'."
            )
        elif not _looks_like_address(address) or "\n" in from_raw or "\r" in from_raw:
            problems.append(
                f"TRIWULAN_MAIL_FROM bernilai '{from_raw}'; bukan alamat email yang sah."
            )

        if problems:
            raise TriwulanError("Pengaturan SMTP tidak valid: " + " ".join(problems))
        return cls(
            host=host,
            port=port,
            security=security,
            mail_from=address,
            sender_name=name.strip(),
            user=user,
            password=password,
            timeout_s=timeout_s,
            total_budget_s=budget_s,
        )


def _seconds(env: Mapping[str, str], name: str, default: float, problems: list[str]) -> float:
    """A positive number of seconds; a decimal comma is accepted ("1,5")."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        problems.append(f"{name} bernilai '{raw}'; harus angka detik lebih dari 0.")
        return default
    return value


def deliver(
    mails: list[Mail],
    outbox: Path,
    config: SmtpConfig | None,
    *,
    attempts: int = 3,
    backoff_s: float = 1.0,
    ledger: Path | Ledger | None = None,
) -> list[DeliveryResult]:
    """Archive every mail as .eml, then send the ones not yet in the ledger.

    The ledger defaults to outbox/terkirim.json; pass a shared one (e.g. per quarter) so that a
    rerun in a new version folder still knows what went out before. A key is skipped only while it
    is the latest one recorded in its group (see _latest_in_group).

    `attempts`/`backoff_s` are the only retries: a refusal (4xx) or a drop before the content is
    complete is retried, since the server cannot have accepted the mail. Once the end of the
    content has gone out and the answer is lost (drop, timeout), the mail may have arrived: it
    comes back as "unknown" and is recorded so in the ledger, and later runs report it as
    "unknown" again instead of resending it. Sending it blindly could give the camat a second
    copy; only a person can tell (ask the recipient, check the server log). To resend, delete
    the key's entry from the ledger; if it did arrive, set its "status" to "terkirim".

    Sending stops when config.total_budget_s is used up: the mails left come back as "gagal"
    with their .eml kept and are not in the ledger, so the next run sends them.

    A failing mail never stops the run and never raises: it comes back as "gagal" with its .eml
    kept. Only unusable input (bad mails, unreadable ledger, no outbox) raises TriwulanError,
    before anything is sent.
    """
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    if backoff_s < 0:
        raise ValueError("backoff_s must be >= 0")
    _check_mails(mails)
    try:
        outbox.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TriwulanError(f"Folder outbox '{outbox}' tidak dapat dibuat: {exc}") from exc
    book = ledger if isinstance(ledger, Ledger) else JsonLedger(ledger or outbox / LEDGER_NAME)
    ledger_path = book.path
    sent = book.load()
    deadline = time.monotonic() + config.total_budget_s if config else math.inf

    results: list[DeliveryResult] = []
    for mail in mails:
        eml_path = outbox / _eml_name(mail.key)
        done = sent.get(mail.key) if _latest_in_group(sent, mail.key) == mail.key else None
        if done is not None:
            recorded = ledger_path.parent / str(done.get("eml", eml_path.name))
            if done.get("status") == "unknown":
                error = (
                    f"Status tidak pasti sejak {done.get('waktu', '?')}: server mungkin sudah "
                    "atau belum menerima email ini, maka email ini tidak dikirim ulang. "
                    + book.unknown_advice(mail.key)
                )
                results.append(DeliveryResult(mail.key, "unknown", recorded, error))
            else:
                results.append(DeliveryResult(mail.key, "sudah_terkirim", recorded))
            continue

        try:
            message = _build_message(mail, config)
            _write_atomic(eml_path, message.as_bytes(policy=SMTP_POLICY))
        except OSError as exc:
            # Without its archived copy a mail is not sent: the outbox is the record of the run.
            error = f"Berkas {eml_path.name} tidak dapat dibuat ({exc}); email tidak dikirim."
            results.append(DeliveryResult(mail.key, "gagal", eml_path, error, 0))
            continue

        if config is None:
            results.append(DeliveryResult(mail.key, "disimpan", eml_path))
            continue

        result = _send_with_retries(mail, message, config, eml_path, attempts, backoff_s, deadline)
        if result.status in ("terkirim", "unknown"):
            if result.status == "unknown":
                result = _with_note(result, book.unknown_advice(mail.key))
            order = max((int(v.get("urutan", 0)) for v in sent.values()), default=0) + 1
            sent[mail.key] = {
                "status": result.status,
                "urutan": order,  # the group's latest is the highest number
                "waktu": datetime.now(WIB).isoformat(timespec="seconds"),
                "eml": os.path.relpath(eml_path, ledger_path.parent),
                "message_id": str(message["Message-ID"]),
                "kepada": [*mail.to, *mail.cc],
            }
            try:
                book.record(mail.key, sent[mail.key], sent)
            except OSError as exc:
                lead = "Terkirim, tetapi" if result.status == "terkirim" else "Selain itu,"
                result = _with_note(
                    result,
                    f"{lead} {LEDGER_NAME} tidak dapat diperbarui ({exc}); "
                    "menjalankan ulang akan mengirim email ini lagi.",
                )
        elif result.status == "gagal":
            book.note_failure(mail.key, [*mail.to, *mail.cc], result.error)
        results.append(result)
    return results


def resend(
    emls: list[Path],
    config: SmtpConfig,
    ledger: Ledger,
    *,
    attempts: int = 3,
    backoff_s: float = 1.0,
) -> list[DeliveryResult]:
    """Send archived mails again, on purpose (kirim-ulang): the ledger is not asked, only told.

    The archived bytes are sent with a fresh Message-ID and Date (mail clients drop a message
    whose Message-ID they have seen) and the sender of this configuration.
    """
    deadline = time.monotonic() + config.total_budget_s
    results = []
    for path in emls:
        raw = email.message_from_bytes(path.read_bytes(), policy=SMTP_POLICY)
        assert isinstance(raw, EmailMessage)
        key = str(raw.get("X-Triwulan-Key") or path.stem)
        to = [a for _, a in getaddresses(raw.get_all("To", []))]
        cc = [a for _, a in getaddresses(raw.get_all("Cc", []))]
        for header in ("Message-ID", "Date", "From", "X-Unsent"):
            del raw[header]
        name, address = config.sender_name, config.mail_from
        raw["From"] = formataddr((name, address)) if name else address
        raw["Date"] = formatdate(localtime=True)
        raw["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or None)
        mail = Mail(key=key, to=to, cc=cc, subject=str(raw["Subject"]), html="", text="")
        result = _send_with_retries(mail, raw, config, path, attempts, backoff_s, deadline)
        if result.status in ("terkirim", "unknown"):
            entry = {
                "status": result.status,
                "waktu": datetime.now(WIB).isoformat(timespec="seconds"),
                "eml": os.path.relpath(path, ledger.path.parent),
                "message_id": str(raw["Message-ID"]),
                "kepada": [*to, *cc],
            }
            ledger.record(key, entry, {key: entry})
        else:
            ledger.note_failure(key, [*to, *cc], result.error)
        results.append(result)
    return results


class Ledger:
    """Where sends are recorded: load() -> key -> entry; record() one send; failures noted."""

    path: Path

    def load(self) -> dict[str, dict[str, Any]]:
        raise NotImplementedError

    def record(self, key: str, entry: dict[str, Any], sent: dict[str, dict[str, Any]]) -> None:
        raise NotImplementedError

    def note_failure(self, key: str, to: list[str], error: str | None) -> None:
        """Failures are history only; they never count as sent."""

    def unknown_advice(self, key: str) -> str:
        return _unknown_advice(key, self.path)


class JsonLedger(Ledger):
    """A ledger file (terkirim.json), rewritten atomically after every send."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, dict[str, Any]]:
        return load_json_ledger(self.path)

    def record(self, key: str, entry: dict[str, Any], sent: dict[str, dict[str, Any]]) -> None:
        _write_atomic(self.path, _ledger_bytes(sent))


def _with_note(result: DeliveryResult, note: str) -> DeliveryResult:
    error = f"{result.error} {note}" if result.error else note
    return DeliveryResult(result.key, result.status, result.eml, error, result.attempts)


def _unknown_advice(key: str, ledger_path: Path) -> str:
    return (
        "Periksa apakah email ini sampai ke penerima. Jika tidak sampai, hapus entri "
        f"'{key}' dari {ledger_path} lalu jalankan ulang; jika sampai, ubah \"status\" "
        'entri itu menjadi "terkirim".'
    )


# --- sending -------------------------------------------------------------------------------


class _OutOfTime(TimeoutError):
    """The run's delivery budget (SmtpConfig.total_budget_s) is used up."""


class _MaybeDelivered(Exception):
    """The end of the content went out but no answer came back: the mail may have arrived."""


class _GuardedConnection(smtplib.SMTP):
    """smtplib connection that bounds each read and write by timeout_s and the run's deadline,
    and notes when the end-of-data dot has gone out (from then on a lost answer is "unknown")."""

    def __init__(self, *args: Any, deadline: float, io_timeout: float, **kwargs: Any) -> None:
        self._deadline = deadline
        self._io_timeout = io_timeout
        self._in_data = False
        self.content_sent = False
        # Also bounds the TCP connect (and the TLS handshake of SMTP_SSL).
        kwargs["timeout"] = self._time_left()
        super().__init__(*args, **kwargs)

    def _time_left(self) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise _OutOfTime("delivery budget used up")
        return min(self._io_timeout, left)

    def _bound(self) -> None:
        if self.sock is None:
            return
        try:
            self.sock.settimeout(self._time_left())
        except _OutOfTime:
            self.close()
            raise

    def send(self, s: bytes | str) -> None:
        self._bound()
        super().send(s)
        if self._in_data and isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.content_sent = True  # sendall() returned: the server may now have it all

    def getreply(self) -> tuple[int, bytes]:
        self._bound()
        return super().getreply()

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        self._in_data = True
        try:
            return super().data(msg)
        finally:
            self._in_data = False


class _GuardedSslConnection(_GuardedConnection, smtplib.SMTP_SSL):
    pass


class _Yagmail(yagmail.SMTP):
    """yagmail only connects and logs in; the message goes out with one smtplib sendmail().

    yagmail.SMTP.send() would reconnect and resend up to three times on a dropped connection
    (even after the server got the whole mail), then return False and queue the message.
    yagmail logs in as its From address; relays often need another login (e.g. 'apikey').
    """

    def __init__(
        self, *, login_user: str | None, deadline: float, io_timeout: float, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._login_user = login_user
        self._deadline = deadline
        self._io_timeout = io_timeout

    @property
    def connection(self) -> Callable[..., _GuardedConnection]:  # type: ignore[override]
        cls = _GuardedSslConnection if self.ssl else _GuardedConnection
        return functools.partial(cls, deadline=self._deadline, io_timeout=self._io_timeout)

    def login(self) -> None:
        sender = self.user
        if self._login_user is not None:
            self.user = self._login_user
        try:
            super().login()
        finally:
            self.user = sender


def _client(config: SmtpConfig, deadline: float) -> _Yagmail:
    """A fresh client per attempt; credentials are explicit so keyring/getpass are never used."""
    login = config.user is not None and config.password is not None
    # smtplib's default TLS context does not verify certificates; the password deserves better.
    starttls: bool | dict[str, Any] = False
    extra: dict[str, Any] = {}
    if config.security == "starttls":
        starttls = {"context": ssl.create_default_context()}
    elif config.security == "ssl":
        extra["context"] = ssl.create_default_context()
    sender: str | dict[str, str] = (
        {config.mail_from: config.sender_name} if config.sender_name else config.mail_from
    )
    client = _Yagmail(
        login_user=config.user if login else None,
        deadline=deadline,
        io_timeout=config.timeout_s,
        user=sender,
        password=config.password if login else None,
        host=config.host,
        port=config.port,
        smtp_ssl=config.security == "ssl",
        smtp_starttls=starttls,
        smtp_skip_login=not login,
        **extra,
    )
    client.set_logging(None)  # failures come back to us; yagmail's own stderr handler is noise
    return client


def _send_once(
    mail: Mail, message: EmailMessage, config: SmtpConfig, deadline: float
) -> dict[str, Any]:
    """One connection, one transaction, no retry; returns the recipients the server refused.

    Raises _MaybeDelivered when the content went out completely and no answer came back.
    The exact message kept as .eml is sent (yagmail's own MIME would put the HTML source in
    the text/plain part and leave text attachments without a disposition).
    """
    client = _client(config, deadline)
    try:
        client.login()  # connect, STARTTLS and AUTH through yagmail, once
        connection = client.smtp
        try:
            refused = connection.sendmail(
                config.mail_from, [*mail.to, *mail.cc], message.as_string()
            )
        except Exception as exc:
            if connection.content_sent and not _is_definite_refusal(exc):
                raise _MaybeDelivered() from exc
            raise
        # QUIT only after success; a failing QUIT must not turn a sent mail into a retry.
        with contextlib.suppress(Exception):
            connection.quit()
        return dict(refused)
    finally:
        if client.smtp is not None:
            client.smtp.close()  # no I/O: never waits on a stalled server
        client.is_closed = True  # keeps yagmail's __del__ from sending QUIT


def _is_definite_refusal(exc: BaseException) -> bool:
    """A real 4xx/5xx answer to the content: the server did not take the mail."""
    return isinstance(exc, smtplib.SMTPDataError) and 400 <= exc.smtp_code < 600


def _send_with_retries(
    mail: Mail,
    message: EmailMessage,
    config: SmtpConfig,
    eml_path: Path,
    attempts: int,
    backoff_s: float,
    deadline: float,
) -> DeliveryResult:
    """The one retry policy: transient failures before the content is complete, within budget."""
    last: BaseException | None = None
    tried = 0
    out_of_time = False
    for attempt in range(1, attempts + 1):
        if time.monotonic() >= deadline:
            out_of_time = True
            break
        tried = attempt
        try:
            refused = _send_once(mail, message, config, deadline)
        except _MaybeDelivered as exc:
            assert exc.__cause__ is not None
            log.warning("Pengiriman %s tidak pasti: %r", mail.key, exc.__cause__)
            error = _describe_unknown(exc.__cause__, config)
            return DeliveryResult(mail.key, "unknown", eml_path, error, attempt)
        except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised
            last = exc
            log.warning("Pengiriman %s percobaan %d gagal: %r", mail.key, attempt, exc)
            if isinstance(exc, _OutOfTime):
                out_of_time = True
                break
            if not _is_transient(exc) or attempt == attempts:
                break
            pause = backoff_s * 2 ** (attempt - 1)
            if time.monotonic() + pause >= deadline:
                out_of_time = True
                break
            time.sleep(pause)
            continue
        error = None
        if refused:
            error = "Terkirim, tetapi ditolak untuk: " + _describe_refused(refused) + "."
        return DeliveryResult(mail.key, "terkirim", eml_path, error, attempt)
    budget = f"Batas waktu pengiriman {config.total_budget_s:g} detik untuk proses ini habis"
    later = "berkas .eml disimpan dan email ini akan dikirim pada proses berikutnya."
    if last is None:
        error = f"{budget} sebelum email ini dicoba; {later}"
        return DeliveryResult(mail.key, "gagal", eml_path, error, 0)
    error = _describe(last, config)
    if tried > 1:
        error += f" (setelah {tried} percobaan)"
    if out_of_time:
        error = f"{error.rstrip('.')}. {budget}; {later}"
    return DeliveryResult(mail.key, "gagal", eml_path, error, tried)


def _is_transient(exc: BaseException) -> bool:
    """4xx replies, drops and network errors may pass on retry; 5xx, auth and bad input will not."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPException | ssl.SSLCertVerificationError):
        return False
    return isinstance(exc, OSError)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _describe_refused(refused: Mapping[str, Any]) -> str:
    parts = []
    for address, reply in refused.items():
        code, msg = reply if isinstance(reply, tuple) else ("?", reply)
        parts.append(f"{address} ({code} {_text(msg)})")
    return "; ".join(parts)


def _is_timeout(exc: BaseException) -> bool:
    """smtplib turns a read timeout into SMTPServerDisconnected; the cause stays in __context__."""
    return isinstance(exc, TimeoutError) or (
        isinstance(exc, smtplib.SMTPServerDisconnected)
        and isinstance(exc.__context__, TimeoutError)
    )


def _describe_unknown(exc: BaseException, config: SmtpConfig) -> str:
    """Why a mail is "unknown": its content went out, the server's answer never came."""
    server = f"{config.host}:{config.port}"
    if isinstance(exc, _OutOfTime):
        why = "waktu pengiriman habis sebelum server menjawab"
    elif _is_timeout(exc):
        why = f"server tidak menjawab dalam {config.timeout_s:g} detik"
    else:
        why = "koneksi terputus sebelum server menjawab"
    return (
        f"Status tidak pasti: seluruh isi email sudah dikirim ke server SMTP {server}, tetapi "
        f"{why}. Server mungkin sudah atau belum menerima email ini, maka email ini tidak "
        "dikirim ulang otomatis agar tidak terkirim dua kali."
    )


def _describe(exc: BaseException, config: SmtpConfig) -> str:
    """Indonesian text for the operator, naming the setting to check where there is one."""
    server = f"{config.host}:{config.port}"
    if isinstance(exc, _OutOfTime):
        return f"Server SMTP {server} belum selesai menjawab saat waktu habis."
    if _is_timeout(exc):
        return f"Server SMTP {server} tidak menjawab dalam {config.timeout_s:g} detik."
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (
            f"Login ke server SMTP ditolak ({exc.smtp_code} {_text(exc.smtp_error)}). "
            "Periksa TRIWULAN_SMTP_USER dan TRIWULAN_SMTP_PASSWORD."
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "Semua penerima ditolak server: " + _describe_refused(exc.recipients) + "."
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return (
            f"Alamat pengirim {config.mail_from} ditolak server "
            f"({exc.smtp_code} {_text(exc.smtp_error)}). Periksa TRIWULAN_MAIL_FROM."
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"Server SMTP menolak email ({exc.smtp_code} {_text(exc.smtp_error)})."
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"Koneksi ke server SMTP {server} terputus: {exc}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return (
            f"Server SMTP {server} tidak mendukung perintah yang diperlukan ({exc}). "
            "Periksa TRIWULAN_SMTP_SECURITY dan TRIWULAN_SMTP_PORT."
        )
    if isinstance(exc, smtplib.SMTPException):
        return f"Kesalahan SMTP pada {server}: {exc}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"Sertifikat TLS server SMTP {server} tidak dapat diverifikasi: {exc.verify_message}."
        )
    if isinstance(exc, ssl.SSLError):
        return (
            f"Gagal membuat koneksi terenkripsi ke {server} ({exc}). "
            "Periksa TRIWULAN_SMTP_SECURITY dan TRIWULAN_SMTP_PORT."
        )
    if isinstance(exc, OSError):
        return f"Tidak dapat terhubung ke server SMTP {server}: {exc}"
    return f"Kesalahan tak terduga saat mengirim: {type(exc).__name__}: {exc}"


# --- the .eml archive ----------------------------------------------------------------------


def _build_message(mail: Mail, config: SmtpConfig | None) -> EmailMessage:
    """The complete message as archived; yagmail sends exactly this (see _Yagmail.prepare_send)."""
    name, address = (config.sender_name, config.mail_from) if config else OFFLINE_FROM
    message = EmailMessage()
    message["From"] = formataddr((name, address)) if name else address
    message["To"] = ", ".join(mail.to)
    if mail.cc:
        message["Cc"] = ", ".join(mail.cc)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = _message_id(mail.key, address)
    message["X-Triwulan-Key"] = mail.key
    if config is None:
        # Outlook opens such an .eml as a draft ready to send from the user's own account.
        message["X-Unsent"] = "1"
    message.set_content(mail.text)
    message.add_alternative(strip_newlines(mail.html), subtype="html")
    for path in mail.attachments:
        ctype, encoding = mimetypes.guess_type(path.name)
        if ctype is None or encoding is not None:
            ctype = "application/octet-stream"
        maintype, subtype = ctype.split("/", 1)
        message.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return message


def _message_id(key: str, address: str) -> str:
    """Stable per key and sender: if a mail is ever sent twice, clients can fold the copies."""
    digest = hashlib.sha256(f"{key}\0{address}".encode()).hexdigest()[:32]
    domain = address.rpartition("@")[2] or "localhost"
    return f"<{digest}.triwulan@{domain}>"


def _eml_name(key: str) -> str:
    """A portable file name (also on Windows) derived from the key."""
    slug = re.sub(r"[^A-Za-z0-9.-]+", "_", key).strip("._")
    return f"{slug or 'email'}.eml"


def _looks_like_address(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain and " " not in address)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_mails(mails: list[Mail]) -> None:
    """Catch caller mistakes before anything is sent, all of them at once."""
    problems: list[str] = []
    seen_keys: set[str] = set()
    seen_names: dict[str, str] = {}
    for mail in mails:
        label = mail.key or "(tanpa kunci)"
        if not mail.key.strip() or any(c in mail.key for c in "\r\n"):
            problems.append(f"{label}: kunci email kosong atau berisi baris baru.")
        if mail.key in seen_keys:
            problems.append(f"{label}: kunci email dipakai lebih dari sekali.")
        seen_keys.add(mail.key)
        name = _eml_name(mail.key)
        if seen_names.get(name, mail.key) != mail.key:
            problems.append(f"{label}: nama berkas {name} bentrok dengan {seen_names[name]}.")
        seen_names.setdefault(name, mail.key)
        if not mail.to:
            problems.append(f"{label}: tidak ada penerima (to).")
        for address in [*mail.to, *mail.cc]:
            if not _looks_like_address(address) or any(c in address for c in "\r\n,;<>"):
                problems.append(f"{label}: alamat email '{address}' tidak sah.")
        if any(c in mail.subject for c in "\r\n"):
            problems.append(f"{label}: subjek berisi baris baru.")
        for path in mail.attachments:
            if not Path(path).is_file():
                problems.append(f"{label}: lampiran {path} tidak ditemukan.")
    if problems:
        raise TriwulanError("Email tidak dapat diproses:\n- " + "\n- ".join(problems))


# --- the ledger ----------------------------------------------------------------------------


def _latest_in_group(sent: Mapping[str, Any], key: str) -> str | None:
    """The last key sent in the same group (the key without its last '/' part).

    A key counts as already sent only while it is its group's latest: after state A, then B, a
    return to A is news for the reader and goes out again.
    """
    group = key.rsplit("/", 1)[0]
    same = [(int(v.get("urutan", 0)), k) for k, v in sent.items() if k.rsplit("/", 1)[0] == group]
    return max(same)[1] if same else None


def load_json_ledger(path: Path) -> dict[str, dict[str, Any]]:
    """A ledger we cannot read stops the run: guessing would risk sending reports twice."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        sent = data["terkirim"]
        if not isinstance(sent, dict):
            raise TypeError("'terkirim' is not an object")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TriwulanError(
            f"Catatan pengiriman {path} tidak dapat dibaca ({exc}). Perbaiki berkas itu; "
            "jika dihapus, semua email di outbox akan dikirim ulang."
        ) from exc
    return {str(k): v if isinstance(v, dict) else {} for k, v in sent.items()}


def _ledger_bytes(ledger: Mapping[str, Any]) -> bytes:
    data = {"versi": 1, "terkirim": dict(sorted(ledger.items()))}
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    """Write-then-rename, so a crash never leaves a half-written ledger or .eml behind."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
