"""The rekap's sheets beyond the realisation tables: IKU, E.81, early warning and changes.

Each is written only when the caller passes its data. A quarter a unit has not reported yet is
an empty cell, never 0 (0 would read as 'reported nothing spent'). Text goes through
xlsx_safe.write_cell via rekap_layout, so nothing a unit typed becomes a formula.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from triwulan.tasks.core.fmt import STATUS_LABEL, plain, rupiah
from triwulan.tasks.core.period import ROMAN, Period
from triwulan.tasks.measure.compute import MONEY
from triwulan.tasks.publish.rekap_layout import (
    BOLD_FONT,
    HEADER_ROW,
    MONEY_FORMAT,
    NOTE_COLUMNS,
    SUB_KEGIATAN_COLUMNS,
    Column,
    fit_row_heights,
    header_height,
    print_setup,
    set_widths,
    table_sheet,
    title_rows,
    write_header,
    write_line,
    write_row,
)
from triwulan.tasks.publish.report import more_line, records
from triwulan.tasks.publish.sections import iku_note

NO_IKU = "Belum ada data IKU."
NO_E81 = "Belum ada data evaluasi Renja (E.81)."
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
    ws: Worksheet,
    summary: Mapping[str, Any],
    period: Period,
    base: str,
    iku: Sequence[Mapping[str, Any]],
) -> None:
    """Seed Tabel 3.1 (IKU, satuan, target, realisasi, capaian, keterangan) with the quarter's
    target and realisation next to the cumulative ones."""
    tw = period.roman
    title = f"Capaian Indikator Kinerja Utama (IKU) — {base}"
    columns: list[Column] = [
        ("no", "No", "count"),
        ("nama", "Indikator Kinerja Utama", "longtext"),
        ("satuan", "Satuan", "text"),
        ("target_tahunan", "Target Tahunan", "number"),
        ("target_tw", f"Target {tw}", "number"),
        ("realisasi_tw", f"Realisasi {tw}", "number"),
        ("capaian_persen", f"Capaian {tw} (%)", "percent"),
        ("status", f"Status {tw}", "text"),
        ("target_sd_tw", f"Target s.d. {tw}", "number"),
        ("realisasi_sd_tw", f"Realisasi s.d. {tw}", "number"),
        ("capaian_sd_tw_persen", f"Capaian s.d. {tw} (%)", "percent"),
        ("status_sd_tw", f"Status s.d. {tw}", "text"),
        ("keterangan", "Keterangan", "longtext"),
    ]
    if not iku:
        _empty(ws, summary, title, NO_IKU, len(columns))
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
    table_sheet(ws, title, summary, columns, rows, None)


def peringatan_sheet(
    ws: Worksheet,
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
    rows = records(peringatan)
    if not rows:
        _empty(ws, summary, title, NO_WARNING, len(columns))
        return
    table_sheet(ws, title, summary, columns, rows, None)


def _empty(ws: Worksheet, summary: Mapping[str, Any], title: str, line: str, span: int) -> None:
    """A sheet that says it has no data (rather than a sheet that is missing)."""
    for col in range(1, span + 1):
        ws.column_dimensions[get_column_letter(col)].width = 12
    write_line(ws, HEADER_ROW, line, span)
    title_rows(ws, title, summary, span)
    print_setup(ws, summary, title, None)


def _change_value(value: Any) -> Any:
    """A before/after value as it was: a number stays a number, a status code becomes words."""
    value = plain(value)
    if isinstance(value, str):
        return STATUS_LABEL.get(value, value)
    return value


def perubahan_sheet(
    ws: Worksheet, summary: Mapping[str, Any], base: str, perubahan: Mapping[str, Any]
) -> None:
    """What changed against the previous version: unit statuses, then figures per sub-kegiatan."""
    title = f"Perubahan dibanding Versi Sebelumnya — {base}"
    versi = plain(perubahan.get("versi_sebelumnya"))
    kinds = ["text", "text", "longtext", "text", "auto", "auto", "money"]
    span = len(kinds)
    units = list(perubahan.get("unit_berubah") or [])
    figures = list(perubahan.get("angka_berubah") or [])
    row = HEADER_ROW
    set_widths(ws, kinds, HEADER_ROW + 1, overrides={1: 18, 2: 22})  # before the merged lines
    before, after = plain(perubahan.get("total_sebelum")), plain(perubahan.get("total_sesudah"))
    if before is not None and after is not None and before != after:
        write_line(
            ws,
            row,
            f"Realisasi keuangan kecamatan: {rupiah(before)} pada versi {versi or '-'}, "
            f"{rupiah(after)} pada versi ini (selisih {rupiah(int(after) - int(before))}).",
            span,
        )
        row += 2
    iku = list(perubahan.get("iku_berubah") or [])
    texts = int(plain(perubahan.get("keterangan_berubah")) or 0)
    if not units and not figures and not iku and not texts:
        write_line(ws, row, f"Tidak ada perubahan dibanding versi {versi or '-'}.", span)
    headers: list[int] = []
    if iku:
        write_line(
            ws, row, f"Capaian IKU yang berubah dibanding versi {versi or '-'}", 2, BOLD_FONT
        )
        row += 1
        write_header(ws, row, ["Indikator", "Angka", "Sebelum", "Sesudah"])
        headers.append(row)
        for item in iku:
            row += 1
            write_row(
                ws,
                row,
                [
                    (item.get("nama"), "longtext"),
                    (item.get("judul"), "text"),
                    (item.get("sebelum"), "auto"),
                    (item.get("sesudah"), "auto"),
                ],
            )
        row += 2
    if texts:
        write_line(ws, row, f"Kendala atau tindak lanjut berubah pada {texts} sub kegiatan.", span)
        row += 2
    if units:
        write_line(
            ws, row, f"Status unit yang berubah dibanding versi {versi or '-'}", 2, BOLD_FONT
        )
        row += 1
        write_header(
            ws,
            row,
            [
                "Kode Unit",
                "Nama Unit",
                "Sebelum",
                "Sesudah",
                "Realisasi Dihitung Sebelum (Rp)",
                "Realisasi Dihitung Sesudah (Rp)",
            ],
        )
        headers.append(row)
        for item in units:
            row += 1
            write_row(
                ws,
                row,
                [
                    (item.get("unit"), "text"),
                    (item.get("nama"), "text"),
                    (_change_value(item.get("sebelum")), "longtext"),
                    (_change_value(item.get("sesudah")), "text"),
                    (item.get("rupiah_sebelum"), "money"),
                    (item.get("rupiah_sesudah"), "money"),
                ],
            )
        row += 2
    if figures:
        write_line(ws, row, f"Angka yang berubah dibanding versi {versi or '-'}", 2, BOLD_FONT)
        row += 1
        write_header(
            ws,
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
        for item in figures:
            row += 1
            write_row(
                ws,
                row,
                [
                    (item.get("nama_unit") or item.get("unit"), "text"),
                    (item.get("kode_sub_kegiatan"), "text"),
                    (item.get("nama_sub_kegiatan"), "longtext"),
                    (item.get("judul") or item.get("kolom"), "text"),
                    (_change_value(item.get("sebelum")), "auto"),
                    (_change_value(item.get("sesudah")), "auto"),
                    (item.get("selisih_rupiah"), "money"),
                ],
            )
            if item.get("kolom") in MONEY:
                for col in (5, 6):
                    ws.cell(row=row, column=col).number_format = MONEY_FORMAT
        more = int(plain(perubahan.get("angka_lainnya")) or 0)
        if more:
            row += 1
            write_line(ws, row, more_line(more, "angka berubah"), span)
    set_widths(ws, kinds, HEADER_ROW + 1, overrides={1: 18, 2: 22})
    for header in headers:
        header_height(ws, header, span)
    fit_row_heights(ws, HEADER_ROW + 1, span)
    title_rows(ws, title, summary, span)
    print_setup(ws, summary, title, "1:2")


# --- E.81 ----------------------------------------------------------------------------------------

E81_FIRST_ROW = HEADER_ROW + 2  # two header rows, like the printed form
BOLD_LEVELS = {"program", "kegiatan", "jumlah"}
GROUP_LEVELS = {"program", "jumlah"}  # grey rows
INDENT = {"program": 0, "kegiatan": 1, "sub_kegiatan": 2}


def _e81_layout(period: Period) -> tuple[list[tuple[str, list[Column]]], list[Column]]:
    """(groups of the two-row header, flat columns): a group with one column spans both rows."""
    tw = period.roman

    def pair(label: str, k: str, rp: str) -> tuple[str, list[Column]]:
        return label, [(k, "K", "number"), (rp, "Rp", "money")]

    groups: list[tuple[str, list[Column]]] = [
        ("Kode", [("kode", "Kode", "text")]),
        ("Program / Kegiatan / Sub Kegiatan", [("uraian", "", "longtext")]),
        ("Indikator Kinerja", [("indikator", "", "longtext")]),
        ("Satuan", [("satuan", "", "text")]),
        pair(f"Target Tahun {period.tahun}", "target_k", "target_rp"),
        *(pair(f"Realisasi TW {ROMAN[q]}", f"k_tw{q}", f"rp_tw{q}") for q in range(1, 5)),
        pair(f"Realisasi s.d. {tw}", "k_sd", "rp_sd"),
        (
            "Capaian (%)",
            [("capaian_k_persen", "K", "percent"), ("capaian_rp_persen", "Rp", "percent")],
        ),
        ("Predikat", [("predikat_k", "K", "text"), ("predikat_rp", "Rp", "text")]),
        ("Unit Penanggung Jawab", [("nama_unit", "", "text")]),
        ("Kendala", [("kendala", "", "longtext")]),
        ("Tindak Lanjut", [("tindak_lanjut", "", "longtext")]),
    ]
    return groups, [column for _, columns in groups for column in columns]


def _e81_header(ws: Worksheet, groups: list[tuple[str, list[Column]]]) -> None:
    """Row 4: group titles (merged over K and Rp); row 5: K / Rp; single columns span both."""
    col = 1
    top, bottom = HEADER_ROW, HEADER_ROW + 1
    for label, columns in groups:
        write_header(ws, top, [label], first_col=col)
        if len(columns) == 1:
            write_header(ws, bottom, [""], first_col=col)
            ws.merge_cells(start_row=top, start_column=col, end_row=bottom, end_column=col)
        else:
            write_header(ws, top, [""] * (len(columns) - 1), first_col=col + 1)
            write_header(ws, bottom, [header for _, header, _ in columns], first_col=col)
            ws.merge_cells(
                start_row=top, start_column=col, end_row=top, end_column=col + len(columns) - 1
            )
        col += len(columns)


def e81_sheet(
    ws: Worksheet, summary: Mapping[str, Any], period: Period, base: str, e81: pd.DataFrame
) -> None:
    """Renja evaluation form E.81 (Permendagri 86/2017): program, kegiatan and sub-kegiatan rows
    with target K/Rp, realisation per quarter, to date, capaian, predikat and notes.

    Printed in two page columns (the indicators and quarters, then to-date, capaian and notes),
    with code and uraian repeated: the 23 columns at one A4 width would be unreadably small.
    """
    title = f"Evaluasi Hasil Renja (Form E.81) s.d. {period.roman} — {base}"
    groups, columns = _e81_layout(period)
    rows = records(e81)
    if not rows:
        _empty(ws, summary, title, NO_E81, 12)
        return
    _e81_header(ws, groups)
    row_no = E81_FIRST_ROW - 1
    uraian_col = 2
    for record in rows:
        row_no += 1
        tingkat = str(record.get("tingkat") or "")
        if tingkat == "sub_kegiatan" and record.get("nama_unit"):
            # the same sub-kegiatan runs in several units: name the unit where the row is read
            record = {**record, "uraian": f"{record.get('uraian')}\n({record['nama_unit']})"}
        write_row(
            ws,
            row_no,
            [(record.get(key), kind) for key, _, kind in columns],
            bold=tingkat in BOLD_LEVELS,
            group=tingkat in GROUP_LEVELS,
            indents={uraian_col: INDENT.get(tingkat, 0)},
        )
    kinds = [kind for _, _, kind in columns]
    set_widths(ws, kinds, HEADER_ROW, overrides={1: 18, 2: 28, 3: 24})
    for row in (HEADER_ROW, HEADER_ROW + 1):
        header_height(ws, row, len(columns))
    fit_row_heights(ws, E81_FIRST_ROW, len(columns))
    ws.auto_filter.ref = f"A{HEADER_ROW + 1}:{get_column_letter(len(columns))}{row_no}"
    first_block_end = 4 + 2 * 5  # kode..satuan, target and four quarters (K, Rp)
    title_rows(ws, title, summary, 2)  # within the repeated columns: whole on every page column
    ws.freeze_panes = ws.cell(row=E81_FIRST_ROW, column=3)
    print_setup(
        ws,
        summary,
        title,
        f"{HEADER_ROW}:{HEADER_ROW + 1}",
        blocks=[(3, first_block_end), (first_block_end + 1, len(columns))],
        repeat_cols=(1, 2),
    )
