"""`triwulan lkip 2024`: the annual LKIP draft (Bab III and Bab IV) from the four quarters.

Reads the latest version of each quarter the runs left in the out folder (the year's figures are
TW IV's cumulative ones), builds every table from those rows and the reference data
(tasks/measure/lkip*.py), words the sentences the seed writes by hand, and writes the Word
document from templates/lkip.docx plus the same tables as a sheet-per-table xlsx. A year whose
quarters are not all reported is refused unless `draf`; the document then says what is missing.
Where a quarter's figures differ from what was first reported, a note names the version used.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from triwulan.paths import TEMPLATES_DIR
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.fmt import angka, persen, tanggal
from triwulan.tasks.core.period import ROMAN
from triwulan.tasks.core.reference import Reference
from triwulan.tasks.core.signature import nip_text
from triwulan.tasks.core.xlsx_safe import write_cell
from triwulan.tasks.measure import lkip as measure
from triwulan.tasks.measure.summary import read_detail
from triwulan.tasks.publish.level import latest_version
from triwulan.tasks.publish.lkip_docx import Table, render
from triwulan.tasks.publish.lkip_iku_tables import Counter, iku_sentences, iku_tables

TEMPLATE = TEMPLATES_DIR / "lkip.docx"


@dataclass
class Year:
    """What the runs left of a year: per quarter its version folder, summary and detail."""

    tahun: int
    folders: dict[int, Path] = field(default_factory=dict)
    summaries: dict[int, dict[str, Any]] = field(default_factory=dict)
    details: dict[int, pd.DataFrame] = field(default_factory=dict)
    first_details: dict[int, pd.DataFrame] = field(default_factory=dict)

    @property
    def missing(self) -> list[int]:
        return [q for q in (1, 2, 3, 4) if q not in self.folders]

    @property
    def last(self) -> int:
        return max(self.folders)


def read_year(out: Path, tahun: int, versi_tw4: int | None = None) -> Year:
    """The latest version of each reported quarter (TW IV: `versi_tw4` when given)."""
    year = Year(tahun)
    for q in (1, 2, 3, 4):
        quarter = out / str(tahun) / f"TW{q}"
        found = latest_version(quarter)
        if q == 4 and versi_tw4 is not None:
            chosen = quarter / f"v{versi_tw4}"
            if not (chosen / "summary.json").is_file():
                raise TriwulanError(f"Versi {versi_tw4} TW IV {tahun} tidak ada di {quarter}.")
            found = (versi_tw4, chosen)
        if found is None:
            continue
        number, folder = found
        year.folders[q] = folder
        year.summaries[q] = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        year.details[q] = read_detail(folder)
        if number > 1 and (quarter / "v1" / "rincian.json").is_file():
            year.first_details[q] = read_detail(quarter / "v1")
    return year


# --- formatting ----------------------------------------------------------------------------


def _rp(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else angka(int(value))


def _pc(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else persen(float(value))


def _num2(value: Any) -> str:
    """95,43 (a percent in a column headed '%')."""
    return "-" if value is None or pd.isna(value) else angka(float(value), 2)


def _num(value: Any) -> str:
    """84,84 / 81 / 57: two decimals only where the value has them."""
    if value is None or pd.isna(value):
        return "-"
    text = angka(float(value), 2)
    return text[:-3] if text.endswith(",00") else text


def _iku_value(value: Any, satuan: str) -> str:
    return _num(value) + ("%" if satuan.lower().startswith("persen") else "")


# --- tables ------------------------------------------------------------------------------------


def table_3_1(frame: pd.DataFrame, tahun: int) -> Table:
    rows = [
        [str(r["no"]), r["sasaran"], r["iku"], r["satuan"], _iku_value(r["target"], r["satuan"]),
         _iku_value(r["realisasi"], r["satuan"]), _num(r["capaian_persen"]), r["ket"]]
        for r in frame.to_dict("records")
    ]  # fmt: skip
    return Table(
        "3.1", f"Capaian Kinerja Tahun {tahun}",
        ["No", "Sasaran Strategis", "Indikator Kinerja Utama (IKU)", "Satuan", "Target",
         "Realisasi", "Capaian Kinerja (%)", "Ket"],
        rows, numeric={4, 5, 6}, sumber="laporan triwulan TW I–IV, diolah",
        widths_cm=(0.8, 4.1, 4.1, 1.7, 1.5, 1.6, 1.7, 1.5),
    )  # fmt: skip


def table_3_11(frame: pd.DataFrame, tahun: int, nomor: str = "3.11") -> Table:
    rows, number = [], 0
    for r in frame.to_dict("records"):
        total = r["nama_program"] == "TOTAL"
        number += 0 if total else 1
        rows.append(["" if total else str(number), r["nama_program"], _rp(r["pagu"]),
                     _rp(r["realisasi"]), _pc(r["persen"])])  # fmt: skip
    return Table(
        nomor, f"Pagu dan Realisasi per Program Tahun {tahun}",
        ["No", "Program", "Pagu Anggaran (Rp)", "Realisasi Keuangan (Rp)", "%"], rows,
        bold={len(rows) - 1}, numeric={2, 3, 4}, sumber="realisasi kumulatif TW IV, diolah",
        widths_cm=(0.8, 7.4, 3.2, 3.2, 2.4),
    )  # fmt: skip


def table_3_12(frame: pd.DataFrame, tahun: int, nomor: str = "3.12") -> Table:
    rows, bold = [], set()
    indent = {0: "", 1: "  ", 2: "    ", 3: "      ", -1: ""}
    for i, r in enumerate(frame.to_dict("records")):
        if r["tingkat"] in (0, 1, -1):
            bold.add(i)
        fisik = r.get("fisik")
        rows.append([r["kode"], indent[r["tingkat"]] + r["uraian"], _rp(r["pagu"]),
                     _rp(r["realisasi"]), _num2(r["persen"]),
                     _num2(fisik) if r["tingkat"] == 3 else ""])  # fmt: skip
    return Table(
        nomor, f"Realisasi Anggaran dan Realisasi Fisik per Unit, Program, Kegiatan dan Sub "
        f"Kegiatan Tahun Anggaran {tahun}",
        ["Kode", "Unit/Program/Kegiatan/Sub Kegiatan", "Pagu (Rp)", "Realisasi (Rp)",
         "Keuangan (%)", "Fisik (%)"], rows, bold=bold, numeric={2, 3, 4, 5},
        sumber="realisasi kumulatif TW IV, diolah", widths_cm=(3.1, 4.2, 3.0, 3.0, 1.85, 1.85),
    )  # fmt: skip


def table_3_14(frame: pd.DataFrame, nomor: str = "3.14") -> Table:
    rows = [
        [str(r["no"]), r["sasaran"], r["iku"], _pc(r["capaian_persen"]),
         _pc(r["penyerapan_persen"]), _pc(r["efisiensi_persen"])]
        for r in frame.to_dict("records")
    ]  # fmt: skip
    return Table(
        nomor, "Analisis atas Efisiensi Penggunaan Sumber Daya",
        ["No", "Sasaran Strategis", "Indikator Kinerja Sasaran", "Capaian Kinerja (%)",
         "Penyerapan Anggaran (%)", "Tingkat Efisiensi (%)"], rows, numeric={3, 4, 5},
        widths_cm=(0.8, 5.0, 4.6, 2.2, 2.2, 2.2),
    )  # fmt: skip


# --- sentences ---------------------------------------------------------------------------------


def budget_sentence(programs: pd.DataFrame, kecamatan: str, tahun: int) -> str:
    total = programs.iloc[-1]
    pagu, real = int(total["pagu"]), int(total["realisasi"])
    return (
        f"Pada Tahun Anggaran {tahun} total pagu yang dikelola {kecamatan} sebesar "
        f"Rp {_rp(pagu)},- ({measure.rupiah_words(pagu)}) dengan realisasi sebesar "
        f"Rp {_rp(real)},- ({measure.rupiah_words(real)}) atau {_pc(total['persen'])}, "
        "dengan rincian per program sebagai berikut:"
    )


def shortfall_lines(found: list[measure.Shortfall]) -> list[str]:
    lines = []
    for i, s in enumerate(found, start=1):
        why = "; ".join(s.kendala) or "kendala tidak dituliskan unit"
        then = "; ".join(s.tindak_lanjut)
        lines.append(
            f"{i}. Sub kegiatan {s.nama} ({s.kode}): realisasi keuangan {_pc(s.keuangan_persen)} "
            f"dan kinerja {_pc(s.kinerja_persen)}. Kendala: {why}."
            + (f" Tindak lanjut: {then}." if then else "")
        )
    return lines


def correction_notes(year: Year, ref: Reference) -> list[str]:
    """Where a quarter's figures differ from its first report: which version is used."""
    notes = []
    key = ["unit", "kode_sub_kegiatan"]
    for q, first in sorted(year.first_details.items()):
        latest = year.details[q]
        both = first.merge(latest, on=key, how="outer", suffixes=("_1", "_n"))
        differs = both["realisasi_keuangan_tw_1"].fillna(-1) != both[
            "realisasi_keuangan_tw_n"
        ].fillna(-1)
        units = sorted(set(both.loc[differs, "unit"]), key=list(ref.units["unit"]).index)
        if units:
            version = year.summaries[q]["version"]
            names = ", ".join(ref.unit_name(u) for u in units)
            notes.append(
                f"Catatan: realisasi TW {ROMAN[q]} {names} berbeda dari laporan pertama (versi "
                f"1); angka yang dipakai dari versi {version}."
            )
    return notes


