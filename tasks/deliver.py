"""Delivery: every mail is archived as an .eml in the outbox, then sent with yagmail if configured.

Sending is at-least-once and idempotent per key: outbox/terkirim.json records each key after
the server accepted it, so reruns (or Prefect task retries) skip what already went out.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import logging
import mimetypes
import os
import re
import smtplib
import ssl
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from typing import Any, Literal

import yagmail
from yagmail.error import YagAddressError, YagInvalidEmailAddress

from tasks.errors import TriwulanError
from tasks.fmt import WIB, strip_newlines

log = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "none"]
DeliveryStatus = Literal["terkirim", "disimpan", "gagal", "sudah_terkirim"]

LEDGER_NAME = "terkirim.json"
DEFAULT_PORTS: dict[str, int] = {"ssl": 465, "starttls": 587, "none": 25}
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
    """SMTP settings from TRIWULAN_* variables; the password is kept out of repr/logs."""

    host: str
    port: int
    security: Security
    mail_from: str  # bare address: envelope sender and From address
    sender_name: str  # display name of From, may be empty
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = 30.0

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
        )


def deliver(
    mails: list[Mail],
    outbox: Path,
    config: SmtpConfig | None,
    *,
    attempts: int = 3,
    backoff_s: float = 1.0,
    ledger: Path | None = None,
) -> list[DeliveryResult]:
    """Archive every mail as .eml, then send the ones not yet in the ledger.

    The ledger defaults to outbox/terkirim.json; pass a shared one (e.g. per quarter) so that a
    rerun in a new version folder still knows what went out before. A key is skipped only while it
    is the latest one sent in its group (see _latest_in_group).

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
    ledger_path = ledger or outbox / LEDGER_NAME
    sent = _load_ledger(ledger_path)

    results: list[DeliveryResult] = []
    for mail in mails:
        eml_path = outbox / _eml_name(mail.key)
        done = sent.get(mail.key) if _latest_in_group(sent, mail.key) == mail.key else None
        if done is not None:
            recorded = ledger_path.parent / str(done.get("eml", eml_path.name))
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

        result = _send_with_retries(mail, message, config, eml_path, attempts, backoff_s)
        if result.status == "terkirim":
            order = max((int(v.get("urutan", 0)) for v in sent.values()), default=0) + 1
            sent[mail.key] = {
                "urutan": order,  # the group's latest is the highest number
                "waktu": datetime.now(WIB).isoformat(timespec="seconds"),
                "eml": os.path.relpath(eml_path, ledger_path.parent),
                "message_id": str(message["Message-ID"]),
                "kepada": [*mail.to, *mail.cc],
            }
            try:
                _write_atomic(ledger_path, _ledger_bytes(sent))
            except OSError as exc:
                note = (
                    f"Terkirim, tetapi {LEDGER_NAME} tidak dapat diperbarui ({exc}); "
                    "menjalankan ulang akan mengirim email ini lagi."
                )
                error = f"{result.error} {note}" if result.error else note
                result = DeliveryResult(mail.key, "terkirim", eml_path, error, result.attempts)
        results.append(result)
    return results


# --- sending -------------------------------------------------------------------------------


class _YagmailGaveUp(Exception):
    """yagmail.send() returned False: it retried disconnects itself and queued the message."""


