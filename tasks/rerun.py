"""An unchanged rerun, told before Prefect starts: nothing new to report, pending mails sent.

The full fingerprint (tasks.record.fingerprint) needs the files read and validated. Most reruns change
nothing, so the CLI first compares a cheaper one over the same things as they lie: each inbox
entry by name and content, the stored data of the year, the reference data and rules, the limits
and thresholds, the program version. Equal to the one the last version recorded means the run
would find exactly what it found then; it is answered here, in seconds, without Prefect. Any
difference (or none recorded) goes through the flow, whose full fingerprint decides as before.

Nothing here imports Prefect or Great Expectations.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from triwulan.paths import reference_dir, reference_root
from triwulan.tasks.core import files
from triwulan.tasks.core.limits import Limits, load_limits
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.quarter import Quarter
from triwulan.tasks.core.reference import SHARED_REFERENCE
from triwulan.tasks.measure.early_warning import load_thresholds
from triwulan.tasks.record import fingerprint
from triwulan.tasks.record import runs as record
from triwulan.tasks.record.fingerprint import folder_digest, program_version
from triwulan.tasks.record.lock import outcome_of
from triwulan.tasks.record.mail import DbLedger, unconfirmed_leadership
from triwulan.tasks.send.deliver import DeliveryResult, resend


def reference_digest(period: Period) -> str:
    """The reference data of the year, the shared reference files and the GX suites."""
    from triwulan.tasks.check.iku import IKU_SUITE_PATH
    from triwulan.tasks.check.suite import SUITE_PATH

    return folder_digest(
        [
            reference_dir(period.tahun),
            *(reference_root() / n for n in SHARED_REFERENCE),
            SUITE_PATH,
            IKU_SUITE_PATH,
        ]
    )


def settings_values() -> dict[str, Any]:
    """The limits and early-warning thresholds as read: they change what a report says."""
    return {**asdict(load_limits()), **{f"peringatan_{k}": v for k, v in load_thresholds().items()}}


def inbox_digest(folder: Path, limits: Limits, seen: Mapping[str, str | None] | None = None) -> str:
    """Every entry of one quarter folder: a regular file by its bytes, anything else by its kind.

    Never follows a link: a regular file is opened with O_NOFOLLOW and checked on the open
    descriptor; only its digest leaves this function. `seen`: the folder as a run listed and
    judged it (name -> what its entry gave: the sha256 of the bytes kept, or files.look's or
    files.fault_label's label; None for a name the run left alone, looked at now). The digest
    is then that of exactly what the run worked from, and nothing is read a second time: a
    file that changed meanwhile has another digest when the next run looks, so it is read.
    """
    digest = hashlib.sha256()
    if seen is None:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            names = []
        seen = dict.fromkeys(names)
    else:
        names = sorted(seen)
    for name in names:
        entry = seen[name]
        if entry is None:
            entry = _entry_digest(folder / name, limits)
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(entry.encode("ascii") + b"\0")
    return digest.hexdigest()


def _entry_digest(path: Path, limits: Limits) -> str:
    """What one entry is now, in the words collecting uses (files.look, files.fault_label)."""
    entry = files.look(path, limits.ukuran_berkas)
    if entry.label is not None:
        return entry.label
    try:
        return files.sha_of_regular(path)
    except OSError as exc:
        return files.fault_label(exc)


def input_fingerprint(inbox: str, stored: str, reference: str, settings: Mapping[str, Any]) -> str:
    payload = {
        "masuk": inbox,
        "data": stored,
        "referensi": reference,
        "pengaturan": sorted(settings.items()),
        "program": program_version(),
    }
    return hashlib.sha256(json.dumps(payload, default=str).encode("utf-8")).hexdigest()


def current_input_fingerprint(quarter: Quarter) -> str:
    """The fingerprint of the inputs as they are now (the flow records it after saving)."""
    return input_fingerprint(
        inbox_digest(quarter.inbox_folder, quarter.limits),
        fingerprint.data_digest(quarter.engine, quarter.period.tahun),
        reference_digest(quarter.period),
        settings_values(),
    )


def unchanged_since(quarter: Quarter, fingerprint: str) -> dict[str, Any] | None:
    """The last version, when it recorded exactly these inputs."""
    last = record.last_report(quarter.engine, quarter.label)
    if last and last.get("sidik_masukan") == fingerprint and last.get("folder"):
        return last
    return None


def pending_emls(folder: Path, sent: Mapping[str, Any]) -> list[Path]:
    """The version's archived mails that never went out (not sent, not 'unknown')."""
    return [p for p in sorted((folder / "outbox").glob("*.eml")) if eml_key(p) not in sent]


def eml_key(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(1 << 16).decode("utf-8", "replace")
    for line in head.splitlines():
        if line.lower().startswith("x-triwulan-key:"):
            return line.split(":", 1)[1].strip()
    return path.stem


def answer_unchanged(
    quarter: Quarter,
    last: Mapping[str, Any],
    pemicu: str,
    sidik: str | None,
    sidik_masukan: str | None = None,
) -> dict[str, Any]:
    """Record a run without a version; send the last version's mails that never went out.

    An unchanged rerun must not leave leadership without the draft (server down last time).
    """
    engine, period, smtp = quarter.engine, quarter.period, quarter.smtp
    versi = int(last["versi"])
    run_id = record.start_run(
        engine,
        period.label,
        versi,
        None,
        pemicu=pemicu,
        parameter=quarter.params,
        sidik=sidik,
        sidik_masukan=sidik_masukan,
    )
    folder = Path(last["folder"])
    ledger = DbLedger(
        engine, period.label, folder.parent / "terkirim.json", versi=versi, run_id=run_id
    )
    pending: list[DeliveryResult] = []
    try:
        if smtp is not None:
            waiting = pending_emls(folder, ledger.load())
            pending = resend(waiting, smtp, ledger) if waiting else []
    except BaseException as exc:  # Ctrl-C while resending: the run row must not stay 'berjalan'
        status, message = outcome_of(exc)
        with contextlib.suppress(Exception):
            record.finish_run(engine, run_id, status, pesan=message)
        raise
    undelivered = leadership_undelivered(pending)
    record.finish_run(engine, run_id, "tanpa_perubahan", pesan=undelivered)
    return {
        "unchanged": True,
        "period": period.label,
        "version": versi,
        "folder": str(folder),
        "delivery": delivery_rows(pending),
        "undelivered": undelivered,
        "unconfirmed": unconfirmed_leadership(engine, period.label),
    }


def delivery_rows(results: list[DeliveryResult]) -> list[dict[str, Any]]:
    return [
        {
            "key": r.key,
            "status": r.status,
            "eml": str(r.eml),
            "error": r.error,
            "kepada": list(r.to),
            "attempts": r.attempts,
        }
        for r in results
    ]


def leadership_undelivered(results: list[DeliveryResult]) -> str | None:
    """The Indonesian line when the draft did not reach leadership after every retry."""
    failed = [r for r in results if "/pimpinan/" in r.key and r.status == "gagal"]
    if not failed:
        return None
    return (
        f"Laporan sudah dibuat, tetapi email ke pimpinan GAGAL dikirim: {failed[0].error} "
        f"Salinan email: {failed[0].eml}. Jalankan ulang setelah server email pulih "
        "(email yang belum terkirim akan dikirim), atau kirim salinan itu secara manual."
    )
