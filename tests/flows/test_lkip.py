"""`triwulan lkip 2024` on the sample year run through the real flow, read back with python-docx.

The figures are the seed's where the seed's rows agree with themselves (Tabel 3.1, 3.11, 3.13,
the five sub-kegiatan of Bab IV); every total is checked against the sum of its own rows. Then a
TW II file is corrected and its quarter run again: the next LKIP has the new figures and a note
naming the version. An incomplete year is refused, and drafted with --draf.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import openpyxl
import pytest
from num2words import num2words
from typer.testing import CliRunner

from triwulan.cli import app

PERWIRA_TW2 = "Realisasi TW2 Kel Perwira.xlsx"
BAB_IV = (
    "Koordinasi dan Penyusunan Laporan Capaian Kinerja",
    "Pendidikan dan Pelatihan Pegawai",
    "Fasilitasi Kunjungan Tamu",
    "Pemeliharaan Peralatan dan Mesin Lainnya",
    "Evaluasi Kelurahan",
)


def _lkip(out: Path, target: Path, *more: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["lkip", "2024", "--out", str(out), "-o", str(target), *more])


def tables_by_number(path: Path) -> dict[str, list[list[str]]]:
    """'3.11' -> the table's rows as text, found by the caption just before it."""
    document = docx.Document(str(path))
    body = document.element.body
    found, caption = {}, None
    tables = iter(document.tables)
    paragraphs = {p._p: p for p in document.paragraphs}
    for element in body.iterchildren():
        if element.tag.endswith("}p") and element in paragraphs:
            text = paragraphs[element].text
            if text.startswith("Tabel "):
                caption = text.split("\n")[0].removeprefix("Tabel ").strip()
        elif element.tag.endswith("}tbl"):
            table = next(tables)
            if caption:
                found[caption] = [[c.text for c in row.cells] for row in table.rows]
            caption = None
    return found


