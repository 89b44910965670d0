"""The portal as people use it, in a real browser (Chromium via Selenium) against a real portal.

One scenario, in order: Kelurahan Perwira signs in with its code, downloads its xlsx template,
uploads it with a word where a rupiah figure belongs (refused, told which row and column,
nothing in the inbox), uploads the corrected file (accepted, in the inbox byte for byte); the
secretariat sees the cell turn from red to green on the board, presses 'Jalankan ulang' and
waits for the run to make version 1. Screenshots of the unit page (with the refusal) and the
board at phone and desk width go to screenshots/portal/.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from bs4 import BeautifulSoup

from tests.browser import DESK, PHONE, overflowing
from tests.portal_server import PortalServer, running_portal, signed_in
from triwulan.tasks.collect.template import write_template
from triwulan.tasks.core.period import parse_period
from triwulan.tasks.core.reference import load_reference

UNIT = "perwira"
PERIOD = parse_period("2024-TW2")
REF = load_reference(2024)
SHOTS = Path(__file__).resolve().parents[2] / "screenshots" / "portal"
RUN_WAIT_S = 600
BAD_ROW = 4  # the sheet row (header is row 1) whose realisasi_keuangan is a word
GREEN = "rgba(198, 246, 213, 1)"  # .diterima in base.html.j2


@pytest.fixture(scope="module")
def portal_prefect(prefect_api: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A portal whose runs (child `triwulan run`) use the session's temporary Prefect server."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url, "prefect_test_harness tanpa PREFECT_API_URL"
    root = tmp_path_factory.mktemp("portal-peramban")
    with running_portal(root, {"PREFECT_API_URL": url}) as server:
        yield server


# --- the browser -------------------------------------------------------------------------------


def set_size(driver: Any, size: tuple[int, int]) -> None:
    """The viewport at `size` CSS px: a phone (mobile, meta viewport honoured) below 600 px."""
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def shoot(driver: Any, size: tuple[int, int], name: str) -> Path:
    """A full-height screenshot at `size`'s width: the viewport stretched to the page."""
    set_size(driver, size)
    height = driver.execute_script(
        "return Math.ceil(Math.max(document.documentElement.scrollHeight,"
        " document.body.scrollHeight))"
    )
    set_size(driver, (size[0], max(size[1], int(height))))
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    path.write_bytes(driver.get_screenshot_as_png())
    set_size(driver, size)
    return path


