"""How rekap.xlsx looks on screen and on paper: fonts, column widths, titles, page setup.

The rekap is printed by the secretariat (LibreOffice or Excel) and filed with the report, so every
sheet prints landscape on A4 with its header row repeated on each page, the report's mark (DRAF,
FINAL, PRATINJAU) in the page header and 'Halaman x dari y' in the footer. Every string from data
goes through xlsx_safe.write_cell (text, never a formula).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from copy import copy
from functools import lru_cache
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from triwulan.tasks.core.fmt import plain
from triwulan.tasks.core.xlsx_safe import write_cell
from triwulan.tasks.publish.report import completeness_line, mark_of, waktu

MONEY_FORMAT = "#,##0"
PERCENT_FORMAT = "0.00"
# Arial is on every Windows, and LibreOffice maps it to the metric-compatible Liberation Sans:
# widths and page breaks come out the same in Excel and LibreOffice (Calibri has no such twin on
# a plain Linux, where LibreOffice fell back to a wider serif font).
FONT_NAME = "Arial"
BODY_FONT = Font(name=FONT_NAME, size=10)
BOLD_FONT = Font(name=FONT_NAME, size=10, bold=True)
HEADER_FONT = BOLD_FONT
TITLE_FONT = Font(name=FONT_NAME, bold=True, size=13, color="B91C1C")
NOTE_FONT = Font(name=FONT_NAME, italic=True, size=9, color="6B7280")
HEADER_FILL = PatternFill("solid", fgColor="E5E7EB")
GROUP_FILL = PatternFill("solid", fgColor="F3F4F6")
THIN = Side(style="thin", color="9CA3AF")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TOP = Alignment(vertical="top")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
HEADER_ROW = 4  # rows 1-2: title and note, 3 blank, 4 header
# A table cell's look is a named style registered once per workbook. Naming it per cell copies
# one prepared style record; giving each cell Font/Border/Alignment objects hashed them per cell
# (149 s for a province's 41,700 sub-kegiatan rows). The names show in Excel's cell styles.
HEADER_STYLE = "Rekap Judul Kolom"
STYLE_WORDS = {  # kind of column -> (word in the style's name, number format)
    "money": ("Uang", MONEY_FORMAT),
    "percent": ("Persen", PERCENT_FORMAT),
    "count": ("Bilangan", "0"),
    "number": ("Angka", "General"),
    "auto": ("Angka", "General"),
    "text": ("Teks", "General"),
    "longtext": ("Teks", "General"),
}
WRAPPED_KINDS = {"text", "longtext"}
Column = tuple[str, str, str]  # (key, header, kind)
# Columns naming a sub-kegiatan row and its unit's notes, the same in every sheet that lists them
SUB_KEGIATAN_COLUMNS: list[Column] = [
    ("nama_unit", "Unit", "text"),
    ("kode_sub_kegiatan", "Kode Sub Kegiatan", "text"),
    ("nama_sub_kegiatan", "Nama Sub Kegiatan", "longtext"),
]
NOTE_COLUMNS: list[Column] = [
    ("kendala", "Kendala/Permasalahan", "longtext"),
    ("tindak_lanjut", "Tindak Lanjut", "longtext"),
]

# Column width bounds (characters) per kind of column: long text wraps inside its bound, so a
# row is a few lines high and the table fits a landscape page.
WIDTHS = {
    "money": (12, 16),
    "percent": (8, 11),
    "number": (7, 10),
    "text": (6, 22),
    "longtext": (14, 30),
    "count": (4, 8),
    "auto": (8, 16),
}
LINE_POINTS = 12.75  # height of one line of 10 pt text
# Characters of wrapped 10 pt Arial text per column width unit, a little below what LibreOffice
# fits (long words wrap early), so estimated heights never cut a line off. Bold text is wider.
CHARS_PER_UNIT = 1.1
BOLD_CHARS_PER_UNIT = 0.95
HEADER_CHARS_PER_UNIT = 0.85  # a header word must fit whole: LibreOffice breaks it otherwise
# Printable width of A4 landscape between the margins below, in Excel width units
# (297 mm - 2 x 0.4 in = 276.7 mm = 1046 px at 96 dpi, about 7 px per width unit).
MARGINS = PageMargins(left=0.4, right=0.4, top=0.75, bottom=0.6, header=0.3, footer=0.3)
PAGE_WIDTH_UNITS = 140


def use_body_font(wb: Workbook) -> None:
    """Make Arial 10 the workbook's default font.

    Column widths are counted in digits of the default font: with openpyxl's default Calibri, a
    LibreOffice without Calibri measures them in a wider fallback font, and the page breaks
    computed here (PAGE_WIDTH_UNITS) come out wrong. openpyxl has no public setter for this.
    """
    wb._fonts = IndexedList([BODY_FONT])
    wb._named_styles["Normal"].font = BODY_FONT


def cell_value(value: Any, kind: str) -> Any:
    """The value as stored: int rupiah, float percentages/volumes, text; None stays empty."""
    known = _PLAIN_KINDS.get(type(value))  # the common plain values, without plain()'s checks
    if known is not None and kind in known:
        return None if value != value else value  # NaN (float) is empty
    if type(value) is str and kind in _TEXT_KINDS:
        return value if value.strip() else None
    value = plain(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind in {"money", "count"}:
        return int(value)
    if kind in {"percent", "number"}:
        return float(value)
    if kind == "auto" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return str(value)


# Plain values stored as they are for these kinds of column (the outcome cell_value's general
# path gives them); anything else (numpy scalars, NaN in money, bool) takes that path.
_PLAIN_KINDS: dict[type, frozenset[str]] = {
    int: frozenset({"money", "count", "auto"}),
    float: frozenset({"percent", "number", "auto"}),
}
_TEXT_KINDS = frozenset({"text", "longtext", "auto"})


class Look(NamedTuple):
    """How a table cell looks: its column's kind, bold, the grey of a group row (E.81 program
    and Jumlah), the indent of wrapped text. Same look, same named style."""

    kind: str
    bold: bool = False
    group: bool = False
    indent: int = 0

    @property
    def name(self) -> str:
        """'Rekap Uang Tebal', 'Rekap Teks Menjorok 2', or HEADER_STYLE."""
        if self.kind == "header":
            return HEADER_STYLE
        parts = ["Rekap", STYLE_WORDS[self.kind][0]]
        parts += ["Tebal"] * self.bold + ["Kelompok"] * self.group
        return " ".join([*parts, f"Menjorok {self.indent}"] if self.indent else parts)

    def named_style(self) -> NamedStyle:
        """A fresh NamedStyle: one is bound to the single workbook it is added to."""
        if self.kind == "header":
            return NamedStyle(
                name=HEADER_STYLE,
                font=HEADER_FONT,
                fill=HEADER_FILL,
                alignment=HEADER_ALIGN,
                border=GRID,
            )
        wrapped = self.kind in WRAPPED_KINDS
        return NamedStyle(
            name=self.name,
            font=BOLD_FONT if self.bold else BODY_FONT,
            fill=GROUP_FILL if self.group else PatternFill(),
            border=GRID,
            alignment=Alignment(wrap_text=True, vertical="top", indent=self.indent)
            if wrapped
            else TOP,
            number_format=STYLE_WORDS[self.kind][1],
        )


HEADER_LOOK = Look("header")


def use_styles(wb: Workbook, looks: Sequence[Look]) -> list[str]:
    """The looks' style names, each registered once per workbook on first use."""
    known = set(wb.named_styles)
    names = []
    for look in looks:
        name = look.name
        if name not in known:
            wb.add_named_style(look.named_style())
            known.add(name)
        names.append(name)
    return names


