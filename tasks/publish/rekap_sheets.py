"""The rekap's sheets beyond the realisation tables: IKU, E.81, early warning and changes.

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
from triwulan.tasks.core.period import ROMAN, Period
from triwulan.tasks.measure.compute import MONEY
from triwulan.tasks.publish.rekap_grid import Sheet, print_setup, table_sheet, title_rows
from triwulan.tasks.publish.rekap_layout import (
    BOLD_FONT,
    HEADER_ROW,
    NOTE_COLUMNS,
    SUB_KEGIATAN_COLUMNS,
    Column,
    table_values,
)
from triwulan.tasks.publish.report import more_line
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
        _empty(sheet, summary, title, NO_IKU, len(columns))
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
        _empty(sheet, summary, title, NO_WARNING, len(columns))
        return
    table_sheet(sheet, title, summary, columns, peringatan, None)


def _empty(sheet: Sheet, summary: Mapping[str, Any], title: str, line: str, span: int) -> None:
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
                "Kode Unit",
                "Nama Unit",
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
                [item.get("unit") for item in units],
                [item.get("nama") for item in units],
                [_change_value(item.get("sebelum")) for item in units],
                [_change_value(item.get("sesudah")) for item in units],
                [item.get("rupiah_sebelum") for item in units],
                [item.get("rupiah_sesudah") for item in units],
            ],
            ["text", "text", "longtext", "text", "money", "money"],
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


def _e81_header(sheet: Sheet, groups: list[tuple[str, list[Column]]]) -> None:
    """Row 4: group titles (merged over K and Rp); row 5: K / Rp; single columns span both."""
    col = 1
    top, bottom = HEADER_ROW, HEADER_ROW + 1
    for label, columns in groups:
        if len(columns) == 1:
            sheet.header_span(top, col, label, bottom, col)
        else:
            sheet.header_span(top, col, label, top, col + len(columns) - 1)
            sheet.header(bottom, [header for _, header, _ in columns], first_col=col)
        col += len(columns)


def _plain_list(series: pd.Series) -> list[Any]:
    """The column's values with NaN/NA as None."""
    missing = series.isna().to_numpy()
    return [
        None if gone else value
        for value, gone in zip(series.to_numpy(dtype=object), missing, strict=True)
    ]


def e81_sheet(
    sheet: Sheet, summary: Mapping[str, Any], period: Period, base: str, e81: pd.DataFrame
) -> None:
    """Renja evaluation form E.81 (Permendagri 86/2017): program, kegiatan and sub-kegiatan rows
    with target K/Rp, realisation per quarter, to date, capaian, predikat and notes.

    Printed in two page columns (the indicators and quarters, then to-date, capaian and notes),
    with code and uraian repeated: the 23 columns at one A4 width would be unreadably small.
    """
    title = f"Evaluasi Hasil Renja (Form E.81) s.d. {period.roman} — {base}"
    groups, columns = _e81_layout(period)
    if e81 is None or e81.empty:
        _empty(sheet, summary, title, NO_E81, 12)
        return
    _e81_header(sheet, groups)
    levels = [str(t or "") for t in _plain_list(e81["tingkat"])]
    units = _plain_list(e81["nama_unit"]) if "nama_unit" in e81.columns else [None] * len(e81)
    uraian = _plain_list(e81["uraian"]) if "uraian" in e81.columns else [None] * len(e81)
    # the same sub-kegiatan runs in several units: name the unit where the row is read
    uraian = [
        f"{text}\n({unit})" if level == "sub_kegiatan" and unit else text
        for text, unit, level in zip(uraian, units, levels, strict=True)
    ]
    frame = e81.assign(uraian=pd.Series(uraian, index=e81.index, dtype=object))
    kinds = [kind for _, _, kind in columns]
    row_no = sheet.table(
        E81_FIRST_ROW,
        table_values(frame, columns),
        kinds,
        bold=[level in BOLD_LEVELS for level in levels],
        group=[level in GROUP_LEVELS for level in levels],
        indents={2: [INDENT.get(level, 0) for level in levels]},  # the uraian
        raw=False,
    )
    sheet.set_widths(kinds, HEADER_ROW, overrides={1: 18, 2: 28, 3: 24})
    for row in (HEADER_ROW, HEADER_ROW + 1):
        sheet.header_height(row)
    sheet.fit_row_heights(E81_FIRST_ROW)
    sheet.ws.autofilter(HEADER_ROW, 0, row_no - 1, len(columns) - 1)
    first_block_end = 4 + 2 * 5  # kode..satuan, target and four quarters (K, Rp)
    title_rows(sheet, title, summary, 2)  # within the repeated columns: whole on every page column
    sheet.ws.freeze_panes(E81_FIRST_ROW - 1, 2)
    print_setup(
        sheet,
        summary,
        title,
        (HEADER_ROW, HEADER_ROW + 1),
        blocks=[(3, first_block_end), (first_block_end + 1, len(columns))],
        repeat_cols=(1, 2),
    )