def wait_for(what: str, check: Any, timeout: float = 120, every: float = 0.3) -> Any:
    """`check()`'s first truthy answer; a page reloading under it (stale element) is retried."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(NoSuchElementException, StaleElementReferenceException):
            found = check()
            if found:
                return found
        if time.monotonic() > deadline:
            raise AssertionError(f"tidak terjadi dalam {timeout:.0f} s: {what}")
        time.sleep(every)


def text_of(driver: Any, css: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css).text.strip()


def click(driver: Any, css: str) -> None:
    from selenium.webdriver.common.by import By

    element = driver.find_element(By.CSS_SELECTOR, css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def sign_in(driver: Any, server: PortalServer, code: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(server.url + "/masuk")
    field = driver.find_element(By.ID, "kode")
    field.clear()
    field.send_keys(code)
    click(driver, "#masuk")
    wait_for("halaman setelah masuk", lambda: "/masuk" not in driver.current_url, 30)


def upload(driver: Any, path: Path) -> None:
    from selenium.webdriver.common.by import By

    before = driver.current_url
    driver.find_element(By.ID, "berkas").send_keys(str(path))
    click(driver, "#kirim")
    wait_for(
        "hasil pemeriksaan",
        lambda: driver.current_url != before and driver.find_element(By.ID, "status-hasil"),
        300,  # the judge's first GX pass may still be warming up
    )


def fits(driver: Any, size: tuple[int, int], allowed_scroller: str | None = None) -> None:
    """Nothing reaches past the viewport at `size`; only `allowed_scroller`'s content may,
    inside it (it scrolls sideways on its own, the page does not)."""
    set_size(driver, size)
    found = overflowing(driver, limit=200)
    if allowed_scroller is None:
        assert found["wide"] == [] and found["scrollers"] == [], (size, found)
        return
    inside = driver.execute_script(
        """
        const box = document.querySelector(arguments[0]);
        const view = document.documentElement.clientWidth;
        let outside = 0;
        for (const el of document.body.querySelectorAll('*')) {
          if (box.contains(el)) continue;
          const r = el.getBoundingClientRect();
          if (r.width && r.height && (r.right > view + 0.5 || r.left < -0.5)) outside += 1;
        }
        return outside;
        """,
        allowed_scroller,
    )
    assert inside == 0, (size, found)
    assert not any(s.startswith("page ") for s in found["scrollers"]), (size, found)


# --- the unit's files --------------------------------------------------------------------------


def download_template(driver: Any, folder: Path) -> Path:
    """Click 'Unduh Excel' and wait for the file in `folder` (Chrome writes .crdownload first)."""
    folder.mkdir(parents=True, exist_ok=True)
    from selenium.common.exceptions import WebDriverException

    allow = {"behavior": "allow", "downloadPath": str(folder)}
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", allow)
    with contextlib.suppress(WebDriverException):  # deprecated; older Chromium knows only this
        driver.execute_cdp_cmd("Page.setDownloadBehavior", allow)
    click(driver, "#unduh-xlsx")

    def done() -> Path | None:
        files = [p for p in folder.iterdir() if p.is_file()]
        if len(files) == 1 and not files[0].name.endswith(".crdownload"):
            return files[0]
        return None

    try:
        return wait_for("berkas isian terunduh", done, 60)
    finally:  # the session's browser is shared: later downloads are not ours
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "default"})


def fill(template: Path, target: Path, bad_row: int | None = None) -> Path:
    """The downloaded template with the yellow columns filled as a clerk would (the figures of
    tests/filled.py, which writes its own template instead); `bad_row`'s money in words."""
    book = openpyxl.load_workbook(template)
    sheet = book["realisasi"]
    col = {cell.value: cell.column for cell in sheet[1]}
    for row in range(2, sheet.max_row + 1):
        pagu = sheet.cell(row, col["pagu"]).value
        target_rp = sheet.cell(row, col["target_keuangan"]).value
        money = min(int(target_rp * 0.9), pagu)
        sheet.cell(row, col["realisasi_keuangan"], "dua juta" if row == bad_row else money)
        sheet.cell(row, col["realisasi_fisik"], 47.5)
        sheet.cell(row, col["realisasi_keluaran"], 1)
        sheet.cell(row, col["kendala"], "Cuaca buruk" if row == 2 else None)
        sheet.cell(row, col["tindak_lanjut"], "Jadwal ulang" if row == 2 else None)
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return target


def sheet_values(path: Path) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return list(book["realisasi"].iter_rows(values_only=True))


def inbox_files(server: PortalServer) -> list[str]:
    folder = server.inbox / str(PERIOD.tahun) / f"TW{PERIOD.triwulan}"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def board_cell_over_http(server: PortalServer) -> tuple[str, str]:
    """(data-state, badge) of the unit's cell, read by the secretariat with its own cookies."""
    client, _ = signed_in(server, "admin")
    try:
        page = client.get("/papan", params={"tahun": PERIOD.tahun})
    finally:
        client.close()
    assert page.status_code == 200, page.text
    cell = BeautifulSoup(page.text, "html.parser").select_one(
        f'td[data-unit="{UNIT}"][data-periode="{PERIOD.label}"]'
    )
    assert cell is not None, page.text
    badge = cell.select_one(".status")
    assert badge is not None, cell
    return str(cell["data-state"]), badge.get_text(strip=True)


# --- the scenario ------------------------------------------------------------------------------


