"""The files of one version folder, written the same way by a run, a preview and FINAL."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.tasks.check.validate import load_suite
from triwulan.tasks.measure import compute
from triwulan.tasks.measure.early_warning import all_warnings
from triwulan.tasks.measure.report_data import write_e81
from triwulan.tasks.measure.summary import write_detail, write_summary
from triwulan.tasks.publish.charts import charts_for
from triwulan.tasks.publish.data_docs import write_data_docs
from triwulan.tasks.publish.rekap import write_rekap_xlsx
from triwulan.tasks.publish.report_full import render_full_report
from triwulan.tasks.publish.validation_report import write_validation_report


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
    e81: pd.DataFrame | None = None,
) -> list[Path]:
    """summary.json, rincian.json, laporan.html and rekap.xlsx; returns the mail attachments.

    rincian.json keeps the computed detail, so a version can be rendered again (FINAL). With
    `checked` (a run that validated files), also validasi.html and data-docs/, linked from the
    report; a version recomputed from stored data (cascade, FINAL) has no validation of its own.
    """
    levels = {level: compute.aggregate(detail, level, predikat) for level in compute.LEVEL_KEYS}
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
    if e81 is not None:
        write_e81(folder, e81)
    charts = write_charts(folder, summary)
    laporan = folder / "laporan.html"
    laporan.write_text(
        render_full_report(
            summary,
            detail,
            levels,
            validation_report=link,
            e81=e81,
            charts={p.name: data_uri(p) for p in charts},
        ),
        encoding="utf-8",
    )
    rekap = folder / "rekap.xlsx"
    write_rekap_xlsx(rekap, summary, detail, levels, **rekap_tables(summary, detail, e81))
    return [laporan, rekap]


def data_uri(path: Path) -> str:
    """The chart inside the report itself: laporan.html travels alone as a mail attachment."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_charts(folder: Path, summary: dict[str, Any]) -> list[Path]:
    """The version's PNG charts (tasks.publish.charts), beside the report that shows them."""
    series = summary.get("kumulatif") or {}
    made = charts_for(summary, series.get("rencana_sd") or [], series.get("realisasi_sd") or [])
    paths = []
    for name, png in made.items():
        path = folder / name
        path.write_bytes(png)
        paths.append(path)
    return paths


def rekap_tables(
    summary: dict[str, Any], detail: pd.DataFrame, e81: pd.DataFrame | None
) -> dict[str, Any]:
    """The rekap's performance sheets from the summary's parts and the E.81 rows."""
    block = summary.get("peringatan_dini")
    return {
        "iku": summary.get("iku"),
        "e81": e81,
        # a version made before early warnings existed has no block: no sheet (not "none found");
        # the sheet lists every flagged row, the report and mail the first ones
        "peringatan": None
        if block is None
        else all_warnings(detail, float(block["ambang_deviasi_persen"])),
        "perubahan": summary.get("perubahan"),
    }
