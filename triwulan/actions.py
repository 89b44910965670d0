"""What people do with a quarter besides running it: preview, mark final, resend.

Each is a thin shell over tasks/: the same validation, figures and renderers as a run, and the
same delivery and ledger, so a preview shows exactly what a run would, and a resend is recorded.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine

from triwulan.paths import inbox_dir, out_dir, quarter_inbox, quarter_out
from triwulan.settings_check import require_valid_settings
from triwulan.tasks.check.attribution import attach_file_problems
from triwulan.tasks.check.iku import validate_received
from triwulan.tasks.collect.ingest import check_inbox, collect_without_keeping, find_submissions
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.period import WIB, Period, parse_period
from triwulan.tasks.core.reference import load_reference, plan_for_quarter
from triwulan.tasks.core.smtp_settings import SmtpConfig
from triwulan.tasks.measure import compute
from triwulan.tasks.measure.e81_form import pengesahan
from triwulan.tasks.measure.report_data import previous_version, read_e81, summarise_version
from triwulan.tasks.measure.summary import (
    counted_units,
    earlier_gaps,
    read_detail,
)
from triwulan.tasks.publish.version_files import write_version_files
from triwulan.tasks.record import database, store
from triwulan.tasks.record import runs as record
from triwulan.tasks.record.iku import load_iku, overlay_iku
from triwulan.tasks.record.lock import lock_wait_seconds, quarter_lock
from triwulan.tasks.record.mail import DbLedger
from triwulan.tasks.send.deliver import DeliveryResult, deliver, resend
from triwulan.tasks.send.mails import content_key, leadership_mail

KINDS = {"pimpinan": ("pimpinan",), "unit": ("unit",), "semua": ("pimpinan", "unit")}


# --- preview (--coba) ---------------------------------------------------------------------


def _read_only_engine(out: Path):  # type: ignore[no-untyped-def]
    """The store as it is, never written: a missing SQLite file reads as an empty store."""
    url = database.db_url(out)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            engine = create_engine("sqlite://")
            store.metadata.create_all(engine)
            return engine
        return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    return create_engine(url)


def overlay(stored: pd.DataFrame, accepted: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Stored rows with this quarter's rows of the accepted units replaced (what saving does)."""
    new = accepted.rename(columns={"_file": "nama_berkas", "_row": "baris"}).assign(
        tahun=period.tahun, triwulan=period.triwulan
    )
    keep = ~(
        (stored["tahun"] == period.tahun)
        & (stored["triwulan"] == period.triwulan)
        & stored["unit"].isin(set(new["unit"]))
    )
    frames = [
        f
        for f in (stored[keep], new[[c for c in new.columns if c in stored.columns]])
        if not f.empty
    ]
    combined = pd.concat(frames, ignore_index=True) if frames else stored
    return combined.astype({"realisasi_keuangan": "int64"}) if not combined.empty else combined


def preview(periode: str, inbox: Path | None, out: Path | None) -> tuple[Path, dict]:
    """Validate and render into a temporary folder: no database write, no version, no mail.

    Returns the folder and the summary, which the terminal shows like a real run's."""
    require_valid_settings()
    period = parse_period(periode)
    ref = load_reference(period.tahun)
    inbox_path, out_path = inbox_dir(inbox), out_dir(out)
    check_inbox(inbox_path)
    paths = find_submissions(quarter_inbox(inbox_path, period.tahun, period.triwulan))
    if not paths:
        raise TriwulanError(f"Belum ada berkas masuk untuk {period.label}.")
    engine = _read_only_engine(out_path)
    received = collect_without_keeping(paths)
    earlier = store.earlier_figures(engine, period.tahun, period.triwulan)
    validation, iku = validate_received(received, ref, period, earlier)
    validation, unattached = attach_file_problems(validation, received.file_problems, ref.units)
    sources = store.stored_sources(engine, period.tahun, period.triwulan)
    counted, earlier_data = counted_units(validation.status, sources)
    accepted = [u for u, s in validation.status.items() if s == "accepted"]
    rows = overlay(
        store.load_realisasi(engine, period.tahun, period.triwulan), validation.accepted, period
    )
    names = ref.unit_names
    detail = compute.quarter_detail(
        plan_for_quarter(ref, period.triwulan), rows, counted, period.triwulan, names, ref.predikat
    )
    have = pd.concat(
        [
            store.quarters_with_data(engine, period.tahun),
            pd.DataFrame({"triwulan": period.triwulan, "unit": accepted}),
        ],
        ignore_index=True,
    )
    last = record.last_report(engine, period.label) if _has_runs(engine) else None
    units = {u for u, _ in iku.sent if validation.status.get(u) != "rejected"}
    summary, extras = summarise_version(
        ref,
        period,
        record.max_version(engine, period.label) + 1 if _has_runs(engine) else 1,
        validation,
        unattached,
        detail,
        earlier_data,
        earlier_gaps(have, counted, period.triwulan, names),
        rows,
        overlay_iku(load_iku(engine, period.tahun, period.triwulan), iku, units, period),
        counted,
        previous_version(last["folder"]) if last else None,
    )
    summary["status_laporan"] = "PRATINJAU"
    engine.dispose()
    folder = Path(tempfile.mkdtemp(prefix=f"triwulan-coba-{period.label}-"))
    write_version_files(folder, summary, detail, ref.predikat, e81=extras.e81)
    return folder, summary


