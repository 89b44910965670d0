"""rekap.xlsx: the version's figures as a workbook the secretariat can filter and print.

Every string from data goes through xlsx_safe.write_cell (text, never a formula). Looks and page
setup live in rekap_layout; the IKU, E.81, early-warning and change sheets in rekap_sheets.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from triwulan.tasks.core.period import Period, parse_period
from triwulan.tasks.measure.compute import MONEY
from triwulan.tasks.publish import rekap_sheets
from triwulan.tasks.publish.rekap_layout import (
    HEADER_ROW,
    MONEY_FORMAT,
    NOTE_COLUMNS,
    PERCENT_FORMAT,
    SUB_KEGIATAN_COLUMNS,
    Column,
    fit_row_heights,
    header_height,
    print_setup,
    set_widths,
    table_sheet,
    title_rows,
    use_body_font,
    write_header,
    write_line,
    write_row,
)
from triwulan.tasks.publish.report import (
    UNREADABLE_LISTED,
    capped,
    completeness_line,
    more_line,
    problem_counts,
    records,
    status_text,
    unit_reason,
)
from triwulan.tasks.publish.report_full import code_and_name

__all__ = ["HEADER_ROW", "MONEY", "MONEY_FORMAT", "PERCENT_FORMAT", "write_rekap_xlsx"]

KEY_HEADERS = {
    "unit": "Kode Unit",
    "nama_unit": "Nama Unit",
    "kode_program": "Kode Program",
    "nama_program": "Nama Program",
    "kode_kegiatan": "Kode Kegiatan",
    "nama_kegiatan": "Nama Kegiatan",
}


def _money_headers(period: Period) -> list[Column]:
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


def _key_kind(key: str) -> str:
    return "longtext" if key.startswith("nama") else "text"


def write_rekap_xlsx(
    path: str | Path,
    summary: Mapping[str, Any],
    detail: pd.DataFrame,
    levels: Mapping[str, pd.DataFrame],
    *,
    iku: list[dict[str, Any]] | None = None,
    e81: pd.DataFrame | None = None,
    peringatan: pd.DataFrame | None = None,
    perubahan: Mapping[str, Any] | None = None,
) -> None:
    """Write the rekap: Ringkasan, [IKU, Peringatan Dini, Perubahan,] Per Unit, Per Program,
    Per Kegiatan, Per Sub Kegiatan[, E.81]. A sheet in brackets is written only when its data is
    passed (None: the caller has none, e.g. no earlier version to compare with)."""
    period = parse_period(summary["period"])
    totals = summary.get("totals") or {}
    base = f"{summary.get('kecamatan', '')} {period.long}".strip()
    money = _money_headers(period)
    total_row = dict(totals)

    wb = Workbook()
    use_body_font(wb)
    ws = wb.active
    ws.title = "Ringkasan"
    _ringkasan(ws, summary, period, base)
    if iku is not None:
        rekap_sheets.iku_sheet(wb.create_sheet("IKU"), summary, period, base, iku)
    if peringatan is not None:
        rekap_sheets.peringatan_sheet(
            wb.create_sheet("Peringatan Dini"), summary, period, base, peringatan
        )
    if perubahan is not None:
        rekap_sheets.perubahan_sheet(wb.create_sheet("Perubahan"), summary, base, perubahan)

    sheets = [("Per Unit", "unit"), ("Per Program", "program"), ("Per Kegiatan", "kegiatan")]
    for sheet_name, level in sheets:
        keys = [(key, KEY_HEADERS[key], _key_kind(key)) for key in code_and_name(level)]
        extra = [("predikat_keuangan_sd_tw", f"Predikat Keuangan s.d. {period.roman}", "text")]
        frame = levels.get(level)
        has_predikat = frame is not None and "predikat_keuangan_sd_tw" in frame.columns
        table_sheet(
            wb.create_sheet(sheet_name),
            f"Rekap Realisasi {sheet_name} — {base}",
            summary,
            keys + money + (extra if has_predikat else []),
            records(frame),
            total_row,
        )
    _sub_kegiatan(wb.create_sheet("Per Sub Kegiatan"), summary, period, base, detail, total_row)
    if e81 is not None:
        rekap_sheets.e81_sheet(wb.create_sheet("E.81"), summary, period, base, e81)
    wb.save(Path(path))


def _sub_kegiatan(
    ws: Worksheet,
    summary: Mapping[str, Any],
    period: Period,
    base: str,
    detail: pd.DataFrame,
    total_row: Mapping[str, Any],
) -> None:
    """One row per unit and sub-kegiatan (the RFK table with kendala and tindak lanjut).

    26 columns do not fit one A4 width at a readable size, so the sheet prints in two page
    columns, money then output and kendala, each with unit, code and name repeated. The program
    and kegiatan columns (the sub-kegiatan code contains both codes) are for filtering and come
    last, outside the print area.
    """
    tw = period.roman
    identity = SUB_KEGIATAN_COLUMNS
    keuangan = [
        *_money_headers(period),
        ("predikat_keuangan_sd_tw", f"Predikat Keuangan s.d. {tw}", "text"),
    ]
    keluaran: list[Column] = [
        ("indikator_keluaran", "Indikator Keluaran", "longtext"),
        ("satuan", "Satuan", "text"),
        ("target_keluaran", "Target Keluaran (Tahun)", "number"),
        ("realisasi_keluaran_tw", f"Realisasi Keluaran {tw}", "number"),
        ("realisasi_keluaran_sd_tw", f"Realisasi Keluaran s.d. {tw}", "number"),
        ("capaian_keluaran_persen", "Capaian Keluaran (%)", "percent"),
        *NOTE_COLUMNS,
    ]
    hierarchy: list[Column] = [
        ("kode_program", "Kode Program", "text"),
        ("nama_program", "Nama Program", "longtext"),
        ("kode_kegiatan", "Kode Kegiatan", "text"),
        ("nama_kegiatan", "Nama Kegiatan", "longtext"),
    ]
    detail_sorted = (
        detail.sort_values(["kode_program", "kode_kegiatan", "kode_sub_kegiatan", "unit"])
        if detail is not None and not detail.empty
        else detail
    )
    first = len(identity) + 1
    middle = first + len(keuangan)
    table_sheet(
        ws,
        f"Realisasi Fisik dan Keuangan per Sub Kegiatan — {base}",
        summary,
        identity + keuangan + keluaran + hierarchy,
        records(detail_sorted),
        total_row,
        blocks=[(first, middle - 1), (middle, middle + len(keluaran) - 1)],
        repeat_cols=(1, len(identity)),
        widths={1: 16, 2: 18, 3: 26, middle - 1: 11, middle: 26, middle + 6: 26, middle + 7: 26},
    )


def _ringkasan(ws: Worksheet, summary: Mapping[str, Any], period: Period, base: str) -> None:
    """Headline totals (Uraian | Nilai), then the unit status table."""
    totals = summary.get("totals") or {}
    tw = period.roman
    write_header(ws, HEADER_ROW, ["Uraian", "Nilai"])
    lines = [(label, key, kind) for key, label, kind in _money_headers(period)]
    lines.append((f"Predikat Keuangan s.d. {tw}", "predikat_keuangan_sd_tw", "text"))
    row = HEADER_ROW
    for label, key, kind in lines:
        row += 1
        write_row(ws, row, [(label, "text"), (totals.get(key), kind)])
    row += 1
    write_row(ws, row, [("Kelengkapan", "text"), (completeness_line(summary["counts"]), "text")])

    row += 2
    headers = ["Unit", "Nama Unit", "Status", "Berkas", "Kesalahan", "Peringatan", "Keterangan"]
    write_header(ws, row, headers)
    unit_header = row
    for unit in summary.get("units") or []:
        row += 1
        counts = problem_counts(unit)
        write_row(
            ws,
            row,
            [
                (unit.get("unit"), "text"),
                (unit.get("nama"), "text"),
                (status_text(unit), "longtext"),
                (unit.get("file"), "longtext"),
                (counts["errors"], "number"),
                (counts["warnings"], "number"),
                (unit_reason(unit) or None, "longtext"),
            ],
        )
        ws.cell(row=row, column=5).number_format = "0"
        ws.cell(row=row, column=6).number_format = "0"
    unreadable, more = capped(summary.get("unreadable_files") or [], UNREADABLE_LISTED)
    unreadable_header = None
    if unreadable:
        row += 2
        unreadable_header = row
        write_header(ws, row, ["Berkas yang tidak dapat diproses", "Keterangan"])
        for item in unreadable:
            row += 1
            write_row(ws, row, [(item.get("file"), "text"), (item.get("message"), "longtext")])
    set_widths(
        ws,
        ["text", "text", "longtext", "longtext", "number", "number", "longtext"],
        HEADER_ROW,
        overrides={1: 34, 2: 26},
    )
    if more:
        row += 1
        write_line(ws, row, more_line(more, "catatan berkas"), 2)
    for header in (HEADER_ROW, unit_header, unreadable_header):
        if header is not None:
            header_height(ws, header, 7)
    fit_row_heights(ws, HEADER_ROW + 1, 7)
    title = f"Ringkasan Realisasi Fisik dan Keuangan {base}"
    title_rows(ws, title, summary, 7)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    print_setup(ws, summary, title, "1:2")
