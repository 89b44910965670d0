"""A year's reference data as one workbook a secretariat edits, and back to the year's CSVs.

One sheet per file of `reference/<tahun>/` (sheet and file named in reference/kolom_referensi.csv,
with each column's Indonesian label and explanation), a `petunjuk` sheet first. The header row
holds the contract keys (small, locked: what is read back) with the explanation as a comment,
row 2 the Indonesian labels; data cells below are free to edit and rows may be added or
removed. Each sheet prints one page wide, landscape, its two header rows on every page. Codes and names are text cells; rupiah are whole numbers shown
with thousands separators. The `anggaran` sheet has a `cek` column of our own (a formula) that
says when TW I–IV do not add up to the pagu; it is never read back.

Reading gives each file's rows as text, exactly as the CSV files hold them, so the checks of
tasks/core/reference_checks.py judge a workbook as they judge a year folder.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection

from triwulan.paths import PACKAGED_REFERENCE
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.reference_checks import FILES, MONEY_COLS, SUB_KEY
from triwulan.tasks.core.reference_form import OPTIONAL_FILES
from triwulan.tasks.core.reference_revision import in_force_before, removed
from triwulan.tasks.core.xlsx_safe import write_cell
from triwulan.tasks.core.xlsx_style import (
    BORDER,
    GREY_HEADER,
    LOCKED,
    TOP,
    UNLOCKED,
    WRAP_TOP,
    YELLOW_HEADER,
    header_cell,
)

LABELS_FILE = "kolom_referensi.csv"
GUIDE = "petunjuk"
CHECK = "cek"
MONEY_FORMAT = "#,##0"
LABEL_ROW = 2  # row 1: the contract keys (read back); row 2: the Indonesian labels
FIRST_ROW = 3
SPARE_ROWS = 200
TEXT_FORMAT = "@"
LINE_HEIGHT = 15  # points per line of 11 pt text: printers do not grow rows by themselves
# fonts named in full: a font without a name prints in the viewer's default (a serif in LibreOffice)
KEY_FONT = Font(name="Calibri", size=8, color="595959")
LABEL_FONT = Font(name="Calibri", size=11, bold=True)
MISMATCH_FONT = Font(name="Calibri", size=11, bold=True, color="C00000")
FOOTER = "&A, halaman &P dari &N"  # sheet name and page: loose printed pages stay in order
GUIDE_WIDTH = 100
# list validation: (sheet, column) -> the allowed values
CHOICES = {
    ("unit", "jenis"): ("kecamatan", "kelurahan"),
    ("anggaran", "versi"): ("murni", "perubahan"),
    ("anggaran", "berlaku_mulai_tw"): ("1", "2", "3", "4"),
    ("iku", "arah"): ("naik", "turun"),
    ("pejabat", "peran"): ("penyusun", "camat", "evaluator"),
}
GUIDE_LINES = [
    "Data referensi tahun {tahun}: satu lembar untuk setiap berkas referensi.",
    "Isi atau ubah baris di bawah judul kolom; baris boleh ditambah atau dihapus.",
    "Baris 1 (kunci kolom) dan baris 2 (judul kolom) jangan diubah: arahkan tetikus ke kunci "
    "kolom di baris 1 untuk penjelasan kolom.",
    "Kode unit, program, kegiatan dan sub kegiatan ditulis persis, misalnya 7.01.01.2.01.0006.",
    "Rupiah diketik sebagai bilangan bulat tanpa titik atau koma (pemisah ribuan tampil sendiri); "
    "jumlah TW I sampai TW IV harus sama dengan pagu: lihat kolom cek di lembar anggaran.",
    "Lembar sasaran, renstra, iku_tahunan, pejabat, catatan_e81, jenis_belanja dan akip_tahunan "
    "boleh kosong.",
    "Setelah selesai: triwulan referensi periksa <berkas>, lalu triwulan referensi pasang "
    "<berkas>.",
    "Perubahan anggaran (APBD Perubahan): ubah pagu dan anggaran kas di lembar anggaran "
    "(triwulan yang sudah lewat tetap), tambahkan sub kegiatan baru bila ada, lalu triwulan "
    "referensi perubahan {tahun} --mulai-tw <n> <berkas>. Perubahan hanya membaca lembar "
    "anggaran, sub_kegiatan, kegiatan, program dan jenis_belanja (pembagian pagu baru per jenis "
    "belanja, bila diisi).",
]


@dataclass(frozen=True)
class Column:
    key: str
    judul: str
    penjelasan: str


@lru_cache(maxsize=1)
def labels() -> dict[str, tuple[str, list[Column]]]:
    """sheet -> (file, its columns in order): the contract of kolom_referensi.csv, always the
    package's own (a copy in a reference folder would go stale on the next upgrade)."""
    path = PACKAGED_REFERENCE / LABELS_FILE
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    out: dict[str, tuple[str, list[Column]]] = {}
    for row in frame.itertuples(index=False):
        entry = out.setdefault(row.lembar, (row.berkas, []))
        entry[1].append(Column(row.kolom, row.judul, row.penjelasan))
    return out


