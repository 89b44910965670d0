"""Who runs a quarter now, and what a dead run left: the lock row and the recovery after it.

One run per quarter at a time: the lock is a row whose primary key is the period (portable SQL,
SQLite and PostgreSQL), re-entrant within one thread of one process. The first thing a run does
holding it is to clear what a dead run (kill -9, power cut, full disk) left: a `.v<k>.sedang/`
folder and a `berjalan` row. Split from tasks/record/runs.py.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, String, Table, and_, delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.fmt import WIB
from triwulan.tasks.record.store import as_utc, metadata, now, runs

kunci = Table(
    "kunci",
    metadata,
    Column("periode", String(20), primary_key=True),
    Column("pemilik", String(300), nullable=False),
    Column("sejak", DateTime(timezone=True), nullable=False),
)


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
