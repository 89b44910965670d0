"""The portal's promises to units and to the secretariat, against a real `triwulan portal`.

A unit only ever sees and uploads its own files; every form needs its session's CSRF token; an
oversized body is refused without being read; a revoked code and a used link open nothing;
codes, link tokens and the session secret never reach a log; only .xlsx and .csv are taken,
hostile workbooks are judged like any other file; uploaded names never become paths; the inbox
is never written through a symbolic link; uploads per unit are rate limited; API v1 keeps its
contract. Units' files are the project's own templates, filled (tests/filled.py).

The module's portal (tests/portal/conftest.py) is shared by its tests, so each test uses its own
units where the rate limit (30 uploads per unit per hour) or the failed sign-ins per address
(10 per 15 minutes) could add up; portals with other settings have fixtures of their own.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from markupsafe import escape

from tests.faults import hostile
from tests.filled import filled_template
from tests.portal_server import (
    TRIWULAN,
    PortalServer,
    csrf_of,
    free_port,
    portal_env,
    running_portal,
    signed_in,
)
from triwulan.portal.uploads import display_name
from triwulan.tasks.core.period import parse_period
from triwulan.tasks.core.reference import load_reference

PERIODE = "2024-TW2"
INBOX_NAME = re.compile(r"^portal-[a-z0-9][a-z0-9-]*\.(xlsx|csv)$")


# --- helpers -----------------------------------------------------------------------------------


class Codes:
    """Access codes made with `triwulan akses buat`, every one remembered (the log test)."""

    def __init__(self, server: PortalServer) -> None:
        self.server = server
        self.made: list[tuple[str, str]] = []  # (code, one-time link)

    def new(self, unit: str | None) -> str:
        code = self.server.new_code(unit)
        self.made.append((code, self.server.links[unit or "admin"]))
        return code

    def of(self, unit: str | None) -> str:
        return self.server.codes.get(unit or "admin") or self.new(unit)


class Files:
    """Filled templates of the shipped 2024 reference, made once each."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.ref = folder, load_reference(2024)

    def xlsx(self, unit: str, periode: str = PERIODE, cells: dict | None = None) -> Path:
        tag = hashlib.sha256(repr(sorted((cells or {}).items())).encode()).hexdigest()[:8]
        path = self.folder / f"{unit}-{periode}-{tag}.xlsx"
        if not path.exists():
            filled_template(self.ref, parse_period(periode), unit, path, cells)
        return path

    def csv(self, unit: str) -> Path:
        path = self.folder / f"{unit}-{PERIODE}.csv"
        if not path.exists():
            rows = hostile.sheet_rows(self.xlsx(unit))
            path.write_text(hostile.to_csv(rows), encoding="utf-8")
        return path


@pytest.fixture(scope="module")
def codes(portal: PortalServer) -> Codes:
    return Codes(portal)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    return Files(tmp_path_factory.mktemp("berkas"))


def api_upload(
    server: PortalServer,
    code: str,
    path: Path,
    name: str | None = None,
    periode: str = PERIODE,
) -> httpx.Response:
    with server.client() as client:
        return client.post(
            "/api/v1/unggah",
            headers={"Authorization": f"Bearer {code}"},
            files={"berkas": (name or path.name, path.read_bytes())},
            data={"periode": periode},
        )


def web_upload(
    client: httpx.Client,
    csrf: str | None,
    path: Path,
    name: str | None = None,
    **fields: str,
) -> httpx.Response:
    data = {"periode": PERIODE, **fields}
    if csrf is not None:
        data["csrf"] = csrf
    return client.post(
        "/unit/unggah", data=data, files={"berkas": (name or path.name, path.read_bytes())}
    )


def ledger(server: PortalServer) -> list[dict]:
    with sqlite3.connect(server.out / "triwulan.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM unggahan ORDER BY id")]


def kept_files(server: PortalServer) -> list[Path]:
    return sorted(p for p in (server.out / "portal").rglob("*") if p.is_file())


def quarter_inbox(server: PortalServer, periode: str = PERIODE) -> Path:
    period = parse_period(periode)
    return server.inbox / str(period.tahun) / f"TW{period.triwulan}"


def path_of(response: httpx.Response) -> str:
    return urlsplit(str(response.url)).path


def everything_under(root: Path) -> set[Path]:
    """Every entry under `root`, links not followed."""
    found = set()
    for folder, dirs, names in os.walk(root):
        found |= {Path(folder) / n for n in [*dirs, *names]}
    return found


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))  # type: ignore[union-attr]


def set_cookie(response: httpx.Response) -> str:
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith("triwulan_sesi=")]
    assert cookies, response.headers
    return cookies[-1]


# --- 1. a unit's code opens its own unit only -------------------------------------------------


def test_a_unit_code_reads_and_uploads_for_its_own_unit_only(
    portal: PortalServer, codes: Codes, files: Files
) -> None:
    a, b = codes.of("perwira"), codes.of("harapan-jaya")
    with portal.client() as client:
        for code, unit in ((a, "perwira"), (b, "harapan-jaya")):
            status = client.get("/api/v1/status", headers={"Authorization": f"Bearer {code}"})
            assert status.status_code == 200 and status.json()["unit"] == unit

    # A's code with a file of B's rows: refused, recorded as A's, nothing of B in the inbox
    answer = api_upload(portal, a, files.xlsx("harapan-jaya"), "salah-unit.xlsx")
    assert answer.status_code == 200, answer.text
    verdict = answer.json()
    assert (verdict["status"], verdict["unit"]) == ("ditolak", "perwira")
    assert any(m["tingkat"] == "galat" and m["kolom"] == "unit" for m in verdict["masalah"])
    inbox = quarter_inbox(portal)
    assert not (inbox.exists() and list(inbox.glob("portal-harapan-jaya*")))
    assert ledger(portal)[-1]["unit"] == "perwira"

    # B uploads its own file on the web: its result page has the upload's id
    b_client, b_csrf = signed_in(portal, "harapan-jaya")
    done = web_upload(b_client, b_csrf, files.xlsx("harapan-jaya"), "milik-harapan-jaya.xlsx")
    assert done.status_code == 200 and "milik-harapan-jaya.xlsx" in done.text
    b_upload = int(parse_qs(urlsplit(str(done.url)).query)["unggahan"][0])
    assert (inbox / "portal-harapan-jaya.xlsx").is_file()

    # A's session: B's upload is in none of A's pages, even asked for by its id
    a_client, _ = signed_in(portal, "perwira")
    for query in (
        f"/unit?periode={PERIODE}",
        f"/unit?periode={PERIODE}&unggahan={b_upload}",
        f"/unit?periode={PERIODE}&unit=harapan-jaya",
    ):
        page = a_client.get(query)
        assert page.status_code == 200 and path_of(page) == "/unit"
        assert "Kelurahan Perwira" in page.text
        assert "milik-harapan-jaya.xlsx" not in page.text
        assert 'id="hasil"' not in page.text
    template = a_client.get(f"/unit/template?periode={PERIODE}&format=xlsx&unit=harapan-jaya")
    assert template.status_code == 200
    disposition = template.headers["content-disposition"]
    assert "perwira" in disposition and "harapan-jaya" not in disposition

    # the secretariat's code is not a unit's: it cannot upload
    admin = codes.of(None)
    refused = api_upload(portal, admin, files.xlsx("perwira"))
    assert refused.status_code == 403 and "galat" in refused.json()
    b_client.close()
    a_client.close()


def test_the_upload_form_has_no_unit_choice_and_a_forged_unit_field_is_ignored(
    portal: PortalServer, codes: Codes, files: Files
) -> None:
    codes.of("perwira")
    client, csrf = signed_in(portal, "perwira")
    page = client.get(f"/unit?periode={PERIODE}")
    form = re.search(r'<form method="post" action="/unit/unggah".*?</form>', page.text, re.S)
    assert form, page.text
    assert not re.search(r'name="unit"', form.group(0))

    before = [r for r in ledger(portal) if r["unit"] == "harapan-jaya"]
    done = web_upload(client, csrf, files.xlsx("harapan-jaya"), "a-palsu.xlsx", unit="harapan-jaya")
    assert done.status_code == 200 and path_of(done) == "/unit"
    assert "Kelurahan Perwira" in done.text and 'id="status-hasil"' in done.text
    row = ledger(portal)[-1]
    assert (row["unit"], row["nama_berkas"], row["status"]) == (
        "perwira",
        "a-palsu.xlsx",
        "ditolak",
    )
    assert [r for r in ledger(portal) if r["unit"] == "harapan-jaya"] == before
    client.close()


# --- 2. CSRF ------------------------------------------------------------------------------------


def test_a_forged_upload_form_is_refused_and_nothing_recorded(
    portal: PortalServer, codes: Codes, files: Files
) -> None:
    codes.of("perwira")
    codes.of("harapan-jaya")
    client, csrf = signed_in(portal, "perwira")
    other, other_csrf = signed_in(portal, "harapan-jaya")
    rows, kept = len(ledger(portal)), kept_files(portal)
    for token in (None, "", other_csrf, csrf[:-2] + "xx"):
        refused = web_upload(client, token, files.xlsx("perwira"), "palsu.xlsx")
        assert refused.status_code == 403, (token, refused.status_code)
        assert "token keamanan" in refused.text
    assert len(ledger(portal)) == rows
    assert kept_files(portal) == kept

    accepted = web_upload(client, csrf, files.xlsx("perwira"), "asli.xlsx")  # the real form works
    assert accepted.status_code == 200 and len(ledger(portal)) == rows + 1
    client.close()
    other.close()


def test_a_forged_sign_in_is_refused(portal: PortalServer, codes: Codes) -> None:
    code = codes.of("marga-mulya")
    with portal.client(follow_redirects=True) as visitor, portal.client() as stranger:
        mine = csrf_of(visitor.get("/masuk").text)
        theirs = csrf_of(stranger.get("/masuk").text)
        for token in (None, "", theirs):
            data = {"kode": code} if token is None else {"kode": code, "csrf": token}
            refused = visitor.post("/masuk", data=data)
            assert refused.status_code == 403, token
            assert path_of(visitor.get("/unit")) == "/masuk"  # not signed in
        page = visitor.post("/masuk", data={"kode": code, "csrf": mine})
        assert page.status_code == 200 and path_of(page) == "/unit"
        assert "Kelurahan Marga Mulya" in page.text


def test_a_forged_sign_out_is_refused(portal: PortalServer, codes: Codes) -> None:
    codes.of("perwira")
    codes.of("harapan-jaya")
    client, csrf = signed_in(portal, "perwira")
    other, other_csrf = signed_in(portal, "harapan-jaya")
    for token in (None, "", other_csrf):
        refused = client.post("/keluar", data={} if token is None else {"csrf": token})
        assert refused.status_code == 403, token
        page = client.get("/unit")
        assert path_of(page) == "/unit" and "Kelurahan Perwira" in page.text  # still signed in
    out = client.post("/keluar", data={"csrf": csrf})
    assert path_of(out) == "/masuk"
    assert path_of(client.get("/unit")) == "/masuk"
    client.close()
    other.close()


def test_a_forged_board_run_or_reminder_is_refused_and_nothing_starts(
    portal: PortalServer, codes: Codes
) -> None:
    codes.of(None)
    codes.of("perwira")
    admin, _ = signed_in(portal, "admin")
    unit, unit_csrf = signed_in(portal, "perwira")
    for action in ("jalankan", "ingatkan"):
        for token in (None, "", unit_csrf):
            refused = admin.post(
                f"/papan/{PERIODE}/{action}", data={} if token is None else {"csrf": token}
            )
            assert refused.status_code == 403, (action, token)
    assert admin.get("/papan/jalan/1").status_code != 200  # no run was ever started
    assert "/papan/jalan/" not in admin.get("/papan").text
    assert portal.process is not None
    runs = [p for p in hostile.descendants(portal.process.pid) if " run " in hostile.cmdline(p)]
    assert not runs
    admin.close()
    unit.close()


# --- 3. oversized bodies ------------------------------------------------------------------------

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


# --- 4. revoked codes and one-time links --------------------------------------------------------


def test_a_revoked_code_stops_working(portal: PortalServer, codes: Codes) -> None:
    unit = "teluk-pucung"
    first = codes.new(unit)
    session, csrf = signed_in(portal, unit)  # signed in with the first code
    codes.new(unit)  # a second code, whose one-time link is never used before the revocation
    spare_link = portal.links[unit]
    bearer = {"Authorization": f"Bearer {first}"}
    with portal.client() as client:
        assert client.get("/api/v1/status", headers=bearer).status_code == 200

        done = portal.cli("akses", "cabut", unit)
        assert done.returncode == 0, done.stderr
        assert "2 kode akses" in done.stdout

        refused = client.get("/api/v1/status", headers=bearer)
        assert refused.status_code == 401 and "galat" in refused.json()
    rows = len(ledger(portal))
    posted = session.post("/unit/unggah", data={"csrf": csrf}, files={"berkas": ("x.csv", b"a")})
    assert path_of(posted) == "/masuk"  # the session's own form, with its token: signed out
    assert len(ledger(portal)) == rows
    assert path_of(session.get(f"/unit?periode={PERIODE}")) == "/masuk"
    with portal.client(follow_redirects=True) as visitor:
        link = visitor.get(spare_link)
        assert link.status_code == 401
        assert path_of(visitor.get("/unit")) == "/masuk"
    session.close()


def test_a_one_time_link_signs_in_once(portal: PortalServer, codes: Codes) -> None:
    unit = "harapan-baru"
    codes.new(unit)
    link = portal.links[unit]
    with (
        portal.client(follow_redirects=True) as first,
        portal.client(follow_redirects=True) as late,
    ):
        page = first.get(link)
        assert page.status_code == 200 and path_of(page) == "/unit"
        assert "Kelurahan Harapan Baru" in page.text
        again = late.get(link)
        assert again.status_code == 401 and "sudah dipakai" in again.text
        assert path_of(late.get("/unit")) == "/masuk"
        assert first.get(link).status_code == 401


# --- 5. session cookies ---------------------------------------------------------------------------


def test_the_session_cookie_is_httponly_and_samesite_lax_without_secure_on_http(
    portal: PortalServer, codes: Codes
) -> None:
    code = codes.of("kaliabang-tengah")
    with portal.client() as client:
        form = client.get("/masuk")
        signed = client.post("/masuk", data={"kode": code, "csrf": csrf_of(form.text)})
        assert signed.status_code == 303
    for response in (form, signed):
        cookie = set_cookie(response).lower()
        attributes = {part.strip().split("=")[0] for part in cookie.split(";")[1:]}
        assert "httponly" in attributes and "samesite=lax" in cookie
        assert "secure" not in attributes
    assert form.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in form.headers


@pytest.fixture(scope="module")
def https_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    root = tmp_path_factory.mktemp("portal-https")
    alamat = {"TRIWULAN_PORTAL_ALAMAT": "https://portal.bekasiutara.example"}
    with running_portal(root, alamat) as server:
        yield server


def test_the_session_cookie_is_secure_when_the_portal_is_served_over_https(
    https_portal: PortalServer,
) -> None:
    with https_portal.client() as client:
        form = client.get("/masuk")  # over http here; the attribute shows in Set-Cookie
    cookie = set_cookie(form).lower()
    attributes = {part.strip().split("=")[0] for part in cookie.split(";")[1:]}
    assert {"secure", "httponly"} <= attributes and "samesite=lax" in cookie
    assert "max-age" in form.headers["strict-transport-security"]


