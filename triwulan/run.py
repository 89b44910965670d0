"""Running the quarterly flow from the command line, and the demo over the shipped sample."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from triwulan.lifeline import exit_on_termination, start_prefect_server_here
from triwulan.paths import SAMPLE_DIR
from triwulan.tasks.errors import RunFailed, TriwulanError
from triwulan.tasks.fmt import STATUS_LABEL, WIB, persen, problem_line, rupiah
from triwulan.tasks.period import parse_period
from triwulan.tasks.report import status_text, warning_lines
from triwulan.tasks.setup import check_setup

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
) -> dict:
    """Check the setup first, so a typo or a bad setting never waits for Prefect to start.

    A failure after the checks ends in one Indonesian line (RunFailed) naming the file or folder
    where possible; the traceback goes to a log file in the out folder, not to the terminal.
    """
    setup = check_setup(periode, inbox, out)
    setup.engine.dispose()
    quiet_libraries()
    exit_on_termination()
    log_path = log_file(setup.out, setup.period.label)
    with logs_to_file(log_path):
        try:
            start_prefect_server_here()
            from triwulan.flows.quarterly import quarterly_report  # Prefect and GX load lazily

            return quarterly_report(
                setup.period.label,
                str(setup.inbox),
                str(setup.out),
                paksa=paksa,
                buka_final=buka_final,
            )
        except TriwulanError as exc:
            logging.getLogger("triwulan").error("run %s gagal", setup.period.label, exc_info=exc)
            raise
        except Exception as exc:
            logging.getLogger("triwulan").error("run %s gagal", setup.period.label, exc_info=exc)
            raise RunFailed(failure_line(setup.period.label, exc, log_path)) from exc


def log_file(out: Path, label: str) -> Path:
    stamp = dt.datetime.now(WIB).strftime("%Y%m%d-%H%M%S")
    return out / "log" / f"run-{label}-{stamp}.log"


def failure_line(label: str, exc: BaseException, log_path: Path) -> str:
    """One line for the person at the keyboard: what failed and where the details are."""
    if isinstance(exc, OSError) and exc.filename:
        what = f"'{exc.filename}' tidak dapat dibaca atau ditulisi ({exc.strerror or exc})"
    else:
        what = f"kesalahan tak terduga ({type(exc).__name__})"
    return f"Run {label} gagal: {what}. Rincian teknis: {log_path}"


@contextlib.contextmanager
def logs_to_file(path: Path) -> Iterator[None]:
    """Library log lines and tracebacks of this run go to its log file; the console stays quiet."""
    root = logging.getLogger()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    consoles = [h for h in root.handlers if getattr(h, "name", "") == "console"]
    levels = [h.level for h in consoles]
    root.addHandler(handler)
    for h in consoles:
        h.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()
        for h, level in zip(consoles, levels, strict=True):
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


def describe(summary: dict) -> list[str]:
    """What a run found, in Indonesian, for the terminal."""
    if summary.get("unchanged"):
        return [
            f"{summary['period']}: tidak ada perubahan sejak v{summary['version']} "
            f"({summary['folder']}); tidak ada versi baru dan tidak ada email."
        ]
    c = summary["counts"]
    lines = [
        f"{summary['period']} versi {summary['version']}: {c['accepted']} dari {c['total']} unit diterima."
    ]
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
