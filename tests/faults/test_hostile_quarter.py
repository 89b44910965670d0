"""One quarter full of hostile and unlucky files, run as a secretariat runs it: `triwulan run`.

Every fault of the issue that a file can carry is in the same inbox as ordinary submissions. As root the
run goes without the capabilities that ignore file modes, so a file without read permission is
really unreadable. Asserted: what the user sees (exit code, the line naming each file), what is
kept (raw store, database, version folder) and that the other units are still reported.
"""

from __future__ import annotations

import json
import re
import resource
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest

from tests.faults import hostile
from tests.smtp_server import SmtpTestServer
from triwulan.paths import SAMPLE_DIR

TW1 = SAMPLE_DIR / "inbox" / "2024" / "TW1"


def sample(word: str) -> Path:
    return next(p for p in TW1.iterdir() if word.lower() in p.name.lower())


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    quarter = root / "inbox" / "2024" / "TW1"
    quarter.mkdir(parents=True)
    # ordinary units, one of them under a hidden name
    shutil.copy(sample("Harapan_Jaya"), quarter)
    shutil.copy(sample("Marga Mulya"), quarter)
    shutil.copy(sample("Perwira"), quarter / ".Realisasi TW1 Kel Perwira.xlsx")
    shutil.copy(sample("Kaliabang"), quarter)  # has a planted wrong code: rejected as before
    # unit text and a file name that would be formulas in a spreadsheet
    hostile.with_text(
        sample("Sekretariat"),
        quarter / "=Realisasi TW1 Sekretariat Kecamatan.xlsx",
        "kendala",
        hostile.INJECTION,
    )
    # a unit's only file is password-protected; another's has a 5000-digit number
    hostile.encrypted(sample("Teluk Pucung"), quarter / "TW1-2024 Kel. Teluk Pucung.xlsx")
    huge_row = hostile.with_huge_number(
        sample("harapan baru"), quarter / "realisasi harapan baru tw1 2024.csv", "pagu"
    )
    # files no unit name can be read from
    hostile.far_cell(quarter / "lampiran.xlsx")
    hostile.zip_bomb(quarter / "arsip-besar.xlsx")
    hostile.formula_without_value(quarter / "hitungan.xlsx")
    (quarter / "raksasa.csv").write_bytes(b"tahun,unit\n" + b"2024,perwira\n" * 200_000)
    locked = quarter / "kiriman Kaliabang Tengah (salinan).xlsx"
    shutil.copy(sample("Kaliabang"), locked)
    locked.chmod(0)
    out = root / "out"
    with SmtpTestServer() as server:
        env = {
            **server.env(login=True),
            "TRIWULAN_MAIL_FROM": "Sekretariat <sekretariat@example.go.id>",
            "TRIWULAN_BATAS_UKURAN_BERKAS_MB": "2",
        }
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        result = hostile.run_cli(
            ["run", "2024-TW1", "--inbox", str(root / "inbox"), "--out", str(out)], root, env
        )
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        mails = list(server.messages)
    summary = json.loads((out / "2024" / "TW1" / "v1" / "summary.json").read_text())
    return {
        "result": result,
        "summary": summary,
        "units": {u["unit"]: u for u in summary["units"]},
        "bad": {f["file"]: f["message"] for f in summary["unreadable_files"]},
        "out": out,
        "mails": mails,
        "huge_row": huge_row,
        "peak_mib": max(peak_kib, before) // 1024,
        "quarter": quarter,
    }


def test_the_run_finishes_and_names_every_bad_file(hostile_run):
    result = hostile_run["result"]
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for name in ("lampiran.xlsx", "arsip-besar.xlsx", "hitungan.xlsx", "raksasa.csv"):
        assert f"BERKAS BERMASALAH {name}" in result.stdout
    assert "DITOLAK Kelurahan Teluk Pucung" in result.stdout


def test_other_units_are_still_reported(hostile_run):
    units = hostile_run["units"]
    for unit in ("harapan-jaya", "marga-mulya", "perwira", "kecamatan"):
        assert units[unit]["status"] == "accepted", units[unit]["problems"]
        assert units[unit]["totals"]["realisasi_keuangan_tw"] > 0
    assert units["perwira"]["file"] == ".Realisasi TW1 Kel Perwira.xlsx"  # hidden name: judged
    assert hostile_run["summary"]["totals"]["realisasi_keuangan_tw"] > 0