def _style_arrays(wb: Workbook, looks: Sequence[Look]) -> list[StyleArray]:
    """The looks' registered style records, to copy into cells.

    Copying the record is what `cell.style = name` does, minus openpyxl's search of the style
    list by name on every cell (a list rebuilt per lookup: seconds at a province's size).
    """
    cache: dict[str, StyleArray] = wb.__dict__.setdefault("_rekap_style_arrays", {})
    out = []
    for look in looks:
        array = cache.get(look.name)
        if array is None:
            (name,) = use_styles(wb, [look])
            array = cache[name] = wb._named_styles[name].as_tuple()
        out.append(array)
    return out


@lru_cache(maxsize=512)
def _row_looks(
    kinds: tuple[str, ...], bold: bool, group: bool, indents: tuple[int, ...]
) -> tuple[Look, ...]:
    return tuple(
        Look(kind, bold, group, indent if kind in WRAPPED_KINDS else 0)
        for kind, indent in zip(kinds, indents, strict=True)
    )


def write_row(
    ws: Worksheet,
    row: int,
    values: Sequence[tuple[Any, str]],
    bold: bool = False,
    first_col: int = 1,
    group: bool = False,
    indents: Mapping[int, int] | None = None,
) -> None:
    """One table row with grid lines; text (unit text, file names, messages) is never a formula.

    `group`: the grey of a group row; `indents`: column -> indent of its wrapped text."""
    columns = range(first_col, first_col + len(values))
    looks = _row_looks(
        tuple(kind for _, kind in values),
        bold,
        group,
        tuple((indents or {}).get(col, 0) for col in columns),
    )
    arrays = _style_arrays(ws.parent, looks)
    for col, (value, kind), array in zip(columns, values, arrays, strict=True):
        write_cell(ws, row, col, cell_value(value, kind))._style = copy(array)


