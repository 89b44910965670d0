"""Streaming one sheet's XML, bounded: declared and actual extent, formulas without a value.

calamine allocates a sheet's whole extent (one cell at XFD1048576 asks for 512 GiB and aborts
the process). So before calamine sees a sheet, its XML is streamed once, bounded by the zip
limits (_Bounded), to find its declared (<dimension>) and actual extent and any formula cell
without a stored value (tasks/collect/xlsx_check.py opens the workbook and calls scan_sheet).

The scan must cost about what calamine's own read costs (issue 16: building every element of a
template's 12,000 styled blank cells took 115 ms a file). A sheet as machine writers write it
goes through scan_plain: expat checks every byte without calling Python, regular expressions
find the cells with content. Any other sheet goes through scan_events, element by element. Both
judge every sheet exactly as the element-by-element scan before them did
(tests/tasks/collect/test_xlsx_check.py keeps that one as the oracle). No pandas here: the
reader process imports this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol, Self
from xml.parsers import expat

from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden

MAX_ROW, MAX_COL = 1_048_576, 16_384  # Excel's own bounds
_REF = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")
_FORMULA_SAMPLES = 5
_CHUNK = 16 * 1024  # as ElementTree's iterparse read: refusals keep the order they always had


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


class Stream(Protocol):
    """What a scan reads: a sheet's zip member, behind _Bounded (tests give bytes)."""

    def read(self, size: int, /) -> bytes: ...


class _Bounded:
    """A sheet stream that refuses to inflate more than `limit` bytes (the directory may lie)."""

    def __init__(self, handle: Stream, limit: int) -> None:
        self.handle, self.left = handle, limit

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(1 << 16 if size < 0 else min(size, 1 << 16))
        self.left -= len(chunk)
        if self.left < 0:
            raise XlsxRefused("unpacked_too_large", limit=0)
        return chunk

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        close = getattr(self.handle, "close", None)
        if close is not None:
            close()


class _NotPlain(Exception):
    """The sheet XML leaves the machine-written profile the fast scan relies on."""


class _ScanState:
    """Running results of a scan, shared by the fast and the event scan so both judge alike."""

    def __init__(self, max_rows: int, max_cols: int) -> None:
        self.scan = SheetScan()
        self.max_rows, self.max_cols = max_rows, max_cols

    def cell(self, row: int, col: int, at: tuple[int, int], formula: bool, value: bool) -> None:
        """A finished cell at (row, col), named by `at` (where it started): extent and formulas."""
        scan = self.scan
        if value or formula:
            scan.rows, scan.cols = max(scan.rows, row), max(scan.cols, col)
            if scan.rows > self.max_rows or scan.cols > self.max_cols:
                raise XlsxRefused(
                    "extent", rows=scan.rows, cols=scan.cols, cell=f"{column_letters(at[1])}{at[0]}"
                )
        if formula:
            scan.formula_count += 1
            if not value:
                if len(scan.formulas_without_value) < _FORMULA_SAMPLES:
                    scan.formulas_without_value.append(f"{column_letters(at[1])}{at[0]}")
                else:
                    scan.formulas_without_value[_FORMULA_SAMPLES:] = ["…"]

    def dimension(self, ref: str) -> None:
        parsed = parse_ref(ref.split(":")[-1])
        if parsed:
            self.scan.declared_rows, self.scan.declared_cols = parsed


def _refuse_entity(*_: object) -> None:
    raise EntitiesForbidden(None, None, None, None, None, None)


def _refuse_external(*_: object) -> None:
    raise ExternalReferenceForbidden(None, None, None, None)


def _refuse_skipped(name: str, is_parameter_entity: bool) -> None:
    # An undeclared entity in content is an error (as ElementTree's default handler made it); an
    # undeclared parameter entity only stops the DTD being read.
    if not is_parameter_entity:
        raise expat.ExpatError(f"undefined entity &{name};")


def defused_expat() -> expat.XMLParserType:
    """An expat parser refusing what defusedxml's parser refuses: entity declarations, external
    references (a DTD without them is still read, as before)."""
    parser = expat.ParserCreate(None, "}")
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_external
    parser.SkippedEntityHandler = _refuse_skipped
    return parser


_ROW, _CELL, _DIMENSION, _FORMULA, _VALUE, _OTHER = range(6)
_KINDS = {"row": _ROW, "c": _CELL, "dimension": _DIMENSION, "f": _FORMULA, "v": _VALUE}
_KINDS["is"] = _VALUE


