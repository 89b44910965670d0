"""The sample year through the real flow (the README's demo), then one more correction of TW IV:
what the Camat reads in laporan.html, rekap.xlsx and the mail, checked against figures computed
here from the sample files themselves (openpyxl, plain Python sums).
"""

from __future__ import annotations

import email
import json
import shutil
from collections import defaultdict
from email import policy
from pathlib import Path

import openpyxl
import pytest
from bs4 import BeautifulSoup

from triwulan.paths import SAMPLE_DIR
from triwulan.tasks.core.reference import load_reference

REF = load_reference(2024)

KALIABANG = "kaliabang-tengah"


def quarter_files(q: int) -> list[Path]:
    """The files of a quarter as finally accepted: the inbox, corrected and late files over it."""
    files = {p.name: p for p in (SAMPLE_DIR / "inbox" / "2024" / f"TW{q}").glob("*.xlsx")}
    files |= {p.name: p for p in (SAMPLE_DIR / "corrections" / "2024" / f"TW{q}").glob("*.xlsx")}
    return sorted(files.values())


def sheet_rows(path: Path, sheet: str = "realisasi") -> list[dict]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    header = list(rows[0])
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(v is not None for v in r)]


def independent_e81() -> dict[tuple[str, str], dict[str, int]]:
    """(level, code) -> rupiah per quarter 1..4 and target, summed from the sample files.

    Sub-kegiatan rows are keyed (unit, code); program and kegiatan by their code prefix.
    """
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for q in (1, 2, 3, 4):
        for path in quarter_files(q):
            for row in sheet_rows(path):
                code, money = str(row["kode_sub_kegiatan"]), int(row["realisasi_keuangan"])
                for key in (
                    ("sub", f"{row['unit']}|{code}"),
                    ("kegiatan", code[:12]),
                    ("program", code[:7]),
                    ("jumlah", ""),
                ):
                    out[key][f"rp_tw{q}"] += money
                    if q == 4:  # pagu in force at TW IV (after the APBD Perubahan)
                        out[key]["target_rp"] += int(row["pagu"])
    return out


def number(text: str) -> int | None:
    text = text.strip()
    return None if not text or text == "-" else int(text.replace(".", ""))


@pytest.fixture(scope="module")
def year(prefect_api, tmp_path_factory):
    """run_demo (four quarters, corrections applied), then Kaliabang Tengah corrects two rows of
    its TW IV file: version 3 must say exactly what moved."""
    from triwulan.flows.quarterly import quarterly_report
    from triwulan.run import run_demo

    root = tmp_path_factory.mktemp("tahun")
    lines = run_demo(root / "demo")
    inbox, out = root / "demo" / "inbox", root / "demo" / "out"
    target = next(
        p for p in (inbox / "2024" / "TW4").glob("*.xlsx") if sheet_rows(p)[0]["unit"] == KALIABANG
    )
    book = openpyxl.load_workbook(target)
    sheet = book["realisasi"]
    header = [c.value for c in sheet[1]]
    col = header.index("realisasi_keuangan") + 1
    spent = [
        r for r in range(2, sheet.max_row + 1) if (sheet.cell(row=r, column=col).value or 0) > 1e6
    ]
    moved = {}
    for row, delta in zip(spent[:2], (1_000_000, -250_000), strict=True):
        code = sheet.cell(row=row, column=header.index("kode_sub_kegiatan") + 1).value
        before = int(sheet.cell(row=row, column=col).value)
        sheet.cell(row=row, column=col, value=before + delta)
        moved[code] = (before, before + delta)
    book.save(target)
    corrected = quarterly_report("2024-TW4", str(inbox), str(out))
    return {"lines": lines, "out": out, "v3": corrected, "moved": moved, "root": root}


def version(year, v: int) -> Path:
    return year["out"] / "2024" / "TW4" / f"v{v}"


def test_demo_year_reaches_the_seed_realisation(year):
    """The README's main job: four quarters, corrections applied, final total = seed's 3.11."""
    final = json.loads((version(year, 2) / "summary.json").read_text())
    assert final["complete"] is True
    assert final["totals"]["realisasi_keuangan_sd_tw"] == 44_704_453_656  # LKIP 2024, Tabel 3.11
    assert final["totals"]["pagu"] == 46_754_089_520
    assert final["totals"]["serapan_pagu_persen"] == 95.62
    assert sum("Koreksi diterapkan" in line for line in year["lines"]) == 4
    assert any("DITOLAK Kelurahan Marga Mulya" in line for line in year["lines"])


