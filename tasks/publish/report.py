"""Render the consolidated quarter: leadership email, feedback email, full HTML report, xlsx rekap.

Inputs follow the consolidation contract: `summary` (also saved as summary.json), `detail` (one
row per accepted sub-kegiatan); the early warnings, IKU and changes come in the summary
(tasks.measure.report_data). The full HTML report is in tasks.publish.report_full. Everything a person reads is
Bahasa Indonesia.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import pandas as pd
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from triwulan.paths import TEMPLATES_DIR
from triwulan.tasks.core import fmt
from triwulan.tasks.core.fmt import strip_newlines
from triwulan.tasks.core.period import ROMAN, Period, parse_period
from triwulan.tasks.core.signature import signature_blocks
from triwulan.tasks.publish import sections as report_sections
from triwulan.tasks.publish.headline import (
    capaian_is_serapan,
    column_label,
    deviasi_keterangan,
    fisik_note,
    pagu_note,
    predikat_color,
)
from triwulan.tasks.publish.headline import persen as _persen
from triwulan.tasks.publish.headline import rupiah as _rupiah

DRAF_NOTE = "DRAF — dibuat otomatis, belum final, mohon diperiksa"
# What a version is, as its reports say it: a draft, the final version, or a preview (--coba).
MARKS = {
    "DRAF": DRAF_NOTE,
    "FINAL": "FINAL — versi ini telah ditetapkan sebagai laporan final",
    "PRATINJAU": "PRATINJAU — hanya pratinjau, tidak disimpan dan tidak dikirim",
}


def warning_lines(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    """Warnings as the first screen shows them: units missing the same quarters in one line.

    summary.json keeps one warning per unit; six near-identical lines would push every figure
    off a phone screen.
    """
    warnings = list(summary.get("warnings") or [])
    names = {u["unit"]: u.get("nama") or u["unit"] for u in summary.get("units") or []}
    period = parse_period(summary["period"])
    grouped: dict[tuple[int, ...], list[str]] = {}
    lines = []
    for w in warnings:
        if w.get("code") == "earlier_quarter_missing":
            grouped.setdefault(tuple(w["quarters"]), []).append(names.get(w["unit"], w["unit"]))
        else:
            lines.append({"message": str(w.get("message", ""))})
    for quarters, units in grouped.items():
        listed = " dan ".join(", ".join(f"TW {ROMAN[q]}" for q in quarters).rsplit(", ", 1))
        shown = ", ".join(units[:FIRST_SCREEN_UNITS])
        if len(units) > FIRST_SCREEN_UNITS:  # a province: thousands of names fill no screen
            shown += f", dan {fmt.angka(len(units) - FIRST_SCREEN_UNITS)} unit lain"
        who = units[0] if len(units) == 1 else f"{fmt.angka(len(units))} unit ({shown})"
        lines.append(
            {
                "message": f"Data {listed} dari {who} belum ada di basis data, sehingga angka s.d. "
                f"{period.roman} belum memuat {listed}. Jalankan dulu triwulan yang belum ada, "
                "atau periksa folder hasil yang dipakai."
            }
        )
    return lines


def mark_of(summary: Mapping[str, Any]) -> tuple[str, str]:
    """('DRAF', note) unless the summary says FINAL or PRATINJAU."""
    word = str(summary.get("status_laporan") or "DRAF")
    return (word, MARKS[word]) if word in MARKS else ("DRAF", DRAF_NOTE)


REASON_MAX = 140
# The first screen of the mail and the laporan names the units left out of the figures with their
# whole first reason (rule messages are under 300 characters; only typed text could be longer).
FIRST_SCREEN_UNITS = 5
WHOLE_REASON_MAX = 400
ERRORS_TITLE = "Kesalahan yang harus diperbaiki"
WARNINGS_TITLE = "Peringatan (tidak menyebabkan penolakan)"
# How many problems a mail or report lists, whatever the input, so a mail stays well under 2 MB.
# Validation already keeps at most baris_per_masalah + 1 problems per rule, column and file, so
# one file's problems fit MAIL_PROBLEMS. The report lists fewer per unit: it is attached to the
# leadership mail and covers every unit. A cut list ends with '… dan N … lain tidak ditampilkan'.
MAIL_PROBLEMS = 400  # per section (errors, warnings) of a unit's feedback mail
UNREADABLE_LISTED = 50  # entries of 'Berkas yang tidak dapat diproses' in mails, report, rekap


# --- value helpers -------------------------------------------------------------------------------


def _ribuan(value: Any) -> str:
    """Rupiah amount without the 'Rp' prefix, for wide tables whose header says '(Rp)'."""
    value = fmt.plain(value)
    return fmt.angka(None if value is None else int(value))


def _jumlah(value: Any) -> str:
    """An output volume: '2.218', '0,5', '-' (no trailing zeros)."""
    value = fmt.plain(value)
    if value is None:
        return "-"
    return format_decimal(value, format="#,##0.##", locale=fmt.LOCALE)


def _baris(value: Any) -> str:
    """An Excel row number ('5', not '5.0'); '-' when the problem has no row."""
    value = fmt.plain(value)
    if value is None or str(value).strip() == "":
        return "-"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def waktu(value: Any) -> str:
    """ISO timestamp -> '10 Juli 2024 pukul 08.15 WIB' (naive timestamps are taken as WIB)."""
    value = fmt.plain(value)
    if value is None:
        return "-"
    try:
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    moment = moment.replace(tzinfo=fmt.WIB) if moment.tzinfo is None else moment.astimezone(fmt.WIB)
    return f"{fmt.tanggal(moment.date())} pukul {moment:%H.%M} WIB"


def _teks(value: Any) -> str:
    """Free text for a table cell; '-' when empty."""
    value = fmt.plain(value)
    text = "" if value is None else str(value).strip()
    return text or "-"


def _bar_width(value: Any) -> int:
    """Percentage clamped to 0..100, for inline progress bars."""
    value = fmt.plain(value)
    if value is None:
        return 0
    return max(0, min(100, round(float(value))))


def _shorten(text: str, limit: int = REASON_MAX) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- units and problems --------------------------------------------------------------------------


def completeness_line(counts: Mapping[str, int]) -> str:
    """'6 dari 7 unit diterima'."""
    return f"{int(counts.get('accepted', 0))} dari {int(counts.get('total', 0))} unit diterima"


def is_warning(problem: Mapping[str, Any]) -> bool:
    """A problem whose severity is 'warning'; anything else (or no severity) is an error."""
    return str(fmt.plain(problem.get("severity")) or "error").strip().lower() == "warning"


def split_problems(
    problems: Iterable[Mapping[str, Any]] | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(errors, warnings) as plain dicts, in their original order."""
    rows = [{k: fmt.plain(v) for k, v in dict(p).items()} for p in problems or []]
    return [p for p in rows if not is_warning(p)], [p for p in rows if is_warning(p)]


