"""Writing rekap.xlsx with XlsxWriter: shared formats, tables a column at a time, their sizes.

A Sheet writes its cells as they come and keeps what sizes the columns and rows (headers, table
columns, sentences), because XlsxWriter cannot read a cell back: `set_widths`, `header_height`
and `fit_row_heights` then estimate from that, in pandas over whole columns. Every string from
data is written with write_string after xlsx_safe.cell_text, in a workbook made with
xlsx_safe.SAFE_WORKBOOK_OPTIONS: text, never a formula, link or number.

The workbook is written in XlsxWriter's normal mode, not constant_memory: the E.81's header rows
are merged down in several columns, and constant_memory can merge down only once per row. Title
rows, page setup and whole table sheets are in rekap_page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from triwulan.tasks.core.xlsx_safe import SAFE_WORKBOOK_OPTIONS, write_value
from triwulan.tasks.publish.rekap_layout import (
    A4,
    BODY_FONT,
    DEFAULT_FONT,
    DEFAULT_WIDTH,
    HEADER_LOOK,
    INDENT_UNITS,
    LINE_POINTS,
    PIXELS_PER_UNIT,
    ROW_PADDING,
    WIDTHS,
    WRAPPED_KINDS,
    Font,
    Look,
    column_lines,
    font_properties,
    header_units,
    lines_of,
    stored,
    values_units,
    words_units,
)

WORD_MAX = 30  # units: a longer word (a file name) is cut rather than widen its column further


class Book:
    """The workbook and its shared formats: one Format per look, not one style per cell."""

    def __init__(self, path: str | Path) -> None:
        options = {**SAFE_WORKBOOK_OPTIONS, "default_format_properties": DEFAULT_FONT}
        self.workbook = xlsxwriter.Workbook(str(path), options)
        self._formats: dict[Any, Format] = {}

    def look(self, look: Look) -> Format:
        found = self._formats.get(look)
        if found is None:
            found = self._formats[look] = self.workbook.add_format(look.properties())
        return found

    def font(self, font: Font) -> Format:
        found = self._formats.get(font)
        if found is None:
            found = self._formats[font] = self.workbook.add_format(font_properties(font))
        return found

    def sheet(self, name: str) -> Sheet:
        return Sheet(self, self.workbook.add_worksheet(name))

    def close(self) -> None:
        """Write the file; a failed write (disk full) is raised as the OSError it was, so the
        run's record names it (XlsxWriter wraps it in FileCreateError)."""
        try:
            self.workbook.close()
        except FileCreateError as exc:
            cause = exc.args[0] if exc.args else None
            if isinstance(cause, OSError):
                raise cause from exc
            raise


@dataclass
class _Table:
    """Rows written a column at a time: what sizing needs of them."""

    first_row: int
    first_col: int
    kinds: list[str]
    columns: list[list[Any]]
    bold: np.ndarray | None
    indents: dict[int, np.ndarray] = field(default_factory=dict)  # column -> indent per row


@dataclass
class _Header:
    row: int
    col: int
    text: str
    last_row: int
    last_col: int


