"""The files of one version folder, written the same way by a run, a preview and FINAL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.tasks import compute
from triwulan.tasks.report import render_full_report, write_rekap_xlsx
from triwulan.tasks.summary import write_detail, write_summary


def write_version_files(
    folder: Path, summary: dict[str, Any], detail: pd.DataFrame, predikat: pd.DataFrame
) -> list[Path]:
    """summary.json, rincian.json, laporan.html and rekap.xlsx; returns the mail attachments.

    rincian.json keeps the computed detail, so a version can be rendered again (FINAL).
    """
    levels = {level: compute.aggregate(detail, level, predikat) for level in compute.LEVEL_KEYS}
    behind = compute.furthest_behind(detail)
    folder.mkdir(parents=True, exist_ok=True)
    write_summary(folder, summary)  # a run writes it again after delivery, with its outcome
    write_detail(folder, detail)
    laporan = folder / "laporan.html"
    laporan.write_text(render_full_report(summary, detail, levels, behind), encoding="utf-8")
    rekap = folder / "rekap.xlsx"
    write_rekap_xlsx(rekap, summary, detail, levels)
    return [laporan, rekap]
