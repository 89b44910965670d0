"""Read-only views of the record: a year at a glance and the history of one quarter.

Behind `triwulan status 2024` and `triwulan status 2024-TW2`. Nothing here writes: every line is
built from the tables of tasks/store.py and tasks/record.py, so the answer is the same on any
machine that opens the same database, whether or not the out folder is there.

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
import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine

from triwulan.tasks import record
from triwulan.tasks.errors import TriwulanError
from triwulan.tasks.fmt import WIB
from triwulan.tasks.period import Period, parse_period
from triwulan.tasks.record import final, kiriman, kunci, putusan, surat
from triwulan.tasks.reference import Reference
from triwulan.tasks.store import realisasi, runs

WIDTH = 96  # fits a 100-column terminal with room to spare

CELL_LABEL = {"accepted": "diterima", "rejected": "ditolak", "tidak_terbaca": "tidak terbaca"}
RUN_LABEL = {"tanpa_perubahan": "tanpa perubahan"}
MAIL_LABEL = {"unknown": "tak pasti"}
SENT = ("terkirim", "unknown")


def waktu(value: dt.datetime | None) -> str:
    """'30-11-2026 08.15' in WIB; naive values are UTC (SQLite keeps no offset; we write UTC)."""
    if value is None:
        return "-"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(WIB).strftime("%d-%m-%Y %H.%M")


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


def _check_year(ref: Reference, tahun: int) -> None:
    if ref.tahun != tahun:
        raise TriwulanError(f"Data referensi tahun {ref.tahun} tidak cocok dengan tahun {tahun}.")


def year_state(engine: Engine, ref: Reference, tahun: int) -> list[QuarterState]:
    """The four quarters of a year as the record has them (see the module docstring)."""
    _check_year(ref, tahun)
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


# --- the year view -------------------------------------------------------------------------------


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def year_lines(engine: Engine, ref: Reference, tahun: int) -> list[str]:
    """`triwulan status 2024`: units x quarters, then each quarter's version, FINAL and mail."""
    states = year_state(engine, ref, tahun)
    units = ref.units
    heads = [s.period.roman for s in states]
    summary_rows = [
        ("Versi terakhir", [s.version_text for s in states]),
        ("Laporan", [s.report_text for s in states]),
        ("Pimpinan", [s.pimpinan for s in states]),
        ("Data", [s.data_text for s in states]),
    ]
    cells = [[s.cells[u] for s in states] for u in units["unit"]]
    tw_w = max(len(t) for row in [heads, *cells, *(v for _, v in summary_rows)] for t in row)
    unit_w = max(len("Unit"), *(len(str(u)) for u in units["unit"]))
    jenis_w = max(len("Jenis"), *(len(str(j)) for j in units["jenis"]))
    nama_w = max(len("Nama"), *(len(str(n)) for n in units["nama"]))
    nama_w = max(12, min(nama_w, WIDTH - unit_w - jenis_w - 4 - 4 * (tw_w + 2)))
    left_w = unit_w + 2 + nama_w + 2 + jenis_w

    def row(left: str, values: Iterable[str]) -> str:
        return (left.ljust(left_w) + "".join(f"  {v:<{tw_w}}" for v in values)).rstrip()

    def unit_left(code: str, nama: str, jenis: str) -> str:
        return f"{code:<{unit_w}}  {_fit(nama, nama_w):<{nama_w}}  {jenis:<{jenis_w}}"

    rule = "-" * (left_w + 4 * (tw_w + 2))
    lines = [
        f"Status tahun {tahun} — {ref.kecamatan_name}",
        "",
        row(unit_left("Unit", "Nama", "Jenis"), heads),
        rule,
    ]
    for (code, nama, jenis), values in zip(
        units[["unit", "nama", "jenis"]].itertuples(index=False), cells, strict=True
    ):
        lines.append(row(unit_left(str(code), str(nama), str(jenis)), values))
    lines.append(rule)
    lines += [row(label, values) for label, values in summary_rows]
    lines += ["", *_year_notes(states, ref)]
    return lines


