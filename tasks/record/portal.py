"""The upload portal's part of the record: access codes (hashes only) and every upload's verdict.

An access code is shown once, when made (`triwulan akses buat`); the database keeps its sha256
and the sha256 of the one-time sign-in link made with it. The codes are 120 random bits, so a
plain sha256 cannot be reversed by trying codes. Revoking a code (`triwulan akses cabut`) ends
every session made with it: the portal looks the code's row up on each request.

`unggahan` is the portal's ledger of uploads: who uploaded which bytes for which quarter, when,
the verdict with its problems, and the inbox name an accepted file was placed under. A rejected
upload is kept and recorded too; it never reaches the inbox.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    and_,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine

from triwulan.tasks.check import upload
from triwulan.tasks.record.store import as_utc, metadata, now

ADMIN = "admin"
UNIT = "unit"

akses = Table(
    "akses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("peran", String(10), nullable=False),  # 'unit' or 'admin' (the secretariat)
    Column("unit", String(100)),  # None for an admin code
    Column("kode_sha256", String(64), nullable=False, unique=True),
    Column("tautan_sha256", String(64), unique=True),
    Column("dibuat", DateTime(timezone=True), nullable=False),
    Column("oleh", String(200)),
    Column("tautan_dipakai", DateTime(timezone=True)),
    Column("dicabut", DateTime(timezone=True)),
)

unggahan = Table(
    "unggahan",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("periode", String(10), nullable=False),
    Column("unit", String(100), nullable=False),
    Column("akses_id", Integer, nullable=False),
    Column("jalur", String(10), nullable=False),  # 'web' or 'api'
    Column("nama_berkas", String(500), nullable=False),  # as uploaded: shown, never a path
    Column("sha256", String(64), nullable=False),
    Column("ukuran", BigInteger, nullable=False),
    Column("lokasi", String(1000), nullable=False),  # the kept copy under out/portal
    Column("status", String(30), nullable=False),
    Column(
        "masalah", Text, nullable=False, default="[]"
    ),  # JSON: baris, kolom, nilai, pesan, tingkat
    Column("inbox", String(500)),  # the name it was placed under in the quarter's inbox
    Column("disisihkan", Text),  # JSON: the unit's earlier inbox files moved aside
    Column("waktu", DateTime(timezone=True), nullable=False),
)

ACCEPTED = (upload.ACCEPTED, upload.NOTED)  # the verdicts that put a file in the inbox


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normal_code(text: str) -> str:
    """What a person typed, as the code was made: upper case, no spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def new_code() -> str:
    """120 random bits as 24 base32 letters in groups of four (easy to read out and type)."""
    letters = base64.b32encode(secrets.token_bytes(15)).decode("ascii")
    return "-".join(letters[i : i + 4] for i in range(0, 24, 4))


@dataclass(frozen=True)
class Access:
    id: int
    peran: str
    unit: str | None

    @property
    def admin(self) -> bool:
        return self.peran == ADMIN


@dataclass(frozen=True)
class NewAccess:
    """What `triwulan akses buat` prints once: the code and the one-time link's token."""

    access: Access
    code: str
    link_token: str


def create_access(engine: Engine, unit: str | None, oleh: str) -> NewAccess:
    """A new code (and sign-in link) for a unit, or an admin code when `unit` is None."""
    code, token = new_code(), secrets.token_urlsafe(32)
    peran = ADMIN if unit is None else UNIT
    with engine.begin() as conn:
        result = conn.execute(
            insert(akses).values(
                peran=peran,
                unit=unit,
                kode_sha256=_sha(normal_code(code)),
                tautan_sha256=_sha(token),
                dibuat=now(),
                oleh=oleh,
            )
        )
        (new_id,) = result.inserted_primary_key or (None,)
    return NewAccess(Access(int(new_id), peran, unit), code, token)


def revoke(engine: Engine, unit: str | None) -> int:
    """Every live code of a unit (or every admin code) stops working; how many were live."""
    who = akses.c.peran == ADMIN if unit is None else akses.c.unit == unit
    with engine.begin() as conn:
        result = conn.execute(
            update(akses).where(and_(who, akses.c.dicabut.is_(None))).values(dicabut=now())
        )
    return int(result.rowcount or 0)


