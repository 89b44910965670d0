"""The board's cells and the open quarter: plain functions, no server."""

from __future__ import annotations

import datetime as dt

import pytest

from triwulan.portal.board import _cell, _latest_start
from triwulan.portal.context import open_period
from triwulan.status_data import QuarterState
from triwulan.tasks.core.fmt import WIB
from triwulan.tasks.core.period import Period

RUN = dt.datetime(2024, 7, 10, 1, 0, tzinfo=dt.UTC)


def _up(status: str, minutes: int) -> dict:
    return {"status": status, "waktu": RUN + dt.timedelta(minutes=minutes), "id": minutes}


def test_an_accepted_upload_after_the_run_turns_the_cell_green() -> None:
    latest = _up("diterima", 5)
    cell = _cell("ditolak", {"latest": latest, "accepted": latest}, RUN)
    assert (cell.state, cell.label, cell.pending) == ("diterima", "diterima (unggahan)", True)


def test_a_rejected_upload_never_hides_the_accepted_file_in_the_inbox() -> None:
    cell = _cell("belum", {"latest": _up("ditolak", 9), "accepted": _up("diterima", 5)}, RUN)
    assert (cell.state, cell.note) == ("diterima", "unggahan terakhir ditolak")
    kept = _cell("diterima", {"latest": _up("ditolak", 9), "accepted": None}, RUN)
    assert (kept.state, kept.label, kept.note) == (
        "diterima",
        "diterima",
        "unggahan terakhir ditolak",
    )
    missing = _cell("belum", {"latest": _up("ditolak", 9), "accepted": None}, RUN)
    assert (missing.state, missing.label) == ("ditolak", "ditolak (unggahan)")


def test_uploads_before_the_latest_run_are_already_in_its_verdict() -> None:
    cell = _cell("basi", {"latest": _up("diterima", -5), "accepted": _up("diterima", -5)}, RUN)
    assert (cell.state, cell.pending) == ("basi", False)
    assert _cell("belum", None, RUN).state == "belum"
    assert _cell(
        "belum", {"latest": _up("diterima", -5), "accepted": _up("diterima", -5)}, None
    ).pending


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (dt.datetime(2024, 2, 1, tzinfo=WIB), Period(2024, 1)),
        (dt.datetime(2024, 4, 10, 7, 59, tzinfo=WIB), Period(2024, 1)),
        (dt.datetime(2024, 4, 10, 8, 0, tzinfo=WIB), Period(2024, 2)),
        (dt.datetime(2025, 1, 9, tzinfo=WIB), Period(2024, 4)),
        (dt.datetime(2026, 12, 7, tzinfo=WIB), Period(2024, 4)),  # late files: the last quarter
    ],
)
def test_the_open_quarter_is_the_next_deadline_of_the_newest_year(
    moment: dt.datetime, expected: Period
) -> None:
    assert open_period([2024], moment) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (dt.datetime(2025, 1, 5, tzinfo=WIB), Period(2024, 4)),  # 2025's folder exists already
        (dt.datetime(2025, 1, 10, 8, 0, tzinfo=WIB), Period(2025, 1)),
        (dt.datetime(2026, 12, 7, tzinfo=WIB), Period(2025, 4)),
    ],
)
def test_a_new_years_reference_does_not_close_the_old_years_last_quarter(
    moment: dt.datetime, expected: Period
) -> None:
    assert open_period([2024, 2025], moment) == expected


def test_only_a_finished_run_of_its_own_decides_what_an_upload_is_newer_than() -> None:
    def run(minutes: int, status: str, pemicu: str) -> dict:
        return {"mulai": RUN + dt.timedelta(minutes=minutes), "status": status, "pemicu": pemicu}

    state = QuarterState(
        Period(2024, 2),
        runs=[
            run(0, "selesai", "manual"),
            run(30, "selesai", "cascade"),
            run(40, "gagal", "manual"),
        ],
    )
    since = _latest_start(state)
    assert since == RUN
    upload = _up("diterima", 10)  # after the manual run, before the cascade and the failed run
    assert _cell("ditolak", {"latest": upload, "accepted": upload}, since).state == "diterima"


def test_a_failed_upload_is_shown_not_hidden() -> None:
    cell = _cell("belum", {"latest": _up("gagal_ditempatkan", 5), "accepted": None}, RUN)
    assert (cell.state, cell.label) == ("ditolak", "gagal diproses (unggahan)")
    assert "gagal diproses" in cell.note