def test_a_5000_digit_number_is_a_problem_of_its_cell(hostile_run):
    unit = hostile_run["units"]["harapan-baru"]
    assert unit["status"] == "rejected"
    pagu = [p for p in unit["problems"] if p["column"] == "pagu"]
    assert pagu and pagu[0]["row"] == hostile_run["huge_row"]
    assert all(len(p["message"]) < 600 for p in unit["problems"])  # the value is not echoed whole


def test_a_cell_at_xfd1048576_is_refused_before_parsing(hostile_run):
    assert "XFD1048576" in hostile_run["bad"]["lampiran.xlsx"]
    assert "di luar batas tabel" in hostile_run["bad"]["lampiran.xlsx"]


def test_a_zip_bomb_is_refused_from_its_directory(hostile_run):
    assert "terlalu besar setelah diurai" in hostile_run["bad"]["arsip-besar.xlsx"]
    # 300 MB of sheet were never inflated: the whole run (Prefect, GX, pandas) stays small
    assert hostile_run["peak_mib"] < 1500


def test_an_oversized_file_is_refused_by_size(hostile_run):
    assert "melebihi batas 2 MB" in hostile_run["bad"]["raksasa.csv"]


def test_a_formula_without_value_names_its_cell(hostile_run):
    message = hostile_run["bad"]["hitungan.xlsx"]
    assert "Sel C2" in message and "isi nilai, bukan rumus" in message


def test_an_encrypted_file_is_called_password_protected_and_its_unit_is_told(hostile_run):
    unit = hostile_run["units"]["teluk-pucung"]
    assert unit["status"] == "rejected"  # not 'belum mengirim': it did send something
    assert "kata sandi" in unit["problems"][0]["message"]
    told = [m for m in hostile_run["mails"] if "kel.telukpucung@example.go.id" in m.rcpt_tos]
    assert len(told) == 1
    assert "kata sandi" in told[0].parse().get_body(("html",)).get_content()


@pytest.mark.skipif(
    not hostile.as_other_user(), reason="root reads any file: needs setpriv to drop that power"
)
def test_an_unreadable_file_is_a_problem_of_that_file(hostile_run):
    unit = hostile_run["units"]["kaliabang-tengah"]
    unreadable = [p for p in unit["problems"] if p["rule"] == "berkas_tidak_terbaca"]
    assert len(unreadable) == 1 and unreadable[0]["severity"] == "warning"
    assert "tidak boleh dibaca" in unreadable[0]["message"]


def test_unit_text_and_file_names_never_become_formulas(hostile_run):
    folder = hostile_run["out"] / "2024" / "TW1" / "v1"
    with zipfile.ZipFile(folder / "rekap.xlsx") as book:
        xml = "".join(
            book.read(n).decode("utf-8") for n in book.namelist() if n.startswith("xl/worksheets/")
        )
        strings = (
            book.read("xl/sharedStrings.xml").decode()
            if "xl/sharedStrings.xml" in book.namelist()
            else ""
        )
    formulas = re.findall(r"<f>(.*?)</f>", xml)
    assert not [f for f in formulas if "HYPERLINK" in f or "Sekretariat" in f]
    assert "HYPERLINK" in xml + strings and "=Realisasi TW1 Sekretariat" in xml + strings


def test_everything_read_is_kept_and_recorded(hostile_run):
    out = hostile_run["out"]
    kept = {p.name for p in (out / "store" / "raw").rglob("*") if p.is_file()}
    with sqlite3.connect(out / "triwulan.sqlite") as db:
        names = {r[0] for r in db.execute("select nama_berkas from berkas")}
        runs = list(db.execute("select status from runs"))
    # every file but the oversized one (refused by size) and the unreadable one
    expected = {p.name for p in hostile_run["quarter"].iterdir()} - {
        "raksasa.csv",
        "kiriman Kaliabang Tengah (salinan).xlsx",
    }
    assert names == expected
    assert len(kept) == len(expected)
    assert runs == [("selesai",)]


def test_leadership_mail_stays_small_and_goes_out_once(hostile_run):
    leaders = [m for m in hostile_run["mails"] if "camat.bekasiutara@example.go.id" in m.rcpt_tos]
    assert len(leaders) == 1
    assert len(leaders[0].content) < 2 << 20