def year_files() -> list[str]:
    """Every file a year folder may hold, the required ones first."""
    return [*FILES, *OPTIONAL_FILES]


def read_year_text(folder: Path) -> dict[str, pd.DataFrame]:
    """Each file of a year folder as text, as written (a missing optional file: no entry)."""
    frames = {}
    for name in year_files():
        path = folder / name
        if path.is_file():
            frames[name] = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return frames


def starting_point(
    frames: dict[str, pd.DataFrame], revision: bool = False
) -> dict[str, pd.DataFrame]:
    """Where a workbook starts. A revision of a year: the budget in force at its end (what a
    revision removed left out). A new year: the old one's APBD murni from TW I, a sub-kegiatan a
    revision added with its revised budget, without last year's printed realisation and notes.
    """
    out = dict(frames)
    budget = out.get("anggaran.csv")
    if budget is not None and {"versi", "berlaku_mulai_tw", *MONEY_COLS} <= set(budget.columns):
        latest = in_force_before(budget, 5)
        latest = latest[~removed(latest)]
        if not revision:
            murni = budget[budget["versi"] == "murni"]
            added = latest[~pd.MultiIndex.from_frame(latest[SUB_KEY]).isin(
                pd.MultiIndex.from_frame(murni[SUB_KEY]))]  # fmt: skip
            latest = pd.concat([murni, added.assign(versi="murni", berlaku_mulai_tw="1")])
        out["anggaran.csv"] = latest.sort_index(kind="stable").reset_index(drop=True)
    if not revision:
        iku = out.get("iku.csv")
        if iku is not None and "realisasi_tahunan_seed" in iku.columns:
            out["iku.csv"] = iku.assign(realisasi_tahunan_seed="")
        # last year's notes, and its split of a budget the new year no longer has
        for name in ("catatan_e81.csv", "jenis_belanja.csv"):
            if name in out:
                out[name] = out[name].iloc[0:0]
    return out


def _is_whole(text: str) -> bool:
    return text.isdigit() and len(text) <= 15  # Excel keeps 15 significant digits exactly


