"""Which emails a run sends: the draft to leadership, and feedback to each rejected unit.

Mail keys are derived from content, not from the run's version: a rerun that changes nothing
produces the same keys, and the quarter's ledger then sends nothing twice. A corrected figure or a
new rejected file makes a new key, so that mail does go out.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from triwulan.tasks.deliver import Mail
from triwulan.tasks.fmt import problem_line
from triwulan.tasks.period import Period
from triwulan.tasks.reference import Reference
from triwulan.tasks.report import (
    MAIL_PROBLEMS,
    capped,
    email_subject,
    more_line,
    render_email_summary,
    render_email_text,
    render_problems_email,
    split_problems,
)


def content_key(payload: object) -> str:
    """Short stable digest of JSON-able content."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _emails(cell: str) -> list[str]:
    return [e.strip() for e in str(cell).replace(",", ";").split(";") if e.strip()]


def leadership_mail(
    ref: Reference,
    period: Period,
    summary: dict[str, object],
    behind: pd.DataFrame,
    attachments: list[Path],
) -> Mail:
    """The draft report for the Camat and Sekcam; the secretariat is in copy."""
    version = summary["version"]
    to = [e for cell in ref.recipients["email"] for e in _emails(cell)]
    kecamatan_units = ref.units[ref.units["jenis"] == "kecamatan"]["email"]
    cc = [e for cell in kecamatan_units for e in _emails(cell)]
    return Mail(
        key=f"{period.label}/pimpinan/{content_key(_report_content(summary))}",
        to=to,
        cc=cc,
        subject=f"{email_subject(summary)} — versi {version}",
        html=render_email_summary(summary, behind),
        text=render_email_text(summary, behind),
        attachments=attachments,
    )


def _report_content(summary: dict[str, object]) -> dict[str, object]:
    """What the draft says: unit outcomes and figures, without run metadata (version, time)."""
    units = [
        {k: u.get(k) for k in ("unit", "status", "file", "problems", "totals", "data_sebelumnya")}
        for u in summary["units"]
    ]
    return {"units": units, "totals": summary["totals"], "berkas": summary.get("unreadable_files")}


def unit_feedback_mails(
    ref: Reference, period: Period, summary: dict[str, object], shas: dict[str, str]
) -> list[Mail]:
    """One mail per rejected unit listing its problems, to the unit's contact address(es).

    Keyed on the rejected file's bytes and its problems: the same bad file is reported once.
    """
    mails = []
    contacts = dict(zip(ref.units["unit"], ref.units["email"], strict=True))
    for unit in summary["units"]:
        if unit["status"] != "rejected":
            continue
        html = render_problems_email(
            unit["nama"], period, unit["problems"], unit["file"], kecamatan=ref.kecamatan_name
        )
        errors, warnings = split_problems(unit["problems"])
        text = f"Berkas {unit['file']} untuk {period.long} belum dapat diterima.\n\n"
        text += "Kesalahan yang harus diperbaiki:\n" + _lines(errors, "kesalahan")
        if warnings:
            text += "\n\nPeringatan (tidak menyebabkan penolakan):\n"
            text += _lines(warnings, "peringatan")
        text += "\n\nMohon perbaiki berkas lalu kirim ulang ke sekretariat kecamatan."
        mails.append(
            Mail(
                key=f"{period.label}/unit/{unit['unit']}/{content_key(_feedback_content(unit, shas))}",
                to=_emails(contacts[unit["unit"]]),
                cc=[],
                subject=f"Perbaikan berkas realisasi {period.roman} {period.tahun} — {unit['nama']}",
                html=html,
                text=text,
                attachments=[],
            )
        )
    return mails


def _lines(problems: list[dict[str, object]], noun: str) -> str:
    """The text part lists as many problems as the HTML part (report.MAIL_PROBLEMS), no more."""
    shown, more = capped(problems, MAIL_PROBLEMS)
    lines = [f"- {problem_line(p)}" for p in shown]
    return "\n".join([*lines, more_line(more, noun)] if more else lines)


def _feedback_content(unit: dict[str, object], shas: dict[str, str]) -> dict[str, object]:
    files = [f.strip() for f in str(unit["file"] or "").split(",") if f.strip()]
    return {"sha256": sorted(shas.get(f, f) for f in files), "problems": unit["problems"]}
