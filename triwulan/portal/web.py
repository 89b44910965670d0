"""What every route of the portal needs: the shared state, sessions, CSRF, pages rendered.

Sessions are signed cookies (Starlette's SessionMiddleware, set up in app.py) holding only the
access row's id, when it was made and the CSRF token; every request looks the access up again,
so a revoked code ends its sessions at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from triwulan.paths import TEMPLATES_DIR
from triwulan.portal.context import Portal
from triwulan.portal.jobs import Runs
from triwulan.portal.security import RateLimiter, new_token, same_token
from triwulan.portal.uploads import Judge, UploadRefused
from triwulan.tasks.record import portal as ledger
from triwulan.tasks.record.portal import Access

COOKIE = "triwulan_sesi"
# Failed sign-ins per address per 15 minutes before that address must wait. Codes have 120 bits:
# this stops a noisy script, not a real guess; high, so an office behind one NAT address is not
# locked out by a few typos.
SIGN_IN_TRIES = (30, 15 * 60)


@dataclass
class State:
    """What the routes share (app.state.portal)."""

    portal: Portal
    judge: Judge
    runs: Runs
    uploads_per_unit: RateLimiter
    sign_ins: RateLimiter
    pages: Environment


def pages_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / "portal"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def state_of(request: Request) -> State:
    return request.app.state.portal


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made for a visitor not signed in too: the sign-in form)."""
    token = request.session.get("c")
    if not isinstance(token, str):
        token = new_token()
        request.session["c"] = token
    return token


def check_csrf(request: Request, given: str | None) -> bool:
    return same_token(request.session.get("c"), given)


def signed_in(request: Request) -> Access | None:
    """The session's access as it is now; an expired session or a revoked code signs out."""
    session = request.session
    access_id, made = session.get("a"), session.get("t")
    if not isinstance(access_id, int) or not isinstance(made, int | float):
        return None
    if time.time() - made > state_of(request).portal.settings.session_s:
        session.clear()
        return None
    access = ledger.by_id(state_of(request).portal.engine, access_id)
    if access is None:
        session.clear()
    return access


def sign_in(request: Request, access: Access) -> None:
    """A new session for the access: new CSRF token, nothing of the old session kept."""
    request.session.clear()
    request.session.update({"a": access.id, "t": int(time.time()), "c": new_token()})


def render(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    template = state_of(request).pages.get_template(name)
    html = template.render(csrf=csrf_token(request), **values)
    return HTMLResponse(html, status_code=status)


class Answered(Exception):  # noqa: N818  (not an error: the answer, decided early)
    """A route's answer decided before its work (sign in first, wrong role, stale form)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def code_access(request: Request, code: str) -> Access | None:
    """The live access a typed code opens, or None (a wrong code counts against the address).

    An address that tried SIGN_IN_TRIES[0] wrong codes waits (429) before any code of it is
    looked at again.
    """
    state = state_of(request)
    client = request.client.host if request.client else "-"
    wait = state.sign_ins.wait(client)
    if wait:
        raise UploadRefused(
            f"Terlalu banyak kode akses salah dari alamat ini. Coba lagi dalam "
            f"{int(wait // 60) + 1} menit.",
            429,
            retry_after=int(wait) + 1,
        )
    access = ledger.by_code(state.portal.engine, code.strip()[:200])
    if access is None:
        state.sign_ins.allow(client)
    return access


def go(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)
