"""Bounded inspection of an xlsx before any parser allocates: size, zip, extent, formulas.

calamine allocates a sheet's whole extent (one cell at XFD1048576 asks for 512 GiB and aborts
the process) and trusts the zip's sizes. So the zip directory is checked first (total unpacked
size, compression ratio), then the sheet's XML is streamed once, bounded by those limits, to find
its declared (<dimension>) and actual extent and any formula cell without a stored value. Only a
file that passes reaches calamine, and even then in a child process with a memory cap
(tasks/collect/xlsx_child.py). No pandas here: the child imports this module too.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import ElementTree as SafeET

# Office files that are not a zip: an OLE compound file is either an encrypted OOXML workbook
# (password-protected) or an old binary .xls renamed to .xlsx.
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
ZIP_MAGIC = b"PK\x03\x04"
MAX_ROW, MAX_COL = 1_048_576, 16_384  # Excel's own bounds
_REF = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")
_FORMULA_SAMPLES = 5
REL_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"


class XlsxRefused(Exception):
    """The file must not be parsed; `kind` picks the Indonesian message (tasks.collect.ingest)."""

    def __init__(self, kind: str, **details: object) -> None:
        super().__init__(kind)
        self.kind = kind
        self.details = details


@dataclass
class SheetScan:
    """What streaming the sheet XML found: extents (1-based) and formulas lacking a value."""

    declared_rows: int = 0
    declared_cols: int = 0
    rows: int = 0
    cols: int = 0
    formulas_without_value: list[str] = field(default_factory=list)
    formula_count: int = 0


def column_letters(index: int) -> str:
    """1 -> 'A', 28 -> 'AB'."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def parse_ref(ref: str) -> tuple[int, int] | None:
    """'C12' -> (12, 3); None for anything that is not a plain cell reference."""
    match = _REF.fullmatch(ref.strip().replace("$", ""))
    if not match:
        return None
    return int(match.group(2)), _column_number(match.group(1))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def sniff(head: bytes) -> str:
    """'zip', 'encrypted', 'ole' (binary .xls) or 'other', from the first bytes of a file."""
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(CFB_MAGIC):
        return "ole"
    return "other"


def is_encrypted_ole(path: Path, limit: int) -> bool:
    """An encrypted OOXML workbook is an OLE file with an 'EncryptionInfo' stream."""
    with path.open("rb") as handle:
        return ENCRYPTION_STREAM in handle.read(limit)


