"""The rekap's sheets beyond the realisation tables: IKU, early warning, changes (E.81: rekap_e81).

Each is written only when the caller passes its data. A quarter a unit has not reported yet is
an empty cell, never 0 (0 would read as 'reported nothing spent'). Text is written through
rekap_grid (write_string after xlsx_safe.cell_text), so nothing a unit typed becomes a formula.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

import pandas as pd

from triwulan.tasks.core.fmt import STATUS_LABEL, plain, rupiah
from triwulan.tasks.core.period import Period
from triwulan.tasks.measure.compute import MONEY
from triwulan.tasks.publish.rekap_grid import Sheet
from triwulan.tasks.publish.rekap_layout import (
    BOLD_FONT,
    HEADER_ROW,
    NOTE_COLUMNS,
    SUB_KEGIATAN_COLUMNS,
    Column,
)
from triwulan.tasks.publish.rekap_page import print_setup, table_sheet, title_rows
from triwulan.tasks.publish.report import more_line
from triwulan.tasks.publish.sections import iku_note

NO_IKU = "Belum ada data IKU."
NO_WARNING = "Tidak ada sub kegiatan yang masuk peringatan dini pada triwulan ini."


def _status_word(value: Any) -> str | None:
    """'tercapai' -> 'Tercapai' as seed Tabel 3.1 writes it."""
    value = plain(value)
    return None if value is None else str(value)[:1].upper() + str(value)[1:]


def _iku_note(row: Mapping[str, Any]) -> str | None:
    """The same remark as the HTML report's: respondents and mutu (quarter and year so far),
    AKIP predicate, zones, and the keterangan."""
    text = iku_note(row)
    return None if text == "-" else text


def iku_sheet(
    sheet: Sheet,
    summary: Mapping[str, Any],
    period: Period,
    base: str,
    iku: Sequence[Mapping[str, Any]],
) -> None:
    """Seed Tabel 3.1 (IKU, satuan, target, realisasi, capaian, keterangan): the year's (s.d.
    TW) columns first, then the quarter's alone."""
    tw = period.roman
    title = f"Capaian Indikator Kinerja Utama (IKU) — {base}"
    columns: list[Column] = [
        ("no", "No", "count"),
        ("nama", "Indikator Kinerja Utama", "longtext"),
        ("satuan", "Satuan", "text"),
        ("target_tahunan", "Target Tahunan", "number"),
        # the year's result first, as LKIP Tabel 3.1 reports it; then the quarter's alone
        ("target_sd_tw", f"Target s.d. {tw}", "number"),
        ("realisasi_sd_tw", f"Realisasi s.d. {tw}", "number"),
        ("capaian_sd_tw_persen", f"Capaian s.d. {tw} (%)", "percent"),
        ("status_sd_tw", f"Status s.d. {tw}", "text"),
        ("target_tw", f"Target {tw} saja", "number"),
        ("realisasi_tw", f"Realisasi {tw} saja", "number"),
        ("capaian_persen", f"Capaian {tw} saja (%)", "percent"),
        ("status", f"Status {tw} saja", "text"),
        ("keterangan", "Keterangan", "longtext"),
    ]
    if not iku:
        empty_sheet(sheet, summary, title, NO_IKU, len(columns))
        return
    rows = [
        {
            **{key: row.get(key) for key, _, _ in columns},
            "no": number,
            "status": _status_word(row.get("status")),
            "status_sd_tw": _status_word(row.get("status_sd_tw")),
            "keterangan": _iku_note(row),
        }
        for number, row in enumerate(iku, start=1)
    ]
    table_sheet(sheet, title, summary, columns, rows, None)


def peringatan_sheet(
    sheet: Sheet,
    summary: Mapping[str, Any],
    period: Period,
    base: str,
    peringatan: pd.DataFrame,
) -> None:
    """Sub-kegiatan whose spending is behind plan (early warning), with the unit's explanation."""
    tw = period.roman
    title = f"Peringatan Dini Realisasi Keuangan s.d. {tw} — {base}"
    columns: list[Column] = [
        *SUB_KEGIATAN_COLUMNS,
        ("target_keuangan_sd_tw", f"Target Keuangan s.d. {tw} (Rp)", "money"),
        ("realisasi_keuangan_sd_tw", f"Realisasi Keuangan s.d. {tw} (Rp)", "money"),
        ("selisih_rupiah", "Selisih (Rp)", "money"),
        ("deviasi_persen", "Deviasi (%)", "percent"),
        ("alasan", "Alasan Peringatan", "longtext"),
        *NOTE_COLUMNS,
    ]
    if peringatan is None or peringatan.empty:
        empty_sheet(sheet, summary, title, NO_WARNING, len(columns))
        return
    table_sheet(sheet, title, summary, columns, peringatan, None)


def empty_sheet(sheet: Sheet, summary: Mapping[str, Any], title: str, line: str, span: int) -> None:
    """A sheet that says it has no data (rather than a sheet that is missing)."""
    for col in range(1, span + 1):
        sheet.set_width(col, 12)
    sheet.line(HEADER_ROW, line, span)
    title_rows(sheet, title, summary, span)
    print_setup(sheet, summary, title, None)


