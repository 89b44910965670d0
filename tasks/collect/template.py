"""The submission template a unit fills in each quarter: xlsx for people, CSV for tools.

Both carry exactly the contract columns of reference/kolom_pengajuan.csv, so a filled-in template
goes straight back through tasks.collect.ingest. The xlsx is made for people who did not write it:
pre-filled columns are grey and locked, the columns to fill are yellow, unlocked and validated,
and a second sheet explains everything in Indonesian.
"""

from __future__ import annotations

import csv
import math
import numbers
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from triwulan.tasks.collect.ingest import SHEET
from triwulan.tasks.collect.template_iku import guide_lines, write_iku_sheets
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.iku_input import csv_columns, prefilled_sheets, with_identity
from triwulan.tasks.core.parse import parse_int, parse_number
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference
from triwulan.tasks.core.submission import columns, input_columns, prefilled_frame
from triwulan.tasks.core.xlsx_safe import csv_text, write_cell
from triwulan.tasks.core.xlsx_style import (
    BORDER,
    GREY,
    GREY_HEADER,
    LOCKED,
    TOP,
    UNLOCKED,
    WRAP_TOP,
    YELLOW,
    header_cell,
)

FORMATS = ("xlsx", "csv")
GUIDE_SHEET = "petunjuk"
MONTHS = {1: "Januari–Maret", 2: "April–Juni", 3: "Juli–September", 4: "Oktober–Desember"}

# '#,##0' means "group thousands" in the file format, which always uses the en-US symbols; the
# spreadsheet shows the separators of the user's locale. An Indonesian Excel/LibreOffice therefore
# displays 46.754.089.520. Writing '#.##0' instead would break on every other locale.
RUPIAH_FORMAT = "#,##0"
INTEGER_FORMAT = "0"


LINE_HEIGHT = 15.0  # points per text line at the default 11 pt font
WIDE_TEXT = 40  # width of long text columns (names, indicators, free text)
# Excel refuses longer validation texts (it "repairs" the file and drops the validation).
MAX_TITLE, MAX_PROMPT, MAX_ERROR = 32, 255, 225

# Excel data validation per contract type of an input column: (type, operator, formula1, formula2).
# Rupiah uses a custom formula: Excel's "whole number" rule stops at 2.147.483.647, and the
# kecamatan's quarterly salaries alone are above 3 billion.
_RULES: dict[str, tuple[str, str | None, str, str | None]] = {
    "rupiah": ("custom", None, "AND(ISNUMBER({cell}),{cell}>=0,{cell}=INT({cell}))", None),
    "bulat": ("whole", "greaterThanOrEqual", "0", None),
    "persen": ("decimal", "between", "0", "100"),
    "angka": ("decimal", "greaterThanOrEqual", "0", None),
}
_ERRORS = {
    "rupiah": "Isi rupiah sebagai bilangan bulat tidak negatif, tanpa titik atau koma "
    "(misalnya 1500000). Isi 0 bila tidak ada belanja.",
    "bulat": "Isi bilangan bulat tidak negatif.",
    "persen": "Isi persen dari 0 sampai 100 (misalnya 75 atau 82,5), tanpa tanda %.",
    "angka": "Isi angka tidak negatif (misalnya 3 atau 2,5).",
}


def slug(unit: str) -> str:
    """Units are typed by people: 'Perwira ' means perwira."""
    return unit.strip().lower()


def default_filename(period: Period, unit: str, fmt: str = "xlsx") -> str:
    """One predictable name per unit and quarter, e.g. realisasi-2024-TW2-perwira.xlsx."""
    return f"realisasi-{period.label}-{slug(unit)}.{fmt.lower().lstrip('.')}"


# ---------------------------------------------------------------- values