def _year_notes(states: list[QuarterState], ref: Reference) -> list[str]:
    """What a reader needs beside the table: empty year, stale quarters, failed or open runs."""
    notes: list[str] = []
    tahun = states[0].period.tahun
    if not any(s.runs for s in states):
        notes.append(f"Belum ada run untuk tahun {tahun}.")
    for s in states:
        label = s.period.roman
        if s.stale:
            changes: dict[tuple[int, int], tuple[list[str], dt.datetime]] = {}
            for unit, items in s.stale.items():
                for q, versi, when in items:
                    changes.setdefault((q, versi), ([], when))[0].append(unit)
            what = ", ".join(
                f"{Period(tahun, q).roman} v{versi} ({waktu(when)}) mengubah data {', '.join(us)}"
                for (q, versi), (us, when) in sorted(changes.items())
            )
            todo = (
                "sudah FINAL, jadi tidak dibuat ulang otomatis; buka FINAL-nya bila perlu versi baru"
                if s.final
                else f"jalankan ulang: triwulan run {s.period.label}"
            )
            notes.append(
                f"{label}: laporan v{s.latest['versi']} basi karena {what} setelah versi itu "
                f"dibuat; {todo}."
            )
        last = s.runs[-1] if s.runs else None
        if last and last["status"] == "gagal":
            reason = f": {last['pesan']}" if last.get("pesan") else ""
            notes.append(
                f"{label}: run terakhir (v{last['versi']}, {waktu(last['mulai'])}) gagal{reason}."
            )
        if last and last["status"] == "berjalan":
            notes.append(
                f"{label}: ada run yang belum selesai (v{last['versi']}, mulai {waktu(last['mulai'])})."
            )
    notes.append(
        "Keterangan: diterima/ditolak = putusan run terakhir atas berkas unit itu; belum = belum "
        "ada berkas; basi = angka s.d. unit itu di laporan terakhir belum memuat perubahan data "
        "triwulan sebelumnya; pimpinan sudah = versi terakhir sudah terkirim ke pimpinan."
    )
    return [line for note in notes for line in _wrap(note, "", "  ")]


_KEEP_TOGETHER = re.compile(r"(?<=\bTW) (?=[IV]+\b)|(?<=\d{4}) (?=\d{2}\.\d{2}\b)")


def _wrap(text: str, first: str, rest: str, width: int = WIDTH) -> list[str]:
    """Wrap at `width`, never inside 'TW II' or between a date and its time."""
    glued = _KEEP_TOGETHER.sub("\u00a0", text)  # textwrap breaks at ASCII whitespace only
    lines = textwrap.wrap(
        glued,
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]
    return [line.replace("\u00a0", " ") for line in lines]


# --- the quarter view -----------------------------------------------------------------------------


def quarter_lines(engine: Engine, ref: Reference, periode: str) -> list[str]:
    """`triwulan status 2024-TW2`: files and verdicts, versions, FINAL events and mails."""
    period = parse_period(periode)
    _check_year(ref, period.tahun)
    label = period.label
    state = year_state(engine, ref, period.tahun)[period.triwulan - 1]
    with engine.connect() as conn:
        files = [
            dict(r)
            for r in conn.execute(
                select(kiriman)
                .where(kiriman.c.periode == label)
                .order_by(kiriman.c.pertama_dilihat, kiriman.c.id)
            ).mappings()
        ]
        verdicts = conn.execute(
            select(
                putusan.c.kiriman_id, runs.c.versi, putusan.c.status, putusan.c.masalah, runs.c.id
            )
            .join(runs, runs.c.id == putusan.c.run_id)
            .where(runs.c.periode == label)
            .order_by(runs.c.id)
        ).all()
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

    lines = [f"Riwayat {label} ({period.long}) — {ref.kecamatan_name}"]
    if not (state.runs or files or finals or mails):
        return [*lines, f"Belum ada run untuk {label}."]
    if state.latest:
        lines.append(
            f"Versi terakhir v{state.latest['versi']} ({state.report_text}); "
            f"pimpinan: {state.pimpinan}; data: {state.data_text}."
        )
    else:
        lines.append("Belum ada versi yang selesai.")
    lines += ["", *_file_lines(label, files, verdicts)]
    lines += ["", *_run_lines(label, state.runs, locked is not None)]
    lines += ["", *_final_lines(finals)]
    lines += ["", *_mail_lines(label, mails)]
    return lines


def _size(n: int | None) -> str:
    if n is None:
        return "ukuran ?"
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.1f} KB".replace(".", ",")