class _Yagmail(yagmail.SMTP):
    """yagmail logs in as its From address; relays often need another login (e.g. 'apikey')."""

    def __init__(self, *, login_user: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._login_user = login_user
        self._exact: EmailMessage | None = None

    def prepare_send(self, to: Any = None, *args: Any, **kwargs: Any) -> tuple[list[str], str]:
        """Send the very message kept as .eml: yagmail's own MIME would put the HTML source in
        the text/plain part and leave text attachments (laporan.html) without a disposition."""
        recipients, built = super().prepare_send(to, *args, **kwargs)
        if self._exact is None:
            return recipients, built
        return recipients, self._exact.as_string()

    def login(self) -> None:
        sender = self.user
        if self._login_user is not None:
            self.user = self._login_user
        try:
            super().login()
        finally:
            self.user = sender


def _client(config: SmtpConfig) -> _Yagmail:
    """A fresh client per attempt; credentials are explicit so keyring/getpass are never used."""
    login = config.user is not None and config.password is not None
    # smtplib's default TLS context does not verify certificates; the password deserves better.
    starttls: bool | dict[str, Any] = False
    extra: dict[str, Any] = {"timeout": config.timeout_s}
    if config.security == "starttls":
        starttls = {"context": ssl.create_default_context()}
    elif config.security == "ssl":
        extra["context"] = ssl.create_default_context()
    sender: str | dict[str, str] = (
        {config.mail_from: config.sender_name} if config.sender_name else config.mail_from
    )
    client = _Yagmail(
        login_user=config.user if login else None,
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


def _send_once(mail: Mail, message: EmailMessage, config: SmtpConfig) -> dict[str, Any]:
    """One connection, one message; returns the recipients the server refused (if any)."""
    client = _client(config)
    client._exact = message
    try:
        result = client.send(
            to=list(mail.to),
            cc=list(mail.cc) or None,
            subject=mail.subject,
            contents=[strip_newlines(mail.html)],
            attachments=[str(p) for p in mail.attachments] or None,
            headers={"Date": message["Date"], "X-Triwulan-Key": mail.key},
            prettify_html=False,  # keep the rendered HTML as is (premailer rewrites the document)
            message_id=message["Message-ID"],
        )
    finally:
        # quit() on a dead socket can raise; that must not turn a sent mail into a retry.
        with contextlib.suppress(Exception):
            client.close()
    if result is False:
        raise _YagmailGaveUp()
    return result if isinstance(result, dict) else {}


def _send_with_retries(
    mail: Mail,
    message: EmailMessage,
    config: SmtpConfig,
    eml_path: Path,
    attempts: int,
    backoff_s: float,
) -> DeliveryResult:
    last: BaseException | None = None
    for attempt in range(1, attempts + 1):
        try:
            refused = _send_once(mail, message, config)
        except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised
            last = exc
            log.warning("Pengiriman %s percobaan %d gagal: %r", mail.key, attempt, exc)
            if not _is_transient(exc) or attempt == attempts:
                break
            time.sleep(backoff_s * 2 ** (attempt - 1))
            continue
        error = None
        if refused:
            error = "Terkirim, tetapi ditolak untuk: " + _describe_refused(refused) + "."
        return DeliveryResult(mail.key, "terkirim", eml_path, error, attempt)
    assert last is not None
    error = _describe(last, config)
    if attempt > 1:
        error += f" (setelah {attempt} percobaan)"
    return DeliveryResult(mail.key, "gagal", eml_path, error, attempt)


def _is_transient(exc: BaseException) -> bool:
    """4xx replies, drops and network errors may pass on retry; 5xx, auth and bad input will not."""
    if isinstance(exc, _YagmailGaveUp | smtplib.SMTPServerDisconnected):
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


def _describe(exc: BaseException, config: SmtpConfig) -> str:
    """Indonesian text for the operator, naming the setting to check where there is one."""
    server = f"{config.host}:{config.port}"
    if isinstance(exc, _YagmailGaveUp):
        return (
            f"Koneksi ke server SMTP {server} terus terputus saat mengirim; email belum terkirim."
        )
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
    if isinstance(exc, TimeoutError):
        return f"Server SMTP {server} tidak menjawab dalam {config.timeout_s:g} detik."
    if isinstance(exc, OSError):
        return f"Tidak dapat terhubung ke server SMTP {server}: {exc}"
    if isinstance(exc, YagInvalidEmailAddress | YagAddressError):
        return f"Alamat email ditolak yagmail: {exc}"
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


def _load_ledger(path: Path) -> dict[str, dict[str, Any]]:
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
