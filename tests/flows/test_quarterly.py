"""Integration: the real flow on sample files, a real SMTP server, a real SQLite store.

Figures are checked against sums computed here straight from the submitted xlsx files (read with
openpyxl, not with the project's reader), so the flow cannot agree with itself by accident.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from tests.smtp_server import SmtpTestServer
from triwulan.paths import SAMPLE_DIR

LEADERS = {"camat.bekasiutara@example.go.id", "sekcam.bekasiutara@example.go.id"}
KALIABANG = "kel.kaliabangtengah@example.go.id"


def read_xlsx_rows(path: Path) -> list[dict]:
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)["realisasi"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(v is not None for v in r)]


def figures_from_files(folder: Path) -> dict[str, dict[str, int]]:
    """Per unit: pagu, target and realisation of the quarter, summed from the files themselves."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for path in folder.glob("*.xlsx"):
        for row in read_xlsx_rows(path):
            unit = out[row["unit"]]
            unit["pagu"] += int(row["pagu"])
            unit["target"] += int(row["target_keuangan"])
            unit["realisasi"] += int(row["realisasi_keuangan"])
    return out


def pct(numerator: int, denominator: int) -> float:
    """Half-up to 2 decimals, computed with exact fractions."""
    value = Fraction(numerator * 100, denominator)
    return float(Fraction(int(value * 100 + Fraction(1, 2)), 100))


@pytest.fixture(scope="module")
def world(prefect_api, tmp_path_factory):
    """TW I then TW II of the sample inbox (as shipped, with its faults) through the real flow."""
    from triwulan.flows.quarterly import quarterly_report

    root = tmp_path_factory.mktemp("dunia")
    inbox, out = root / "inbox", root / "out"
    for q in (1, 2):
        shutil.copytree(SAMPLE_DIR / "inbox" / "2024" / f"TW{q}", inbox / "2024" / f"TW{q}")
    with SmtpTestServer() as server, pytest.MonkeyPatch.context() as mp:
        for key, value in server.env(login=True).items():
            mp.setenv(key, value)
        mp.setenv(
            "TRIWULAN_MAIL_FROM", "Sekretariat Kecamatan Bekasi Utara <sekretariat@example.go.id>"
        )
        tw1 = quarterly_report("2024-TW1", str(inbox), str(out))
        mails_tw1 = list(server.messages)
        tw2 = quarterly_report("2024-TW2", str(inbox), str(out))
        mails_tw2 = list(server.messages)[len(mails_tw1) :]
    return {
        "inbox": inbox,
        "out": out,
        "tw1": tw1,
        "tw2": tw2,
        "mails_tw1": mails_tw1,
        "mails_tw2": mails_tw2,
    }


def test_outputs_of_a_version_folder(world):
    folder = world["out"] / "2024" / "TW1" / "v1"
    for name in ("summary.json", "laporan.html", "rekap.xlsx", "outbox"):
        assert (folder / name).exists(), name
    assert world["tw1"]["period"] == "2024-TW1" and world["tw1"]["version"] == 1
    assert world["tw1"]["complete"] is False


def test_tw1_totals_match_sums_of_the_submitted_files(world):
    summary = world["tw1"]
    files = figures_from_files(world["inbox"] / "2024" / "TW1")
    accepted = [u["unit"] for u in summary["units"] if u["status"] == "accepted"]
    assert sorted(accepted) == sorted(set(files) - {"kaliabang-tengah"})
    pagu = sum(files[u]["pagu"] for u in accepted)
    target = sum(files[u]["target"] for u in accepted)
    real = sum(files[u]["realisasi"] for u in accepted)
    t = summary["totals"]
    assert (t["pagu"], t["target_keuangan_tw"], t["realisasi_keuangan_tw"]) == (pagu, target, real)
    # in TW I the cumulative figures are the quarter's own
    assert (t["target_keuangan_sd_tw"], t["realisasi_keuangan_sd_tw"]) == (target, real)
    assert t["capaian_keuangan_tw_persen"] == pct(real, target)
    assert t["serapan_pagu_persen"] == pct(real, pagu)
    for unit in summary["units"]:
        if unit["status"] == "accepted":
            f = files[unit["unit"]]
            assert unit["totals"]["realisasi_keuangan_tw"] == f["realisasi"]
            assert unit["totals"]["capaian_keuangan_tw_persen"] == pct(f["realisasi"], f["target"])