# --- the whole document ------------------------------------------------------------------------


@dataclass
class Written:
    docx: Path
    xlsx: Path
    missing: list[int]
    notes: list[str]


def write_lkip(
    year: Year,
    ref: Reference,
    docx_path: Path,
    draf: bool,
    today: dt.date | None = None,
    template: Path = TEMPLATE,
) -> Written:
    """The LKIP docx and its tables' xlsx; refused for an incomplete year unless `draf`."""
    if not year.folders:
        raise TriwulanError(
            f"Belum ada triwulan {year.tahun} yang dilaporkan: jalankan dulu triwulan run."
        )
    missing = year.missing
    if missing and not draf:
        named = ", ".join(f"TW {ROMAN[q]}" for q in missing)
        raise TriwulanError(
            f"LKIP {year.tahun} memerlukan keempat triwulan; belum dilaporkan: {named}. "
            "Jalankan triwulan run untuk triwulan itu, atau buat rancangan dengan --draf."
        )
    last = year.last
    detail, summary = year.details[last], year.summaries[last]
    iku = summary.get("iku") or []
    t31 = measure.capaian_kinerja(iku, ref)
    programs = measure.per_program(detail)
    tree = measure.per_unit_tree(detail, ref)
    efficiency = measure.supporting_uptake(t31, detail, ref)
    threshold = measure.bab_iv_threshold()
    found = measure.shortfalls(detail, year.details, threshold)
    notes = correction_notes(year, ref)
    number = Counter()  # per-IKU tables from 3.2; the budget's follow on (3.11 in the seed)
    tables: dict[str, Any] = {
        "tabel_3_1": table_3_1(t31, year.tahun),
        "analisis_iku": iku_tables(iku, ref, year.tahun, number),
    }
    tables["tabel_3_11"] = table_3_11(programs, year.tahun, number.next())
    tables["tabel_3_12"] = table_3_12(tree, year.tahun, number.next())
    tables["tabel_3_13"] = _belanja_table(ref, year.tahun, number.next())
    tables["tabel_3_14"] = table_3_14(efficiency, number.next())
    kec = ref.kecamatan_name
    reached = t31[t31["ket"] == "Tercapai"]
    texts = {
        "draf_mark": _draf_mark(missing, last),
        "instansi": kec.upper(),
        "tahun": year.tahun,
        "kalimat_3_1": (
            f"Pada Tahun Anggaran {year.tahun} {kec} mengukur {len(t31)} indikator kinerja utama "
            f"dari {t31['sasaran'].nunique()} sasaran strategis; {len(reached)} di antaranya "
            "mencapai target, seperti tabel berikut:"
        ),
        "kalimat_iku": _iku_sentences(iku, ref, year.tahun),
        "kalimat_anggaran": budget_sentence(programs, kec, year.tahun),
        "kalimat_realisasi": (
            f"Realisasi anggaran {kec} Tahun {year.tahun} sebesar Rp "
            f"{_rp(programs.iloc[-1]['realisasi'])},- "
            f"({measure.rupiah_words(int(programs.iloc[-1]['realisasi']))}) atau "
            f"{_pc(programs.iloc[-1]['persen'])} dari pagu."
        ),
        "kalimat_kesimpulan": (
            f"Pada tahun {year.tahun} {kec} memiliki {t31['sasaran'].nunique()} sasaran strategis "
            f"dan {len(t31)} indikator kinerja utama; {len(reached)} indikator mencapai target."
        ),
        "kalimat_bab_iv": (
            "Sub kegiatan yang tidak dilaksanakan atau jauh di bawah target (capaian keuangan "
            f"atau kinerja di bawah {_num(threshold)}%), dengan kendala dan tindak "
            "lanjut yang ditulis unit dalam laporan triwulan:"
            if found
            else "Semua sub kegiatan mencapai paling sedikit "
            f"{_num(threshold)}% target keuangan dan kinerjanya."
        ),
        "bab_iv": shortfall_lines(found),
        "iku_tidak_tercapai": [
            f"{r['iku']}: realisasi {_iku_value(r['realisasi'], r['satuan'])} dari target "
            f"{_iku_value(r['target'], r['satuan'])} ({_num(r['capaian_persen'])}%)."
            for r in t31[t31["ket"] != "Tercapai"].to_dict("records")
        ],
        "catatan": notes,
    }
    docx = render(template, docx_path, texts, tables, _signature(ref, today))
    xlsx = write_tables_xlsx(docx_path.with_suffix(".xlsx"), tables)
    return Written(docx, xlsx, missing, notes)


