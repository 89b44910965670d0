"""The record of a quarter, as a secretariat lives it: corrections, reruns, previews, finals.

Each test is a scenario a person could follow, through the `triwulan` command (in-process, on the
session's Prefect server) with a real SMTP server on 127.0.0.1 and a real SQLite store.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.smtp_server import SmtpTestServer
from triwulan.cli import app
from triwulan.paths import SAMPLE_DIR

LEADERS = {"camat.bekasiutara@example.go.id", "sekcam.bekasiutara@example.go.id"}
CORRECTIONS = SAMPLE_DIR / "corrections" / "2024"


@pytest.fixture
def office(prefect_api, tmp_path, monkeypatch):
    """A secretariat folder with the sample inbox and a mail server; `cli(...)` runs a command."""
    shutil.copytree(SAMPLE_DIR / "inbox", tmp_path / "inbox")
    server = SmtpTestServer().__enter__()
    for key, value in server.env(login=True).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TRIWULAN_MAIL_FROM", "Sekretariat <sekretariat@example.go.id>")
    monkeypatch.setenv("TRIWULAN_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("TRIWULAN_OUT", str(tmp_path / "out"))
    runner = CliRunner()

    def cli(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return result.stdout + result.stderr

    yield {"root": tmp_path, "out": tmp_path / "out", "server": server, "cli": cli}
    server.__exit__(None, None, None)


def summary(out: Path, quarter: int, version: int) -> dict:
    return json.loads((out / "2024" / f"TW{quarter}" / f"v{version}" / "summary.json").read_text())


def leader_mails(server: SmtpTestServer) -> list:
    return [m for m in server.messages if set(m.rcpt_tos) >= LEADERS]


def correct_tw1(root: Path) -> None:
    name = "Kaliabang Tengah - Realisasi TW I 2024.xlsx"
    shutil.copy(CORRECTIONS / "TW1" / name, root / "inbox" / "2024" / "TW1" / name)


def db_rows(out: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(out / "triwulan.sqlite") as db:
        return list(db.execute(sql))


def test_a_tw1_correction_recomputes_tw2_and_leadership_gets_one_mail(office):
    cli, out, server = office["cli"], office["out"], office["server"]
    cli("run", "2024-TW1")
    cli("run", "2024-TW2")
    tw2_before = summary(out, 2, 1)
    # kaliabang-tengah was rejected in TW I: TW II says its TW I is missing
    assert [w["unit"] for w in tw2_before["warnings"]] == ["kaliabang-tengah"]
    before = len(leader_mails(server))

    correct_tw1(office["root"])
    printed = cli("run", "2024-TW1")

    assert "Koreksi ini juga mengubah 2024-TW2: dibuat versi 2." in printed
    tw2_after = summary(out, 2, 2)
    assert tw2_after["cause"]["code"] == "earlier_quarter_corrected"
    assert "TW I 2024 dikoreksi (versi 2)" in tw2_after["cause"]["message"]
    assert tw2_after["warnings"] == []
    assert (
        tw2_after["totals"]["realisasi_keuangan_sd_tw"]
        > tw2_before["totals"]["realisasi_keuangan_sd_tw"]
    )
    assert (
        tw2_after["totals"]["realisasi_keuangan_tw"]
        == tw2_before["totals"]["realisasi_keuangan_tw"]
    )
    new = leader_mails(server)[before:]
    assert len(new) == 1
    message = new[0].parse()
    assert "TW I (versi 2) dan TW II (versi 2)" in message["Subject"]
    names = sorted(p.get_filename() for p in message.iter_attachments())
    assert names == [
        "laporan-2024-TW1-v2.html",
        "laporan-2024-TW2-v2.html",
        "rekap-2024-TW1-v2.xlsx",
        "rekap-2024-TW2-v2.xlsx",
    ]
    pemicu = db_rows(out, "select periode, versi, pemicu from runs order by id")
    assert pemicu[-2:] == [("2024-TW1", 2, "manual"), ("2024-TW2", 2, "cascade")]
    # a manual rerun of TW II now says nothing new to leadership
    cli("run", "2024-TW2", "--force")
    assert len(leader_mails(server)) == before + 1


def test_tw2_into_an_empty_out_folder_warns_that_tw1_is_missing(office):
    cli, out, server = office["cli"], office["out"], office["server"]
    printed = cli("run", "2024-TW2")
    data = summary(out, 2, 1)
    codes = {(w["code"], w["unit"], tuple(w["quarters"])) for w in data["warnings"]}
    counted = [u["unit"] for u in data["units"] if u["totals"]]
    assert codes == {("earlier_quarter_missing", u, (1,)) for u in counted}
    assert data["complete"] is False
    assert "PERHATIAN" in printed
    html = (out / "2024" / "TW2" / "v1" / "laporan.html").read_text()
    mail = leader_mails(server)[0].parse()
    body = mail.get_body(("html",)).get_content()
    for text in (html, body):
        assert "belum ada di basis data" in text
        assert "semua unit lengkap" not in text
    # the warning is on the first screen: before the first figure of the mail
    assert body.index("belum ada di basis data") < body.index("Realisasi keuangan")


def test_identical_rerun_makes_nothing_and_a_kendala_correction_is_mailed(office):
    cli, out, server = office["cli"], office["out"], office["server"]
    cli("run", "2024-TW1")
    sent = len(server.messages)
    printed = cli("run", "2024-TW1")
    assert "tidak ada perubahan sejak v1" in printed
    assert not (out / "2024" / "TW1" / "v2").exists()
    assert len(server.messages) == sent
    # only a text changes: a unit rewrites its kendala
    path = next((office["root"] / "inbox" / "2024" / "TW1").glob("*Perwira*"))
    book = openpyxl.load_workbook(path)
    sheet = book["realisasi"]
    column = [c.value for c in sheet[1]].index("kendala") + 1
    sheet.cell(row=2, column=column).value = "Hujan deras; pekerjaan tertunda dua minggu"
    book.save(path)
    cli("run", "2024-TW1")
    assert (out / "2024" / "TW1" / "v2").is_dir()
    new = leader_mails(server)[1:]
    assert len(new) == 1 and "versi 2" in new[0].parse()["Subject"]
    statuses = db_rows(out, "select versi, status from runs where periode='2024-TW1' order by id")
    assert statuses == [(1, "selesai"), (1, "tanpa_perubahan"), (2, "selesai")]


def test_preview_touches_neither_database_nor_out_folder(office):
    cli, out, server = office["cli"], office["out"], office["server"]
    cli("run", "2024-TW1")
    sent = len(server.messages)
    db = out / "triwulan.sqlite"
    before = db.read_bytes()
    listing = sorted(str(p) for p in out.rglob("*"))
    printed = cli("run", "2024-TW2", "--coba")
    assert "PRATINJAU 2024-TW2 (tidak disimpan, tidak dikirim)" in printed
    assert "6 dari 7 unit diterima" in printed and "BELUM MENGIRIM" in printed
    folder = Path(printed.split("Ringkasan: ")[1].splitlines()[0]).parent
    assert "PRATINJAU" in (folder / "laporan.html").read_text()
    assert json.loads((folder / "summary.json").read_text())["status_laporan"] == "PRATINJAU"
    assert db.read_bytes() == before
    assert sorted(str(p) for p in out.rglob("*")) == listing
    assert len(server.messages) == sent  # only TW I's run


def test_final_refuses_reruns_until_reopened_with_a_reason(office):
    cli, out, server = office["cli"], office["out"], office["server"]
    cli("run", "2024-TW1")
    printed = cli("final", "2024-TW1", "--ya")  # Kaliabang Tengah is rejected in TW I
    assert "ditetapkan FINAL" in printed
    final_html = (out / "2024" / "TW1" / "v1" / "final" / "laporan.html").read_text()
    assert "FINAL" in final_html and "DRAF —" not in final_html
    # FINAL is signed by the Camat of pejabat.csv; the draft beside it keeps the block empty
    assert "SUMPONO BRAMA, S.STP., M.Si" in final_html
    assert "NIP. 19800825 199912 1 001" in final_html and "Pembina Tk.I" in final_html
    e81 = final_html[final_html.index('id="e81"') : final_html.index('id="rfk"')]
    assert "Mengetahui," in e81 and "SUMPONO BRAMA, S.STP., M.Si" in e81  # the form is signed
    assert "Dievaluasi oleh," in e81 and "19800825 199912 1 001" in e81
    draft_html = (out / "2024" / "TW1" / "v1" / "laporan.html").read_text()
    assert "CAMAT BEKASI UTARA," in draft_html and "SUMPONO" not in draft_html
    last = leader_mails(server)[-1].parse()
    assert last["Subject"].startswith("[FINAL]")
    correct_tw1(office["root"])
    refused = cli("run", "2024-TW1", code=2)
    assert "sudah FINAL (versi 1" in refused and "--buka-final" in refused
    cli("run", "2024-TW1", "--buka-final", "Koreksi kode Kaliabang Tengah")
    assert (out / "2024" / "TW1" / "v2").is_dir()
    events = db_rows(out, "select versi, aksi, alasan from final order by id")
    assert events == [(1, "final", None), (1, "buka", "Koreksi kode Kaliabang Tengah")]
    history = cli("status", "2024-TW1")
    assert "Kaliabang Tengah - Realisasi TW I 2024.xlsx" in history
    assert "v1 ditetapkan FINAL" in history and "Koreksi kode Kaliabang Tengah" in history
    year = cli("status", "2024")
    assert "Versi terakhir" in year and "v2" in year


def test_resend_goes_out_again_and_is_recorded(office):
    cli, out, server = office["cli"], office["out"], office["server"]
    cli("run", "2024-TW1")
    first = leader_mails(server)[0].parse()
    printed = cli("kirim-ulang", "2024-TW1", "--ke", "pimpinan")
    assert "1 email dikirim ulang" in printed
    again = leader_mails(server)
    assert len(again) == 2
    second = again[1].parse()
    assert second["Subject"] == first["Subject"] and second["Message-ID"] != first["Message-ID"]
    rows = db_rows(out, "select jenis, status from surat where periode='2024-TW1' order by id")
    assert rows.count(("pimpinan", "terkirim")) == 2
    assert cli("status", "2024-TW1").count("camat.bekasiutara@example.go.id") == 2


def test_two_simultaneous_runs_never_send_a_draft_twice(prefect_api, tmp_path):
    """Two processes run the same quarter at once against a slow mail server."""
    shutil.copytree(SAMPLE_DIR / "inbox", tmp_path / "inbox")
    with SmtpTestServer() as server:
        server.delay_data(2)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TRIWULAN_", "PREFECT_"))},
            **server.env(login=True),
            "TRIWULAN_MAIL_FROM": "Sekretariat <sekretariat@example.go.id>",
            "TRIWULAN_INBOX": str(tmp_path / "inbox"),
            "TRIWULAN_OUT": str(tmp_path / "out"),
            "PREFECT_HOME": str(tmp_path / ".prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        command = [sys.executable, "-m", "triwulan.cli", "run", "2024-TW1"]
        procs = [
            subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=300) for p in procs]
        codes = [p.returncode for p in procs]
        mails = list(server.messages)
    assert codes == [0, 0], outputs
    printed = " ".join(o[0] for o in outputs)
    assert "versi 1" in printed and "tidak ada perubahan sejak v1" in printed
    leaders = [m for m in mails if set(m.rcpt_tos) >= LEADERS]
    assert len(leaders) == 1
    out = tmp_path / "out"
    sends = db_rows(out, "select kunci from surat where status='terkirim'")
    assert len(sends) == len(mails) == len(set(sends))
    assert db_rows(out, "select count(*) from kunci") == [(0,)]
