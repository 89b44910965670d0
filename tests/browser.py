"""Pages as a reader sees them: Debian's Chromium driven by Selenium (chromedriver), headless.

A phone is 390 × 844 CSS px (the issue's measure); the page is emulated at that size with
device metrics, so the first screen is exactly the top 844 px. In CI a missing browser is a
failure, locally a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PHONE = (390, 844)
DESK = (1280, 800)


def _binaries() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    if os.environ.get("CI"):
        pytest.fail("Chromium atau chromedriver tidak terpasang di CI: uji tampilan gagal")
    pytest.skip("Chromium atau chromedriver tidak terpasang")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (a start costs ~1 s)."""
    chromium, driver_path = _binaries()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--lang=id",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver: Any, path: Path, size: tuple[int, int]) -> None:
    """`path` at `size` CSS px, as a phone (mobile) below 600 px, else as a desk."""
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    driver.get(path.resolve().as_uri())


def text_bottoms(driver: Any, needles: list[str]) -> dict[str, float | None]:
    """For each text, the page y (CSS px) where the first visible element holding it ends."""
    return driver.execute_script(
        """
        const found = {};
        for (const needle of arguments[0]) {
          found[needle] = null;
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          let node;
          while ((node = walker.nextNode())) {
            if (!node.textContent.includes(needle)) continue;
            const rect = node.parentElement.getBoundingClientRect();
            if (rect.width === 0 && rect.height === 0) continue;
            found[needle] = rect.bottom + window.scrollY;
            break;
          }
        }
        return found;
        """,
        needles,
    )


def overflowing(driver: Any, limit: int = 20) -> dict[str, Any]:
    """What breaks a phone layout: elements reaching past the viewport, and sideways scrollers.

    `wide`: visible elements whose box ends right of the viewport (or starts left of it), as
    'tag.class "text…" right=N'; `scrollers`: elements whose content is wider than their box
    and that would scroll (overflow auto/scroll), and the page itself.
    """
    return driver.execute_script(
        """
        const view = document.documentElement.clientWidth;
        const wide = [], scrollers = [];
        const name = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className
          === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' "' +
          (el.textContent || '').trim().slice(0, 40) + '"';
        for (const el of document.body.querySelectorAll('*')) {
          const r = el.getBoundingClientRect();
          if (r.width === 0 || r.height === 0) continue;
          const style = getComputedStyle(el);
          if (style.visibility === 'hidden') continue;
          if (r.right > view + 0.5 || r.left < -0.5) {
            if (wide.length < arguments[0]) wide.push(name(el) + ' right=' + Math.round(r.right));
          }
          const scrolls = ['auto', 'scroll'].includes(style.overflowX);
          if (scrolls && el.scrollWidth > el.clientWidth + 1 && scrollers.length < arguments[0]) {
            scrollers.push(name(el) + ' ' + el.scrollWidth + '>' + el.clientWidth);
          }
        }
        const page = document.scrollingElement;
        if (page.scrollWidth > page.clientWidth + 1) {
          scrollers.push('page ' + page.scrollWidth + '>' + page.clientWidth);
        }
        return {view: view, wide: wide, scrollers: scrollers};
        """,
        limit,
    )
