"""Running the quarterly flow from the command line, and the demo over the shipped sample."""

from __future__ import annotations

import csv
import logging
import os
import shutil
from pathlib import Path

from tasks.errors import TriwulanError
from tasks.fmt import STATUS_LABEL, persen, problem_line, rupiah
from tasks.period import parse_period
from tasks.report import status_text
from tasks.setup import check_setup
from triwulan.paths import SAMPLE_DIR

STATUS_WORDS = {
    "terkirim": "terkirim",
    "disimpan": "disimpan",
    "gagal": "GAGAL",
    "sudah_terkirim": "sudah terkirim",
}


def run_quarter(periode: str, inbox: Path | None = None, out: Path | None = None) -> dict:
    """Check the setup first, so a typo or a bad setting never waits for Prefect to start."""
    setup = check_setup(periode, inbox, out)
    setup.engine.dispose()
    quiet_libraries()
    from flows.quarterly import quarterly_report  # Prefect and GX load only when a run happens

    return quarterly_report(setup.period.label, str(setup.inbox), str(setup.out))


def quiet_libraries() -> None:
    """The terminal gets our Indonesian summary; library INFO chatter (English) is kept back."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    for name in ("great_expectations", "prefect"):
        logging.getLogger(name).setLevel(logging.WARNING)


def describe(summary: dict) -> list[str]:
    """What a run found, in Indonesian, for the terminal."""
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