def capped(rows: list[Any], limit: int) -> tuple[list[Any], int]:
    """(the first `limit` rows, how many more were left out)."""
    return rows[:limit], max(len(rows) - limit, 0)


def more_line(count: int, noun: str) -> str:
    """'… dan 12 kesalahan lain tidak ditampilkan.' ('' for none): what a capped list left out."""
    return f"… dan {fmt.angka(count)} {noun} lain tidak ditampilkan." if count > 0 else ""


def problem_counts(unit: Mapping[str, Any]) -> dict[str, int]:
    """{'errors': n, 'warnings': m} of a unit's problems."""
    errors, warnings = split_problems(unit.get("problems"))
    return {"errors": len(errors), "warnings": len(warnings)}


def previous_data_note(unit: Mapping[str, Any]) -> str:
    """'memakai data berkas X yang diterima pada versi 2', or '' without data_sebelumnya."""
    previous = unit.get("data_sebelumnya")
    if not isinstance(previous, Mapping):
        return ""
    file = fmt.plain(previous.get("file"))
    versi = fmt.plain(previous.get("versi"))
    berkas = f"berkas {file}" if file else "berkas"
    pada = f" pada versi {versi}" if versi is not None else " sebelumnya"
    return f"memakai data {berkas} yang diterima{pada}"


def status_text(unit: Mapping[str, Any]) -> str:
    """'Ditolak', or 'Ditolak — memakai data berkas X yang diterima pada versi 2'."""
    status = unit.get("status")
    label = fmt.STATUS_LABEL.get(str(status), str(status or "-"))
    note = previous_data_note(unit)
    return f"{label} — {note}" if note else label


