"""The record of reference data installed: who put which workbook in place, when, and what a
revision changed (pagu and allocation per sub-kegiatan, before and after)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import BigInteger, Column, DateTime, Integer, String, Table, Text, insert, select
from sqlalchemy.engine import Engine

from triwulan.tasks.core.reference_checks import MONEY_COLS
from triwulan.tasks.core.reference_revision import CHANGE_COLUMNS
from triwulan.tasks.record.store import as_utc, metadata

referensi_pasang = Table(
    "referensi_pasang",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tahun", Integer, nullable=False),
    Column("jenis", String(20), nullable=False),  # pasang, ganti or perubahan
    Column("mulai_tw", Integer),  # a revision: the first quarter it applies to
    Column("berkas", Text, nullable=False),  # the workbook's name as given
    Column("sha256", String(64), nullable=False),
    Column("oleh", String(200), nullable=False),
    Column("pada", DateTime(timezone=True), nullable=False),
    Column("folder", Text, nullable=False),
    Column("arsip", Text),  # where the replaced year was kept
)

referensi_perubahan = Table(
    "referensi_perubahan",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pasang_id", Integer, nullable=False, index=True),
    Column("unit", String(100), nullable=False),
    Column("kode_sub_kegiatan", String(40), nullable=False),
    Column("nama_sub_kegiatan", Text),
    Column("status", String(30), nullable=False),
    *[Column(f"{c}_{when}", BigInteger) for when in ("lama", "baru") for c in MONEY_COLS],
)


def record_install(
    engine: Engine,
    *,
    tahun: int,
    jenis: str,
    berkas: str,
    sha256: str,
    oleh: str,
    pada: dt.datetime,
    folder: str,
    arsip: str | None,
    mulai_tw: int | None = None,
    changes: pd.DataFrame | None = None,
) -> int:
    """One installation and, for a revision, its change table, in one transaction."""
    with engine.begin() as conn:
        new_id = conn.execute(
            insert(referensi_pasang).values(
                tahun=tahun,
                jenis=jenis,
                mulai_tw=mulai_tw,
                berkas=berkas,
                sha256=sha256,
                oleh=oleh,
                pada=pada,
                folder=folder,
                arsip=arsip,
            )
        ).inserted_primary_key[0]
        if changes is not None and not changes.empty:
            rows = [
                {**{k: _plain(v) for k, v in row.items()}, "pasang_id": new_id}
                for row in changes[CHANGE_COLUMNS].to_dict("records")
            ]
            conn.execute(insert(referensi_perubahan), rows)
    return int(new_id)


def _plain(value: Any) -> Any:
    return int(value) if hasattr(value, "item") and not isinstance(value, str) else value


def _frame(engine: Engine, query: Any, columns: list[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
    return frame if not frame.empty else pd.DataFrame(columns=columns)


def installs(engine: Engine, tahun: int) -> pd.DataFrame:
    """The year's installations, oldest first."""
    table = referensi_pasang
    query = select(table).where(table.c.tahun == tahun).order_by(table.c.id)
    frame = _frame(engine, query, [c.name for c in table.columns])
    if not frame.empty:
        frame["pada"] = frame["pada"].map(as_utc)
    return frame


def changes_of(engine: Engine, pasang_id: int) -> pd.DataFrame:
    """A revision's change table as recorded."""
    table = referensi_perubahan
    query = select(table).where(table.c.pasang_id == pasang_id).order_by(table.c.id)
    return _frame(engine, query, CHANGE_COLUMNS).reindex(columns=CHANGE_COLUMNS)
