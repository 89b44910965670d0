"""A new budget year from the reference workbook, and its mid-year revision, through real runs.

Round trip: `referensi templat 2025` (from 2024) -> `pasang` unchanged into a fresh reference
root -> `units` and `template 2025-TW1` work -> 2025-TW1 run on files filled from those templates
gives the same figures as the same files under 2024-TW1.

Revision: after 2025 TW I and TW II are reported, a `perubahan` from TW III raises one pagu and
lowers another; TW III's report uses the new budget and says so; TW II reported again is as
before. A revision cutting a pagu below the accepted realisation is refused, naming the
sub-kegiatan, and changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from flows.quarterly import quarterly_report
from tests.filled import filled_template
from triwulan.cli import app
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import load_reference
from triwulan.tasks.core.submission import columns
from triwulan.tasks.measure.summary import read_detail

RAISED = "7.01.01.2.06.0009"  # kecamatan; murni 90.000.000 (TW III 30.000.000)
LOWERED = "7.01.01.2.09.0001"  # kecamatan; murni 100.000.000 (TW I 52,5 jt, TW III 47,5 jt)
OVERSPENT_TW2 = 40_000_000  # TW II realisation of LOWERED: 47.250.000 + 40.000.000 to date


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def _fill(tahun: int, triwulan: int, inbox: Path, cells: dict[str, int] | None = None) -> None:
    """Every unit's template of the quarter, filled as tests/filled.py fills it."""
    ref = load_reference(tahun)
    period = Period(tahun, triwulan)
    folder = inbox / str(tahun) / f"TW{triwulan}"
    folder.mkdir(parents=True, exist_ok=True)
    for unit in ref.units["unit"]:
        path = filled_template(ref, period, unit, folder / f"{unit}.xlsx")
        if unit == "kecamatan" and cells:
            book = load_workbook(path)
            sheet = book["realisasi"]
            keys = columns(ref)
            code, money = keys.index("kode_sub_kegiatan") + 1, keys.index("realisasi_keuangan") + 1
            for row in range(2, sheet.max_row + 1):
                value = cells.get(sheet.cell(row=row, column=code).value)
                if value is not None:
                    sheet.cell(row=row, column=money, value=value)
            book.save(path)


def _figures(summary: dict) -> dict:
    """What a report says in numbers: totals and every unit's totals and status."""
    return {
        "totals": summary["totals"],
        "units": [(u["unit"], u["status"], u["totals"]) for u in summary["units"]],
        "pagu_semua_unit": summary["pagu_semua_unit"],
    }


@pytest.fixture(scope="module")
def year(prefect_api, tmp_path_factory):
    """2025 installed from the 2024 workbook, TW I and TW II of 2025 reported, TW I of 2024 too."""
    base = tmp_path_factory.mktemp("tahun-baru")
    root, inbox, out = base / "referensi", base / "inbox", base / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRIWULAN_REFERENCE", str(root))
        mp.setenv("TRIWULAN_OUT", str(out))
        mp.chdir(base)
        made = _invoke("referensi", "templat", "2025", "-o", str(base / "referensi-2025.xlsx"))
        installed = _invoke("referensi", "pasang", str(base / "referensi-2025.xlsx"))
        units = _invoke("units")
        template = _invoke("template", "2025-TW1", "--unit", "perwira", "-o", "perwira.xlsx")
        _fill(2024, 1, inbox)
        _fill(2025, 1, inbox)
        _fill(2025, 2, inbox, {LOWERED: OVERSPENT_TW2})
        runs = {
            key: quarterly_report(key, str(inbox), str(out))
            for key in ("2024-TW1", "2025-TW1", "2025-TW2")
        }
        yield {
            "base": base,
            "root": root,
            "inbox": inbox,
            "out": out,
            "mp": mp,
            "said": {"templat": made, "pasang": installed, "units": units, "template": template},
            "runs": runs,
        }


def test_the_workbook_installs_and_the_year_is_usable(year):
    said = year["said"]
    assert "diisi dari 2024" in said["templat"]
    assert f"Data referensi 2025 terpasang di {year['root'] / '2025'}" in said["pasang"]
    assert "Unit pelapor tahun 2025" in said["units"] and "Kelurahan Perwira" in said["units"]
    assert (year["base"] / "perwira.xlsx").stat().st_size > 0
    assert (year["root"] / "2024").is_dir()  # the years reported before stay usable


def test_a_2025_quarter_gives_the_figures_of_the_same_files_under_2024(year):
    tw2024, tw2025 = year["runs"]["2024-TW1"], year["runs"]["2025-TW1"]
    assert tw2025["counts"]["accepted"] == 7
    assert _figures(tw2025) == _figures(tw2024)
    assert tw2025["anggaran"] == "APBD murni"