def _first_problem(problems: list[dict[str, Any]], limit: int = REASON_MAX) -> str:
    """'baris 5: message' (no trailing full stop, so it can be followed by '; …')."""
    first = problems[0]
    message = _shorten(str(first.get("message") or ""), limit).strip()
    if message.endswith(".") and not message.endswith(".."):
        message = message[:-1]
    row = _baris(first.get("row"))
    return f"baris {row}: {message}" if row != "-" else message


def unit_reason(unit: Mapping[str, Any], limit: int = REASON_MAX) -> str:
    """Short Indonesian detail of a unit's status ('' when there is nothing to add).

    Rejected: its errors ('2 kesalahan pada berkas X, antara lain baris 5: …'); any unit: the
    number of warnings. The status itself comes from status_text. `limit`: characters kept of
    the first error's message (WHOLE_REASON_MAX on the first screen).
    """
    errors, warnings = split_problems(unit.get("problems"))
    parts: list[str] = []
    if unit.get("status") == "rejected":
        file = unit.get("file")
        where = f" pada berkas {file}" if file else ""
        if not errors:
            parts.append(f"Berkas {file} ditolak" if file else "Berkas ditolak")
        elif len(errors) == 1:
            first = _first_problem(errors, limit)
            sep = ", " if first.startswith("baris ") else ": "
            parts.append(f"1 kesalahan{where}{sep}{first}")
        else:
            parts.append(
                f"{len(errors)} kesalahan{where}, antara lain {_first_problem(errors, limit)}"
            )
    if warnings:
        parts.append(f"{len(warnings)} peringatan (tidak menyebabkan penolakan)")
    return "; ".join(parts)


def email_subject(summary: Mapping[str, Any]) -> str:
    """'[DRAF] Realisasi Fisik dan Keuangan TW II 2024 — Kecamatan X (6 dari 7 unit diterima)'."""
    period = parse_period(summary["period"])
    return (
        f"[{mark_of(summary)[0]}] Realisasi Fisik dan Keuangan {period.roman} {period.tahun} — "
        f"{summary['kecamatan']} ({completeness_line(summary['counts'])})"
    )


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """DataFrame -> list of plain dicts, NaN/NA as None (templates show '-')."""
    return fmt.plain_records(frame)


def scope_note(units: Iterable[Mapping[str, Any]]) -> str:
    """What the figures cover when not every unit is accepted ('hanya mencakup …')."""
    note = "hanya mencakup unit yang diterima"
    if any(previous_data_note(u) for u in units):
        note += " (dan data yang diterima sebelumnya untuk unit yang berkas barunya ditolak)"
    return note


# --- Jinja environment ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Templates from TEMPLATES_DIR; autoescape on for *.html and *.html.j2."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "html.j2"), default_for_string=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.do"],
    )
    env.filters.update(
        rupiah=_rupiah,
        ribuan=_ribuan,
        persen=_persen,
        waktu=waktu,
        jumlah=_jumlah,
        baris=_baris,
        teks=_teks,
        bar=_bar_width,
        predikat_color=predikat_color,
        deviasi=deviasi_keterangan,
        shorten=_shorten,
    )
    report_sections.register(env)
    env.globals.update(
        status_label=fmt.STATUS_LABEL,
        status_text=status_text,
        previous_data_note=previous_data_note,
        unit_reason=unit_reason,
        problem_counts=problem_counts,
        draf_note=DRAF_NOTE,
        errors_title=ERRORS_TITLE,
        warnings_title=WARNINGS_TITLE,
        signature_blocks=signature_blocks,
        column_label=column_label,
    )
    return env


