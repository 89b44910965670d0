"""A real SMTP server on 127.0.0.1 for tests, so delivery is exercised end to end without mocks.

Import the `smtp_server` fixture (tests/conftest.py re-exports it) or use `SmtpTestServer`
directly as a context manager.
"""

from __future__ import annotations

import email
import email.policy
import threading
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
    """aiosmtpd handler that stores messages and can refuse or drop on demand."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[ReceivedMessage] = []
        self.data_attempts = 0
        self.failures_left: int | None = 0  # None: fail every DATA
        self.failure_reply = "451 4.3.0 Server sibuk, coba lagi nanti"
        self.disconnects_left: int | None = 0  # None: drop every DATA
        self.refused_rcpts: set[str] = set()
        self.logins: list[str] = []

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.lower() in self.refused_rcpts:
            return "550 5.1.1 Penerima tidak dikenal"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.data_attempts += 1
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
            auth = session.auth_data
            login = auth.login.decode() if isinstance(auth, LoginPassword) else None
            content = envelope.original_content or b""
            self.messages.append(
                ReceivedMessage(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=list(envelope.rcpt_tos),
                    content=content,
                    login=login,
                )
            )
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


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    """A fresh server per test, so received messages and failure modes never leak between tests."""
    with SmtpTestServer() as server:
        yield server
