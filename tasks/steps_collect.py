"""The collect step: every file kept byte for byte, then read, here or in batches on Dask.

Split from tasks/steps.py for size; the flow calls it as steps_collect.collect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from triwulan.tasks import rerun
from triwulan.tasks.collect.ingest import (
    Kept,
    Received,
    TablesRead,
    collect_quarter,
    find_submissions,
    inbox_names,
    keep_all,
    merge_received,
    read_kept,
)
from triwulan.tasks.core.limits import Limits
from triwulan.tasks.core.quarter import Quarter
from triwulan.tasks.record import store
from triwulan.tasks.runtime import dask_runner


def collect(quarter: Quarter) -> Received:
    """Keep every received file byte-for-byte, then read the kept copies into one text frame.

    The inbox digest (the fast unchanged answer of the next run) is made of what was kept: the
    sha256 of each file's kept bytes, computed while keeping them, so no file is read twice. A
    file a unit was still copying is kept as it was read, under the hash of those bytes; the
    next run finds other bytes there and reads the file again. No retries: a file that cannot
    be read is a problem of that file, never a failed step. A quarter of at least
    `berkas_per_batch` files is read in batches on the Dask cluster when one is configured.
    """
    folder = quarter.inbox_folder
    names = inbox_names(folder)
    paths = find_submissions(folder, names)
    runner = dask_runner() if len(paths) >= quarter.limits.berkas_per_batch else None
    if runner is None:
        received = keep_and_read(quote(quarter), quote(paths))
    else:
        kept = keep_files(quote(quarter), quote(paths))
        size = quarter.limits.berkas_per_batch
        batches = [kept.files[i : i + size] for i in range(0, len(kept.files), size)]
        parts = read_batches.with_options(task_runner=runner)(batches, quarter.limits)
        received = merge_received(kept, parts)
    seen: dict[str, str | None] = dict.fromkeys(names)  # Thumbs.db and the like: looked at now
    seen.update(received.entries)
    found = rerun.inbox_digest(folder, quarter.limits, seen)
    get_run_logger().info(
        "%d berkas ditemukan untuk %s, %d bermasalah",
        len(paths),
        quarter.label,
        len(received.file_problems),
    )
    return replace(received, inbox_digest=found)


def _keeper(quarter: Quarter) -> tuple[store.RawKeeper, Callable[[Path], tuple[str, Path]]]:
    keeper = store.RawKeeper(quarter.engine, quarter.raw_dir, quarter.limits.ukuran_berkas)

    def keep(path: Path) -> tuple[str, Path]:
        sha, kept = keeper.keep_file(path)
        return sha, kept.absolute()  # a reader process (or a Dask worker) opens it

    return keeper, keep


@task(name="kumpulkan", cache_policy=NO_CACHE)
def keep_and_read(quarter: Quarter, paths: list[Path]) -> Received:
    """Each file kept, then read from the kept copy while the next is kept."""
    keeper, keep = _keeper(quarter)
    received = collect_quarter(paths, keep, quarter.limits)
    keeper.commit()
    return received


@task(name="kumpulkan", cache_policy=NO_CACHE)
def keep_files(quarter: Quarter, paths: list[Path]) -> Kept:
    """Every file kept first (a Dask worker reads the kept copies, as absolute paths)."""
    keeper, keep = _keeper(quarter)
    kept = keep_all(paths, keep, quarter.limits)
    keeper.commit()
    return kept


@task(name="baca", cache_policy=NO_CACHE, task_run_name="baca {files[0][1]}")
def read_batch(files: list[tuple[Path, str]], limits: Limits) -> TablesRead:
    """One batch of kept files read on a Dask worker (its own reader processes, its own caps)."""
    return read_kept(files, limits)


@flow(name="baca-berkas", log_prints=True)
def read_batches(batches: list[list[tuple[Path, str]]], limits: Limits) -> list[TablesRead]:
    """One task per batch of `berkas_per_batch` files, never one per file, results in order."""
    futures = [read_batch.submit(batch, limits) for batch in batches]
    return [future.result() for future in futures]
