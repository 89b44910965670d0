"""The portal as one FastAPI application: middleware, error pages, and its routes.

Routes live in pages.py (people, HTML) and api.py (machines, JSON); web.py holds what they share.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from triwulan.portal import api, pages
from triwulan.portal.context import Portal
from triwulan.portal.jobs import Runs
from triwulan.portal.security import (
    AccessLog,
    BodyLimit,
    RateLimiter,
    SecurityHeaders,
    TooLarge,
)
from triwulan.portal.uploads import Judge
from triwulan.portal.web import COOKIE, SIGN_IN_TRIES, Answered, State, pages_env, render
from triwulan.tasks.core.errors import TriwulanError

THREADS = 200


def create_app(portal: Portal, judge: Judge | None = None) -> FastAPI:
    """The application; `judge` may be given by tests that want their own."""
    settings = portal.settings

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Routes are plain functions on anyio's thread pool (40 threads by default); an upload
        # holds its thread while it waits for its verdict, so a quarter's rush could otherwise
        # leave no thread for a page view.
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="triwulan portal",
        description=(
            "Unggah berkas realisasi triwulan dan lihat hasil pemeriksaannya. Otorisasi: "
            "`Authorization: Bearer <kode akses unit>`."
        ),
        version="1",
        docs_url=None,  # Swagger UI loads its scripts from a public CDN: blank on an office LAN
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.portal = State(
        portal=portal,
        judge=judge or Judge(portal),
        runs=Runs(settings.inbox, settings.out),
        uploads_per_unit=RateLimiter(settings.per_hour, 3600),
        sign_ins=RateLimiter(*SIGN_IN_TRIES),
        pages=pages_env(),
    )
    app.include_router(pages.router)
    app.include_router(api.router)

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, exc: TooLarge) -> Response:
        # the body was not read to its end: the connection cannot carry another request
        answer: Response
        if request.url.path.startswith("/api/"):
            answer = JSONResponse({"galat": exc.detail}, status_code=413)
        else:
            answer = render(
                request,
                "pesan.html.j2",
                413,
                judul="Berkas terlalu besar",
                pesan=exc.detail,
                kembali="/unit",
            )
        answer.headers["Connection"] = "close"
        return answer

    @app.exception_handler(Answered)
    async def answered(request: Request, exc: Answered) -> Response:
        return exc.response

    @app.exception_handler(TriwulanError)
    async def told(request: Request, exc: TriwulanError) -> Response:
        status = int(getattr(exc, "status", 400))
        answer: Response
        if request.url.path.startswith("/api/"):
            answer = JSONResponse({"galat": str(exc)}, status_code=status)
        else:
            answer = render(
                request, "pesan.html.j2", status, judul="Tidak dapat diproses", pesan=str(exc)
            )
        answer.headers.update(getattr(exc, "headers", {}))
        return answer

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own answer is English JSON; say which field is missing or wrong, in Indonesian
        fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        text = (
            f"Permintaan tidak lengkap atau tidak sah: periksa {', '.join(fields)}. Berkas dikirim "
            "sebagai field multipart 'berkas'."
        )
        if request.url.path.startswith("/api/"):
            return JSONResponse({"galat": text}, status_code=422)
        return render(request, "pesan.html.j2", 422, judul="Formulir tidak lengkap", pesan=text)

    @app.exception_handler(StarletteHTTPException)
    async def not_here(request: Request, exc: StarletteHTTPException) -> Response:
        text = (
            "Halaman tidak ada." if exc.status_code == 404 else "Permintaan tidak dapat diproses."
        )
        if request.url.path.startswith("/api/"):
            return JSONResponse({"galat": text}, status_code=exc.status_code)
        return render(request, "pesan.html.j2", exc.status_code, judul=text, pesan=None)

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret,
        session_cookie=COOKIE,
        max_age=settings.session_s,
        same_site="lax",
        https_only=settings.https,
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_bytes)
    app.add_middleware(SecurityHeaders, https=settings.https)  # on BodyLimit's 413 too
    app.add_middleware(AccessLog)
    return app
