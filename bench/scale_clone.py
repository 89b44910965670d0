"""Fast workbooks for large sizes: the project's writer once per sample unit, the rest rewritten.

Why: tasks/collect/template.py `write_xlsx` takes ~150 ms per file, so 83,763 units took hours.
Clones of one sample unit differ only in a few cells (unit code, figures, planted faults, zone
numbers and names), the unit column's width, the guide's unit line and the document title. So
per sample unit one prototype is written by the writer (its first clone, without faults), and
every clone is that prototype's zip with just those spots rewritten in the sheet XML (inline
strings, no shared-string table to keep in step). Everything else (sheets, styles, comments,
data validation, protection) is the writer's own bytes. `verify` writes a few clones both ways
and compares every XML part; generation refuses to continue on any difference.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd
from openpyxl.compat.strings import safe_string
from openpyxl.utils import column_index_from_string

from triwulan.tasks.collect.template import WIDE_TEXT, _excel_value
from triwulan.tasks.core.xlsx_safe import cell_text

# One clone to write: path, unit, name, template, realisasi rows (contract column order) and
# its IKU sheets (name -> (columns, rows)).
Job = tuple[str, str, str, str, list[tuple], dict[str, tuple[list[str], list[tuple]]]]

CELL = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
STYLE = re.compile(r'\ss="(\d+)"')
INLINE = re.compile(r"<is><t[^>]*>(.*?)</t></is>", re.S)
STAMPS = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*")
SHEET_ENTRY = re.compile(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"')
RELATION = re.compile(r'<Relationship [^>]*Target="([^"]+)"[^>]*Id="([^"]+)"')
CORE = "docProps/core.xml"

_protos: dict[str, Prototype] = {}  # per writer process: template -> prototype
_tipes: list[str] = []  # contract tipe per realisasi column


@dataclass(frozen=True)
class SheetPart:
    """One sheet of a prototype: its XML cut at the data cells, with their current values."""

    member: str
    headers: dict[str, str]  # column letter -> header
    cells: list[tuple[int, int, int, str, str]]  # start, end, row, letter, style attribute
    values: dict[tuple[int, str], Any]  # (row, header) -> the value the writer was given


@dataclass(frozen=True)
class Prototype:
    """The writer's workbook for one sample unit's first clone, ready to be rewritten."""

    template: str
    unit: str
    nama: str
    members: list[tuple[zipfile.ZipInfo, bytes]]
    sheets: dict[str, SheetPart]
    guide: str  # member of sheet petunjuk
    unit_col: str  # letter of column `unit` in sheet realisasi


# ---------------------------------------------------------------- values as the writer writes


def realisasi_value(value: object, tipe: str) -> object:
    """What template.write_xlsx puts into a realisasi cell (its own conversion)."""
    return _excel_value(value, tipe)


def iku_value(value: object) -> object:
    """What template_iku.write_iku_sheet puts into an IKU cell: blanks as None."""
    blank = value is None or (isinstance(value, float) and pd.isna(value)) or value == ""
    return None if blank else value


def cell_xml(ref: str, style: str, value: object) -> str:
    """One <c> element as openpyxl serialises it (inline strings, %.16g numbers)."""
    if value is None:
        return f'<c r="{ref}"{style} t="n"></c>'
    if isinstance(value, str):
        text = cell_text(value)
        space = ' xml:space="preserve"' if text.strip() != text else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    return f'<c r="{ref}"{style} t="n"><v>{safe_string(value)}</v></c>'


# ---------------------------------------------------------------- prototypes


def _sheet_members(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> its XML member, from workbook.xml and its relationships."""
    book = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    target = {rid: t for t, rid in RELATION.findall(rels)}
    return {
        name: "xl/" + target[rid].lstrip("/").removeprefix("xl/")
        for name, rid in SHEET_ENTRY.findall(book)
    }


