"""A version in the making: its run row, its folder under a temporary name, and its failure.

A version is built in `.v<k>.sedang/` and renamed to `v<k>/` only when complete, so a folder
that looks complete is complete. A run that fails leaves at most `v<k>.gagal/`, and its run row
says why. The quarterly flow and the cascade both make their versions through `version_run`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from triwulan.tasks.record.lock import outcome_of
from triwulan.tasks.record.runs import finish_run, start_run


@dataclass
class VersionRun:
    """The run row and the folders of version `number` of one quarter."""

    engine: Engine
    label: str
    number: int
    run_id: int
    quarter_folder: Path
    counts: Mapping[str, int] = field(default_factory=dict)
    message: str | None = None  # what the run row says when it finished (undelivered draft)

    @property
    def work(self) -> Path:
        return self.quarter_folder / f".v{self.number}.sedang"

    @property
    def final(self) -> Path:
        return self.quarter_folder / f"v{self.number}"

    def publish(self) -> Path:
        """The complete version takes its real name."""
        self.work.replace(self.final)
        return self.final

    def finished(self, counts: Mapping[str, int], message: str | None = None) -> None:
        """What the run row records when the block ends without an error."""
        self.counts, self.message = counts, message

    def fail(self, exc: BaseException) -> None:
        """Rename the folder first and try each step on its own: on a full disk the database
        write may fail too, and the folder must still not stay `.sedang`."""
        status, message = outcome_of(exc)
        for candidate in (self.work, self.final):
            if candidate.exists():
                with contextlib.suppress(OSError):
                    candidate.replace(self.quarter_folder / f"v{self.number}.gagal")
                break
        with contextlib.suppress(Exception):
            finish_run(self.engine, self.run_id, status, pesan=message)


@contextlib.contextmanager
def version_run(
    engine: Engine,
    label: str,
    number: int,
    quarter_folder: Path,
    *,
    pemicu: str,
    parameter: Mapping[str, Any],
    sidik: str | None = None,
    sebab: str | None = None,
    sidik_masukan: str | None = None,
) -> Iterator[VersionRun]:
    """Start the run row; on an error mark it failed (the error itself goes on), else finish it."""
    run_id = start_run(
        engine,
        label,
        number,
        None,
        pemicu=pemicu,
        parameter=parameter,
        sidik=sidik,
        sebab=sebab,
        sidik_masukan=sidik_masukan,
    )
    run = VersionRun(engine, label, number, run_id, quarter_folder)
    try:
        yield run
    except BaseException as exc:
        # the original error is what the user must see; bookkeeping must not hide it
        with contextlib.suppress(Exception):
            run.fail(exc)
        raise
    finish_run(engine, run_id, "selesai", run.counts, folder=run.final, pesan=run.message)