def _is_blank(value: object) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def _as_number(value: object) -> int | float | None:
    """A number for numeric-looking input (also '1500000' as text); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            return None
        return int(number) if number.is_integer() else number
    if isinstance(value, str):
        # the validator's parsers: what it reads as a number is written as one
        whole = parse_int(value)
        return whole if whole is not None else parse_number(value)
    return None


def _text(value: object) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _excel_value(value: object, tipe: str) -> object:
    """Numbers as real numbers (int for money), text as text; a bad value stays visible as text."""
    if _is_blank(value):
        return None
    if tipe == "teks":
        return _text(value)
    number = _as_number(value)
    return _text(value) if number is None else number


def _csv_text(value: object) -> str:
    """Numbers as written by tools; text through csv_text (no formula when opened in Excel)."""
    if _is_blank(value):
        return ""
    if isinstance(value, bool | str):
        return csv_text(str(value))
    number = _as_number(value)
    if number is None:
        return csv_text(str(value))
    return str(number) if isinstance(number, int) else repr(number)


# ---------------------------------------------------------------- xlsx helpers


def _contract(ref: Reference) -> dict[str, dict[str, str]]:
    return {row["kolom"]: dict(row) for row in ref.kolom.to_dict("records")}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lines(text: str, width: float) -> int:
    """Rough line count of wrapped text, to size rows (Excel does not autofit on open)."""
    per_line = max(int(width * 1.1) - 1, 1)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def _width(key: str, spec: dict[str, str], values: list[object]) -> float:
    if spec["tipe"] == "teks":
        if spec["jenis"] == "isian":
            return WIDE_TEXT
        longest = max((len(str(v)) for v in values if v is not None), default=0)
        return min(max(longest, len(key)) + 2, WIDE_TEXT)
    if spec["tipe"] == "rupiah":
        return max(len(key) + 2, 18)
    return max(len(key) + 2, 9)


def _validation(key: str, spec: dict[str, str], cells: str) -> DataValidation:
    rule = _RULES.get(spec["tipe"])
    prompt = _clip(str(spec["penjelasan"]), MAX_PROMPT)
    if rule is None:  # free text: no restriction, but still the explanation as input prompt
        validation = DataValidation(showInputMessage=True, allow_blank=True)
    else:
        kind, operator, low, high = rule
        low = low.format(cell=cells.split(":")[0].replace("$", ""))
        validation = DataValidation(
            type=kind,
            operator=operator,
            formula1=low,
            formula2=high,
            allow_blank=True,
            showErrorMessage=True,
            showInputMessage=True,
            errorStyle="stop",
            errorTitle="Isian tidak sah",
            error=_clip(_ERRORS[spec["tipe"]], MAX_ERROR),
        )
    validation.promptTitle = _clip(str(spec["judul"]), MAX_TITLE)
    validation.prompt = prompt
    validation.add(cells)
    return validation


def _freeze_column(keys: list[str]) -> int:
    """Keep the row's identity visible while scrolling right: up to the sub-kegiatan name."""
    for name in ("nama_sub_kegiatan", "kode_sub_kegiatan"):
        if name in keys:
            return keys.index(name) + 2
    return 2


def _write_data_sheet(ws: Worksheet, frame: pd.DataFrame, ref: Reference) -> None:
    contract = _contract(ref)
    keys = columns(ref)
    data = frame.reindex(columns=keys)
    rows = [
        [
            _excel_value(value, contract[key]["tipe"])
            for key, value in zip(keys, record, strict=True)
        ]
        for record in data.itertuples(index=False, name=None)
    ]
    widths: dict[str, float] = {}
    for index, key in enumerate(keys, start=1):
        spec = contract[key]
        is_input = spec["jenis"] == "isian"
        letter = get_column_letter(index)
        width = _width(key, spec, [row[index - 1] for row in rows])
        widths[key] = width
        ws.column_dimensions[letter].width = width

        note = f"{spec['judul']}\n\n{spec['penjelasan']}\n\nLihat juga sheet '{GUIDE_SHEET}'."
        header_cell(ws, index, key, is_input, note)

        number_format = {"rupiah": RUPIAH_FORMAT, "bulat": INTEGER_FORMAT}.get(spec["tipe"])
        for row_number, row in enumerate(rows, start=2):
            cell = write_cell(ws, row_number, index, row[index - 1])
            cell.fill = YELLOW if is_input else GREY
            cell.protection = UNLOCKED if is_input else LOCKED
            cell.border = BORDER
            cell.alignment = WRAP_TOP if spec["tipe"] == "teks" else TOP
            if number_format:
                cell.number_format = number_format
        if is_input and rows:
            ws.add_data_validation(_validation(key, spec, f"{letter}2:{letter}{len(rows) + 1}"))

    for row_number, row in enumerate(rows, start=2):
        lines = max(
            (
                _lines(str(value), widths[key])
                for key, value in zip(keys, row, strict=True)
                if isinstance(value, str) and contract[key]["tipe"] == "teks"
            ),
            default=1,
        )
        if lines > 1:
            ws.row_dimensions[row_number].height = LINE_HEIGHT * lines

    ws.freeze_panes = ws.cell(row=2, column=_freeze_column(keys))
    # Locks the grey cells against accidental edits. No password on purpose: it is a guard rail,
    # not security (Tinjau > Buka Proteksi Lembar lifts it); ingest validation catches the rest.
    # Resizing and formatting stay allowed so the sheet remains comfortable to work in; inserting
    # and deleting rows or columns stays forbidden because the row set is part of the contract.
    ws.protection = SheetProtection(
        sheet=True, formatCells=False, formatColumns=False, formatRows=False
    )
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def _secretariat(ref: Reference) -> str:
    office = ref.units[ref.units["jenis"] == "kecamatan"]
    name = f"Sekretariat {ref.kecamatan_name}"
    email = str(office["email"].iloc[0]) if len(office) else ""
    return f"{name} ({email})" if "@" in email else name


