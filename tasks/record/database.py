"""The store's database: opened, created or migrated, with every table of the record.

SQLite under the out folder by default; any SQLAlchemy URL in TRIWULAN_DB_URL (PostgreSQL when
several PCs share a kecamatan's record). Each table is defined beside the code that writes it
(store, runs, lock, mail, iku); this module imports them all so create_all sees every one.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import create_engine, insert, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from triwulan.tasks.record import iku, lock, mail  # noqa: F401  (their tables)
from triwulan.tasks.record.runs import RUN_COLUMNS
from triwulan.tasks.record.store import metadata, now, runs


def db_url(out: Path) -> str:
    return os.environ.get("TRIWULAN_DB_URL") or f"sqlite:///{(out / 'triwulan.sqlite').resolve()}"


def open_store(url: str) -> Engine:
    """Open (and create or migrate) the store with every table of the record."""
    engine = create_engine(url, future=True)
    for attempt in range(5):
        try:
            migrate(engine)
            break
        except OperationalError:
            # two runs creating a new database at once: the other one's table just appeared
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    return engine


def check_writable(engine: Engine) -> None:
    """A real write, rolled back: a read-only file or role fails here, not after the run's work."""
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            conn.execute(
                insert(runs).values(periode="uji", versi=0, mulai=now(), status="uji-tulis")
            )
        finally:
            trans.rollback()


def migrate(engine: Engine) -> None:
    """Create missing tables and add the newer `runs` columns (portable ALTER TABLE ADD)."""
    metadata.create_all(engine)
    have = {c["name"] for c in inspect(engine).get_columns("runs")}
    with engine.begin() as conn:
        for name, sql_type in RUN_COLUMNS.items():
            if name not in have:
                conn.execute(text(f"ALTER TABLE runs ADD COLUMN {name} {sql_type}"))
