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
import hashlib
import logging
import math
import mimetypes
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formataddr, formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import Any

from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.files import write_atomic
from triwulan.tasks.core.fmt import WIB, strip_newlines
from triwulan.tasks.core.smtp_settings import SmtpConfig, looks_like_address
from triwulan.tasks.record.ledger import JsonLedger, Ledger
from triwulan.tasks.send import eml
from triwulan.tasks.send.smtp import (  # re-exported: callers import these from here
    DeliveryResult,
    Mail,
    _send_with_retries,
)

log = logging.getLogger(__name__)

LEDGER_NAME = "terkirim.json"
# Offline .eml files are opened and sent by hand; the mail client replaces this From.
OFFLINE_FROM = ("Triwulan (belum dikirim)", "triwulan@localhost")


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
    is the latest one recorded in its group (see _latest_per_group).

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
    with book.batched():
        results = _deliver_all(mails, outbox, config, attempts, backoff_s, book)
    recipients = {m.key: (*m.to, *m.cc) for m in mails}
    return [replace(r, to=recipients.get(r.key, ())) for r in results]


def _deliver_all(
    mails: list[Mail],
    outbox: Path,
    config: SmtpConfig | None,
    attempts: int,
    backoff_s: float,
    book: Ledger,
) -> list[DeliveryResult]:
    """deliver()'s loop: archive, skip what the ledger has, send, record each send at once.

    Offline (no SMTP) the .eml files are the outcome: they are written whole (write, then
    rename) and made durable together at the end, one flush instead of one per mail.
    """
    ledger_path = book.path
    sent = book.load()
    latest = _latest_per_group(sent)
    order = max((int(v.get("urutan", 0)) for v in sent.values()), default=0)
    deadline = time.monotonic() + config.total_budget_s if config else math.inf

    results: list[DeliveryResult] = []
    archived: list[Path] = []
    build = _Builder(mails, config)
    for mail in mails:
        eml_path = outbox / _eml_name(mail.key)
        group = _group(mail.key)
        done = sent.get(mail.key) if latest.get(group, (0, None))[1] == mail.key else None
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
            data, message_id = build(mail)
            if config is None:
                _write_whole(eml_path, data)
            else:
                write_atomic(eml_path, data)
        except OSError as exc:
            # Without its archived copy a mail is not sent: the outbox is the record of the run.
            error = f"Berkas {eml_path.name} tidak dapat dibuat ({exc}); email tidak dikirim."
            results.append(DeliveryResult(mail.key, "gagal", eml_path, error, 0))
            continue

        if config is None:
            results.append(DeliveryResult(mail.key, "disimpan", eml_path))
            archived.append(eml_path)
            continue

        # The archived bytes themselves go to the server.
        result = _send_with_retries(mail, data, config, eml_path, attempts, backoff_s, deadline)
        if result.status in ("terkirim", "unknown"):
            if result.status == "unknown":
                result = _with_note(result, book.unknown_advice(mail.key))
            order += 1
            latest[group] = max(latest.get(group, (0, "")), (order, mail.key))
            sent[mail.key] = {
                "status": result.status,
                "urutan": order,  # the group's latest is the highest number
                "waktu": datetime.now(WIB).isoformat(timespec="seconds"),
                "eml": os.path.relpath(eml_path, ledger_path.parent),
                "message_id": message_id,
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
    failed = _make_durable(archived)
    return [
        DeliveryResult(r.key, "gagal", r.eml, f"Berkas {r.eml.name} tidak dapat disimpan ({e}).", 0)
        if (e := failed.get(r.eml)) and r.status == "disimpan"
        else r
        for r in results
    ]


def _write_whole(path: Path, data: bytes) -> None:
    """Write-then-rename without a flush of its own: never a half-written file under the name;
    _make_durable flushes the whole batch.

    The temporary name is derived from the file's and this process's: one create, no random
    names to try. Should it exist (a crashed run of a process with the same id, another
    thread), a random name is taken instead.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o644)
    except FileExistsError:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        tmp = Path(name)
    try:
        with os.fdopen(fd, "wb", buffering=0) as handle:
            view = memoryview(data)
            while view:
                view = view[handle.write(view) :]
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def _make_durable(paths: list[Path]) -> dict[Path, OSError]:
    """Flush the archived files to disk at once; returns the files that could not be flushed.

    One os.sync() where there is one (POSIX); elsewhere (Windows) each file in turn.
    """
    if not paths:
        return {}
    if hasattr(os, "sync"):
        os.sync()
        return {}
    failed: dict[Path, OSError] = {}
    for path in paths:
        try:
            with path.open("rb+") as handle:
                os.fsync(handle.fileno())
        except OSError as exc:
            failed[path] = exc
    return failed


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
        results.append(replace(result, to=(*to, *cc)))
    return results


def _with_note(result: DeliveryResult, note: str) -> DeliveryResult:
    error = f"{result.error} {note}" if result.error else note
    return replace(result, error=error)


# --- the .eml archive ----------------------------------------------------------------------


class _Builder:
    """The archived bytes of each mail of one deliver() call (see tasks/send/eml.py), with what
    is the same for every mail worked out once: From, X-Unsent, the MIME part headers."""

    def __init__(self, mails: list[Mail], config: SmtpConfig | None) -> None:
        name, self.address = (config.sender_name, config.mail_from) if config else OFFLINE_FROM
        self.sender = eml.stdlib_header(
            "From", formataddr((name, self.address)) if name else self.address
        )
        # Outlook opens an .eml with X-Unsent as a draft ready to send from the user's account.
        self.unsent = [b"X-Unsent: 1\r\n"] if config is None else []
        # What goes to a server is 7bit (an 8bit body would need BODY=8BITMIME); the archive
        # of an offline run keeps the choice EmailMessage makes.
        self.allow_8bit = config is None
        counts = Counter(p for mail in mails for p in {*mail.attachments, *mail.inline})
        self.parts = eml.Parts({path for path, n in counts.items() if n > 1})

    def __call__(self, mail: Mail) -> tuple[bytes, str]:
        """(the .eml bytes, its Message-ID); SMTP sends exactly these bytes."""
        message_id = _message_id(mail.key, self.address)
        head = [self.sender, eml.addresses("To", mail.to)]
        if mail.cc:
            head.append(eml.addresses("Cc", mail.cc))
        head += [
            eml.subject(mail.subject),
            self.parts.line("Date", formatdate(localtime=True)),
            eml.message_id("Message-ID", message_id),
            eml.unstructured("X-Triwulan-Key", mail.key),
            *self.unsent,
            eml.MIME_VERSION,
        ]
        html = mail.html
        # strip_newlines of a text without line breaks is its strip(): the builders' html
        # is stripped already, and the regex costs as much as the rest of the mail.
        html = html.strip() if "\n" not in html and "\r" not in html else strip_newlines(html)
        files = [(path, *_content_type(path)) for path in mail.attachments]
        data = eml.render(mail, head, html, files, self.parts, allow_8bit=self.allow_8bit)
        return data, message_id


def _content_type(path: Path) -> tuple[str, str]:
    """(maintype, subtype) of an attachment, by its name; unknown or compressed: octet-stream."""
    ctype, encoding = mimetypes.guess_type(path.name)
    if ctype is None or encoding is not None:
        ctype = "application/octet-stream"
    maintype, subtype = ctype.split("/", 1)
    return maintype, subtype


def _message_id(key: str, address: str) -> str:
    """Stable per key and sender: if a mail is ever sent twice, clients can fold the copies."""
    digest = hashlib.sha256(f"{key}\0{address}".encode()).hexdigest()[:32]
    domain = address.rpartition("@")[2] or "localhost"
    return f"<{digest}.triwulan@{domain}>"


def _eml_name(key: str) -> str:
    """A portable file name (also on Windows) derived from the key."""
    slug = re.sub(r"[^A-Za-z0-9.-]+", "_", key).strip("._")
    return f"{slug or 'email'}.eml"


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
            if not looks_like_address(address) or any(c in address for c in "\r\n,;<>"):
                problems.append(f"{label}: alamat email '{address}' tidak sah.")
        if any(c in mail.subject for c in "\r\n"):
            problems.append(f"{label}: subjek berisi baris baru.")
        for path in mail.attachments:
            if not Path(path).is_file():
                problems.append(f"{label}: lampiran {path} tidak ditemukan.")
    if problems:
        raise TriwulanError("Email tidak dapat diproses:\n- " + "\n- ".join(problems))


# --- the ledger ----------------------------------------------------------------------------


def _group(key: str) -> str:
    """A mail's group: its key without the last '/' part (the content digest)."""
    return key.rsplit("/", 1)[0]


def _latest_per_group(sent: Mapping[str, Any]) -> dict[str, tuple[int, str]]:
    """(order, key) of the last key sent in each group, in one pass over the ledger.

    A key counts as already sent only while it is its group's latest: after state A, then B, a
    return to A is news for the reader and goes out again.
    """
    latest: dict[str, tuple[int, str]] = {}
    for key, entry in sent.items():
        group = _group(key)
        latest[group] = max(latest.get(group, (0, "")), (int(entry.get("urutan", 0)), key))
    return latest
