"""SMTP sending: the one retry policy, guarded connections, and Indonesian error texts.

yagmail only connects and logs in; sendmail is called once per attempt (its own retries sent
nine copies). Once the end of the content has gone out, a lost reply means the mail may have
arrived: it is `unknown`, never retried blindly. Every read and write is bounded by the
connection timeout and by the run's total budget.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import yagmail

from triwulan.tasks.core.smtp_settings import SmtpConfig

log = logging.getLogger(__name__)

# "unknown": the whole mail reached the server but its answer was lost; the operator checks.
DeliveryStatus = Literal["terkirim", "disimpan", "gagal", "sudah_terkirim", "unknown"]


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
    inline: list[Path] = field(default_factory=list)  # images shown in the html as cid:<stem>


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one mail; `error` is Indonesian text meant for the operator."""

    key: str
    status: DeliveryStatus
    eml: Path
    error: str | None = None
    attempts: int = 0
    to: tuple[str, ...] = ()  # every recipient (to and cc), for the terminal and the record


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
    mail: Mail, message: bytes | EmailMessage, config: SmtpConfig, deadline: float
) -> dict[str, Any]:
    """One connection, one transaction, no retry; returns the recipients the server refused.

    Raises _MaybeDelivered when the content went out completely and no answer came back.
    The exact bytes kept as .eml are sent (yagmail's own MIME would put the HTML source in
    the text/plain part and leave text attachments without a disposition); kirim-ulang passes
    the archived message with fresh headers.
    """
    content = message if isinstance(message, bytes) else message.as_string()
    client = _client(config, deadline)
    try:
        client.login()  # connect, STARTTLS and AUTH through yagmail, once
        connection = client.smtp
        try:
            refused = connection.sendmail(config.mail_from, [*mail.to, *mail.cc], content)
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
    message: bytes | EmailMessage,
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
