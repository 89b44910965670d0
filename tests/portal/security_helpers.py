"""What tests/portal/test_security_*.py share: units' files, upload calls and where uploads end up.

A plain module (not a conftest): the `codes` and `files` fixtures built on it are in
tests/portal/conftest.py, one of each per test file like the portal itself.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.faults import hostile
from tests.filled import filled_template
from tests.portal_server import PortalServer
from triwulan.tasks.core.period import parse_period
from triwulan.tasks.core.reference import load_reference

PERIODE = "2024-TW2"


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


def secrets_left(portal: PortalServer, codes: Codes, extra: set[str] = frozenset()) -> list[str]:
    """Codes (with and without dashes), link tokens and the session secret found in the
    portal's logs or in any file under its root; [] when none is anywhere."""
    secrets_ = {portal.secret, *extra}
    for made, made_link in codes.made:
        secrets_ |= {made, made.replace("-", ""), made_link.rsplit("/", 1)[1]}
    lowered = portal.logs().lower()
    found = [s for s in secrets_ if s.lower() in lowered]
    for path in everything_under(portal.root):
        if path.is_file() and not path.is_symlink():
            content = path.read_bytes()
            found += [f"{s} in {path}" for s in secrets_ if s.encode() in content]
    return found