def write_header(ws: Worksheet, row: int, headers: Sequence[str], first_col: int = 1) -> None:
    """Bold, grey, wrapped column headers."""
    (name,) = use_styles(ws.parent, [HEADER_LOOK])
    for col, text in enumerate(headers, start=first_col):
        write_cell(ws, row, col, text).style = name


def write_line(ws: Worksheet, row: int, text: str, span: int, font: Font = BODY_FONT) -> None:
    """A sentence across `span` columns (merged, wrapped), e.g. 'Belum ada data IKU'."""
    cell = write_cell(ws, row, 1, text)
    cell.font = font
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    if span > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=span)
    width = sum(column_width(ws, c) for c in range(1, span + 1))
    per_unit = CHARS_PER_UNIT * 10 / (font.sz or 10) * (0.9 if font.b else 1)
    ws.row_dimensions[row].height = lines_of(text, width, per_unit) * (font.sz or 10) * 1.3 + 3


def column_width(ws: Worksheet, col: int) -> float:
    return ws.column_dimensions[get_column_letter(col)].width or 8.43


def lines_of(text: str, width: float, per_unit: float = CHARS_PER_UNIT) -> int:
    """Lines a wrapped text takes in a column `width` units wide."""
    chars = max(int(width * per_unit) - 1, 4)
    return sum(_wrapped_lines(part, chars) for part in str(text).split("\n"))


@lru_cache(maxsize=16384)
def _wrapped_lines(line: str, chars: int) -> int:
    """Cached: the same sub-kegiatan and unit names recur on thousands of rows."""
    if len(line) <= chars and "\t" not in line:  # fits (textwrap widens only tabs)
        return 1
    return max(len(textwrap.wrap(line, chars, break_on_hyphens=False)), 1)


def _one_line(text: str, width: float) -> bool:
    """True when the text fits one line of the column even in bold: it cannot make its row
    taller, so its cell's style need not be read."""
    return len(text) < max(int(width * BOLD_CHARS_PER_UNIT) - 1, 4) and not any(
        c in text for c in "\n\t"
    )


def fit_row_heights(ws: Worksheet, first_row: int, last_col: int) -> None:
    """Heights of the rows from `first_row` down, from their wrapped text.

    LibreOffice does not recompute row heights of an xlsx on opening (nor does Excel reliably),
    so a wrapped kendala would print over the next row; merged cells set their own height.
    """
    merged = {(r.min_row, r.min_col) for r in ws.merged_cells.ranges if r.max_col > r.min_col}
    widths = [column_width(ws, col) for col in range(1, last_col + 1)]
    looks = _LookCache()
    for row, cells in _rows(ws, first_row, last_col):
        lines = 1
        for cell in cells:
            value = cell._value
            if not isinstance(value, str) or _one_line(value, widths[cell.column - 1]):
                continue
            if (row, cell.column) in merged:
                continue
            wrapped, bold = looks.wrap_and_bold(cell)
            if not wrapped:
                continue
            per_unit = BOLD_CHARS_PER_UNIT if bold else CHARS_PER_UNIT
            lines = max(lines, lines_of(value, widths[cell.column - 1], per_unit))
        if lines > 1 and ws.row_dimensions[row].height is None:
            ws.row_dimensions[row].height = lines * LINE_POINTS + 2


def _rows(ws: Worksheet, first_row: int, last_col: int) -> Iterator[tuple[int, list[Cell]]]:
    """(row, its cells 1..last_col) from `first_row` to the last row, as ws.iter_rows gives
    them (a missing cell is created, as there), without its per-cell overhead."""
    cells = ws._cells
    for row in range(first_row, ws.max_row + 1):
        yield row, [cells.get((row, col)) or ws.cell(row, col) for col in range(1, last_col + 1)]


