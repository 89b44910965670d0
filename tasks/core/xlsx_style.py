"""Cell styles shared by the templates people fill in (grey = pre-filled, yellow = to fill)."""

from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.worksheet import Worksheet

from triwulan.tasks.core.xlsx_safe import write_cell

GREY = PatternFill("solid", fgColor="D9D9D9")  # pre-filled, read-only
GREY_HEADER = PatternFill("solid", fgColor="BFBFBF")
YELLOW = PatternFill("solid", fgColor="FFF2CC")  # to be filled by the unit
YELLOW_HEADER = PatternFill("solid", fgColor="FFD966")
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)


def header_cell(ws: Worksheet, column: int, key: str, is_input: bool, note: str) -> Cell:
    """A template's header: the contract key, yellow for inputs, grey and locked otherwise, its
    explanation as a comment (people hover over the header to learn what to type)."""
    header = write_cell(ws, 1, column, key)
    header.font = Font(bold=True)
    header.fill = YELLOW_HEADER if is_input else GREY_HEADER
    header.border = BORDER
    header.alignment = Alignment(vertical="center")
    header.protection = LOCKED
    header.comment = Comment(note, "triwulan", width=320, height=160)
    return header
