"""The rekap's E.81 sheet: the whole Renja evaluation form of Permendagri 86/2017, printable.

Header block (perangkat daerah, periode, the RKPD sasaran), the sixteen numbered columns of the
form with a K/Rp pair wherever the form has one, the closing rows (rata-rata capaian, predikat,
faktor pendorong and penghambat, tindak lanjut) and the signature block (rekap_sign). It prints
one page wide, A4 or F4 landscape (rekap_grid.print_setup), the four header rows on every page.

Rows come from e81.json (tasks.measure.e81_form.FORM_COLUMNS); a version written before the form
had its No, Sasaran and Renstra columns shows them empty. A quarter not reported yet is an empty
cell, never 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import pandas as pd

from triwulan.tasks.core.period import ROMAN, Period
from triwulan.tasks.core.xlsx_safe import write_value
from triwulan.tasks.publish.rekap_grid import Sheet
from triwulan.tasks.publish.rekap_layout import (
    BOLD_FONT,
    WRAPPED_KINDS,
    Column,
    Font,
    Look,
    table_values,
)
from triwulan.tasks.publish.rekap_page import keep_together, print_setup, title_rows
from triwulan.tasks.publish.rekap_sheets import empty_sheet
from triwulan.tasks.publish.rekap_sign import signature_block

NO_E81 = "Belum ada data evaluasi Renja (E.81)."
FORM_TITLE = "EVALUASI TERHADAP HASIL RENJA PERANGKAT DAERAH"
FORM_TITLE_FONT = Font(size=12, bold=True, align="center")
HEADER_ROWS = 4  # group, sub-group, K/Rp, column number
BOLD_LEVELS = {"sasaran", "program", "kegiatan", "jumlah"}
GROUP_LEVELS = {"sasaran", "program", "jumlah"}  # grey rows
# The level of a row shows in its code, bold and grey; no indent: Excel indents wider than
# LibreOffice, so an indent would make one of them print rows taller than their text.
SIGNERS = ("penyusun", "camat", "evaluator")
# upper bounds of the text columns (units): long names wrap, the numbers keep their room
HIGHS = {
    "sasaran_cell": 7,  # its header word decides: the text runs on into column 3
    "uraian_cell": 18,
    "indikator_cell": 15,
    "predikat_k": 6,  # 'Sangat' over 'Tinggi': the widest word decides
    "predikat_rp": 6,
    "nama_unit": 10,  # the header's 'penanggung' decides
    "keterangan_cell": 15,
}
TEXT_KEYS = ("no", "sasaran", "tingkat", "kode", "uraian", "indikator", "satuan", "keterangan")


class Part(NamedTuple):
    """Columns under one label of the second header row (None: no second-row label)."""

    label: str | None
    columns: list[Column]


class Group(NamedTuple):
    """One numbered column of the printed form: its label and the cells under it."""

    label: str
    parts: list[Part]

    @property
    def columns(self) -> list[Column]:
        return [column for part in self.parts for column in part.columns]


def _pair(label: str, k: str, rp: str, kind: str = "number", rp_kind: str = "money") -> Group:
    return Group(label, [Part(None, [(k, "K", kind), (rp, "Rp", rp_kind)])])


def _single(label: str, key: str, kind: str) -> Group:
    return Group(label, [Part(None, [(key, "", kind)])])


def form_groups(period: Period, kepala: Mapping[str, Any]) -> list[Group]:
    """The sixteen columns of the form, labelled as printed."""
    tahun = kepala.get("tahun") or period.tahun
    akhir = kepala.get("tahun_akhir_renstra")
    tw = period.roman
    return [
        _single("No", "no", "count"),
        _single("Sasaran", "sasaran_cell", "longtext"),
        _single("Program/ Kegiatan/ Sub Kegiatan", "uraian_cell", "longtext"),
        _single("Indikator Kinerja (Satuan)", "indikator_cell", "longtext"),
        _pair(
            f"Target Renstra akhir periode ({akhir})" if akhir else "Target Renstra akhir periode",
            "renstra_target_k",
            "renstra_target_rp",
        ),
        _pair(
            f"Realisasi Renstra s.d. tahun lalu ({int(tahun) - 1})",
            "renstra_lalu_k",
            "renstra_lalu_rp",
        ),
        _pair(f"Target Renja tahun {tahun}", "target_k", "target_rp"),
        *(_pair(f"Realisasi TW {ROMAN[q]}", f"k_tw{q}", f"rp_tw{q}") for q in range(1, 5)),
        Group(
            f"Realisasi capaian Renja tahun {tahun} s.d. {tw}",
            [
                Part("Realisasi", [("k_sd", "K", "number"), ("rp_sd", "Rp", "money")]),
                Part(
                    "Capaian (%)",
                    [("capaian_k_persen", "K", "percent"), ("capaian_rp_persen", "Rp", "percent")],
                ),
                Part("Predikat", [("predikat_k", "K", "text"), ("predikat_rp", "Rp", "text")]),
            ],
        ),
        _pair(f"Realisasi Renstra s.d. tahun {tahun}", "renstra_sd_k", "renstra_sd_rp"),
        _pair(
            f"Tingkat capaian Renstra s.d. tahun {tahun} (%)",
            "renstra_capaian_k_persen",
            "renstra_capaian_rp_persen",
            "percent",
            "percent",
        ),
        _single("Unit penanggung jawab", "nama_unit", "text"),
        _single("Keterangan", "keterangan_cell", "longtext"),
    ]


def _header(sheet: Sheet, top: int, groups: Sequence[Group]) -> None:
    """Four rows: label, sub-label (group 12), K/Rp, '(n)'; a single column's label spans three."""
    col = 1
    for number, group in enumerate(groups, start=1):
        first, last = col, col + len(group.columns) - 1
        if len(group.columns) == 1:
            sheet.header_span(top, first, group.label, top + 2, first)
        else:
            subs = any(part.label for part in group.parts)
            sheet.header_span(top, first, group.label, top + (0 if subs else 1), last)
            at = first
            for part in group.parts:
                end = at + len(part.columns) - 1
                if part.label:
                    sheet.header_span(top + 1, at, part.label, top + 1, end)
                sheet.header(top + 2, [header for _, header, _ in part.columns], first_col=at)
                at = end + 1
        sheet.header_span(top + 3, first, f"({number})", top + 3, last)
        col = last + 1


