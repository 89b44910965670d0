"""Read submission files (xlsx sheet `realisasi` or UTF-8 CSV) into one text frame.

Cells stay text here: typing happens in validation, so a bad cell becomes a named problem instead
of a crash. Each row keeps `_file` (name as received), `_row` (row number as the user sees it in
Excel) and `_kolom` (the file's own header joined by "|"): read_quarter fills a column absent from
one file with "" when another file has it, so only `_kolom` tells "absent" from "left empty".
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from triwulan.tasks.collect.messages import (
    LOCK_PREFIXES,
    RESEND,
    FileProblem,
    entry_problem,
    reader_message,
    refused_problem,
    too_large_problem,
    unreadable_problem,
    unsupported_problem,
)
from triwulan.tasks.collect.xlsx_check import XlsxBook, XlsxRefused
from triwulan.tasks.collect.xlsx_child import cell_text
from triwulan.tasks.collect.xlsx_reader import SHEET, XlsxReader
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.files import NotRegularFile, entry_kind
from triwulan.tasks.core.iku_input import IDENTITY, IKU_SHEETS, sheet_of_header
from triwulan.tasks.core.limits import Limits, load_limits

SUPPORTED = (".xlsx", ".csv")
META_COLS = ["_file", "_row", "_kolom"]
HEADER_SEP = "|"
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


def _ignored(entry: os.DirEntry[str]) -> bool:
    """Only files the operating system drops into folders by itself.

    Everything else, hidden names, editor lock files and sub-folders included, is judged: a unit
    whose file was skipped silently (saved into a sub-folder 'Kel Perwira', say) would be shown
    as 'belum mengirim' and never told why. A folder is reported, never read.
    """
    return entry.name.lower() in SYSTEM_FILES


def find_submissions(folder: Path) -> list[Path]:
    """Every entry a unit put in one quarter folder: files of any format, and what is no file.

    Unsupported files are returned so read_submission reports them; symlinks, FIFOs, devices,
    sockets and folders named like a file are returned so collect_quarter reports them without
    opening them. Skipping either silently would show the unit as 'belum mengirim' while it did
    send something (and open_quarter would call a folder holding only a symlink empty).
    """
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return []
    return sorted(Path(entry.path) for entry in entries if not _ignored(entry))


def _column_letter(index: int) -> str:
    """0 -> 'A', 27 -> 'AB': how Excel (and a CSV opened in Excel) names the column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=META_COLS)


def _duplicated(named: list[tuple[int, str]]) -> dict[str, list[int]]:
    """Header name -> its column positions, for names that occur more than once."""
    where: dict[str, list[int]] = defaultdict(list)
    for i, h in named:
        where[h].append(i)
    return {h: cols for h, cols in where.items() if len(cols) > 1}


def _rows_to_frame(rows: list[list[object]], name: str) -> tuple[pd.DataFrame, FileProblem | None]:
    """Text frame of a sheet's rows; the header is the first non-empty row.

    Columns with an empty header are dropped, and so are rows empty in every named column
    (trailing rows Excel keeps after content was deleted).
    """
    texts = [[cell_text(v) for v in raw] for raw in rows]
    start = next((i for i, cells in enumerate(texts) if any(cells)), None)
    if start is None:
        return _empty(), FileProblem(name, f"Berkas {name} kosong (tidak ada judul kolom).")
    header = [h.lower() for h in texts[start]]
    named = [(i, h) for i, h in enumerate(header) if h and h not in META_COLS]
    repeated = _duplicated(named)
    if repeated:
        listed = ", ".join(
            f"'{h}' (kolom {' dan '.join(_column_letter(i) for i in cols)})"
            for h, cols in repeated.items()
        )
        return _empty(), FileProblem(
            name,
            f"Berkas {name} memuat judul kolom ganda: {listed}. Setiap kolom hanya boleh ada "
            "satu kali; hapus kolom yang ganda (gunakan templat triwulan ini) lalu kirim lagi.",
        )
    kolom = HEADER_SEP.join(h for _, h in named)
    body = []
    for number, cells in enumerate(texts[start + 1 :], start=start + 2):  # Excel row numbers
        values = [cells[i] if i < len(cells) else "" for i, _ in named]
        if any(values):
            body.append([*values, name, number, kolom])
    frame = pd.DataFrame(body, columns=[*(h for _, h in named), *META_COLS])
    frame["_row"] = frame["_row"].astype("int64")
    if frame.empty:
        return frame, FileProblem(name, f"Berkas {name} tidak berisi baris data.")
    return frame, None