def job_values(
    job: Job, realisasi_headers: dict[str, str], tipes: Sequence[str]
) -> dict[str, dict[tuple[int, str], Any]]:
    """Per sheet, (row, header) -> the value the writer puts in that cell."""
    _, _, _, _, rows, iku = job
    order = [realisasi_headers[k] for k in sorted(realisasi_headers, key=lambda c: (len(c), c))]
    out = {
        "realisasi": {
            (number, header): realisasi_value(value, tipe)
            for number, row in enumerate(rows, start=2)
            for header, value, tipe in zip(order, row, tipes, strict=True)
        }
    }
    for name, (columns, sheet_rows) in iku.items():
        out[name] = {
            (number, header): iku_value(value)
            for number, row in enumerate(sheet_rows, start=2)
            for header, value in zip(columns, row, strict=True)
        }
    return out


def _cut(member: str, xml: str) -> SheetPart:
    """The data cells of one sheet (values are filled in by `prototype`)."""
    headers: dict[str, str] = {}
    cells = []
    for match in CELL.finditer(xml):
        letter, row, attrs, body = match.group(1), int(match.group(2)), match.group(3), match[4]
        if row == 1:
            text = INLINE.search(body or "")
            headers[letter] = text.group(1) if text else ""
            continue
        style = STYLE.search(attrs)
        cells.append((match.start(), match.end(), row, letter, f' s="{style[1]}"' if style else ""))
    return SheetPart(member, headers, cells, {})


def prototype(path: Path, job: Job, tipes: Sequence[str]) -> Prototype:
    """Read back the writer's workbook of `job` and note where its data cells are."""
    with zipfile.ZipFile(path) as book:
        members = [(info, book.read(info.filename)) for info in book.infolist()]
    parts = {info.filename: data for info, data in members}
    where = _sheet_members(parts)
    cut = {name: _cut(where[name], parts[where[name]].decode()) for name in ["realisasi", *job[5]]}
    values = job_values(job, cut["realisasi"].headers, tipes)
    sheets = {
        name: SheetPart(p.member, p.headers, p.cells, values[name]) for name, p in cut.items()
    }
    unit_col = next(k for k, v in sheets["realisasi"].headers.items() if v == "unit")
    return Prototype(job[3], job[1], job[2], members, sheets, where["petunjuk"], unit_col)


def _render(part: SheetPart, xml: str, values: dict[tuple[int, str], Any]) -> str:
    """The sheet with every cell whose value differs from the prototype's rewritten."""
    out, last = [], 0
    for start, end, row, letter, style in part.cells:
        header = part.headers.get(letter)
        key = (row, header)
        if header is None or key not in values:
            continue
        value = values[key]
        if (
            key in part.values
            and part.values[key] == value
            and type(part.values[key]) is type(value)
        ):
            continue
        out += [xml[last:start], cell_xml(f"{letter}{row}", style, value)]
        last = end
    return "".join([*out, xml[last:]])


def _replace_once(xml: str, old: str, new: str, what: str) -> str:
    if xml.count(old) != 1:
        raise ValueError(f"prototype: {what} {old!r} found {xml.count(old)} times, not once")
    return xml.replace(old, new)


def clone_parts(
    proto: Prototype, job: Job, tipes: Sequence[str]
) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """The zip members of one clone, rewritten from its prototype."""
    _, unit, nama, _, _, iku = job
    texts: dict[str, str] = {}
    part = proto.sheets["realisasi"]
    values = job_values(job, part.headers, tipes)
    xml = _render(part, _text(proto, part.member), values["realisasi"])
    old_width = _col_width(len(proto.unit))
    new_width = _col_width(len(unit))
    if old_width != new_width:  # template._width of a pre-filled text column
        col = _column_index(proto.unit_col)
        xml = _replace_once(
            xml,
            f'<col width="{old_width}" customWidth="1" min="{col}" max="{col}"/>',
            f'<col width="{new_width}" customWidth="1" min="{col}" max="{col}"/>',
            "unit column width",
        )
    texts[part.member] = xml
    for name in iku:
        part = proto.sheets[name]
        texts[part.member] = _render(part, _text(proto, part.member), values[name])
    texts[proto.guide] = _replace_once(
        _text(proto, proto.guide),
        f">{escape(proto.nama)} (kode unit: {escape(proto.unit)})<",
        f">{escape(nama)} (kode unit: {escape(unit)})<",
        "guide unit line",
    )
    texts[CORE] = _replace_once(
        _text(proto, CORE),
        f" {escape(proto.nama)}</dc:title>",
        f" {escape(nama)}</dc:title>",
        "title",
    )
    return [
        (info, texts[info.filename].encode() if info.filename in texts else data)
        for info, data in proto.members
    ]


