"""Read a quarter's submission files (xlsx sheet `realisasi` and IKU sheets, or UTF-8 CSV) into
one text frame per sheet kind.

Cells stay text here: typing happens in validation, so a bad cell becomes a named problem instead
of a crash. Each row keeps `_file`, `_row` and `_kolom` (tasks/collect/tables.py). Files are kept
(copied into the raw store) while reader processes check and read the ones kept before them;
results are taken in the order of the files, whichever process read them.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import pandas as pd

from triwulan.tasks.collect.file_read import (
    BOOK_SHEETS,
    FileTables,
    before_reading,
    guarded,
    is_xlsx,
    read_csv,
    xlsx_tables,
)
from triwulan.tasks.collect.messages import (
    FileProblem,
    entry_problem,
    too_large_problem,
    unreadable_problem,
)
from triwulan.tasks.collect.tables import (
    HEADER_SEP,
    META_COLS,
    Table,
    empty_frame,
    frame_of,
)
from triwulan.tasks.collect.xlsx_reader import SHEET, XlsxReader, reader_count
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.files import NotRegularFile, copy_regular, fault_label, look
from triwulan.tasks.core.iku_input import IKU_SHEETS
from triwulan.tasks.core.limits import Limits, load_limits

# Named here for the stages after collect (tasks/check reads the text frame by them).
__all__ = ["HEADER_SEP", "META_COLS", "SHEET", "FileProblem", "Received", "XlsxReader"]
# Files the operating system drops into folders by itself (hidden on Windows, but not by name).
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini"})


def check_inbox(inbox: Path) -> None:
    """An inbox that is not there is a setup mistake, not 'every unit is missing'."""
    try:
        with os.scandir(inbox):
            pass
    except OSError as exc:  # absent, not a folder, no permission
        from triwulan.paths import folder_hint

        hint = folder_hint(inbox, "TRIWULAN_INBOX", "--inbox", "inbox")
        raise TriwulanError(
            f"Folder inbox '{inbox}' tidak ada atau tidak dapat dibaca {hint}"
        ) from exc


def ignored(name: str) -> bool:
    """Only files the operating system drops into folders by itself.

    Everything else, hidden names, editor lock files and sub-folders included, is judged: a unit
    whose file was skipped silently (saved into a sub-folder 'Kel Perwira', say) would be shown
    as 'belum mengirim' and never told why. A folder is reported, never read.
    """
    return name.lower() in SYSTEM_FILES


def inbox_names(folder: Path) -> list[str]:
    """Every name in one quarter folder, sorted, the system's own files too; [] when unreadable.

    One listing serves both what is judged (find_submissions) and the inbox digest.
    """
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def find_submissions(folder: Path, names: list[str] | None = None) -> list[Path]:
    """Every entry a unit put in one quarter folder: files of any format, and what is no file.

    Unsupported files are returned so read_submission reports them; symlinks, FIFOs, devices,
    sockets and folders named like a file are returned so collect_quarter reports them without
    opening them. Skipping either silently would show the unit as 'belum mengirim' while it did
    send something (and open_quarter would call a folder holding only a symlink empty).
    `names`: the folder's listing when it was taken already (inbox_names).
    """
    listed = inbox_names(folder) if names is None else names
    return [folder / name for name in listed if not ignored(name)]


@dataclass(frozen=True)
class FileRead:
    """What one file gave: a frame per sheet read, the file's problem, problems of IKU sheets.

    The file's problem (unreadable, no `realisasi` sheet) means no rows at all; a problem of an
    IKU sheet costs that sheet only (validation makes it an error of the file's unit).
    """

    frames: dict[str, pd.DataFrame]
    problem: FileProblem | None = None
    sheet_problems: tuple[tuple[str, FileProblem], ...] = ()


def _read_each(
    files: Iterable[tuple[Path, str]], limits: Limits, reader: XlsxReader
) -> Iterator[tuple[str, FileTables]]:
    """(name, what it gave) per file, in the order given; `files` is consumed as readers have
    room. Every check that bounds memory runs before a parser sees the file."""

    def requests() -> Iterator[tuple[tuple[Path, str, FileTables | None], Path | None]]:
        for path, name in files:
            early = before_reading(path, name, limits)
            to_reader = path if early is None and is_xlsx(name) else None
            yield (path, name, early), to_reader

    for (path, name, early), book in reader.read_books(requests(), BOOK_SHEETS):
        if early is not None:
            yield name, early
        elif book is None:
            yield name, guarded(name, partial(read_csv, path, name, limits))
        else:
            yield name, guarded(name, partial(xlsx_tables, book, name, limits))


def read_file(
    path: Path,
    name: str | None = None,
    limits: Limits | None = None,
    reader: XlsxReader | None = None,
) -> FileRead:
    """Every sheet of one file as text frames; a problem instead when the file cannot be read.

    `path` may be the raw-store copy; `name` is the file name as received (what people see).
    Every check that bounds memory runs before a parser sees the file.
    """
    name = name or path.name
    limits = limits or load_limits()
    if reader is None:
        with XlsxReader(limits) as own:  # started only for an xlsx
            return read_file(path, name, limits, own)
    ((_, read),) = _read_each([(path, name)], limits, reader)
    frames = {sheet: frame_of([table]) for sheet, table in read.tables.items()}
    return FileRead(frames, read.problem, read.sheet_problems)


def read_submission(
    path: Path,
    name: str | None = None,
    limits: Limits | None = None,
    reader: XlsxReader | None = None,
) -> tuple[pd.DataFrame, FileProblem | None]:
    """The `realisasi` rows of one file as text, or the problem that kept it from being read."""
    read = read_file(path, name, limits, reader)
    if read.problem is not None:
        return empty_frame(), read.problem
    return read.frames.get(SHEET, empty_frame()), None


@dataclass(frozen=True)
class Received:
    """A quarter folder as received: rows of readable files, file problems, sha256 per file.

    `iku`: text frames of the IKU sheets (tasks.core.iku_input) of all files, one per sheet that some
    file had (even with no rows: an emptied sheet is a correction too); `sheet_problems`: an IKU
    sheet that could not be read, as (sheet, problem).
    """

    raw: pd.DataFrame
    file_problems: list[FileProblem]
    sha256: dict[str, str]  # file name as received -> sha256 of the bytes kept
    iku: dict[str, pd.DataFrame] = field(default_factory=dict)
    sheet_problems: list[tuple[str, FileProblem]] = field(default_factory=list)
    iku_files: list[tuple[str, str]] = field(
        default_factory=list
    )  # (file, sheet) read, rows or not
    # the inbox folder's digest of what was kept (tasks.rerun.inbox_digest over `entries`);
    # None when not taken (a read without keeping, tests)
    inbox_digest: str | None = None
    # file name as received -> what keep_each found: the sha256 of the bytes kept, else the
    # entry's label (files.look, files.fault_label); the inbox digest is made of these
    entries: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TablesRead:
    """Files read, before their tables become frames: batches read apart merge exactly."""

    by_sheet: dict[str, list[Table]]
    problems: list[FileProblem]
    sheet_problems: list[tuple[str, FileProblem]]
    iku_files: list[tuple[str, str]]


def _read_tables(files: Iterable[tuple[Path, str]], limits: Limits) -> TablesRead:
    """Every file given, read as it comes (see read_all), as tables per sheet kind."""
    by_sheet: dict[str, list[Table]] = defaultdict(list)
    problems: list[FileProblem] = []
    sheet_problems: list[tuple[str, FileProblem]] = []
    iku_files: list[tuple[str, str]] = []
    with XlsxReader(limits, reader_count()) as reader:
        for name, read in _read_each(files, limits, reader):
            if read.problem:
                problems.append(read.problem)
            for sheet, table in read.tables.items():
                by_sheet[sheet].append(table)
                if sheet in IKU_SHEETS:
                    iku_files.append((name, sheet))
            sheet_problems += read.sheet_problems
    return TablesRead(dict(by_sheet), problems, sheet_problems, iku_files)


def _received(read: TablesRead) -> Received:
    """One frame per sheet kind (sha256 is left empty: the keeper knows it)."""
    by_sheet = read.by_sheet
    iku = {sheet: frame_of(by_sheet[sheet]) for sheet in IKU_SHEETS if sheet in by_sheet}
    raw = frame_of(by_sheet.get(SHEET, []))
    return Received(raw, read.problems, {}, iku, read.sheet_problems, read.iku_files)


def _read_files(files: Iterable[tuple[Path, str]], limits: Limits) -> Received:
    """Every file given, read as it comes (see read_all); sha256 is left empty."""
    return _received(_read_tables(files, limits))


def read_all(
    paths: list[Path], names: list[str] | None = None, limits: Limits | None = None
) -> Received:
    """Every readable file of one quarter: one frame per sheet kind, one problem per other file.

    Columns: the union of the headers, "" where a file lacks a column (its `_kolom` tells which).
    The reader processes (two on two cores) serve every xlsx of the quarter. sha256 is left empty.
    """
    names = names or [p.name for p in paths]
    limits = limits or load_limits()
    return _read_files(zip(paths, names, strict=True), limits)


def read_quarter(
    paths: list[Path], names: list[str] | None = None, limits: Limits | None = None
) -> tuple[pd.DataFrame, list[FileProblem]]:
    """The `realisasi` rows of all readable files of one quarter, one problem per other file."""
    received = read_all(paths, names, limits)
    return received.raw, received.file_problems


def _entry_fault(path: Path, exc: OSError) -> FileProblem:
    """The problem of an entry that could not be kept: not a regular file, or unreadable."""
    if isinstance(exc, NotRegularFile):
        return entry_problem(path.name, exc.kind, path.parent.name)
    return unreadable_problem(path.name, exc)


@dataclass(frozen=True)
class Kept:
    """The files kept in the raw store, ready to read, and the entries that could not be kept."""

    files: list[tuple[Path, str]]  # (kept copy, name as received)
    problems: list[FileProblem]
    sha256: dict[str, str]
    entries: dict[str, str] = field(default_factory=dict)  # as in Received


def keep_each(
    paths: list[Path],
    keep: Callable[[Path], tuple[str, Path]],
    limits: Limits,
    problems: list[FileProblem],
    shas: dict[str, str],
    entries: dict[str, str] | None = None,
) -> Iterator[tuple[Path, str]]:
    """Each regular file kept (unless over the size limit), as (kept copy, name), as it goes.

    `entries` gets each entry's digest as the run found it (see Received.entries): the sha256
    `keep` computed from the bytes it kept, so the inbox is never read again to digest it.
    """
    entries = {} if entries is None else entries
    limit = limits.ukuran_berkas
    for path in paths:
        name = path.name
        entry = look(path, limit)
        if entry.label is not None:
            entries[name] = entry.label
            if entry.error is not None:
                problems.append(_entry_fault(path, entry.error))
            elif entry.kind is not None:
                problems.append(entry_problem(name, entry.kind, path.parent.name))
            else:
                assert entry.info is not None
                problems.append(too_large_problem(name, entry.info.st_size, limits))
            continue
        try:
            sha, copy = keep(path)
        except OSError as exc:
            if exc.filename is not None and Path(exc.filename) != path:
                raise  # writing the store failed: a fault of the run, not of this file
            entries[name] = fault_label(exc)
            problems.append(_entry_fault(path, exc))
            continue
        shas[name] = sha
        entries[name] = sha
        yield copy, name


def keep_all(paths: list[Path], keep: Callable[[Path], tuple[str, Path]], limits: Limits) -> Kept:
    """Every file kept first, read later (in batches elsewhere: a Dask cluster)."""
    problems: list[FileProblem] = []
    shas: dict[str, str] = {}
    entries: dict[str, str] = {}
    files = list(keep_each(paths, keep, limits, problems, shas, entries))
    return Kept(files, problems, shas, entries)


def read_kept(files: list[tuple[Path, str]], limits: Limits) -> TablesRead:
    """One batch of kept files read (sha256 and entry problems stay with the keeper)."""
    return _read_tables(files, limits)


def merge_received(kept: Kept, parts: list[TablesRead]) -> Received:
    """Batches read apart, in the order of their files: exactly what one read gives."""
    by_sheet: dict[str, list[Table]] = defaultdict(list)
    for part in parts:
        for sheet, tables in part.by_sheet.items():
            by_sheet[sheet] += tables
    read = _received(
        TablesRead(
            dict(by_sheet),
            [x for p in parts for x in p.problems],
            [x for p in parts for x in p.sheet_problems],
            [x for p in parts for x in p.iku_files],
        )
    )
    return replace(
        read,
        file_problems=kept.problems + read.file_problems,
        sha256=kept.sha256,
        entries=kept.entries,
    )


def collect_quarter(
    paths: list[Path], keep: Callable[[Path], tuple[str, Path]], limits: Limits | None = None
) -> Received:
    """Keep each file (unless over the size limit), then read the kept copies, never the inbox.

    `keep(path) -> (sha256, kept_path)` copies into the raw store. Reading the kept copy means the
    parsed rows are exactly the bytes whose hash is recorded, whatever happens in the inbox later.
    A file that cannot be kept (permissions, a lock, gone) becomes a problem of that file. Only a
    regular file reaches `keep`: a symlink, folder, FIFO, device or socket is a problem of that
    entry, judged by lstat (never followed, never opened); store.keep_raw checks again on the
    descriptor it opens, so an entry swapped for a symlink meanwhile is refused too. A kept file
    goes to a reader at once: the readers read while the next files are kept.
    """
    limits = limits or load_limits()
    shas: dict[str, str] = {}
    entries: dict[str, str] = {}
    problems: list[FileProblem] = []
    read = _read_files(keep_each(paths, keep, limits, problems, shas, entries), limits)
    return Received(
        read.raw,
        problems + read.file_problems,
        shas,
        read.iku,
        read.sheet_problems,
        read.iku_files,
        entries=entries,
    )


def collect_without_keeping(paths: list[Path], limits: Limits | None = None) -> Received:
    """The quarter read as a run reads it, keeping nothing (run --coba, reminders).

    Each regular file is copied from its checked descriptor into a temporary folder and read
    there; the copies are gone when this returns. Nothing else in the inbox is opened.
    """
    limits = limits or load_limits()
    with tempfile.TemporaryDirectory(prefix="triwulan-baca-") as tmp:
        folder = Path(tmp)

        def keep(path: Path) -> tuple[str, Path]:
            return copy_regular(path, folder, limit=limits.ukuran_berkas)[:2]

        return collect_quarter(paths, keep, limits)
