"""Mails around the deadline: reminders to units and the secretariat's list.

Pure builders: who is reminded, what each mail says and its ledger key. No database, no inbox,
no sending (triwulan/reminders.py and the quarterly flow do that). Every key is derived from what
the mail says, never from the time or from attachment bytes (a generated xlsx carries its own
timestamps), so a rerun that would say the same thing sends nothing.

Cut by mail kind: the acknowledgement of an accepted file is in tasks/send/acknowledgement.py, the parts
every notice shares (addresses, sign-off, problem rows, HTML) in tasks/send/notice_parts.py. Their
public names stay importable from here, where the flows and reminders import them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.tasks.check.columns import ColumnLabels, labelled, reference_labels
from triwulan.tasks.collect.tables import column_letter
from triwulan.tasks.core.fmt import WIB, problem_line, tanggal
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference
from triwulan.tasks.core.schedule import Schedule
from triwulan.tasks.core.submission import input_columns
from triwulan.tasks.measure.summary import problem_records
from triwulan.tasks.publish.report import capped, more_line, split_problems
from triwulan.tasks.send.deliver import Mail
from triwulan.tasks.send.mails import content_key
from triwulan.tasks.send.notice_parts import addresses, problem_item, render_html, sign_off

REMINDER_PROBLEMS = 10  # errors listed in a reminder; the feedback mail has them all
SECRETARIAT_FILES = 10  # unattributed inbox files listed in the secretariat's mail
_FILL_PREFIX = re.compile(r"^DIISI UNIT(?:\s*\(([^)]*)\))?\s*:\s*", re.IGNORECASE)


def labelled_item(problem: Mapping[str, Any], labels: ColumnLabels) -> dict[str, str]:
    """problem_item with the column as the unit finds it in the template, not its key."""
    return problem_item(problem) | {"kolom": labels.text(problem.get("column")) or "-"}


# --- the deadline -------------------------------------------------------------------------------


def deadline(period: Period, when: Schedule) -> dt.datetime:
    """Day `when.day` of the month after the quarter, at the configured time, in WIB."""
    year, month = (
        (period.tahun + 1, 1) if period.triwulan == 4 else (period.tahun, period.triwulan * 3 + 1)
    )
    return dt.datetime(year, month, when.day, when.hour, when.minute, tzinfo=WIB)


def deadline_text(moment: dt.datetime) -> str:
    """'10 April 2025 pukul 08.00 WIB'."""
    local = moment.astimezone(WIB)
    return f"{tanggal(local.date())} pukul {local:%H.%M} WIB"


# --- who is reminded -------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitState:
    """Where one unit stands for the quarter.

    `status`: "accepted" (stored by a run, or a file in the inbox that passes the checks now),
    "rejected" (a file in the inbox that does not pass) or "missing" (nothing). Every unit that is
    not accepted is reminded.
    """

    unit: str
    nama: str
    status: str
    to: tuple[str, ...] = ()
    file: str | None = None
    stored: bool = False  # accepted rows are in the store (else: only the inbox file passes)
    problems: tuple[dict[str, Any], ...] = field(default=(), compare=False)

    @property
    def reminded(self) -> bool:
        return self.status != "accepted"

    @property
    def errors(self) -> list[dict[str, Any]]:
        return split_problems(self.problems)[0]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return split_problems(self.problems)[1]


def unit_states(
    ref: Reference,
    stored: Mapping[str, Mapping[str, object]],
    checked: Mapping[str, str],
    files: Mapping[str, str],
    problems: pd.DataFrame | None = None,
    units: Iterable[str] | None = None,
) -> list[UnitState]:
    """Each unit's state, in reference order.

    stored: store.stored_sources (accepted rows of this quarter); checked/files/problems: the
    inbox as validated now (Validation.status/.files/.problems after attach_file_problems).
    `units` limits the list to the units that must report this quarter (default: all).
    """
    wanted = set(units) if units is not None else None
    states = []
    for unit, nama, email in zip(
        ref.units["unit"], ref.units["nama"], ref.units["email"], strict=True
    ):
        if wanted is not None and unit not in wanted:
            continue
        to = tuple(addresses(email))
        if unit in stored:
            states.append(
                UnitState(unit, nama, "accepted", to, _text(stored[unit].get("file")), True)
            )
            continue
        verdict = checked.get(unit)
        if verdict not in ("accepted", "rejected"):
            states.append(UnitState(unit, nama, "missing", to))
            continue
        own = (
            problem_records(problems[problems["unit"] == unit])
            if problems is not None and not problems.empty
            else []
        )
        states.append(UnitState(unit, nama, verdict, to, _text(files.get(unit)), False, tuple(own)))
    return states


def _text(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


# --- the reminder to a unit ---------------------------------------------------------------------


def fill_columns(ref: Reference) -> list[dict[str, str]]:
    """The columns a unit fills in: key, letter in the template, title and what to write.

    From kolom_pengajuan.csv; a mail shows the letter and the title, the key stays data.
    """
    rows = ref.kolom.set_index("kolom")
    letters = {str(k): column_letter(i) for i, k in enumerate(ref.kolom["kolom"])}
    out = []
    for name in input_columns(ref):
        explanation = str(rows.at[name, "penjelasan"])
        match = _FILL_PREFIX.match(explanation)
        optional = bool(match and match.group(1) and "kosong" in match.group(1).lower())
        out.append(
            {
                "kolom": name,
                "letak": letters[name],
                "judul": str(rows.at[name, "judul"]) + (" (boleh kosong)" if optional else ""),
                "penjelasan": explanation[match.end() :] if match else explanation,
            }
        )
    return out


def reminder_mail(
    ref: Reference,
    period: Period,
    state: UnitState,
    *,
    due: dt.datetime,
    late: bool,
    send_to: Sequence[str],
    attachment: Path | None,
) -> Mail:
    """The reminder to one unit without an accepted file, its pre-filled template attached.

    `send_to`: where the unit sends its file (the secretariat). `late`: the deadline has passed
    (a manual run after it), which the mail says instead of counting down.
    """
    errors, more = capped(state.errors, REMINDER_PROBLEMS)
    labels = reference_labels(ref)
    context = {
        "unit_name": state.nama,
        "period_long": period.long,
        "period_short": f"{period.roman} {period.tahun}",
        "rejected": state.status == "rejected",
        "file": state.file,
        "errors": [labelled_item(p, labels) for p in errors],
        "error_count": len(state.errors),
        "errors_more": more_line(more, "kesalahan"),
        "warning_count": len(state.warnings),
        "due": deadline_text(due),
        "late": late,
        "send_to": list(send_to),
        "columns": fill_columns(ref),
        "attachment": attachment.name if attachment else None,
        "sign_off": sign_off(ref),
    }
    facts = {k: v for k, v in context.items() if k != "sign_off"} | {"unit": state.unit}
    if late:
        subject = f"Batas pengiriman sudah lewat: laporan realisasi {period.roman} {period.tahun} — {state.nama}"
    elif state.status == "rejected":
        subject = f"Pengingat: berkas {period.roman} {period.tahun} {state.nama} belum dapat diterima, batas {context['due']}"
    else:
        subject = f"Pengingat: laporan realisasi {period.roman} {period.tahun} {state.nama}, batas {context['due']}"
    return Mail(
        key=f"{period.label}/pengingat/{state.unit}/{content_key(facts)}",
        to=list(state.to),
        cc=[],
        subject=subject,
        html=render_html("pengingat.html.j2", context),
        text=_reminder_text(context),
        attachments=[attachment] if attachment else [],
    )


def _where(send_to: Sequence[str]) -> str:
    return ", ".join(send_to) if send_to else "sekretariat kecamatan"


def _reminder_text(c: Mapping[str, Any]) -> str:
    lines = [f"Yth. Bapak/Ibu pengelola laporan {c['unit_name']},", ""]
    if c["rejected"]:
        lines.append(
            f"Berkas {c['file'] or 'yang dikirim'} untuk laporan realisasi fisik dan keuangan "
            f"{c['period_long']} belum dapat kami terima karena ada {c['error_count']} kesalahan. "
            "Rincian lengkapnya ada pada email umpan balik dari sekretariat. Kesalahan yang harus "
            "diperbaiki:"
        )
        lines += [f"- baris {e['baris']}, kolom {e['kolom']}: {e['pesan']}" for e in c["errors"]]
        if c["errors_more"]:
            lines.append(c["errors_more"])
        if c["warning_count"]:
            lines.append(
                f"Selain itu ada {c['warning_count']} peringatan (tidak menyebabkan penolakan)."
            )
    else:
        lines.append(
            "Sampai saat ini kami belum menerima laporan realisasi fisik dan keuangan "
            f"{c['period_long']} dari {c['unit_name']}."
        )
    lines.append("")
    if c["late"]:
        lines.append(
            f"Batas pengiriman ({c['due']}) sudah lewat. Mohon kirim berkas secepatnya agar masih "
            "dapat dimasukkan ke laporan."
        )
    else:
        lines.append(f"Batas pengiriman: {c['due']}.")
    lines += ["", "Cara mengirim:"]
    if c["attachment"]:
        how = f"Buka berkas isian terlampir ({c['attachment']}); daftar sub kegiatan sudah terisi."
        if c["rejected"]:
            how += " Boleh juga memperbaiki berkas yang sudah dikirim."
        lines.append(f"1. {how}")
    else:
        lines.append("1. Siapkan berkas isian realisasi unit Bapak/Ibu.")
    lines.append("2. Isi hanya kolom berwarna kuning:")
    lines += [
        f"   - Kolom {col['letak']} — {col['judul']}: {col['penjelasan']}" for col in c["columns"]
    ]
    lines.append(
        f"3. Kirim berkas lengkap (.xlsx) sebagai lampiran email ke {_where(c['send_to'])}."
    )
    lines += [
        "",
        "Petunjuk lengkap ada di sheet 'petunjuk' dalam berkas. Bila berkas sudah dikirim dalam "
        "beberapa hari terakhir, mohon abaikan email ini.",
        "",
        "Hormat kami,",
        c["sign_off"],
    ]
    return "\n".join(lines) + "\n"


# --- the secretariat's list ---------------------------------------------------------------------


def secretariat_mail(
    ref: Reference,
    period: Period,
    states: Sequence[UnitState],
    *,
    due: dt.datetime,
    late: bool,
    to: Sequence[str],
    unattributed: Sequence[Mapping[str, str]] = (),
) -> Mail:
    """One mail to the secretariat: per unit, missing, rejected or accepted, and who was reminded.

    `unattributed`: inbox files no unit could be found for ({"file", "message"}): someone sent
    them, and only the secretariat can tell who.
    """
    labels = reference_labels(ref)
    rows = [_secretariat_row(s, labels) for s in states]
    counts = {
        k: sum(1 for s in states if s.status == k) for k in ("missing", "rejected", "accepted")
    }
    files, more = capped(
        [{"file": str(u["file"]), "message": str(u["message"])} for u in unattributed],
        SECRETARIAT_FILES,
    )
    context = {
        "kecamatan": ref.kecamatan_name,
        "period_long": period.long,
        "period_short": f"{period.roman} {period.tahun}",
        "due": deadline_text(due),
        "late": late,
        "counts": counts,
        "groups": [
            {"title": title, "status": key, "rows": [r for r in rows if r["status"] == key]}
            for key, title in (
                ("missing", "Belum mengirim"),
                ("rejected", "Berkas ditolak"),
                ("accepted", "Sudah diterima"),
            )
        ],
        "unattributed": files,
        "unattributed_more": more_line(more, "berkas"),
        "closing": (
            "Pengingat beserta berkas isian dikirim ke setiap unit di atas yang belum mengirim "
            "atau berkasnya ditolak, ke alamat yang tertulis. Berkas yang masuk mohon disimpan "
            "di folder inbox triwulan ini."
            if counts["missing"] + counts["rejected"]
            else "Tidak ada unit yang perlu diingatkan."
        ),
    }
    reminded = counts["missing"] + counts["rejected"]
    subject = (
        f"Pengingat {period.roman} {period.tahun}: {counts['missing']} unit belum mengirim, "
        f"{counts['rejected']} ditolak — {ref.kecamatan_name}"
        if reminded
        else f"Pengingat {period.roman} {period.tahun}: semua unit sudah diterima — {ref.kecamatan_name}"
    )
    return Mail(
        key=f"{period.label}/pengingat-sekretariat/{content_key(context)}",
        to=list(to),
        cc=[],
        subject=subject,
        html=render_html("sekretariat.html.j2", context),
        text=_secretariat_text(context),
        attachments=[],
    )


def _secretariat_row(state: UnitState, labels: ColumnLabels) -> dict[str, Any]:
    if state.status == "accepted":
        note = (
            f"berkas {state.file or '-'} sudah diolah"
            if state.stored
            else f"berkas {state.file or '-'} ada di inbox dan lolos pemeriksaan; belum diolah run laporan"
        )
    elif state.status == "rejected":
        errors = state.errors
        note = f"berkas {state.file or '-'} ditolak"
        if errors:
            note += f": {len(errors)} kesalahan, antara lain {problem_line(labelled(errors[0], labels))}"
    else:
        note = "belum ada berkas"
    if state.reminded:
        note += (
            f"; pengingat ke {', '.join(state.to)}"
            if state.to
            else "; TIDAK ADA alamat email yang sah di data referensi, mohon dihubungi langsung"
        )
    return {"nama": state.nama, "unit": state.unit, "status": state.status, "note": note}


def _secretariat_text(c: Mapping[str, Any]) -> str:
    lines = [
        f"Keadaan berkas laporan realisasi {c['period_long']} {c['kecamatan']} saat pengingat "
        f"dibuat. Batas pengiriman: {c['due']}" + (" (sudah lewat)." if c["late"] else "."),
        "",
    ]
    for group in c["groups"]:
        lines.append(f"{group['title'].upper()} ({len(group['rows'])})")
        lines += [f"- {r['nama']}: {r['note']}" for r in group["rows"]] or ["- tidak ada"]
        lines.append("")
    if c["unattributed"]:
        lines.append("BERKAS DI INBOX TANPA UNIT YANG DIKENALI")
        lines += [f"- {u['file']}: {u['message']}" for u in c["unattributed"]]
        if c["unattributed_more"]:
            lines.append(c["unattributed_more"])
        lines.append("")
    lines.append(c["closing"])
    return "\n".join(lines) + "\n"
