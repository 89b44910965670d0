"""The full, print-friendly HTML report (laporan.html): every section of a version.

Shares the Jinja environment, filters and first-screen context of tasks.publish.report (the mails show
the same first screen); adds the tables by unit, program, kegiatan and sub-kegiatan (RFK), the
performance sections (IKU, E.81, early warnings, changes; tasks.publish.sections) and the
validation notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from triwulan.tasks.measure.compute import LEVEL_KEYS
from triwulan.tasks.publish.report import (
    base_context,
    capped,
    environment,
    more_line,
    previous_data_note,
    records,
    split_problems,
)

REPORT_PROBLEMS = 100  # per unit and section in laporan.html
# Above this many units with detail rows, laporan.html leaves out the rows per sub-kegiatan and
# unit (the RFK table and E.81's sub-kegiatan rows) and points to rekap.xlsx and rincian.json:
# a province's 41,700 rows made a 140 MB page no browser or mail reader opens. A kecamatan
# (about 10 units) or a kabupaten's kecamatan stay whole.
DETAIL_UNITS_MAX = 100
E81_SUMMARY_LEVELS = ("sasaran", "program", "kegiatan", "jumlah")


def code_and_name(level: str) -> tuple[str, str]:
    """The code and name columns of a level (the last two of compute.LEVEL_KEYS)."""
    kode, nama = LEVEL_KEYS[level][-2:]
    return kode, nama


def _level_rows(levels: Mapping[str, pd.DataFrame], name: str) -> list[dict[str, Any]]:
    kode, nama = code_and_name(name)
    rows = records(levels.get(name))
    for row in rows:
        row["_kode"], row["_nama"], row["_catatan"] = row.get(kode), row.get(nama), ""
    return rows


def _totals_by_key(levels: Mapping[str, pd.DataFrame], level: str) -> dict[tuple, dict[str, Any]]:
    """Level totals keyed by the level's code columns (compute.LEVEL_KEYS without the name)."""
    keys = LEVEL_KEYS[level][:-1]
    return {tuple(r.get(k) for k in keys): r for r in records(levels.get(level))}


def rfk_groups(detail: pd.DataFrame, levels: Mapping[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """Detail rows nested program > kegiatan > sub-kegiatan, with the level totals attached."""
    if detail is None or detail.empty:
        return []
    program_totals = _totals_by_key(levels, "program")
    kegiatan_totals = _totals_by_key(levels, "kegiatan")
    ordered = detail.sort_values(
        ["kode_program", "kode_kegiatan", "kode_sub_kegiatan", "unit"], kind="stable"
    )
    groups: list[dict[str, Any]] = []
    for (kode_program, nama_program), program_frame in ordered.groupby(
        ["kode_program", "nama_program"], sort=False
    ):
        kegiatan = []
        for (kode_kegiatan, nama_kegiatan), kegiatan_frame in program_frame.groupby(
            ["kode_kegiatan", "nama_kegiatan"], sort=False
        ):
            kegiatan.append(
                {
                    "kode": kode_kegiatan,
                    "nama": nama_kegiatan,
                    "totals": kegiatan_totals.get((kode_program, kode_kegiatan)),
                    "rows": records(kegiatan_frame),
                }
            )
        groups.append(
            {
                "kode": kode_program,
                "nama": nama_program,
                "totals": program_totals.get((kode_program,)),
                "kegiatan": kegiatan,
            }
        )
    return groups


def detail_units(detail: pd.DataFrame | None) -> int:
    """Units with rows in the detail: what the per-sub-kegiatan tables would list."""
    return 0 if detail is None or detail.empty else int(detail["unit"].nunique())


def e81_summary_rows(e81: pd.DataFrame | None) -> pd.DataFrame | None:
    """E.81 without its (unit, sub-kegiatan) rows: program, kegiatan and Jumlah, in order."""
    if e81 is None or e81.empty:
        return e81
    return e81[e81["tingkat"].isin(E81_SUMMARY_LEVELS)]


def render_full_report(
    summary: Mapping[str, Any],
    detail: pd.DataFrame,
    levels: Mapping[str, pd.DataFrame],
    validation_report: str | None = None,
    e81: pd.DataFrame | None = None,
    charts: Mapping[str, str] | None = None,
) -> str:
    """The standalone, print-friendly HTML report (laporan.html); a file, so newlines stay.

    `validation_report`: relative link to validasi.html (else summary['validation_report'], if
    any); the report then points to it. `e81`: the form's rows (tasks.measure.e81); `charts`: chart
    file name -> the src the report uses for it (a relative file name). Above DETAIL_UNITS_MAX
    units the rows per sub-kegiatan are left to rekap.xlsx and rincian.json, and the page says so.
    """
    units_with_rows = detail_units(detail)
    whole = units_with_rows <= DETAIL_UNITS_MAX
    context = base_context(summary)
    notes = {u.get("unit"): previous_data_note(u) for u in context["units"]}
    unit_rows = _level_rows(levels, "unit")
    for row in unit_rows:
        row["_catatan"] = notes.get(row["_kode"]) or ""
    problem_units = []
    # accepted units' warnings are in "Catatan validasi"; here only the units not accepted
    for unit in (u for u in context["units"] if u.get("status") != "accepted"):
        errors, warnings = split_problems(unit.get("problems"))
        if errors or warnings:
            shown_errors, more_errors = capped(errors, REPORT_PROBLEMS)
            shown_warnings, more_warnings = capped(warnings, REPORT_PROBLEMS)
            problem_units.append(
                {
                    "unit": unit,
                    "errors": shown_errors,
                    "warnings": shown_warnings,
                    "error_count": len(errors),
                    "warning_count": len(warnings),
                    "errors_more": more_line(more_errors, "kesalahan"),
                    "warnings_more": more_line(more_warnings, "peringatan"),
                }
            )
    context |= {
        "unit_rows": unit_rows,
        "program_rows": _level_rows(levels, "program"),
        "kegiatan_rows": _level_rows(levels, "kegiatan"),
        "groups": rfk_groups(detail, levels) if whole else [],
        "detail_whole": whole,
        "detail_units": units_with_rows,
        "detail_count": 0 if detail is None else len(detail),
        "problem_units": problem_units,
        "validation_notes": validation_notes(context["units"]),
        "validation_report": validation_report or summary.get("validation_report"),
        "e81_rows": records(e81 if whole else e81_summary_rows(e81)),
        "charts": dict(charts or {}),
    }
    return environment().get_template("report.html.j2").render(context)


def validation_notes(units: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """'Catatan validasi': each accepted unit's warnings (row, message), REPORT_PROBLEMS each.

    Their data is in the figures, so the reader should know what to check. Rejected units'
    problems are listed under 'Rincian Kesalahan dan Peringatan Berkas Unit'.
    """
    notes = []
    for unit in units:
        if unit.get("status") != "accepted":
            continue
        warnings = split_problems(unit.get("problems"))[1]
        if warnings:
            shown, more = capped(warnings, REPORT_PROBLEMS)
            notes.append(
                {
                    "unit": unit,
                    "warnings": shown,
                    "count": len(warnings),
                    "more": more_line(more, "peringatan"),
                }
            )
    return notes
