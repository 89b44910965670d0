"""Text from units and files goes into spreadsheets as text, never as a formula.

A kendala such as =HYPERLINK("http://evil.example","x"), or a file name starting with '=', would
otherwise become a live formula in the rekap mailed to the Camat (formula/CSV injection). Every
cell this project fills from data goes through `write_cell` (openpyxl), `cell_text` before
XlsxWriter's write_string (`write_value`, or a whole column in rekap_grid, in a workbook made with
SAFE_WORKBOOK_OPTIONS) or `csv_text` (CSV); formulas the code means to write (data validation
rules) do not come from data and do not pass here.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet as XlsxWorksheet

from triwulan.tasks.core.parse import parse_number

# What Excel, LibreOffice and Google Sheets may read as the start of a formula (OWASP CSV
# injection: =, +, -, @, tab, carriage return).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel refuses a cell longer than this (it "repairs" the workbook and empties the cell).
CELL_TEXT_MAX = 32_767
# XlsxWriter's write() would turn '=...' into a formula, 'http://...' into a link and '1e5' into a
# number; with these options (and write_string for text) a string stays the string it was.
SAFE_WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet could take this text for a formula."""
    return text.startswith(FORMULA_START)


def cell_text(value: str) -> str:
    """Text openpyxl can store and Excel opens: control characters removed, length capped."""
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    return text if len(text) <= CELL_TEXT_MAX else text[: CELL_TEXT_MAX - 1] + "…"


def write_cell(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Put a value in a cell; a string always stays a string.

    openpyxl turns a str starting with '=' into a formula and '#N/A' into an error value; setting
    data_type 's' after assigning makes it write the text as an inline string (t="inlineStr")
    instead. Numbers, dates and None are stored as they are.
    """
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = cell_text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def write_value(
    ws: XlsxWorksheet, row: int, column: int, value: Any, cell_format: Format | None = None
) -> None:
    """XlsxWriter's counterpart of `write_cell` (row and column 0-based): a string always stays
    a string, written with write_string after `cell_text`; numbers are numbers; None, NaN and
    infinities (which Excel cannot store) leave the cell empty, with its format.
    """
    if isinstance(value, str):
        ws.write_string(row, column, cell_text(value), cell_format)
    elif (
        isinstance(value, numbers.Real)  # numpy's integers and floats too
        and not isinstance(value, bool | np.bool_)
        and math.isfinite(value)
    ):
        ws.write_number(row, column, value, cell_format)
    elif value is None or isinstance(value, float | np.floating):
        ws.write_blank(row, column, None, cell_format)
    else:
        ws.write_string(row, column, cell_text(str(value)), cell_format)


def csv_text(text: str) -> str:
    """A CSV field that a spreadsheet opens as the same text, not as a formula.

    OWASP: a field starting with a formula character gets a leading single quote. A plain number
    ('-5', '-82,5') is left alone: spreadsheets read it as a number, not a formula, and the quote
    would make the number unreadable for tasks.collect.ingest.
    """
    if looks_like_formula(text) and parse_number(text) is None:
        return "'" + text
    return text
