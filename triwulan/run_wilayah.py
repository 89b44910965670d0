"""`triwulan run PERIODE --wilayah KODE`: a kota, province or the nation from the command line.

The same care as one kecamatan's run (triwulan/run.py): every wilayah file and the level's
recipients are checked before Prefect starts, library output goes to a log file, and a failure
ends in one Indonesian line.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from triwulan.config import apply_config
from triwulan.lifeline import exit_on_termination
from triwulan.prefect_api import prefect_api
from triwulan.run import _failures_told, log_file, logs_to_file, quiet_libraries
from triwulan.sample.kota import write_kota
from triwulan.settings_check import require_valid_settings
from triwulan.tasks.core.fmt import persen, rupiah
from triwulan.tasks.core.period import parse_period
from triwulan.tasks.level import plan_rollup
from triwulan.tasks.publish.level import child_row, completeness, wilayah_name


def run_wilayah(
    periode: str,
    wilayah: str,
    inbox: Path | None = None,
    out: Path | None = None,
    *,
    referensi: Path | None = None,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Check the roll-up, then run it on the API that is there (the kecamatan below included)."""
    apply_config()
    require_valid_settings()
    plan = plan_rollup(periode, wilayah, inbox, out, referensi)  # every wilayah file first
    quiet_libraries()
    exit_on_termination()
    top_out = plan.out / plan.top.kode
    log_path = log_file(top_out, plan.period.label)
    say(
        f"{plan.top.label}: {len(plan.kecamatan)} kecamatan, {plan.period.label}; "
        f"catatan teknis di {log_path}"
    )
    with (
        logs_to_file(log_path) as mute,
        _failures_told(plan.period.label, log_path),
        prefect_api(log_path.parent) as api,
    ):
        from triwulan.flows.rollup import run_rollup  # Prefect, GX load lazily

        mute()
        with _api_in_environment(api):
            return run_rollup(
                plan.top.kode,
                plan.period.label,
                inbox=str(plan.inbox),
                out=str(plan.out),
                referensi=str(plan.root),
            )


@contextlib.contextmanager
def _api_in_environment(api: str) -> Iterator[None]:
    """Dask's worker processes find this run's API in their environment, for this run only
    (a temporary server is gone after it: a second roll-up must not inherit its address)."""
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = before or api
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)


def describe_wilayah(answer: dict[str, Any]) -> list[str]:
    """What a roll-up found, in Indonesian, for the terminal: completeness first."""
    head, lines, current = completeness(answer)
    period = parse_period(answer["period"])
    t = answer["totals"]
    new = "" if answer.get("new_version", True) else " (tidak berubah sejak versi ini)"
    out = [
        f"{wilayah_name(answer)} {period.label} versi {answer['version']}{new}: {head}.",
        *(f"  {line}" for line in lines),
        f"  {current}",
        f"  Realisasi s.d. {period.roman}: {rupiah(t['realisasi_keuangan_sd_tw'])} "
        f"({persen(t['capaian_keuangan_sd_tw_persen'])} dari target, serapan pagu "
        f"{persen(t['serapan_pagu_persen'])})",
    ]
    for child in answer["children"]:
        row = child_row(child)
        out.append(f"  - {child['nama']} ({child['kode']}): {row['state']}")
        out += [f"      {note}" for note in row["notes"]]
    for kode, message in (answer.get("failures") or {}).items():
        out.append(f"  GAGAL {kode}: {message}")
    out.append(f"  Laporan: {Path(answer['folder']) / 'laporan.html'}")
    for d in answer.get("delivery") or []:
        status = {"disimpan": "disimpan sebagai .eml (SMTP belum diatur)"}.get(
            d["status"], d["status"]
        )
        to = ", ".join(d.get("kepada") or []) or "-"
        out.append(f"  Email pimpinan ({to}): {status}" + (f": {d['error']}" if d["error"] else ""))
    return out


def run_kota_demo(folder: Path, quarters: tuple[str, ...] = ("2024-TW1", "2024-TW2")) -> list[str]:
    """The synthetic kota of three kecamatan, rolled up quarter by quarter (sample/kota.py)."""
    kota = write_kota(folder)
    lines: list[str] = []
    for periode in quarters:
        answer = run_wilayah(
            periode, kota.kode, kota.inbox, folder / "out", referensi=kota.root, say=lambda _: None
        )
        lines += describe_wilayah(answer)
    return lines