def test_rejected_unit_is_out_of_the_totals_and_gets_its_problems(world):
    by_unit = {u["unit"]: u for u in world["tw1"]["units"]}
    kaliabang = by_unit["kaliabang-tengah"]
    assert kaliabang["status"] == "rejected" and kaliabang["totals"] is None
    wrong_code = [p for p in kaliabang["problems"] if p["row"] == 4]
    assert wrong_code and wrong_code[0]["column"] == "kode_sub_kegiatan"
    assert "7.01.03.2.02.0030" in wrong_code[0]["message"]

    feedback = [m for m in world["mails_tw1"] if KALIABANG in m.rcpt_tos]
    assert len(feedback) == 1
    message = feedback[0].parse()
    assert "Kaliabang Tengah" in message["Subject"] and "TW I" in message["Subject"]
    body = message.get_body(("html",)).get_content()
    assert "7.01.03.2.02.0030" in body and "bukan milik unit" in body


def test_leadership_email_names_quarter_and_kecamatan_and_attachments_open(world):
    leaders = [m for m in world["mails_tw1"] if set(m.rcpt_tos) >= LEADERS]
    assert len(leaders) == 1
    message = leaders[0].parse()
    assert "TW I 2024" in message["Subject"] and "Kecamatan Bekasi Utara" in message["Subject"]
    assert "DRAF" in message["Subject"]
    assert message["From"].addresses[0].addr_spec == "sekretariat@example.go.id"
    html = message.get_body(("html",)).get_content()
    assert "6 dari 7 unit diterima" in html and "Kaliabang Tengah" in html
    plain = message.get_body(("plain",)).get_content()
    assert "6 dari 7 unit diterima" in plain and "<html" not in plain.lower()
    attachments = {a.get_filename(): a.get_content() for a in message.iter_attachments()}
    assert set(attachments) == {"laporan.html", "rekap.xlsx"}
    book = openpyxl.load_workbook(io.BytesIO(attachments["rekap.xlsx"]))
    assert "Per Unit" in book.sheetnames
    laporan = attachments["laporan.html"]
    laporan = laporan.decode() if isinstance(laporan, bytes) else laporan
    assert "DRAF" in laporan and "Penyediaan Gaji dan Tunjangan ASN" in laporan


def test_tw2_cumulative_includes_tw1(world):
    tw1_files = figures_from_files(world["inbox"] / "2024" / "TW1")
    tw2_files = figures_from_files(world["inbox"] / "2024" / "TW2")
    accepted_tw1 = {u["unit"] for u in world["tw1"]["units"] if u["status"] == "accepted"}
    summary = world["tw2"]
    by_unit = {u["unit"]: u for u in summary["units"]}
    assert by_unit["harapan-baru"]["status"] == "missing"  # its TW II file comes late
    expected_total = 0
    for unit, info in by_unit.items():
        if info["status"] != "accepted":
            continue
        earlier = tw1_files[unit]["realisasi"] if unit in accepted_tw1 else 0
        expected = earlier + tw2_files[unit]["realisasi"]
        assert info["totals"]["realisasi_keuangan_sd_tw"] == expected, unit
        assert info["totals"]["realisasi_keuangan_tw"] == tw2_files[unit]["realisasi"]
        expected_total += expected
    assert summary["totals"]["realisasi_keuangan_sd_tw"] == expected_total
    assert (
        summary["totals"]["realisasi_keuangan_sd_tw"] > summary["totals"]["realisasi_keuangan_tw"]
    )
    leaders = [m for m in world["mails_tw2"] if set(m.rcpt_tos) >= LEADERS]
    assert len(leaders) == 1 and "TW II 2024" in leaders[0].parse()["Subject"]


def test_every_mail_is_in_the_outbox_and_the_ledger(world):
    outbox = world["out"] / "2024" / "TW1" / "v1" / "outbox"
    # the draft, one feedback mail (kaliabang-tengah) and six acknowledgements
    assert len(list(outbox.glob("*.eml"))) == len(world["mails_tw1"]) == 8
    assert {d["status"] for d in world["tw1"]["delivery"]} == {"terkirim"}
    # the ledger is in the database; terkirim.json is its export, one per quarter
    ledger = json.loads((world["out"] / "2024" / "TW1" / "terkirim.json").read_text())
    assert len(ledger["terkirim"]) == 8
    with sqlite3.connect(world["out"] / "triwulan.sqlite") as db:
        rows = list(db.execute("select jenis, status, versi from surat where periode='2024-TW1'"))
    assert sorted(rows) == [
        *[("diterima", "terkirim", 1)] * 6,
        ("pimpinan", "terkirim", 1),
        ("unit", "terkirim", 1),
    ]


