"""How wide text and numbers print in the rekap's Arial 10, and how many lines wrapped text takes.

Row heights and column widths of rekap.xlsx are fixed when it is written (LibreOffice does not
recompute them on opening an xlsx, Excel not reliably), so they come from the font's own advance
widths (Liberation Sans, metric-compatible with Arial; in 1/1000 em) rather than a guess per
character: a file name of capitals and underscores is twice as wide as one of 'i' and 'l'.

A column of width w (units of 7 px) holds about 5.45 w - 0.5 pt of text in LibreOffice 7
(measured: it draws a unit as 5.56 pt); Excel draws it 7 w px wide but with glyphs hinted to
whole pixels, about 5% narrower than their advance widths, which comes to much the same. The
estimate keeps 1 pt less. Numbers are sized by Excel's pixels, where a number that does not
fit prints as ###.
Lines break after a space or a hyphen; a word wider than the column is cut into pieces, as
LibreOffice does. LibreOffice sometimes also breaks after a slash ('dan/atau') and sometimes cuts
such a word instead ('Listrik/Penerangan'), so the line count takes a slash as no break: a row
is never too low for its text.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

# Advance widths of the printable ASCII characters ' '..'~' (1/1000 em), regular and bold.
_REGULAR = (
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 "
    "556 556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 "
    "556 833 722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 "
    "556 500 556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 "
    "500 500 500 334 260 334 584"
)
_BOLD = (
    "278 333 474 556 556 889 722 238 333 333 389 584 278 333 278 278 556 556 556 556 556 556 "
    "556 556 556 556 333 333 584 584 584 611 975 722 722 722 722 667 611 778 722 278 556 722 "
    "611 833 722 778 667 778 722 667 611 722 667 944 667 667 611 333 278 333 584 556 333 556 "
    "611 556 611 556 333 611 611 278 278 556 278 889 611 611 611 611 389 556 333 611 556 778 "
    "556 556 500 389 280 389 584"
)
_OTHER = {"–": 556, "—": 1000, "…": 1000, "’": 222, "‘": 222, "“": 333, "”": 333, "•": 350}
_UNKNOWN = 600  # accented letters and the rest: about a wide lowercase letter


def _table(widths: str) -> dict[str, int]:
    table = {chr(32 + i): int(w) for i, w in enumerate(widths.split())}
    return table | _OTHER


ADVANCE = {False: _table(_REGULAR), True: _table(_BOLD)}
POINTS_PER_UNIT = 5.45  # points of text per column width unit
SPARE_POINTS = 1.5  # kept free in every cell
# Excel's pixels of Arial 10 at 96 dpi: digits 7 px; separators, minus sign and space 4 px
_NUMBER_PIXELS = {**{d: 7 for d in "0123456789"}, ".": 4, ",": 4, "-": 4, " ": 4}
NUMBER_PADDING_PIXELS = 5
_BREAK = re.compile(r"[^ \-]*(?:-+ *| +|$)")  # a piece ends after spaces or '-'


def text_points(text: str, bold: bool = False, size: float = 10) -> float:
    """Printed width of one line of text, in points."""
    table = ADVANCE[bold]
    return sum(table.get(ch, _UNKNOWN) for ch in text) * size / 1000


def room(width: float) -> float:
    """Points of text a cell `width` units wide holds on one line."""
    return max(width * POINTS_PER_UNIT - SPARE_POINTS, 4.0)


def units_for(points: float) -> float:
    """The column width (units, to a whole pixel) whose cells hold `points` of text on a line."""
    return math.ceil((points + SPARE_POINTS) / POINTS_PER_UNIT * 7) / 7


def number_units(shown: str) -> float:
    """The column width (units, to a whole pixel) a number shown as `shown` needs, without ###."""
    pixels = sum(_NUMBER_PIXELS.get(ch, 8) for ch in shown) + NUMBER_PADDING_PIXELS
    return pixels / 7


@lru_cache(maxsize=65536)
def line_count(text: str, width: float, bold: bool = False, size: float = 10) -> int:
    """Lines a wrapped text takes in a column `width` units wide (cached: names recur)."""
    limit = room(width) * 10 / size
    return sum(_paragraph_lines(part, limit, bold) for part in text.split("\n"))


def _paragraph_lines(text: str, limit: float, bold: bool) -> int:
    """Greedy line filling over the pieces LibreOffice may break after."""
    if text_points(text, bold) <= limit:
        return 1
    lines, used = 1, 0.0
    for piece in _BREAK.findall(text):
        if not piece:
            continue
        word = piece.rstrip(" ")
        width, whole = text_points(word, bold), text_points(piece, bold)
        if used and used + width > limit:  # the piece starts a new line
            lines, used = lines + 1, 0.0
        if width > limit:  # a word wider than the column is cut into pieces
            extra = math.ceil(width / limit) - 1
            lines += extra
            used = width - extra * limit
            used += whole - width
            continue
        used += whole
    return lines


WORD_GAPS = re.compile(r"(?<=[-/])|[ \n]+")  # where LibreOffice may break a line


def longest_word_points(text: str, bold: bool = False) -> float:
    """Width of the widest piece of a text between places LibreOffice may break it (a header
    or cell narrower than that has a word cut in two)."""
    return max((text_points(w, bold) for w in WORD_GAPS.split(text) if w), default=0.0)
