"""Writing rekap.xlsx with XlsxWriter: shared formats, tables a column at a time, sizes, printing.

A Sheet writes its cells as they come and keeps what sizes the columns and rows (headers, table
columns, sentences), because XlsxWriter cannot read a cell back: `set_widths`, `header_height`
and `fit_row_heights` then estimate from that, in pandas over whole columns. Every string from
data is written with write_string after xlsx_safe.cell_text, in a workbook made with
xlsx_safe.SAFE_WORKBOOK_OPTIONS: text, never a formula, link or number.

The workbook is written in XlsxWriter's normal mode, not constant_memory: the E.81's two header
rows are merged down in several columns, and constant_memory can merge down only once per row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from triwulan.tasks.core.xlsx_safe import SAFE_WORKBOOK_OPTIONS, write_value
from triwulan.tasks.publish.rekap_layout import (
    A4,
    BODY_FONT,
    BOLD_CHARS_PER_UNIT,
    CHARS_PER_UNIT,
    DEFAULT_FONT,
    DEFAULT_WIDTH,
    FONT_NAME,
    FOOTER_MARGIN,
    HEADER_LOOK,
    HEADER_MARGIN,
    HEADER_ROW,
    LINE_POINTS,
    MARGINS,
    NOTE_FONT,
    PAGE_WIDTH_UNITS,
    PIXELS_PER_UNIT,
    TITLE_FONT,
    WIDTHS,
    WRAPPED_KINDS,
    Column,
    Font,
    Look,
    column_lines,
    font_properties,
    header_text,
    header_width,
    lines_of,
    stored,
    table_values,
    values_width,
)
from triwulan.tasks.publish.report import completeness_line, mark_of, waktu

HEADER_FOOTER_MAX = 255  # characters Excel keeps of a page header (XlsxWriter drops a longer one)


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

    def line(self, row: int, text: str, span: int, font: Font = BODY_FONT) -> None:
        """A sentence across `span` columns (merged, wrapped), e.g. 'Belum ada data IKU', as
        high as its lines at the columns' current widths."""
        fmt = self.book.font(font)
        if span > 1:
            self.ws.merge_range(row - 1, 0, row - 1, span - 1, "", fmt)
        write_value(self.ws, row - 1, 0, text, fmt)
        width = sum(self.width(c) for c in range(1, span + 1))
        per_unit = CHARS_PER_UNIT * 10 / font.size * (0.9 if font.bold else 1)
        self.set_height(row, lines_of(text, width, per_unit) * font.size * 1.3 + 3)
        self._lines[row] = (text, span, font)
        self.last_row = max(self.last_row, row)

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
        self, kinds: Sequence[str], first_row: int, overrides: Mapping[int, float] | None = None
    ) -> None:
        """Column widths from the content at or below `first_row`, within the bounds of each
        column's kind (WIDTHS). A header counts with its longest word (headers wrap between
        words); a header or sentence merged across columns does not count."""
        overrides = overrides or {}
        highs = [WIDTHS[kind][1] for kind in kinds]
        longest = [WIDTHS[kind][0] for kind in kinds]

        def count(col: int, length: int) -> None:
            if 1 <= col <= len(kinds):
                longest[col - 1] = max(longest[col - 1], length + 1)

        for header in self._headers:
            if header.row >= first_row and header.last_col == header.col:
                count(header.col, header_width(header.text, highs[header.col - 1]))
        for table in self._tables:
            if table.first_row < first_row:
                continue
            for col, (values, kind) in enumerate(
                zip(table.columns, table.kinds, strict=True), start=table.first_col
            ):
                count(col, values_width(values, kind == "percent"))
        for row, (text, span, _) in self._lines.items():
            if span == 1 and row >= first_row:
                count(1, values_width([text], False))
        for col, (most, high) in enumerate(zip(longest, highs, strict=True), start=1):
            self.set_width(col, overrides.get(col, min(most, high)))

    def header_height(self, row: int) -> None:
        """Height of a wrapped header row: its tallest header (a merged header counts its span)."""
        lines = 1
        for header in self._headers:
            if header.row != row:
                continue
            width = sum(self.width(c) for c in range(header.col, header.last_col + 1))
            rows = header.last_row - header.row + 1
            wrapped = lines_of(header.text, width, BOLD_CHARS_PER_UNIT)
            lines = max(lines, math.ceil(wrapped / rows))
        self.set_height(row, lines * LINE_POINTS + 4)

    def fit_row_heights(self, first_row: int) -> None:
        """Heights of the table rows from `first_row` down, from their wrapped text.

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
                if kind in WRAPPED_KINDS:
                    lines = np.maximum(lines, column_lines(values, self.width(col), table.bold))
            for index in np.flatnonzero(lines > 1).tolist():
                row = table.first_row + index
                if row not in self.heights:
                    self.set_height(row, int(lines[index]) * LINE_POINTS + 2)


def title_rows(
    sheet: Sheet, title: str, summary: Mapping[str, Any], span: int, note: str | None = None
) -> None:
    """Rows 1-2: 'DRAF — <title>' and the note (version, time, completeness), each merged across
    `span` columns and wrapped so nothing is cut off on paper. Call after the column widths."""
    word, mark_note = mark_of(summary)
    sheet.line(1, f"{word} — {title}", span, TITLE_FONT)
    if note is None:
        note = (
            f"{mark_note.split(' — ', 1)[1].capitalize()}. Versi {summary.get('version', '-')}, "
            f"disusun {waktu(summary.get('generated_at'))}. "
            f"{completeness_line(summary.get('counts') or {})}."
        )
    sheet.line(2, note, span, NOTE_FONT)


def print_setup(
    sheet: Sheet,
    summary: Mapping[str, Any],
    title: str,
    repeat_rows: tuple[int, int] | None,
    blocks: Sequence[tuple[int, int]] | None = None,
    repeat_cols: tuple[int, int] | None = None,
) -> None:
    """A4 landscape, header rows repeated, the mark in the page header, 'Halaman &P dari &N'.

    Without `blocks` a sheet is fitted to one page wide (pages only run downwards). A table too
    wide for that at a readable size gives `blocks`: column ranges each printed one page wide,
    with the identifying `repeat_cols` repeated on every page, at one scale that fits the widest
    block (Excel ignores manual page breaks when fitting to pages). Call after the widths.
    """
    ws = sheet.ws
    ws.set_landscape()
    ws.set_paper(A4)
    ws.set_margins(**MARGINS)
    if repeat_rows:
        ws.repeat_rows(repeat_rows[0] - 1, repeat_rows[1] - 1)
    if blocks:
        repeated = (
            sum(sheet.width(c) for c in range(repeat_cols[0], repeat_cols[1] + 1))
            if repeat_cols
            else 0
        )
        widest = max(
            repeated + sum(sheet.width(c) for c in range(start, end + 1)) for start, end in blocks
        )
        ws.set_print_scale(max(10, min(100, math.floor(PAGE_WIDTH_UNITS * 100 / widest))))
        ws.set_v_pagebreaks([end for _, end in blocks[:-1]])
        if repeat_cols:
            ws.repeat_columns(repeat_cols[0] - 1, repeat_cols[1] - 1)
        ws.print_area(0, 0, max(sheet.last_row, 1) - 1, blocks[-1][1] - 1)
    else:
        ws.fit_to_pages(1, 0)
    word, _ = mark_of(summary)
    version = header_text(f"Versi {summary.get('version', '-')}")
    left, right = f'&L&"{FONT_NAME},Bold"&11 &KB91C1C{header_text(word)}', f"&R&9 {version}"
    room = HEADER_FOOTER_MAX - len(left) - len(right) - len("&C&9 ")
    cut = title
    while len(header_text(cut)) + (cut != title) > room:  # whole: half a '&&' starts a code
        cut = cut[: min(len(cut) - 1, room)]
    center = header_text(cut) + ("…" if cut != title else "")
    ws.set_header(f"{left}&C&9 {center}{right}", {"margin": HEADER_MARGIN})
    footer = header_text(f"Disusun {waktu(summary.get('generated_at'))}")
    ws.set_footer(
        f"&L&8 {footer}&C&9 Halaman &P dari &N&R&8 &A",  # &A: the sheet's name
        {"margin": FOOTER_MARGIN},
    )


def table_sheet(
    sheet: Sheet,
    title: str,
    summary: Mapping[str, Any],
    columns: Sequence[Column],
    data: pd.DataFrame | Sequence[Mapping[str, Any]] | None,
    total: Mapping[str, Any] | None,
    blocks: Sequence[tuple[int, int]] | None = None,
    repeat_cols: tuple[int, int] | None = None,
    widths: Mapping[int, float] | None = None,
) -> None:
    """Title rows, a frozen bold header, one row per record (of a frame or a list) and an
    optional bold 'Jumlah' row; printed landscape (see print_setup for `blocks`)."""
    kinds = [kind for _, _, kind in columns]
    sheet.header(HEADER_ROW, [header for _, header, _ in columns])
    row_no = sheet.table(HEADER_ROW + 1, table_values(data, columns), kinds, raw=False)
    if row_no > HEADER_ROW:
        sheet.ws.autofilter(HEADER_ROW - 1, 0, row_no - 1, len(columns) - 1)
        if total is not None:
            values = [total.get(key) for key, _, _ in columns]
            values[0], kinds_total = "Jumlah", ["text", *kinds[1:]]
            sheet.table(row_no + 1, [[v] for v in values], kinds_total, bold=[True])
    sheet.set_widths(kinds, HEADER_ROW, widths)
    sheet.header_height(HEADER_ROW)
    sheet.fit_row_heights(HEADER_ROW + 1)
    # a sheet printed in page columns keeps its title within the repeated columns, so the title
    # is whole on the first page of each page column
    title_rows(sheet, title, summary, repeat_cols[1] if blocks and repeat_cols else len(columns))
    sheet.ws.freeze_panes(HEADER_ROW, 0)
    print_setup(sheet, summary, title, (HEADER_ROW, HEADER_ROW), blocks, repeat_cols)
