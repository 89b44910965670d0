"""Client of the xlsx reader processes (tasks/collect/xlsx_child.py): checks and reads, bounded.

A province's quarter has thousands of workbooks; each is checked and read in a reader process
(one per core, at most two), a few requests queued ahead so no reader waits for the parent,
the answers handed back in the order the files were given. A reader that crashes or runs past
the time limit costs the file (or the sheet) it was at; the files queued behind it are sent
again, to a new process.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from triwulan.tasks.core.limits import Limits

SHEET = "realisasi"
_QUEUED = 2  # requests per reader process: the next file waits in its pipe, never the reader
_MAX_READERS = 2
CHILD = [sys.executable, "-m", "triwulan.tasks.collect.xlsx_child"]  # the reader's command
T = TypeVar("T")


def reader_count() -> int:
    """Reader processes for a quarter: the cores this process may use, at most two."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(_MAX_READERS, cores))


@dataclass
class BookRead:
    """What the reader said about one workbook (see the protocol in xlsx_child).

    `fatal`: the file could not be checked at all; `sheets`: (sheet, answer) in the order read,
    a crash or timeout as {"failure": "crashed" | "timeout"} at the step it happened.
    """

    fatal: dict[str, Any] | None = None
    names: list[str] = field(default_factory=list)
    sheets: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass
class _Job:
    index: int
    path: Path
    sheets: list[str]
    read: BookRead = field(default_factory=BookRead)
    named: bool = False  # the workbook's names arrived

    def order(self) -> list[str]:
        present = {s.strip().lower() for s in self.read.names}
        return [self.sheets[0], *(s for s in self.sheets[1:] if s in present)]

    def complete(self) -> bool:
        """Everything about the file was said but "done" (its process ended right then)."""
        if self.read.fatal is not None:
            return True
        said = self.read.sheets
        if not self.named or not said:
            return False
        return "rows" not in said[0][1] or len(said) >= len(self.order())

    def fail(self, failure: str) -> bool:
        """Record a crash or timeout at the current step; True when the file is finished."""
        if not self.named:
            self.read.fatal = {"failure": failure}
            return True
        order = self.order()
        sheet = order[len(self.read.sheets)]
        self.read.sheets.append((sheet, {"failure": failure}))
        # the first sheet's problem is the file's; any other costs that sheet only
        return sheet == self.sheets[0] or len(self.read.sheets) >= len(order)