def _text(proto: Prototype, member: str) -> str:
    return next(data for info, data in proto.members if info.filename == member).decode()


def _col_width(length: int) -> str:
    """template._width for the pre-filled text column `unit` (all rows hold the unit code)."""
    return safe_string(float(min(max(length, len("unit")) + 2, WIDE_TEXT)))


def _column_index(letter: str) -> int:
    return column_index_from_string(letter)


def write_clone(path: str, parts: list[tuple[zipfile.ZipInfo, bytes]]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for info, data in parts:
            book.writestr(info, data)


# ---------------------------------------------------------------- writer processes


def _init(protos: dict[str, Prototype], tipes: list[str]) -> None:
    _protos.clear()
    _protos.update(protos)
    _tipes[:] = tipes


def _write_jobs(jobs: list[Job]) -> int:
    for job in jobs:
        write_clone(job[0], clone_parts(_protos[job[3]], job, _tipes))
    return len(jobs)


def write_all(
    chunks: Iterator[list[Job]], protos: dict[str, Prototype], tipes: list[str], processes: int
) -> int:
    """Write every clone, chunk by chunk, in `processes` processes; returns how many files.

    Chunks are made while earlier ones are written (a few in flight), so the jobs of 83,763
    clones never sit in memory at once.
    """
    if processes <= 1:
        _init(protos, tipes)
        return sum(_write_jobs(chunk) for chunk in chunks)
    written = 0
    with ProcessPoolExecutor(processes, initializer=_init, initargs=(protos, tipes)) as pool:
        pending: set[Future[int]] = set()
        for chunk in chunks:
            pending.add(pool.submit(_write_jobs, chunk))
            if len(pending) >= 2 * processes:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                written += sum(f.result() for f in done)
        written += sum(f.result() for f in pending)
    return written


# ---------------------------------------------------------------- the check


def _unstamped(data: bytes) -> bytes:
    return STAMPS.sub(rb"\1", data)


def differences(fast: Path, writer: Path) -> list[str]:
    """XML parts that differ between a fast clone and the writer's file (timestamps aside)."""
    with zipfile.ZipFile(fast) as a, zipfile.ZipFile(writer) as b:
        names_a, names_b = a.namelist(), b.namelist()
        if names_a != names_b:
            return [f"members {names_a} != {names_b}"]
        return [n for n in names_a if _unstamped(a.read(n)) != _unstamped(b.read(n))]


def verify(
    jobs: list[Job],
    protos: dict[str, Prototype],
    tipes: list[str],
    write_with_writer: Any,
) -> int:
    """Write `jobs` both ways and compare; raise on the first difference. Returns how many."""
    with tempfile.TemporaryDirectory(prefix="scale-verify-") as folder:
        for i, job in enumerate(jobs):
            fast, slow = Path(folder) / f"{i}-fast.xlsx", Path(folder) / f"{i}-writer.xlsx"
            write_clone(str(fast), clone_parts(protos[job[3]], job, tipes))
            write_with_writer(job, slow)
            if diff := differences(fast, slow):
                raise RuntimeError(f"fast clone of {job[1]} differs from the writer's in {diff}")
    return len(jobs)
