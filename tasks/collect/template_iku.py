"""The IKU sheets of a unit's template (`zona_k3` for a kelurahan, `skm` and `akip` for the
kecamatan) and their CSV form (one file per sheet), per reference/kolom_iku.csv.

Same look as sheet `realisasi`: pre-filled columns grey and locked, inputs yellow with Excel
validation, each header carrying its explanation as a comment. The open rows of `skm` carry no
cell of their own: validation covers them as ranges and one conditional format paints them yellow
(1,000 styled blank rows made every reader, the pre-scan above all, walk 12,000 empty cells).
"""

from __future__ import annotations

import pandas as pd
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from triwulan.tasks.core.iku_input import AKIP, SKM, column_spec
from triwulan.tasks.core.reference import Reference
from triwulan.tasks.core.xlsx_safe import write_cell
from triwulan.tasks.core.xlsx_style import (
    BORDER,
    GREY,
    LOCKED,
    TOP,
    UNLOCKED,
    WRAP_TOP,
    YELLOW,
    header_cell,
)

# Rows open for typing in the skm sheet (one respondent per row); more can be pasted below.
SKM_ROWS = 1000
# A conditional format's solid fill takes its colour from bgColor (Excel ignores fgColor there).
OPEN_ROW_FILL = PatternFill("solid", fgColor=YELLOW.fgColor, bgColor=YELLOW.fgColor)
WIDTHS = {"teks": 30, "tanggal": 14, "skor": 8, "pilihan": 16, "bulat": 9, "angka": 10}
PREFILLED = {"no_zona", "nama_zona", "komponen"}


def _validation(spec: dict[str, str], cells: str, maximum: float | None) -> DataValidation | None:
    tipe = spec["tipe"]
    common = {"allow_blank": True, "showErrorMessage": True, "showInputMessage": True}
    if tipe == "skor":
        rule = DataValidation(
            type="whole", operator="between", formula1="1", formula2="4", **common
        )
        rule.error = "Isi skor 1, 2, 3 atau 4."
    elif tipe == "pilihan" and spec["kolom"] == "status_tertib":
        rule = DataValidation(type="list", formula1='"ya,tidak"', **common)
        rule.error = "Pilih ya atau tidak."
    elif tipe == "angka":
        top = "100" if maximum is None else f"{maximum:g}"
        rule = DataValidation(
            type="decimal", operator="between", formula1="0", formula2=top, **common
        )
        rule.error = f"Isi angka 0 sampai {top} (boleh dua desimal)."
    elif tipe == "tanggal":
        rule = DataValidation(type="date", operator="greaterThan", formula1="36526", **common)
        rule.error = "Isi tanggal, misalnya 14/05/2024."
    else:
        rule = DataValidation(showInputMessage=True, allow_blank=True)
    rule.promptTitle = spec["judul"][:32]
    rule.prompt = spec["penjelasan"][:255]
    rule.add(cells)
    return rule


def write_iku_sheet(ws: Worksheet, ref: Reference, sheet: str, frame: pd.DataFrame) -> None:
    """One IKU sheet: header row, the frame's rows, validation on the input columns."""
    spec = column_spec(ref, sheet)
    keys = list(spec)
    data = frame.reindex(columns=keys)
    open_rows = max(len(data), SKM_ROWS if sheet == SKM else len(data))
    bobot = (
        dict(zip(ref.akip_komponen["komponen"], ref.akip_komponen["bobot"], strict=True))
        if sheet == AKIP
        else {}
    )
    for index, key in enumerate(keys, start=1):
        column = spec[key]
        is_input = key not in PREFILLED
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = WIDTHS.get(column["tipe"], 14) + (
            30 if key in ("nama_zona", "catatan", "jenis_layanan") else 0
        )
        header_cell(ws, index, key, is_input, f"{column['judul']}\n\n{column['penjelasan']}")
        for row_number, value in enumerate(data[key].tolist(), start=2):
            blank = value is None or (isinstance(value, float) and pd.isna(value)) or value == ""
            cell = write_cell(ws, row_number, index, None if blank else value)
            cell.fill = YELLOW if is_input else GREY
            cell.protection = UNLOCKED if is_input else LOCKED
            cell.border = BORDER
            cell.alignment = WRAP_TOP if column["tipe"] == "teks" else TOP
            if column["tipe"] == "tanggal" and not blank:
                cell.number_format = "yyyy-mm-dd"
        if is_input and open_rows:
            if sheet == AKIP and key == "nilai":
                for row_number, komponen in enumerate(data["komponen"].tolist(), start=2):
                    ws.add_data_validation(
                        _validation(column, f"{letter}{row_number}", bobot.get(komponen))
                    )
            else:
                cells = f"{letter}2:{letter}{open_rows + 1}"
                ws.add_data_validation(_validation(column, cells, None))
    _paint_open_rows(ws, [i for i, k in enumerate(keys, 1) if k not in PREFILLED], data, open_rows)
    ws.freeze_panes = "A2"
    ws.protection = SheetProtection(
        sheet=sheet != SKM,  # skm rows are typed or pasted freely; the others keep their rows
        formatCells=False,
        formatColumns=False,
        formatRows=False,
    )
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def _paint_open_rows(ws: Worksheet, inputs: list[int], data: pd.DataFrame, open_rows: int) -> None:
    """Yellow for the rows open for typing below the frame's rows, without creating a cell there.

    The sheet is not protected where rows stay open (skm), so they need no unlocked cells either.
    """
    first, last = len(data) + 2, open_rows + 1
    if not inputs or first > last:
        return
    runs: list[list[int]] = []  # neighbouring columns as one range: A2:L1001, not twelve
    for index in inputs:
        if runs and runs[-1][1] == index - 1:
            runs[-1][1] = index
        else:
            runs.append([index, index])
    ranges = " ".join(
        f"{get_column_letter(a)}{first}:{get_column_letter(b)}{last}" for a, b in runs
    )
    ws.conditional_formatting.add(
        ranges, FormulaRule(formula=["TRUE"], fill=OPEN_ROW_FILL, border=BORDER)
    )


def write_iku_sheets(book: Workbook, ref: Reference, sheets: dict[str, pd.DataFrame]) -> None:
    for sheet, frame in sheets.items():
        write_iku_sheet(book.create_sheet(sheet), ref, sheet, frame)


def guide_lines(sheets: list[str]) -> list[str]:
    """Steps for the guide sheet, in the order the unit meets the sheets."""
    lines = []
    if "zona_k3" in sheets:
        lines.append(
            "Sheet 'zona_k3': isi status_tertib (ya/tidak) untuk setiap zona K3 di kelurahan Anda "
            "sesuai keadaan pada akhir triwulan ini; catatan boleh kosong. Jangan menambah atau "
            "menghapus zona."
        )
    if SKM in sheets:
        lines.append(
            "Sheet 'skm': satu baris per responden survei kepuasan masyarakat triwulan ini "
            "(kode responden, jenis layanan, tanggal, skor u1–u9 masing-masing 1 sampai 4). "
            "Biarkan kosong bila triwulan ini tidak ada survei."
        )
    if AKIP in sheets:
        lines.append(
            "Sheet 'akip': isi nilai keempat komponen dari Laporan Hasil Evaluasi SAKIP bila "
            "terbit pada triwulan ini (perencanaan maks. 30, pengukuran 30, pelaporan 15, "
            "evaluasi internal 25). Biarkan kosong bila belum ada evaluasi."
        )
    return lines
