"""What the terminal says, line for line, where it used to say too little or the wrong thing.

Each test is a transcript: the exact lines a clerk reads, with the temporary folder written as
<root>. The runs go through the `triwulan` command in-process (on the session's Prefect server)
with a real SMTP server on 127.0.0.1 and a real SQLite store; Ctrl-C is a real SIGINT sent to a
real `triwulan run` process.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from email.utils import getaddresses
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.smtp_server import SmtpTestServer
from triwulan.cli import app
from triwulan.paths import SAMPLE_DIR

REFERENCE = Path(__file__).parents[1] / "reference" / "2024"


@pytest.fixture
def desk(prefect_api, tmp_path, monkeypatch):
    """The TW I sample inbox and a mail server; `cli(...)` returns (exit code, lines)."""
    shutil.copytree(SAMPLE_DIR / "inbox" / "2024" / "TW1", tmp_path / "inbox" / "2024" / "TW1")
    server = SmtpTestServer().__enter__()
    for key, value in server.env(login=True).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TRIWULAN_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("TRIWULAN_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("TRIWULAN_SMTP_TIMEOUT_S", "2")
    runner = CliRunner()

    def cli(*args: str) -> tuple[int, list[str]]:
        result = runner.invoke(app, list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        text = (result.stdout + result.stderr).replace(str(tmp_path), "<root>")
        return result.exit_code, text.splitlines()

    yield {"root": tmp_path, "out": tmp_path / "out", "server": server, "cli": cli}
    server.__exit__(None, None, None)


def leaders() -> list[str]:
    with (REFERENCE / "recipients.csv").open(encoding="utf-8") as handle:
        return [r["email"] for r in csv.DictReader(handle)]


def units() -> dict[str, str]:
    with (REFERENCE / "units.csv").open(encoding="utf-8") as handle:
        return {r["unit"]: r["email"] for r in csv.DictReader(handle)}


def db(out: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(out / "triwulan.sqlite") as conn:
        return list(conn.execute(sql))


def test_rerun_after_failed_delivery_says_what_it_sent_and_to_whom(desk):
    cli, server = desk["cli"], desk["server"]
    server.fail_mail(times=None, reply="451 4.3.0 Server sibuk")
    code, first = cli("run", "2024-TW1")
    assert code == 3
    assert any("email ke pimpinan GAGAL dikirim" in line for line in first)

    server.fail_mail(times=0)
    code, lines = cli("run", "2024-TW1")

    assert code == 0
    sent = {m.parse()["X-Triwulan-Key"].split("/")[1]: m for m in server.messages}
    assert len(server.messages) == 8 and "pimpinan" in sent
    head = [
        "2024-TW1: tidak ada perubahan sejak v1 (<root>/out/2024/TW1/v1); tidak ada versi baru.",
        "  8 email v1 yang belum terkirim sebelumnya diproses sekarang:",
    ]
    assert lines[:2] == head
    expected = set()
    emails = units()
    words = {"unit": "umpan balik", "diterima": "tanda terima"}
    for message in server.messages:
        parsed = message.parse()
        kind, unit = parsed["X-Triwulan-Key"].split("/")[1:3]
        to = [a for _, a in getaddresses([*parsed.get_all("To", []), *parsed.get_all("Cc", [])])]
        if kind == "pimpinan":
            assert set(leaders()) <= set(to)
            expected.add(f"    laporan ke pimpinan ({', '.join(to)}): terkirim")
        else:
            assert to[0] == emails[unit]
            expected.add(f"    {words[kind]} {unit} ({', '.join(to)}): terkirim")
    assert set(lines[2:]) == expected and len(lines) == 10
    # and nothing is sent twice: a third run sends nothing
    code, again = cli("run", "2024-TW1")
    assert again == [
        "2024-TW1: tidak ada perubahan sejak v1 (<root>/out/2024/TW1/v1); tidak ada versi baru "
        "dan tidak ada email baru."
    ]
    assert len(server.messages) == 8


def test_unknown_leadership_delivery_is_told_by_the_run_later_runs_and_status(desk):
    cli, server, out = desk["cli"], desk["server"], desk["out"]
    server.disconnect_data(1)  # the first mail (leadership) arrives, its 250 never does
    code, lines = cli("run", "2024-TW1")

    assert code == 3
    warning = [line for line in lines if line.startswith("PERHATIAN: email DRAF")]
    [parsed] = [
        m.parse() for m in server.transactions if "/pimpinan/" in m.parse()["X-Triwulan-Key"]
    ]
    to = ", ".join(a for _, a in getaddresses([*parsed.get_all("To"), *parsed.get_all("Cc", [])]))
    pattern = (
        rf"PERHATIAN: email DRAF 2024-TW1 v1 ke pimpinan \({re.escape(to)}\) BELUM PASTI diterima: "
        r"server memutus sambungan setelah isi terkirim \(\d\d-\d\d-\d{4} \d\d\.\d\d WIB\)\. "
        r"Tanyakan ke penerima atau periksa log server email; bila belum sampai: triwulan "
        r"kirim-ulang 2024-TW1 --ke pimpinan\."
    )
    assert len(warning) == 1 and re.fullmatch(pattern, warning[0])
    copies = len(server.messages)

    code, again = cli("run", "2024-TW1")  # nothing changed: shown again, nothing resent
    assert code == 0
    assert again == [
        "2024-TW1: tidak ada perubahan sejak v1 (<root>/out/2024/TW1/v1); tidak ada versi baru "
        "dan tidak ada email baru.",
        warning[0],
    ]
    assert len(server.messages) == copies
    assert len(server.transactions) == 8  # the leadership draft reached the server once

    code, status = cli("status", "2024-TW1")
    assert code == 0
    joined = " ".join(line.strip() for line in status)
    assert warning[0] in joined
    code, year = cli("status", "2024")
    assert warning[0] in " ".join(line.strip() for line in year)

    code, resent = cli("kirim-ulang", "2024-TW1", "--ke", "pimpinan")  # a person resends
    assert code == 0
    code, status = cli("status", "2024-TW1")
    assert "BELUM PASTI" not in " ".join(status)
    assert db(out, "select count(*) from runs where status = 'berjalan'") == [(0,)]


def test_a_run_waiting_for_the_lock_says_so_once(desk, monkeypatch):
    cli, out = desk["cli"], desk["out"]
    code, _ = cli("run", "2024-TW1")
    assert code == 0
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with sqlite3.connect(out / "triwulan.sqlite") as conn:
            conn.execute(
                "insert into kunci (periode, pemilik, sejak) values (?, ?, ?)",
                ("2024-TW1", f"{socket.gethostname()}:{holder.pid}:abcd", "2026-12-06 01:00:00"),
            )
        monkeypatch.setenv("TRIWULAN_KUNCI_TUNGGU_DETIK", "2")
        started = time.monotonic()
        code, lines = cli("run", "2024-TW1")
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.wait()
    who = f"{socket.gethostname()}, proses {holder.pid}"
    assert code == 2
    assert lines == [
        f"2024-TW1 sedang diproses oleh run lain ({who}, sejak 06-12-2026 08.00 WIB); menunggu "
        "run itu selesai, paling lama 2 detik (TRIWULAN_KUNCI_TUNGGU_DETIK).",
        f"2024-TW1 sedang diproses oleh run lain ({who}, sejak 06-12-2026 08.00 WIB); sudah "
        "ditunggu 2 detik. Coba lagi setelah run itu selesai (atur lama menunggu dengan "
        "TRIWULAN_KUNCI_TUNGGU_DETIK).",
    ]
    # the holder is gone now: its lock is taken over without a word
    code, lines = cli("run", "2024-TW1")
    assert code == 0 and lines[0].startswith("2024-TW1: tidak ada perubahan sejak v1")
    assert db(out, "select count(*) from kunci") == [(0,)]


def test_preview_prints_the_summary_headed_pratinjau(desk):
    cli, out = desk["cli"], desk["out"]
    code, lines = cli("run", "2024-TW1", "--coba")
    assert code == 0
    folder = re.fullmatch(r"  Ringkasan: (.*)/summary\.json", lines[-1]).group(1)
    assert lines[0] == "PRATINJAU 2024-TW1 (tidak disimpan, tidak dikirim): 6 dari 7 unit diterima."
    assert lines[1].startswith("  - DITOLAK Kelurahan Kaliabang Tengah (")
    assert f"  Laporan: {folder}/laporan.html | rekap: {folder}/rekap.xlsx" in lines
    assert not any(line.startswith("  Email:") for line in lines)  # nothing was sent
    assert not (out / "2024").exists()
    shutil.rmtree(folder)


def test_final_refusal_is_one_line(desk):
    cli = desk["cli"]
    cli("run", "2024-TW1")
    code, _ = cli("final", "2024-TW1", "--ya")
    assert code == 0
    code, lines = cli("run", "2024-TW1")
    assert code == 2
    assert len(lines) == 1
    assert re.fullmatch(
        r"2024-TW1 sudah FINAL \(versi 1, ditetapkan oleh \S+ pada \d\d-\d\d-\d{4} \d\d\.\d\d "
        r"WIB\)\. Run baru tidak menggantikannya; bila memang perlu dibuka lagi, jalankan dengan "
        r'--buka-final "alasan"\.',
        lines[0],
    )


def test_ctrl_c_says_dibatalkan_and_status_agrees(prefect_api, tmp_path):
    """A real SIGINT to a real `triwulan run` while it builds the version folder."""
    from prefect.settings import PREFECT_API_URL

    shutil.copytree(SAMPLE_DIR / "inbox" / "2024" / "TW1", tmp_path / "inbox" / "2024" / "TW1")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TRIWULAN_", "PREFECT_"))},
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "TRIWULAN_INBOX": str(tmp_path / "inbox"),
        "TRIWULAN_OUT": str(tmp_path / "out"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "triwulan.cli", "run", "2024-TW1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    work = tmp_path / "out" / "2024" / "TW1" / ".v1.sedang"
    deadline = time.monotonic() + 240
    while not work.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert work.exists(), process.communicate()
    process.send_signal(signal.SIGINT)
    # ~10 s alone; minutes when tests/test_busy_machine.py burns both cores in the other worker
    stdout, stderr = process.communicate(timeout=300)

    assert process.returncode == 130, (stdout, stderr)
    assert stderr.splitlines() == [
        "Run 2024-TW1 dibatalkan (Ctrl-C). Versi yang sedang dibuat (bila ada) disimpan sebagai "
        "folder v<nomor>.gagal; jalankan ulang kapan saja."
    ]
    assert "Traceback" not in stdout
    quarter = tmp_path / "out" / "2024" / "TW1"
    assert (quarter / "v1.gagal").is_dir() and not work.exists()
    assert db(tmp_path / "out", "select versi, status, pesan from runs") == [
        (1, "dibatalkan", "dibatalkan dengan Ctrl-C")
    ]
    status = subprocess.run(
        [sys.executable, "-m", "triwulan.cli", "status", "2024-TW1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "dibatalkan" in status.stdout and "pesan: dibatalkan dengan Ctrl-C" in status.stdout
    assert db(tmp_path / "out", "select count(*) from kunci") == [(0,)]
