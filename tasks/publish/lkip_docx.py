"""The LKIP draft as a Word document: a docxtpl template the secretariat may restyle, filled.

The template (templates/lkip.docx, made by `build_template`) holds the chapter and section
headings in the seed's numbering, the fixed sentences, and one placeholder per table and per
generated paragraph. Its styles are the document's look: "Judul LKIP", the Heading styles, and
the table style "Tabel LKIP" every table uses. Restyle them in Word (Modify Style) and keep the
`{{ … }}` placeholders; `triwulan lkip` fills a copy. Tables are built here as docxtpl subdocs
on the template itself, so they take its styles. Numbers are formatted the Indonesian way here,
never by the PC that opens the file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt, RGBColor

TABLE_STYLE = "Tabel LKIP"
TITLE_STYLE = "Judul LKIP"
NOTE_STYLE = "Catatan LKIP"
CELL_STYLE = "Isi Tabel LKIP"  # paragraph style of table cells (LibreOffice ignores a table
# style's font, so the cells' size and spacing live here, restyled like any other)
WRITE_HERE = "[Diisi sekretariat: …]"


@dataclass
class Table:
    """One numbered table: its caption, header rows, body rows (text), and the rows to bold."""

    nomor: str  # "3.11"
    judul: str
    header: list[str]
    rows: list[list[str]]
    bold: set[int] = field(default_factory=set)
    sumber: str = ""
    widths_cm: Sequence[float] = ()
    numeric: set[int] = field(default_factory=set)  # columns aligned right


# --- the template ------------------------------------------------------------------------------

SECTIONS: list[tuple[str, str]] = [
    # (placeholder or text, kind): kind h1/h2/h3 heading, p paragraph, t table, w write-here
    ("{{ draf_mark }}", "title_note"),
    ("LAPORAN KINERJA INSTANSI PEMERINTAH (LKIP)", "title"),
    ("{{ instansi }} TAHUN {{ tahun }}", "title"),
    ("BAB III AKUNTABILITAS KINERJA", "h1"),
    ("3.1 CAPAIAN KINERJA ORGANISASI", "h2"),
    ("{{ kalimat_3_1 }}", "p"),
    ("{{p tabel_3_1 }}", "t"),
    ("{%p for k in kalimat_iku %}", "p"),
    ("{{ k }}", "p"),
    ("{%p endfor %}", "p"),
    ("3.2 ANALISIS CAPAIAN INDIKATOR KINERJA UTAMA", "h2"),
    ("{{p analisis_iku }}", "t"),
    (WRITE_HERE + " faktor keberhasilan dan penghambat tiap indikator, dan upaya ke depan.", "w"),
    ("3.3 REALISASI ANGGARAN", "h2"),
    ("{{ kalimat_anggaran }}", "p"),
    ("{{p tabel_3_11 }}", "t"),
    ("{{p tabel_3_12 }}", "t"),
    ("{%p for c in catatan %}", "p"),
    ("{{ c }}", "note"),
    ("{%p endfor %}", "p"),
    ("{{ kalimat_realisasi }}", "p"),
    ("{{p tabel_3_13 }}", "t"),
    ("3.4 ANALISIS ATAS EFISIENSI PENGGUNAAN SUMBER DAYA", "h2"),
    ("{{p tabel_3_14 }}", "t"),
    ("Keterangan:", "p"),
    ("Capaian Kinerja = Realisasi Indikator / Target × 100%", "p"),
    (
        "Penyerapan Anggaran = Realisasi Keuangan Program yang Mendukung Indikator / Pagu × 100%",
        "p",
    ),
    ("Tingkat Efisiensi = Capaian Kinerja / Penyerapan Anggaran × 100%", "p"),
    ("BAB IV PENUTUP", "h1"),
    ("4.1 KESIMPULAN", "h2"),
    ("{{ kalimat_kesimpulan }}", "p"),
    (WRITE_HERE + " kesimpulan umum.", "w"),
    ("4.2 RENCANA TINDAK", "h2"),
    (WRITE_HERE + " rencana tindak tahun berikutnya.", "w"),
    ("{{ kalimat_bab_iv }}", "p"),
    ("{%p for s in bab_iv %}", "p"),
    ("{{ s }}", "p"),
    ("{%p endfor %}", "p"),
    ("{%p if iku_tidak_tercapai %}", "p"),
    ("Indikator kinerja utama yang belum mencapai target:", "p"),
    ("{%p for s in iku_tidak_tercapai %}", "p"),
    ("{{ s }}", "p"),
    ("{%p endfor %}", "p"),
    ("{%p endif %}", "p"),
    ("{{p tanda_tangan }}", "t"),
]


def build_template(path: Path) -> Path:
    """Write templates/lkip.docx: A4, the styles named above, the sections with placeholders."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.orientation = WD_ORIENT.PORTRAIT
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    section.top_margin = section.bottom_margin = Cm(2.0)
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name, normal.font.size = "Arial", Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    title = styles.add_style(TITLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    title.base_style = normal
    title.font.bold, title.font.size = True, Pt(14)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    note = styles.add_style(NOTE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    note.base_style = normal
    note.font.size = Pt(9)
    for level, size in ((1, 13), (2, 12), (3, 11)):
        heading = styles[f"Heading {level}"]
        heading.font.name, heading.font.size, heading.font.bold = "Arial", Pt(size), True
        heading.font.color.rgb = RGBColor(0, 0, 0)
    cell = styles.add_style(CELL_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = normal
    cell.font.size = Pt(8)
    cell.paragraph_format.space_after = Pt(0)
    table_style = styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.TABLE)
    table_style.base_style = styles["Table Grid"]
    table_style.font.size = Pt(8)
    for text, kind in SECTIONS:
        if kind in ("h1", "h2", "h3"):
            doc.add_heading(text, level=int(kind[1]))
        elif kind == "title":
            doc.add_paragraph(text, style=TITLE_STYLE)
        elif kind == "title_note":
            para = doc.add_paragraph(text, style=TITLE_STYLE)
            para.runs[0].font.color.rgb = RGBColor(0xB9, 0x1C, 0x1C)
        elif kind == "note":
            doc.add_paragraph(text, style=NOTE_STYLE)
        elif kind == "w":
            para = doc.add_paragraph()
            run = para.add_run(text)
            run.italic = True
            run.font.highlight_color = 7  # yellow: a place to write, seen at once
        else:
            doc.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    return path


# --- filling ------------------------------------------------------------------------------------


def _table_subdoc(tpl: Any, table: Table) -> Any:
    """A caption, the table in the template's table style, and its source line."""
    sub = tpl.new_subdoc()
    caption = sub.add_paragraph()
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.add_run(f"Tabel {table.nomor}\n{table.judul}").bold = True
    caption.paragraph_format.keep_with_next = True  # never a caption alone at a page's foot
    grid = sub.add_table(rows=1 + len(table.rows), cols=len(table.header))
    try:
        grid.style = TABLE_STYLE
    except KeyError:  # a restyled template without our style: Word's plain grid
        grid.style = "Table Grid"
    for j, text in enumerate(table.header):
        cell = grid.rows[0].cells[j]
        cell.text = text
        _cell_style(cell.paragraphs[0])
        cell.paragraphs[0].runs[0].bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for i, values in enumerate(table.rows, start=1):
        for j, text in enumerate(values):
            cell = grid.rows[i].cells[j]
            cell.text = text
            para = cell.paragraphs[0]
            _cell_style(para)
            if j in table.numeric:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if i - 1 in table.bold and para.runs:
                para.runs[0].bold = True
    _repeat_header(grid)  # on every page the table runs over
    if table.widths_cm:
        grid.autofit = False  # Word and LibreOffice keep the widths given
        for j, width in enumerate(table.widths_cm):
            grid.columns[j].width = Cm(width)
            for row in grid.rows:
                row.cells[j].width = Cm(width)
    if table.sumber:
        source = sub.add_paragraph(f"Sumber: {table.sumber}")
        source.runs[0].font.size = Pt(8)
    return sub


def _cell_style(paragraph: Any) -> None:
    with contextlib.suppress(KeyError):  # a restyled template without it: the cell keeps Normal
        paragraph.style = CELL_STYLE


def _repeat_header(grid: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    props = grid.rows[0]._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    props.append(flag)


def _tables_subdoc(tpl: Any, tables: list[Table], lead: list[str] | None = None) -> Any:
    """Several tables (with paragraphs before each, optional) as one placeholder's content."""
    sub = tpl.new_subdoc()
    for i, table in enumerate(tables):
        if lead and i < len(lead) and lead[i]:
            sub.add_paragraph(lead[i])
        piece = _table_subdoc(tpl, table)
        for element in list(piece.subdocx.element.body):
            if element.tag.endswith("sectPr"):
                continue
            sub.subdocx.element.body.append(element)
    return sub


def _signature_subdoc(tpl: Any, block: dict[str, str]) -> Any:
    sub = tpl.new_subdoc()
    for text, bold in (
        (block.get("tempat_tanggal", ""), False),
        (block.get("jabatan", ""), True),
        ("", False),
        ("", False),
        (block.get("nama", ""), True),
        (block.get("pangkat", ""), False),
        (block.get("nip", ""), False),
    ):
        para = sub.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        para.paragraph_format.space_after = Pt(0)
        para.paragraph_format.keep_with_next = True  # the block never splits across pages
        run = para.add_run(text)
        run.bold = bold
    return sub


def render(
    template: Path,
    out: Path,
    texts: dict[str, Any],
    tables: dict[str, Table | list[Table]],
    signature: dict[str, str],
) -> Path:
    """Fill the template: `texts` for the text placeholders, `tables` for the table ones."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(str(template))
    context: dict[str, Any] = dict(texts)
    for key, value in tables.items():
        context[key] = (
            _tables_subdoc(tpl, value) if isinstance(value, list) else _table_subdoc(tpl, value)
        )
    context["tanda_tangan"] = _signature_subdoc(tpl, signature)
    tpl.render(context, autoescape=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tpl.save(str(out))
    return out