# --- 6. no portal without a good secret -----------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "said"),
    [(None, "belum diisi"), ("x" * 31, "terlalu pendek"), (" " * 40, "belum diisi")],
    ids=["tanpa", "pendek", "spasi"],
)
def test_the_portal_refuses_to_start_without_a_good_secret(
    tmp_path: Path, secret: str | None, said: str
) -> None:
    env = portal_env(tmp_path)
    env.pop("TRIWULAN_PORTAL_RAHASIA")
    if secret is not None:
        env["TRIWULAN_PORTAL_RAHASIA"] = secret
    port = free_port()
    done = subprocess.run(
        [TRIWULAN, "portal", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "TRIWULAN_PORTAL_RAHASIA" in done.stderr and said in done.stderr
    if secret and secret.strip():
        assert secret not in done.stdout + done.stderr  # a short secret is not echoed either
    assert "Traceback" not in done.stdout + done.stderr
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


# --- 7. only xlsx and csv; hostile workbooks --------------------------------------------------------


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


# --- 8. uploaded names never become paths -----------------------------------------------------------


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


# --- 9. the inbox is never written through a link -----------------------------------------------------


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
        assert "inbox" in answer.json()["galat"]
        assert list(outside.iterdir()) == []
        row = ledger(portal)[-1]
        assert (row["periode"], row["status"], row["inbox"]) == (
            "2024-TW3",
            "gagal_ditempatkan",
            None,
        )
    finally:
        quarter.unlink()


# --- 10. uploads per unit per hour ---------------------------------------------------------------


@pytest.fixture(scope="module")
def limited_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    root = tmp_path_factory.mktemp("portal-terbatas")
    with running_portal(root, {"TRIWULAN_PORTAL_UNGGAH_PER_JAM": "3"}) as server:
        yield server


def test_uploads_per_unit_are_rate_limited(limited_portal: PortalServer, files: Files) -> None:
    code = limited_portal.new_code("perwira")
    for _ in range(3):
        answer = api_upload(limited_portal, code, files.xlsx("perwira"))
        assert answer.status_code == 200, answer.text
    refused = api_upload(limited_portal, code, files.xlsx("perwira"))
    assert refused.status_code == 429
    assert "Batas 3 unggahan per jam tercapai" in refused.json()["galat"]
    client, csrf = signed_in(limited_portal, "perwira")
    page = web_upload(client, csrf, files.xlsx("perwira"))
    assert page.status_code == 429 and "Batas 3 unggahan per jam" in page.text
    client.close()
    assert [r["unit"] for r in ledger(limited_portal)] == ["perwira"] * 3

    other = limited_portal.new_code("harapan-jaya")
    served = api_upload(limited_portal, other, files.xlsx("harapan-jaya"))
    assert served.status_code == 200 and served.json()["unit"] == "harapan-jaya"


# --- 11. API v1 ------------------------------------------------------------------------------------


def test_the_api_contract(portal: PortalServer, codes: Codes, files: Files) -> None:
    code = codes.of("harapan-jaya")
    bad = files.xlsx("harapan-jaya", cells={(2, "realisasi_fisik"): 105})
    answer = api_upload(portal, code, bad)
    assert answer.status_code == 200
    verdict = answer.json()
    assert set(verdict) == {"status", "unit", "periode", "masalah"}
    assert (verdict["status"], verdict["unit"], verdict["periode"]) == (
        "ditolak",
        "harapan-jaya",
        PERIODE,
    )
    assert verdict["masalah"]
    for problem in verdict["masalah"]:
        assert set(problem) == {"baris", "kolom", "pesan", "tingkat"}
        assert problem["tingkat"] in ("galat", "catatan")
    assert {"baris": 2, "kolom": "realisasi_fisik", "tingkat": "galat"}.items() <= next(
        m for m in verdict["masalah"] if m["kolom"] == "realisasi_fisik"
    ).items()

    with portal.client() as client:
        status = client.get("/api/v1/status", headers={"Authorization": f"Bearer {code}"})
        nobody = client.get("/api/v1/status")
        schema = client.get("/api/v1/openapi.json")
    assert status.status_code == 200
    body = status.json()
    assert set(body) == {"unit", "tahun", "periode_terbuka", "triwulan"}
    assert [q["periode"] for q in body["triwulan"]] == [f"2024-TW{q}" for q in range(1, 5)]
    tw2 = body["triwulan"][1]
    assert tw2["status_unggahan"] == "ditolak" and tw2["unggahan_terakhir"]
    assert nobody.status_code == 401 and "galat" in nobody.json()

    paths = schema.json()["paths"]
    assert "post" in paths["/api/v1/unggah"] and "get" in paths["/api/v1/status"]
    assert set(paths) == {"/api/v1/unggah", "/api/v1/status"}  # the pages are not in it
    assert {"401", "413", "415", "429"} <= set(paths["/api/v1/unggah"]["post"]["responses"])


# --- 12. nothing secret in the logs (last: it looks at what every test above left) --------------------


def test_no_code_link_token_or_secret_reaches_a_log_or_file(
    portal: PortalServer, codes: Codes, files: Files
) -> None:
    unit = "kecamatan"
    code = codes.new(unit)
    link = portal.links[unit]
    client, _ = signed_in(portal, unit)  # by code
    client.close()
    with portal.client(follow_redirects=True) as visitor:
        assert path_of(visitor.get(link)) == "/unit"  # by link
        wrong = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX"
        form = csrf_of(visitor.get("/masuk").text)
        assert visitor.post("/masuk", data={"kode": wrong, "csrf": form}).status_code == 401
    answer = api_upload(portal, code, files.xlsx(unit))
    assert answer.status_code == 200, answer.text
    assert portal.cli("akses", "cabut", unit).returncode == 0
    with portal.client() as client:
        assert (
            client.get("/api/v1/status", headers={"Authorization": f"Bearer {code}"}).status_code
            == 401
        )

    secrets_ = {portal.secret, wrong, wrong.replace("-", "")}
    for made, made_link in codes.made:
        secrets_ |= {made, made.replace("-", ""), made_link.rsplit("/", 1)[1]}
    logs = portal.logs()
    assert "/masuk/***" in logs and "POST /api/v1/unggah" in logs  # what was exercised is there
    lowered = logs.lower()
    assert not [s for s in secrets_ if s.lower() in lowered]
    for path in everything_under(portal.root):
        if path.is_file() and not path.is_symlink():
            content = path.read_bytes()
            assert not [s for s in secrets_ if s.encode() in content], path
