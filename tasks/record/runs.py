"""The record of a quarter in the database: submissions, verdicts, runs, mails, locks, finals.

The database, not JSON beside it, answers "which unit sent which file when", "which version did
the Camat see" and "is someone running this quarter now". terkirim.json is only an export.
Portable SQL only (SQLite and PostgreSQL): the lock is a row whose primary key is the period.

The lock and dead-run recovery live in tasks/record/lock.py, the mails (table `surat` and the
delivery ledger DbLedger) in tasks/record/mail.py; tasks/record/database.py opens the store with
every table.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    insert,
    select,
)
from sqlalchemy.engine import Engine

from triwulan.tasks.core.fmt import WIB
from triwulan.tasks.record.store import as_utc, berkas, metadata, now, runs

kiriman = Table(
    "kiriman",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("periode", String(10), nullable=False),
    Column("unit", String(100)),
    Column("nama_berkas", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("ukuran", BigInteger),
    Column("pertama_dilihat", DateTime(timezone=True), nullable=False),
    UniqueConstraint("periode", "nama_berkas", "sha256", name="uq_kiriman"),
)

putusan = Table(
    "putusan",
    metadata,
    Column("run_id", Integer, primary_key=True),
    Column("kiriman_id", Integer, primary_key=True),
    Column("unit", String(100)),
    Column("status", String(20), nullable=False),
    Column("masalah", Integer, nullable=False, default=0),
)

final = Table(
    "final",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("periode", String(10), nullable=False),
    Column("versi", Integer, nullable=False),
    Column("aksi", String(10), nullable=False),  # 'final' or 'buka'
    Column("oleh", String(200), nullable=False),
    Column("alasan", Text),
    Column("waktu", DateTime(timezone=True), nullable=False),
)

# Columns added to `runs` after the first release; existing databases get them on open.
RUN_COLUMNS = {
    "pemicu": "VARCHAR(20)",
    "parameter": "TEXT",
    "sidik": "VARCHAR(64)",
    "sebab": "TEXT",
    "pesan": "TEXT",
    "sidik_masukan": "VARCHAR(64)",
}


def person() -> str:
    """Who is at the keyboard (recorded with finals and reopenings)."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in a service account
        user = str(os.getuid()) if hasattr(os, "getuid") else "?"
    return f"{user}@{socket.gethostname()}"


# --- runs ---------------------------------------------------------------------------------


def start_run(
    engine: Engine,
    periode: str,
    versi: int,
    folder: Path | None,
    *,
    pemicu: str,
    parameter: Mapping[str, Any],
    sidik: str | None = None,
    sebab: str | None = None,
    sidik_masukan: str | None = None,
) -> int:
    with engine.begin() as conn:
        result = conn.execute(
            insert(runs).values(
                periode=periode,
                versi=versi,
                mulai=now(),
                status="berjalan",
                folder=str(folder) if folder else None,
                pemicu=pemicu,
                parameter=json.dumps(dict(parameter), ensure_ascii=False, default=str),
                sidik=sidik,
                sebab=sebab,
                sidik_masukan=sidik_masukan,
            )
        )
        return int(result.inserted_primary_key[0])


def finish_run(
    engine: Engine,
    run_id: int,
    status: str,
    counts: Mapping[str, int] | None = None,
    *,
    folder: Path | None = None,
    pesan: str | None = None,
) -> None:
    counts = counts or {}
    values: dict[str, Any] = {
        "selesai": now(),
        "status": status,
        "diterima": counts.get("accepted"),
        "ditolak": counts.get("rejected"),
        "tidak_ada": counts.get("missing"),
        "pesan": pesan,
    }
    if folder is not None:
        values["folder"] = str(folder)
    with engine.begin() as conn:
        conn.execute(runs.update().where(runs.c.id == run_id).values(**values))


def last_report(engine: Engine, periode: str) -> dict[str, Any] | None:
    """The latest finished version of a quarter (its folder holds summary.json)."""
    query = (
        select(runs)
        .where(and_(runs.c.periode == periode, runs.c.status == "selesai"))
        .order_by(runs.c.versi.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def report_of_version(engine: Engine, periode: str, versi: int) -> dict[str, Any] | None:
    query = select(runs).where(
        and_(runs.c.periode == periode, runs.c.versi == versi, runs.c.status == "selesai")
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def max_version(engine: Engine, periode: str) -> int:
    with engine.connect() as conn:
        value = conn.execute(
            select(runs.c.versi).where(runs.c.periode == periode).order_by(runs.c.versi.desc())
        ).first()
    return int(value[0]) if value else 0


# --- submissions and verdicts ---------------------------------------------------------------


def record_submissions(
    engine: Engine,
    periode: str,
    run_id: int,
    files: Mapping[str, str],
    verdicts: Mapping[str, tuple[str | None, str, int]],
) -> None:
    """Every file seen in this run and what became of it: name -> (unit, status, problems)."""
    with engine.begin() as conn:
        shas = list(set(files.values()))
        sizes: dict[str, int] = {}
        for start in range(0, len(shas), 900):  # under SQLite's bound-parameter limit
            chunk = shas[start : start + 900]
            query = select(berkas.c.sha256, berkas.c.ukuran).where(berkas.c.sha256.in_(chunk))
            sizes.update(conn.execute(query).all())
        # the quarter's earlier sightings, read once (a query per file is slow at a province)
        seen = {
            (name, sha): int(kid)
            for kid, name, sha in conn.execute(
                select(kiriman.c.id, kiriman.c.nama_berkas, kiriman.c.sha256).where(
                    kiriman.c.periode == periode
                )
            )
        }
        decisions = []
        for name, sha in files.items():
            unit, status, count = verdicts.get(name, (None, "tidak_terbaca", 1))
            kid = seen.get((name, sha))
            if kid is not None:
                if unit:
                    conn.execute(kiriman.update().where(kiriman.c.id == kid).values(unit=unit))
            else:
                kid = int(
                    conn.execute(
                        insert(kiriman).values(
                            periode=periode,
                            unit=unit,
                            nama_berkas=name,
                            sha256=sha,
                            ukuran=sizes.get(sha),
                            pertama_dilihat=now(),
                        )
                    ).inserted_primary_key[0]
                )
                seen[(name, sha)] = kid
            decisions.append(
                {
                    "run_id": run_id,
                    "kiriman_id": kid,
                    "unit": unit,
                    "status": status,
                    "masalah": count,
                }
            )
        if decisions:
            conn.execute(insert(putusan), decisions)


# --- finals -------------------------------------------------------------------------------------


def current_final(engine: Engine, periode: str) -> dict[str, Any] | None:
    """The version marked final, unless a later 'buka' event reopened the quarter."""
    query = select(final).where(final.c.periode == periode).order_by(final.c.id.desc()).limit(1)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row and row["aksi"] == "final" else None


def final_text(periode: str, fixed: Mapping[str, Any]) -> str:
    """'2024-TW2 sudah FINAL (versi 3, ditetapkan oleh … pada … WIB)': refusals start with it."""
    waktu = fixed["waktu"]
    when = as_utc(waktu).astimezone(WIB).strftime("%d-%m-%Y %H.%M") if waktu else "?"
    return (
        f"{periode} sudah FINAL (versi {fixed['versi']}, ditetapkan oleh {fixed['oleh']} "
        f"pada {when} WIB)"
    )


def mark(engine: Engine, periode: str, versi: int, aksi: str, alasan: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(final).values(
                periode=periode,
                versi=versi,
                aksi=aksi,
                oleh=person(),
                alasan=alasan,
                waktu=now(),
            )
        )
