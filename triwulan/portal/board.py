"""The secretariat's board: units × quarters, each cell's state and the latest upload's time.

A cell is the record's (tasks via triwulan.status_data.year_state: diterima, ditolak, belum,
basi), unless the unit uploaded after the quarter's latest run started: then the upload's
verdict decides (green for accepted, red for rejected), marked "belum masuk laporan" until a run
takes it in.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Engine

from triwulan.paths import quarter_out
from triwulan.status import MAIL_LABEL
from triwulan.status_data import QuarterState, year_state
from triwulan.tasks.core.reference import Reference
from triwulan.tasks.record.mail import surat
from triwulan.tasks.record.portal import latest_uploads
from triwulan.tasks.record.store import as_utc

STATE = {  # record cell -> (css class, label)
    "diterima": ("diterima", "diterima"),
    "ditolak": ("ditolak", "ditolak"),
    "tidak terbaca": ("ditolak", "tidak terbaca"),
    "belum": ("belum", "belum ada"),
    "basi": ("basi", "basi"),
}


@dataclass(frozen=True)
class Cell:
    state: str  # diterima, ditolak, belum, basi: the css class too
    label: str
    upload: dict[str, Any] | None = None  # the latest upload of the unit for the quarter
    pending: bool = False  # decided by an upload newer than the quarter's latest run
    note: str = ""


@dataclass
class QuarterColumn:
    state: QuarterState
    report: Path | None = None
    rekap: Path | None = None
    mails: dict[str, int] = field(default_factory=dict)  # status -> count
    saved: int = 0  # .eml files of the latest version's outbox (SMTP not set: kept, not sent)


def mail_row(mail: dict[str, Any]) -> dict[str, Any]:
    """A row of `surat` as the board lists it: recipients as text, status in words."""
    try:
        to = json.loads(mail.get("penerima") or "[]")
    except ValueError:
        to = [mail.get("penerima")]
    return {
        "waktu": mail["waktu"],
        "jenis": mail["jenis"],
        "versi": mail.get("versi"),
        "status": MAIL_LABEL.get(mail["status"], mail["status"]),
        "penerima": ", ".join(str(t) for t in to) if to else "(tercakup surat gabungan)",
        "galat": mail.get("galat") or "",
    }


def _saved_mails(out: Path, state: QuarterState) -> int:
    outbox = version_file(out, state, "outbox")
    return sum(1 for _ in outbox.glob("**/*.eml")) if outbox is not None else 0


def _cell(record_cell: str, uploads: dict[str, Any] | None, since: dt.datetime | None) -> Cell:
    """The record's cell, unless uploads after the latest run's start say more (module doc).

    An accepted upload placed in the inbox after that run is what the next run will take: green,
    even when a later upload was rejected (a rejected upload never replaces an accepted file).
    """
    state, label = STATE.get(record_cell, ("belum", record_cell))
    latest = (uploads or {}).get("latest")
    accepted = (uploads or {}).get("accepted")

    def newer(upload: dict[str, Any] | None) -> bool:
        return upload is not None and (since is None or upload["waktu"] > since)

    last = latest["status"] if newer(latest) and latest is not None else None
    failed = last is not None and last.startswith("gagal")
    note = {"ditolak": "unggahan terakhir ditolak", None: ""}.get(
        last, "unggahan terakhir gagal diproses: periksa log portal" if failed else ""
    )
    if newer(accepted):
        return Cell("diterima", "diterima (unggahan)", latest, True, note)
    if last == "ditolak" and state in ("belum", "ditolak"):
        return Cell("ditolak", "ditolak (unggahan)", latest, True)
    if failed and state in ("belum", "ditolak"):
        return Cell("ditolak", "gagal diproses (unggahan)", latest, True, note)
    return Cell(state, label, latest, False, note)


def _latest_start(state: QuarterState) -> dt.datetime | None:
    """When the quarter's latest run that read the inbox started: a finished run of its own
    (a cascade rebuild reads no inbox; a failed or running one decided nothing yet)."""
    starts = [
        as_utc(r["mulai"])
        for r in state.runs
        if r.get("mulai") is not None and r["status"] == "selesai" and r.get("pemicu") != "cascade"
    ]
    return max(starts) if starts else None


def _mail_counts(engine: Engine, labels: list[str]) -> dict[str, dict[str, int]]:
    query = (
        select(surat.c.periode, surat.c.status, func.count())
        .where(and_(surat.c.periode.in_(labels)))
        .group_by(surat.c.periode, surat.c.status)
    )
    counts: dict[str, dict[str, int]] = {}
    with engine.connect() as conn:
        for periode, status, n in conn.execute(query):
            counts.setdefault(periode, {})[status] = int(n)
    return counts


def version_file(out: Path, state: QuarterState, name: str) -> Path | None:
    """A file of the quarter's latest version, under this portal's out folder (never a name given)."""
    if not state.latest:
        return None
    period = state.period
    path = quarter_out(out, period.tahun, period.triwulan) / f"v{int(state.latest['versi'])}" / name
    return path if path.is_file() or (name == "outbox" and path.is_dir()) else None


def board(
    engine: Engine, ref: Reference, tahun: int, out: Path
) -> tuple[list[QuarterColumn], dict[str, list[Cell]]]:
    """The quarter columns and, per unit, its four cells."""
    states = year_state(engine, ref, tahun)
    uploads = latest_uploads(engine, tahun)
    mails = _mail_counts(engine, [s.period.label for s in states])
    columns = [
        QuarterColumn(
            s,
            version_file(out, s, "laporan.html"),
            version_file(out, s, "rekap.xlsx"),
            mails.get(s.period.label, {}),
            _saved_mails(out, s),
        )
        for s in states
    ]
    rows: dict[str, list[Cell]] = {}
    for unit in ref.units["unit"]:
        rows[unit] = [
            _cell(
                s.cells.get(unit, "belum"),
                uploads.get((s.period.label, unit)),
                _latest_start(s),
            )
            for s in states
        ]
    return columns, rows