def test_unit_uploads_and_secretariat_reruns_in_a_browser(
    browser: Any, portal_prefect: PortalServer, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    driver, server = browser, portal_prefect
    set_size(driver, DESK)
    driver.delete_all_cookies()

    # 1. the unit signs in with its code and downloads its template
    sign_in(driver, server, server.new_code(UNIT))
    assert driver.current_url.endswith("/unit"), driver.current_url
    assert REF.unit_name(UNIT) in text_of(driver, "header h1")
    driver.get(f"{server.url}/unit?periode={PERIOD.label}")
    assert PERIOD.long in text_of(driver, "#triwulan h2")
    template = download_template(driver, tmp_path / "unduhan")
    assert template.name == f"realisasi-{PERIOD.label}-{UNIT}.xlsx"
    assert template.read_bytes()[:2] == b"PK", "bukan berkas xlsx (zip)"
    sheet = openpyxl.load_workbook(template, read_only=True)["realisasi"]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = list(rows[0]), [r for r in rows[1:] if any(v is not None for v in r)]
    assert "realisasi_keuangan" in header
    assert len(body) >= BAD_ROW - 1  # the faulty row exists
    assert {r[header.index("unit")] for r in body} == {UNIT}
    assert {r[header.index("realisasi_keuangan")] for r in body} == {None}  # left to the unit
    (tmp_path / "sini").mkdir()
    made_here = write_template(REF, PERIOD, UNIT, tmp_path / "sini" / template.name)
    assert sheet_values(template) == sheet_values(made_here)  # the unit's own template

    # 2. a faulty file: refused with the row, the column and why; nothing in the inbox
    faulty = fill(template, tmp_path / "isi" / "Realisasi TW2 Kel Perwira.xlsx", BAD_ROW)
    upload(driver, faulty)
    assert text_of(driver, "#status-hasil") == "Ditolak"
    assert text_of(driver, "#keadaan-unit") == "ditolak (unggahan)"  # where the unit stands
    assert "tidak masuk inbox" in text_of(driver, "#hasil")
    problems = [
        {
            cell.get_attribute("data-label"): cell.text.strip()
            for cell in row.find_elements(By.CSS_SELECTOR, "td")
        }
        for row in driver.find_elements(By.CSS_SELECTOR, "#masalah tbody tr")
    ]
    wrong = [p for p in problems if p["Baris"] == str(BAD_ROW)]
    assert wrong, problems
    assert wrong[0]["Kolom"].splitlines()[0] == "realisasi_keuangan", wrong
    assert "dua juta" in wrong[0]["Nilai"], wrong
    message = wrong[0]["Pesan"].lower()
    assert "realisasi keuangan" in message and "rupiah" in message, wrong
    assert inbox_files(server) == []
    assert board_cell_over_http(server) == ("ditolak", "ditolak (unggahan)")

    # 6a. the unit page with the refusal, at phone and desk width
    for size, name in ((PHONE, "unit-hp.png"), (DESK, "unit-desktop.png")):
        shoot(driver, size, name)  # first: a failing layout is there to look at
        fits(driver, size)
    set_size(driver, DESK)

    # 3. the corrected file: accepted and in the inbox, byte for byte
    corrected = fill(template, tmp_path / "isi2" / "Realisasi TW2 Kel Perwira.xlsx")
    upload(driver, corrected)
    assert text_of(driver, "#status-hasil") == "Diterima"
    assert text_of(driver, "#keadaan-unit") == "diterima (unggahan)"
    assert "portal-perwira.xlsx" in text_of(driver, "#hasil")
    assert inbox_files(server) == ["portal-perwira.xlsx"]
    placed = server.inbox / str(PERIOD.tahun) / f"TW{PERIOD.triwulan}" / "portal-perwira.xlsx"
    assert placed.read_bytes() == corrected.read_bytes()
    history = text_of(driver, "#riwayat")
    assert history.count("Ditolak") == 1 and history.count("Diterima") == 1, history

    # 4. the secretariat, in the same browser after the unit's cookies are gone: green
    driver.delete_all_cookies()
    driver.get(server.url + "/papan")
    assert "/masuk" in driver.current_url  # no session, no board
    sign_in(driver, server, server.codes["admin"])
    assert driver.current_url.endswith("/papan"), driver.current_url
    cell_css = f'td[data-unit="{UNIT}"][data-periode="{PERIOD.label}"]'
    cell = driver.find_element(By.CSS_SELECTOR, cell_css)
    assert cell.get_attribute("data-state") == "diterima", cell.get_attribute("outerHTML")
    badge = cell.find_element(By.CSS_SELECTOR, ".status")
    assert badge.text == "diterima (unggahan)"
    assert badge.value_of_css_property("background-color") == GREEN
    others = driver.find_elements(By.CSS_SELECTOR, f'td[data-periode="{PERIOD.label}"]')
    assert len(others) == len(REF.unit_names)
    assert {c.get_attribute("data-state") for c in others if c != cell} == {"belum"}

    # 5. 'Jalankan ulang' for the quarter: the run page refreshes itself until it is done
    click(driver, f"#jalankan-{PERIOD.label}")
    wait_for("halaman run", lambda: re.search(r"/papan/jalan/\d+$", driver.current_url), 30)
    started = time.monotonic()
    try:
        state = wait_for(
            "run selesai atau gagal",
            lambda: (
                text_of(driver, "#keadaan") in ("selesai", "gagal") and text_of(driver, "#keadaan")
            ),
            RUN_WAIT_S,
            every=1,
        )
    except AssertionError as exc:  # what the run printed so far says why
        raise AssertionError(f"{exc}\n{text_of(driver, '#keluaran')}\n{server.logs()}") from None
    took = time.monotonic() - started
    printed = text_of(driver, "#keluaran")
    assert state == "selesai", f"run {state} setelah {took:.0f} s:\n{printed}\n{server.logs()}"
    assert "Selesai (kode keluar 0)." in printed, printed
    assert "memuat ulang sendiri" not in text_of(driver, "main")  # refresh stops when done
    report = server.out / str(PERIOD.tahun) / f"TW{PERIOD.triwulan}" / "v1" / "laporan.html"
    assert report.is_file(), printed

    driver.get(server.url + "/papan")
    card = text_of(driver, f"#tw-{PERIOD.label}")
    assert "versi 1" in card, card
    assert "Laporan (HTML)" in card, card
    cell = driver.find_element(By.CSS_SELECTOR, cell_css)
    assert cell.get_attribute("data-state") == "diterima"
    assert cell.find_element(By.CSS_SELECTOR, ".status").text == "diterima"  # in the report now
    assert "selesai" in text_of(driver, "#run")
    history = server.cli("status", PERIOD.label)  # the record says who uploaded the file
    assert history.returncode == 0, history.stderr
    assert "diunggah lewat portal (web) oleh kode akses unit perwira" in history.stdout, (
        history.stdout
    )

    # 6b. the board, at phone and desk width: only the grid may scroll sideways, in its box
    for size, name in ((PHONE, "papan-hp.png"), (DESK, "papan-desktop.png")):
        shoot(driver, size, name)
        fits(driver, size, allowed_scroller=None if size == DESK else "#papan .geser")
    set_size(driver, PHONE)  # the grid scrolled to TW IV: the unit names stay in view
    scrolled, offset = driver.execute_script(
        """
        const box = document.querySelector('#papan .geser');
        box.scrollLeft = box.scrollWidth;
        const name = document.querySelector('#grid tbody td:first-child');
        return [box.scrollLeft, name.getBoundingClientRect().left - box.getBoundingClientRect().left];
        """
    )
    assert abs(offset) < 1, (scrolled, offset)
    set_size(driver, DESK)
    driver.delete_all_cookies()