def test_iku_of_the_year_reproduce_tabel_3_1(year):
    summary = json.loads((version(year, 2) / "summary.json").read_text())
    iku = {r["kode"]: r for r in summary["iku"]}
    assert (iku["ikm"]["realisasi_sd_tw"], iku["ikm"]["mutu_sd_tw"]) == (84.84, "B")
    assert iku["ikm"]["capaian_sd_tw_persen"] == 104.74  # 84,84 / 81
    assert iku["ikm"]["responden_sd_tw"] == 610
    assert (iku["akip"]["realisasi_sd_tw"], iku["akip"]["capaian_sd_tw_persen"]) == (72.74, 103.91)
    assert iku["akip"]["realisasi_tw"] is None and iku["akip"]["capaian_persen"] is None
    assert iku["wilayah_tertib"]["realisasi_sd_tw"] == 60.0
    assert iku["wilayah_tertib"]["capaian_sd_tw_persen"] == 105.26
    # the same figures in the report's IKU table and the rekap's IKU sheet
    soup = BeautifulSoup((version(year, 2) / "laporan.html").read_text(), "html.parser")
    table = soup.select_one("table.iku")
    cells = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in table.tbody("tr")]
    assert [c[1] for c in cells] == [r["nama"] for r in summary["iku"]]
    # the year's columns (s.d. TW IV) come first, then the quarter's
    assert cells[0][4:8] == ["81,00", "84,84", "104,74%", "tercapai"]
    assert cells[0][8:12] == ["89,71", "89,16", "99,39%", "belum tercapai"]
    assert cells[1][8:12] == ["-", "-", "-", "-"]  # no AKIP target in TW IV: no capaian, not 0%
    assert cells[2][3:6] == ["57,00%", "57,00%", "60,00%"]  # wilayah tertib is a percentage
    book = openpyxl.load_workbook(version(year, 2) / "rekap.xlsx", data_only=True)
    values = [c for row in book["IKU"].iter_rows(values_only=True) for c in row]
    assert 84.84 in values and 72.74 in values and 105.26 in values


def _html_e81(path: Path) -> dict[tuple[str, str], dict[str, int | None]]:
    """The E.81 table's rupiah: target (7), each quarter (8-11) and to date (12), by row."""
    soup = BeautifulSoup(path.read_text(), "html.parser")
    out = {}

    def rp(cell) -> int | None:
        found = cell.select_one(".rp") if cell is not None else None
        return number(found.get_text()) if found is not None else None

    for tr in soup.select("table.e81 tbody tr"):
        cells = tr.find_all("td", recursive=False)
        classes = tr.get("class") or []
        if "sasaran" in classes:
            continue
        code = cells[1].select_one("span.kode")
        kode = code.get_text(strip=True) if code is not None else ""
        if "total" in classes:
            key = ("jumlah", "")
        elif "program" in classes:
            key = ("program", kode)
        elif "kegiatan" in classes:
            key = ("kegiatan", kode)
        else:
            key = ("sub", f"{cells[12].get_text(strip=True)}|{kode}")  # (15) the unit
        quarters = {int(s["data-q"]): s for s in cells[6].select("span.tw")}
        out[key] = {
            "target_rp": rp(cells[5]),
            **{f"rp_tw{q}": rp(quarters.get(q)) for q in (1, 2, 3, 4)},
            "rp_sd": rp(cells[7]),
        }
    return out


