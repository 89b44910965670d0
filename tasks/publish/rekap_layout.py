"""How rekap.xlsx looks on screen and on paper: fonts, cell formats, value types, size estimates.

The rekap is printed by the secretariat (LibreOffice or Excel) and filed with the report, so every
sheet prints landscape on A4 with its header row repeated on each page (rekap_grid.print_setup).
This module holds what that needs without a worksheet: the looks of cells as XlsxWriter format
properties, the value a cell stores, and estimates of column widths and wrapped lines, computed a
column at a time (a province's quarter has about 24,000 rows in each of its two big sheets).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_integer_dtype, is_numeric_dtype

from triwulan.tasks.core.fmt import plain
from triwulan.tasks.core.xlsx_safe import cell_text

MONEY_FORMAT = "#,##0"
PERCENT_FORMAT = "0.00"
# Arial is on every Windows, and LibreOffice maps it to the metric-compatible Liberation Sans:
# widths and page breaks come out the same in Excel and LibreOffice (Calibri has no such twin on
# a plain Linux, where LibreOffice fell back to a wider serif font).
FONT_NAME = "Arial"


class Font(NamedTuple):
    """A font of the rekap (always Arial)."""

    size: float = 10
    bold: bool = False
    italic: bool = False
    color: str | None = None


BODY_FONT = Font()
BOLD_FONT = Font(bold=True)
TITLE_FONT = Font(size=13, bold=True, color="#B91C1C")
NOTE_FONT = Font(size=9, italic=True, color="#6B7280")
HEADER_FILL = "#E5E7EB"
GROUP_FILL = "#F3F4F6"
GRID_COLOR = "#9CA3AF"  # thin lines around every table cell
# The workbook's default font (its Normal style): column widths are counted in digits of it, so
# with a Calibri that LibreOffice lacks, the page breaks (PAGE_WIDTH_UNITS) came out wrong. No
# theme font scheme, or Excel would show the theme's Calibri instead.
DEFAULT_FONT = {"font_name": FONT_NAME, "font_size": 10, "font_scheme": "none"}
HEADER_ROW = 4  # rows 1-2: title and note, 3 blank, 4 header
NUMBER_FORMATS = {  # kind of column -> number format (None: General)
    "money": MONEY_FORMAT,
    "percent": PERCENT_FORMAT,
    "count": "0",
    "number": None,
    "auto": None,
    "auto_money": MONEY_FORMAT,  # a figure of mixed kind that is rupiah (Perubahan)
    "text": None,
    "longtext": None,
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
DEFAULT_WIDTH = 8.43  # Excel's width of a column nobody sized
PIXELS_PER_UNIT = 7  # of Arial 10's digits: a width of n units is stored as exactly n
LINE_POINTS = 12.75  # height of one line of 10 pt text
# Characters of wrapped 10 pt Arial text per column width unit, a little below what LibreOffice
# fits (long words wrap early), so estimated heights never cut a line off. Bold text is wider.
CHARS_PER_UNIT = 1.1
BOLD_CHARS_PER_UNIT = 0.95
HEADER_CHARS_PER_UNIT = 0.85  # a header word must fit whole: LibreOffice breaks it otherwise
# Printable width of A4 landscape between the margins below, in Excel width units
# (297 mm - 2 x 0.4 in = 276.7 mm = 1046 px at 96 dpi, about 7 px per width unit).
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.75, "bottom": 0.6}
HEADER_MARGIN = FOOTER_MARGIN = 0.3
PAGE_WIDTH_UNITS = 140
A4 = 9  # paper size code of Excel's page setup


class Look(NamedTuple):
    """How a table cell looks: its column's kind, bold, the grey of a group row (E.81 program
    and Jumlah), the indent of wrapped text. One look, one shared XlsxWriter format."""

    kind: str
    bold: bool = False
    group: bool = False
    indent: int = 0

    def properties(self) -> dict[str, Any]:
        """XlsxWriter format properties: thin grey grid, top-aligned, wrapped text."""
        if self.kind == "header":
            return {
                "bold": True,
                "bg_color": HEADER_FILL,
                "pattern": 1,
                "text_wrap": True,
                "align": "center",
                "valign": "vcenter",
                "border": 1,
                "border_color": GRID_COLOR,
            }
        props: dict[str, Any] = {"border": 1, "border_color": GRID_COLOR, "valign": "top"}
        if self.bold:
            props["bold"] = True
        if self.group:
            props |= {"pattern": 1, "bg_color": GROUP_FILL}
        if self.kind in WRAPPED_KINDS:
            props["text_wrap"] = True
            if self.indent:
                props["indent"] = self.indent
        if NUMBER_FORMATS[self.kind]:
            props["num_format"] = NUMBER_FORMATS[self.kind]
        return props


HEADER_LOOK = Look("header")


def font_properties(font: Font) -> dict[str, Any]:
    """XlsxWriter format properties of a sentence across columns (title, note, 'Belum ada')."""
    props: dict[str, Any] = {"font_size": font.size, "text_wrap": True, "valign": "top"}
    if font.bold:
        props["bold"] = True
    if font.italic:
        props["italic"] = True
    if font.color:
        props["font_color"] = font.color
    return props


# --- values --------------------------------------------------------------------------------------


def cell_value(value: Any, kind: str) -> Any:
    """The value as stored: int rupiah, float percentages/volumes, text; None stays empty (as do
    NaN and infinities, which Excel cannot store)."""
    known = _PLAIN_KINDS.get(type(value))  # the common plain values, without plain()'s checks
    if known is not None and kind in known:
        return None if value != value or value in _INFINITE else value  # NaN (float) is empty
    if type(value) is str and kind in _TEXT_KINDS:
        return value if value.strip() else None
    value = plain(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and not math.isfinite(value) and kind not in _WORD_KINDS:
        return None
    if kind in {"money", "count"}:
        return int(value)
    if kind in {"percent", "number"}:
        return float(value)
    if kind in _AUTO_KINDS and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return str(value)


# Plain values stored as they are for these kinds of column (the outcome cell_value's general
# path gives them); anything else (numpy scalars, NaN in money, bool) takes that path.
_AUTO_KINDS = frozenset({"auto", "auto_money"})
_PLAIN_KINDS: dict[type, frozenset[str]] = {
    int: frozenset({"money", "count", *_AUTO_KINDS}),
    float: frozenset({"percent", "number", *_AUTO_KINDS}),
}
_TEXT_KINDS = frozenset({"text", "longtext", *_AUTO_KINDS})
_WORD_KINDS = frozenset({"text", "longtext"})  # keep 'inf' as the text it was
_INFINITE = (math.inf, -math.inf)


def stored(value: Any, kind: str) -> Any:
    """cell_value, with text made storable (xlsx_safe.cell_text: control characters removed,
    length capped)."""
    value = cell_value(value, kind)
    return cell_text(value) if isinstance(value, str) else value


def column_values(series: pd.Series, kind: str) -> list[Any]:
    """`stored` over a whole column, a column at a time where pandas can: numbers from their
    array, each distinct text once (names and codes recur on thousands of rows)."""
    if kind in {"money", "count"} and is_integer_dtype(series) and not is_bool_dtype(series):
        return series.to_numpy(dtype=object, na_value=None).tolist()
    if kind in {"percent", "number"} and is_numeric_dtype(series) and not is_bool_dtype(series):
        array = series.to_numpy(dtype=float, na_value=np.nan)
        return np.where(np.isfinite(array), array, None).tolist()
    if kind in WRAPPED_KINDS:
        codes, uniques = pd.factorize(series.astype(object))
        texts = np.array([stored(u, kind) for u in uniques] + [None], dtype=object)
        return texts[codes].tolist()  # code -1 (missing) takes the None at the end
    return [stored(v, kind) for v in series.to_numpy(dtype=object)]


def table_values(
    data: pd.DataFrame | Sequence[Mapping[str, Any]] | None, columns: Sequence[Column]
) -> list[list[Any]]:
    """The stored values of each column (by key; a missing key is an empty column) of a frame
    or of records."""
    if data is None or len(data) == 0:
        return [[] for _ in columns]
    if isinstance(data, pd.DataFrame):
        empty = pd.Series([None] * len(data), index=data.index, dtype=object)
        return [
            column_values(data[key] if key in data.columns else empty, kind)
            for key, _, kind in columns
        ]
    return [
        column_values(pd.Series([row.get(key) for row in data], dtype=object), kind)
        for key, _, kind in columns
    ]


# --- sizes ---------------------------------------------------------------------------------------


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


def column_lines(values: Sequence[Any], width: float, bold: np.ndarray | None) -> np.ndarray:
    """Lines each text of a wrapped column takes (1 for an empty or number cell); `bold`: which
    rows are bold (wider letters), None for none.

    A text that fits one line even in bold is not wrapped at all; the others are wrapped once
    per distinct text (and boldness).
    """
    texts = pd.Series(values, dtype=object)
    lengths = texts.str.len()  # NaN for None and numbers
    fits = max(int(width * BOLD_CHARS_PER_UNIT) - 1, 4)
    longer = lengths.ge(fits) | texts.str.contains("[\n\t]", na=False, regex=True)
    lines = np.ones(len(texts), dtype=np.int64)
    if not longer.any():
        return lines
    bolds = np.zeros(len(texts), dtype=bool) if bold is None else np.asarray(bold, dtype=bool)
    for is_bold in (False, True):
        rows = longer.to_numpy() & (bolds == is_bold)
        if not rows.any():
            continue
        per_unit = BOLD_CHARS_PER_UNIT if is_bold else CHARS_PER_UNIT
        picked = texts[rows]
        counts = {text: lines_of(text, width, per_unit) for text in picked.unique()}
        lines[rows] = picked.map(counts).to_numpy(dtype=np.int64)
    return lines


def text_width(texts: Sequence[str]) -> int:
    """Characters of the longest line among the texts (0 for none)."""
    return max(map(len, "\n".join(texts).split("\n"))) if texts else 0


def header_width(text: str, high: float) -> int:
    """Width a header needs: its longest word whole (headers wrap between words, in bold)."""
    words = text.split() or [""]
    return min(math.ceil(max(len(w) for w in words) / HEADER_CHARS_PER_UNIT), high)


def numbers_width(numbers: Sequence[float], percent: bool) -> int:
    """Characters of the widest number as shown: '1,234,567' (#,##0 and General), '12.34' (0.00).

    Integers and 0.00 percentages are as wide as the largest or the smallest of them; other
    fractions are measured one by one."""
    if not numbers:
        return 0
    if percent:
        return max(len(f"{v:.2f}") for v in (max(numbers), min(numbers)))
    integers = [v for v in numbers if type(v) is int or float(v).is_integer()]
    fractions = {v for v in numbers if not (type(v) is int or float(v).is_integer())}
    ends = (max(integers), min(integers)) if integers else ()
    return max(
        [len(f"{v:,.0f}") for v in ends] + [len(f"{v:,}") for v in fractions],
        default=0,
    )


def values_width(values: Sequence[Any], percent: bool) -> int:
    """Characters of the widest cell of a column as shown (text: its longest line)."""
    texts = [v for v in values if type(v) is str]
    numbers = [v for v in values if v is not None and type(v) is not str]
    return max(text_width(texts), numbers_width(numbers, percent))


def header_text(text: str) -> str:
    """Header/footer text with '&' doubled ('&' starts a code there)."""
    return text.replace("&", "&&")
