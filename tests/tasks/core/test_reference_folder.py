"""Putting a year folder in place: refused over an existing year unless replacing, and a failed
rename leaves the old year where it was."""

from __future__ import annotations

import datetime as dt

import pytest

from triwulan.tasks.core.reference_folder import ARCHIVE, stage_year, swap_in

WHEN = dt.datetime(2025, 1, 6, 9, 30, tzinfo=dt.UTC)


def _year(root, text: str):  # type: ignore[no-untyped-def]
    return stage_year(root, 2025, {"units.csv": text.encode()})


def test_an_existing_year_is_replaced_only_when_asked(tmp_path):
    first = _year(tmp_path, "lama")
    assert swap_in(tmp_path, 2025, first, WHEN, replace=False) is None
    second = _year(tmp_path, "baru")
    with pytest.raises(FileExistsError):
        swap_in(tmp_path, 2025, second, WHEN, replace=False)
    assert (tmp_path / "2025" / "units.csv").read_text() == "lama"
    archived = swap_in(tmp_path, 2025, second, WHEN, replace=True)
    assert archived == tmp_path / ARCHIVE / "2025-20250106-093000"
    assert (archived / "units.csv").read_text() == "lama"
    assert (tmp_path / "2025" / "units.csv").read_text() == "baru"


def test_a_failed_rename_puts_the_old_year_back(tmp_path):
    swap_in(tmp_path, 2025, _year(tmp_path, "lama"), WHEN, replace=False)
    gone = tmp_path / ".pasang-hilang"  # a staged folder that vanished: the rename fails
    with pytest.raises(OSError):
        swap_in(tmp_path, 2025, gone, WHEN, replace=True)
    assert (tmp_path / "2025" / "units.csv").read_text() == "lama"
    assert not (tmp_path / ARCHIVE).exists()  # the archive made for it is gone again


def test_a_staged_year_is_readable_by_others(tmp_path):
    staged = _year(tmp_path, "x")
    assert staged.stat().st_mode & 0o055 == (0o777 & ~_umask()) & 0o055


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask
