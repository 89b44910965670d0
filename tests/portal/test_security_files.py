"""The portal's promises about the files units send, against a real `triwulan portal`.

An oversized body is refused without being read; only .xlsx and .csv are taken, and hostile
workbooks are judged like any other file; uploaded names never become paths; the inbox is never
written through a symbolic link. Units' files are the project's own templates, filled
(tests/filled.py); who may sign in and upload, and what reaches the logs, is in
test_security_access.py.

The module's portal (tests/portal/conftest.py) is shared by its tests, so each test uses its own
units where the rate limit (30 uploads per unit per hour) could add up; the portal taking 1 MB at
most has a fixture of its own.
"""

from __future__ import annotations

import hashlib
import json
import re
import select
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from markupsafe import escape

from tests.faults import hostile
from tests.portal.security_helpers import (
    Codes,
    Files,
    api_upload,
    everything_under,
    ledger,
    path_of,
    quarter_inbox,
    secrets_left,
    web_upload,
)
from tests.portal_server import PortalServer, running_portal, signed_in
from triwulan.portal.uploads import display_name

INBOX_NAME = re.compile(r"^portal-[a-z0-9][a-z0-9-]*\.(xlsx|csv)$")


# --- helpers -----------------------------------------------------------------------------------


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))  # type: ignore[union-attr]


# --- 1. oversized bodies ------------------------------------------------------------------------

LIMIT_MB = 1
TRIED = 256 << 20  # what a chunked upload tries to send
BOUNDARY = "batasberkas"


@pytest.fixture(scope="module")
def small_portal(tmp_path_factory: pytest.TempPathFactory, files: Files) -> Iterator[PortalServer]:
    """A portal taking 1 MB at most, warmed up by one real upload (its judge has loaded GX)."""
    root = tmp_path_factory.mktemp("portal-kecil")
    with running_portal(root, {"TRIWULAN_BATAS_UKURAN_BERKAS_MB": str(LIMIT_MB)}) as server:
        code = server.new_code("perwira")
        first = api_upload(server, code, files.xlsx("perwira"))
        assert first.status_code == 200, first.text
        yield server


def _head(server: PortalServer, path: str, *lines: str) -> bytes:
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        f"Authorization: Bearer {server.codes['perwira']}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        *lines,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode()


def _answer(sock: socket.socket, wait_s: float = 60) -> bytes:
    """The server's answer: head and body (by its Content-Length), or what came before it
    closed or `wait_s` passed (b'' when nothing)."""
    got = b""
    sock.settimeout(wait_s)
    try:
        while True:
            head, found, body = got.partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if found and length and len(body) >= int(length.group(1)):
                return got
            block = sock.recv(65536)
            if not block:
                return got
            got += block
    except OSError:
        return got


@pytest.mark.parametrize("path", ["/api/v1/unggah", "/unit/unggah"])
def test_a_declared_oversized_body_is_refused_before_it_is_sent(
    small_portal: PortalServer, path: str
) -> None:
    with socket.create_connection(("127.0.0.1", small_portal.port), timeout=60) as sock:
        sock.sendall(_head(small_portal, path, f"Content-Length: {2 << 30}"))  # 2 GB, no body
        answer = _answer(sock)  # answered while not one byte of the body was sent
    assert answer.startswith(b"HTTP/1.1 413"), answer
    head, _, body = answer.decode().partition("\r\n\r\n")
    assert "connection: close" in head.lower()
    assert "x-content-type-options: nosniff" in head.lower()
    if path.startswith("/api/"):
        assert json.loads(body) == {"galat": f"Berkas terlalu besar: batas unggahan {LIMIT_MB} MB."}
    else:
        assert "Berkas terlalu besar" in body
    assert small_portal.process is not None and small_portal.process.poll() is None


def _stream_chunked(server: PortalServer, path: str) -> tuple[int, bytes]:
    """A multipart upload of TRIED bytes without Content-Length, sent until the server answers
    or stops taking bytes; (file bytes the socket took, the server's answer)."""
    preamble = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="berkas"; filename="besar.xlsx"'
        "\r\nContent-Type: application/octet-stream\r\n\r\n"
    ).encode()
    block = b"\x00" * (64 << 10)
    chunk = b"%x\r\n%s\r\n" % (len(block), block)
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        try:
            sock.sendall(_head(server, path, "Transfer-Encoding: chunked"))
            sock.sendall(b"%x\r\n%s\r\n" % (len(preamble), preamble))
            while sent < TRIED:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:  # an answer, or the connection closed
                    break
                sock.sendall(chunk)  # blocks, then times out, when the server stops reading
                sent += len(block)
        except OSError:  # reset or timed out: the server is not taking more
            pass
        return sent, _answer(sock)


def test_a_chunked_oversized_body_is_cut_off_without_filling_memory(
    small_portal: PortalServer,
) -> None:
    assert small_portal.process is not None
    pid = small_portal.process.pid
    rows = len(ledger(small_portal))
    before = rss_kb(pid)
    sent, answer = _stream_chunked(small_portal, "/api/v1/unggah")
    grown_mb = (rss_kb(pid) - before) / 1024
    print(f"\nchunked: {sent >> 20} MB of {TRIED >> 20} MB taken, RSS +{grown_mb:.1f} MB")
    assert answer.startswith(b"HTTP/1.1 4"), answer  # refused (see the 413 test below)
    assert sent < 32 << 20, sent  # the limit plus what the kernel's buffers hold
    assert grown_mb < 32
    assert len(ledger(small_portal)) == rows
    assert small_portal.process.poll() is None
    with small_portal.client() as client:
        assert client.get("/masuk").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/unggah", "/unit/unggah"])
def test_a_chunked_oversized_body_is_answered_413_in_indonesian(
    small_portal: PortalServer, path: str
) -> None:
    _, answer = _stream_chunked(small_portal, path)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert "terlalu besar" in answer.decode(errors="replace").lower()


# --- 2. only xlsx and csv; hostile workbooks --------------------------------------------------------


def test_only_xlsx_and_csv_are_taken(portal: PortalServer, codes: Codes, files: Files) -> None:
    code = codes.of("marga-mulya")
    rows = len(ledger(portal))
    for name in ("isian.xlsm", "setup.exe", "isian.xlsx.exe", "isian"):
        refused = api_upload(portal, code, files.xlsx("marga-mulya"), name)
        assert refused.status_code == 415, (name, refused.text)
        assert ".xlsx" in refused.json()["galat"]
    client, csrf = signed_in(portal, "marga-mulya")
    page = web_upload(client, csrf, files.xlsx("marga-mulya"), "setup.exe")
    assert page.status_code == 415 and "hanya berkas .xlsx" in page.text
    client.close()
    assert len(ledger(portal)) == rows


def test_hostile_workbooks_are_rejected_and_the_portal_stays_up(
    portal: PortalServer, codes: Codes, files: Files, tmp_path: Path
) -> None:
    code = codes.of("marga-mulya")
    bomb = tmp_path / "bom.xlsx"
    hostile.zip_bomb(bomb)
    formula = files.xlsx("marga-mulya", cells={(2, "realisasi_keuangan"): hostile.INJECTION})
    for path, said in ((bomb, "terlalu besar setelah diurai"), (formula, "rumus")):
        answer = api_upload(portal, code, path, "isian.xlsx")
        assert answer.status_code == 200, answer.text
        verdict = answer.json()
        assert verdict["status"] == "ditolak"
        assert any(said in m["pesan"] and m["tingkat"] == "galat" for m in verdict["masalah"])
    assert not list(quarter_inbox(portal).glob("portal-marga-mulya*"))
    assert portal.process is not None and portal.process.poll() is None
    with portal.client() as client:
        assert client.get("/masuk").status_code == 200


# --- 3. uploaded names never become paths -----------------------------------------------------------