def test_e81_rows_equal_sums_recomputed_from_the_sample_files(year):
    truth = independent_e81()
    names = dict(zip(REF.units["unit"], REF.units["nama"], strict=True))
    html = _html_e81(version(year, 2) / "laporan.html")
    assert sum(1 for level, _ in truth if level == "sub") == 49  # the seed's 49 sub-kegiatan
    assert len(html) == len(truth)  # plus programs, kegiatan and the Jumlah row
    for (level, code), sums in truth.items():
        if level == "sub":
            unit, kode = code.split("|")
            key = ("sub", f"{names[unit]}|{kode}")
        else:
            key = (level, code)
        row = html[key]
        for q in (1, 2, 3, 4):
            assert row[f"rp_tw{q}"] == sums[f"rp_tw{q}"], (key, q)
        assert row["rp_sd"] == sum(sums[f"rp_tw{q}"] for q in (1, 2, 3, 4)), key
        assert row["target_rp"] == sums["target_rp"], key
    assert html[("jumlah", "")]["rp_sd"] == 44_704_453_656
    assert html[("jumlah", "")]["target_rp"] == 46_754_089_520

    # the rekap's E.81 sheet: same rows, read with openpyxl
    sheet = openpyxl.load_workbook(version(year, 2) / "rekap.xlsx", data_only=True)["E.81"]
    grid = [list(r) for r in sheet.iter_rows(values_only=True)]
    top = next(i for i, r in enumerate(grid) if r[0] == "No")
    tw1 = grid[top].index("Realisasi TW I")
    rp = [tw1 + 1 + 2 * (q - 1) for q in (1, 2, 3, 4)]  # K then Rp under each quarter
    assert [grid[top + 2][c] for c in rp] == ["Rp"] * 4
    body = [r for r in grid[top + 4 :] if any(v is not None for v in r)]
    programs = {
        str(r[2]).split()[0]: r
        for r in body
        if r[2] and str(r[2])[0].isdigit() and len(str(r[2]).split()[0]) == 7
    }
    assert set(programs) == {c for level, c in truth if level == "program"}
    for code, row in programs.items():
        assert [row[c] for c in rp] == [truth[("program", code)][f"rp_tw{q}"] for q in (1, 2, 3, 4)]
    total = next(r for r in body if r[2] == "Jumlah")
    assert [total[c] for c in rp] == [truth[("jumlah", "")][f"rp_tw{q}"] for q in (1, 2, 3, 4)]


def test_e81_leaves_quarters_not_yet_reported_blank(year):
    html = _html_e81(year["out"] / "2024" / "TW2" / "v2" / "laporan.html")
    total = html[("jumlah", "")]
    assert total["rp_tw3"] is None and total["rp_tw4"] is None
    assert total["rp_tw1"] and total["rp_tw2"]


def test_changes_since_the_previous_version_name_the_unit_and_the_figures(year):
    summary = json.loads((version(year, 3) / "summary.json").read_text())
    change = summary["perubahan"]
    assert change["versi_sebelumnya"] == 2 and change["unit_berubah"] == []
    moved = {
        (c["kode_sub_kegiatan"], c["kolom"]): (c["sebelum"], c["sesudah"])
        for c in change["angka_berubah"]
    }
    assert {k for k, _ in moved} == set(year["moved"])
    for code, (before, after) in year["moved"].items():
        sd = moved[(code, "realisasi_keuangan_sd_tw")]
        assert sd[1] - sd[0] == after - before
    assert [c["nama_unit"] for c in change["angka_berubah"]] == ["Kelurahan Kaliabang Tengah"] * 2
    assert change["total_sesudah"] - change["total_sebelum"] == 750_000
    soup = BeautifulSoup((version(year, 3) / "laporan.html").read_text(), "html.parser")
    section = soup.find(id="perubahan")
    assert section is not None and "Versi 2" in section.get_text()
    table = section.find_next("table")
    while "Sebelum" not in table.get_text() or "Isian" not in table.get_text():
        table = table.find_next("table")
    text = table.get_text(" ", strip=True)
    assert "Kelurahan Kaliabang Tengah" in text
    for (before, after), line in zip(year["moved"].values(), sorted(moved.items()), strict=False):
        assert after - before in (1_000_000, -250_000) and line
    assert "1.000.000" in text and "-250.000" in text  # the Selisih column of both rows


def test_leadership_mail_shows_the_charts_inline(year):
    outbox = version(year, 3) / "outbox"
    path = next(p for p in outbox.glob("*.eml") if "pimpinan" in p.name)
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    html = message.get_body(("html",)).get_content()
    images = {
        part["Content-ID"].strip("<>"): part.get_content()
        for part in message.walk()
        if part.get_content_type() == "image/png"
    }
    assert set(images) == {"grafik-kumulatif", "grafik-keuangan-unit", "grafik-iku"}
    for cid, data in images.items():
        assert f"cid:{cid}" in html
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert data == (version(year, 3) / f"{cid}.png").read_bytes()
    assert "Indikator Kinerja Utama" in html and "Peringatan dini" in html
    assert "Perubahan sejak versi 2" in html