class _LookCache:
    """What rows need of a cell's style, read once per style record instead of once per cell
    (each read through openpyxl builds a proxy or the list of style names)."""

    def __init__(self) -> None:
        self._wrap_bold: dict[tuple[int, int], tuple[bool, bool]] = {}
        self._style_name: dict[int, str] = {}
        self._number_format: dict[int, str] = {}

    def wrap_and_bold(self, cell: Cell) -> tuple[bool, bool]:
        key = (cell._style.alignmentId, cell._style.fontId)
        found = self._wrap_bold.get(key)
        if found is None:
            wrapped = bool(cell.alignment and cell.alignment.wrap_text)
            found = self._wrap_bold[key] = (wrapped, bool(cell.font and cell.font.b))
        return found

    def style_name(self, cell: Cell) -> str:
        key = cell._style.xfId
        found = self._style_name.get(key)
        if found is None:
            found = self._style_name[key] = cell.style
        return found

    def number_format(self, cell: Cell) -> str:
        key = cell._style.numFmtId
        found = self._number_format.get(key)
        if found is None:
            found = self._number_format[key] = cell.number_format
        return found


def title_rows(
    ws: Worksheet, title: str, summary: Mapping[str, Any], span: int, note: str | None = None
) -> None:
    """Rows 1-2: 'DRAF — <title>' and the note (version, time, completeness), each merged across
    `span` columns and wrapped so nothing is cut off on paper. Call after the column widths."""
    word, mark_note = mark_of(summary)
    write_line(ws, 1, f"{word} — {title}", span, TITLE_FONT)
    if note is None:
        note = (
            f"{mark_note.split(' — ', 1)[1].capitalize()}. Versi {summary.get('version', '-')}, "
            f"disusun {waktu(summary.get('generated_at'))}. "
            f"{completeness_line(summary.get('counts') or {})}."
        )
    write_line(ws, 2, note, span, NOTE_FONT)


def set_widths(
    ws: Worksheet,
    kinds: Sequence[str],
    first_row: int,
    overrides: Mapping[int, float] | None = None,
) -> None:
    """Column widths from the content at or below `first_row`, within the bounds of each
    column's kind (WIDTHS). A header counts with its longest word (headers wrap between words);
    a cell merged across columns (a group header, a sentence) does not count."""
    overrides = overrides or {}
    spanning = {(r.min_row, r.min_col) for r in ws.merged_cells.ranges if r.max_col > r.min_col}
    highs = [WIDTHS[kind][1] for kind in kinds]
    longest = [WIDTHS[kind][0] for kind in kinds]
    looks = _LookCache()
    rows = _rows(ws, first_row, len(kinds)) if kinds else []
    for row, cells in rows:  # one pass over the rows, every column at once
        for index, cell in enumerate(cells):
            value = cell._value
            if value is None or isinstance(cell, MergedCell) or (row, cell.column) in spanning:
                continue
            if isinstance(value, str) and looks.style_name(cell) == HEADER_STYLE:
                # wraps between words; a bold word is wider
                words = value.split() or [""]
                length = min(
                    math.ceil(max(len(w) for w in words) / HEADER_CHARS_PER_UNIT), highs[index]
                )
            else:
                length = _display_length(value, looks.number_format(cell))
            longest[index] = max(longest[index], length + 1)
    for index, (most, high) in enumerate(zip(longest, highs, strict=True), start=1):
        width = overrides.get(index, min(most, high))
        ws.column_dimensions[get_column_letter(index)].width = width