@dataclass
class Sheet:
    """One worksheet; rows and columns are 1-based here as on screen (XlsxWriter's are 0-based)."""

    book: Book
    ws: Worksheet
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    last_row: int = 0
    paper: int = A4  # as print_setup chose it
    scale: int = 100  # percent LibreOffice prints the sheet at, as estimated here
    _headers: list[_Header] = field(default_factory=list)
    _tables: list[_Table] = field(default_factory=list)
    _lines: dict[int, tuple[str, int, Font]] = field(default_factory=dict)

    # --- cells ------------------------------------------------------------------------------

    def header(
        self, row: int, texts: Sequence[str], first_col: int = 1, merge_down: int = 0
    ) -> None:
        """Bold, grey, wrapped column headers; `merge_down` rows below each are merged into it."""
        for col, text in enumerate(texts, start=first_col):
            self.header_span(row, col, text, row + merge_down, col)

    def header_span(self, row: int, col: int, text: str, last_row: int, last_col: int) -> None:
        """One header over the cells row..last_row x col..last_col (merged when more than one)."""
        fmt = self.book.look(HEADER_LOOK)
        if (last_row, last_col) != (row, col):
            self.ws.merge_range(row - 1, col - 1, last_row - 1, last_col - 1, "", fmt)
        write_value(self.ws, row - 1, col - 1, text, fmt)
        self._headers.append(_Header(row, col, text, last_row, last_col))
        self.last_row = max(self.last_row, last_row)

    def row(
        self, row: int, values: Sequence[tuple[Any, str]], bold: bool = False, first_col: int = 1
    ) -> None:
        """One table row of (value, kind) cells with grid lines (a kind per cell)."""
        for col, (value, kind) in enumerate(values, start=first_col):
            self.table(row, [[value]], [kind], bold=[bold] if bold else None, first_col=col)

    def table(
        self,
        first_row: int,
        columns: Sequence[Sequence[Any]],
        kinds: Sequence[str],
        bold: Sequence[bool] | None = None,
        group: Sequence[bool] | None = None,
        indents: Mapping[int, Sequence[int]] | None = None,
        first_col: int = 1,
        raw: bool = True,
    ) -> int:
        """Rows from columns of values, each column of one kind; `bold`/`group` per row, and
        `indents`: column -> indent of its wrapped text per row. `raw`: the values still need
        rekap_layout.stored (False: already stored values). Returns the last row written."""
        columns = [
            [stored(v, kind) for v in values] if raw else list(values)
            for values, kind in zip(columns, kinds, strict=True)
        ]
        count = len(columns[0]) if columns else 0
        if not count:
            return first_row - 1
        looks = self._row_looks(kinds, count, bold, group, indents, first_col)
        ws = self.ws
        string, number, blank = ws.write_string, ws.write_number, ws.write_blank
        cols = range(first_col - 1, first_col - 1 + len(columns))
        for index, (row, formats) in enumerate(
            zip(range(first_row - 1, first_row - 1 + count), looks, strict=True)
        ):
            for col, values, fmt in zip(cols, columns, formats, strict=True):
                value = values[index]
                if value is None:
                    blank(row, col, None, fmt)
                elif value.__class__ is str:
                    string(row, col, value, fmt)
                else:
                    number(row, col, value, fmt)
        self._tables.append(
            _Table(
                first_row,
                first_col,
                list(kinds),
                columns,
                None if bold is None else np.asarray(bold, dtype=bool),
                {col: np.asarray(steps, dtype=np.int64) for col, steps in (indents or {}).items()},
            )
        )
        self.last_row = max(self.last_row, first_row + count - 1)
        return first_row + count - 1

    def _row_looks(
        self,
        kinds: Sequence[str],
        count: int,
        bold: Sequence[bool] | None,
        group: Sequence[bool] | None,
        indents: Mapping[int, Sequence[int]] | None,
        first_col: int,
    ) -> list[list[Format]]:
        """The formats of each row's cells, one list shared by the rows that look alike."""
        bolds = [False] * count if bold is None else [bool(b) for b in bold]
        groups = [False] * count if group is None else [bool(g) for g in group]
        stepped = [(col - first_col, list(steps)) for col, steps in (indents or {}).items()]
        cache: dict[tuple, list[Format]] = {}
        out = []
        for index in range(count):
            key = (bolds[index], groups[index], tuple(steps[index] for _, steps in stepped))
            formats = cache.get(key)
            if formats is None:
                indent = dict(zip((at for at, _ in stepped), key[2], strict=True))
                formats = cache[key] = [
                    self.book.look(
                        Look(
                            kind,
                            key[0],
                            key[1],
                            indent.get(at, 0) if kind in WRAPPED_KINDS else 0,
                        )
                    )
                    for at, kind in enumerate(kinds)
                ]
            out.append(formats)
        return out

    def line(
        self, row: int, text: str, span: int, font: Font = BODY_FONT, first_col: int = 1
    ) -> None:
        """A sentence across columns first_col..span (merged, wrapped), e.g. 'Belum ada data
        IKU', as high as its lines at the columns' current widths."""
        self.set_height(row, self.sentence(row, first_col, span, text, font))
        self.last_row = max(self.last_row, row)

    def sentence(self, row: int, first_col: int, last_col: int, text: str, font: Font) -> float:
        """Write a merged, wrapped sentence; returns the row height its lines need."""
        fmt = self.book.font(font)
        if last_col > first_col:
            self.ws.merge_range(row - 1, first_col - 1, row - 1, last_col - 1, "", fmt)
        write_value(self.ws, row - 1, first_col - 1, text, fmt)
        self._lines[row] = (text, last_col - first_col + 1 if first_col == 1 else 0, font)
        self.last_row = max(self.last_row, row)
        return self.text_height(text, first_col, last_col, font)

    def text_height(self, text: str, first_col: int, last_col: int, font: Font) -> float:
        """Points a text in `font` needs, wrapped across the columns' widths."""
        width = sum(self.width(c) for c in range(first_col, last_col + 1))
        lines = lines_of(text, width, font.bold, font.size) if text else 1
        return lines * font.size * 1.275 + ROW_PADDING + 1

    # --- sizes ------------------------------------------------------------------------------

    def width(self, col: int) -> float:
        return self.widths.get(col, DEFAULT_WIDTH)

    def set_width(self, col: int, width: float) -> None:
        """Stored as given (XlsxWriter's set_column would add Excel's 5 px of cell padding)."""
        self.widths[col] = width
        self.ws.set_column_pixels(col - 1, col - 1, round(width * PIXELS_PER_UNIT))

    def set_height(self, row: int, height: float) -> None:
        self.heights[row] = height
        self.ws.set_row(row - 1, height)

    def set_widths(
        self,
        kinds: Sequence[str],
        first_row: int,
        overrides: Mapping[int, float] | None = None,
        highs: Mapping[int, float] | None = None,
    ) -> None:
        """Column widths from the content at or below `first_row`, within the bounds of each
        column's kind (WIDTHS; `highs` overrides an upper bound), never narrower than the widest
        word of a header or wrapped cell (LibreOffice would cut it in two). A header across
        columns widens the last of them if its widest word needs it; a sentence does not count."""
        overrides = overrides or {}
        highs_of = [
            (highs or {}).get(col, WIDTHS[kind][1]) for col, kind in enumerate(kinds, start=1)
        ]
        widest = [float(WIDTHS[kind][0]) for kind in kinds]
        floor = [0.0] * len(kinds)

        def count(col: int, units: float, into: list[float]) -> None:
            if 1 <= col <= len(kinds):
                into[col - 1] = max(into[col - 1], units)

        for header in self._headers:
            if header.row >= first_row and header.last_col == header.col:
                count(header.col, header_units(header.text, WORD_MAX), floor)
        for table in self._tables:
            if table.first_row < first_row:
                continue
            bold = table.bold if table.bold is not None and table.bold.any() else None
            for col, (values, kind) in enumerate(
                zip(table.columns, table.kinds, strict=True), start=table.first_col
            ):
                steps = table.indents.get(col)
                indent = INDENT_UNITS * int(steps.max()) if steps is not None and len(steps) else 0
                count(col, values_units(values, kind) + indent, widest)
                if kind in WRAPPED_KINDS:
                    count(col, min(words_units(values, bold) + indent, WORD_MAX), floor)
        for row, (text, span, _) in self._lines.items():
            if span == 1 and row >= first_row:
                count(1, values_units([text], "text"), widest)
        for col, (most, high, least) in enumerate(zip(widest, highs_of, floor, strict=True), 1):
            self.set_width(col, overrides.get(col, max(min(most, high), least)))
        for header in self._headers:
            if header.row >= first_row and header.last_col > header.col:
                cols = range(header.col, header.last_col + 1)
                short = header_units(header.text, WORD_MAX) - sum(self.width(c) for c in cols)
                if short > 0 and header.last_col not in overrides:
                    self.set_width(header.last_col, self.width(header.last_col) + short)

    def header_height(self, row: int) -> None:
        """Height of a wrapped header row: its tallest header, a header merged down over several
        rows counting its share of its lines in each of them."""
        lines = 1
        for header in self._headers:
            if not header.row <= row <= header.last_row:
                continue
            width = sum(self.width(c) for c in range(header.col, header.last_col + 1))
            rows = header.last_row - header.row + 1
            wrapped = lines_of(header.text, width, bold=True)
            lines = max(lines, math.ceil(wrapped / rows))
        self.set_height(row, lines * LINE_POINTS + 2 * ROW_PADDING)

    def fit_row_heights(self, first_row: int, last_col: int | None = None) -> None:
        """Heights of the table rows from `first_row` down, from the wrapped text of their
        columns up to `last_col` (the printed ones: a column outside the print area must not
        make a printed row taller).

        LibreOffice does not recompute row heights of an xlsx on opening (nor does Excel
        reliably), so a wrapped kendala would print over the next row. A row given a height
        (a header, a sentence) keeps it."""
        for table in self._tables:
            if table.first_row < first_row:
                continue
            lines = np.ones(len(table.columns[0]), dtype=np.int64)
            for col, (values, kind) in enumerate(
                zip(table.columns, table.kinds, strict=True), start=table.first_col
            ):
                if kind not in WRAPPED_KINDS or (last_col is not None and col > last_col):
                    continue
                steps = table.indents.get(col)
                if steps is None or not steps.any():
                    lines = np.maximum(lines, column_lines(values, self.width(col), table.bold))
                    continue
                for step in np.unique(steps).tolist():  # an indent narrows the text
                    rows = steps == step
                    width = self.width(col) - INDENT_UNITS * step
                    picked = [v for v, keep in zip(values, rows, strict=True) if keep]
                    bold = None if table.bold is None else table.bold[rows]
                    lines[rows] = np.maximum(lines[rows], column_lines(picked, width, bold))
            for index in np.flatnonzero(lines > 1).tolist():
                row = table.first_row + index
                if row not in self.heights:
                    self.set_height(row, int(lines[index]) * LINE_POINTS + ROW_PADDING)

    def printed_width(self, last_col: int) -> float:
        """Units of the columns 1..last_col."""
        return sum(self.width(c) for c in range(1, last_col + 1))
