"""Read-only views of the record: a year at a glance and the history of one quarter.

Behind `triwulan status 2024` and `triwulan status 2024-TW2`. Nothing here writes and nothing here
queries: the rows and the rules that read them (what a cell, 'basi' or 'pimpinan: sudah' means)
are in triwulan/status_data.py (year_state stays importable from here); this module lays them
out as text lines for a terminal.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Engine

from triwulan.status_data import CELL_LABEL, QuarterState, check_year, quarter_history, year_state
from triwulan.tasks.core.fmt import WIB
from triwulan.tasks.core.period import Period, parse_period
from triwulan.tasks.core.reference import Reference
from triwulan.tasks.record.mail import unconfirmed_leadership, unconfirmed_line
from triwulan.tasks.record.portal import uploads as portal_uploads

WIDTH = 96  # fits a 100-column terminal with room to spare

RUN_LABEL = {"tanpa_perubahan": "tanpa perubahan", "dibatalkan": "dibatalkan"}
MAIL_LABEL = {"unknown": "tak pasti"}


def waktu(value: dt.datetime | None) -> str:
    """'30-11-2026 08.15' in WIB; naive values are UTC (SQLite keeps no offset; we write UTC)."""
    if value is None:
        return "-"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(WIB).strftime("%d-%m-%Y %H.%M")


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
    unconfirmed = [
        line
        for s in states
        for r in unconfirmed_leadership(engine, s.period.label)
        for line in _wrap(unconfirmed_line(s.period.label, r), "", "  ")
    ]
    lines += ["", *unconfirmed, *_year_notes(states, ref)]
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
        if last and last["status"] in ("gagal", "terhenti", "dibatalkan"):
            reason = f": {last['pesan']}" if last.get("pesan") else ""
            word = "gagal" if last["status"] == "gagal" else last["status"]
            notes.append(
                f"{label}: run terakhir (v{last['versi']}, {waktu(last['mulai'])}) {word}{reason}."
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
    check_year(ref, period.tahun)
    label = period.label
    state = year_state(engine, ref, period.tahun)[period.triwulan - 1]
    history = quarter_history(engine, label)
    lines = [f"Riwayat {label} ({period.long}) — {ref.kecamatan_name}"]
    if not (state.runs or history.files or history.finals or history.mails):
        return [*lines, f"Belum ada run untuk {label}."]
    if state.latest:
        lines.append(
            f"Versi terakhir v{state.latest['versi']} ({state.report_text}); "
            f"pimpinan: {state.pimpinan}; data: {state.data_text}."
        )
    else:
        lines.append("Belum ada versi yang selesai.")
    lines += [
        line
        for row in unconfirmed_leadership(engine, label)
        for line in _wrap(unconfirmed_line(label, row), "", "  ")
    ]
    uploads = {
        u["sha256"]: u for u in portal_uploads(engine, period.tahun) if u["periode"] == label
    }
    lines += ["", *_file_lines(label, history.files, history.verdicts, uploads)]
    lines += ["", *_run_lines(label, state.runs, history.locked)]
    lines += ["", *_final_lines(history.finals)]
    lines += ["", *_mail_lines(label, history.mails)]
    return lines


def _size(n: int | None) -> str:
    if n is None:
        return "ukuran ?"
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.1f} KB".replace(".", ",")


def _file_lines(
    label: str,
    files: list[dict[str, Any]],
    verdicts: list[Any],
    uploads: dict[str, dict[str, Any]] | None = None,
) -> list[str]:
    """Who sent which file when, and its verdict in every run that saw it; a file that came
    through the portal names the upload (the unit's code, the time, the name it had)."""
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
        upload = (uploads or {}).get(f["sha256"])
        if upload is not None:
            via = (
                f"diunggah lewat portal ({upload['jalur']}) oleh kode akses unit {upload['unit']} "
                f"pada {waktu(upload['waktu'])} sebagai '{upload['nama_berkas']}'"
            )
            lines += _wrap(via, " " * 6, " " * 6)
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
