"""The board's actions and sessions against a real portal: reminders never twice, cells that
follow uploads, sessions that end."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner

from tests.filled import filled_template
from tests.portal_server import PortalServer, csrf_of, running_portal, signed_in
from tests.smtp_server import SmtpTestServer
from triwulan.tasks.core.period import parse_period
from triwulan.tasks.core.reference import load_reference


@pytest.fixture(scope="module")
def mail() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server


@pytest.fixture(scope="module")
def portal(
    tmp_path_factory: pytest.TempPathFactory, mail: SmtpTestServer
) -> Iterator[PortalServer]:
    extra = mail.env(TRIWULAN_SEKRETARIAT="sekretariat@sukamaju.go.id")
    with running_portal(tmp_path_factory.mktemp("papan"), extra) as server:
        yield server


def _cell(html: str, unit: str, periode: str) -> str:
    marker = f'data-unit="{unit}" data-periode="{periode}" data-state="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_a_reminder_from_the_board_is_never_sent_twice(
    portal: PortalServer, mail: SmtpTestServer
) -> None:
    admin, token = signed_in(portal, "admin")
    first = admin.post("/papan/2024-TW3/ingatkan", data={"csrf": token})
    assert first.status_code == 200, first.text
    assert "Pengingat 2024-TW3" in first.text and "pengingat terkirim" in first.text
    sent = len(mail.messages)
    assert sent >= 7  # every unit of 2024 has no file for TW III, and the secretariat's list

    again = admin.post("/papan/2024-TW3/ingatkan", data={"csrf": csrf_of(admin.get("/papan").text)})
    assert again.status_code == 200
    assert "sudah terkirim" in again.text
    assert len(mail.messages) == sent

    listed = admin.get("/papan/2024-TW3/unggahan").text
    assert listed.count('<td data-label="Jenis">pengingat</td>') == 7, listed
    assert "sekretariat@sukamaju.go.id" in listed


def test_the_board_follows_an_upload_and_offers_no_report_before_a_run(
    portal: PortalServer, tmp_path: Path
) -> None:
    ref, period = load_reference(2024), parse_period("2024-TW1")
    path = filled_template(ref, period, "teluk-pucung", tmp_path / "tp.xlsx")
    code = portal.codes.get("teluk-pucung") or portal.new_code("teluk-pucung")
    admin, _ = signed_in(portal, "admin")
    assert _cell(admin.get("/papan").text, "teluk-pucung", "2024-TW1") == "belum"

    with portal.client() as api, path.open("rb") as handle:
        answer = api.post(
            "/api/v1/unggah",
            headers={"Authorization": f"Bearer {code}"},
            files={"berkas": ("tp.xlsx", handle)},
            data={"periode": "2024-TW1"},
        )
    assert answer.json()["status"] == "diterima", answer.text

    board = admin.get("/papan").text
    assert _cell(board, "teluk-pucung", "2024-TW1") == "diterima"
    assert "diterima (unggahan)" in board
    assert admin.get("/papan/2024-TW1/laporan").status_code == 404  # no version yet: said so
    listed = admin.get("/papan/2024-TW1/unggahan").text
    assert "tp.xlsx" in listed and "portal-teluk-pucung.xlsx" in listed


def _cookie(secret: str, session: dict) -> str:
    """A session cookie as Starlette signs it (base64 JSON, itsdangerous timestamp)."""
    data = base64.b64encode(json.dumps(session).encode())
    return TimestampSigner(secret).sign(data).decode()


def test_a_session_ends_after_sesi_jam_even_with_a_valid_signature(portal: PortalServer) -> None:
    client, _ = signed_in(portal, "perwira")
    access_id = json.loads(base64.b64decode(client.cookies["triwulan_sesi"].split(".")[0] + "=="))[
        "a"
    ]
    fresh = _cookie(portal.secret, {"a": access_id, "t": int(time.time()), "c": "x"})
    stale = _cookie(portal.secret, {"a": access_id, "t": int(time.time()) - 9 * 3600, "c": "x"})
    forged = _cookie("bukan-rahasia-portal-ini-" * 2, {"a": access_id, "t": int(time.time())})

    with portal.client(cookies={"triwulan_sesi": fresh}) as ok:
        assert ok.get("/unit").status_code == 200
    for cookie in (stale, forged):
        with portal.client(cookies={"triwulan_sesi": cookie}) as other:
            page = other.get("/unit")
            assert page.status_code == 303 and page.headers["location"] == "/masuk"
