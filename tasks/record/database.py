"""The store's database: opened, created or migrated, with every table of the record.

SQLite under the out folder by default; any SQLAlchemy URL in TRIWULAN_DB_URL (PostgreSQL when
several PCs share a kecamatan's record). Each table is defined beside the code that writes it
(store, runs, lock, mail, iku); this module imports them all so create_all sees every one.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import create_engine, insert, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from triwulan.tasks.record import iku, lock, mail, portal, reference_log  # noqa: F401  (tables)
from triwulan.tasks.record.runs import RUN_COLUMNS
from triwulan.tasks.record.store import metadata, now, runs

# In a roll-up the kecamatan share one configured server database, each in a schema of its own
# (its unit codes, "kecamatan" among them, repeat from one kecamatan to the next).
_SCHEMA: ContextVar[str | None] = ContextVar("triwulan_schema", default=None)


def db_url(out: Path) -> str:
    return os.environ.get("TRIWULAN_DB_URL") or f"sqlite:///{(out / 'triwulan.sqlite').resolve()}"


@contextlib.contextmanager
def scoped_schema(schema: str) -> Iterator[None]:
    """Within the block, a PostgreSQL store lives in `schema` (SQLite: its own file already)."""
    token = _SCHEMA.set(schema)
    try:
        yield
    finally:
        _SCHEMA.reset(token)


SQLITE_BUSY_S = 30  # a run and the portal write the same file: wait for the other's write


def _engine(url: str) -> Engine:
    schema = _SCHEMA.get()
    if url.startswith("sqlite"):
        return create_engine(url, future=True, connect_args={"timeout": SQLITE_BUSY_S})
    if not schema or not url.startswith("postgresql"):
        return create_engine(url, future=True)
    bootstrap = create_engine(url, future=True)
    try:
        with bootstrap.begin() as conn:  # the name is checked: w_32_75_01
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        bootstrap.dispose()
    return create_engine(url, future=True, connect_args={"options": f"-csearch_path={schema}"})


def open_store(url: str) -> Engine:
    """Open (and create or migrate) the store with every table of the record."""
    engine = _engine(url)
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
