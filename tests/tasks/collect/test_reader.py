"""The reader processes: a crash or an overrun costs the file (or the IKU sheet) it happened at,
never the files queued behind it, and which process read a file never changes what it gave."""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from triwulan.paths import SAMPLE_DIR
from triwulan.tasks.collect import ingest, xlsx_reader
from triwulan.tasks.core.limits import load_limits

# The real reader, except that a file named "mati-<sheet>…" kills it and "lambat-<sheet>…" makes
# it hang when it gets to that sheet.
FAULTY = """
import os, sys, time
from triwulan.tasks.collect import xlsx_child as child
real = child._sheet
def sheet(book, calamine, name):
    base = os.path.basename(calamine.path)
    if base.startswith(f"mati-{name}"):
        os.abort()
    if base.startswith(f"lambat-{name}"):
        time.sleep(60)
    return real(book, calamine, name)
child._sheet = sheet
child.main()
"""
SAMPLE = SAMPLE_DIR / "inbox" / "2024" / "TW2"


@pytest.fixture
def faulty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_reader, "CHILD", [sys.executable, "-c", FAULTY])


def quarter(tmp_path: Path, faults: dict[int, str]) -> list[Path]:
    """The sample's TW2 workbooks (each has `realisasi` and `zona_k3` or `skm`), some renamed."""
    paths = []
    for i, source in enumerate(sorted(SAMPLE.glob("*.xlsx"))):
        name = f"{faults[i]}-{i}.xlsx" if i in faults else f"ok-{i}.xlsx"
        paths.append(Path(shutil.copy(source, tmp_path / name)))
    return paths


def test_a_crash_costs_that_file_only(tmp_path: Path, faulty: None) -> None:
    """Also: a process that died with requests queued is never replaced under them (the new
    process's answers were once taken for the dead one's, and a good file timed out)."""
    paths = quarter(tmp_path, {0: "mati-realisasi", 3: "mati-realisasi"})
    lost = ["mati-realisasi-0.xlsx", "mati-realisasi-3.xlsx"]
    for _ in range(3):  # the race took one run in four
        received = ingest.read_all(paths)
        assert [p.file for p in received.file_problems] == lost
        assert all("pembaca Excel berhenti" in p.message for p in received.file_problems)
        assert set(received.raw["_file"]) == {p.name for p in paths} - set(lost)


def test_a_crash_in_an_iku_sheet_costs_that_sheet_only(tmp_path: Path, faulty: None) -> None:
    paths = quarter(tmp_path, {1: "mati-zona_k3", 3: "mati-skm"})
    received = ingest.read_all(paths)
    assert received.file_problems == []
    assert [(s, p.file) for s, p in received.sheet_problems] == [
        ("zona_k3", "mati-zona_k3-1.xlsx"),
        ("skm", "mati-skm-3.xlsx"),
    ]
    assert all("pembaca Excel berhenti" in p.message for _, p in received.sheet_problems)
    assert {"mati-zona_k3-1.xlsx", "mati-skm-3.xlsx"} <= set(received.raw["_file"])
    assert "mati-zona_k3-1.xlsx" not in set(received.iku["zona_k3"]["_file"])
    assert "skm" not in received.iku  # the only skm sheet was lost
    assert set(received.iku["akip"]["_file"]) == {"mati-skm-3.xlsx"}  # the sheet after it was read


def test_an_overrun_is_cut_at_the_time_limit(tmp_path: Path, faulty: None) -> None:
    limits = replace(load_limits(), waktu_baca_detik=2)
    paths = quarter(tmp_path, {2: "lambat-realisasi"})
    received = ingest.read_all(paths, limits=limits)
    assert [p.file for p in received.file_problems] == ["lambat-realisasi-2.xlsx"]
    assert "terlalu lama dibaca (lebih dari 2 detik)" in received.file_problems[0].message
    assert len(set(received.raw["_file"])) == len(paths) - 1


def test_one_reader_or_two_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted(SAMPLE.iterdir())
    two = ingest.read_all(paths)
    monkeypatch.setattr(ingest, "reader_count", lambda: 1)
    one = ingest.read_all(paths)
    pd.testing.assert_frame_equal(one.raw, two.raw)
    assert one.iku.keys() == two.iku.keys()
    for sheet in one.iku:
        pd.testing.assert_frame_equal(one.iku[sheet], two.iku[sheet])
    assert (one.file_problems, one.iku_files) == (two.file_problems, two.iku_files)
