"""Signature blocks of the rekap (Ringkasan and E.81): place and date, role, position, name, NIP.

The signatories come from summary["pengesahan"] (reference pejabat.csv). Only a FINAL version is
signed: it shows the date it was made final (summary["tanggal_pengesahan"]), the names, ranks and
NIP. A DRAF (anything not FINAL) keeps the blocks to be filled in by hand: the role and the
position, dotted lines for the date, the name and the NIP. A summary made before signatories
existed has no block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from triwulan.tasks.core.signature import DOTS, signature_blocks
from triwulan.tasks.publish.rekap_grid import Sheet
from triwulan.tasks.publish.rekap_layout import Font

SIGN_FONT = Font(align="center")
NAME_FONT = Font(bold=True, align="center", underline=True)
SIGN_SPACE = 48  # points left blank for the signature and stamp


def _lines(block: Mapping[str, str]) -> list[str]:
    """The block's rows, top to bottom (the signature space is the row after the position)."""
    return [
        block["tempat_tanggal"],
        block["label"],
        block["jabatan"],
        "",
        block["nama"],
        block["pangkat"],
        block["nip"],
    ]


def spans(sheet: Sheet, last_col: int, count: int) -> list[tuple[int, int]]:
    """`count` runs of columns across 1..last_col of about equal width, with a gap between."""
    total = sheet.printed_width(last_col)
    bounds, start, used = [], 1, 0.0
    for col in range(1, last_col + 1):
        used += sheet.width(col)
        if used >= total * (len(bounds) + 1) / count - 1e-9 or col == last_col:
            bounds.append((start, col))
            start = col + 1
        if len(bounds) == count:
            break
    return [b for b in bounds if b[0] <= b[1]]


def signature_block(
    sheet: Sheet,
    row: int,
    summary: Mapping[str, Any],
    roles: Sequence[str],
    last_col: int,
) -> int:
    """The blocks of `roles` (pejabat 'peran') side by side from `row`; returns the last row
    written (row - 1 when the summary has no signatories)."""
    chosen = signature_blocks(summary, roles)
    if not chosen:
        return row - 1
    blocks = [_lines(block) for block in chosen]
    runs = spans(sheet, last_col, len(chosen))
    for offset in range(len(blocks[0])):
        height = 0.0
        for (first, last), block in zip(runs, blocks, strict=False):
            text = block[offset]
            font = NAME_FONT if offset == 4 and text != DOTS else SIGN_FONT
            height = max(height, sheet.sentence(row + offset, first, last, text, font))
        sheet.set_height(row + offset, SIGN_SPACE if offset == 3 else height)
    return row + len(blocks[0]) - 1
