"""rekap.xlsx: the version's figures as a workbook the secretariat can filter and print.

Written with XlsxWriter (rekap_grid): every string from data is written with write_string after
xlsx_safe.cell_text, in a workbook whose options keep strings text (never a formula, link or
number). Looks and size estimates live in rekap_layout and rekap_metrics; the IKU, early-warning
and change sheets in rekap_sheets, the E.81 form in rekap_e81, signature blocks in rekap_sign.
Every sheet prints one page wide (A4 or F4 landscape, never in left and right halves).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.tasks.core.period import Period, parse_period
from triwulan.tasks.measure.compute import MONEY
from triwulan.tasks.publish import rekap_e81, rekap_sheets
from triwulan.tasks.publish.rekap_grid import Book, Sheet
from triwulan.tasks.publish.rekap_layout import (
    HEADER_ROW,
    MONEY_FORMAT,
    NOTE_COLUMNS,
    PERCENT_FORMAT,
    SUB_KEGIATAN_COLUMNS,
    Column,
)
from triwulan.tasks.publish.rekap_page import keep_together, print_setup, table_sheet, title_rows
from triwulan.tasks.publish.rekap_sign import signature_block
from triwulan.tasks.publish.report import (
    UNREADABLE_LISTED,
    capped,
    completeness_line,
    more_line,
    problem_counts,
    status_text,
    unit_reason,
)
from triwulan.tasks.publish.report_full import code_and_name

__all__ = ["HEADER_ROW", "MONEY", "MONEY_FORMAT", "PERCENT_FORMAT", "write_rekap_xlsx"]

SIGNERS = ("penyusun", "camat")  # Disusun oleh, Mengetahui
KEY_HEADERS = {
    "nama_unit": "Unit",
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

    book = Book(path)
    _ringkasan(book.sheet("Ringkasan"), summary, period, base)
    if iku is not None:
        rekap_sheets.iku_sheet(book.sheet("IKU"), summary, period, base, iku)
    if peringatan is not None:
        rekap_sheets.peringatan_sheet(
            book.sheet("Peringatan Dini"), summary, period, base, peringatan
        )
    if perubahan is not None:
        rekap_sheets.perubahan_sheet(book.sheet("Perubahan"), summary, base, perubahan)

    sheets = [("Per Unit", "unit"), ("Per Program", "program"), ("Per Kegiatan", "kegiatan")]
    for sheet_name, level in sheets:
        # units by name only: their ids are for the machine, not for a reader
        names = code_and_name(level)[1:] if level == "unit" else code_and_name(level)
        keys = [(key, KEY_HEADERS[key], _key_kind(key)) for key in names]
        extra = [("predikat_keuangan_sd_tw", f"Predikat Keuangan s.d. {period.roman}", "text")]
        frame = levels.get(level)
        has_predikat = frame is not None and "predikat_keuangan_sd_tw" in frame.columns
        table_sheet(
            book.sheet(sheet_name),
            f"Rekap Realisasi {sheet_name} — {base}",
            summary,
            keys + money + (extra if has_predikat else []),
            frame,
            total_row,
        )
    _sub_kegiatan(book.sheet("Per Sub Kegiatan"), summary, period, base, detail, total_row)
    if e81 is not None:
        rekap_e81.e81_sheet(book.sheet("E.81"), summary, period, base, e81)
    book.close()


def _sub_kegiatan(
    sheet: Sheet,
    summary: Mapping[str, Any],
    period: Period,
    base: str,
    detail: pd.DataFrame,
    total_row: Mapping[str, Any],
) -> None:
    """One row per unit and sub-kegiatan (the RFK table with kendala and tindak lanjut).

    The whole row prints on one page width (F4 when A4 would be below 60%): identity, money,
    outputs and notes. The program and kegiatan columns (the sub-kegiatan code contains both
    codes) are for filtering and come last, outside the print area.
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
    printed = identity + keuangan + keluaran
    at = {key: col for col, (key, _, _) in enumerate(printed, start=1)}
    table_sheet(
        sheet,
        f"Realisasi Fisik dan Keuangan per Sub Kegiatan — {base}",
        summary,
        printed + hierarchy,
        detail_sorted,
        total_row,
        printed=len(printed),
        highs={
            at["nama_unit"]: 10,  # 'Kelurahan' whole
            at["nama_sub_kegiatan"]: 20,
            at["predikat_keuangan_sd_tw"]: 8,  # 'Predikat' whole
            at["indikator_keluaran"]: 14,
            at["satuan"]: 8,  # 'Pokmas/' over 'Ormas'
            at["kendala"]: 14,
            at["tindak_lanjut"]: 14,
        },
    )


def _ringkasan(sheet: Sheet, summary: Mapping[str, Any], period: Period, base: str) -> None:
    """Headline totals (Uraian | Nilai), then the unit status table."""
    totals = summary.get("totals") or {}
    tw = period.roman
    sheet.header(HEADER_ROW, ["Uraian", "Nilai"])
    lines = [(label, key, kind) for key, label, kind in _money_headers(period)]
    lines.append((f"Predikat Keuangan s.d. {tw}", "predikat_keuangan_sd_tw", "text"))
    row = HEADER_ROW
    for label, key, kind in lines:
        row += 1
        sheet.row(row, [(label, "text"), (totals.get(key), kind)])
    row += 1
    sheet.row(row, [("Kelengkapan", "text"), (completeness_line(summary["counts"]), "text")])

    row += 2
    headers = ["Unit", "Status", "Berkas", "Kesalahan", "Peringatan", "Keterangan"]
    sheet.header(row, headers)
    header_rows = [HEADER_ROW, row]
    units = summary.get("units") or []
    counts = [problem_counts(unit) for unit in units]
    row = sheet.table(
        row + 1,
        [
            [unit.get("nama") for unit in units],
            [status_text(unit) for unit in units],
            [unit.get("file") for unit in units],
            [count["errors"] for count in counts],
            [count["warnings"] for count in counts],
            [unit_reason(unit) or None for unit in units],
        ],
        ["text", "longtext", "longtext", "count", "count", "longtext"],
    )
    unreadable, more = capped(summary.get("unreadable_files") or [], UNREADABLE_LISTED)
    if unreadable:
        row += 2
        header_rows.append(row)
        sheet.header(row, ["Berkas yang tidak dapat diproses", "Keterangan"])
        row = sheet.table(
            row + 1,
            [
                [item.get("file") for item in unreadable],
                [item.get("message") for item in unreadable],
            ],
            ["text", "longtext"],
        )
    sheet.set_widths(
        ["text", "text", "longtext", "longtext", "number", "number", "longtext"],
        HEADER_ROW,
        overrides={1: 34, 2: 26},
    )
    if more:
        row += 1
        sheet.line(row, more_line(more, "catatan berkas"), 2)
    for header in header_rows:
        sheet.header_height(header)
    sheet.fit_row_heights(HEADER_ROW + 1)
    signed = signature_block(sheet, row + 2, summary, SIGNERS, 7)
    title = f"Ringkasan Realisasi Fisik dan Keuangan {base}"
    title_rows(sheet, title, summary, 7)
    sheet.ws.freeze_panes(HEADER_ROW, 0)
    print_setup(sheet, summary, title, (1, 3))  # title, note and the blank row under them
    if signed > row + 1:
        keep_together(sheet, row + 2, signed, (1, 3))