@pytest.fixture(scope="module")
def revised(year):
    """The revision workbook from the budget in force, one pagu raised and one lowered."""
    base = year["base"]
    _invoke("referensi", "templat", "2025", "--dari", "2025", "-o", str(base / "perubahan.xlsx"))
    book = load_workbook(base / "perubahan.xlsx")
    sheet = book["anggaran"]
    keys = [c.value for c in sheet[1]]
    col = {k: keys.index(k) + 1 for k in keys if k}
    for row in range(3, sheet.max_row + 1):
        code = sheet.cell(row=row, column=col["kode_sub_kegiatan"]).value
        unit = sheet.cell(row=row, column=col["unit"]).value
        if unit == "kecamatan" and code == RAISED:
            sheet.cell(row=row, column=col["tw3"], value=40_000_000)
            sheet.cell(row=row, column=col["pagu"], value=100_000_000)
        if unit == "kecamatan" and code == LOWERED:
            sheet.cell(row=row, column=col["tw3"], value=40_000_000)
            sheet.cell(row=row, column=col["pagu"], value=92_500_000)
    book.save(base / "perubahan.xlsx")
    # a second workbook cutting LOWERED to what TW I–II had: below 87.250.000 realised
    sheet_row = next(
        r
        for r in range(3, sheet.max_row + 1)
        if sheet.cell(row=r, column=col["kode_sub_kegiatan"]).value == LOWERED
        and sheet.cell(row=r, column=col["unit"]).value == "kecamatan"
    )
    sheet.cell(row=sheet_row, column=col["tw3"], value=0)
    sheet.cell(row=sheet_row, column=col["pagu"], value=52_500_000)
    book.save(base / "terlalu-rendah.xlsx")
    budget = (year["root"] / "2025" / "anggaran.csv").read_bytes()
    refused = CliRunner().invoke(
        app,
        ["referensi", "perubahan", "2025", "--mulai-tw", "3", str(base / "terlalu-rendah.xlsx")],
    )
    untouched = (year["root"] / "2025" / "anggaran.csv").read_bytes() == budget
    said = _invoke(
        "referensi", "perubahan", "2025", "--mulai-tw", "3", str(base / "perubahan.xlsx")
    )
    _fill(2025, 3, year["inbox"], {LOWERED: 0})  # its pagu is nearly spent already
    tw3 = quarterly_report("2025-TW3", str(year["inbox"]), str(year["out"]))
    tw2_again = quarterly_report("2025-TW2", str(year["inbox"]), str(year["out"]))
    return {
        "refused": refused,
        "untouched": untouched,
        "said": said,
        "tw3": tw3,
        "tw2_again": tw2_again,
        "sheet_row": sheet_row,
    }


def test_a_revision_below_accepted_realisation_is_refused_and_changes_nothing(revised):
    refused = revised["refused"]
    assert refused.exit_code == 1, refused.stdout + refused.stderr
    assert "Tidak ada yang dipasang" in refused.stdout
    line = next(x for x in refused.stdout.splitlines() if "di bawah realisasi" in x)
    assert f"lembar anggaran, baris {revised['sheet_row']}, kolom E (Pagu (Rp))" in line
    assert "Penyediaan Jasa Pemeliharaan" in line and LOWERED in line
    assert "Rp 52.500.000" in line and "Rp 87.250.000" in line
    assert revised["untouched"]


def test_the_revision_prints_what_changed_and_is_recorded(revised, year):
    said = revised["said"]
    assert "Perubahan anggaran berlaku mulai TW III (2 sub kegiatan)" in said
    assert "pagu naik: pagu 90.000.000 → 100.000.000" in said
    assert "pagu turun: pagu 100.000.000 → 92.500.000" in said
    assert "TW III 30.000.000 → 40.000.000" in said
    assert list((year["root"] / "_arsip").iterdir())  # the year before the revision is kept
    history = _invoke("referensi", "lihat", "2025")
    assert "perubahan anggaran mulai TW III" in history and "perubahan.xlsx" in history
    assert "APBD Perubahan (mulai TW III)" in history
    kept = history.split("Riwayat pemasangan:")[1]  # the change table, read back from the record
    assert "pagu naik: pagu 90.000.000 → 100.000.000" in kept


def test_tw3_uses_the_revised_budget_and_says_so(revised, year):
    tw3 = revised["tw3"]
    ref = load_reference(2025)
    assert tw3["anggaran"] == "APBD Perubahan (mulai TW III)"
    assert tw3["counts"]["accepted"] == 7
    before = year["runs"]["2025-TW2"]["totals"]["pagu"]
    assert tw3["totals"]["pagu"] == before + 10_000_000 - 7_500_000
    folder = year["out"] / "2025" / "TW3" / f"v{tw3['version']}"
    assert "anggaran APBD Perubahan (mulai TW III)" in (folder / "laporan.html").read_text()
    rows = read_detail(folder).to_dict("records")
    detail = {(r["unit"], r["kode_sub_kegiatan"]): r for r in rows}
    assert detail[("kecamatan", RAISED)]["pagu"] == 100_000_000
    assert detail[("kecamatan", RAISED)]["target_keuangan_tw"] == 40_000_000
    assert detail[("kecamatan", LOWERED)]["target_keuangan_tw"] == 40_000_000
    # to date: TW I and TW II as they were, TW III as revised
    assert (
        detail[("kecamatan", RAISED)]["target_keuangan_sd_tw"]
        == 12_500_000 + 32_500_000 + 40_000_000
    )
    assert len(ref.anggaran) == 49 + 2


def test_tw1_and_tw2_figures_do_not_change(revised, year):
    again, first = revised["tw2_again"], year["runs"]["2025-TW2"]
    assert again["version"] == first["version"] + 1
    assert _figures(again) == _figures(first)
    assert again["anggaran"] == "APBD murni"
