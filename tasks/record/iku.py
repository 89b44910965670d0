"""Accepted IKU rows in SQL: zona statuses, survey answers and SAKIP components per quarter.

Like `realisasi`, a unit's rows of a quarter are replaced as a whole when it sends the sheet
again (an emptied sheet clears them); a file without the sheet leaves them as they are.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    String,
    Table,
    Text,
    and_,
    delete,
    insert,
    select,
)
from sqlalchemy.engine import Engine

from triwulan.tasks.core.iku_input import AKIP, SCORES, SKM, ZONA
from triwulan.tasks.core.parse import hundredths
from triwulan.tasks.core.period import Period
from triwulan.tasks.record.store import metadata


def _key() -> list[Column]:
    return [
        Column("tahun", Integer, nullable=False, index=True),
        Column("triwulan", Integer, nullable=False),
        Column("unit", String(100), nullable=False),
    ]


def _source() -> list[Column]:
    return [
        Column("nama_berkas", String(500), nullable=False),
        Column("baris", Integer, nullable=False),
        Column("versi_laporan", Integer, nullable=False),
    ]


TABLES: dict[str, Table] = {
    ZONA: Table(
        "iku_zona",
        metadata,
        *_key(),
        Column("no_zona", Integer, nullable=False),
        Column("nama_zona", Text, nullable=False),
        Column("tertib", Boolean, nullable=False),
        Column("catatan", Text, nullable=False, default=""),
        *_source(),
    ),
    SKM: Table(
        "iku_skm",
        metadata,
        *_key(),
        Column("responden", Text, nullable=False),  # lengths bounded by the rules, not here
        Column("jenis_layanan", Text, nullable=False),
        Column("tanggal", String(10), nullable=False),
        *[Column(u, Integer, nullable=False) for u in SCORES],
        *_source(),
    ),
    AKIP: Table(
        "iku_akip",
        metadata,
        *_key(),
        Column("komponen", String(40), nullable=False),
        Column("nilai", Float, nullable=False),
        *_source(),
    ),
}
FIELDS = {
    ZONA: ["no_zona", "nama_zona", "tertib", "catatan"],
    SKM: ["responden", "jenis_layanan", "tanggal", *SCORES],
    AKIP: ["komponen", "nilai"],
}


def _records(sheet: str, frame: pd.DataFrame, tahun: int, triwulan: int, version: int) -> list:
    out = []
    for r in frame.to_dict("records"):
        row = {"tahun": tahun, "triwulan": triwulan, "unit": r["unit"]}
        for col in FIELDS[sheet]:
            value = r[col]
            if col in SCORES or col == "no_zona":
                value = int(value)
            elif col == "nilai":
                value = hundredths(float(value)) / 100  # half-up, as the computation reads it
            elif col == "tertib":
                value = bool(value)
            else:
                value = (
                    ""
                    if value is None or (isinstance(value, float) and pd.isna(value))
                    else str(value).strip()
                )
            row[col] = value
        row |= {"nama_berkas": r["_file"], "baris": int(r["_row"]), "versi_laporan": version}
        out.append(row)
    return out


def save_iku(
    engine: Engine,
    tahun: int,
    triwulan: int,
    accepted: dict[str, pd.DataFrame],
    sent: set[tuple[str, str]],
    units: set[str],
    version: int,
) -> int:
    """Replace, per sheet, the rows of each accepted unit that sent that sheet this run."""
    written = 0
    with engine.begin() as conn:
        for sheet, table in TABLES.items():
            replaced = sorted(u for u, s in sent if s == sheet and u in units)
            if not replaced:
                continue
            frame = accepted.get(sheet, pd.DataFrame(columns=["unit"]))
            records = _records(sheet, frame[frame["unit"].isin(replaced)], tahun, triwulan, version)
            conn.execute(
                delete(table).where(
                    and_(
                        table.c.tahun == tahun,
                        table.c.triwulan == triwulan,
                        table.c.unit.in_(replaced),
                    )
                )
            )
            if records:
                conn.execute(insert(table), records)
            written += len(records)
    return written


def load_iku(engine: Engine, tahun: int, upto_triwulan: int) -> dict[str, pd.DataFrame]:
    """Accepted IKU rows of quarters 1..upto_triwulan, per sheet (typed as tasks.measure.iku expects)."""
    out = {}
    with engine.connect() as conn:
        for sheet, table in TABLES.items():
            query = (
                select(table)
                .where(and_(table.c.tahun == tahun, table.c.triwulan <= upto_triwulan))
                .order_by(table.c.triwulan, table.c.unit, table.c.baris)
            )
            frame = pd.DataFrame(conn.execute(query).mappings().all())
            if frame.empty:
                frame = pd.DataFrame(columns=[c.name for c in table.columns])
            out[sheet] = frame
    if not out[ZONA].empty:
        out[ZONA]["tertib"] = out[ZONA]["tertib"].astype(bool)
    return out


def overlay_iku(
    stored: dict[str, pd.DataFrame], iku: Any, units: set[str], period: Period
) -> dict[str, pd.DataFrame]:
    """Stored IKU rows with this quarter's accepted sheets in place of the stored ones (what
    save_iku would store), for a preview that must not write."""
    out = {}
    for sheet, frame in stored.items():
        replaced = {u for u, s in iku.sent if s == sheet and u in units}
        same = (frame["triwulan"] == period.triwulan) & frame["unit"].isin(replaced)
        new = iku.accepted.get(sheet)
        parts = [frame[~same]]
        if new is not None and not new.empty:
            new = new[new["unit"].isin(replaced)].assign(
                tahun=period.tahun, triwulan=period.triwulan
            )
            parts.append(new[[c for c in frame.columns if c in new.columns]])
        out[sheet] = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return out


def iku_digest(engine: Engine, tahun: int, triwulan: int | None = None) -> str:
    """Digest of the stored IKU rows (without bookkeeping), for tasks.record.store.data_digest."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in TABLES.values():
            cond = table.c.tahun == tahun
            if triwulan is not None:
                cond = and_(cond, table.c.triwulan == triwulan)
            cols = [c for c in table.columns if c.name != "versi_laporan"]
            query = select(*cols).where(cond).order_by(*cols[:4], table.c.baris)
            for row in conn.execute(query):
                digest.update(repr(tuple(row)).encode("utf-8"))
    return digest.hexdigest()