def test_report_carries_its_charts_inside_and_the_rekap_every_warning(year):
    """laporan.html travels alone as a mail attachment: the charts are inside it (data URIs of
    the PNG files beside it); the rekap's Peringatan Dini sheet lists every flagged row."""
    import base64

    soup = BeautifulSoup((version(year, 2) / "laporan.html").read_text(), "html.parser")
    images = {img["alt"]: img["src"] for img in soup.select("figure.chart img")}
    assert len(images) == 3
    files = {
        (version(year, 2) / name).read_bytes()
        for name in ("grafik-kumulatif.png", "grafik-keuangan-unit.png", "grafik-iku.png")
    }
    inside = {base64.b64decode(src.split(",", 1)[1]) for src in images.values()}
    assert all(src.startswith("data:image/png;base64,") for src in images.values())
    assert inside == files
    summary = json.loads((version(year, 2) / "summary.json").read_text())
    warnings = summary["peringatan_dini"]
    sheet = openpyxl.load_workbook(version(year, 2) / "rekap.xlsx")["Peringatan Dini"]
    codes = [c.value for c in sheet["B"] if c.value and str(c.value).startswith("7.01.")]
    assert len(codes) == warnings["jumlah"] == 16  # TW IV: over 10 points of pagu or nothing spent
    assert warnings["lainnya"] == 0 and len(warnings["baris"]) == 16


def test_final_renders_the_same_e81_again(year, tmp_path):
    """FINAL re-renders a version from its files (e81.json), without recomputing."""
    shutil.copytree(version(year, 2), tmp_path / "v2")
    assert (tmp_path / "v2" / "e81.json").is_file()
    from triwulan.tasks.measure.report_data import read_e81

    e81 = read_e81(tmp_path / "v2")
    assert e81 is not None
    assert int(e81.loc[e81["tingkat"] == "jumlah", "rp_sd"].iloc[0]) == 44_704_453_656


# --- issue 17: the first screen -------------------------------------------------------------


def leadership_html(folder: Path, tmp_path: Path) -> Path:
    """The leadership mail's HTML part as a page (its cid: charts do not load; they come later)."""
    path = next(p for p in (folder / "outbox").glob("*.eml") if "pimpinan" in p.name)
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    page = tmp_path / f"{folder.parent.name}-{folder.name}-pimpinan.html"
    page.write_text(message.get_body(("html",)).get_content(), encoding="utf-8")
    return page


def left_out(folder: Path) -> list[str]:
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return [u["nama"] for u in summary["units"] if u["status"] != "accepted"]


@pytest.mark.parametrize("quarter", ["TW2", "TW4"])
def test_a_phone_shows_every_unit_left_out_on_the_first_screen(year, browser, tmp_path, quarter):
    """TW II v1: Harapan Baru sent nothing; TW IV v1: one file rejected. Both the mail and
    laporan.html name them within the first 844 px of a 390 px phone."""
    from tests.browser import PHONE, open_page, text_bottoms

    folder = year["out"] / "2024" / quarter / "v1"
    names = left_out(folder)
    assert names, "the sample's story has a unit left out in v1"
    for page in (leadership_html(folder, tmp_path), folder / "laporan.html"):
        open_page(browser, page, PHONE)
        bottoms = text_bottoms(browser, [*names, "Realisasi keuangan s.d."])
        for name in names:
            assert bottoms[name] is not None and bottoms[name] <= PHONE[1], (page.name, bottoms)
            assert bottoms[name] < bottoms["Realisasi keuangan s.d."], (page.name, bottoms)


def test_tw4_says_which_pagu_the_percentages_use(year):
    """A rejected unit takes its pagu out: 44.775.846.320 of the kecamatan's 46.754.089.520."""
    folder = year["out"] / "2024" / "TW4" / "v1"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["pagu_semua_unit"] == 46_754_089_520
    assert summary["totals"]["pagu"] < summary["pagu_semua_unit"]
    counted = f"{summary['totals']['pagu']:,}".replace(",", ".")
    line = (
        f"Persentase memakai pagu unit yang masuk perhitungan, Rp {counted}, "
        "dari pagu seluruh unit Rp 46.754.089.520."
    )
    html = (folder / "laporan.html").read_text(encoding="utf-8")
    assert line in BeautifulSoup(html, "html.parser").get_text(" ", strip=True)
    path = next(p for p in (folder / "outbox").glob("*.eml") if "pimpinan" in p.name)
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert line in message.get_body(("plain",)).get_content()


