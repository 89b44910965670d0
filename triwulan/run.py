"""Running the quarterly flow from the command line, and the demo over the shipped sample."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import errno
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from triwulan.config import apply_config
from triwulan.lifeline import exit_on_termination
from triwulan.paths import SAMPLE_DIR
from triwulan.prefect_api import prefect_api
from triwulan.settings_check import require_valid_settings
from triwulan.tasks import rerun
from triwulan.tasks.core.errors import DeliveryFailed, RunFailed, TriwulanError
from triwulan.tasks.core.fmt import STATUS_LABEL, WIB, persen, problem_line, rupiah
from triwulan.tasks.core.period import parse_period
from triwulan.tasks.core.quarter import Quarter
from triwulan.tasks.publish.report import status_text, warning_lines
from triwulan.tasks.record import database
from triwulan.tasks.record.lock import lock_wait_seconds, quarter_lock, recover_dead_runs
from triwulan.tasks.record.mail import unconfirmed_line
from triwulan.tasks.setup import guard_final, open_quarter

STATUS_WORDS = {
    "terkirim": "terkirim",
    "disimpan": "disimpan",
    "gagal": "GAGAL",
    "sudah_terkirim": "sudah terkirim",
    "unknown": "TIDAK PASTI (periksa kotak masuk penerima)",
}


def run_quarter(
    periode: str,
    inbox: Path | None = None,
    out: Path | None = None,
    *,
    paksa: bool = False,
    buka_final: str | None = None,
    say: Callable[[str], None] = print,
) -> dict:
    """Every cheap answer before Prefect starts; then the flow, on the API that is there.

    Settings, period, folders and database (open_quarter), then the quarter's lock (a wait is
    said once), debris of a dead run, FINAL, and an unchanged rerun: none of them pays for a
    Prefect server. A failure after that ends in one Indonesian line (RunFailed) naming the file
    or folder where possible; the traceback goes to a log file in the out folder, or nowhere when
    that cannot be written, never to the terminal.
    """
    apply_config()
    require_valid_settings()  # every bad setting, one line each, before any work
    quarter = open_quarter(periode, inbox, out)
    quiet_libraries()
    exit_on_termination()
    log_path = log_file(quarter.out, quarter.label)
    with logs_to_file(log_path) as mute, _failures_told(quarter.label, log_path):
        wait = lock_wait_seconds()
        with quarter_lock(quarter.engine, quarter.label, wait, on_wait=say):
            recovered = recover_dead_runs(quarter.engine, quarter.label, quarter.folder)
            guard_final(quarter, buka_final, record_reopen=False)
            if not paksa and not buka_final:
                answer = _unchanged_answer(quarter)
                if answer is not None:
                    return {**answer, "recovered": recovered}
            quarter.engine.dispose()
            with prefect_api(log_path.parent):
                from triwulan.flows.quarterly import quarterly_report  # Prefect, GX load lazily

                mute()
                summary = quarterly_report(
                    quarter.label,
                    str(quarter.inbox),
                    str(quarter.out),
                    paksa=paksa,
                    buka_final=buka_final,
                )
    summary["recovered"] = recovered + list(summary.get("recovered") or [])
    return summary


def _unchanged_answer(quarter: Quarter) -> dict[str, Any] | None:
    """The last version recorded exactly these inputs: answer without Prefect."""
    fingerprint = rerun.current_input_fingerprint(quarter)
    last = rerun.unchanged_since(quarter, fingerprint)
    if last is None:
        return None
    answer = rerun.answer_unchanged(quarter, last, "manual", last.get("sidik"), fingerprint)
    if answer["undelivered"]:
        raise DeliveryFailed(answer["undelivered"], answer)
    return answer


@contextlib.contextmanager
def _failures_told(label: str, log_path: Path) -> Iterator[None]:
    """Our own errors pass as they are; anything else becomes one line naming what failed."""
    log = logging.getLogger("triwulan")
    try:
        yield
    except TriwulanError as exc:
        log.error("run %s gagal", label, exc_info=exc)
        raise
    except Exception as exc:
        log.error("run %s gagal", label, exc_info=exc)
        raise RunFailed(failure_line(label, exc, log_path)) from exc


def log_file(out: Path, label: str) -> Path:
    stamp = dt.datetime.now(WIB).strftime("%Y%m%d-%H%M%S")
    return out / "log" / f"run-{label}-{stamp}.log"


def failure_line(label: str, exc: BaseException, log_path: Path) -> str:
    """One line for the person at the keyboard: what failed and where the details are."""
    where = (
        f"Rincian teknis: {log_path}"
        if _log_written(log_path)
        else "Rincian teknis tidak dapat ditulis"
    )
    found = _os_error(exc)
    if found is not None and found.errno == errno.ENOSPC:
        what = f"disk penuh saat menulis '{found.filename or log_path.parent.parent}'"
        return f"Run {label} gagal: {what}. Kosongkan ruang disk lalu jalankan ulang. {where}"
    if found is not None and found.filename:
        reason = found.strerror or str(found)
        what = f"'{found.filename}' tidak dapat dibaca atau ditulisi ({reason})"
    elif _database_full(exc):
        what = f"basis data '{_database_name(log_path.parent.parent)}' tidak dapat ditulisi: disk penuh"
        return f"Run {label} gagal: {what}. Kosongkan ruang disk lalu jalankan ulang. {where}"
    else:
        what = f"kesalahan tak terduga ({type(exc).__name__})"
    return f"Run {label} gagal: {what}. {where}"


def _log_written(path: Path) -> bool:
    """The log file holds the details: on a full disk it may exist but be empty or cut short
    (its handler then fell silent), and the clerk must not be sent to it."""
    name = os.path.abspath(path)
    silent = any(
        getattr(h, "failed", False)
        for h in logging.getLogger().handlers
        if isinstance(h, _QuietFileHandler) and h.baseFilename == name
    )
    try:
        return not silent and path.stat().st_size > 0
    except OSError:
        return False


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError behind `exc`: itself or its explicit causes first, then what it interrupted."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError):
            return cause
        cause = cause.__cause__
    return next((e for e in _chain(exc) if isinstance(e, OSError)), None)


def _database_full(exc: BaseException) -> bool:
    return any("disk is full" in str(e) or "No space left" in str(e) for e in _chain(exc))


def _database_name(out: Path) -> str:
    from sqlalchemy.engine import make_url

    url = database.db_url(out)
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    return make_url(url).render_as_string(hide_password=True)


class _QuietFileHandler(logging.FileHandler):
    """A run's log file; when it cannot be written (disk full) it falls silent, no traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is None and not getattr(self, "failed", False):
            try:  # FileHandler opens a delayed file outside its own error handling
                self.stream = self._open()
            except OSError:
                self.handleError(record)
                return
        super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        self.failed = True
        with contextlib.suppress(Exception):
            if self.stream:
                self.stream.close()
        self.stream = _NullStream()  # type: ignore[assignment]