def form_frame(e81: pd.DataFrame) -> pd.DataFrame:
    """The cells of columns 2-4 and 16 from the form's rows, a column at a time."""
    frame = e81.copy()
    for key in TEXT_KEYS + ("kendala", "tindak_lanjut"):
        if key not in frame.columns:
            frame[key] = ""
        frame[key] = frame[key].fillna("").astype(str)
    level = frame["tingkat"]
    # a sasaran row has no program: its text is written across columns 2 and 3 (e81_sheet)
    sasaran = frame["sasaran"].where(frame["sasaran"] != "", frame["uraian"])
    frame["sasaran_cell"] = ""
    uraian = (frame["kode"] + " " + frame["uraian"]).str.strip()
    uraian = uraian.where(level != "sasaran", sasaran)
    frame["uraian_cell"] = uraian.where(level != "jumlah", frame["uraian"].replace("", "Jumlah"))
    satuan = (" (" + frame["satuan"] + ")").where(frame["satuan"] != "", "")
    frame["indikator_cell"] = (frame["indikator"] + satuan).where(frame["indikator"] != "", "")
    kendala = ("Kendala: " + frame["kendala"]).where(frame["kendala"] != "", "")
    lanjut = ("Tindak lanjut: " + frame["tindak_lanjut"]).where(frame["tindak_lanjut"] != "", "")
    notes = (kendala + "\n" + lanjut).str.strip("\n")
    frame["keterangan_cell"] = frame["keterangan"].where(level == "sasaran", notes)
    return frame


def e81_sheet(
    sheet: Sheet, summary: Mapping[str, Any], period: Period, base: str, e81: pd.DataFrame | None
) -> None:
    """The form E.81 of the version (see the module docstring)."""
    title = f"Evaluasi Hasil Renja Perangkat Daerah (Form E.81) s.d. {period.roman} — {base}"
    form = summary.get("e81_form") or {}
    kepala = form.get("kepala") or {}
    groups = form_groups(period, kepala)
    columns = [column for group in groups for column in group.columns]
    last_col = len(columns)
    if e81 is None or e81.empty:
        empty_sheet(sheet, summary, title, NO_E81, 12)
        return
    block = _block_lines(summary, period, kepala)
    top = 4 + len(block) + 1  # rows 1-2 title and note, 3 blank, the block, a blank row
    first = top + HEADER_ROWS
    _header(sheet, top, groups)
    frame = form_frame(e81)
    levels = frame["tingkat"].tolist()
    kinds = [kind for _, _, kind in columns]
    last = sheet.table(
        first,
        table_values(frame, columns),
        kinds,
        bold=[level in BOLD_LEVELS for level in levels],
        group=[level in GROUP_LEVELS for level in levels],
        raw=False,
    )
    keys = [key for key, _, _ in columns]
    highs = {keys.index(key) + 1: high for key, high in HIGHS.items()}
    sheet.set_widths(kinds, top, highs=highs)
    for row in range(top, first):
        sheet.header_height(row)
    sheet.fit_row_heights(first)
    _sasaran_across(sheet, first, frame, columns)
    sheet.ws.autofilter(first - 2, 0, last - 1, last_col - 1)
    for offset, (text, font) in enumerate(block):
        sheet.line(4 + offset, text, last_col, font)
    row = _closing(sheet, last + 1, form.get("penutup") or [], keys)
    signed = signature_block(sheet, row + 2, summary, SIGNERS, last_col)
    title_rows(sheet, title, summary, last_col)
    sheet.ws.freeze_panes(first - 1, 3)
    print_setup(sheet, summary, title, (top, first - 1), last_col)
    if signed > row + 1:
        keep_together(sheet, row + 2, signed, (top, first - 1))