def _display_length(value: Any, number_format: str) -> int:
    if isinstance(value, float) and number_format == PERCENT_FORMAT:
        return len(f"{value:.2f}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return len(f"{value:,.0f}") if float(value).is_integer() else len(f"{value:,}")
    return max(len(part) for part in str(value).split("\n"))


def header_height(ws: Worksheet, row: int, last_col: int) -> None:
    """Height of a wrapped header row: its tallest header (a merged header counts its span)."""
    merged = {r.min_col: r for r in ws.merged_cells.ranges if r.min_row == row}
    lines = 1
    for col in range(1, last_col + 1):
        value = ws.cell(row=row, column=col).value
        if value is None:
            continue
        span = merged.get(col)
        cols = range(col, (span.max_col if span else col) + 1)
        rows = (span.max_row - span.min_row + 1) if span else 1
        width = sum(column_width(ws, c) for c in cols)
        lines = max(lines, math.ceil(lines_of(str(value), width, BOLD_CHARS_PER_UNIT) / rows))
    ws.row_dimensions[row].height = lines * LINE_POINTS + 4


def _header_text(text: str) -> str:
    """Header/footer text with '&' doubled ('&' starts a code there)."""
    return text.replace("&", "&&")


def print_setup(
    ws: Worksheet,
    summary: Mapping[str, Any],
    title: str,
    repeat_rows: str | None,
    blocks: Sequence[tuple[int, int]] | None = None,
    repeat_cols: tuple[int, int] | None = None,
) -> None:
    """A4 landscape, header rows repeated, the mark in the page header, 'Halaman &P dari &N'.

    Without `blocks` a sheet is fitted to one page wide (pages only run downwards). A table too
    wide for that at a readable size gives `blocks`: column ranges each printed one page wide,
    with the identifying `repeat_cols` repeated on every page, at one scale that fits the widest
    block (Excel ignores manual page breaks when fitting to pages).
    """
    setup = ws.page_setup
    setup.orientation = "landscape"
    setup.paperSize = ws.PAPERSIZE_A4
    ws.page_margins = MARGINS
    if repeat_rows:
        ws.print_title_rows = repeat_rows
    if blocks:
        repeated = (
            sum(column_width(ws, c) for c in range(repeat_cols[0], repeat_cols[1] + 1))
            if repeat_cols
            else 0
        )
        widest = max(
            repeated + sum(column_width(ws, c) for c in range(start, end + 1))
            for start, end in blocks
        )
        setup.scale = max(10, min(100, math.floor(PAGE_WIDTH_UNITS * 100 / widest)))
        ws.sheet_properties.pageSetUpPr.fitToPage = False
        for _, end in blocks[:-1]:
            ws.col_breaks.append(Break(id=end))
        if repeat_cols:
            first, last = (get_column_letter(c) for c in repeat_cols)
            ws.print_title_cols = f"{first}:{last}"
        last_col = blocks[-1][1]
        ws.print_area = f"A1:{get_column_letter(last_col)}{max(ws.max_row, 1)}"
    else:
        setup.fitToWidth = 1
        setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    word, _ = mark_of(summary)
    header = ws.oddHeader
    header.left.text = _header_text(word)
    header.left.font = f"{FONT_NAME},Bold"
    header.left.color = "B91C1C"
    header.left.size = 11
    header.center.text = _header_text(title)
    header.center.size = 9
    header.right.text = _header_text(f"Versi {summary.get('version', '-')}")
    header.right.size = 9
    footer = ws.oddFooter
    footer.left.text = _header_text(f"Disusun {waktu(summary.get('generated_at'))}")
    footer.left.size = 8
    footer.center.text = "Halaman &P dari &N"
    footer.center.size = 9
    footer.right.text = "&A"  # the sheet's name
    footer.right.size = 8


def table_sheet(
    ws: Worksheet,
    title: str,
    summary: Mapping[str, Any],
    columns: Sequence[Column],
    rows: list[dict[str, Any]],
    total: Mapping[str, Any] | None,
    blocks: Sequence[tuple[int, int]] | None = None,
    repeat_cols: tuple[int, int] | None = None,
    widths: Mapping[int, float] | None = None,
) -> None:
    """Title rows, a frozen bold header, one row per record and an optional bold 'Jumlah' row;
    printed landscape (see rekap_layout.print_setup for `blocks`)."""
    write_header(ws, HEADER_ROW, [header for _, header, _ in columns])
    row_no = HEADER_ROW
    for record in rows:
        row_no += 1
        write_row(ws, row_no, [(record.get(key), kind) for key, _, kind in columns])
    if rows:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{row_no}"
    if total is not None and rows:
        row_no += 1
        values = [(total.get(key), kind) for key, _, kind in columns]
        values[0] = ("Jumlah", "text")
        write_row(ws, row_no, values, bold=True)
    set_widths(ws, [kind for _, _, kind in columns], HEADER_ROW, widths)
    header_height(ws, HEADER_ROW, len(columns))
    fit_row_heights(ws, HEADER_ROW + 1, len(columns))
    # a sheet printed in page columns keeps its title within the repeated columns, so the title
    # is whole on the first page of each page column
    title_rows(ws, title, summary, repeat_cols[1] if blocks and repeat_cols else len(columns))
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    print_setup(ws, summary, title, f"{HEADER_ROW}:{HEADER_ROW}", blocks, repeat_cols)
