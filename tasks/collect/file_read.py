"""One received file as text tables, or the problem that kept it from being read.

The checks before any parser (kind, lock file, size) and the CSV reading happen here; an xlsx is
checked and read by a reader process (tasks/collect/xlsx_reader.py), and what it answered
becomes tables or the Indonesian message naming file, sheet and cell (tasks/collect/messages.py).
"""

from __future__ import annotations

import builtins
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triwulan.tasks.collect.messages import (
    LOCK_PREFIXES,
    RESEND,
    FileProblem,
    reader_message,
    refused_problem,
    too_large_problem,
    unreadable_problem,
    unsupported_problem,
)
from triwulan.tasks.collect.tables import Table, identity, iku_table, rows_to_table
from triwulan.tasks.collect.xlsx_reader import SHEET, BookRead
from triwulan.tasks.collect.xlsx_scan import XlsxRefused
from triwulan.tasks.core.iku_input import IKU_SHEETS, sheet_of_header
from triwulan.tasks.core.limits import Limits

SUPPORTED = (".xlsx", ".csv")
BOOK_SHEETS = [SHEET, *IKU_SHEETS]  # what a reader reads of a workbook, in this order


@dataclass(frozen=True)
class FileTables:
    """What one file gave: a table per sheet read, the file's problem, problems of IKU sheets.

    The file's problem (unreadable, no `realisasi` sheet) means no rows at all; a problem of an
    IKU sheet costs that sheet only (validation makes it an error of the file's unit).
    """

    tables: dict[str, Table]
    problem: FileProblem | None = None
    sheet_problems: tuple[tuple[str, FileProblem], ...] = ()


def _failed(problem: FileProblem) -> FileTables:
    return FileTables({}, problem)


def guarded(name: str, read: Callable[[], FileTables]) -> FileTables:
    """`read`, with what it raises turned into the file's problem; a file's problem drops its
    tables and sheet problems (nothing of an unreadable file counts)."""
    suffix = Path(name).suffix.lower()
    try:
        result = read()
    except UnicodeDecodeError:
        return _failed(
            FileProblem(
                name,
                f"Berkas {name} bukan CSV UTF-8. Simpan ulang sebagai 'CSV UTF-8 (Comma "
                "delimited)' atau sebagai .xlsx (Excel Workbook) lalu kirim lagi.",
            )
        )
    except OSError as exc:
        return _failed(unreadable_problem(name, exc))
    except Exception:  # any parser failure: the user needs what to do, not the exception class
        what = "CSV" if suffix == ".csv" else "Excel .xlsx"
        return _failed(
            FileProblem(
                name,
                f"Berkas {name} rusak atau bukan berkas {what} sehingga tidak dapat dibaca. "
                f"{RESEND}",
            )
        )
    if result.problem is not None:
        return _failed(result.problem)
    return result


def before_reading(path: Path, name: str, limits: Limits) -> FileTables | None:
    """The file's problem found without opening it (kind, lock file, size), else None."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED or name.startswith(LOCK_PREFIXES):
        return _failed(unsupported_problem(name, suffix))

    def sized() -> FileTables:
        size = path.stat().st_size
        if size > limits.ukuran_berkas:
            return _failed(too_large_problem(name, size, limits))
        return FileTables({})

    checked = guarded(name, sized)
    return checked if checked.problem is not None else None


def is_xlsx(name: str) -> bool:
    return Path(name).suffix.lower() == ".xlsx"


def _delimiter(text: str) -> str:
    """',' by contract; ';' when the header says so (Excel in an Indonesian locale saves that)."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _csv_rows(path: Path, name: str, limits: Limits) -> list[list[object]] | FileProblem:
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


def read_csv(path: Path, name: str, limits: Limits) -> FileTables:
    """A CSV: the realisasi rows, or one IKU sheet when its header names one."""
    rows = _csv_rows(path, name, limits)
    if isinstance(rows, FileProblem):
        return _failed(rows)
    header = next((r for r in rows if any(str(c).strip() for c in r)), [])
    sheet = sheet_of_header([str(c) for c in header])
    if sheet is not None:
        read = iku_table(rows, name, {})
        if isinstance(read, FileProblem):
            return _failed(read)
        return FileTables({sheet: read})
    table, problem = rows_to_table(rows, name)
    return FileTables({SHEET: table}, problem)


def _os_error(fatal: dict[str, Any]) -> OSError:
    """The reader's OSError as the parent would have caught it (class and strerror)."""
    kind = getattr(builtins, str(fatal.get("oserror")), OSError)
    if not (isinstance(kind, type) and issubclass(kind, OSError)):
        kind = OSError
    return kind(fatal.get("errno"), fatal.get("strerror"))


def _fatal_problem(name: str, fatal: dict[str, Any], limits: Limits) -> FileProblem:
    if "refused" in fatal:
        refused = XlsxRefused(fatal["refused"], **fatal.get("details", {}))
        return refused_problem(name, refused, limits)
    if "oserror" in fatal:
        return unreadable_problem(name, _os_error(fatal))
    if "failure" in fatal:
        return FileProblem(name, reader_message(name, fatal["failure"], limits))
    return FileProblem(name, reader_message(name, "error", limits))


def _sheet_problem(
    name: str, sheet: str, answer: dict[str, Any], names: list[str], limits: Limits
) -> FileProblem | None:
    """The problem of one sheet as the reader answered it; None when it gave rows."""
    if "rows" in answer:
        return None
    if "refused" in answer:
        refused = XlsxRefused(answer["refused"], **answer.get("details", {}))
        return refused_problem(name, refused, limits, sheet)
    if "formulas" in answer:
        cells = ", ".join(answer["formulas"])
        return FileProblem(
            name,
            f"Sel {cells} pada sheet '{sheet}' berkas {name} berisi rumus tanpa nilai tersimpan: "
            "isi nilai, bukan rumus. Salin sel lalu Tempel Nilai (Paste Values), simpan di "
            "Excel, lalu kirim lagi.",
        )
    if "absent" in answer:
        return FileProblem(
            name,
            f"Berkas {name} tidak punya sheet '{sheet}' (ada: {', '.join(names) or '-'}). "
            "Gunakan templat triwulan ini.",
        )
    return FileProblem(name, reader_message(name, answer.get("failure", "error"), limits))


def xlsx_tables(read: BookRead, name: str, limits: Limits) -> FileTables:
    """Sheet `realisasi` (its problem is the file's) and each IKU sheet the workbook has."""
    if read.fatal is not None:
        return _failed(_fatal_problem(name, read.fatal, limits))
    if not read.sheets:  # cannot happen: a reader answers the first sheet or fails
        return _failed(FileProblem(name, reader_message(name, "crashed", limits)))
    (sheet, answer), *others = read.sheets
    problem = _sheet_problem(name, sheet, answer, read.names, limits)
    if problem is not None:
        return _failed(problem)
    table, problem = rows_to_table(answer["rows"], name, texts=True)
    if problem is not None:
        return _failed(problem)
    tables, sheet_problems = {SHEET: table}, []
    ident = identity(table)
    for sheet, answer in others:
        problem = _sheet_problem(name, sheet, answer, read.names, limits)
        read_iku = problem or iku_table(answer["rows"], name, ident, texts=True)
        if isinstance(read_iku, FileProblem):
            sheet_problems.append((sheet, read_iku))
        else:
            tables[sheet] = read_iku
    return FileTables(tables, None, tuple(sheet_problems))