def test_uploaded_file_names_never_become_paths(
    portal: PortalServer, codes: Codes, files: Files
) -> None:
    unit = "kaliabang-tengah"
    code = codes.of(unit)
    uploads = [files.xlsx(unit), files.csv(unit)]  # made before the folders are listed
    top = portal.root.parent  # this session's temporary folders, all of them
    before = everything_under(top)
    passwd = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()

    names = ["../../../etc/passwd.xlsx", "C:\\x\\..\\y.csv"]
    for name, path in zip(names, uploads, strict=True):
        answer = api_upload(portal, code, path, name)
        assert answer.status_code == 200 and answer.json()["status"] == "diterima", answer.text
    script = "<script>alert(1)<script> & 'kutip'.xlsx"
    client, csrf = signed_in(portal, unit)
    page = web_upload(client, csrf, files.xlsx(unit), script)
    assert page.status_code == 200 and path_of(page) == "/unit"
    client.close()

    assert "<script" not in page.text.lower()
    assert str(escape(display_name(script))) in page.text
    recorded = [r["nama_berkas"] for r in ledger(portal)[-3:]]
    assert recorded[:2] == ["passwd.xlsx", "y.csv"]
    for name in recorded:
        assert not set(name) & set("/\\<>"), name

    new = everything_under(top) - before
    allowed = (portal.out / "portal", portal.inbox)
    stray = [p for p in new if not any(p.is_relative_to(a) for a in allowed)]
    assert not stray
    assert not [p for p in everything_under(top) if p.name in ("passwd.xlsx", "y.csv")]
    assert hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest() == passwd
    for entry in everything_under(portal.inbox):
        if entry.is_file() and not entry.is_symlink():
            assert INBOX_NAME.match(entry.name), entry
    inbox = quarter_inbox(portal)
    assert (inbox / f"portal-{unit}.xlsx").read_bytes() == files.xlsx(unit).read_bytes()
    assert not (inbox / f"portal-{unit}.csv").exists()  # the later xlsx set the csv aside


# --- 4. the inbox is never written through a link -----------------------------------------------------


def test_a_link_planted_in_the_inbox_is_replaced_not_followed(
    portal: PortalServer, codes: Codes, files: Files, tmp_path: Path
) -> None:
    code = codes.of("perwira")
    inbox = quarter_inbox(portal)
    inbox.mkdir(parents=True, exist_ok=True)
    outside = tmp_path / "di-luar"
    outside.mkdir()
    (outside / "rahasia.xlsx").write_bytes(b"jangan ditimpa")
    (outside / "rahasia.csv").write_bytes(b"jangan dipindah")
    planted = {"portal-perwira.xlsx": "rahasia.xlsx", "portal-perwira.csv": "rahasia.csv"}
    for name, target in planted.items():
        (inbox / name).unlink(missing_ok=True)
        (inbox / name).symlink_to(outside / target)

    answer = api_upload(portal, code, files.xlsx("perwira"))
    assert answer.status_code == 200 and answer.json()["status"] == "diterima", answer.text

    placed = inbox / "portal-perwira.xlsx"
    assert not placed.is_symlink() and placed.is_file()
    assert placed.read_bytes() == files.xlsx("perwira").read_bytes()
    assert (outside / "rahasia.xlsx").read_bytes() == b"jangan ditimpa"
    assert (inbox / "portal-perwira.csv").is_symlink()  # not a file of ours: left for the run
    assert (outside / "rahasia.csv").read_bytes() == b"jangan dipindah"
    assert sorted(p.name for p in outside.iterdir()) == ["rahasia.csv", "rahasia.xlsx"]
    (inbox / "portal-perwira.csv").unlink()


def test_a_quarter_folder_that_is_a_link_is_not_written_into(
    portal: PortalServer, codes: Codes, files: Files, tmp_path: Path
) -> None:
    code = codes.of("perwira")
    outside = tmp_path / "folder-luar"
    outside.mkdir()
    quarter = quarter_inbox(portal, "2024-TW3")
    quarter.parent.mkdir(parents=True, exist_ok=True)
    quarter.symlink_to(outside, target_is_directory=True)
    try:
        answer = api_upload(portal, code, files.xlsx("perwira", "2024-TW3"), periode="2024-TW3")
        assert answer.status_code >= 400, answer.text
        assert "folder berkas masuk" in answer.json()["galat"]
        assert list(outside.iterdir()) == []
        row = ledger(portal)[-1]
        assert (row["periode"], row["status"], row["inbox"]) == (
            "2024-TW3",
            "gagal_ditempatkan",
            None,
        )
    finally:
        quarter.unlink()


def test_hostile_files_and_names_leave_no_code_or_secret_in_logs_or_files(
    portal: PortalServer, codes: Codes
) -> None:
    """Last in this file: every upload above (hostile names, links, failed placements)."""
    assert codes.made, "the tests above made codes"
    assert "POST /api/v1/unggah" in portal.logs()
    assert secrets_left(portal, codes) == []