def test_run_leaves_markdown_and_table_artifacts_in_prefect(world):
    """Runs in file order: the latest artifacts under these keys are the world's TW II run."""
    from prefect.artifacts import Artifact

    markdown = Artifact.get("ringkasan-2024tw2")
    table = Artifact.get("unit-2024tw2")
    assert markdown is not None and markdown.type == "markdown"
    assert "6 dari 7 unit diterima" in markdown.data and "DRAF" in markdown.data
    # the version folder and every delivery outcome, readable in the Prefect UI
    assert f"Folder versi: `{world['out'] / '2024' / 'TW2' / 'v1'}`" in markdown.data
    assert "## Pengiriman email" in markdown.data and "| terkirim |" in markdown.data
    assert table is not None and table.type == "table"
    assert "Belum mengirim" in str(table.data) and "Kelurahan Harapan Baru" in str(table.data)


PERWIRA = "kel.perwira@example.go.id"


@pytest.fixture(scope="module")
def reruns(prefect_api, tmp_path_factory):
    """TW I (corrected, all accepted) run five times: as is, unchanged, after a bad correction
    of an accepted unit, unchanged again, and with that unit's file replaced by a damaged one."""
    from triwulan.flows.quarterly import quarterly_report

    root = tmp_path_factory.mktemp("ulang")
    inbox, out = root / "inbox", root / "out"
    quarter = inbox / "2024" / "TW1"
    shutil.copytree(SAMPLE_DIR / "inbox" / "2024" / "TW1", quarter)
    for fixed in (SAMPLE_DIR / "corrections" / "2024" / "TW1").glob("*.xlsx"):
        shutil.copy2(fixed, quarter / fixed.name)
    perwira = next(p for p in quarter.glob("*.xlsx") if read_xlsx_rows(p)[0]["unit"] == "perwira")
    runs, sent = [], []
    with SmtpTestServer() as server, pytest.MonkeyPatch.context() as mp:
        for key, value in server.env(login=False).items():
            mp.setenv(key, value)
        mp.setenv("TRIWULAN_MAIL_FROM", "sekretariat@example.go.id")
        for step in ("awal", "tanpa_perubahan", "koreksi_salah", "ulang_lagi", "berkas_rusak"):
            if step == "berkas_rusak":
                perwira.write_bytes(b"bukan berkas excel")
            if step == "koreksi_salah":
                book = openpyxl.load_workbook(perwira)
                sheet = book["realisasi"]
                header = [c.value for c in sheet[1]]
                sheet.cell(row=2, column=header.index("realisasi_fisik") + 1, value=150)
                book.save(perwira)
            before = len(server.messages)
            runs.append(quarterly_report("2024-TW1", str(inbox), str(out)))
            sent.append(list(server.messages)[before:])
    return {"runs": runs, "sent": sent, "perwira": perwira.name}


def test_rerun_without_changes_sends_nothing_twice(reruns):
    first, same = reruns["runs"][0], reruns["runs"][1]
    # the draft to leadership and an acknowledgement to each of the seven units
    assert first["complete"] and len(reruns["sent"][0]) == 8
    # identical inputs: no new version, no mail
    assert same == {**same, "unchanged": True, "version": 1}
    assert reruns["sent"][1] == []
    assert reruns["runs"][3]["unchanged"] and reruns["sent"][3] == []  # after the correction round


def test_bad_correction_keeps_the_rows_accepted_before(reruns):
    first, bad = reruns["runs"][0], reruns["runs"][2]
    units = {u["unit"]: u for u in bad["units"]}
    perwira = units["perwira"]
    assert perwira["status"] == "rejected"
    assert perwira["data_sebelumnya"] == {"file": reruns["perwira"], "versi": 1}
    before = {u["unit"]: u for u in first["units"]}["perwira"]["totals"]
    assert perwira["totals"] == before
    assert bad["totals"] == first["totals"]  # nothing accepted earlier was lost
    assert bad["counts"] == {"accepted": 6, "rejected": 1, "missing": 0, "total": 7}
    mails = reruns["sent"][2]
    to_perwira = [m for m in mails if PERWIRA in m.rcpt_tos]
    assert len(to_perwira) == 1
    assert "150" in to_perwira[0].parse().get_body(("html",)).get_content()
    assert len([m for m in mails if set(m.rcpt_tos) >= LEADERS]) == 1  # the draft changed


def test_damaged_replacement_file_keeps_the_rows_accepted_before(reruns):
    first, damaged = reruns["runs"][0], reruns["runs"][4]
    perwira = {u["unit"]: u for u in damaged["units"]}["perwira"]
    # unreadable, but named after the unit: the unit is told, not shown as 'belum mengirim'
    assert perwira["status"] == "rejected"
    assert [p["rule"] for p in perwira["problems"]] == ["berkas_tidak_terbaca"]
    assert "rusak" in perwira["problems"][0]["message"]
    assert perwira["data_sebelumnya"] == {"file": reruns["perwira"], "versi": 1}
    assert damaged["totals"] == first["totals"]
    assert damaged["unreadable_files"] == []
