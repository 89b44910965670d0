"""Keeping a received file: read once, kept by content, never trusted when cut short."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

from triwulan.tasks.core import files
from triwulan.tasks.publish.rekap import write_rekap_xlsx


def target_in(store: Path):
    return lambda sha: store / sha[:2] / f"{sha}.xlsx"


def test_a_file_is_kept_under_its_sha_read_only_and_once(tmp_path: Path) -> None:
    inbox, store = tmp_path / "masuk", tmp_path / "simpan"
    inbox.mkdir(), store.mkdir()
    data = b"PK\x03\x04" + os.urandom(5000)
    (inbox / "perwira.xlsx").write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()

    first = files.store_regular(inbox / "perwira.xlsx", store, target_in(store))
    again = files.store_regular(inbox / "perwira.xlsx", store, target_in(store))

    assert (first.sha256, first.size, first.written) == (sha, len(data), True)
    assert first.path.read_bytes() == data and not first.path.stat().st_mode & 0o222
    assert (again.path, again.written) == (first.path, False)
    assert [p.name for p in store.iterdir()] == [sha[:2]]  # no temporary copy left behind


def test_a_kept_copy_cut_short_by_a_crash_is_written_again(tmp_path: Path) -> None:
    inbox, store = tmp_path / "masuk", tmp_path / "simpan"
    inbox.mkdir(), store.mkdir()
    data = os.urandom(3000)
    (inbox / "a.xlsx").write_bytes(data)
    target = target_in(store)(hashlib.sha256(data).hexdigest())
    target.parent.mkdir()
    target.write_bytes(data[:100])  # the rename reached the disk, not all the bytes
    target.chmod(0o444)

    kept = files.store_regular(inbox / "a.xlsx", store, target_in(store))

    assert kept.written and target.read_bytes() == data


def test_a_file_larger_than_the_limit_when_read_is_streamed_whole(tmp_path: Path) -> None:
    """A file that grew past the in-memory limit after fstat is copied in blocks, all of it."""
    path = tmp_path / "besar.xlsx"
    path.write_bytes(b"x" * 20)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert files._read_whole(fd, 10, 10) is None  # fstat said 10, the file has 20
        os.lseek(fd, 0, os.SEEK_SET)
        assert files._read_whole(fd, 20, 20) == b"x" * 20
    finally:
        os.close(fd)
    sha, copy, size = files.copy_regular(path, tmp_path, limit=10)
    assert (size, copy.read_bytes()) == (20, b"x" * 20)
    assert sha == hashlib.sha256(b"x" * 20).hexdigest()


def test_a_rekap_that_cannot_be_written_fails_as_the_os_said(tmp_path: Path) -> None:
    """XlsxWriter wraps the OSError; the run's record needs it (a full disk says 'disk penuh')."""
    summary = {"period": "2024-TW2", "units": [], "counts": {}, "totals": {}}
    with pytest.raises(OSError) as failed:
        write_rekap_xlsx(tmp_path / "tidak-ada" / "rekap.xlsx", summary, pd.DataFrame(), {})
    assert failed.value.filename is not None and "rekap.xlsx" in str(failed.value.filename)