def _text(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def _int(text: str) -> int:
    return int(text.replace(".", ""))


@pytest.fixture(scope="module")
def year(prefect_api, tmp_path_factory):
    """The demo year; the LKIP; then Perwira corrects TW II and the quarter is run again."""
    from triwulan.flows.quarterly import quarterly_report
    from triwulan.run import run_demo

    root = tmp_path_factory.mktemp("lkip")
    run_demo(root / "demo")
    inbox, out = root / "demo" / "inbox", root / "demo" / "out"
    first = _lkip(out, root / "lkip-2024.docx")
    # an incomplete year: TW IV hidden
    partial = root / "sebagian"
    for q in (1, 2, 3):
        shutil.copytree(out / "2024" / f"TW{q}", partial / "2024" / f"TW{q}")
    refused = _lkip(partial, root / "tidak.docx")
    drafted = _lkip(partial, root / "draf.docx", "--draf")
    # Perwira's TW II: one more million on its first row with money
    target = inbox / "2024" / "TW2" / PERWIRA_TW2
    book = openpyxl.load_workbook(target)
    sheet = book["realisasi"]
    header = [c.value for c in sheet[1]]
    col = header.index("realisasi_keuangan") + 1
    row = next(r for r in range(2, sheet.max_row + 1) if (sheet.cell(r, col).value or 0) > 1e6)
    sheet.cell(row=row, column=col, value=int(sheet.cell(row, col).value) + 1_000_000)
    book.save(target)
    corrected = quarterly_report("2024-TW2", str(inbox), str(out))
    second = _lkip(out, root / "lkip-2024-koreksi.docx")
    return {
        "root": root,
        "first": first,
        "refused": refused,
        "drafted": drafted,
        "corrected": corrected,
        "second": second,
    }


def test_the_lkip_is_written_with_its_tables_workbook(year):
    assert year["first"].exit_code == 0, year["first"].stdout + year["first"].stderr
    assert (year["root"] / "lkip-2024.docx").stat().st_size > 0
    book = openpyxl.load_workbook(year["root"] / "lkip-2024.xlsx", read_only=True)
    assert {"Tabel 3.1", "Tabel 3.11", "Tabel 3.12", "Tabel 3.13", "Tabel 3.14"} <= set(
        book.sheetnames
    )


def test_tabel_3_1_reproduces_the_seed(year):
    rows = tables_by_number(year["root"] / "lkip-2024.docx")["3.1"]
    body = {r[2]: r for r in rows[1:]}
    ikm = next(r for k, r in body.items() if k.startswith("Indeks Kepuasan"))
    akip = next(r for k, r in body.items() if k.startswith("Nilai AKIP"))
    tertib = next(r for k, r in body.items() if k.startswith("Persentase Peningkatan"))
    assert (ikm[5], ikm[6], ikm[7]) == ("84,84", "104,74", "Tercapai")
    assert (akip[5], akip[6]) == ("72,74", "103,91")
    assert (tertib[4], tertib[5], tertib[6]) == ("57%", "60%", "105,26")


def test_tabel_3_11_and_3_12_add_up(year):
    tables = tables_by_number(year["root"] / "lkip-2024.docx")
    programs = tables["3.11"][1:]
    total = programs[-1]
    assert total[1] == "TOTAL" and total[3] == "44.704.453.656" and total[4] == "95,62%"
    assert sum(_int(r[3]) for r in programs[:-1]) == _int(total[3])
    first = next(r for r in programs if r[1].startswith("Program Penunjang"))
    assert (first[2], first[3], first[4]) == ("29.564.223.620", "27.813.220.986", "94,08%")
    tree = tables["3.12"][1:]
    subs = [r for r in tree if r[0].count(".") == 5]
    assert len(subs) == 49
    assert tree[-1][1] == "JUMLAH"
    assert sum(_int(r[2]) for r in subs) == _int(tree[-1][2]) == 46_754_089_520
    assert sum(_int(r[3]) for r in subs) == _int(tree[-1][3]) == 44_704_453_656


def test_tabel_3_13_gives_the_seeds_jenis_belanja(year):
    rows = {r[0]: r[1] for r in tables_by_number(year["root"] / "lkip-2024.docx")["3.13"][1:]}
    assert rows["BELANJA OPERASI"] == "45.412.821.520"
    assert rows["BELANJA MODAL"] == "1.341.268.000"
    assert rows["TOTAL"] == "46.754.089.520"


def test_the_amount_in_words_is_num2words(year):
    text = _text(year["root"] / "lkip-2024.docx")
    assert f"Rp 44.704.453.656,- ({num2words(44_704_453_656, lang='id')} rupiah)" in text


def test_bab_iv_names_the_five_sub_kegiatan_with_figures_and_kendala(year):
    text = _text(year["root"] / "lkip-2024.docx")
    chapter = text.split("4.2 RENCANA TINDAK")[1]
    lines = [x for x in chapter.splitlines() if x[:2] in {f"{i}." for i in range(1, 10)}]
    assert len(lines) == 5
    for name, line in zip(BAB_IV, lines, strict=True):
        assert name in line and "Kendala:" in line
    assert "realisasi keuangan 22,56% dan kinerja 76,64%" in lines[3]


def test_an_incomplete_year_is_refused_or_drafted(year):
    refused, drafted = year["refused"], year["drafted"]
    assert refused.exit_code == 2
    assert "belum dilaporkan: TW IV" in refused.stderr and "--draf" in refused.stderr
    assert drafted.exit_code == 0, drafted.stdout + drafted.stderr
    text = _text(year["root"] / "draf.docx")
    assert text.splitlines()[0].startswith("DRAF — belum lengkap: TW IV belum dilaporkan")


def test_a_tw2_correction_changes_the_next_lkip_and_is_noted(year):
    assert year["second"].exit_code == 0
    before = tables_by_number(year["root"] / "lkip-2024.docx")["3.11"][-1]
    after = tables_by_number(year["root"] / "lkip-2024-koreksi.docx")["3.11"][-1]
    assert _int(after[3]) == _int(before[3]) + 1_000_000
    version = year["corrected"]["version"]
    notes = _text(year["root"] / "lkip-2024-koreksi.docx").splitlines()
    tw2 = next(x for x in notes if x.startswith("Catatan: realisasi TW II "))
    assert "Kelurahan Perwira" in tw2
    assert tw2.endswith(f"angka yang dipakai dari versi {version}.")
    first = _text(year["root"] / "lkip-2024.docx").splitlines()
    assert "Kelurahan Perwira" not in next(
        x for x in first if x.startswith("Catatan: realisasi TW II ")
    )


def test_the_lkip_prints_in_libreoffice_within_the_page(year):
    """Writer's PDF: every page A4 portrait, no text beyond the right margin (tables fit), the
    numbers Indonesian, the seed's headings."""
    import os
    import subprocess

    from pypdf import PdfReader

    from tests.tasks.publish.test_rekap_print import soffice

    binary, root = soffice(), year["root"]
    done = subprocess.run(
        [binary, f"-env:UserInstallation=file://{root / 'lo-profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(root / "pdf"), str(root / "lkip-2024.docx")],
        capture_output=True, timeout=300, text=True,
        env={**os.environ, "LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8"},
    )  # fmt: skip
    pdf = root / "pdf" / "lkip-2024.pdf"
    assert pdf.is_file(), f"LibreOffice Writer could not open the LKIP: {done.stdout}{done.stderr}"
    pages = PdfReader(pdf).pages
    assert 8 <= len(pages) <= 30
    right_edges = []
    text = []
    for page in pages:
        assert round(float(page.mediabox.width)) == 595  # A4 portrait, 210 mm
        runs: list[float] = []

        def visit(t, cm, tm, font, size, runs=runs) -> None:  # noqa: ANN001 (pypdf's)
            if t.strip():
                runs.append(tm[4] * cm[0] + tm[5] * cm[2] + cm[4])

        text.append(page.extract_text(visitor_text=visit))
        right_edges.append(max(runs, default=0))
    assert max(right_edges) < 595 - 40  # every line starts inside the page, margins kept
    whole = " ".join(" ".join(text).split())
    for heading in ("3.1 CAPAIAN KINERJA ORGANISASI", "3.3 REALISASI ANGGARAN", "BAB IV PENUTUP",
                    "4.2 RENCANA TINDAK"):  # fmt: skip
        assert heading in whole
    assert "44.704.453.656" in whole and "94,08%" in whole
