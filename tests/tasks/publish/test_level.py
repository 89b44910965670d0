"""A level's report: who is missing first, one row per child, names escaped, versions whole."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from bs4 import BeautifulSoup

from triwulan.tasks.measure.rollup import consolidate, kecamatan_result, missing_result
from triwulan.tasks.publish.level import latest_version, render_text, write_level_version

BANDS = pd.DataFrame({"predikat": ["Tinggi", "Rendah"], "batas_bawah": [76.0, 0.0]})
HOSTILE = '<img src=x onerror="alert(1)">'


def _detail(pagu: int, realisasi: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pagu": [pagu],
            "target_keuangan_tw": [pagu // 2],
            "realisasi_keuangan_tw": [realisasi],
            "target_keuangan_sd_tw": [pagu // 2],
            "realisasi_keuangan_sd_tw": [realisasi],
            "realisasi_fisik_persen": [50.0],
        }
    )


def _summary() -> dict:
    units = [{"nama": HOSTILE, "status": "missing"}] + [
        {"nama": f"Kelurahan {i}", "status": "rejected"} for i in range(8)
    ]
    kid = kecamatan_result(
        "32.75.01",
        "Kecamatan A",
        3,
        "/out/32.75.01/2024/TW2/v3",
        {
            "kecamatan": "Kecamatan A",
            "generated_at": "2024-07-10T08:00:00+07:00",
            "complete": False,
            "counts": {"accepted": 1, "rejected": 8, "missing": 1, "total": 10},
            "units": units,
        },
        _detail(1_000_000, 400_000),
    )
    gone = missing_result("32.75.02", "Kecamatan B", "kecamatan", "belum ada run 2024-TW2")
    out = consolidate(
        {"kode": "32.75", "nama": "Kota Bekasi", "tingkat": "kota"},
        "2024-TW2",
        [kid, gone],
        BANDS,
        "2024-07-11T09:30:00+07:00",
        kecamatan=2,
    )
    out["version"] = 1
    return out


def test_the_page_says_who_is_missing_before_any_figure(tmp_path: Path) -> None:
    folder = write_level_version(tmp_path / "2024" / "TW2", _summary())
    html = (folder / "laporan.html").read_text(encoding="utf-8")
    assert HOSTILE not in html  # a unit's name is text, never markup
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all("img") and not soup.find_all("script")
    text = soup.get_text(" ", strip=True)
    first = text.index("1 dari 2 kecamatan melapor")
    assert first < text.index("Rp 400.000")  # completeness before the money
    assert "Belum ada laporan: Kecamatan B" in text
    assert "belum ada run 2024-TW2" in text
    # names per row are bounded: five shown, the rest counted
    assert (
        "Ditolak: Kelurahan 0, Kelurahan 1, Kelurahan 2, Kelurahan 3, Kelurahan 4 dan 3 unit lain"
        in text
    )
    assert "Kota Bekasi" in soup.title.get_text()
    assert "11 Juli 2024 pukul 09.30 WIB" in text


def test_the_text_twin_carries_the_same_facts(tmp_path: Path) -> None:
    text = render_text(_summary(), tmp_path)
    assert text.index("1 dari 2 kecamatan melapor") < text.index("Rp 400.000")
    assert "Kecamatan B (32.75.02): Belum ada laporan" in text
    assert "/out/32.75.01/2024/TW2/v3" in text


def test_versions_are_written_whole_and_the_newest_is_found(tmp_path: Path) -> None:
    quarter = tmp_path / "2024" / "TW2"
    assert latest_version(quarter) is None
    first = _summary()
    write_level_version(quarter, first)
    second = {**first, "version": 2}
    write_level_version(quarter, second)
    (quarter / "v9").mkdir()  # a folder without summary.json is not a version
    (quarter / ".v3-abc").mkdir()  # nor is an unfinished one
    number, folder = latest_version(quarter)
    assert number == 2 and folder == quarter / "v2"
    assert json.loads((folder / "summary.json").read_text(encoding="utf-8"))["version"] == 2
    assert sorted(p.name for p in quarter.iterdir() if p.name.startswith(".")) == [".v3-abc"]