def test_tw4_mail_leads_each_iku_with_the_year(year):
    """LKIP Tabel 3.1 reports the year: IKM 84,84 of 81,00 (104,74%, tercapai) comes before the
    quarter's 99,39%, which is not shouted in red while the year is on track."""
    path = next(p for p in (version(year, 2) / "outbox").glob("*.eml") if "pimpinan" in p.name)
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    soup = BeautifulSoup(message.get_body(("html",)).get_content(), "html.parser")
    text = soup.get_text(" ", strip=True)
    assert "s.d. TW IV: 84,84 dari target 81,00 · tercapai (104,74%)" in text
    assert text.index("104,74%") < text.index("99,39%")
    quarter = next(s for s in soup.find_all("strong") if s.get_text() == "belum tercapai")
    assert "b91c1c" not in quarter.get("style", "")  # neutral grey, not red
    assert "s.d. TW IV: 60,00% dari target 57,00%" in text
    plain = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # .eml: CRLF
    assert "s.d. TW IV: 72,74 dari target 70,00, tercapai (103,91%); TW IV: belum ada data" in plain
    assert "TW IV - (target -)" not in plain
    assert "belum tercapai (99,39%)\n- Nilai AKIP" in plain  # one line per indicator


# --- issue 17: a page for a phone and a desk, the whole form, what is computed, plain words -----


def visible_text(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["style", "script", "head"]):
        hidden.decompose()
    return soup.get_text(" ", strip=True)


def mail_texts(path: Path) -> list[str]:
    """Subject, plain text and the visible text of the HTML part of an archived mail."""
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    texts = [str(message["Subject"])]
    for part in message.walk():
        if part.get_filename():
            continue
        if part.get_content_type() == "text/html":
            texts.append(visible_text(part.get_content()))
        elif part.get_content_type() == "text/plain":
            texts.append(part.get_content())
    return texts


@pytest.mark.parametrize("quarter,v", [("TW1", "v1"), ("TW2", "v1"), ("TW4", "v1"), ("TW4", "v2")])
def test_laporan_and_every_mail_fit_a_phone(year, browser, tmp_path, quarter, v):
    """At 390 px nothing reaches past the screen and nothing scrolls sideways: the laporan's wide
    tables become cards, the mails are one column (units' mails included)."""
    from tests.browser import PHONE, open_page, overflowing

    folder = year["out"] / "2024" / quarter / v
    pages = [folder / "laporan.html"]
    for path in sorted((folder / "outbox").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        page = tmp_path / f"{path.stem}.html"
        page.write_text(message.get_body(("html",)).get_content(), encoding="utf-8")
        pages.append(page)
    assert len(pages) > 2
    for page in pages:
        open_page(browser, page, PHONE)
        found = overflowing(browser)
        assert found["wide"] == [] and found["scrollers"] == [], (page.name, found)


def test_e81_fits_a_desk(year, browser):
    """At 1280 px the whole E.81 (16 columns of the form) is on the screen, no sideways scroll."""
    from tests.browser import DESK, open_page, overflowing

    open_page(browser, version(year, 2) / "laporan.html", DESK)
    found = overflowing(browser)
    assert found["wide"] == [] and found["scrollers"] == [], found
    right = browser.execute_script(
        "return document.querySelector('table.e81').getBoundingClientRect().right"
    )
    assert 1000 < right <= DESK[0]


def test_no_unit_id_in_any_text_a_person_reads(year):
    """Every laporan, validasi page, rekap and mail of the year names units, never their ids."""
    import re

    slugs = [u for u in REF.units["unit"] if u != "kecamatan"]  # 'kecamatan' is also a word
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, slugs)) + r")(?![\w-])")
    seen, hits = 0, []
    for path in sorted((year["out"] / "2024").rglob("*")):
        if "data-docs" in path.parts:
            continue  # GX's own pages, no longer linked from the report
        if path.suffix == ".html":
            texts = [visible_text(path.read_text(encoding="utf-8"))]
        elif path.suffix == ".xlsx" and path.name == "rekap.xlsx":
            book = openpyxl.load_workbook(path, read_only=True)
            texts = [
                str(value)
                for sheet in book.worksheets
                for row in sheet.iter_rows(values_only=True)
                for value in row
                if isinstance(value, str)
            ]
        elif path.suffix == ".eml":
            texts = mail_texts(path)
        else:
            continue
        seen += 1
        hits += [(path.name, m.group(0)) for t in texts for m in pattern.finditer(t)]
    assert seen > 40 and hits == []


