"""Fresh templates written by worker processes are the templates this process writes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.tasks.check.test_validate import PERIOD
from triwulan.tasks.core.reference import load_reference
from triwulan.tasks.send import template_pool


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:  # docProps/core.xml holds the time it was written
        return {n: book.read(n) for n in book.namelist() if n != "docProps/core.xml"}


def test_workers_write_the_same_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    ref = load_reference(PERIOD.tahun)
    units = [str(u) for u in ref.units["unit"]]
    monkeypatch.setattr(template_pool, "PARALLEL_FROM", 2)
    parallel = template_pool.fresh_templates(ref, PERIOD, {u: tmp_path / "a" / u for u in units})
    monkeypatch.setattr(template_pool, "PARALLEL_FROM", 10**6)
    alone = template_pool.fresh_templates(ref, PERIOD, {u: tmp_path / "b" / u for u in units})
    assert list(parallel) == units == list(alone)
    for unit in units:
        a, b = parallel[unit], alone[unit]
        assert a is not None and b is not None and a.name == b.name
        assert a.parent == tmp_path / "a" / unit
        assert _parts(a) == _parts(b)