def scan_events(stream: Stream, max_rows: int, max_cols: int) -> SheetScan:
    """Any well-formed sheet XML, element by element (the slow path, exact on every input).

    Positions follow the OOXML rules calamine uses: a row or cell without `r` comes right after
    the previous one. The scan stops at the first cell with content past the limits. Elements
    are matched by local name in any namespace; a `v` or `is` counts when it has text or a child.
    """
    state = _ScanState(max_rows, max_cols)
    kinds: dict[str, int] = {}
    open_kinds: list[int] = []
    filled: list[bool] = []  # per open element: text or a child seen (read for v and is)
    row = col = 0
    at = (0, 0)
    in_cell = has_formula = has_value = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row, col, at, in_cell, has_formula, has_value
        if filled:
            filled[-1] = True
        kind = kinds.get(name)
        if kind is None:
            kind = kinds[name] = _KINDS.get(name.rpartition("}")[2], _OTHER)
        open_kinds.append(kind)
        filled.append(False)
        if kind == _CELL:
            ref = attrs.get("r")
            parsed = parse_ref(ref) if ref else None
            if parsed:
                row, col = parsed
            else:
                col += 1
            at = (row, col)
            in_cell, has_formula, has_value = True, False, False
        elif kind == _ROW:
            r = attrs.get("r")
            row = int(r) if r and r.isdigit() and len(r) <= 7 else row + 1
            col = 0
        elif kind == _DIMENSION:
            state.dimension(attrs.get("ref") or "")

    def end(_: str) -> None:
        nonlocal in_cell, has_formula, has_value
        kind = open_kinds.pop()
        content = filled.pop()
        if kind == _CELL:
            in_cell = False
            state.cell(row, col, at, has_formula, has_value)
        elif kind == _VALUE:
            has_value = has_value or (in_cell and content)
        elif kind == _FORMULA:
            has_formula = has_formula or in_cell

    def text(_: str) -> None:
        if filled:
            filled[-1] = True

    parser = defused_expat()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    while data := stream.read(_CHUNK):
        parser.Parse(data, False)
    parser.Parse(b"", True)
    return state.scan