def base_context(summary: Mapping[str, Any]) -> dict[str, Any]:
    """What every template gets: the summary, its period and the completeness picture."""
    period = parse_period(summary["period"])
    units = list(summary.get("units") or [])
    counts = summary.get("counts") or {}
    not_accepted = [u for u in units if u.get("status") != "accepted"]
    has_data = bool(counts.get("accepted")) or any(
        u.get("status") == "accepted" or previous_data_note(u) for u in units
    )
    unreadable, unreadable_more = capped(
        [
            {"file": _teks(item.get("file")), "message": _teks(item.get("message"))}
            for item in summary.get("unreadable_files") or []
        ],
        UNREADABLE_LISTED,
    )
    return {
        "summary": summary,
        "period": period,
        "totals": summary.get("totals") or {},
        "fisik_note": fisik_note(summary),
        "capaian_is_serapan": capaian_is_serapan(summary.get("totals") or {}),
        "counts": counts,
        "complete": bool(summary.get("complete", counts.get("accepted") == counts.get("total"))),
        "completeness": completeness_line(counts),
        "scope": scope_note(units),
        "units": units,
        "not_accepted": not_accepted,
        # the first screen: who is not in the figures, by name, with the whole first reason
        "first_units": not_accepted[:FIRST_SCREEN_UNITS],
        "first_units_more": max(len(not_accepted) - FIRST_SCREEN_UNITS, 0),
        "whole_reason": WHOLE_REASON_MAX,
        "reason_max": REASON_MAX,
        "pagu_note": pagu_note(summary),
        "unreadable": unreadable,
        "unreadable_more": more_line(unreadable_more, "catatan berkas"),
        "warnings": warning_lines(summary),
        "mark": mark_of(summary)[0],
        "draf_note": mark_of(summary)[1],
        "cause": summary.get("cause"),
        "notice": None,
        "peringatan_empty": (
            "Tidak ada sub kegiatan yang melewati ambang peringatan."
            if has_data
            else "Belum ada data sub kegiatan dari unit yang diterima."
        ),
        "iku": list(summary.get("iku") or []),
        "perubahan": summary.get("perubahan"),
        "peringatan": summary.get("peringatan_dini") or {},
        "charts": set(),
    }


# --- renderers -----------------------------------------------------------------------------------


def render_email_summary(
    summary: Mapping[str, Any],
    notice: str | None = None,
    charts: Iterable[str] = (),
) -> str:
    """HTML email body for leadership (phone-friendly, inline CSS).

    Returned already passed through strip_newlines (no raw newlines), ready for yagmail.
    `notice` is shown first (e.g. which quarters a correction changed).
    """
    context = base_context(summary) | {
        "notice": notice,
        "charts": set(charts),  # cid names of the inline images the mail carries
    }
    html = environment().get_template("email_summary.html.j2").render(context)
    return strip_newlines(html)


def render_email_text(summary: Mapping[str, Any], notice: str | None = None) -> str:
    """Plain-text alternative of the leadership email (newlines kept; blank runs collapsed)."""
    context = base_context(summary) | {"notice": notice}
    text = environment().get_template("email_summary.txt.j2").render(context)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def render_notice(title: str, paragraphs: list[str]) -> str:
    """A short mail in the house style (autoescaped: the paragraphs may quote user input)."""
    return environment().get_template("notice.html.j2").render(title=title, paragraphs=paragraphs)


def render_problems_email(
    unit_name: str,
    period: str | Period,
    problems: Iterable[Mapping[str, Any]],
    file: str | None,
    *,
    kecamatan: str | None = None,
    accepted: bool = False,
    send_to: Sequence[str] = (),
    originals: Sequence[str] = (),
    template_file: str | None = None,
    not_attached: Sequence[str] = (),
) -> str:
    """HTML feedback to a unit: errors first, then warnings (which never cause rejection).

    `accepted` words the email for a unit whose file was accepted but has warnings.
    `send_to`: where the corrected file goes; `originals`/`template_file`: names of the attached
    copy of the unit's own file and of the fresh template; `not_attached`: own files too large
    to attach. Problems carrying 'isian'/'diterima' (validation_report.with_details) get those
    columns. Returned already passed through strip_newlines (no raw newlines), ready for yagmail.
    """
    period = parse_period(period) if isinstance(period, str) else period
    errors, warnings = split_problems(problems)
    shown_errors, more_errors = capped(errors, MAIL_PROBLEMS)
    shown_warnings, more_warnings = capped(warnings, MAIL_PROBLEMS)
    html = (
        environment()
        .get_template("problems_email.html.j2")
        .render(
            unit_name=unit_name,
            period=period,
            errors=shown_errors,
            warnings=shown_warnings,
            error_count=len(errors),
            warning_count=len(warnings),
            errors_more=more_line(more_errors, "kesalahan"),
            warnings_more=more_line(more_warnings, "peringatan"),
            file=file,
            kecamatan=kecamatan,
            accepted=accepted,
            send_to=list(send_to),
            originals=list(originals),
            template_file=template_file,
            not_attached=list(not_attached),
            detailed=any("isian" in p or "diterima" in p for p in errors + warnings),
        )
    )
    return strip_newlines(html)