def _sasaran_across(
    sheet: Sheet, first: int, frame: pd.DataFrame, columns: Sequence[Column]
) -> None:
    """Each sasaran row's text across columns 2-3 (the row has no program), and the row as
    high as its tallest cell with that wider room."""
    look = sheet.book.look(Look("longtext", bold=True, group=True))
    bold = Font(bold=True)
    wrapped = [
        (col, key)
        for col, (key, _, kind) in enumerate(columns, start=1)
        if kind in WRAPPED_KINDS and col > 3
    ]
    for index in (frame["tingkat"] == "sasaran").to_numpy().nonzero()[0].tolist():
        row, text = first + index, str(frame["uraian_cell"].iloc[index])
        sheet.ws.merge_range(row - 1, 1, row - 1, 2, "", look)
        write_value(sheet.ws, row - 1, 1, text, look)
        cells = [(_text(frame, key, index), col) for col, key in wrapped]
        heights = [sheet.text_height(text, 2, 3, bold)] + [
            sheet.text_height(cell, col, col, bold) for cell, col in cells
        ]
        sheet.set_height(row, max(heights))


def _text(frame: pd.DataFrame, key: str, index: int) -> str:
    """The text of a cell of the frame ('' for a missing column or value)."""
    if key not in frame.columns:
        return ""
    value = frame[key].iloc[index]
    return "" if pd.isna(value) else str(value)


def _block_lines(
    summary: Mapping[str, Any], period: Period, kepala: Mapping[str, Any]
) -> list[tuple[str, Font]]:
    """The form's header block: title, perangkat daerah, periode, the RKPD sasaran served."""
    daerah = kepala.get("perangkat_daerah") or summary.get("kecamatan") or "-"
    lines = [
        (FORM_TITLE, FORM_TITLE_FONT),
        (f"Perangkat Daerah: {daerah}", BOLD_FONT),
        (f"Periode pelaksanaan: {kepala.get('periode') or period.long}", BOLD_FONT),
    ]
    if kepala.get("periode_renstra"):
        lines.append((f"Periode Renstra: {kepala['periode_renstra']}", Font()))
    sasaran = [str(s) for s in kepala.get("sasaran_rkpd") or [] if str(s).strip()]
    if sasaran:
        lines.append(
            (
                "Indikator dan target kinerja Perangkat Daerah yang mengacu pada sasaran RKPD:",
                Font(),
            )
        )
        lines += [(f"{n}. {text}", Font()) for n, text in enumerate(sasaran, start=1)]
    return lines


def _closing(sheet: Sheet, row: int, penutup: Sequence[Mapping[str, Any]], keys: list[str]) -> int:
    """The closing rows under Jumlah; returns the last row written (row - 1 for none).

    Rata-rata capaian and predikat put K and Rp under column 12's capaian and predikat cells;
    the written items (faktor pendorong, penghambat, tindak lanjut) span the table, numbered.
    """
    last_col = len(keys)
    at = {
        "rata_rata": (keys.index("capaian_k_persen") + 1, "percent"),
        "predikat": (keys.index("predikat_k") + 1, "text"),
    }
    label_end = at["rata_rata"][0] - 1
    bold, plain = Look("longtext", bold=True), Look("longtext")
    for item in penutup:
        butir, judul = str(item.get("butir") or ""), str(item.get("judul") or "")
        if butir in at:
            col, kind = at[butir]
            height = _merged(sheet, row, 1, label_end, judul, bold)
            cells: list[list[Any]] = [[None] for _ in range(label_end + 1, last_col + 1)]
            cells[col - label_end - 1] = [item.get("k")]
            cells[col - label_end] = [item.get("rp")]
            kinds = ["text"] * len(cells)
            kinds[col - label_end - 1] = kinds[col - label_end] = kind
            sheet.table(row, cells, kinds, bold=[True], first_col=label_end + 1)
            for at_col in (col, col + 1):  # 'Sangat Tinggi' takes two lines in its column
                value = item.get("k" if at_col == col else "rp")
                if kind == "text" and value:
                    text = str(value)
                    height = max(height, sheet.text_height(text, at_col, at_col, Font(bold=True)))
        else:
            texts = [str(t) for t in item.get("teks") or [] if str(t).strip()]
            # "… dan 4 lainnya" closes a capped list: counted, not numbered
            body = (
                "\n".join(
                    t if t.startswith("…") else f"{n}. {t}" for n, t in enumerate(texts, start=1)
                )
                or "-"
            )
            height = max(
                _merged(sheet, row, 1, 4, judul, bold),
                _merged(sheet, row, 5, last_col, body, plain),
            )
        sheet.set_height(row, height)
        row += 1
    return row - 1


def _merged(sheet: Sheet, row: int, first: int, last: int, text: str, look: Look) -> float:
    """A bordered cell merged across first..last; returns the height its text needs."""
    fmt = sheet.book.look(look)
    if last > first:
        sheet.ws.merge_range(row - 1, first - 1, row - 1, last - 1, "", fmt)
    write_value(sheet.ws, row - 1, first - 1, text, fmt)
    sheet.last_row = max(sheet.last_row, row)
    return sheet.text_height(text, first, last, Font(bold=look.bold))