def test_tw4_laporan_shows_what_it_computes(year):
    """LKIP Tabel 3.5 (AKIP components against bobot), 3.8-3.10 (the 15 zones per kelurahan, with
    status) and the IKM's nine NRR with the weakest named: on the page, not only in summary.json."""
    text = visible_text((version(year, 2) / "laporan.html").read_text(encoding="utf-8"))
    for komponen, bobot, nilai in [
        ("Perencanaan Kinerja", "30,00", "23,62"),
        ("Pengukuran Kinerja", "30,00", "20,64"),
        ("Pelaporan Kinerja", "15,00", "11,11"),
        ("Evaluasi Akuntabilitas Kinerja Internal", "25,00", "17,37"),
    ]:
        assert f"{komponen} {bobot} {nilai}" in text
    assert "Nilai Hasil Evaluasi 100,00 72,74" in text
    for no, zona in zip(REF.zona_k3["no"], REF.zona_k3["nama_zona"], strict=True):
        assert f"{no} {zona} tertib" in text or f"{no} {zona} belum tertib" in text, zona
    assert "9 dari 15 zona tertib" in text
    summary = json.loads((version(year, 2) / "summary.json").read_text())
    ikm = next(r for r in summary["iku"] if r["kode"] == "ikm")
    table = text[text.index("IKM per unsur") :]
    for unsur, value in ikm["nrr_sd_tw"].items():
        shown = f"{value:.2f}".replace(".", ",")
        assert shown in table, unsur
    weakest = text[text.index("Unsur terlemah") :][:80]
    assert (
        weakest.startswith("Unsur terlemah tahun ini: U8 Penanganan Pengaduan")
        and "NRR 3,18" in weakest
    )


def test_tw4_e81_is_the_whole_form(year):
    """Header block, No and Sasaran, the Renstra columns (5, 6, 13, 14), closing rows and the
    signature blocks, empty on a DRAF."""
    html = (version(year, 2) / "laporan.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    section = visible_text(html[html.index('id="e81"') : html.index('id="rfk"')])
    for header in (
        "Perangkat Daerah : Kecamatan Bekasi Utara",
        "Periode pelaksanaan : Triwulan IV Tahun 2024",
        "Sasaran RKPD yang diacu",
    ):
        assert header in section
    heads = [th.get_text(" ", strip=True) for th in soup.select("table.e81 thead th")]
    assert heads[0] == "No" and heads[1].startswith("Sasaran / Program")
    for wanted in ("Target Renstra 2026", "Realisasi Renstra s.d. 2023", "Capaian Renstra"):
        assert wanted in heads
    numbers = ["(1)", "(2)/(3)", "(4)", "(5)", "(6)", "(7)", "(8)–(11)", "(12)", "(13)", "(14)"]
    assert all(n in heads for n in [*numbers, "(15)", "(16)"]), heads
    sasaran = soup.select("table.e81 tr.sasaran")
    assert len(sasaran) == 3
    first = [td.get_text(" ", strip=True) for td in sasaran[0].find_all("td", recursive=False)]
    assert first[0] == "1" and "Indeks Kepuasan Masyarakat" in first[2]
    assert "K 100" in first[3] and "K 83,17" in first[4] and "K 104,74%" in first[8]
    for closing in (
        "Rata-rata capaian kinerja (%)",
        "Predikat kinerja",
        "Faktor pendorong keberhasilan pencapaian",
        "Faktor penghambat pencapaian kinerja",
        "Tindak lanjut yang diperlukan pada tahun berikutnya",
        "Tindak lanjut yang diperlukan dalam Renja Perangkat Daerah berikutnya",
    ):
        assert closing in section
    for block in ("Disusun oleh,", "Mengetahui,", "Dievaluasi oleh,", "CAMAT BEKASI UTARA,"):
        assert block in section
    assert "SUMPONO" not in html and "19800825" not in html  # a DRAF is not signed
    # predikat rates kinerja (K); rupiah beside it
    coordination = next(
        tr
        for tr in soup.select("table.e81 tr.sub")
        if "Koordinasi dan Penyusunan Laporan Capaian Kinerja" in tr.get_text()
    )
    assert "Sangat Tinggi (Rp: Sangat Rendah)" in coordination.get_text(" ", strip=True)