def _steps(ref: Reference, period: Period, unit: str) -> list[str]:
    inputs = input_columns(ref)
    roman = period.roman
    steps = [
        f"Buka sheet '{SHEET}'. Isi hanya kolom berwarna kuning ({', '.join(inputs)}). Kolom "
        "berwarna abu-abu sudah terisi dari data referensi dan dikunci; jangan diubah.",
    ]
    if "realisasi_keuangan" in inputs:
        steps.append(
            f"realisasi_keuangan: rupiah yang dibelanjakan pada {roman} saja "
            f"({MONTHS[period.triwulan]} {period.tahun}), BUKAN kumulatif sejak awal tahun. Tulis "
            "bilangan bulat tanpa titik atau koma, misalnya 1500000; Excel menampilkan pemisah "
            "ribuan sendiri. Isi 0 bila tidak ada belanja."
        )
    if "realisasi_fisik" in inputs:
        steps.append(
            "realisasi_fisik: kemajuan fisik KUMULATIF sampai dengan akhir triwulan ini, dalam "
            "persen 0 sampai 100 (misalnya 75 atau 82,5), tanpa tanda %."
        )
    if "realisasi_keluaran" in inputs:
        steps.append(
            f"realisasi_keluaran: volume keluaran yang dicapai pada {roman} saja, dalam satuan "
            "pada kolom satuan."
        )
    if "kendala" in inputs or "tindak_lanjut" in inputs:
        steps.append("kendala dan tindak_lanjut boleh kosong; isi bila ada permasalahan.")
    steps += [
        "Jangan menambah atau menghapus baris, dan jangan mengubah baris judul kolom (baris 1). "
        "Bila ada sub kegiatan yang kurang atau salah, hubungi sekretariat.",
        "Simpan tetap sebagai Excel Workbook (.xlsx); jangan ubah ke format lain.",
        *guide_lines(list(prefilled_sheets(ref, period, unit))),
        f"Kirim berkas yang sudah diisi ke {_secretariat(ref)}.",
        "Sheet realisasi diproteksi tanpa kata sandi hanya agar kolom abu-abu tidak berubah tanpa "
        "sengaja. Lebar kolom dan tinggi baris boleh diatur.",
    ]
    return steps


def _write_guide_sheet(ws: Worksheet, ref: Reference, period: Period, unit: str, rows: int) -> None:
    widths = {"A": 5, "B": 22, "C": 30, "D": 70, "E": 24}
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    merged_width = sum(widths[c] for c in "BCDE")
    value_width = sum(widths[c] for c in "CDE")

    ws["A1"] = "Petunjuk Pengisian Laporan Realisasi Triwulan"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:E1")
    line = 3
    facts = [
        ("Unit", f"{ref.unit_name(unit)} (kode unit: {unit})"),
        ("Periode", f"{period.long} ({MONTHS[period.triwulan]}), kode periode {period.label}"),
        ("Kecamatan", ref.kecamatan_name),
        ("Jumlah baris", f"{rows} sub kegiatan"),
    ]
    for label, value in facts:
        write_cell(ws, line, 2, label).font = Font(bold=True)
        write_cell(ws, line, 3, value).alignment = WRAP_TOP
        ws.merge_cells(start_row=line, start_column=3, end_row=line, end_column=5)
        ws.row_dimensions[line].height = LINE_HEIGHT * _lines(value, value_width)
        line += 1

    line += 1
    ws.cell(row=line, column=1, value="Cara mengisi").font = Font(bold=True, size=12)
    line += 1
    for number, step in enumerate(_steps(ref, period, unit), start=1):
        ws.cell(row=line, column=1, value=number).alignment = TOP
        write_cell(ws, line, 2, step).alignment = WRAP_TOP
        ws.merge_cells(start_row=line, start_column=2, end_row=line, end_column=5)
        ws.row_dimensions[line].height = LINE_HEIGHT * _lines(step, merged_width)
        line += 1

    line += 1
    ws.cell(row=line, column=1, value="Daftar kolom sheet realisasi").font = Font(
        bold=True, size=12
    )
    line += 1
    for index, title in enumerate(["No", "Kolom", "Judul", "Penjelasan", "Pengisian"], start=1):
        cell = ws.cell(row=line, column=index, value=title)
        cell.font = Font(bold=True)
        cell.fill = GREY_HEADER
        cell.border = BORDER
    line += 1
    for number, spec in enumerate(_contract(ref).values(), start=1):
        is_input = spec["jenis"] == "isian"
        values = [
            number,
            spec["kolom"],
            spec["judul"],
            spec["penjelasan"],
            "Diisi unit (kuning)" if is_input else "Sudah terisi, dikunci (abu-abu)",
        ]
        for index, value in enumerate(values, start=1):
            cell = write_cell(ws, line, index, value)
            cell.alignment = WRAP_TOP
            cell.border = BORDER
        ws.cell(row=line, column=5).fill = YELLOW if is_input else GREY
        ws.row_dimensions[line].height = LINE_HEIGHT * max(
            _lines(str(spec["penjelasan"]), widths["D"]), _lines(str(spec["judul"]), widths["C"])
        )
        line += 1


