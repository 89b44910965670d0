"""Reminding units before the deadline (`triwulan ingatkan`, flow `deadline-reminder`).

Read-only towards the quarter: the inbox is validated as a preview does (no raw store, no
version, no stored rows); only the mail ledger and the outbox are written. A unit is reminded
while it has no accepted file: none stored by a run and none in the inbox that passes now.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from triwulan.config import apply_config
from triwulan.paths import inbox_dir, out_dir, quarter_inbox, quarter_out
from triwulan.settings_check import require_valid_settings
from triwulan.tasks.check.attribution import attach_file_problems
from triwulan.tasks.check.iku import validate_received
from triwulan.tasks.check.validate import Validation
from triwulan.tasks.collect.ingest import check_inbox, collect_without_keeping, find_submissions
from triwulan.tasks.collect.template import default_filename, write_template
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.period import Period, period_for_run, wib_now
from triwulan.tasks.core.reference import Reference, load_reference, plan_for_quarter
from triwulan.tasks.core.schedule import schedule
from triwulan.tasks.core.smtp_settings import SmtpConfig
from triwulan.tasks.record import runs as record
from triwulan.tasks.record import store
from triwulan.tasks.record.lock import lock_wait_seconds, quarter_lock
from triwulan.tasks.record.mail import DbLedger
from triwulan.tasks.send.deliver import DeliveryResult, Mail, deliver
from triwulan.tasks.send.mails import secretariat_address
from triwulan.tasks.send.notices import (
    UnitState,
    deadline,
    deadline_text,
    reminder_mail,
    secretariat_mail,
    unit_states,
)
from triwulan.tasks.setup import check_writable, open_database

STATUS_WORDS = {
    "terkirim": "terkirim",
    "disimpan": "disimpan sebagai .eml (SMTP belum diatur)",
    "gagal": "GAGAL",
    "sudah_terkirim": "sudah terkirim sebelumnya",
    "unknown": "TIDAK PASTI (periksa kotak masuk penerima)",
}
STATE_WORDS = {"missing": "belum mengirim", "rejected": "berkas ditolak", "accepted": "diterima"}
SKIPPED = ("sudah_terkirim", "unknown")  # deliver() did not write a new .eml for these


@dataclass(frozen=True)
class ReminderOutcome:
    """What one reminder round did; `lines` is what the command prints."""

    period: Period
    due: dt.datetime
    late: bool
    states: list[UnitState]
    results: list[DeliveryResult]
    secretariat: list[str]
    outbox: Path | None

    @property
    def failed(self) -> list[DeliveryResult]:
        return [r for r in self.results if r.status == "gagal"]

    def result_of(self, kind: str, unit: str | None = None) -> DeliveryResult | None:
        prefix = f"{self.period.label}/{kind}/" + (f"{unit}/" if unit else "")
        return next((r for r in self.results if r.key.startswith(prefix)), None)

    @property
    def lines(self) -> list[str]:
        counts = {k: sum(1 for s in self.states if s.status == k) for k in STATE_WORDS}
        lines = [
            f"Pengingat {self.period.label}: batas pengiriman {deadline_text(self.due)}"
            + (" (SUDAH LEWAT)." if self.late else "."),
            f"  Diterima {counts['accepted']}, ditolak {counts['rejected']}, belum mengirim "
            f"{counts['missing']} (dari {len(self.states)} unit).",
        ]
        reminded = [s for s in self.states if s.reminded]
        if not reminded:
            lines.append("  Semua unit sudah punya berkas yang diterima: tidak ada pengingat.")
        for state in reminded:
            what = STATE_WORDS[state.status] + (f": {state.file}" if state.file else "")
            result = self.result_of("pengingat", state.unit)
            if not state.to:
                said = "TIDAK DIKIRIM: tidak ada alamat email yang sah di data referensi"
            elif result is None:
                said = "tidak dikirim"
            else:
                said = f"pengingat {STATUS_WORDS.get(result.status, result.status)}"
                said += f" ke {', '.join(state.to)}" if result.status != "sudah_terkirim" else ""
                said += f": {result.error}" if result.error else ""
            lines.append(f"  - {state.nama} ({what}): {said}")
        lead = self.result_of("pengingat-sekretariat")
        if not self.secretariat:
            lines.append(
                "  Sekretariat: TIDAK DIKIRIM (alamat tidak diketahui; isi TRIWULAN_SEKRETARIAT "
                "atau email unit kecamatan di data referensi)."
            )
        elif lead is not None:
            note = f": {lead.error}" if lead.error else ""
            lines.append(
                f"  Sekretariat ({', '.join(self.secretariat)}): daftar "
                f"{STATUS_WORDS.get(lead.status, lead.status)}{note}"
            )
        if self.outbox is not None:
            lines.append(f"  Salinan email dan berkas isian: {self.outbox}")
        if self.failed:
            lines.append(
                f"  {len(self.failed)} email GAGAL dikirim; jalankan ulang perintah ini setelah "
                "server email pulih (yang sudah terkirim tidak dikirim lagi)."
            )
        return lines

    def as_dict(self) -> dict[str, Any]:
        """JSON-able, for the flow's return value."""
        return {
            "period": self.period.label,
            "deadline": self.due.isoformat(),
            "late": self.late,
            "units": [
                {"unit": s.unit, "status": s.status, "file": s.file, "to": list(s.to)}
                for s in self.states
            ],
            "delivery": [
                {"key": r.key, "status": r.status, "eml": str(r.eml), "error": r.error}
                for r in self.results
            ],
            "outbox": str(self.outbox) if self.outbox else None,
            "lines": self.lines,
        }