# The fast scan reads sheet XML as machine writers (Excel, LibreOffice, openpyxl) write it: every
# cell `<c r="A1" ...>` with its reference first, no comments, CDATA, processing instructions or
# DTD (a '<' inside them is not a tag), no '>' outside tags, no cell, row or prefixed element
# inside a cell, an ASCII-compatible encoding. Then every '<' starts a tag and ends at the next
# '>', a cell's position is its own reference, and a style-only cell (`<c r="B7" s="3"/>`) costs
# one failed regular-expression match, no Python. Anything else is left to scan_events.
_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[^<>]*\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
_PLAIN_ENCODINGS = {b"utf-8", b"utf8", b"us-ascii", b"ascii", b"iso-8859-1", b"latin-1"}
_PREFIXED_HINT = re.compile(rb":(?:c|dimension)[\s/>]")
_PREFIXED = re.compile(rb"</?[\w.-]+:(?:c|dimension)[\s/>]")  # a cell or dimension in a prefix
# a row number in other digits (int() may refuse them where str.isdigit() took them)
_ROW_OTHER_DIGITS = re.compile(rb"<row\s[^>\x80-\xff]*+[\x80-\xff]")
_DIMENSION_TAG = re.compile(rb"<dimension(?=[\s/>])([^>]*)>")
_REF_ATTRIBUTE = re.compile(rb"""\sref\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_PLAIN_REF = re.compile(rb"[A-Za-z0-9:$ ]*")
_ANY_FORMULA = re.compile(rb"<f[\s/>]")
# Inside a cell: what is not plain (nested cell or row, a cell end with blanks, a prefix).
_ODD = rb"/c\s|c[\s/>]|row[\s/>]|/?[\w.-]++:"
_PLAIN_HEAD = rb'<c(?=[\s/>])(?: r="([A-Z]{1,3})([0-9]{1,7})"(?=[\s/>])[^>]*+(?<!/)>'
_NOT_PLAIN_HEAD = rb'|(?! r="[A-Z]{1,3}[0-9]{1,7}"[\s/>])([\s\S]))'
# A cell holding a v or is with text or a child: (letters, digits, '', '', '') and, for a cell
# that is not plain, a non-empty last group. Empty cells and empty v/is do not match.
_VALUE_CELL = re.compile(
    _PLAIN_HEAD + rb"(?!</c>)"
    rb"(?:[^<]++|<(?!/c>|" + _ODD + rb"|(?:v|is)[\s/>])"
    rb"|<(?:v|is)(?=[\s/>])[^>]*+(?:(?<=/)>|>(?=</(?:v|is)\s*+>)))*+"
    rb"(?:<(?:v|is)(?=[\s/>])[^>]*+>(?:[^<]++|<(?!/c>|"
    + _ODD
    + rb"))*+(?:</c>|(<))|(<))"
    + _NOT_PLAIN_HEAD
)
# Every cell with a body: (letters, digits, body, '', '') and the same marks (formula segments).
_BODY_CELL = re.compile(
    _PLAIN_HEAD + rb"((?:[^<]++|<(?!/c>|" + _ODD + rb"))*+)(?:</c>|(<))" + _NOT_PLAIN_HEAD
)
_BODY_VALUE = re.compile(rb"<(?:v|is)(?=[\s/>])[^>]*+(?<!/)>(?!</(?:v|is)\s*+>)")
_CARRY_MAX = 1 << 20  # a cell or tag this long is not machine-written: left to scan_events


@cache
def _column_of(letters: bytes) -> int:
    return _column_number(letters.decode("ascii"))


def _complete(buffer: bytes) -> int:
    """Length of the part of `buffer` that ends between tags and outside any cell."""
    last_tag = buffer.rfind(b"<")
    last_cell = buffer.rfind(b"<c ")
    if last_cell != -1:
        head_end = buffer.find(b">", last_cell)
        if head_end == -1:
            return last_cell
        if buffer[head_end - 1] == ord("/"):
            cell_end = head_end + 1
        else:
            close = buffer.find(b"</c>", head_end)
            if close == -1:
                return last_cell
            cell_end = close + 4
        if last_tag < cell_end:  # the last tag is the cell's own end
            return len(buffer)
    if last_tag == -1 or buffer.find(b">", last_tag) != -1:
        return len(buffer)
    return last_tag


def _plain_segment(segment: bytes, state: _ScanState) -> None:
    """Judge one run of complete cells and tags of a plain sheet (raises _NotPlain otherwise)."""
    if (
        b"<!" in segment
        or b"<?" in segment
        or segment.count(b"<") != segment.count(b">")
        or (_PREFIXED_HINT.search(segment) and _PREFIXED.search(segment))
        or _ROW_OTHER_DIGITS.search(segment)
    ):
        raise _NotPlain
    for attributes in _DIMENSION_TAG.findall(segment):
        ref = _REF_ATTRIBUTE.search(attributes)
        if ref:
            raw = ref.group(1) if ref.group(1) is not None else ref.group(2)
            if not _PLAIN_REF.fullmatch(raw):
                raise _NotPlain
            state.dimension(raw.decode("ascii"))
    if _ANY_FORMULA.search(segment):
        for letters, digits, body, odd, odd_head in _BODY_CELL.findall(segment):
            if odd or odd_head:
                raise _NotPlain
            formula = _ANY_FORMULA.search(body) is not None
            value = _BODY_VALUE.search(body) is not None
            if formula or value:
                row, col = int(digits), _column_of(letters)
                state.cell(row, col, (row, col), formula, value)
        return
    cells = _VALUE_CELL.findall(segment)
    if not cells:
        return
    letters, digits, *odd = zip(*cells, strict=True)
    if any(map(any, odd)):
        raise _NotPlain
    scan = state.scan
    top_row = max(scan.rows, max(map(int, set(digits))))
    top_col = max(scan.cols, max(map(_column_of, set(letters))))
    if top_row <= state.max_rows and top_col <= state.max_cols:
        scan.rows, scan.cols = top_row, top_col
        return
    for letter, digit in zip(letters, digits, strict=True):  # the first cell past a limit
        row, col = int(digit), _column_of(letter)
        state.cell(row, col, (row, col), False, True)


def scan_plain(stream: Stream, max_rows: int, max_cols: int) -> SheetScan:
    """A machine-written sheet without Python per element (style-only cells cost nothing).

    expat still checks every byte (well-formed, no entity declarations); the cells are found by
    regular expressions that are exact under the profile above. Raises _NotPlain when the sheet
    leaves it or is not well-formed: scan_events then reads it again and finds what to say.
    """
    state = _ScanState(max_rows, max_cols)
    parser = defused_expat()
    carry, first = b"", True
    while data := stream.read(_CHUNK):
        try:
            parser.Parse(data, False)
        except Exception as exc:
            raise _NotPlain from exc
        buffer = carry + data
        if first:  # the XML declaration (the one '<?' allowed); UTF-16 and -32 are not plain
            first, prolog = False, _PROLOG.match(buffer)
            if b"\x00" in buffer[:4] or buffer.startswith((b"\xfe\xff", b"\xff\xfe")):
                raise _NotPlain
            if prolog:
                encoding = _ENCODING.search(prolog.group())
                if encoding and encoding.group(1).lower() not in _PLAIN_ENCODINGS:
                    raise _NotPlain
                buffer = buffer[prolog.end() :]
        cut = _complete(buffer)
        carry = buffer[cut:]
        if len(carry) > _CARRY_MAX:
            raise _NotPlain
        _plain_segment(buffer[:cut], state)
    try:
        parser.Parse(b"", True)
    except Exception as exc:
        raise _NotPlain from exc
    if carry:
        _plain_segment(carry, state)
    return state.scan


def scan_sheet(open_sheet: Callable[[], _Bounded], max_rows: int, max_cols: int) -> SheetScan:
    """The sheet's scan: the fast path, or the event scan when the sheet is not plain.

    `open_sheet` opens the (bounded) sheet stream; it is called a second time for the event scan.
    """
    try:
        with open_sheet() as stream:
            return scan_plain(stream, max_rows, max_cols)
    except _NotPlain:
        pass
    with open_sheet() as stream:
        return scan_events(stream, max_rows, max_cols)
