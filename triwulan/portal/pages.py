"""The portal's pages (Indonesian, phone first): sign-in, the unit's page, the secretariat's board.

Every form posts its session's CSRF token; a form without it is refused with 403. A unit only
ever sees and uploads its own files: the unit comes from the session, never from the form.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from triwulan.portal.board import board, mail_row, version_file
from triwulan.portal.intake import submit_upload
from triwulan.portal.uploads import UploadRefused
from triwulan.portal.web import (
    Answered,
    check_csrf,
    code_access,
    go,
    render,
    sign_in,
    signed_in,
    state_of,
)
from triwulan.status import MAIL_LABEL, waktu
from triwulan.status_data import quarter_history, year_state
from triwulan.tasks.collect.template import (
    default_filename,
    iku_csv_path,
    write_template,
)
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.iku_input import sheets_for
from triwulan.tasks.record import portal as ledger
from triwulan.tasks.record.portal import Access

router = APIRouter(include_in_schema=False)
STATUS_TEXT = {
    "diterima": "Diterima",
    "diterima_dengan_catatan": "Diterima dengan catatan",
    "ditolak": "Ditolak",
    "gagal_diperiksa": "Gagal diperiksa (kesalahan server)",
    "gagal_ditempatkan": "Lolos, belum masuk inbox (hubungi sekretariat)",
}


def _csrf(request: Request, given: str) -> None:
    """A form without its session's token is refused (403) before anything is done."""
    if not check_csrf(request, given):
        page = render(
            request,
            "pesan.html.j2",
            403,
            judul="Formulir kedaluwarsa",
            pesan="Formulir ini sudah tidak berlaku (token keamanan tidak cocok). Muat ulang "
            "halaman lalu coba lagi.",
        )
        raise Answered(page)


def _unit(request: Request) -> Access:
    """The signed-in unit; anyone else is sent where they belong."""
    access = signed_in(request)
    if access is None:
        raise Answered(go("/masuk"))
    if access.admin or access.unit is None:
        raise Answered(go("/papan"))
    return access


def _admin(request: Request) -> Access:
    access = signed_in(request)
    if access is None:
        raise Answered(go("/masuk"))
    if not access.admin:
        page = render(
            request,
            "pesan.html.j2",
            403,
            judul="Khusus sekretariat",
            pesan="Halaman ini hanya untuk sekretariat kecamatan.",
        )
        raise Answered(page)
    return access


# --- signing in --------------------------------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    access = signed_in(request)
    if access is None:
        return go("/masuk")
    return go("/papan" if access.admin else "/unit")


@router.get("/masuk")
def sign_in_form(request: Request) -> Response:
    return render(request, "masuk.html.j2", pesan=None)


