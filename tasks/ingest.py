"""Read submission files (xlsx sheet `realisasi` or UTF-8 CSV) into one text frame.

Cells stay text here: typing happens in validation, so a bad cell becomes a named problem instead
of a crash. Each row keeps `_file` (name as received), `_row` (row number as the user sees it in
Excel) and `_kolom` (the file's own header joined by "|"): read_quarter fills a column absent from
one file with "" when another file has it, so only `_kolom` tells "absent" from "left empty".
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tasks.errors import TriwulanError

SHEET = "realisasi"
SUPPORTED = (".xlsx", ".csv")
META_COLS = ["_file", "_row", "_kolom"]
HEADER_SEP = "|"
# Files the operating system drops into folders by itself (hidden on Windows, but not by name).
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini"})
RESEND = "Simpan ulang sebagai .xlsx (Excel Workbook) lalu kirim lagi."


@dataclass(frozen=True)
class FileProblem:
    """A file that could not be read at all (it yields no rows)."""

    file: str
    message: str


def check_inbox(inbox: Path) -> None:
    """An inbox that is not there is a setup mistake, not 'every unit is missing'."""
    try:
        with os.scandir(inbox):
            pass
    except OSError as exc:  # absent, not a folder, no permission
        raise TriwulanError(f"Folder inbox '{inbox}' tidak ada atau tidak dapat dibaca.") from exc


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _ignored(path: Path) -> bool:
    """Hidden files, editor lock files (~$x.xlsx, .~lock.x#) and OS files are not submissions."""
    name = path.name
    return name.startswith(("~$", ".")) or name.lower() in SYSTEM_FILES


def find_submissions(folder: Path) -> list[Path]:
    """Every file a unit put in one quarter folder, supported format or not.

    Unsupported files are returned too, so read_submission reports them: skipping them silently
    would show the unit as 'belum mengirim' while it did send something. Sub-folders are ignored.
    """
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not _ignored(p))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


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
    texts = [[_cell_text(v) for v in raw] for raw in rows]
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


def _unsupported(name: str, suffix: str) -> FileProblem:
    if not suffix:
        return FileProblem(
            name, f"Berkas {name} tidak berekstensi sehingga formatnya tidak dikenali. {RESEND}"
        )
    return FileProblem(name, f"Berkas {name} berformat {suffix} yang tidak didukung. {RESEND}")


def _delimiter(text: str) -> str:
    """',' by contract; ';' when the header says so (Excel in an Indonesian locale saves that)."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def read_submission(path: Path) -> tuple[pd.DataFrame, FileProblem | None]:
    """Rows of one file as text; a problem instead when the file cannot be read (then no rows)."""
    name, suffix = path.name, path.suffix.lower()
    if suffix not in SUPPORTED:
        return _empty(), _unsupported(name, suffix)
    try:
        if suffix == ".csv":
            text = path.read_text(encoding="utf-8-sig")
            rows: list[list[object]] = list(
                csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
            )
        else:
            from python_calamine import CalamineWorkbook

            book = CalamineWorkbook.from_path(str(path))
            if SHEET not in book.sheet_names:
                return _empty(), FileProblem(
                    name,
                    f"Berkas {name} tidak punya sheet '{SHEET}' (ada: "
                    f"{', '.join(book.sheet_names)}). Gunakan templat triwulan ini.",
                )
            rows = book.get_sheet_by_name(SHEET).to_python(skip_empty_area=False)
    except UnicodeDecodeError:
        return _empty(), FileProblem(
            name,
            f"Berkas {name} bukan CSV UTF-8. Simpan ulang sebagai 'CSV UTF-8 (Comma delimited)' "
            "atau sebagai .xlsx (Excel Workbook) lalu kirim lagi.",
        )
    except Exception:  # any parser failure: the user needs what to do, not the exception class
        what = "CSV" if suffix == ".csv" else "Excel .xlsx"
        return _empty(), FileProblem(
            name,
            f"Berkas {name} rusak atau bukan berkas {what} sehingga tidak dapat dibaca. {RESEND}",
        )
    return _rows_to_frame(rows, name)


def read_quarter(paths: list[Path]) -> tuple[pd.DataFrame, list[FileProblem]]:
    """All rows of all readable files of one quarter in one frame, and one problem per other file.

    Columns: the union of the headers, "" where a file lacks a column (its `_kolom` tells which).
    """
    frames, problems = [], []
    for path in paths:
        frame, problem = read_submission(path)
        if problem:
            problems.append(problem)
        else:
            frames.append(frame)
    if not frames:
        return _empty(), problems
    combined = pd.concat(frames, ignore_index=True)
    data = [c for c in combined.columns if c not in META_COLS]
    combined[data] = combined[data].fillna("")
    return combined[[*data, *META_COLS]], problems
