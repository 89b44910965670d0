"""The .eml bytes of a Mail, written directly: what EmailMessage and BytesGenerator would write.

Why not EmailMessage: with the header registry, building and flattening one mail took ~2 ms
(every header parsed and refolded, set_param round trips, a regex compiled per boundary), and a
province's 5,958 mails spent ~11 s there. This module writes the same bytes: the same headers in
the same order with the same folding, the same transfer encodings and line lengths, the same MIME
tree (multipart/alternative, multipart/related for inline images, multipart/mixed for
attachments). Only the random MIME boundaries differ, as they do between two runs anyway.

Every value outside the simple cases below (a long or unusual header, a non-ASCII file name, a
subject over 998 characters) is folded by the standard library itself, so the result never
departs from it; tests/tasks/send/test_eml.py compares both byte for byte.
"""

from __future__ import annotations

import binascii
import random
import re
import sys
from email import quoprimime
from email.headerregistry import BaseHeader, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP, Policy
from pathlib import Path

from triwulan.tasks.send.smtp import Mail

CRLF = b"\r\n"
MAX_LINE = 78  # the policy's max_line_length, for headers and bodies alike
MIME_VERSION = b"MIME-Version: 1.0\r\n"
# The generator's boundary: 15 '=', a random number of 19 digits, '=='.
_BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))
_PLACEHOLDER = "=" * 15 + "0" * _BOUNDARY_DIGITS + "=="