@router.post("/masuk")
def sign_in_code(
    request: Request,
    kode: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    _csrf(request, csrf)
    try:
        access = code_access(request, kode)
    except UploadRefused as exc:
        return render(request, "masuk.html.j2", exc.status, pesan=str(exc))
    if access is None:
        return render(
            request,
            "masuk.html.j2",
            401,
            pesan="Kode akses tidak dikenal atau sudah dicabut. Periksa kode dari sekretariat.",
        )
    sign_in(request, access)
    return go("/papan" if access.admin else "/unit")


@router.get("/masuk/{token}")
def sign_in_link_page(request: Request, token: str) -> Response:
    """The one-time link shows a button; only pressing it uses the link up.

    A chat app's link preview or a mail scanner opens links by itself: a link used up by a GET
    would be spent before the clerk ever tapped it.
    """
    return render(request, "masuk_tautan.html.j2", token=token[:200])


@router.post("/masuk/tautan")
def sign_in_link(
    request: Request,
    token: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    _csrf(request, csrf)
    access = ledger.by_link(state_of(request).portal.engine, token[:200])
    if access is None:
        return render(
            request,
            "masuk.html.j2",
            401,
            pesan="Tautan masuk ini sudah dipakai, dicabut, atau tidak dikenal. Masuk dengan kode "
            "akses, atau minta tautan baru ke sekretariat.",
        )
    sign_in(request, access)
    return go("/papan" if access.admin else "/unit")


@router.post("/keluar")
def sign_out(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    _csrf(request, csrf)
    request.session.clear()
    return go("/masuk")


# --- the unit's page ---------------------------------------------------------------------------


def _periods(request: Request) -> list[dict]:
    portal = state_of(request).portal
    open_period = portal.open_period()
    return [
        {
            "label": p.label,
            "long": p.long,
            "batas": portal.due_text(p),
            "lewat": portal.late(p),
            "final": portal.final(p) is not None,
            "terbuka": p == open_period,
        }
        for p in portal.quarters(open_period.tahun)
    ]


@router.get("/unit")
def unit_page(
    request: Request, periode: str | None = None, unggahan: int | None = None
) -> Response:
    access = _unit(request)
    portal = state_of(request).portal
    period = portal.period(periode)
    ref = portal.ref(period.tahun)
    history = ledger.uploads(portal.engine, period.tahun, access.unit)
    shown = next((u for u in history if u["id"] == unggahan), None) if unggahan else None
    columns, rows = board(portal.engine, ref, period.tahun, portal.settings.out)
    column = columns[period.triwulan - 1]
    return render(
        request,
        "unit.html.j2",
        unit=access.unit,
        nama=ref.unit_name(access.unit),
        kecamatan=ref.kecamatan_name,
        period=period,
        periods=_periods(request),
        batas=portal.due_text(period),
        lewat=portal.late(period),
        final=portal.final_text(period),
        lembar_iku=sheets_for(ref, access.unit),
        hasil=shown,
        keadaan=rows[access.unit][period.triwulan - 1],
        versi=column.state.latest["versi"] if column.state.latest else None,
        riwayat=history,
        status_text=STATUS_TEXT,
        waktu=waktu,
        batas_mb=portal.settings.max_bytes >> 20,
    )


@router.get("/unit/template")
def unit_template(
    request: Request,
    periode: str | None = None,
    format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx",
    lembar: str | None = None,
) -> Response:
    access = _unit(request)
    portal = state_of(request).portal
    period = portal.period(periode)
    ref = portal.ref(period.tahun)
    folder = Path(tempfile.mkdtemp(prefix="triwulan-template-"))
    target = folder / default_filename(period, access.unit, format)
    written = write_template(ref, period, access.unit, target, format)
    if lembar is not None:
        if format != "csv" or lembar not in sheets_for(ref, access.unit):
            raise TriwulanError(f"Lembar '{lembar}' tidak ada di berkas isian unit Anda.")
        written = iku_csv_path(written, lembar)
    kind = (
        "text/csv; charset=utf-8"
        if written.suffix == ".csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return FileResponse(
        written,
        media_type=kind,
        filename=written.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.post("/unit/unggah")
def unit_upload(
    request: Request,
    berkas: Annotated[UploadFile, File()],
    periode: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    _csrf(request, csrf)
    access = _unit(request)
    period = state_of(request).portal.period(periode or None)
    answer = submit_upload(request, access, period, berkas, "web")
    return go(f"/unit?periode={period.label}&unggahan={answer['id']}#hasil")


# --- the board ---------------------------------------------------------------------------------


@router.get("/papan")
def board_page(request: Request, tahun: int | None = None) -> Response:
    _admin(request)
    state = state_of(request)
    portal = state.portal
    year = tahun if tahun in portal.years else portal.open_period().tahun
    ref = portal.ref(year)
    columns, rows = board(portal.engine, ref, year, portal.settings.out)
    return render(
        request,
        "papan.html.j2",
        tahun=year,
        tahun_lain=portal.years,
        kecamatan=ref.kecamatan_name,
        columns=columns,
        rows=rows,
        names=ref.unit_names,
        open_period=portal.open_period(),
        batas={c.state.period.label: portal.due_text(c.state.period) for c in columns},
        runs=state.runs.recent(),
        waktu=waktu,
        mail_label=MAIL_LABEL,
        status_text=STATUS_TEXT,
    )


def _latest_file(request: Request, periode: str, name: str) -> Response:
    _admin(request)
    portal = state_of(request).portal
    period = portal.period(periode)
    state = year_state(portal.engine, portal.ref(period.tahun), period.tahun)[period.triwulan - 1]
    path = version_file(portal.settings.out, state, name)
    if path is None:
        raise UploadRefused(f"Belum ada {name} untuk {period.label}: belum ada laporan.", 404)
    if name.endswith(".html"):
        return FileResponse(path, media_type="text/html; charset=utf-8")
    versi = int(state.latest["versi"]) if state.latest else 0
    return FileResponse(path, filename=f"rekap-{period.label}-v{versi}.xlsx")


@router.get("/papan/{periode}/laporan")
def board_report(request: Request, periode: str) -> Response:
    return _latest_file(request, periode, "laporan.html")


@router.get("/papan/{periode}/rekap")
def board_rekap(request: Request, periode: str) -> Response:
    return _latest_file(request, periode, "rekap.xlsx")


@router.get("/papan/{periode}/unggahan")
def board_uploads(request: Request, periode: str) -> Response:
    """The quarter's uploads and the mails recorded for it, newest uploads first."""
    _admin(request)
    portal = state_of(request).portal
    period = portal.period(periode)
    rows = [u for u in ledger.uploads(portal.engine, period.tahun) if u["periode"] == period.label]
    return render(
        request,
        "unggahan.html.j2",
        period=period,
        rows=rows,
        mails=[mail_row(m) for m in quarter_history(portal.engine, period.label).mails],
        names=portal.ref(period.tahun).unit_names,
        waktu=waktu,
        status_text=STATUS_TEXT,
    )


@router.post("/papan/{periode}/jalankan")
def board_run(request: Request, periode: str, csrf: Annotated[str, Form()] = "") -> Response:
    _csrf(request, csrf)
    _admin(request)
    period = state_of(request).portal.period(periode)
    job = state_of(request).runs.start(period.label)
    return go(f"/papan/jalan/{job.id}")


@router.get("/papan/jalan/{job_id}")
def board_run_progress(request: Request, job_id: int) -> Response:
    _admin(request)
    job = state_of(request).runs.get(job_id)
    if job is None:
        raise UploadRefused("Run itu tidak dikenal (portal dinyalakan ulang sejak itu?).", 404)
    return render(request, "jalan.html.j2", job=job)


@router.post("/papan/{periode}/ingatkan")
def board_remind(request: Request, periode: str, csrf: Annotated[str, Form()] = "") -> Response:
    _csrf(request, csrf)
    _admin(request)
    from triwulan.reminders import remind

    settings = state_of(request).portal.settings
    period = state_of(request).portal.period(periode)
    with state_of(request).judge.gx:  # its inbox check validates: GX in one thread at a time
        outcome = remind(period.label, settings.inbox, settings.out)
    return render(
        request,
        "pesan.html.j2",
        judul=f"Pengingat {period.long}",
        baris=outcome.lines,
        kembali="/papan",
    )