# ---------------------------------------------------------------- public


def write_xlsx(
    frame: pd.DataFrame,
    path: Path,
    ref: Reference,
    period: Period,
    unit: str,
    iku: dict[str, pd.DataFrame] | None = None,
) -> None:
    """The workbook people fill in: sheet `realisasi` (the contract), the unit's IKU sheets
    (pre-filled, or `iku` as given: the sample's filled sheets) and sheet `petunjuk`."""
    book = Workbook()
    data = book.active
    data.title = SHEET
    _write_data_sheet(data, frame, ref)
    sheets = prefilled_sheets(ref, period, unit)
    if iku is not None:
        sheets = {name: iku.get(name, sheets[name]) for name in sheets}
    write_iku_sheets(book, ref, sheets)
    _write_guide_sheet(book.create_sheet(GUIDE_SHEET), ref, period, unit, len(frame))
    book.active = 0
    book.properties.title = f"Realisasi {period.long} {ref.unit_name(unit)}"
    book.properties.creator = "triwulan"
    book.save(Path(path))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 comma CSV with the frame's (contract) header; whole numbers without '.0'.

    Text starting with = + - @ tab or CR gets a leading ' (xlsx_safe.csv_text), so Excel opens it
    as text. ingest reads that quote back as part of the cell, which is harmless here: the
    pre-filled columns the validator compares (tahun, triwulan, unit, kode, pagu, target) can
    never start with those characters (reference checks: slugs start with a letter, codes with a
    digit, money is a non-negative integer written as a number), so only names and indicators,
    which the validator does not compare, could ever carry it; the input columns are empty.
    """
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([str(c) for c in frame.columns])
        for record in frame.itertuples(index=False, name=None):
            writer.writerow([_csv_text(value) for value in record])


def iku_csv_path(path: Path, sheet: str) -> Path:
    """The CSV form has one file per sheet: realisasi-2024-TW2-kecamatan-skm.csv beside it."""
    return path.with_name(f"{path.stem}-{sheet}.csv")


def write_template(
    ref: Reference, period: Period, unit: str, path: Path, fmt: str = "xlsx"
) -> Path:
    """Write the pre-filled submission of one unit for one quarter; return where it went."""
    fmt = fmt.strip().lower().lstrip(".")
    if fmt not in FORMATS:
        raise TriwulanError(
            f"Format '{fmt}' tidak dikenal. Pilih salah satu: {', '.join(FORMATS)}."
        )
    unit = slug(unit)
    known = [str(u) for u in ref.units["unit"]]
    if unit not in known:
        raise TriwulanError(
            f"Unit '{unit}' tidak dikenal dalam data referensi tahun {ref.tahun}. "
            f"Unit yang ada: {', '.join(known)}."
        )
    if period.tahun != ref.tahun:
        raise TriwulanError(
            f"Periode {period.label} tidak cocok dengan data referensi tahun {ref.tahun}."
        )
    path = Path(path)
    if path.suffix.lower() != f".{fmt}":
        raise TriwulanError(
            f"Nama berkas '{path.name}' harus berakhiran .{fmt} agar dapat dibaca kembali."
        )
    frame = prefilled_frame(ref, period, unit)
    if frame.empty:
        raise TriwulanError(
            f"{ref.unit_name(unit)} tidak punya sub kegiatan dalam data referensi tahun "
            f"{ref.tahun}; tidak ada yang perlu dilaporkan."
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "xlsx":
            write_xlsx(frame, path, ref, period, unit)
        else:
            write_csv(frame, path)
            for sheet, rows in prefilled_sheets(ref, period, unit).items():
                iku = with_identity(rows, period, unit).reindex(columns=csv_columns(ref, sheet))
                write_csv(iku, iku_csv_path(path, sheet))
    except OSError as exc:
        raise TriwulanError(
            f"Berkas {path} tidak dapat ditulis ({exc.strerror or exc}). Bila berkas itu sedang "
            "dibuka di Excel, tutup dulu lalu coba lagi."
        ) from exc
    return path
