"""How rekap.xlsx looks on screen and on paper: fonts, cell formats, value types, size estimates.

The rekap is printed by the secretariat (LibreOffice or Excel) and filed with the report: every
sheet prints landscape, one page wide (A4, or F4 when A4 would print it below MIN_SCALE), with
its header rows repeated on each page (rekap_grid.print_setup). This module holds what that needs
without a worksheet: the looks of cells as XlsxWriter format properties, the value a cell stores,
and estimates of column widths and wrapped lines from the font's metrics (rekap_metrics),
computed a column at a time (a province's quarter has about 24,000 rows in each big sheet).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_integer_dtype, is_numeric_dtype

from triwulan.tasks.core.fmt import plain
from triwulan.tasks.core.xlsx_safe import cell_text
from triwulan.tasks.publish.rekap_metrics import (
    WORD_GAPS,
    line_count,
    longest_word_points,
    number_units,
    room,
    text_points,
    units_for,
)

# [$-421] is Indonesian: LibreOffice then prints 46.754.089.520 and 96,03 whatever the PC's
# locale (tested under en_US, C and de_DE); Excel keeps the separators of Windows' regional
# settings (docs/rekap-cetak.md).
LOCALE_TAG = "[$-421]"
MONEY_FORMAT = f"{LOCALE_TAG}#,##0"
PERCENT_FORMAT = f"{LOCALE_TAG}0.00"
NUMBER_FORMAT = f"{LOCALE_TAG}General"  # volumes such as 554,5: as many decimals as they have
# Arial is on every Windows, and LibreOffice maps it to the metric-compatible Liberation Sans:
# widths and page breaks come out the same in Excel and LibreOffice (Calibri has no such twin on
# a plain Linux, where LibreOffice fell back to a wider serif font).
FONT_NAME = "Arial"


class Font(NamedTuple):
    """A font of the rekap (always Arial), with the alignment of the sentence written in it."""

    size: float = 10
    bold: bool = False
    italic: bool = False
    color: str | None = None
    align: str | None = None  # 'center' for signature blocks and the E.81 form title
    underline: bool = False


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
    "number": NUMBER_FORMAT,
    "auto": NUMBER_FORMAT,
    "auto_money": MONEY_FORMAT,  # a figure of mixed kind that is rupiah (Perubahan)
    "text": None,
    "longtext": None,
}
WRAPPED_KINDS = {"text", "longtext"}
# Column width one indent step takes from wrapped text: about 10 px in Excel (LibreOffice draws
# the xlsx indent narrower)
INDENT_UNITS = 1.5
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

# Column width bounds (units: digits of Arial 10) per kind of column: the content and the longest
# header word decide within them; long text wraps inside the upper bound, so a row is a few
# lines high and the table fits a landscape page.
WIDTHS = {
    "money": (3, 16),
    "percent": (3, 11),
    "number": (4, 10),
    "text": (4, 22),
    "longtext": (10, 30),
    "count": (3, 8),
    "auto": (6, 16),
}
DEFAULT_WIDTH = 8.43  # Excel's width of a column nobody sized
PIXELS_PER_UNIT = 7  # of Arial 10's digits: a width of n units is stored as exactly n
# Height of one line of 10 pt text: Excel draws Arial 10 lines 17 px (12.75 pt) apart and cuts
# a row that is lower; LibreOffice needs 11.2 pt, so its multi-line rows keep a little air.
LINE_POINTS = 12.75
ROW_PADDING = 2  # points above and below the text of a row sized here
# Printable width of landscape paper between the margins below, in column width units, as
# LibreOffice fits them (measured with 0.4 in margins: 200 units print at 70% on A4, 280 at
# 56% on F4; 0.3 in margins leave 142 and 158).
MARGINS = {"left": 0.3, "right": 0.3, "top": 0.75, "bottom": 0.6}
HEADER_MARGIN = FOOTER_MARGIN = 0.3
A4 = 9  # paper size codes of Excel's page setup
F4 = 14  # "Folio" 8.5 x 13 in (216 x 330 mm), the F4 of Indonesian offices
PAGE_WIDTH_UNITS = 142  # A4
PAPER_WIDTH_UNITS = {A4: PAGE_WIDTH_UNITS, F4: 158}
PAPER_HEIGHT_POINTS = {A4: 595.3, F4: 612.0}  # landscape: the short side
MIN_SCALE = 60  # percent: below it 10 pt prints under 6 pt; a wider sheet goes on F4


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
    if font.align:
        props["align"] = font.align
    if font.underline:
        props["underline"] = 1
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


def lines_of(text: str, width: float, bold: bool = False, size: float = 10) -> int:
    """Lines a wrapped text takes in a column `width` units wide (rekap_metrics.line_count)."""
    return line_count(str(text), float(width), bold, size)


# An upper bound of any character's width (em): a text this many characters long fits for sure
_WIDEST_CHAR = 1.015


def column_lines(values: Sequence[Any], width: float, bold: np.ndarray | None) -> np.ndarray:
    """Lines each text of a wrapped column takes (1 for an empty or number cell); `bold`: which
    rows are bold (wider letters), None for none.

    A text short enough to fit whatever its letters is not measured; the others are measured
    once per distinct text (and boldness).
    """
    texts = pd.Series(values, dtype=object)
    lengths = texts.str.len()  # NaN for None and numbers
    fits = int(room(width) / (10 * _WIDEST_CHAR))
    longer = lengths.gt(fits) | texts.str.contains("\n", na=False, regex=False)
    lines = np.ones(len(texts), dtype=np.int64)
    if not longer.any():
        return lines
    bolds = np.zeros(len(texts), dtype=bool) if bold is None else np.asarray(bold, dtype=bool)
    for is_bold in (False, True):
        rows = longer.to_numpy() & (bolds == is_bold)
        if not rows.any():
            continue
        picked = texts[rows]
        counts = {text: lines_of(text, width, is_bold) for text in picked.unique()}
        lines[rows] = picked.map(counts).to_numpy(dtype=np.int64)
    return lines


_MEASURED_TEXTS = 64  # the longest distinct texts of a column measured for its width


def texts_units(texts: Sequence[str], bold: bool = False) -> float:
    """Width (units) the longest line among the texts needs on one line (0 for none)."""
    if not texts:
        return 0.0
    lines = {line for text in set(texts) for line in text.split("\n")}
    longest = sorted(lines, key=len, reverse=True)[:_MEASURED_TEXTS]
    return units_for(max(text_points(line, bold) for line in longest))


def words_units(texts: Sequence[Any], bold: np.ndarray | None = None) -> float:
    """Width (units) of the widest word among the texts, those of `bold` rows measured in bold
    (each distinct word measured once)."""
    widest = 0.0
    for is_bold in (False, True):
        if bold is None:
            picked = texts if not is_bold else []
        else:
            picked = [t for t, b in zip(texts, bold, strict=True) if b == is_bold]
        distinct = {t for t in picked if type(t) is str}
        if not distinct:
            continue
        words = set(WORD_GAPS.split("\n".join(distinct)))
        longest = sorted(words, key=len, reverse=True)[:_MEASURED_TEXTS]
        widest = max(widest, units_for(max(text_points(w, is_bold) for w in longest)))
    return widest


def header_units(text: str, high: float) -> float:
    """Width a header needs: its widest word whole (headers wrap between words, in bold)."""
    return min(units_for(longest_word_points(text, bold=True)), high)


def shown(value: float, kind: str) -> str:
    """A number as its cell shows it (for its width): 46.754.089.520, 96,03, 554,5."""
    if kind in {"money", "auto_money"}:
        return f"{round(value):,}"
    if kind == "percent":
        return f"{value:.2f}"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.10g}"  # General: up to 10 significant digits


def numbers_units(numbers: Sequence[float], kind: str) -> float:
    """Width (units) of the widest number as shown (0 for none).

    Integers and 0.00 percentages are as wide as the largest or the smallest of them; other
    fractions are measured one by one."""
    if not numbers:
        return 0.0
    if kind == "percent":
        texts = [shown(v, kind) for v in (max(numbers), min(numbers))]
    else:
        integers = [v for v in numbers if type(v) is int or float(v).is_integer()]
        fractions = {v for v in numbers if not (type(v) is int or float(v).is_integer())}
        ends = (max(integers), min(integers)) if integers else ()
        texts = [shown(v, kind) for v in (*ends, *fractions)]
    return max(number_units(t) for t in texts)


def values_units(values: Sequence[Any], kind: str) -> float:
    """Width (units) the widest cell of a column needs (text: its longest line)."""
    texts = [v for v in values if type(v) is str]
    numbers = [v for v in values if v is not None and type(v) is not str]
    return max(texts_units(texts), numbers_units(numbers, kind))


def header_text(text: str) -> str:
    """Header/footer text with '&' doubled ('&' starts a code there)."""
    return text.replace("&", "&&")