def write_book(frames: dict[str, pd.DataFrame], tahun: int, path: Path) -> Path:
    """The workbook of `frames` (file name -> text frame) for budget year `tahun`."""
    spec = labels()
    book = Workbook()
    guide = book.active
    guide.title = GUIDE
    for i, line in enumerate(GUIDE_LINES, start=1):
        text = line.format(tahun=tahun)
        write_cell(guide, i, 1, text).alignment = WRAP_TOP
        guide.row_dimensions[i].height = LINE_HEIGHT * _lines(text, GUIDE_WIDTH)
    guide.cell(row=1, column=1).font = LABEL_FONT
    guide.column_dimensions["A"].width = GUIDE_WIDTH
    _print_setup(guide)
    by_file = {file: sheet for sheet, (file, _) in spec.items()}
    for name in year_files():
        sheet = by_file.get(name)
        if sheet is None:
            raise TriwulanError(f"{LABELS_FILE}: tidak ada lembar untuk {name}.")
        frame = frames.get(name, pd.DataFrame(columns=[c.key for c in spec[sheet][1]]))
        _write_sheet(book.create_sheet(sheet), sheet, spec[sheet][1], frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _width(key: str, judul: str, values: pd.Series) -> float:
    longest = int(values.str.len().max()) if len(values) else 0
    return float(max(10, min(48, max(len(key), len(judul), longest) + 2)))


def _lines(text: str, width: float) -> int:
    """How many lines a wrapped text takes in a column `width` characters wide (rather more)."""
    per_line = max(width - 2, 1)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def _print_setup(ws) -> None:  # type: ignore[no-untyped-def]
    """A4 landscape, one page wide (as many pages down as it takes), the sheet named below."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = FOOTER


def _write_sheet(ws, sheet: str, columns: list[Column], frame: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    """Row 1 the contract keys (what is read back), row 2 the Indonesian labels, data below."""
    known = {c.key: c for c in columns}
    keys = [*[c.key for c in columns], *[k for k in frame.columns if k not in known]]
    text = frame.reindex(columns=keys).fillna("").astype(str)
    titles = [known.get(k, Column(k, k.replace("_", " "), "")) for k in keys]
    widths = {c.key: _width(c.key, c.judul, text[c.key]) for c in titles}
    for j, column in enumerate(titles, start=1):
        header_cell(ws, j, column.key, False, f"{column.judul}. {column.penjelasan}".strip())
        ws.cell(row=1, column=j).font = KEY_FONT
        label = write_cell(ws, LABEL_ROW, j, column.judul)
        label.font, label.fill, label.border = LABEL_FONT, YELLOW_HEADER, BORDER
        label.alignment, label.protection = WRAP_TOP, LOCKED
        ws.column_dimensions[get_column_letter(j)].width = widths[column.key]
    ws.row_dimensions[LABEL_ROW].height = LINE_HEIGHT * max(
        _lines(c.judul, widths[c.key]) for c in titles
    )
    wide = {key for key in keys if _width(key, "", text[key]) >= 48}
    last = FIRST_ROW - 1
    for i, values in enumerate(text.itertuples(index=False), start=FIRST_ROW):
        last = i
        row = dict(zip(keys, values, strict=True))
        ws.row_dimensions[i].height = LINE_HEIGHT * max(
            [_lines(row[k], widths[k]) for k in wide] or [1]
        )
        for j, (key, value) in enumerate(row.items(), start=1):
            money = key in MONEY_COLS and _is_whole(value)
            cell = write_cell(ws, i, j, int(value) if money else value)
            cell.number_format = MONEY_FORMAT if key in MONEY_COLS else TEXT_FORMAT
            cell.border = BORDER
            cell.protection = UNLOCKED
            cell.alignment = WRAP_TOP if key in wide else TOP
    spare = last + SPARE_ROWS  # room to add rows: formats, lists and the check reach them too
    for i in range(last + 1, spare + 1):
        for j, key in enumerate(keys, start=1):
            cell = ws.cell(row=i, column=j)
            cell.number_format = MONEY_FORMAT if key in MONEY_COLS else TEXT_FORMAT
            cell.protection = UNLOCKED
            cell.alignment = WRAP_TOP if key in wide else TOP
    for j, key in enumerate(keys, start=1):
        allowed = CHOICES.get((sheet, key))
        if allowed:
            letter = get_column_letter(j)
            rule = DataValidation(type="list", formula1=f'"{",".join(allowed)}"', allow_blank=True)
            rule.error = f"Pilih salah satu: {', '.join(allowed)}."
            rule.errorTitle = "Isian tidak dikenal"
            rule.add(f"{letter}{FIRST_ROW}:{letter}{spare}")
            ws.add_data_validation(rule)
    width = len(keys)
    if sheet == "anggaran" and set(MONEY_COLS) <= set(keys):
        _check_column(ws, keys, last, spare)
        width += 1
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.print_title_rows = f"1:{LABEL_ROW}"
    ws.print_area = f"A1:{get_column_letter(width)}{max(last, LABEL_ROW)}"
    _print_setup(ws)
    ws.protection = SheetProtection(
        sheet=True,
        formatCells=False,
        formatColumns=False,
        formatRows=False,
        insertRows=False,
        deleteRows=False,
        sort=False,
        autoFilter=False,
    )


def _check_column(ws, keys: list[str], last: int, spare: int) -> None:  # type: ignore[no-untyped-def]
    """`cek`: 'cocok' when TW I–IV add up to the pagu, else 'TIDAK COCOK' (ours; never read)."""
    col = {k: get_column_letter(keys.index(k) + 1) for k in MONEY_COLS}
    j = len(keys) + 1
    letter = get_column_letter(j)
    header_cell(ws, j, CHECK, False, "Dihitung sendiri: TW I sampai TW IV dibanding pagu.")
    ws.cell(row=1, column=j).font = KEY_FONT
    label = write_cell(ws, LABEL_ROW, j, "Cek TW I–IV = pagu")
    label.font, label.fill, label.border = LABEL_FONT, GREY_HEADER, BORDER
    label.alignment = WRAP_TOP
    ws.column_dimensions[letter].width = len(str(label.value)) + 4  # the label on one line
    quarters = "+".join(f"{col[k]}{{r}}" for k in MONEY_COLS[1:])
    for r in range(FIRST_ROW, spare + 1):
        formula = f'=IF({col["pagu"]}{r}="","",IF({quarters.format(r=r)}={col["pagu"]}{r},"cocok","TIDAK COCOK"))'
        cell = ws.cell(row=r, column=j, value=formula)
        cell.alignment = TOP
        cell.protection = UNLOCKED  # Excel refuses to delete a row holding a locked cell
        if r <= last:
            cell.border = BORDER
    where = f"{letter}{FIRST_ROW}:{letter}{spare}"
    rule = FormulaRule(formula=[f'{letter}{FIRST_ROW}="TIDAK COCOK"'], font=MISMATCH_FONT)
    ws.conditional_formatting.add(where, rule)  # a mismatch stands out on paper too


# --- reading back -------------------------------------------------------------------------------


EXACT_DIGITS = 15  # Excel keeps 15 significant digits of a number exactly


def _text(value: object) -> str:
    """A cell as the CSV files write it: whole numbers without '.0', decimals as typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value).strip()


