"""A unit's template filled the way a clerk fills it (shared by the portal tests)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from openpyxl import load_workbook

from triwulan.tasks.collect.template import write_template
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference
from triwulan.tasks.core.submission import columns


def filled_template(
    ref: Reference,
    period: Period,
    unit: str,
    path: Path,
    cells: Mapping[tuple[int, str], object] | None = None,
) -> Path:
    """The unit's xlsx template with plausible realisasi on every row (90% of the target to
    date, fisik 47,5, one output); `cells` overrides (Excel row, column key) afterwards."""
    write_template(ref, period, unit, path, "xlsx")
    book = load_workbook(path)
    sheet = book["realisasi"]
    keys = columns(ref)
    col = {k: keys.index(k) + 1 for k in keys}
    for row in range(2, sheet.max_row + 1):
        target = sheet.cell(row=row, column=col["target_keuangan"]).value
        sheet.cell(row=row, column=col["realisasi_keuangan"], value=int(int(target) * 0.9))
        sheet.cell(row=row, column=col["realisasi_fisik"], value=47.5)
        sheet.cell(row=row, column=col["realisasi_keluaran"], value=1)
    for (row, key), value in (cells or {}).items():
        sheet.cell(row=row, column=col[key], value=value)
    book.save(path)
    return path
