"""Read submission files (xlsx sheet `realisasi` or UTF-8 CSV) into one text frame.

Cells stay text here: typing happens in validation, so a bad cell becomes a named problem instead
of a crash. Each row keeps `_file` (name as received) and `_row` (row number as the user sees it in
Excel, header = 1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

SHEET = "realisasi"
SUPPORTED = (".xlsx", ".csv")
META_COLS = ["_file", "_row"]


@dataclass(frozen=True)
class FileProblem:
    """A file that could not be read at all (it yields no rows)."""

    file: str
    message: str


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def find_submissions(folder: Path) -> list[Path]:
    """Submission files of one quarter folder, skipping editor lock files and hidden files."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in SUPPORTED and not p.name.startswith(("~$", "."))
    )


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


def _rows_to_frame(rows: list[list[object]], name: str) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=META_COLS)
    header = [_cell_text(h).strip().lower() for h in rows[0]]
    body = []
    for number, raw in enumerate(rows[1:], start=2):
        cells = [_cell_text(v) for v in raw] + [""] * (len(header) - len(raw))
        if any(cells):
            body.append([*cells[: len(header)], name, number])
    keep = [i for i, h in enumerate(header) if h]  # drop unnamed trailing columns
    frame = (
        pd.DataFrame(body, columns=[*header, *META_COLS])
        if body
        else pd.DataFrame(columns=[*header, *META_COLS])
    )
    return frame[[header[i] for i in keep] + META_COLS]


def read_submission(path: Path) -> tuple[pd.DataFrame, FileProblem | None]:
    """Rows of one file as text; a problem instead when the file cannot be read."""
    name = path.name
    try:
        if path.suffix.lower() == ".csv":
            import csv

            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows: list[list[object]] = list(csv.reader(handle))
        else:
            from python_calamine import CalamineWorkbook

            book = CalamineWorkbook.from_path(str(path))
            if SHEET not in book.sheet_names:
                return pd.DataFrame(columns=META_COLS), FileProblem(
                    name,
                    f"Berkas {name} tidak punya sheet '{SHEET}' (ada: {', '.join(book.sheet_names)}).",
                )
            rows = book.get_sheet_by_name(SHEET).to_python(skip_empty_area=False)
    except UnicodeDecodeError:
        return pd.DataFrame(columns=META_COLS), FileProblem(
            name,
            f"Berkas {name} bukan CSV UTF-8. Simpan ulang sebagai 'CSV UTF-8 (Comma delimited)'.",
        )
    except Exception as exc:  # any parser failure means the file is unreadable for the user
        return pd.DataFrame(columns=META_COLS), FileProblem(
            name,
            f"Berkas {name} tidak dapat dibaca sebagai {path.suffix.lower()[1:]} ({type(exc).__name__}).",
        )
    frame = _rows_to_frame(rows, name)
    if frame.empty:
        return frame, FileProblem(name, f"Berkas {name} tidak berisi baris data.")
    return frame, None


def read_quarter(paths: list[Path]) -> tuple[pd.DataFrame, list[FileProblem]]:
    """All rows of all files of one quarter in one frame (columns: union of the headers)."""
    frames, problems = [], []
    for path in paths:
        frame, problem = read_submission(path)
        if problem:
            problems.append(problem)
        else:
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=META_COLS), problems
    combined = pd.concat(frames, ignore_index=True).fillna("")
    return combined, problems