def _live(row: Any) -> Access | None:
    if row is None or row.dicabut is not None:
        return None
    return Access(int(row.id), str(row.peran), row.unit)


def by_code(engine: Engine, code: str) -> Access | None:
    """The live access a typed code opens, else None."""
    digest = _sha(normal_code(code))
    with engine.connect() as conn:
        row = conn.execute(select(akses).where(akses.c.kode_sha256 == digest)).first()
    return _live(row)


def by_link(engine: Engine, token: str) -> Access | None:
    """The live access of a one-time link, used up by this call (a second use opens nothing)."""
    digest = _sha(token)
    with engine.begin() as conn:
        row = conn.execute(select(akses).where(akses.c.tautan_sha256 == digest)).first()
        if row is None or row.tautan_dipakai is not None:
            return None
        used = conn.execute(
            update(akses)
            .where(and_(akses.c.id == row.id, akses.c.tautan_dipakai.is_(None)))
            .values(tautan_dipakai=now())
        )
        if used.rowcount != 1:  # another request used it at the same moment
            return None
    return _live(row)


def by_id(engine: Engine, access_id: int) -> Access | None:
    """A session's access as it is now: a revoked code ends its sessions."""
    with engine.connect() as conn:
        row = conn.execute(select(akses).where(akses.c.id == access_id)).first()
    return _live(row)


# --- uploads ------------------------------------------------------------------------------


def record_upload(engine: Engine, **values: Any) -> int:
    """One upload and its verdict; `masalah` and `disisihkan` are stored as JSON."""
    values = dict(values)
    values["masalah"] = json.dumps(values.get("masalah") or [], ensure_ascii=False)
    if values.get("disisihkan") is not None:
        values["disisihkan"] = json.dumps(values["disisihkan"], ensure_ascii=False)
    values.setdefault("waktu", now())
    with engine.begin() as conn:
        result = conn.execute(insert(unggahan).values(**values))
        (new_id,) = result.inserted_primary_key or (None,)
    return int(new_id)


def update_upload(engine: Engine, upload_id: int, **values: Any) -> None:
    """What became of a recorded upload afterwards: placed in the inbox, files set aside."""
    if values.get("disisihkan") is not None:
        values["disisihkan"] = json.dumps(values["disisihkan"], ensure_ascii=False)
    with engine.begin() as conn:
        conn.execute(update(unggahan).where(unggahan.c.id == upload_id).values(**values))


def _upload(row: Any) -> dict[str, Any]:
    out = dict(row)
    out["masalah"] = json.loads(out.get("masalah") or "[]")
    out["disisihkan"] = json.loads(out["disisihkan"]) if out.get("disisihkan") else []
    out["waktu"] = as_utc(out["waktu"])
    return out


def uploads(
    engine: Engine, tahun: int, unit: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """The year's uploads, newest first; of one unit when `unit` is given."""
    where = [unggahan.c.periode.like(f"{tahun}-TW%")]
    if unit is not None:
        where.append(unggahan.c.unit == unit)
    query = select(unggahan).where(and_(*where)).order_by(unggahan.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [_upload(row) for row in conn.execute(query).mappings()]


def latest_uploads(engine: Engine, tahun: int) -> dict[tuple[str, str], dict[str, Any]]:
    """(periode, unit) -> {"latest": the latest upload, "accepted": the latest accepted one}.

    One query for the whole year; "accepted" is None when no upload of that quarter passed.
    """
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    query = (
        select(unggahan)
        .where(unggahan.c.periode.like(f"{tahun}-TW%"))
        .order_by(unggahan.c.id.desc())
    )
    with engine.connect() as conn:
        for row in conn.execute(query).mappings():
            key = (row["periode"], row["unit"])
            entry = latest.setdefault(key, {"latest": _upload(row), "accepted": None})
            if entry["accepted"] is None and row["status"] in ACCEPTED and row["inbox"]:
                entry["accepted"] = _upload(row)
    return latest
