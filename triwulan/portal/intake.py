"""An upload from the request to its verdict: the checks before judging, then the judge.

Shared by the unit's page (pages.py) and the API (api.py), so both refuse and judge alike.
"""

from __future__ import annotations

from fastapi import Request, UploadFile

from triwulan.portal.uploads import Job, UploadRefused, display_name, keep_upload, suffix_of
from triwulan.portal.web import state_of
from triwulan.tasks.core.period import Period
from triwulan.tasks.record.portal import Access


def submit_upload(
    request: Request, access: Access, period: Period, berkas: UploadFile, jalur: str
) -> dict:
    """Checks before judging (FINAL quarter, rate, type, size), then the judge's verdict."""
    assert access.unit is not None
    state = state_of(request)
    portal = state.portal
    closed = portal.final_text(period)
    if closed:
        raise UploadRefused(f"{closed}: unggahan untuk triwulan itu tidak diterima lagi.", 409)
    wait = state.uploads_per_unit.allow(access.unit)
    if wait:
        raise UploadRefused(
            f"Batas {portal.settings.per_hour} unggahan per jam tercapai. Coba lagi dalam "
            f"{int(wait // 60) + 1} menit.",
            429,
            retry_after=int(wait) + 1,
        )
    name = display_name(berkas.filename)
    suffix = suffix_of(name)
    kept = keep_upload(
        berkas.file, portal.settings.kept_dir / period.label, suffix, portal.settings.max_bytes
    )
    return state.judge.submit(Job(access, access.unit, period, jalur, name, kept))