def _file_lines(label: str, files: list[dict[str, Any]], verdicts: list[Any]) -> list[str]:
    """Who sent which file when, and its verdict in every run that saw it."""
    if not files:
        return [f"Belum ada berkas masuk untuk {label}."]
    per_file: dict[int, list[str]] = {}
    for kid, versi, status, masalah, _run in verdicts:
        text = f"v{versi} {CELL_LABEL.get(status, status)}"
        if masalah:
            text += f" ({masalah} masalah)"
        per_file.setdefault(kid, []).append(text)
    unit_w = max(len(f["unit"] or "tanpa unit") for f in files)
    lines = [f"Berkas masuk ({len(files)}):"]
    for f in files:
        unit = f["unit"] or "tanpa unit"
        lines.append(f"  {waktu(f['pertama_dilihat'])}  {unit:<{unit_w}}  {f['nama_berkas']}")
        outcome = "; ".join(per_file.get(f["id"], [])) or "belum diputus"
        detail = f"{_size(f['ukuran'])}, sha256 {f['sha256'][:12]} — {outcome}"
        lines += _wrap(detail, " " * 6, " " * 6)
    return lines


def _run_lines(label: str, run_rows: list[dict[str, Any]], locked: bool) -> list[str]:
    """Every version and every run, with why it ran and what it gave."""
    if not run_rows:
        return [f"Belum ada run untuk {label}."]
    head = f"  {'Versi':<5}  {'Pemicu':<7}  {'Mulai':<16}  {'Selesai':<16}  {'Status':<15}  Diterima/ditolak/belum"
    lines = [f"Versi dan run ({len(run_rows)}):", head.rstrip()]
    for r in run_rows:
        status = RUN_LABEL.get(r["status"], r["status"])
        if r["status"] == "berjalan" and not locked:
            status = "terhenti"  # no lock held: the process that ran it is gone
        counts = (
            f"{r['diterima']}/{r['ditolak']}/{r['tidak_ada']}" if r["diterima"] is not None else "-"
        )
        lines.append(
            f"  {'v' + str(r['versi']):<5}  {r['pemicu'] or '-':<7}  {waktu(r['mulai']):<16}  "
            f"{waktu(r['selesai']):<16}  {status:<15}  {counts}".rstrip()
        )
        for name, value in (("sebab", r["sebab"]), ("pesan", r["pesan"]), ("folder", r["folder"])):
            if value:
                lines += _wrap(f"{name}: {value}", " " * 9, " " * 11)
    return lines


def _final_lines(finals: list[dict[str, Any]]) -> list[str]:
    if not finals:
        return ["Belum pernah ditetapkan FINAL."]
    lines = [f"FINAL dan pembukaan ({len(finals)}):"]
    for f in finals:
        what = "ditetapkan FINAL" if f["aksi"] == "final" else "dibuka kembali"
        text = f"{waktu(f['waktu'])}  v{f['versi']} {what} oleh {f['oleh']}"
        if f["alasan"]:
            text += f"; alasan: {f['alasan']}"
        lines += _wrap(text, "  ", " " * 20)
    return lines


def _mail_lines(label: str, mails: list[dict[str, Any]]) -> list[str]:
    """Who received which version when; failures with their error."""
    if not mails:
        return [f"Belum ada surat untuk {label}."]
    jenis_w = max(len("Jenis"), *(len(m["jenis"]) for m in mails))
    status_w = max(len(MAIL_LABEL.get(m["status"], m["status"])) for m in mails)
    indent = " " * (2 + 16 + 2 + jenis_w + 2 + 5 + 2 + status_w + 2)
    lines = [f"Surat ({len(mails)}):"]
    for m in mails:
        try:
            to = json.loads(m["penerima"] or "[]")
        except ValueError:
            to = [m["penerima"]]
        who = (
            ", ".join(str(t) for t in to)
            if to
            else "(tanpa daftar penerima: tercakup surat gabungan)"
        )
        versi = f"v{m['versi']}" if m["versi"] is not None else "-"
        status = MAIL_LABEL.get(m["status"], m["status"])
        first = (
            f"  {waktu(m['waktu'])}  {m['jenis']:<{jenis_w}}  {versi:<5}  {status:<{status_w}}  "
        )
        lines += _wrap(who, first, indent)
        if m["galat"]:
            lines += _wrap(f"galat: {m['galat']}", indent, indent + "  ")
        if m["message_id"]:
            lines += _wrap(f"Message-ID: {m['message_id']}", indent, indent + "  ")
    return lines