def _delimiter(text: str) -> str:
    """',' by contract; ';' when the header says so (Excel in an Indonesian locale saves that)."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _read_csv(path: Path, name: str, limits: Limits) -> list[list[object]] | FileProblem:
    data = path.read_bytes()
    text = data.decode("utf-8-sig")
    lines = text.count("\n") + 1
    if lines > limits.baris_maks + 1:
        return FileProblem(
            name,
            f"Berkas {name} berisi {lines:,} baris, melebihi batas {limits.baris_maks:,} baris "
            "per berkas. Kirim hanya baris sub kegiatan unit Anda.".replace(",", "."),
        )
    rows: list[list[object]] = list(
        csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    )
    widest = max((len(r) for r in rows), default=0)
    if widest > limits.kolom_maks:
        return FileProblem(
            name,
            f"Berkas {name} berisi {widest} kolom, melebihi batas {limits.kolom_maks} kolom. "
            "Gunakan templat triwulan ini.",
        )
    return rows


def _scan(book: XlsxBook, name: str, sheet: str, limits: Limits) -> bool | FileProblem:
    """Whether the sheet is present, once the bounded checks pass, or the problem found."""
    try:
        scan = book.scan(sheet)
    except XlsxRefused as refused:
        return refused_problem(name, refused, limits, sheet)
    if scan is not None and scan.formulas_without_value:
        cells = ", ".join(scan.formulas_without_value)
        return FileProblem(
            name,
            f"Sel {cells} pada sheet '{sheet}' berkas {name} berisi rumus tanpa nilai tersimpan: "
            "isi nilai, bukan rumus. Salin sel lalu Tempel Nilai (Paste Values), simpan di "
            "Excel, lalu kirim lagi.",
        )
    return scan is not None


def _read_sheet(
    book: XlsxBook, path: Path, name: str, sheet: str, limits: Limits, reader: XlsxReader
) -> list[list[object]] | FileProblem:
    """Rows of one sheet, or its problem."""
    present = _scan(book, name, sheet, limits)
    if isinstance(present, FileProblem):
        return present
    if not present:
        return FileProblem(
            name,
            f"Berkas {name} tidak punya sheet '{sheet}' (ada: {', '.join(book.names) or '-'}). "
            "Gunakan templat triwulan ini.",
        )
    rows, failure = reader.read(path, sheet)
    if failure:
        return FileProblem(name, reader_message(name, failure, limits))
    return rows  # type: ignore[return-value]


def _read_xlsx(
    path: Path, name: str, limits: Limits, reader: XlsxReader
) -> dict[str, list[list[object]] | FileProblem] | FileProblem:
    """Sheet `realisasi` (its problem is the file's) and each IKU sheet the workbook has."""
    try:  # the file's own checks, once for all its sheets
        book = XlsxBook(
            path,
            max_total=limits.ukuran_terurai,
            max_ratio=limits.rasio_kompresi,
            max_rows=limits.baris_maks,
            max_cols=limits.kolom_maks,
        )
    except XlsxRefused as refused:
        return refused_problem(name, refused, limits)
    with book:
        rows = _read_sheet(book, path, name, SHEET, limits, reader)
        if isinstance(rows, FileProblem):
            return rows
        out: dict[str, list[list[object]] | FileProblem] = {SHEET: rows}
        present = {s.strip().lower() for s in book.names}
        for sheet in IKU_SHEETS:
            if sheet in present:
                out[sheet] = _read_sheet(book, path, name, sheet, limits, reader)
    return out


@dataclass(frozen=True)
class FileRead:
    """What one file gave: a frame per sheet read, the file's problem, problems of IKU sheets.

    The file's problem (unreadable, no `realisasi` sheet) means no rows at all; a problem of an
    IKU sheet costs that sheet only (validation makes it an error of the file's unit).
    """

    frames: dict[str, pd.DataFrame]
    problem: FileProblem | None = None
    sheet_problems: tuple[tuple[str, FileProblem], ...] = ()


def _identity(frame: pd.DataFrame) -> dict[str, str]:
    """tahun, triwulan and unit of a realisasi frame: each column's most common non-empty text."""
    out = {}
    for col in IDENTITY:
        values = frame[col][frame[col] != ""] if col in frame else pd.Series(dtype=str)
        out[col] = str(values.mode().iloc[0]) if len(values) else ""
    return out


def _iku_frame(
    rows: list[list[object]], name: str, identity: dict[str, str]
) -> pd.DataFrame | FileProblem:
    """An IKU sheet's rows (possibly none: a quarter without survey); identity filled in.

    "No data rows" and "no header at all" are fine for an IKU sheet (nothing this quarter); any
    other problem (e.g. a header twice) is the sheet's.
    """
    frame, problem = _rows_to_frame(rows, name)
    has_text = any(any(str(c).strip() for c in r) for r in rows)
    if problem is not None and has_text and all(c in META_COLS for c in frame.columns):
        return problem
    for col in reversed(IDENTITY):
        if col not in frame.columns:
            frame.insert(0, col, identity.get(col, ""))
    return frame


def _read_file(path: Path, name: str, limits: Limits, reader: XlsxReader | None) -> FileRead:
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        rows = _read_csv(path, name, limits)
        if isinstance(rows, FileProblem):
            return FileRead({}, rows)
        header = next((r for r in rows if any(str(c).strip() for c in r)), [])
        sheet = sheet_of_header([str(c) for c in header])
        if sheet is not None:
            read = _iku_frame(rows, name, {})
            if isinstance(read, FileProblem):
                return FileRead({}, read)
            return FileRead({sheet: read})
        frame, problem = _rows_to_frame(rows, name)
        return FileRead({SHEET: frame}, problem)
    if reader is None:
        with XlsxReader(limits) as own:
            return _read_file(path, name, limits, own)
    result = _read_xlsx(path, name, limits, reader)
    if isinstance(result, FileProblem):
        return FileRead({}, result)
    main = result.pop(SHEET)
    assert not isinstance(main, FileProblem)
    frame, problem = _rows_to_frame(main, name)
    frames, sheet_problems = {SHEET: frame}, []
    identity = _identity(frame)
    for sheet, rows in result.items():
        read = rows if isinstance(rows, FileProblem) else _iku_frame(rows, name, identity)
        if isinstance(read, FileProblem):
            sheet_problems.append((sheet, read))
        else:
            frames[sheet] = read
    return FileRead(frames, problem, tuple(sheet_problems))


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
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED or name.startswith(LOCK_PREFIXES):
        return FileRead({}, unsupported_problem(name, suffix))
    try:
        size = path.stat().st_size
        if size > limits.ukuran_berkas:
            return FileRead({}, too_large_problem(name, size, limits))
        read = _read_file(path, name, limits, reader)
    except UnicodeDecodeError:
        return FileRead(
            {},
            FileProblem(
                name,
                f"Berkas {name} bukan CSV UTF-8. Simpan ulang sebagai 'CSV UTF-8 (Comma "
                "delimited)' atau sebagai .xlsx (Excel Workbook) lalu kirim lagi.",
            ),
        )
    except OSError as exc:
        return FileRead({}, unreadable_problem(name, exc))
    except Exception:  # any parser failure: the user needs what to do, not the exception class
        what = "CSV" if suffix == ".csv" else "Excel .xlsx"
        return FileRead(
            {},
            FileProblem(
                name,
                f"Berkas {name} rusak atau bukan berkas {what} sehingga tidak dapat dibaca. "
                f"{RESEND}",
            ),
        )
    if read.problem is not None:
        return FileRead({}, read.problem)
    return read


def read_submission(
    path: Path,
    name: str | None = None,
    limits: Limits | None = None,
    reader: XlsxReader | None = None,
) -> tuple[pd.DataFrame, FileProblem | None]:
    """The `realisasi` rows of one file as text, or the problem that kept it from being read."""
    read = read_file(path, name, limits, reader)
    if read.problem is not None:
        return _empty(), read.problem
    return read.frames.get(SHEET, _empty()), None


def _combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return _empty()
    combined = pd.concat(frames, ignore_index=True)
    data = [c for c in combined.columns if c not in META_COLS]
    combined[data] = combined[data].fillna("")
    return combined[[*data, *META_COLS]]


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
    # the inbox folder's digest as read (tasks.rerun.inbox_digest); None when a file changed
    # while it was read, so the next run cannot answer "unchanged" from the inbox alone
    inbox_digest: str | None = None


def read_all(
    paths: list[Path], names: list[str] | None = None, limits: Limits | None = None
) -> Received:
    """Every readable file of one quarter: one frame per sheet kind, one problem per other file.

    Columns: the union of the headers, "" where a file lacks a column (its `_kolom` tells which).
    One reader process serves every xlsx of the quarter. sha256 is left empty.
    """
    names = names or [p.name for p in paths]
    limits = limits or load_limits()
    by_sheet: dict[str, list[pd.DataFrame]] = defaultdict(list)
    problems: list[FileProblem] = []
    sheet_problems: list[tuple[str, FileProblem]] = []
    iku_files: list[tuple[str, str]] = []
    with XlsxReader(limits) as reader:
        for path, name in zip(paths, names, strict=True):
            read = read_file(path, name, limits, reader)
            if read.problem:
                problems.append(read.problem)
            for sheet, frame in read.frames.items():
                by_sheet[sheet].append(frame)
                if sheet in IKU_SHEETS:
                    iku_files.append((name, sheet))
            sheet_problems += read.sheet_problems
    iku = {sheet: _combine(by_sheet[sheet]) for sheet in IKU_SHEETS if sheet in by_sheet}
    return Received(_combine(by_sheet[SHEET]), problems, {}, iku, sheet_problems, iku_files)


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


def collect_quarter(
    paths: list[Path], keep: Callable[[Path], tuple[str, Path]], limits: Limits | None = None
) -> Received:
    """Keep each file (unless over the size limit), then read the kept copies, never the inbox.

    `keep(path) -> (sha256, kept_path)` copies into the raw store. Reading the kept copy means the
    parsed rows are exactly the bytes whose hash is recorded, whatever happens in the inbox later.
    A file that cannot be kept (permissions, a lock, gone) becomes a problem of that file. Only a
    regular file reaches `keep`: a symlink, folder, FIFO, device or socket is a problem of that
    entry, judged by lstat (never followed, never opened); store.keep_raw checks again on the
    descriptor it opens, so an entry swapped for a symlink meanwhile is refused too.
    """
    limits = limits or load_limits()
    shas: dict[str, str] = {}
    kept: list[Path] = []
    names: list[str] = []
    problems: list[FileProblem] = []
    for path in paths:
        try:
            info = os.lstat(path)
            kind = entry_kind(info.st_mode)
            if kind is not None:
                problems.append(entry_problem(path.name, kind, path.parent.name))
                continue
            if info.st_size > limits.ukuran_berkas:
                problems.append(too_large_problem(path.name, info.st_size, limits))
                continue
            sha, copy = keep(path)
        except OSError as exc:
            if exc.filename is not None and Path(exc.filename) != path:
                raise  # writing the store failed: a fault of the run, not of this file
            problems.append(_entry_fault(path, exc))
            continue
        shas[path.name] = sha
        kept.append(copy)
        names.append(path.name)
    read = read_all(kept, names, limits)
    return replace(read, file_problems=problems + read.file_problems, sha256=shas)


def collect_without_keeping(paths: list[Path], limits: Limits | None = None) -> Received:
    """The quarter read as a run reads it, keeping nothing (run --coba, reminders).

    Each regular file is copied from its checked descriptor into a temporary folder and read
    there; the copies are gone when this returns. Nothing else in the inbox is opened.
    """
    from triwulan.tasks.core.files import copy_regular

    with tempfile.TemporaryDirectory(prefix="triwulan-baca-") as tmp:
        return collect_quarter(paths, lambda p: copy_regular(p, Path(tmp))[:2], limits)