def _has_runs(engine) -> bool:  # type: ignore[no-untyped-def]
    try:
        record.max_version(engine, "-")
    except Exception:  # an old store without the record tables
        return False
    return True


# --- final ----------------------------------------------------------------------------------

GAP_WORDS = {"missing": "belum mengirim", "rejected": "berkas ditolak"}


def interactive() -> bool:
    """Someone at a terminal can answer a question (stdin is a TTY; not in cron or a pipe)."""
    return sys.stdin is not None and sys.stdin.isatty()


def _chosen_version(engine, period: Period, versi: int | None) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """The finished version `final` works on (the given one, else the latest) and its summary."""
    chosen = (
        record.report_of_version(engine, period.label, versi)
        if versi is not None
        else record.last_report(engine, period.label)
    )
    if chosen is None:
        which = f"versi {versi}" if versi is not None else "versi yang selesai"
        raise TriwulanError(
            f"{period.label} belum punya {which}; lihat: triwulan status {period.label}"
        )
    path = Path(chosen["folder"]) / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TriwulanError(
            f"Ringkasan {period.label} versi {chosen['versi']} ({path}) tidak dapat dibaca; "
            "folder versi itu dipindah atau dihapus?"
        ) from exc
    return chosen, summary


def final_gaps(engine, periode: str, versi: int | None) -> tuple[int, list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    """The version `final` would mark, and its units (name, status) missing or rejected there."""
    chosen, summary = _chosen_version(engine, parse_period(periode), versi)
    gaps = [
        (str(unit["nama"]), str(unit["status"]))
        for unit in summary.get("units", [])
        if unit.get("status") in GAP_WORDS
    ]
    return int(chosen["versi"]), gaps


def finalize(
    engine,
    out: Path,
    periode: str,
    versi: int | None,
    smtp: SmtpConfig | None,  # type: ignore[no-untyped-def]
) -> tuple[Path, list[DeliveryResult]]:
    """Mark one version final: FINAL reports beside it, recorded, and sent to leadership."""
    period = parse_period(periode)
    ref = load_reference(period.tahun)
    with quarter_lock(engine, period.label, lock_wait_seconds()):
        chosen, summary = _chosen_version(engine, period, versi)
        source = Path(chosen["folder"])
        detail = read_detail(source)
        summary["status_laporan"] = "FINAL"
        # signed by whoever holds the office when it is made final, not when it was drafted
        summary["pengesahan"] = pengesahan(ref)
        summary["tanggal_pengesahan"] = datetime.now(WIB).date().isoformat()
        folder = source / "final"
        attachments = write_version_files(
            folder, summary, detail, ref.predikat, e81=read_e81(source)
        )
        record.mark(engine, period.label, int(chosen["versi"]), "final")
        mail = leadership_mail(ref, period, summary, attachments, detail)
        mail = dataclasses.replace(
            mail, key=f"{period.label}/final/{content_key([int(chosen['versi']), mail.key])}"
        )
        ledger = DbLedger(
            engine,
            period.label,
            source.parent / "terkirim.json",
            versi=int(chosen["versi"]),
            run_id=None,
        )
        results = deliver([mail], folder / "outbox", smtp, ledger=ledger)
    return folder, results


# --- kirim-ulang ------------------------------------------------------------------------------


def resend_latest(
    engine,
    out: Path,
    periode: str,
    ke: str,
    smtp: SmtpConfig | None,  # type: ignore[no-untyped-def]
) -> tuple[int, list[DeliveryResult]]:
    """The latest version's archived mails, sent again on purpose and recorded."""
    require_valid_settings()
    period = parse_period(periode)
    if ke not in KINDS:
        raise TriwulanError(f"--ke '{ke}' tidak dikenal; pilih pimpinan, unit atau semua.")
    if smtp is None:
        raise TriwulanError(
            "Server SMTP belum diatur (TRIWULAN_SMTP_HOST): email tidak dapat dikirim ulang."
        )
    with quarter_lock(engine, period.label, lock_wait_seconds()):
        last = record.last_report(engine, period.label)
        if last is None:
            raise TriwulanError(
                f"{period.label} belum punya versi yang selesai untuk dikirim ulang."
            )
        outbox = Path(last["folder"]) / "outbox"
        wanted = [
            p
            for p in sorted(outbox.glob("*.eml"))
            if any(p.name.startswith(f"{period.label}_{k}_") for k in KINDS[ke])
        ]
        if not wanted:
            raise TriwulanError(f"Tidak ada email {ke} di {outbox} untuk dikirim ulang.")
        ledger = DbLedger(
            engine,
            period.label,
            quarter_out(out, period.tahun, period.triwulan) / "terkirim.json",
            versi=int(last["versi"]),
            run_id=None,
        )
        return int(last["versi"]), resend(wanted, smtp, ledger)