class _NullStream:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


@contextlib.contextmanager
def logs_to_file(path: Path) -> Iterator[Callable[[], None]]:
    """Library log lines and tracebacks of this run go to its log file; the console stays quiet.

    Yields `mute`: call it after Prefect is imported (its logging set-up replaces the root
    logger's handlers with a console one) so that its records, too, go only to the file.
    """
    root = logging.getLogger()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = _QuietFileHandler(path, encoding="utf-8", delay=True)
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    muted: dict[logging.Handler, int] = {}

    def mute() -> None:
        if handler not in root.handlers:  # Prefect's logging set-up replaces root's handlers
            root.addHandler(handler)
        for h in root.handlers:
            if getattr(h, "name", "") == "console" and h not in muted:
                muted[h] = h.level
                h.setLevel(logging.CRITICAL + 1)

    root.addHandler(handler)
    mute()
    try:
        yield mute
    finally:
        root.removeHandler(handler)
        with contextlib.suppress(Exception):
            handler.close()
        for h, level in muted.items():
            h.setLevel(level)


def delivery_lines(results: list, label: str | None = None) -> list[str]:
    """One line per mail for the terminal: what it was, what happened, and why if it failed."""
    return [
        f"  {label or r.key}: {STATUS_WORDS.get(r.status, r.status)}"
        + (f": {r.error}" if r.error else "")
        for r in results
    ]


def quiet_libraries() -> None:
    """The terminal gets our Indonesian summary; library INFO chatter (English) is kept back."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    for name in ("great_expectations", "prefect"):
        logging.getLogger(name).setLevel(logging.WARNING)


def describe(summary: dict, heading: str | None = None) -> list[str]:
    """What a run found, in Indonesian, for the terminal."""
    lines = [*summary.get("recovered", [])]
    if summary.get("unchanged"):
        lines += _unchanged_lines(summary)
        lines += _unconfirmed_lines(summary)
        return lines
    lines += _found_lines(summary, heading)
    lines += _unconfirmed_lines(summary)
    return lines


def _unchanged_lines(summary: dict) -> list[str]:
    head = (
        f"{summary['period']}: tidak ada perubahan sejak v{summary['version']} "
        f"({summary['folder']}); tidak ada versi baru."
    )
    sent = summary.get("delivery") or []
    if not sent:
        return [head[:-1] + " dan tidak ada email baru."]
    lines = [
        head,
        f"  {len(sent)} email v{summary['version']} yang belum terkirim sebelumnya diproses sekarang:",
    ]
    for d in sent:
        to = ", ".join(d.get("kepada") or []) or "-"
        note = f": {d['error']}" if d.get("error") else ""
        lines.append(
            f"    {_who(d['key'])} ({to}): {STATUS_WORDS.get(d['status'], d['status'])}{note}"
        )
    return lines


MAIL_WORDS = {"pimpinan": "laporan ke pimpinan", "unit": "umpan balik", "diterima": "tanda terima"}


def _who(key: str) -> str:
    """'2024-TW2/unit/perwira/…' -> 'umpan balik perwira'; '…/pimpinan/…' -> 'laporan ke …'."""
    parts = key.split("/")
    if len(parts) < 3:
        return key
    return " ".join([MAIL_WORDS.get(parts[1], parts[1]), *parts[2:-1]])


def _unconfirmed_lines(summary: dict) -> list[str]:
    return [unconfirmed_line(summary["period"], row) for row in summary.get("unconfirmed") or []]


def newly_unconfirmed(summary: dict) -> bool:
    """This run's leadership mail ended 'unknown' now (exit 3); one left so earlier is only shown."""
    return any(
        "/pimpinan/" in d["key"] and d["status"] == "unknown" and d.get("attempts", 0) > 0
        for d in summary.get("delivery") or []
    )