# Values whose folded header line is the value itself when the line fits in MAX_LINE:
# printable ASCII words separated by single spaces, without anything like an encoded word.
_PLAIN = re.compile(r"[!-~]+(?: [!-~]+)*")
_ADDRESS = re.compile(r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_MESSAGE_ID = re.compile(r"<[0-9a-f]+\.triwulan@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*>")
# Words of a subject the fast path can encode exactly: no whitespace but single spaces, no
# control characters or surrogates (those take the standard library's path).
_SUBJECT_WORDS = re.compile(
    r"[^\s\x00-\x1f\x7f\ud800-\udfff]+(?: [^\s\x00-\x1f\x7f\ud800-\udfff]+)*"
)
# RFC 2047 'q' encoding as email._encoded_words writes it.
_Q_SAFE = b"-!*+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_Q = {b: chr(b) if b in _Q_SAFE else f"={b:02X}" for b in range(256)} | {ord(" "): "_"}


class _Subject(UnstructuredHeader, BaseHeader):
    """A subject written on one line (RFC 5322 allows 998 characters).

    Python's folder breaks a line before an encoded word (the '—' of every subject) but keeps the
    space before the break too, so the reader's subject said 'TW I 2024  — Kelurahan …'.
    """

    def fold(self, *, policy: Policy) -> str:
        folded = super().fold(policy=policy.clone(max_line_length=0))
        return folded if len(folded) <= 998 else super().fold(policy=policy)


def stdlib_header(name: str, value: str) -> bytes:
    """The header as EmailMessage stores and BytesGenerator folds it (the slow, general path)."""
    return SMTP.fold_binary(name, SMTP.header_store_parse(name, value)[1])


def unstructured(name: str, value: str) -> bytes:
    """An unstructured header (X-Triwulan-Key, X-Unsent)."""
    line = f"{name}: {value}"
    if len(line) <= MAX_LINE and "=?" not in value and _PLAIN.fullmatch(value):
        return line.encode("ascii") + CRLF
    return stdlib_header(name, value)


def addresses(name: str, values: list[str]) -> bytes:
    """To or Cc: plain addresses on one line when it fits, else the standard folding."""
    value = ", ".join(values)
    line = f"{name}: {value}"
    if len(line) <= MAX_LINE and all(_ADDRESS.fullmatch(v) for v in values):
        return line.encode("ascii") + CRLF
    return stdlib_header(name, value)


def message_id(name: str, value: str) -> bytes:
    line = f"{name}: {value}"
    if len(line) <= MAX_LINE and _MESSAGE_ID.fullmatch(value):
        return line.encode("ascii") + CRLF
    return stdlib_header(name, value)


def subject(value: str) -> bytes:
    """The subject on one line (see _Subject): ASCII words as they are, and the run from the first
    to the last non-ASCII word as one encoded word, exactly as the standard folder combines them."""
    if "=?" not in value and _SUBJECT_WORDS.fullmatch(value):
        words = value.split(" ")
        wide = [i for i, word in enumerate(words) if not word.isascii()]
        if wide:
            first, last = wide[0], wide[-1]
            pieces = [*words[:first], _encoded_word(" ".join(words[first : last + 1]))]
            value = " ".join([*pieces, *words[last + 1 :]])
        line = f"Subject: {value}"
        if len(line) + 2 <= 998:
            return line.encode("ascii") + CRLF
    return SMTP.fold_binary("Subject", _Subject("Subject", value))


def _encoded_word(text: str) -> str:
    """email._encoded_words.encode: 'q' unless 'b' is shorter by 5 characters or more."""
    raw = text.encode("utf-8")
    q = "".join([_Q[b] for b in raw])
    if len(q) - (len(raw) + 2) // 3 * 4 < 5:
        return f"=?utf-8?q?{q}?="
    return f"=?utf-8?b?{binascii.b2a_base64(raw, newline=False).decode('ascii')}?="


# --- bodies ------------------------------------------------------------------------------------


def text_body(text: str, *, allow_8bit: bool) -> tuple[str, bytes]:
    """(transfer encoding, body lines) as set_content() chooses them for text in utf-8.

    A port of email.contentmanager._encode_text for the default policy. Without allow_8bit the
    choice is that of a 7bit policy: what goes to an SMTP server is then plain ASCII.
    """
    lines = text.encode("utf-8").splitlines()
    cte = ""
    if max((len(x) for x in lines), default=0) <= MAX_LINE:
        joined = b"\n".join(lines) + b"\n"
        if joined.isascii():
            return "7bit", joined.replace(b"\n", CRLF)
        if allow_8bit:
            return "8bit", joined.replace(b"\n", CRLF)
    sniff = b"\n".join(lines[:10]) + b"\n"
    sniff_qp = quoprimime.body_encode(sniff.decode("latin-1"), MAX_LINE)
    if len(sniff_qp) > len(binascii.b2a_base64(sniff)):
        cte = "base64"
    elif len(lines) <= 10:
        return "quoted-printable", sniff_qp.replace("\n", "\r\n").encode("ascii")
    else:
        cte = "quoted-printable"
    body = b"\n".join(lines) + b"\n"
    if cte == "base64":
        return cte, base64_lines(body)
    encoded = quoprimime.body_encode(body.decode("latin-1"), MAX_LINE)
    return cte, encoded.replace("\n", "\r\n").encode("ascii")


def base64_lines(data: bytes) -> bytes:
    """Base64 in lines of 76 characters (57 bytes each), as set_content() writes binary parts."""
    encoded = binascii.b2a_base64(data, newline=False)
    if not encoded:
        return b""
    return CRLF.join([encoded[i : i + 76] for i in range(0, len(encoded), 76)]) + CRLF


# --- parts -------------------------------------------------------------------------------------


def _part_headers(maintype: str, subtype: str, filename: str | None, cid: str | None) -> bytes:
    """The headers set_content() gives a binary part (attachment or inline image), by the
    standard library itself: they depend on the file name only, so they are computed once."""
    part = EmailMessage()
    part.set_content(b"", maintype, subtype, filename=filename, cid=cid)
    if cid is not None:
        part["Content-Disposition"] = "inline"  # what add_related() adds after set_content()
    return b"".join(SMTP.fold_binary(h, v) for h, v in part.raw_items())


def _multipart_header(subtype: str) -> tuple[bytes, bytes]:
    """(before, after) the boundary in the folded Content-Type of a multipart part.

    Every boundary has the same length and characters, so the folding is the same for all.
    """
    folded = stdlib_header("Content-Type", f'multipart/{subtype}; boundary="{_PLACEHOLDER}"')
    before, found, after = folded.partition(_PLACEHOLDER.encode("ascii"))
    assert found and _PLACEHOLDER.encode("ascii") not in after
    return before, after


class Parts:
    """Per-run constants and caches of one deliver() call: header lines, part headers, and the
    encoded bytes of a file that several mails attach (the same chart or template)."""

    def __init__(self, shared: set[Path]) -> None:
        self._shared = shared
        self._bodies: dict[Path, bytes] = {}
        self._binary: dict[tuple[str, str, str | None, str | None], bytes] = {}
        self._lines: dict[tuple[str, str], bytes] = {}
        self._multipart = {s: _multipart_header(s) for s in ("alternative", "related", "mixed")}
        self.text_type = stdlib_header("Content-Type", 'text/plain; charset="utf-8"')
        self.html_type = stdlib_header("Content-Type", 'text/html; charset="utf-8"')

    def line(self, name: str, value: str) -> bytes:
        """A header whose few values repeat (Date, Content-Transfer-Encoding): folded once."""
        folded = self._lines.get((name, value))
        if folded is None:
            if len(self._lines) > 64:
                self._lines.clear()
            folded = self._lines[name, value] = stdlib_header(name, value)
        return folded

    def base64_file(self, path: Path) -> bytes:
        """The file's bytes as base64 lines; kept for the run when several mails share it."""
        body = self._bodies.get(path)
        if body is None:
            body = base64_lines(path.read_bytes())
            if path in self._shared:
                self._bodies[path] = body
        return body

    def binary(
        self, path: Path, maintype: str, subtype: str, *, filename: str | None, cid: str | None
    ) -> bytes:
        """A flattened attachment or inline image part."""
        key = (maintype, subtype, filename, cid)
        headers = self._binary.get(key)
        if headers is None:
            headers = self._binary[key] = _part_headers(maintype, subtype, filename, cid)
        return headers + CRLF + self.base64_file(path)

    def multipart(self, subtype: str, parts: list[bytes]) -> tuple[bytes, bytes]:
        """(Content-Type header, body) of a multipart with these flattened parts."""
        while True:
            boundary = "=" * 15 + f"{random.randrange(sys.maxsize):0{_BOUNDARY_DIGITS}d}" + "=="
            marker = b"--" + boundary.encode("ascii")
            if not any(marker in part for part in parts):
                break
        before, after = self._multipart[subtype]
        delimiter = CRLF + marker + CRLF
        body = marker + CRLF + delimiter.join(parts) + CRLF + marker + b"--" + CRLF
        return before + boundary.encode("ascii") + after, body


def render(
    mail: Mail,
    head: list[bytes],
    html: str,
    attachments: list[tuple[Path, str, str]],
    parts: Parts,
    *,
    allow_8bit: bool,
) -> bytes:
    """The whole message: `head` (From … MIME-Version), then the MIME tree EmailMessage builds
    with set_content(text), add_alternative(html), add_related(png) and add_attachment(file).

    `attachments`: (path, maintype, subtype) of each attached file.
    """
    text_cte, text = text_body(mail.text, allow_8bit=allow_8bit)
    html_cte, html_lines = text_body(html, allow_8bit=allow_8bit)
    plain = parts.text_type + parts.line("Content-Transfer-Encoding", text_cte) + CRLF + text
    html_head = parts.html_type + parts.line("Content-Transfer-Encoding", html_cte)
    if mail.inline:
        images = [
            parts.binary(p, "image", "png", filename=None, cid=f"<{p.stem}>") for p in mail.inline
        ]
        ctype, body = parts.multipart("related", [html_head + CRLF + html_lines, *images])
        rich = MIME_VERSION + ctype + CRLF + body
    else:
        rich = html_head + MIME_VERSION + CRLF + html_lines
    ctype, body = parts.multipart("alternative", [plain, rich])
    if attachments:
        files = [
            parts.binary(path, maintype, subtype, filename=path.name, cid=None)
            for path, maintype, subtype in attachments
        ]
        ctype, body = parts.multipart("mixed", [ctype + CRLF + body, *files])
    return b"".join(head) + ctype + CRLF + body
