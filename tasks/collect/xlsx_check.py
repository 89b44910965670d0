"""Bounded inspection of an xlsx before any parser allocates: kind, zip directory, sheets.

calamine trusts the zip's sizes. So the file's kind is sniffed (an encrypted workbook or an old
.xls renamed), the zip directory is checked (total unpacked size, compression ratio) and the
sheet list read, once per workbook (XlsxBook); each sheet is then streamed by
tasks/collect/xlsx_scan.py for its extent and formulas. Only a file that passes reaches
calamine, in the reader process with a memory cap (tasks/collect/xlsx_child.py), which runs
these checks too. No pandas here.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from triwulan.tasks.collect.xlsx_scan import (
    SheetScan,
    XlsxRefused,
    _Bounded,
    column_letters,
    defused_expat,
    scan_sheet,
)

# Office files that are not a zip: an OLE compound file is either an encrypted OOXML workbook
# (password-protected) or an old binary .xls renamed to .xlsx.
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
ZIP_MAGIC = b"PK\x03\x04"
REL_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"


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


def _read_small(book: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with book.open(name) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise XlsxRefused("unpacked_too_large", limit=limit)
    return data


def _elements(data: bytes) -> list[tuple[int, str, dict[str, str]]]:
    """(depth, local name, attributes) of every element of a small part, read whole and defused.

    Attributes in a namespace are keyed 'uri}name'. expat calls Python once per element here,
    not the parser written in Python that defusedxml's ElementTree uses (a third of a small
    sheet's inspection went into reading workbook.xml and its rels that way).
    """
    found: list[tuple[int, str, dict[str, str]]] = []
    depth = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        found.append((depth, name.rpartition("}")[2], attrs))
        depth += 1

    def end(_: str) -> None:
        nonlocal depth
        depth -= 1

    parser = defused_expat()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(data, True)
    return found


def sheet_members(book: zipfile.ZipFile, limit: int) -> tuple[dict[str, str], list[str]]:
    """Zip member per sheet name (stripped, lower case; the last one named so wins) and the
    names of all sheets as written."""
    try:
        workbook = _elements(_read_small(book, "xl/workbook.xml", limit))
        rels = _elements(_read_small(book, "xl/_rels/workbook.xml.rels", limit))
    except KeyError as exc:
        raise XlsxRefused("damaged") from exc
    targets = {
        a.get("Id"): a.get("Target", "") for d, tag, a in rels if d == 1 and tag == "Relationship"
    }
    names, members = [], {}
    for _, tag, attrs in workbook:
        if tag != "sheet":
            continue
        name = attrs.get("name", "")
        names.append(name)
        rid = attrs.get(f"{REL_OFFICE}}}id") or attrs.get(f"{REL_STRICT}}}id")
        target = targets.get(rid, "")
        if target:
            members[name.strip().lower()] = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
    return members, names


def sheet_member(book: zipfile.ZipFile, sheet: str, limit: int) -> tuple[str | None, list[str]]:
    """Zip member of the named sheet (case-insensitive) and the names of all sheets."""
    members, names = sheet_members(book, limit)
    return members.get(sheet), names


@contextmanager
def _refusing_damage() -> Iterator[None]:
    """What a parser or the zip module raises on a broken file becomes 'damaged'; a refusal
    stays itself, and a file that cannot be opened stays an OSError (its own message)."""
    try:
        yield
    except XlsxRefused:
        raise
    except (PermissionError, FileNotFoundError):
        raise
    except Exception as exc:  # zip, zlib, expat and defusedxml's refusals (DTD, entities)
        raise XlsxRefused("damaged") from exc


class XlsxBook:
    """An xlsx checked once (kind, zip directory, sheet list), its sheets scanned on demand.

    A workbook's `realisasi` and IKU sheets share these checks; repeated for every sheet, they
    were half the cost of inspecting a small sheet. Raises XlsxRefused when the file must not be
    parsed at all.
    """

    def __init__(
        self, path: Path, *, max_total: int, max_ratio: int, max_rows: int, max_cols: int
    ) -> None:
        with path.open("rb") as handle:
            kind = sniff(handle.read(8))
        if kind == "ole":
            raise XlsxRefused("encrypted" if is_encrypted_ole(path, max_total) else "old_xls")
        if kind != "zip":
            raise XlsxRefused("damaged")
        self.max_total, self.max_rows, self.max_cols = max_total, max_rows, max_cols
        with _refusing_damage():
            self._zip = zipfile.ZipFile(path)
        try:
            with _refusing_damage():
                check_zip(self._zip, max_total, max_ratio)
                self._members, self.names = sheet_members(self._zip, 1 << 20)
        except BaseException:
            self._zip.close()
            raise

    def scan(self, sheet: str) -> SheetScan | None:
        """The sheet's scan (None when the workbook has no such sheet), or XlsxRefused."""
        member = self._members.get(sheet)
        if member is None:
            return None
        with _refusing_damage():
            scan = scan_sheet(
                lambda: _Bounded(self._zip.open(member), self.max_total),
                self.max_rows,
                self.max_cols,
            )
        if scan.declared_rows > self.max_rows or scan.declared_cols > self.max_cols:
            raise XlsxRefused(
                "declared_extent",
                rows=scan.declared_rows,
                cols=scan.declared_cols,
                cell=f"{column_letters(scan.declared_cols)}{scan.declared_rows}",
            )
        return scan

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


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
    with XlsxBook(
        path, max_total=max_total, max_ratio=max_ratio, max_rows=max_rows, max_cols=max_cols
    ) as book:
        return book.scan(sheet), book.names
