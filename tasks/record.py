"""The record of a quarter in the database: submissions, verdicts, runs, mails, locks, finals.

The database, not JSON beside it, answers "which unit sent which file when", "which version did
the Camat see" and "is someone running this quarter now". terkirim.json is only an export.
Portable SQL only (SQLite and PostgreSQL): the lock is a row whose primary key is the period.

The mails (table `surat` and the delivery ledger DbLedger) live in tasks/record_mail.py and are
re-exported here: callers keep using `record.DbLedger`, and importing this module (as
tasks.store.open_store does) still registers every record table on the shared metadata.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import getpass
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
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
    delete,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from triwulan.tasks.errors import TriwulanError
from triwulan.tasks.fmt import WIB
from triwulan.tasks.record_mail import (  # noqa: F401  (re-exported: record.DbLedger, …)
    DbLedger,
    mail_kind,
    record_failure,
    surat,
    unconfirmed_leadership,
    unconfirmed_line,
)
from triwulan.tasks.store import berkas, metadata, now, runs

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

kunci = Table(
    "kunci",
    metadata,
    Column("periode", String(20), primary_key=True),
    Column("pemilik", String(300), nullable=False),
    Column("sejak", DateTime(timezone=True), nullable=False),
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


def migrate(engine: Engine) -> None:
    """Create missing tables and add the newer `runs` columns (portable ALTER TABLE ADD)."""
    metadata.create_all(engine)
    have = {c["name"] for c in inspect(engine).get_columns("runs")}
    with engine.begin() as conn:
        for name, sql_type in RUN_COLUMNS.items():
            if name not in have:
                conn.execute(text(f"ALTER TABLE runs ADD COLUMN {name} {sql_type}"))


def person() -> str:
    """Who is at the keyboard (recorded with finals and reopenings)."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in a service account
        user = str(os.getuid()) if hasattr(os, "getuid") else "?"
    return f"{user}@{socket.gethostname()}"


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite gives stored (UTC) times back without a zone; PostgreSQL with one."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


# --- the per-quarter lock ---------------------------------------------------------------


# Locks this process holds now, by (database, period, thread): a run started by the CLI takes the
# lock before Prefect starts (the wait is seen, a refusal costs no server start); the flow inside,
# in the same thread, takes it again. Another thread or database waits like another process.
_HELD: dict[tuple[str, str, int], str] = {}