def check_zip(book: zipfile.ZipFile, max_total: int, max_ratio: int) -> None:
    """Refuse a zip bomb from its directory alone, before anything is inflated."""
    total = 0
    for info in book.infolist():
        total += info.file_size
        if total > max_total:
            raise XlsxRefused("unpacked_too_large", limit=max_total)
        packed = max(info.compress_size, 1)
        if info.file_size > 1 << 20 and info.file_size / packed > max_ratio:
            raise XlsxRefused("ratio", member=info.filename, ratio=info.file_size // packed)


class _Bounded:
    """A file-like reader that refuses to inflate more than `limit` bytes (the directory may lie)."""

    def __init__(self, handle, limit: int) -> None:  # type: ignore[no-untyped-def]
        self.handle, self.left = handle, limit

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(1 << 16 if size < 0 else min(size, 1 << 16))
        self.left -= len(chunk)
        if self.left < 0:
            raise XlsxRefused("unpacked_too_large", limit=0)
        return chunk


def _read_small(book: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with book.open(name) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise XlsxRefused("unpacked_too_large", limit=limit)
    return data


def sheet_member(book: zipfile.ZipFile, sheet: str, limit: int) -> tuple[str | None, list[str]]:
    """Zip member of the named sheet (case-insensitive) and the names of all sheets."""
    try:
        workbook = SafeET.fromstring(_read_small(book, "xl/workbook.xml", limit))
        rels = SafeET.fromstring(_read_small(book, "xl/_rels/workbook.xml.rels", limit))
    except KeyError as exc:
        raise XlsxRefused("damaged") from exc
    targets = {r.get("Id"): r.get("Target", "") for r in rels if _local(r.tag) == "Relationship"}
    names, member = [], None
    for element in workbook.iter():
        if _local(element.tag) != "sheet":
            continue
        name = element.get("name", "")
        names.append(name)
        rid = element.get(f"{{{REL_OFFICE}}}id") or element.get(f"{{{REL_STRICT}}}id")
        target = targets.get(rid, "")
        if name.strip().lower() == sheet and target:
            member = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
    return member, names


def scan_sheet(stream, max_rows: int, max_cols: int) -> SheetScan:  # type: ignore[no-untyped-def]
    """Stream a worksheet's XML once: declared and actual extent, formulas without a value.

    Positions follow the OOXML rules calamine uses: a row or cell without `r` comes right after
    the previous one. The scan stops at the first cell past the limits.
    """
    scan = SheetScan()
    row = col = 0
    in_cell = has_formula = has_value = False
    cell_ref = ""
    for event, element in SafeET.iterparse(stream, events=("start", "end")):
        tag = _local(element.tag)
        if event == "start":
            if tag == "row":
                r = element.get("r")
                row = int(r) if r and r.isdigit() and len(r) <= 7 else row + 1
                col = 0
            elif tag == "c":
                ref = parse_ref(element.get("r") or "")
                if ref:
                    row, col = ref
                else:
                    col += 1
                in_cell, has_formula, has_value = True, False, False
                cell_ref = f"{column_letters(col)}{row}"
            elif tag == "dimension":
                corner = (element.get("ref") or "").split(":")[-1]
                parsed = parse_ref(corner)
                if parsed:
                    scan.declared_rows, scan.declared_cols = parsed
            continue
        # end events
        if tag == "f" and in_cell:
            has_formula = True
        elif tag in ("v", "is") and in_cell and (element.text or len(element)):
            has_value = True
        elif tag == "c":
            in_cell = False
            if has_value or has_formula:
                scan.rows, scan.cols = max(scan.rows, row), max(scan.cols, col)
                if scan.rows > max_rows or scan.cols > max_cols:
                    raise XlsxRefused("extent", rows=scan.rows, cols=scan.cols, cell=cell_ref)
            if has_formula:
                scan.formula_count += 1
                if not has_value and len(scan.formulas_without_value) < _FORMULA_SAMPLES:
                    scan.formulas_without_value.append(cell_ref)
                elif not has_value:
                    scan.formulas_without_value.append("…")
                    scan.formulas_without_value = scan.formulas_without_value[
                        : _FORMULA_SAMPLES + 1
                    ]
            element.clear()
        elif tag == "row":
            element.clear()
    return scan


def inspect_xlsx(
    path: Path,
    sheet: str,
    *,
    max_total: int,
    max_ratio: int,
    max_rows: int,
    max_cols: int,
) -> tuple[SheetScan | None, list[str]]:
    """Refuse (XlsxRefused) or return the sheet's scan (None when the sheet is absent) and names."""
    with path.open("rb") as handle:
        kind = sniff(handle.read(8))
    if kind == "ole":
        raise XlsxRefused("encrypted" if is_encrypted_ole(path, max_total) else "old_xls")
    if kind != "zip":
        raise XlsxRefused("damaged")
    try:
        with zipfile.ZipFile(path) as book:
            check_zip(book, max_total, max_ratio)
            member, names = sheet_member(book, sheet, 1 << 20)
            if member is None:
                return None, names
            with book.open(member) as raw:
                scan = scan_sheet(_Bounded(raw, max_total), max_rows, max_cols)
    except (zipfile.BadZipFile, KeyError, SafeET.ParseError, EOFError, OSError) as exc:
        if isinstance(exc, PermissionError | FileNotFoundError):
            raise
        raise XlsxRefused("damaged") from exc
    except Exception as exc:  # defusedxml refusals (DTD, entities) and zlib errors
        if isinstance(exc, XlsxRefused):
            raise
        raise XlsxRefused("damaged") from exc
    if scan.declared_rows > max_rows or scan.declared_cols > max_cols:
        raise XlsxRefused(
            "declared_extent",
            rows=scan.declared_rows,
            cols=scan.declared_cols,
            cell=f"{column_letters(scan.declared_cols)}{scan.declared_rows}",
        )
    return scan, names