class _Process:
    """One reader process and the requests it has not answered yet (oldest first)."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.proc: subprocess.Popen[bytes] | None = None
        self.jobs: deque[_Job] = deque()
        self.buffer = bytearray()
        self.since = 0.0  # when the oldest request last made progress

    def start(self) -> subprocess.Popen[bytes]:
        """The process, started if there is none; never restarted under unanswered requests
        (their answers would be taken for those of the new process: _lost ends it first)."""
        if self.proc is None or (not self.jobs and self.proc.poll() is not None):
            self.stop()
            self.proc = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                bufsize=0,
            )
            self.buffer.clear()
        return self.proc

    def send(self, job: _Job) -> bool:
        """Queue a request; False when the process is gone (the caller treats it as a crash)."""
        proc = self.start()
        assert proc.stdin
        request = {"path": os.path.abspath(job.path), "sheets": job.sheets}
        request["skip"] = len(job.read.sheets)
        if not self.jobs:
            self.since = time.monotonic()
        self.jobs.append(job)
        try:
            proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
        except OSError:
            return False
        return True

    def lines(self) -> list[bytes] | None:
        """Complete answer lines read now; None at end of file (the process died)."""
        assert self.proc and self.proc.stdout
        chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
        if not chunk:
            return None
        self.buffer += chunk
        if b"\n" not in chunk:  # a long answer still arriving
            return []
        *complete, rest = self.buffer.split(b"\n")
        self.buffer = bytearray(rest)
        return complete

    def finish(self) -> list[bytes]:
        """Kill the process; the complete answer lines it wrote before it ended, not read yet."""
        if self.proc is None:
            return []
        self.proc.kill()
        lines: list[bytes] = []
        while self.proc.stdout and (more := self.lines()) is not None:
            lines += more
        self.stop()
        return lines

    def stop(self) -> None:
        """End the process: stdin closed (it ends by itself), killed if not gone after 2 s."""
        if self.proc is None:
            return
        with contextlib.suppress(OSError):
            if self.proc.stdin:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None


class XlsxReader:
    """Reader processes for one quarter, restarted after a crash; `workers` of them at most.

    Each runs under a memory cap and dies with us; a file that kills one or runs past the time
    limit costs that file only. Results never depend on which process read a file.
    """

    def __init__(self, limits: Limits, workers: int = 1) -> None:
        self.limits = limits
        command = [
            *CHILD,
            str(limits.memori_pembaca_mb),
            str(limits.ukuran_terurai),
            str(limits.rasio_kompresi),
            str(limits.baris_maks),
            str(limits.kolom_maks),
        ]
        self.processes = [_Process(command) for _ in range(max(1, workers))]

    def __enter__(self) -> XlsxReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> subprocess.Popen[bytes]:
        """The first reader process, started if needed."""
        return self.processes[0].start()

    def read_book(self, path: Path, sheets: list[str]) -> BookRead:
        """One workbook checked and read: `sheets[0]`, then those of the others it has."""
        ((_, read),) = self.read_books([(None, path)], sheets)
        assert read is not None
        return read

    def read_books(
        self, items: Iterable[tuple[T, Path | None]], sheets: list[str]
    ) -> Iterator[tuple[T, BookRead | None]]:
        """(key, read) per item, in the order given; None for an item without a path.

        `items` is consumed lazily, only as a reader has room: what produces it (copying files
        into the raw store) runs while the readers read.
        """
        source = iter(items)
        keys: dict[int, T] = {}
        done: dict[int, BookRead | None] = {}
        retry: deque[_Job] = deque()
        given = returned = 0
        exhausted = False
        while True:
            while returned in done:
                yield keys.pop(returned), done.pop(returned)
                returned += 1
            while not exhausted or retry:
                process = min(self.processes, key=lambda p: len(p.jobs))
                if len(process.jobs) >= _QUEUED:
                    break
                if retry:
                    job = retry.popleft()
                else:
                    try:
                        key, path = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    index, given = given, given + 1
                    keys[index] = key
                    if path is None:
                        done[index] = None
                        if index == returned:
                            break  # handed back at once
                        continue
                    job = _Job(index, path, list(sheets))
                if not process.send(job):
                    self._lost(process, "crashed", done, retry)
            if returned in done:
                continue
            if returned == given and exhausted and not retry:
                return
            self._wait(done, retry)

    def _wait(self, done: dict[int, BookRead | None], retry: deque[_Job]) -> None:
        """Take in what the busy processes answered, or end one past its time limit."""
        busy = [p for p in self.processes if p.jobs]
        if not busy:
            return
        limit = self.limits.waktu_baca_detik
        now = time.monotonic()
        timeout = max(0.0, min(p.since + limit for p in busy) - now)
        streams = {p.proc.stdout.fileno(): p for p in busy if p.proc and p.proc.stdout}
        ready, _, _ = select.select(list(streams), [], [], timeout)
        for fd in ready:
            process = streams[fd]
            lines = process.lines()
            if lines is None:
                self._lost(process, "crashed", done, retry)
                continue
            for line in lines:
                self._answer(process, json.loads(line), done)
        now = time.monotonic()
        for process in busy:
            if process.jobs and now - process.since >= limit:
                self._lost(process, "timeout", done, retry)

    def _answer(
        self, process: _Process, answer: dict[str, Any], done: dict[int, BookRead | None]
    ) -> None:
        process.since = time.monotonic()
        job = process.jobs[0]
        if "done" in answer:
            process.jobs.popleft()
            done[job.index] = job.read
        elif "names" in answer:
            if not job.named:  # a retry names the same workbook again
                job.read.names, job.named = answer["names"], True
        elif "fatal" in answer:
            job.read.fatal = answer["fatal"]
        else:
            job.read.sheets.append((answer.pop("sheet"), answer))

    def _lost(
        self,
        process: _Process,
        failure: str,
        done: dict[int, BookRead | None],
        retry: deque[_Job],
    ) -> None:
        """The process crashed or overran: what it said before is taken in, its current file
        fails at the step it was at, the files queued behind it go again."""
        said = process.finish()
        for line in said:
            self._answer(process, json.loads(line), done)
        if not process.jobs:
            return
        head, *queued = process.jobs
        process.jobs.clear()
        if head.complete():
            done[head.index] = head.read
        elif failure == "timeout" and said:  # it answered just at the limit: not past it
            queued.insert(0, head)
        elif head.fail(failure):
            done[head.index] = head.read
        else:
            queued.insert(0, head)  # the sheets after the one that failed
        retry.extendleft(reversed(queued))

    def close(self) -> None:
        for process in self.processes:
            if process.jobs:  # abandoned (the caller failed): not waited for
                process.finish()
                process.jobs.clear()
            process.stop()
