"""What keeps the portal safe to open on a LAN: body limits, rate limits, CSRF and a clean log.

- BodyLimit refuses an upload larger than the limit from its Content-Length before reading a
  byte of it, and stops reading a body sent without one as soon as it passes the limit.
- RateLimiter: a sliding window per key (uploads per unit, failed sign-ins per address).
- The access log names method, path, status and time only: the one-time sign-in link's token
  is cut from the path, and codes travel in bodies and headers, which are never logged.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("triwulan.portal")
MULTIPART_SLACK = 64 << 10  # the form's own bytes around the file


HEADERS = {  # on every answer of the portal, refusals of the body limit included
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
}


def too_large_text(max_bytes: int) -> str:
    return f"Berkas terlalu besar: batas unggahan {max_bytes >> 20} MB."


class TooLarge(HTTPException):
    """Raised while the body is read; an HTTPException, so FastAPI's form parsing lets it
    through (any other exception there becomes its own English 400) and the app answers 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, too_large_text(max_bytes))


class BodyLimit:
    """413 for a POST body over `max_bytes` (+ the form's slack), without reading it into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes, self.limit = app, max_bytes, max_bytes + MULTIPART_SLACK

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise TooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except TooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        text = too_large_text(self.max_bytes)
        is_api = str(scope.get("path", "")).startswith("/api/")
        if is_api:
            body = ('{"galat": "' + text + '"}').encode()
            kind = b"application/json"
        else:
            body = (
                '<!doctype html><meta charset="utf-8"><title>Terlalu besar</title>'
                f'<p>{text} <a href="/unit">Kembali</a></p>'
            ).encode()
            kind = b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", kind),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """HEADERS on every answer (and HSTS over https) as plain ASGI: Starlette's BaseHTTPMiddleware
    would wrap `receive` and turn BodyLimit's TooLarge into a disconnect, answered 400."""

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        extra = {"Strict-Transport-Security": "max-age=31536000"} if https else {}
        self.headers = [(k.lower().encode(), v.encode()) for k, v in {**HEADERS, **extra}.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in self.headers if k not in have),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def shown_path(path: str) -> str:
    """The path as the log shows it: a sign-in link's token is never written down."""
    if path.startswith("/masuk/"):
        return "/masuk/***"
    return path


class AccessLog:
    """One line per request: method, path (tokens cut), status, milliseconds; no query, no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def noted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:
            client = (scope.get("client") or ("-", 0))[0]
            ms = (time.perf_counter() - start) * 1000
            log.info(
                "%s %s %s %d %.0f ms",
                client,
                scope["method"],
                shown_path(scope["path"]),
                status,
                ms,
            )


class RateLimiter:
    """At most `count` events per key within `window_s` seconds (a sliding window)."""

    def __init__(self, count: int, window_s: float, clock: Callable[[], float] = time.monotonic):
        self.count, self.window, self.clock = count, window_s, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """The seconds until `key` may act again (0: now), without counting anything."""
        now = self.clock()
        with self._lock:
            seen = self._seen.get(key) or deque()
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            return max(seen[0] + self.window - now, 1.0) if len(seen) >= self.count else 0.0

    def allow(self, key: str) -> float:
        """0 when allowed now (and counted), else the seconds until the next one is."""
        now = self.clock()
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.count:
                return max(seen[0] + self.window - now, 1.0)
            seen.append(now)
            return 0.0


def new_token() -> str:
    return secrets.token_urlsafe(24)


def same_token(expected: object, given: object) -> bool:
    """CSRF tokens compared in constant time; a missing one never matches."""
    if not isinstance(expected, str) or not isinstance(given, str) or not expected:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