def _change_value(value: Any) -> Any:
    """A before/after value as it was: a number stays a number, a status code becomes words."""
    value = plain(value)
    if isinstance(value, str):
        return STATUS_LABEL.get(value, value)
    return value


def perubahan_sheet(
    sheet: Sheet, summary: Mapping[str, Any], base: str, perubahan: Mapping[str, Any]
) -> None:
    """What changed against the previous version: unit statuses, then figures per sub-kegiatan."""
    title = f"Perubahan dibanding Versi Sebelumnya — {base}"
    versi = plain(perubahan.get("versi_sebelumnya"))
    kinds = ["text", "text", "longtext", "text", "auto", "auto", "money"]
    span = len(kinds)
    units = list(perubahan.get("unit_berubah") or [])
    figures = list(perubahan.get("angka_berubah") or [])
    row = HEADER_ROW
    sheet.set_widths(kinds, HEADER_ROW + 1, overrides={1: 18, 2: 22})  # before the merged lines
    before, after = plain(perubahan.get("total_sebelum")), plain(perubahan.get("total_sesudah"))
    if before is not None and after is not None and before != after:
        sheet.line(
            row,
            f"Realisasi keuangan kecamatan: {rupiah(before)} pada versi {versi or '-'}, "
            f"{rupiah(after)} pada versi ini (selisih {rupiah(int(after) - int(before))}).",
            span,
        )
        row += 2
    iku = list(perubahan.get("iku_berubah") or [])
    texts = int(plain(perubahan.get("keterangan_berubah")) or 0)
    if not units and not figures and not iku and not texts:
        sheet.line(row, f"Tidak ada perubahan dibanding versi {versi or '-'}.", span)
    headers: list[int] = []
    if iku:
        sheet.line(row, f"Capaian IKU yang berubah dibanding versi {versi or '-'}", 2, BOLD_FONT)
        row += 1
        sheet.header(row, ["Indikator", "Angka", "Sebelum", "Sesudah"])
        headers.append(row)
        row = sheet.table(
            row + 1,
            [[item.get(key) for item in iku] for key in ("nama", "judul", "sebelum", "sesudah")],
            ["longtext", "text", "auto", "auto"],
        )
        row += 2
    if texts:
        sheet.line(row, f"Kendala atau tindak lanjut berubah pada {texts} sub kegiatan.", span)
        row += 2
    if units:
        sheet.line(row, f"Status unit yang berubah dibanding versi {versi or '-'}", 2, BOLD_FONT)
        row += 1
        sheet.header(
            row,
            [
                "Unit",
                "Sebelum",
                "Sesudah",
                "Realisasi Dihitung Sebelum (Rp)",
                "Realisasi Dihitung Sesudah (Rp)",
            ],
        )
        headers.append(row)
        row = sheet.table(
            row + 1,
            [
                [item.get("nama") or item.get("unit") for item in units],
                [_change_value(item.get("sebelum")) for item in units],
                [_change_value(item.get("sesudah")) for item in units],
                [item.get("rupiah_sebelum") for item in units],
                [item.get("rupiah_sesudah") for item in units],
            ],
            ["text", "longtext", "text", "money", "money"],
        )
        row += 2
    if figures:
        sheet.line(row, f"Angka yang berubah dibanding versi {versi or '-'}", 2, BOLD_FONT)
        row += 1
        sheet.header(
            row,
            [
                "Unit",
                "Kode Sub Kegiatan",
                "Nama Sub Kegiatan",
                "Kolom",
                "Sebelum",
                "Sesudah",
                "Selisih (Rp)",
            ],
        )
        headers.append(row)
        # a run of rupiah figures shows its before and after as rupiah
        for money, run in groupby(figures, key=lambda item: item.get("kolom") in MONEY):
            items = list(run)
            figure = "auto_money" if money else "auto"
            row = sheet.table(
                row + 1,
                [
                    [item.get("nama_unit") or item.get("unit") for item in items],
                    [item.get("kode_sub_kegiatan") for item in items],
                    [item.get("nama_sub_kegiatan") for item in items],
                    [item.get("judul") or item.get("kolom") for item in items],
                    [_change_value(item.get("sebelum")) for item in items],
                    [_change_value(item.get("sesudah")) for item in items],
                    [item.get("selisih_rupiah") for item in items],
                ],
                ["text", "text", "longtext", "text", figure, figure, "money"],
            )
        more = int(plain(perubahan.get("angka_lainnya")) or 0)
        if more:
            row += 1
            sheet.line(row, more_line(more, "angka berubah"), span)
    sheet.set_widths(kinds, HEADER_ROW + 1, overrides={1: 18, 2: 22})
    for header in headers:
        sheet.header_height(header)
    sheet.fit_row_heights(HEADER_ROW + 1)
    title_rows(sheet, title, summary, span)
    print_setup(sheet, summary, title, (1, 2))
