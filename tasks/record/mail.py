"""The mail part of a quarter's record: the `surat` table and the delivery ledger kept in it.

Split from tasks/record/runs.py because the ledger is its own concern:
deliver() asks it "was this mail already sent?", and every send, failure or unknown outcome is a
new row, so two runs never lose each other's sends to a rewritten file. terkirim.json beside the
quarter's output is only an export of these rows, read once when an old out folder is migrated.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, Integer, String, Table, Text, and_, insert, select
from sqlalchemy.engine import Engine

from triwulan.tasks.core.fmt import WIB
from triwulan.tasks.record import store
from triwulan.tasks.record.ledger import Ledger, load_json_ledger
from triwulan.tasks.record.store import metadata

# Every time here comes from `store.now()`, looked up at call time, so a clock set on the store
# (as the tests do) stamps the mails like every other row of the record.

surat = Table(
    "surat",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("periode", String(20), nullable=False),
    Column("kunci", String(300), nullable=False),
    Column("jenis", String(30), nullable=False),
    Column("penerima", Text, nullable=False),
    Column("versi", Integer),
    Column("status", String(20), nullable=False),
    Column("galat", Text),
    Column("message_id", String(300)),
    Column("eml", String(1000)),
    Column("waktu", DateTime(timezone=True), nullable=False),
    Column("run_id", Integer),
)


class DbLedger(Ledger):
    """The quarter's delivery ledger as rows of `surat`; terkirim.json is written as an export.

    deliver() sees the same mapping it always did (key -> entry with status and order); each send
    is one new row, so two sends are two rows and nothing is lost to a concurrent rewrite.
    """

    def __init__(
        self, engine: Engine, periode: str, export: Path, *, versi: int | None, run_id: int | None
    ) -> None:
        self.engine, self.periode, self.export = engine, periode, export
        self.path = export  # .eml paths are recorded relative to the quarter folder
        self.versi, self.run_id = versi, run_id
        self._deferred: bool | None = None  # inside batched(): None, or True once recorded

    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        """terkirim.json is rewritten once after the batch, not after every send (it lists every
        send of the quarter: per send that was quadratic). The rows are written per send."""
        self._deferred = False
        try:
            yield
        finally:
            recorded, self._deferred = self._deferred, None
            if recorded:
                self._export()

    def unknown_advice(self, key: str) -> str:
        return (
            "Periksa apakah email ini sampai ke penerima. Jika sampai, tidak perlu tindakan; jika "
            f"tidak, kirim ulang dengan: triwulan kirim-ulang {self.periode.split('+')[0]}."
        )

    def note_failure(self, key: str, to: list[str], error: str | None) -> None:
        record_failure(self.engine, self.periode, key, to, self.versi, error, self.run_id)

    def load(self) -> dict[str, dict[str, Any]]:
        self._migrate_json()
        query = (
            select(surat)
            .where(
                and_(surat.c.periode == self.periode, surat.c.status.in_(("terkirim", "unknown")))
            )
            .order_by(surat.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return {
            r["kunci"]: {
                "status": r["status"],
                "urutan": int(r["id"]),
                "waktu": r["waktu"].isoformat(timespec="seconds") if r["waktu"] else "?",
                "eml": r["eml"],
                "message_id": r["message_id"],
                "kepada": json.loads(r["penerima"] or "[]"),
                "versi": r["versi"],
            }
            for r in rows
        }

    def record(
        self, key: str, entry: Mapping[str, Any], sent: Mapping[str, Any] | None = None
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(surat).values(
                    periode=self.periode,
                    kunci=key,
                    jenis=mail_kind(key),
                    penerima=json.dumps(list(entry.get("kepada", [])), ensure_ascii=False),
                    versi=entry.get("versi", self.versi),
                    status=entry["status"],
                    message_id=entry.get("message_id"),
                    eml=entry.get("eml"),
                    waktu=store.now(),
                    run_id=self.run_id,
                )
            )
        if self._deferred is None:
            self._export()
        else:
            self._deferred = True

    def _export(self) -> None:
        """terkirim.json as before, for people and tools that read it; never read back."""
        sent = self.load()
        data = {"versi": 2, "sumber": "basis data (tabel surat)", "terkirim": sent}
        tmp = self.export.with_name(f".{self.export.name}.tmp")
        with contextlib.suppress(OSError):
            self.export.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
            tmp.replace(self.export)

    def _migrate_json(self) -> None:
        """An out folder from before the database ledger: import its terkirim.json once."""
        if not self.export.exists():
            return
        with self.engine.connect() as conn:
            known = conn.execute(
                select(surat.c.id).where(surat.c.periode == self.periode).limit(1)
            ).first()
        if known:
            return
        sent = load_json_ledger(self.export)  # refuses an unreadable one: never guess
        ordered = sorted(sent.items(), key=lambda kv: int((kv[1] or {}).get("urutan", 0)))
        with self.engine.begin() as conn:
            for key, entry in ordered:
                entry = entry if isinstance(entry, dict) else {}
                conn.execute(
                    insert(surat).values(
                        periode=self.periode,
                        kunci=key,
                        jenis=mail_kind(key),
                        penerima=json.dumps(entry.get("kepada", []), ensure_ascii=False),
                        versi=None,
                        status=entry.get("status", "terkirim"),
                        message_id=entry.get("message_id"),
                        eml=entry.get("eml"),
                        waktu=_parse_time(entry.get("waktu")),
                        run_id=None,
                    )
                )


def record_failure(
    engine: Engine,
    periode: str,
    key: str,
    to: list[str],
    versi: int | None,
    error: str | None,
    run_id: int | None = None,
) -> None:
    """A mail that did not go out: kept in the history (it does not count as sent)."""
    with engine.begin() as conn:
        conn.execute(
            insert(surat).values(
                periode=periode,
                kunci=key,
                jenis=mail_kind(key),
                penerima=json.dumps(to, ensure_ascii=False),
                versi=versi,
                status="gagal",
                galat=error,
                waktu=store.now(),
                run_id=run_id,
            )
        )


def mail_kind(key: str) -> str:
    """'pimpinan', 'unit', … from a key '2024-TW2/pimpinan/…'."""
    parts = key.split("/")
    return parts[1] if len(parts) > 2 else "lain"


def _parse_time(value: object) -> dt.datetime:
    """An ISO time from the old JSON ledger, stored as UTC like every other time."""
    with contextlib.suppress(TypeError, ValueError):
        parsed = dt.datetime.fromisoformat(str(value))
        return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return store.now()


def unconfirmed_leadership(engine: Engine, periode: str) -> list[dict[str, Any]]:
    """The quarter's newest leadership mail when its last outcome is 'unknown'.

    The server dropped the line after the content: the draft may or may not have arrived, and it
    is never resent blindly. Every run of the quarter and `status` repeat it until a resend
    (`triwulan kirim-ulang`) is recorded as delivered.
    """
    query = (
        select(surat)
        .where(
            and_(
                surat.c.periode == periode,
                surat.c.jenis == "pimpinan",
                surat.c.status.in_(("terkirim", "unknown")),
            )
        )
        .order_by(surat.c.id)
    )
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings().all()]
    if not rows:
        return []
    newest = rows[-1]
    return [newest] if newest["status"] == "unknown" else []


def unconfirmed_line(periode: str, row: Mapping[str, Any]) -> str:
    """What the clerk must check, in one line."""
    to = ", ".join(json.loads(row.get("penerima") or "[]")) or "pimpinan"
    when = _local(row.get("waktu"))
    return (
        f"PERHATIAN: email DRAF {periode} v{row.get('versi')} ke pimpinan ({to}) BELUM PASTI "
        f"diterima: server memutus sambungan setelah isi terkirim ({when}). Tanyakan ke penerima "
        f"atau periksa log server email; bila belum sampai: triwulan kirim-ulang {periode} "
        "--ke pimpinan."
    )


def _local(value: object) -> str:
    if not isinstance(value, dt.datetime):
        return "?"
    moment = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
    return moment.astimezone(WIB).strftime("%d-%m-%Y %H.%M WIB")