def _draf_mark(missing: list[int], last: int) -> str:
    if not missing:
        return ""
    named = ", ".join(f"TW {ROMAN[q]}" for q in missing)
    return f"DRAF — belum lengkap: {named} belum dilaporkan; angka tahunan s.d. TW {ROMAN[last]}"


def _signature(ref: Reference, today: dt.date | None) -> dict[str, str]:
    people = (
        {p["peran"]: p for p in ref.pejabat.to_dict("records")} if not ref.pejabat.empty else {}
    )
    camat = people.get("camat", {})
    place = str(camat.get("tempat") or "")
    date = tanggal(today or dt.date.today())
    return {
        "tempat_tanggal": f"{place}, {date}" if place else date,
        "jabatan": f"{str(camat.get('jabatan') or 'CAMAT').upper()},",
        "nama": str(camat.get("nama") or ""),
        "pangkat": str(camat.get("pangkat") or ""),
        "nip": f"NIP. {nip_text(str(camat.get('nip')))}" if camat.get("nip") else "",
    }


def _iku_sentences(iku: list[dict[str, Any]], ref: Reference, tahun: int) -> list[str]:
    return iku_sentences(iku, ref, tahun)


def _belanja_table(ref: Reference, tahun: int, nomor: str = "3.13") -> Table:
    try:
        from triwulan.tasks.measure.lkip_belanja import jenis_belanja_table
    except ImportError:
        frame = pd.DataFrame(columns=["tingkat", "uraian", "pagu"])
    else:
        frame = jenis_belanja_table(ref)
    rows = [[r["uraian"], _rp(r["pagu"])] for r in frame.to_dict("records")]
    bold = {i for i, r in enumerate(frame.to_dict("records")) if r["tingkat"] in (0, -1)}
    return Table(nomor, f"Jenis Belanja pada Kecamatan dan Kelurahan Tahun {tahun}",
                 ["Jenis Belanja", "Pagu (Rp)"], rows, bold=bold, numeric={1},
                 sumber="DPA per jenis belanja (data referensi jenis_belanja.csv)",
                 widths_cm=(10.0, 7.0))  # fmt: skip


def write_tables_xlsx(path: Path, tables: dict[str, Any]) -> Path:
    """Every table of the document, one sheet each ("3.11"), as text exactly as printed."""
    book = Workbook()
    book.remove(book.active)
    flat = [t for v in tables.values() for t in (v if isinstance(v, list) else [v])]
    for table in flat:
        name = f"Tabel {table.nomor}"[:31]
        n = 2
        while name in book.sheetnames:
            name, n = f"Tabel {table.nomor} ({n})"[:31], n + 1
        sheet = book.create_sheet(name)
        write_cell(sheet, 1, 1, f"Tabel {table.nomor} {table.judul}").font = Font(bold=True)
        for j, text in enumerate(table.header, start=1):
            write_cell(sheet, 3, j, text).font = Font(bold=True)
        for i, values in enumerate(table.rows, start=4):
            for j, text in enumerate(values, start=1):
                write_cell(sheet, i, j, text)
    book.save(path)
    return path