def _owner() -> str:
    """host:pid:token: the token tells this process's live lock from one it failed to release."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


def _holder_is_dead(owner: str) -> bool:
    """A lock left by a process of this host that no longer exists (killed run), or left by this
    very process when releasing it failed (disk full) and no block of ours holds it now."""
    parts = owner.split(":")
    host, pid = parts[0], parts[1] if len(parts) > 1 else ""
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return owner not in _HELD.values()
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def lock_holder(engine: Engine, periode: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(kunci).where(kunci.c.periode == periode)).mappings().first()
    return dict(row) if row else None


def describe_holder(row: Mapping[str, Any] | None) -> tuple[str, str]:
    """(who, since) of a lock row, for the waiting and refusal lines."""
    if row is None:
        return "?", "?"
    host, _, rest = str(row["pemilik"]).partition(":")
    who = f"{host}, proses {rest.split(':')[0]}" if rest else host
    return who, as_utc(row["sejak"]).astimezone(WIB).strftime("%d-%m-%Y %H.%M WIB")


@contextlib.contextmanager
def quarter_lock(
    engine: Engine,
    periode: str,
    wait_s: float,
    poll_s: float = 0.5,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """One run per quarter at a time: wait up to `wait_s`, then refuse with a clear message.

    Re-entrant within a process. `on_wait` is told once, with the holder, when the run waits.
    """
    key = (engine.url.render_as_string(hide_password=True), periode, threading.get_ident())
    if key in _HELD:
        yield
        return
    owner = _owner()
    deadline = time.monotonic() + wait_s
    told = False
    # registered before the row exists: another thread of this process that sees the row must
    # find its owner alive (see _holder_is_dead)
    _HELD[key] = owner
    try:
        while True:
            try:
                with engine.begin() as conn:
                    conn.execute(insert(kunci).values(periode=periode, pemilik=owner, sejak=now()))
                break
            except IntegrityError:
                row = lock_holder(engine, periode)
                if row is not None and _holder_is_dead(row["pemilik"]):
                    with engine.begin() as conn:
                        conn.execute(
                            delete(kunci).where(
                                and_(kunci.c.periode == periode, kunci.c.pemilik == row["pemilik"])
                            )
                        )
                    continue
                who, since = describe_holder(row)
                if time.monotonic() >= deadline:
                    raise TriwulanError(
                        f"{periode} sedang diproses oleh run lain ({who}, sejak {since}); sudah "
                        f"ditunggu {wait_s:g} detik. Coba lagi setelah run itu selesai "
                        "(atur lama menunggu dengan TRIWULAN_KUNCI_TUNGGU_DETIK)."
                    ) from None
                if on_wait is not None and not told and row is not None:
                    on_wait(
                        f"{periode} sedang diproses oleh run lain ({who}, sejak {since}); menunggu "
                        f"run itu selesai, paling lama {wait_s:g} detik (TRIWULAN_KUNCI_TUNGGU_DETIK)."
                    )
                    told = True
                time.sleep(poll_s)
    except BaseException:
        _HELD.pop(key, None)
        raise
    try:
        yield
    finally:
        del _HELD[key]
        release_lock(engine, periode, owner)


def release_lock(engine: Engine, periode: str, owner: str) -> bool:
    """Never raises (a failed release must not hide the run's own error); the next run of this
    or another process takes over a lock whose holder is gone (see _holder_is_dead)."""
    try:
        with engine.begin() as conn:
            conn.execute(
                delete(kunci).where(and_(kunci.c.periode == periode, kunci.c.pemilik == owner))
            )
    except Exception:
        logging.getLogger("triwulan").warning(
            "kunci %s tidak dapat dilepas", periode, exc_info=True
        )
        return False
    return True


def outcome_of(exc: BaseException) -> tuple[str, str]:
    """The run status and the Indonesian line `status` shows for why a run ended."""
    if isinstance(exc, KeyboardInterrupt):
        return "dibatalkan", "dibatalkan dengan Ctrl-C"
    if isinstance(exc, SystemExit):
        return "dibatalkan", f"dihentikan oleh sinyal (kode {exc.code})"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "gagal", f"disk penuh saat menulis '{exc.filename or 'folder hasil'}'"
    if isinstance(exc, OSError) and exc.filename:
        return "gagal", f"'{exc.filename}' tidak dapat ditulis atau dibaca ({exc.strerror})"
    text = str(exc).splitlines()[0][:500] if str(exc) else type(exc).__name__
    return "gagal", text


def recover_dead_runs(engine: Engine, periode: str, quarter_folder: Path) -> list[str]:
    """Called holding the quarter's lock: runs left `berjalan` are dead; say so, keep no debris.

    `.v<k>.sedang/`, and a `v<k>/` whose run never finished (killed while sending), become
    `v<k>.gagal/`; the run is marked `terhenti`. The next version is then k+1 and `status` says
    why k is missing. Returns one Indonesian line per recovered run or folder.
    """
    with engine.connect() as conn:
        dead = conn.execute(
            select(runs.c.id, runs.c.versi).where(
                and_(runs.c.periode == periode, runs.c.status == "berjalan")
            )
        ).all()
        finished = {
            int(v)
            for (v,) in conn.execute(
                select(runs.c.versi).where(
                    and_(runs.c.periode == periode, runs.c.status == "selesai")
                )
            )
        }
    candidates: dict[Path, int] = {}
    if quarter_folder.is_dir():
        for entry in quarter_folder.iterdir():
            name = entry.name
            if name.startswith(".v") and name.endswith(".sedang") and name[2:-7].isdigit():
                candidates[entry] = int(name[2:-7])
    for r in dead:
        published = quarter_folder / f"v{r.versi}"
        if int(r.versi) not in finished and published.is_dir():
            candidates[published] = int(r.versi)
    kept: set[int] = set()
    for entry, versi in candidates.items():
        target = quarter_folder / f"v{versi}.gagal"
        if target.exists():
            target = quarter_folder / f"v{versi}.gagal-{os.urandom(3).hex()}"
        entry.replace(target)
        kept.add(versi)
    with engine.begin() as conn:
        for r in dead:
            versi = int(r.versi)
            note = f"; yang sudah dibuat disimpan di v{versi}.gagal" if versi in kept else ""
            conn.execute(
                runs.update()
                .where(runs.c.id == r.id)
                .values(
                    status="terhenti",
                    selesai=now(),
                    pesan="proses run berhenti sebelum selesai (dimatikan, listrik padam atau "
                    f"disk penuh){note}",
                )
            )
    lines = []
    for versi in sorted({int(r.versi) for r in dead} | kept):
        if versi in finished and versi not in kept:
            lines.append(
                f"{periode}: run ulang sebelumnya (tanpa perubahan sejak v{versi}) terhenti "
                f"sebelum selesai; v{versi} tetap berlaku."
            )
            continue
        where = f"; yang sudah dibuat disimpan di v{versi}.gagal" if versi in kept else ""
        lines.append(
            f"{periode}: run v{versi} sebelumnya terhenti sebelum selesai{where}. Nomor "
            f"v{versi} tidak dipakai lagi."
        )
    return lines


def lock_wait_seconds(env: Mapping[str, str] = os.environ) -> float:
    raw = (env.get("TRIWULAN_KUNCI_TUNGGU_DETIK") or "").strip()
    if not raw:
        return 600.0
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = -1
    if not 0 <= value <= 86_400:
        raise TriwulanError(
            f"TRIWULAN_KUNCI_TUNGGU_DETIK='{raw}' tidak sah: isi jumlah detik (0 sampai 86400)."
        )
    return value


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
        sizes = dict(
            conn.execute(
                select(berkas.c.sha256, berkas.c.ukuran).where(berkas.c.sha256.in_(files.values()))
            ).all()
        )
        for name, sha in files.items():
            found = conn.execute(
                select(kiriman.c.id).where(
                    and_(
                        kiriman.c.periode == periode,
                        kiriman.c.nama_berkas == name,
                        kiriman.c.sha256 == sha,
                    )
                )
            ).first()
            unit, status, count = verdicts.get(name, (None, "tidak_terbaca", 1))
            if found:
                kid = int(found[0])
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
            conn.execute(
                insert(putusan).values(
                    run_id=run_id, kiriman_id=kid, unit=unit, status=status, masalah=count
                )
            )


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
