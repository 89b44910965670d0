"""Fresh pre-filled templates for the rejected units' feedback mails, several at once.

One template is ~0.1 s of openpyxl on one core; a province's few hundred rejected units kept the
mail step waiting half a minute. Many templates are written by worker processes (spawned: safe
beside Prefect's threads, and the same on Windows); a few, or a machine with one core, stay in
this process. The files are the same either way (tasks.collect.template.write_template).
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

from triwulan.tasks.collect.template import default_filename, write_template
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference

log = logging.getLogger(__name__)

PARALLEL_FROM = 48  # below this, starting workers (~2 s) costs more than it saves
MAX_WORKERS = 4

_worker: dict[str, object] = {}  # in a worker: the reference and period, sent once


def fresh_templates(
    ref: Reference, period: Period, folders: dict[str, Path]
) -> dict[str, Path | None]:
    """unit -> its quarter's template written in folders[unit]; None for a unit the reference
    gives no sub-kegiatan (write_template refuses it: the mail still goes out)."""
    units = list(folders)
    paths = [folders[u] / default_filename(period, u) for u in units]
    workers = min(os.cpu_count() or 1, MAX_WORKERS, len(units) // (PARALLEL_FROM // 2) or 1)
    if len(units) >= PARALLEL_FROM and workers > 1:
        try:
            with ProcessPoolExecutor(
                workers, mp_context=get_context("spawn"), initializer=_start, initargs=(ref, period)
            ) as pool:
                chunk = max(1, len(units) // (workers * 4))
                return dict(
                    zip(units, pool.map(_write, units, paths, chunksize=chunk), strict=True)
                )
        except (BrokenProcessPool, OSError) as exc:  # no workers here: write them in this process
            log.warning("templat ditulis tanpa proses pembantu: %s", exc)
    return {u: _template(ref, period, u, p) for u, p in zip(units, paths, strict=True)}


def _template(ref: Reference, period: Period, unit: str, path: Path) -> Path | None:
    try:
        return write_template(ref, period, unit, path, "xlsx")
    except TriwulanError:
        return None


def _start(ref: Reference, period: Period) -> None:
    _worker["ref"], _worker["period"] = ref, period


def _write(unit: str, path: Path) -> Path | None:
    ref, period = _worker["ref"], _worker["period"]
    assert isinstance(ref, Reference) and isinstance(period, Period)
    return _template(ref, period, unit, path)
