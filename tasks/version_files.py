"""The files of one version folder, written the same way by a run, a preview and FINAL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.tasks import compute
from triwulan.tasks.rekap import write_rekap_xlsx
from triwulan.tasks.report import render_full_report
from triwulan.tasks.summary import write_detail, write_summary
from triwulan.tasks.validate import load_suite
from triwulan.tasks.validation_report import write_data_docs, write_validation_report


@dataclass(frozen=True)
class Checked:
    """What validation saw, for validasi.html and the GX Data Docs of a run."""

    problems: pd.DataFrame
    rows_per_file: dict[str, int]
    gx_result: Any
    run_name: str


def write_version_files(
    folder: Path,
    summary: dict[str, Any],
    detail: pd.DataFrame,
    predikat: pd.DataFrame,
    checked: Checked | None = None,
) -> list[Path]:
    """summary.json, rincian.json, laporan.html and rekap.xlsx; returns the mail attachments.

    rincian.json keeps the computed detail, so a version can be rendered again (FINAL). With
    `checked` (a run that validated files), also validasi.html and data-docs/, linked from the
    report; a version recomputed from stored data (cascade, FINAL) has no validation of its own.
    """
    levels = {level: compute.aggregate(detail, level, predikat) for level in compute.LEVEL_KEYS}
    behind = compute.furthest_behind(detail)
    folder.mkdir(parents=True, exist_ok=True)
    write_summary(folder, summary)  # a run writes it again after delivery, with its outcome
    write_detail(folder, detail)
    link = None
    if checked is not None:
        docs = write_data_docs(folder, checked.gx_result, checked.run_name)
        validasi = write_validation_report(
            folder, summary, load_suite(), checked.problems, checked.rows_per_file, docs
        )
        link = validasi.name
    laporan = folder / "laporan.html"
    laporan.write_text(
        render_full_report(summary, detail, levels, behind, validation_report=link),
        encoding="utf-8",
    )
    rekap = folder / "rekap.xlsx"
    write_rekap_xlsx(rekap, summary, detail, levels)
    return [laporan, rekap]
