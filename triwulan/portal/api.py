"""The portal over HTTP for machines: POST /api/v1/unggah and GET /api/v1/status (stable, v1).

The unit's access code is the bearer token; no session, so no CSRF token either. An answer
that is a verdict is 200 whatever the verdict ("ditolak" included); refusals before judging
answer 4xx with {"galat": "..."} in Indonesian.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from pydantic import BaseModel

from triwulan.portal.board import board
from triwulan.portal.intake import submit_upload
from triwulan.portal.uploads import UploadRefused
from triwulan.portal.web import code_access, state_of
from triwulan.tasks.record.portal import Access

router = APIRouter(prefix="/api/v1", tags=["unit"])


class Masalah(BaseModel):
    baris: int | None
    kolom: str
    pesan: str
    tingkat: Literal["galat", "catatan"]


class Putusan(BaseModel):
    status: Literal["diterima", "diterima_dengan_catatan", "ditolak"]
    unit: str
    periode: str
    masalah: list[Masalah]


class Triwulan(BaseModel):
    periode: str
    batas: str
    final: bool
    status: Literal["diterima", "ditolak", "belum", "basi"]
    unggahan_terakhir: str | None
    status_unggahan: str | None


class StatusUnit(BaseModel):
    unit: str
    tahun: int
    periode_terbuka: str
    triwulan: list[Triwulan]


def _bearer(request: Request, authorization: str | None) -> Access:
    """The unit of the Bearer code; 401 (with WWW-Authenticate) for a wrong or revoked one."""
    scheme, _, code = (authorization or "").partition(" ")
    access = code_access(request, code) if scheme == "Bearer" else None
    if access is None:
        refused = UploadRefused(
            "Kode akses tidak dikenal atau sudah dicabut (Authorization: Bearer <kode>).", 401
        )
        refused.headers["WWW-Authenticate"] = "Bearer"
        raise refused
    if access.admin:
        raise UploadRefused("Kode sekretariat bukan kode unit: pakai kode akses unit.", 403)
    return access


@router.post(
    "/unggah",
    response_model=Putusan,
    summary="Unggah berkas isian satu unit",
    responses={
        401: {"description": "kode akses salah atau dicabut"},
        409: {"description": "triwulan sudah FINAL"},
        413: {"description": "berkas melebihi batas ukuran"},
        415: {"description": "bukan .xlsx atau .csv"},
        429: {"description": "batas unggahan per jam tercapai"},
    },
)
def upload(
    request: Request,
    berkas: Annotated[UploadFile, File(description="Berkas .xlsx atau .csv unit")],
    periode: Annotated[
        str | None, Form(description="misalnya 2024-TW2; bawaan triwulan terbuka")
    ] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Putusan:
    """Diperiksa dengan jalur yang sama dengan run triwulan; diterima = masuk inbox."""
    access = _bearer(request, authorization)
    period = state_of(request).portal.period(periode or None)
    answer = submit_upload(request, access, period, berkas, "api")
    return Putusan(
        status=answer["status"],
        unit=answer["unit"],
        periode=answer["periode"],
        masalah=[
            Masalah(baris=m["baris"], kolom=m["kolom"], pesan=m["pesan"], tingkat=m["tingkat"])
            for m in answer["masalah"]
        ],
    )


@router.get("/status", response_model=StatusUnit, summary="Keadaan triwulan unit tahun ini")
def status(request: Request, authorization: Annotated[str | None, Header()] = None) -> StatusUnit:
    access = _bearer(request, authorization)
    assert access.unit is not None
    portal = state_of(request).portal
    open_period = portal.open_period()
    ref = portal.ref(open_period.tahun)
    columns, rows = board(portal.engine, ref, open_period.tahun, portal.settings.out)
    quarters = []
    for column, cell in zip(columns, rows[access.unit], strict=True):
        period = column.state.period
        upload = cell.upload
        quarters.append(
            Triwulan(
                periode=period.label,
                batas=portal.due(period).isoformat(),
                final=column.state.final is not None,
                status=cell.state,  # type: ignore[arg-type]
                unggahan_terakhir=upload["waktu"].isoformat() if upload else None,
                status_unggahan=upload["status"] if upload else None,
            )
        )
    return StatusUnit(
        unit=access.unit,
        tahun=open_period.tahun,
        periode_terbuka=open_period.label,
        triwulan=quarters,
    )