def _too_long(value: object) -> bool:
    """A number Excel may already have rounded (an 18-digit NIP typed as a number)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and abs(value) >= 10**EXACT_DIGITS
    )


def read_book(path: Path) -> dict[str, pd.DataFrame]:
    """Each year file's rows (file name -> text frame, with `_baris`: the sheet's row number).

    Only the contract's keys (kolom_referensi.csv) are read back. A frame's attrs name its sheet
    (`lembar`), each key's column letter (`huruf`), and what the checks must refuse or mention:
    keys written twice (`ganda`), unknown keys left out (`lain`), numbers too long to be exact
    (`panjang`: (row, key)). A sheet that is missing gives no entry.
    """
    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # not an xlsx, damaged: one Indonesian line
        raise TriwulanError(f"Berkas {path.name} tidak dapat dibuka sebagai xlsx: {exc}") from exc
    spec = labels()
    frames: dict[str, pd.DataFrame] = {}
    try:
        for sheet, (name, columns) in spec.items():
            if sheet not in book.sheetnames:
                continue
            known = [c.key for c in columns]
            rows = book[sheet].iter_rows(values_only=True)
            header = [_text(v) for v in next(rows, ())]
            next(rows, None)  # the labels
            first = {}  # key -> its first position: a second column of that key is refused
            for j, key in enumerate(header):
                first.setdefault(key, j)
            keys = [k for k in known if k in first]
            where = [first[k] for k in keys]
            records, long_numbers = [], []
            for number, values in enumerate(rows, start=FIRST_ROW):
                cells = [values[j] if j < len(values) else None for j in where]
                record = [_text(v) for v in cells]
                if any(record):
                    records.append([*record, str(number)])
                    long_numbers += [
                        (number, k) for k, v in zip(keys, cells, strict=True) if _too_long(v)
                    ]
            frame = pd.DataFrame(records, columns=[*keys, "_baris"], dtype=str)
            # where each key sits, for messages naming the column as the sheet shows it
            frame.attrs["huruf"] = {k: get_column_letter(first[k] + 1) for k in keys}
            frame.attrs["lembar"] = sheet
            frame.attrs["ganda"] = sorted(
                {k for j, k in enumerate(header) if k in first and first[k] != j and k in known}
            )
            frame.attrs["lain"] = [k for k in first if k and k not in known and k != CHECK]
            frame.attrs["panjang"] = long_numbers
            frames[name] = frame
    finally:
        book.close()
    return frames


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A text frame as the year folder's CSV (UTF-8, header, minimal quoting, no `_baris`)."""
    out = io.StringIO()
    data = frame.drop(columns=[c for c in frame.columns if c == "_baris"])
    data.to_csv(out, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return out.getvalue().encode("utf-8")
