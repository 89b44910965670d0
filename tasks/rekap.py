"""rekap.xlsx: the version's figures as a workbook the secretariat can filter and print.

Every string from data goes through xlsx_safe.write_cell (text, never a formula).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from triwulan.tasks.compute import MONEY
from triwulan.tasks.period import Period, parse_period
from triwulan.tasks.report import (
    UNREADABLE_LISTED,
    _clean,
    _code_and_name,
    capped,
    completeness_line,
    mark_of,
    more_line,
    problem_counts,
    records,
    status_text,
    unit_reason,
    waktu,
)
from triwulan.tasks.xlsx_safe import write_cell

MONEY_FORMAT = "#,##0"
PERCENT_FORMAT = "0.00"
TITLE_FONT = Font(bold=True, size=13, color="B91C1C")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E5E7EB")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
HEADER_ROW = 4  # rows 1-2: title and note, 3 blank, 4 header
KEY_HEADERS = {
    "unit": "Kode Unit",
    "nama_unit": "Nama Unit",
    "kode_program": "Kode Program",
    "nama_program": "Nama Program",
    "kode_kegiatan": "Kode Kegiatan",
    "nama_kegiatan": "Nama Kegiatan",
}


def _money_headers(period: Period) -> list[tuple[str, str, str]]:
    """(column, header, kind) of the money and percentage columns; kind from compute.MONEY."""
    tw = period.roman
    headers = [
        ("pagu", "Pagu (Rp)"),
        ("target_keuangan_tw", f"Target Keuangan {tw} (Rp)"),
        ("realisasi_keuangan_tw", f"Realisasi Keuangan {tw} (Rp)"),
        ("capaian_keuangan_tw_persen", f"Capaian Keuangan {tw} (%)"),
        ("target_keuangan_sd_tw", f"Target Keuangan s.d. {tw} (Rp)"),
        ("realisasi_keuangan_sd_tw", f"Realisasi Keuangan s.d. {tw} (Rp)"),
        ("capaian_keuangan_sd_tw_persen", f"Capaian Keuangan s.d. {tw} (%)"),
        ("serapan_pagu_persen", "Serapan Pagu (%)"),
        ("realisasi_fisik_persen", "Realisasi Fisik (%)"),
        ("deviasi_persen", "Deviasi (%)"),
    ]
    return [(key, header, "money" if key in MONEY else "percent") for key, header in headers]


def _cell_value(value: Any, kind: str) -> Any:
    value = _clean(value)
    if value is None:
        return None
    if kind == "money":
        return int(value)
    if kind in {"percent", "number"}:
        return float(value)
    return str(value)


def _title(ws: Worksheet, title: str, summary: Mapping[str, Any]) -> None:
    word, mark_note = mark_of(summary)
    write_cell(ws, 1, 1, f"{word} — {title}").font = TITLE_FONT
    note = (
        f"{mark_note.split(' — ', 1)[1].capitalize()}. Versi {summary.get('version', '-')}, "
        f"disusun {waktu(summary.get('generated_at'))}. "
        f"{completeness_line(summary.get('counts') or {})}."
    )
    write_cell(ws, 2, 1, note).font = Font(italic=True, color="6B7280")


def _header(ws: Worksheet, row: int, headers: list[str]) -> None:
    for col, text in enumerate(headers, start=1):
        cell = write_cell(ws, row, col, text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def _write_row(ws: Worksheet, row: int, values: list[tuple[Any, str]], bold: bool = False) -> None:
    """One row of values; text (unit text, file names, messages) is never a formula."""
    for col, (value, kind) in enumerate(values, start=1):
        cell = write_cell(ws, row, col, _cell_value(value, kind))
        if kind == "money":
            cell.number_format = MONEY_FORMAT
        elif kind == "percent":
            cell.number_format = PERCENT_FORMAT
        elif kind == "longtext":
            cell.alignment = WRAP_TOP
        if bold:
            cell.font = HEADER_FONT


def _widths(ws: Worksheet, first_row: int, minimum: int = 8, maximum: int = 50) -> None:
    """Column widths from the longest cell at or below the header (title rows ignored)."""
    for col_cells in ws.iter_cols(min_row=first_row):
        longest = minimum
        for cell in col_cells:
            value = cell.value
            if value is None:
                continue
            if isinstance(value, float) and cell.number_format == PERCENT_FORMAT:
                length = len(f"{value:.2f}")
            elif isinstance(value, int | float) and not isinstance(value, bool):
                length = len(f"{value:,.0f}") if float(value).is_integer() else len(f"{value:,}")
            else:
                length = max(len(part) for part in str(value).split("\n"))
            if cell.font is not None and cell.font.b and cell.fill == HEADER_FILL:
                length = min(length, 16)  # headers wrap
            longest = max(longest, length + 2)
        ws.column_dimensions[get_column_letter(col_cells[0].column)].width = min(longest, maximum)


def _table_sheet(
    ws: Worksheet,
    title: str,
    summary: Mapping[str, Any],
    columns: list[tuple[str, str, str]],
    rows: list[dict[str, Any]],
    total: Mapping[str, Any] | None,
) -> None:
    """Title rows, a frozen bold header, one row per record and an optional bold 'Jumlah' row."""
    _title(ws, title, summary)
    _header(ws, HEADER_ROW, [header for _, header, _ in columns])
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    row_no = HEADER_ROW
    for record in rows:
        row_no += 1
        _write_row(ws, row_no, [(record.get(key), kind) for key, _, kind in columns])
    if total is not None and rows:
        row_no += 1
        values = [(total.get(key), kind) for key, _, kind in columns]
        values[0] = ("Jumlah", "text")
        _write_row(ws, row_no, values, bold=True)
    _widths(ws, HEADER_ROW)
    ws.row_dimensions[HEADER_ROW].height = 45


def write_rekap_xlsx(
    path: str | Path,
    summary: Mapping[str, Any],
    detail: pd.DataFrame,
    levels: Mapping[str, pd.DataFrame],
) -> None:
    """Write the rekap: Ringkasan, Per Unit, Per Program, Per Kegiatan, Per Sub Kegiatan."""
    period = parse_period(summary["period"])
    totals = summary.get("totals") or {}
    base = f"{summary.get('kecamatan', '')} {period.long}".strip()
    money = _money_headers(period)
    total_row = dict(totals)

    wb = Workbook()
    ws = wb.active
    ws.title = "Ringkasan"
    _ringkasan(ws, summary, period, base)

    sheets = [("Per Unit", "unit"), ("Per Program", "program"), ("Per Kegiatan", "kegiatan")]
    for sheet_name, level in sheets:
        keys = [(key, KEY_HEADERS[key], "text") for key in _code_and_name(level)]
        extra = [("predikat_keuangan_sd_tw", f"Predikat Keuangan s.d. {period.roman}", "text")]
        frame = levels.get(level)
        has_predikat = frame is not None and "predikat_keuangan_sd_tw" in frame.columns
        columns = keys + money + (extra if has_predikat else [])
        _table_sheet(
            wb.create_sheet(sheet_name),
            f"Rekap Realisasi {sheet_name} — {base}",
            summary,
            columns,
            records(frame),
            total_row,
        )

    tw = period.roman
    detail_columns = (
        [
            ("nama_unit", "Unit", "text"),
            ("kode_program", "Kode Program", "text"),
            ("nama_program", "Nama Program", "text"),
            ("kode_kegiatan", "Kode Kegiatan", "text"),
            ("nama_kegiatan", "Nama Kegiatan", "text"),
            ("kode_sub_kegiatan", "Kode Sub Kegiatan", "text"),
            ("nama_sub_kegiatan", "Nama Sub Kegiatan", "longtext"),
        ]
        + money
        + [
            ("predikat_keuangan_sd_tw", f"Predikat Keuangan s.d. {tw}", "text"),
            ("indikator_keluaran", "Indikator Keluaran", "longtext"),
            ("satuan", "Satuan", "text"),
            ("target_keluaran", "Target Keluaran (Tahun)", "number"),
            ("realisasi_keluaran_tw", f"Realisasi Keluaran {tw}", "number"),
            ("realisasi_keluaran_sd_tw", f"Realisasi Keluaran s.d. {tw}", "number"),
            ("capaian_keluaran_persen", "Capaian Keluaran (%)", "percent"),
            ("kendala", "Kendala/Permasalahan", "longtext"),
            ("tindak_lanjut", "Tindak Lanjut", "longtext"),
        ]
    )
    detail_sorted = (
        detail.sort_values(["kode_program", "kode_kegiatan", "kode_sub_kegiatan", "unit"])
        if detail is not None and not detail.empty
        else detail
    )
    _table_sheet(
        wb.create_sheet("Per Sub Kegiatan"),
        f"Realisasi Fisik dan Keuangan per Sub Kegiatan — {base}",
        summary,
        detail_columns,
        records(detail_sorted),
        total_row,
    )
    wb.save(Path(path))


def _ringkasan(ws: Worksheet, summary: Mapping[str, Any], period: Period, base: str) -> None:
    """Headline totals (Uraian | Nilai), then the unit status table."""
    totals = summary.get("totals") or {}
    tw = period.roman
    _title(ws, f"Ringkasan Realisasi Fisik dan Keuangan {base}", summary)
    _header(ws, HEADER_ROW, ["Uraian", "Nilai"])
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    lines = [(label, key, kind) for key, label, kind in _money_headers(period)]
    lines.append((f"Predikat Keuangan s.d. {tw}", "predikat_keuangan_sd_tw", "text"))
    row = HEADER_ROW
    for label, key, kind in lines:
        row += 1
        _write_row(ws, row, [(label, "text"), (totals.get(key), kind)])
    row += 1
    _write_row(ws, row, [("Kelengkapan", "text"), (completeness_line(summary["counts"]), "text")])

    row += 2
    headers = ["Unit", "Nama Unit", "Status", "Berkas", "Kesalahan", "Peringatan", "Keterangan"]
    _header(ws, row, headers)
    for unit in summary.get("units") or []:
        row += 1
        counts = problem_counts(unit)
        _write_row(
            ws,
            row,
            [
                (unit.get("unit"), "text"),
                (unit.get("nama"), "text"),
                (status_text(unit), "longtext"),
                (unit.get("file"), "text"),
                (counts["errors"], "number"),
                (counts["warnings"], "number"),
                (unit_reason(unit) or None, "longtext"),
            ],
        )
        ws.cell(row=row, column=5).number_format = "0"
        ws.cell(row=row, column=6).number_format = "0"
    unreadable, more = capped(summary.get("unreadable_files") or [], UNREADABLE_LISTED)
    if unreadable:
        row += 2
        _header(ws, row, ["Berkas yang tidak dapat diproses", "Keterangan"])
        for item in unreadable:
            row += 1
            _write_row(ws, row, [(item.get("file"), "text"), (item.get("message"), "longtext")])
        if more:
            row += 1
            _write_row(ws, row, [(more_line(more, "catatan berkas"), "text")])
    _widths(ws, HEADER_ROW, maximum=60)
    ws.column_dimensions["A"].width = 40