def _found_lines(summary: dict, heading: str | None) -> list[str]:
    c = summary["counts"]
    title = heading or f"{summary['period']} versi {summary['version']}"
    lines = [f"{title}: {c['accepted']} dari {c['total']} unit diterima."]
    for unit in summary["units"]:
        if unit["status"] == "rejected":
            note = status_text(unit).removeprefix(STATUS_LABEL["rejected"])
            lines.append(
                f"  - DITOLAK {unit['nama']} ({unit['file']}): {len(unit['problems'])} masalah{note}"
            )
            lines += [f"      {problem_line(p)}" for p in unit["problems"][:3]]
        elif unit["status"] == "missing":
            lines.append(f"  - BELUM MENGIRIM {unit['nama']}")
    for bad in summary.get("unreadable_files", []):
        lines.append(f"  - BERKAS BERMASALAH {bad['file']}: {bad['message']}")
    t = summary["totals"]

    lines.append(
        f"  Realisasi s.d. {parse_period(summary['period']).roman}: {rupiah(t['realisasi_keuangan_sd_tw'])} "
        f"({persen(t['capaian_keuangan_sd_tw_persen'])} dari target, serapan pagu {persen(t['serapan_pagu_persen'])})"
    )
    for warning in warning_lines(summary):
        lines.append(f"  PERHATIAN: {warning['message']}")
    for later in summary.get("cascade") or []:
        lines.append(
            f"  Koreksi ini juga mengubah {later['period']}: dibuat versi {later['version']}."
        )
    folder = Path(summary["folder"])
    lines.append(f"  Laporan: {folder / 'laporan.html'} | rekap: {folder / 'rekap.xlsx'}")
    sent = [d for d in summary.get("delivery", [])]
    if sent:
        counts: dict[str, int] = {}
        for d in sent:
            counts[d["status"]] = counts.get(d["status"], 0) + 1
        text = ", ".join(f"{n} {STATUS_WORDS.get(s, s)}" for s, n in counts.items())
        note = " (SMTP belum diatur: email disimpan sebagai .eml)" if "disimpan" in counts else ""
        lines.append(f"  Email: {text}{note} -> {folder / 'outbox'}")
    return lines


def read_manifest(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def run_demo(folder: Path) -> list[str]:
    """TW I to TW IV of the sample, applying each late or corrected file and rerunning.

    The sample itself is never touched: its inbox is copied into `folder/inbox` first.
    """
    marker = folder / ".triwulan-demo"
    if folder.exists():
        if not marker.exists() and any(folder.iterdir()):
            raise TriwulanError(
                f"Folder '{folder}' sudah berisi data lain; pilih folder kosong untuk demo."
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    marker.write_text("folder demo triwulan; aman dihapus\n", encoding="utf-8")
    inbox, out = folder / "inbox", folder / "out"
    shutil.copytree(SAMPLE_DIR / "inbox", inbox)
    corrections = SAMPLE_DIR / "corrections"
    manifest = read_manifest(corrections / "manifest.csv")
    lines: list[str] = []
    for quarter in (1, 2, 3, 4):
        periode = f"2024-TW{quarter}"
        lines += describe(run_quarter(periode, inbox, out))
        todo = [row for row in manifest if row["periode"] == periode]
        if not todo:
            continue
        target = inbox / "2024" / f"TW{quarter}"
        for row in todo:
            shutil.copy2(
                corrections / "2024" / f"TW{quarter}" / row["berkas"], target / row["berkas"]
            )
            lines.append(
                f"  Koreksi diterapkan: {row['berkas']} ({row['jenis_kesalahan']}); dijalankan ulang."
            )
        lines += describe(run_quarter(periode, inbox, out))
    return lines
