"""The page of a rekap sheet: title rows, paper and print setup, and whole table sheets.

Every sheet prints landscape and one page wide (never a left and a right half): A4, or F4 when
A4 would print it below MIN_SCALE. The title and note rows, the mark (DRAF, PRATINJAU, FINAL)
in the page header and 'Halaman n dari m' in the footer are the same on every sheet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from triwulan.tasks.publish.rekap_grid import Sheet
from triwulan.tasks.publish.rekap_layout import (
    A4,
    DEFAULT_WIDTH,
    F4,
    FONT_NAME,
    FOOTER_MARGIN,
    HEADER_MARGIN,
    HEADER_ROW,
    LINE_POINTS,
    MARGINS,
    MIN_SCALE,
    NOTE_FONT,
    PAPER_HEIGHT_POINTS,
    PAPER_WIDTH_UNITS,
    TITLE_FONT,
    Column,
    header_text,
    table_values,
)
from triwulan.tasks.publish.rekap_metrics import text_points, units_for
from triwulan.tasks.publish.report import completeness_line, mark_of, waktu

TITLE_SPAN_MAX = 40  # columns a title may run on over
HEADER_FOOTER_MAX = 255  # characters Excel keeps of a page header (XlsxWriter drops a longer one)


def title_rows(
    sheet: Sheet, title: str, summary: Mapping[str, Any], span: int, note: str | None = None
) -> None:
    """Rows 1-2: 'DRAF — <title>' and the note (version, time, completeness), each merged across
    `span` columns (more when the title needs them: it stays on one line) and wrapped so nothing
    is cut off on paper. Call after the column widths."""
    word, mark_note = mark_of(summary)
    text = f"{word} — {title}"
    # a title wider than a narrow table runs on over empty columns: one line, never wrapped
    needed = units_for(text_points(text, TITLE_FONT.bold, TITLE_FONT.size))
    while sheet.printed_width(span) < needed and span < TITLE_SPAN_MAX:
        span += 1
        if span not in sheet.widths:
            sheet.set_width(span, DEFAULT_WIDTH)
    sheet.line(1, text, span, TITLE_FONT)
    if note is None:
        note = (
            f"{mark_note.split(' — ', 1)[1].capitalize()}. Versi {summary.get('version', '-')}, "
            f"disusun {waktu(summary.get('generated_at'))}"
            + (f", anggaran {summary['anggaran']}. " if summary.get("anggaran") else ". ")
            + f"{completeness_line(summary.get('counts') or {})}."
        )
    sheet.line(2, note, span, NOTE_FONT)


def paper_for(width: float) -> tuple[int, int]:
    """(paper, scale %): A4 when a table `width` units wide prints on it at MIN_SCALE or more,
    else F4 (216 x 330 mm; Indonesian offices keep both). LibreOffice's fit-to-width scale is
    a whole percent, rounded down."""
    for paper in (A4, F4):
        scale = min(100, math.floor(PAPER_WIDTH_UNITS[paper] * 100 / max(width, 1)))
        if scale >= MIN_SCALE:
            return paper, scale
    return F4, scale


def print_setup(
    sheet: Sheet,
    summary: Mapping[str, Any],
    title: str,
    repeat_rows: tuple[int, int] | None,
    last_col: int | None = None,
) -> None:
    """Landscape, one page wide (rows run down the pages, never a left and a right half), the
    `repeat_rows` on every page, the mark in the page header, 'Halaman &P dari &N'.

    `last_col`: the last printed column (columns after it are for filtering on screen); the
    paper is A4 or F4 by the printed width (paper_for). Call after the widths.
    """
    ws = sheet.ws
    printed = last_col or max(sheet.widths, default=1)
    sheet.paper, sheet.scale = paper_for(sheet.printed_width(printed))
    ws.set_landscape()
    ws.set_paper(sheet.paper)
    ws.set_margins(**MARGINS)
    if repeat_rows:
        ws.repeat_rows(repeat_rows[0] - 1, repeat_rows[1] - 1)
    if last_col:
        ws.print_area(0, 0, max(sheet.last_row, 1) - 1, last_col - 1)
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


def keep_together(sheet: Sheet, first: int, last: int, repeat_rows: tuple[int, int] | None) -> None:
    """A page break before row `first` when rows first..last (a signature block) would otherwise
    start on one page and end on the next. Pages are counted from the row heights at the scale
    print_setup estimated, with a little room to spare. Call after print_setup."""
    top, bottom = MARGINS["top"], MARGINS["bottom"]
    room = (PAPER_HEIGHT_POINTS[sheet.paper] - 72 * (top + bottom)) * 100 / sheet.scale * 0.97

    def height(row: int) -> float:
        return sheet.heights.get(row, LINE_POINTS)

    repeated = (
        sum(height(r) for r in range(repeat_rows[0], repeat_rows[1] + 1)) if repeat_rows else 0
    )
    used = 0.0
    for row in range(1, first):
        if used + height(row) > room:
            used = repeated
        used += height(row)
    block = sum(height(r) for r in range(first, last + 1))
    if used + block > room and block + repeated <= room:
        sheet.ws.set_h_pagebreaks([first - 1])


def table_sheet(
    sheet: Sheet,
    title: str,
    summary: Mapping[str, Any],
    columns: Sequence[Column],
    data: pd.DataFrame | Sequence[Mapping[str, Any]] | None,
    total: Mapping[str, Any] | None,
    printed: int | None = None,
    widths: Mapping[int, float] | None = None,
    highs: Mapping[int, float] | None = None,
) -> None:
    """Title rows, a frozen bold header, one row per record (of a frame or a list) and an
    optional bold 'Jumlah' row; printed landscape one page wide. `printed`: how many of the
    columns are printed (the rest are for filtering on screen); `widths`, `highs`: fixed
    widths and upper bounds of columns (set_widths)."""
    kinds = [kind for _, _, kind in columns]
    sheet.header(HEADER_ROW, [header for _, header, _ in columns])
    row_no = sheet.table(HEADER_ROW + 1, table_values(data, columns), kinds, raw=False)
    if row_no > HEADER_ROW:
        sheet.ws.autofilter(HEADER_ROW - 1, 0, row_no - 1, len(columns) - 1)
        if total is not None:
            values = [total.get(key) for key, _, _ in columns]
            values[0], kinds_total = "Jumlah", ["text", *kinds[1:]]
            sheet.table(row_no + 1, [[v] for v in values], kinds_total, bold=[True])
    sheet.set_widths(kinds, HEADER_ROW, widths, highs)
    last = printed or len(columns)
    sheet.header_height(HEADER_ROW)
    sheet.fit_row_heights(HEADER_ROW + 1, last)
    title_rows(sheet, title, summary, last)
    sheet.ws.freeze_panes(HEADER_ROW, 0)
    print_setup(sheet, summary, title, (HEADER_ROW, HEADER_ROW), last if printed else None)
