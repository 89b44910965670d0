"""The record of a year as the status views read it: runs, verdicts, stored rows, FINAL, mails.

Split from triwulan/status.py (which turns these into text lines and re-exports year_state) so
the rules that decide a cell, 'basi' and 'pimpinan: sudah' are kept apart from the layout. Read
only: every value comes from the tables of tasks/record/store.py and tasks/record/runs.py, so the answer is the
same on any machine that opens the same database.

Definitions (the year view):

- A unit's cell in a quarter is its verdict in the quarter's latest run that judged files
  (cascade and unchanged runs judge none): 'diterima' or 'ditolak'. With no verdict it is
  'diterima' when accepted rows of that unit are stored for the quarter (kept from earlier), and
  'belum' otherwise.
- 'basi' (stale) replaces the cell of a unit whose figures are in the quarter's latest report
  (it has stored rows for the quarter) when that unit's stored rows of an EARLIER quarter of the
  same year were saved by a run that started after the run of that latest report started. Rows
  carry the version that saved them (`realisasi.versi_laporan`); that version's run gives the
  time. A cascade rebuild starts after the correcting run, so a rebuilt quarter is not stale; a
  quarter the cascade left alone (FINAL, or the rebuild failed) is. A quarter is stale when any of
  its cells is.
- The latest version of a quarter is its highest version whose run finished ('selesai').
- Leadership has that version ('pimpinan: sudah') when a 'pimpinan' mail was sent for it: a
  'terkirim' row of `surat` for the quarter with versi >= the latest version; or, for a cascade
  version, the corrected quarter's 'pimpinan' mail sent by the run that triggered the cascade
  (that one combined mail carries every rebuilt draft, even when the rebuilt draft is identical
  to one already sent and gets no row of its own); or a row of an earlier version whose run had
  the same input fingerprint (`sidik`: a forced rerun makes the same draft, and the ledger does
  not send it twice). Where only 'unknown' rows match, it reads 'tak pasti'.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine

from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference
from triwulan.tasks.record import runs as record
from triwulan.tasks.record.lock import kunci
from triwulan.tasks.record.mail import surat
from triwulan.tasks.record.runs import final, kiriman, putusan
from triwulan.tasks.record.store import realisasi, runs

CELL_LABEL = {"accepted": "diterima", "rejected": "ditolak", "tidak_terbaca": "tidak terbaca"}
SENT = ("terkirim", "unknown")


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Comparable instants whatever the backend returned (naive UTC or aware)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# --- the state of a year ---------------------------------------------------------------------


@dataclass
class QuarterState:
    """What the year view shows of one quarter, and why (for the notes)."""

    period: Period
    runs: list[dict[str, Any]] = field(default_factory=list)  # all runs, oldest first
    latest: dict[str, Any] | None = None  # the latest finished version's run
    final: dict[str, Any] | None = None
    pimpinan: str = "-"
    cells: dict[str, str] = field(default_factory=dict)
    # unit -> the earlier quarters whose rows changed after the latest report: (triwulan, versi, when)
    stale: dict[str, list[tuple[int, int, dt.datetime]]] = field(default_factory=dict)

    @property
    def version_text(self) -> str:
        return f"v{self.latest['versi']}" if self.latest else "-"

    @property
    def report_text(self) -> str:
        if self.final:
            same = self.latest and self.final["versi"] == self.latest["versi"]
            return "FINAL" if same else f"FINAL v{self.final['versi']}"
        return "DRAF" if self.latest else "-"

    @property
    def data_text(self) -> str:
        if not self.latest:
            return "-"
        return "basi" if self.stale else "mutakhir"


def check_year(ref: Reference, tahun: int) -> None:
    if ref.tahun != tahun:
        raise TriwulanError(f"Data referensi tahun {ref.tahun} tidak cocok dengan tahun {tahun}.")


def year_state(engine: Engine, ref: Reference, tahun: int) -> list[QuarterState]:
    """The four quarters of a year as the record has them (see the module docstring)."""
    check_year(ref, tahun)
    periods = [Period(tahun, q) for q in range(1, 5)]
    labels = [p.label for p in periods]
    with engine.connect() as conn:
        run_rows = [
            dict(r)
            for r in conn.execute(
                select(runs).where(runs.c.periode.in_(labels)).order_by(runs.c.id)
            ).mappings()
        ]
        saved = conn.execute(
            select(realisasi.c.triwulan, realisasi.c.unit, realisasi.c.versi_laporan)
            .where(realisasi.c.tahun == tahun)
            .distinct()
        ).all()
        verdicts = conn.execute(
            select(runs.c.periode, putusan.c.run_id, putusan.c.unit, putusan.c.status)
            .join(runs, runs.c.id == putusan.c.run_id)
            .where(runs.c.periode.in_(labels))
        ).all()
        mails = [
            dict(r)
            for r in conn.execute(
                select(surat.c.periode, surat.c.versi, surat.c.status, surat.c.run_id).where(
                    and_(
                        surat.c.periode.in_(labels),
                        surat.c.jenis == "pimpinan",
                        surat.c.status.in_(SENT),
                    )
                )
            ).mappings()
        ]
    by_id = {r["id"]: r for r in run_rows}

    def made_at(label: str, versi: int) -> dt.datetime | None:
        """When the version that saved some rows started (its first run; reruns reuse numbers)."""
        starts = [
            _utc(r["mulai"]) for r in run_rows if r["periode"] == label and r["versi"] == versi
        ]
        return min(starts) if starts else None

    stored: dict[int, dict[str, int]] = {}  # triwulan -> unit -> versi that saved its rows
    for q, unit, versi in saved:
        per_unit = stored.setdefault(int(q), {})
        per_unit[unit] = max(int(versi), per_unit.get(unit, 0))

    latest_judged: dict[str, int] = {}
    for label, run_id, _unit, _status in verdicts:
        latest_judged[label] = max(run_id, latest_judged.get(label, 0))
    judged: dict[str, dict[str, set[str]]] = {}
    for label, run_id, unit, status in verdicts:
        if unit and run_id == latest_judged[label]:
            judged.setdefault(label, {}).setdefault(unit, set()).add(status)

    states = []
    for period in periods:
        label = period.label
        state = QuarterState(period, runs=[r for r in run_rows if r["periode"] == label])
        done = [r for r in state.runs if r["status"] == "selesai"]
        state.latest = max(done, key=lambda r: (r["versi"], r["id"])) if done else None
        state.final = record.current_final(engine, label)
        started = _utc(state.latest["mulai"]) if state.latest else None
        here = stored.get(period.triwulan, {})
        for unit in ref.units["unit"]:
            seen = judged.get(label, {}).get(unit, set())
            if "accepted" in seen:
                cell = "diterima"
            elif seen:
                status = min(seen)  # 'rejected' before 'tidak_terbaca'
                cell = CELL_LABEL.get(status, status)
            else:
                cell = "diterima" if unit in here else "belum"
            if started is not None and unit in here:
                changed = []
                for q in range(1, period.triwulan):
                    versi = stored.get(q, {}).get(unit)
                    when = made_at(Period(tahun, q).label, versi) if versi else None
                    if when is not None and when > started:
                        changed.append((q, versi, when))
                if changed:
                    state.stale[unit] = changed
                    cell = "basi"
            state.cells[unit] = cell
        state.pimpinan = _leadership(state, mails, by_id)
        states.append(state)
    return states


def _leadership(
    state: QuarterState, mails: list[dict[str, Any]], by_id: Mapping[int, dict[str, Any]]
) -> str:
    """'sudah', 'tak pasti' or 'belum' (see the module docstring); '-' with no report."""
    latest = state.latest
    if latest is None:
        return "-"
    label = state.period.label
    sidik = latest.get("sidik")
    same_draft = {
        r["versi"] for r in state.runs if sidik and r["sidik"] == sidik and r["versi"] is not None
    }
    covering: list[str] = []
    for mail in mails:
        if mail["periode"] == label and mail["versi"] is not None:
            if mail["versi"] >= latest["versi"] or mail["versi"] in same_draft:
                covering.append(mail["status"])
        elif latest.get("pemicu") == "cascade" and mail["run_id"] in by_id:
            trigger = by_id[mail["run_id"]]
            corrected = _parameter(latest).get("koreksi")
            begun, ended = _utc(trigger["mulai"]), _utc(trigger["selesai"])
            mine = _utc(latest["mulai"])
            if (
                trigger["periode"] == corrected == mail["periode"]
                and begun is not None
                and mine is not None
                and begun <= mine
                and (ended is None or mine <= ended)
            ):
                covering.append(mail["status"])
    if "terkirim" in covering:
        return "sudah"
    return "tak pasti" if covering else "belum"


def _parameter(run: Mapping[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(run.get("parameter") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# --- the history of one quarter ------------------------------------------------------------------


@dataclass(frozen=True)
class QuarterHistory:
    """Everything recorded for one quarter, oldest first: files, verdicts, FINAL events, mails."""

    files: list[dict[str, Any]]  # rows of `kiriman`
    verdicts: list[Any]  # (kiriman_id, versi, status, masalah, run_id)
    finals: list[dict[str, Any]]  # rows of `final`
    mails: list[dict[str, Any]]  # rows of `surat`
    locked: bool  # a run holds the quarter's lock now


def quarter_history(engine: Engine, label: str) -> QuarterHistory:
    """The rows behind `triwulan status 2024-TW2`, in the order they are shown."""
    with engine.connect() as conn:
        files = [
            dict(r)
            for r in conn.execute(
                select(kiriman)
                .where(kiriman.c.periode == label)
                .order_by(kiriman.c.pertama_dilihat, kiriman.c.id)
            ).mappings()
        ]
        verdicts = list(
            conn.execute(
                select(
                    putusan.c.kiriman_id,
                    runs.c.versi,
                    putusan.c.status,
                    putusan.c.masalah,
                    runs.c.id,
                )
                .join(runs, runs.c.id == putusan.c.run_id)
                .where(runs.c.periode == label)
                .order_by(runs.c.id)
            ).all()
        )
        finals = [
            dict(r)
            for r in conn.execute(
                select(final).where(final.c.periode == label).order_by(final.c.id)
            ).mappings()
        ]
        mails = [
            dict(r)
            for r in conn.execute(
                select(surat).where(surat.c.periode == label).order_by(surat.c.id)
            ).mappings()
        ]
        locked = conn.execute(select(kunci.c.periode).where(kunci.c.periode == label)).first()
    return QuarterHistory(files, verdicts, finals, mails, locked is not None)