def remind(
    periode: str | None,
    inbox: Path | None,
    out: Path | None,
    *,
    scheduled: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> ReminderOutcome:
    """Remind every unit without an accepted file, and tell the secretariat who is where.

    Without a periode the quarter is the one that ended before `scheduled` (a scheduled run's
    start), else before the clock: a reminder on 7 April is about TW I. `now` decides whether
    the deadline has passed (default: `scheduled`, else the clock), so a retried scheduled run
    says exactly what its first attempt said and sends nothing twice.
    """
    apply_config()
    require_valid_settings()
    period = period_for_run(periode, scheduled)
    due = deadline(period, schedule())
    moment = now or scheduled or wib_now()
    late = moment >= due
    ref = load_reference(period.tahun)
    inbox_path, out_path = inbox_dir(inbox), out_dir(out)
    check_inbox(inbox_path)  # a wrong inbox path must not remind every unit
    check_writable(out_path, "Folder hasil")
    smtp = SmtpConfig.from_env()
    engine = open_database(out_path)
    try:
        refuse_final(engine, period)
        with quarter_lock(engine, f"{period.label}+pengingat", lock_wait_seconds()):
            return _remind(engine, ref, period, inbox_path, out_path, smtp, due, late)
    finally:
        engine.dispose()


class QuarterIsFinal(TriwulanError):
    """A reminder for a FINAL quarter: refused on the command line, a note in a scheduled run."""


def refuse_final(engine: Engine, period: Period) -> None:
    """A FINAL quarter is closed: reminding units to send files for it would mislead them."""
    fixed = record.current_final(engine, period.label)
    if fixed is None:
        return
    raise QuarterIsFinal(
        f"{record.final_text(period.label, fixed)}: pengingat tidak dikirim, karena berkas baru "
        "tidak lagi mengubah "
        f"laporannya. Bila triwulan itu memang dibuka lagi: triwulan run {period.label} "
        '--buka-final "alasan", lalu ingatkan lagi.'
    )


def _remind(
    engine: Engine,
    ref: Reference,
    period: Period,
    inbox_path: Path,
    out_path: Path,
    smtp: SmtpConfig | None,
    due: dt.datetime,
    late: bool,
) -> ReminderOutcome:
    validation, unattributed = inbox_now(engine, ref, period, inbox_path)
    states = unit_states(
        ref,
        store.stored_sources(engine, period.tahun, period.triwulan),
        validation.status,
        validation.files,
        validation.problems,
        units=expected_units(ref, period),
    )
    to_secretariat = secretariat_address(ref)
    quarter = quarter_out(out_path, period.tahun, period.triwulan)
    outbox = fresh_folder(quarter / "pengingat")
    mails: list[Mail] = []
    for state in states:
        if not state.reminded or not state.to:
            continue
        attachment = write_template(
            ref,
            period,
            state.unit,
            outbox / "lampiran" / default_filename(period, state.unit),
            "xlsx",
        )
        mails.append(
            reminder_mail(
                ref,
                period,
                state,
                due=due,
                late=late,
                send_to=to_secretariat,
                attachment=attachment,
            )
        )
    if to_secretariat:
        mails.append(
            secretariat_mail(
                ref,
                period,
                states,
                due=due,
                late=late,
                to=to_secretariat,
                unattributed=[{"file": p.file, "message": p.message} for p in unattributed],
            )
        )
    ledger = DbLedger(engine, period.label, quarter / "terkirim.json", versi=None, run_id=None)
    results = deliver(mails, outbox, smtp, ledger=ledger) if mails else []
    kept = _tidy(outbox, mails, results)
    return ReminderOutcome(period, due, late, states, results, to_secretariat, kept)


def inbox_now(
    engine: Engine, ref: Reference, period: Period, inbox_path: Path
) -> tuple[Validation, list[Any]]:
    """The quarter inbox validated as a run would, without keeping a byte (as `run --coba`)."""
    paths = find_submissions(quarter_inbox(inbox_path, period.tahun, period.triwulan))
    received = collect_without_keeping(paths)
    earlier = store.earlier_figures(engine, period.tahun, period.triwulan)
    validation, _ = validate_received(received, ref, period, earlier)
    return attach_file_problems(validation, received.file_problems, ref.units)


def expected_units(ref: Reference, period: Period) -> list[str]:
    """Units with sub-kegiatan this quarter: a unit with none has nothing to report."""
    planned = set(plan_for_quarter(ref, period.triwulan)["unit"])
    return [u for u in ref.units["unit"] if u in planned]


def fresh_folder(parent: Path) -> Path:
    """A new folder per round, named by the clock (not by `now`: a retry gets its own)."""
    stamp = wib_now().strftime("%Y%m%d-%H%M%S")
    parent.mkdir(parents=True, exist_ok=True)
    for number in range(1, 1000):
        folder = parent / (stamp if number == 1 else f"{stamp}-{number}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise TriwulanError(f"Folder pengingat baru tidak dapat dibuat di {parent}.")


def _tidy(outbox: Path, mails: list[Mail], results: list[DeliveryResult]) -> Path | None:
    """Drop the templates of mails that were not written again; no empty folder per rerun."""
    skipped = {r.key for r in results if r.status in SKIPPED}
    for mail in mails:
        if mail.key in skipped:
            for path in mail.attachments:
                path.unlink(missing_ok=True)
    if not outbox.exists():
        return None
    if not any(outbox.glob("*.eml")):
        shutil.rmtree(outbox, ignore_errors=True)
        with contextlib.suppress(OSError):
            outbox.parent.rmdir()  # only when no earlier round left anything there
        return None
    return outbox
