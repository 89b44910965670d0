"""The portal's promises about who gets in and what it tells, against a real `triwulan portal`.

A unit only ever sees and uploads its own files; every form needs its session's CSRF token; a
revoked code and a used link open nothing; the session cookie is HttpOnly, SameSite=Lax and,
behind https, Secure; the portal does not start without a good secret; uploads per unit are
rate limited; API v1 keeps its contract; codes, link tokens and the session secret never reach
a log. Units' files are the project's own templates, filled (tests/filled.py); what the portal
does with the files themselves (sizes, types, names, links in the inbox) is in
test_security_files.py.

The module's portal (tests/portal/conftest.py) is shared by its tests, so each test uses its own
units where the rate limit (30 uploads per unit per hour) or the failed sign-ins per address
(30 per 15 minutes) could add up; portals with other settings have fixtures of their own. The
log test runs last: it looks for every code made by this module's tests (the `codes` fixture).
"""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.faults import hostile
from tests.portal.security_helpers import (
    PERIODE,
    Codes,
    Files,
    api_upload,
    ledger,
    path_of,
    quarter_inbox,
    secrets_left,
    web_upload,
)
from tests.portal_server import (
    TRIWULAN,
    PortalServer,
    csrf_of,
    follow_link,
    free_port,
    portal_env,
    running_portal,
    signed_in,
)

# --- helpers -----------------------------------------------------------------------------------


def kept_files(server: PortalServer) -> list[Path]:
    return sorted(p for p in (server.out / "portal").rglob("*") if p.is_file())


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


# --- 3. revoked codes and one-time links --------------------------------------------------------


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
        link = follow_link(visitor, spare_link)
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
        for _ in range(2):  # a chat app's preview opens the link: nothing is spent by it
            preview = late.get(link)
            assert preview.status_code == 200 and path_of(preview) != "/unit"
        page = follow_link(first, link)
        assert page.status_code == 200 and path_of(page) == "/unit"
        assert "Kelurahan Harapan Baru" in page.text
        again = follow_link(late, link)
        assert again.status_code == 401 and "sudah dipakai" in again.text
        assert path_of(late.get("/unit")) == "/masuk"
        assert follow_link(first, link).status_code == 401


# --- 4. session cookies ---------------------------------------------------------------------------


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


# --- 5. no portal without a good secret -----------------------------------------------------------


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


# --- 6. uploads per unit per hour ---------------------------------------------------------------


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


# --- 7. API v1 ------------------------------------------------------------------------------------


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


# --- 8. nothing secret in the logs (last: it looks at what every test above left) --------------------


def test_no_code_link_token_or_secret_reaches_a_log_or_file(
    portal: PortalServer, codes: Codes, files: Files
) -> None:
    unit = "kecamatan"
    code = codes.new(unit)
    link = portal.links[unit]
    client, _ = signed_in(portal, unit)  # by code
    client.close()
    with portal.client(follow_redirects=True) as visitor:
        assert path_of(follow_link(visitor, link)) == "/unit"  # by link
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

    logs = portal.logs()
    assert "/masuk/***" in logs and "POST /api/v1/unggah" in logs  # what was exercised is there
    assert secrets_left(portal, codes, {wrong, wrong.replace("-", "")}) == []
