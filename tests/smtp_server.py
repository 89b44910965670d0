"""A real SMTP server on 127.0.0.1 for tests, so delivery is exercised end to end without mocks.

Import the `smtp_server` fixture (tests/conftest.py re-exports it) or use `SmtpTestServer`
directly as a context manager. `StalledServer` is a bare TCP listener that accepts connections
and never says a word, like a hung mail server.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

TEST_USER = "petugas"
TEST_PASSWORD = "rahasia-uji"


@dataclass(frozen=True)
class ReceivedMessage:
    """One accepted DATA transaction, as the server saw it."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: str | None  # the AUTH user of the session, None when the client did not log in

    def parse(self) -> EmailMessage:
        """Parse with the modern policy so tests get get_body()/iter_attachments()."""
        message = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


class _RecordingHandler:
    """aiosmtpd handler that stores messages and can refuse, drop or stall on demand."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[ReceivedMessage] = []
        self.transactions: list[ReceivedMessage] = []  # every DATA content, accepted or not
        self.data_attempts = 0
        self.mail_commands = 0
        self.rcpt_commands = 0
        self.failures_left: int | None = 0  # None: fail every DATA
        self.failure_reply = "451 4.3.0 Server sibuk, coba lagi nanti"
        self.disconnects_left: int | None = 0  # None: drop every DATA
        self.mail_failures_left: int | None = 0  # None: refuse every MAIL FROM
        self.mail_failure_reply = "451 4.3.0 Server sibuk, coba lagi nanti"
        self.rcpt_disconnects_left: int | None = 0  # None: drop on every first RCPT
        self.rcpt_delay_s = 0.0
        self.data_delay_s = 0.0
        self.refused_rcpts: set[str] = set()
        self.logins: list[str] = []

    @staticmethod
    def _take(left: int | None) -> tuple[bool, int | None]:
        """(fire now?, what is left): None means forever."""
        if left is None:
            return True, None
        if left > 0:
            return True, left - 1
        return False, 0

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        with self.lock:
            self.mail_commands += 1
            fail, self.mail_failures_left = self._take(self.mail_failures_left)
            if fail:
                return self.mail_failure_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        with self.lock:
            self.rcpt_commands += 1
            delay = self.rcpt_delay_s
            drop = False
            if not envelope.rcpt_tos:
                drop, self.rcpt_disconnects_left = self._take(self.rcpt_disconnects_left)
        if drop:
            if server.transport is not None:
                server.transport.abort()
            return "421 4.3.0 Koneksi ditutup"
        if delay:
            await asyncio.sleep(delay)
        if address.lower() in self.refused_rcpts:
            return "550 5.1.1 Penerima tidak dikenal"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        auth = session.auth_data
        received = ReceivedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            content=envelope.original_content or b"",
            login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
        )
        with self.lock:
            self.data_attempts += 1
            self.transactions.append(received)
            delay = self.data_delay_s
        if delay:
            # The whole content is here; the answer comes late (after the client gave up).
            await asyncio.sleep(delay)
        with self.lock:
            if self.disconnects_left is None or self.disconnects_left > 0:
                if self.disconnects_left is not None:
                    self.disconnects_left -= 1
                if server.transport is not None:
                    server.transport.abort()
                return "421 4.3.0 Koneksi ditutup"
            if self.failures_left is None or self.failures_left > 0:
                if self.failures_left is not None:
                    self.failures_left -= 1
                return self.failure_reply
            self.messages.append(received)
        return "250 2.0.0 Diterima"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == TEST_USER
            and auth_data.password.decode() == TEST_PASSWORD
        )
        if ok:
            with self.lock:
                self.logins.append(TEST_USER)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


class _FreePortController(Controller):
    """Binds port 0 and reads the real port back, so parallel test runs never collide."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpTestServer:
    """A running aiosmtpd server; AUTH (PLAIN/LOGIN) works without TLS but is not required."""

    host = "127.0.0.1"
    user = TEST_USER
    password = TEST_PASSWORD

    def __init__(self) -> None:
        self._handler = _RecordingHandler()
        self._controller = _FreePortController(
            self._handler,
            hostname=self.host,
            port=0,
            server_hostname="smtp.uji.invalid",
            authenticator=self._handler.authenticate,
            auth_require_tls=False,
            ready_timeout=5.0,
        )

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._handler.lock:
            return list(self._handler.messages)

    @property
    def data_attempts(self) -> int:
        """DATA commands seen, including refused and dropped ones (counts retries)."""
        with self._handler.lock:
            return self._handler.data_attempts

    @property
    def transactions(self) -> list[ReceivedMessage]:
        """Every complete DATA content the server got, whatever it answered (or did not)."""
        with self._handler.lock:
            return list(self._handler.transactions)

    @property
    def mail_commands(self) -> int:
        """MAIL FROM commands seen: one per transaction the client started."""
        with self._handler.lock:
            return self._handler.mail_commands

    @property
    def rcpt_commands(self) -> int:
        with self._handler.lock:
            return self._handler.rcpt_commands

    def copies_of(self, key: str) -> int:
        """How many times the content of the mail with this X-Triwulan-Key reached the server."""
        return sum(1 for t in self.transactions if t.parse()["X-Triwulan-Key"] == key)

    @property
    def logins(self) -> list[str]:
        with self._handler.lock:
            return list(self._handler.logins)

    def fail_data(self, times: int | None = 1, reply: str = "451 4.3.0 Server sibuk") -> None:
        """Answer the next `times` DATA commands with `reply` (None: every one, forever)."""
        with self._handler.lock:
            self._handler.failures_left = times
            self._handler.failure_reply = reply

    def disconnect_data(self, times: int | None = 1) -> None:
        """Drop the connection on the next `times` DATA commands (None: always)."""
        with self._handler.lock:
            self._handler.disconnects_left = times

    def fail_mail(self, times: int | None = 1, reply: str = "451 4.3.0 Server sibuk") -> None:
        """Answer the next `times` MAIL FROM commands with `reply`, before any content."""
        with self._handler.lock:
            self._handler.mail_failures_left = times
            self._handler.mail_failure_reply = reply

    def disconnect_rcpt(self, times: int | None = 1) -> None:
        """Drop the connection at the first RCPT TO of the next `times` transactions."""
        with self._handler.lock:
            self._handler.rcpt_disconnects_left = times

    def delay_rcpt(self, seconds: float) -> None:
        """Answer every RCPT TO only after `seconds` (a server too slow to wait for)."""
        with self._handler.lock:
            self._handler.rcpt_delay_s = seconds

    def delay_data(self, seconds: float) -> None:
        """Take the whole content, then answer only after `seconds` (0: at once)."""
        with self._handler.lock:
            self._handler.data_delay_s = seconds

    def refuse_recipient(self, address: str) -> None:
        """Answer RCPT TO for this address with a permanent 550."""
        with self._handler.lock:
            self._handler.refused_rcpts.add(address.lower())

    def env(self, *, login: bool = True, **overrides: str) -> dict[str, str]:
        """TRIWULAN_* variables pointing at this server (plain SMTP, optional AUTH)."""
        values = {
            "TRIWULAN_SMTP_HOST": self.host,
            "TRIWULAN_SMTP_PORT": str(self.port),
            "TRIWULAN_SMTP_SECURITY": "none",
            "TRIWULAN_MAIL_FROM": "Sekretariat Kecamatan Sukamaju <kecamatan@sukamaju.go.id>",
        }
        if login:
            values["TRIWULAN_SMTP_USER"] = self.user
            values["TRIWULAN_SMTP_PASSWORD"] = self.password
        values.update(overrides)
        return values

    def start(self) -> SmtpTestServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class StalledServer:
    """Accepts TCP connections on 127.0.0.1 and never answers, not even the greeting."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self._listener = socket.create_server((self.host, 0))
        self._listener.settimeout(0.05)
        self._lock = threading.Lock()
        self._accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._accepted)

    def wait_for_connections(self, count: int, timeout_s: float = 2.0) -> int:
        """The kernel completes a handshake before accept(); give the thread time to catch up."""
        end = time.monotonic() + timeout_s
        while self.connections < count and time.monotonic() < end:
            time.sleep(0.01)
        return self.connections

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._accepted.append(conn)  # kept open, never written to

    def env(self, **overrides: str) -> dict[str, str]:
        values = {
            "TRIWULAN_SMTP_HOST": self.host,
            "TRIWULAN_SMTP_PORT": str(self.port),
            "TRIWULAN_SMTP_SECURITY": "none",
            "TRIWULAN_MAIL_FROM": "Sekretariat Kecamatan Sukamaju <kecamatan@sukamaju.go.id>",
        }
        values.update(overrides)
        return values

    def __enter__(self) -> StalledServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._listener.close()
        with self._lock:
            for conn in self._accepted:
                conn.close()


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    """A fresh server per test, so received messages and failure modes never leak between tests."""
    with SmtpTestServer() as server:
        yield server
