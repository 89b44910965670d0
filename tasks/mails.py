"""Which emails a run sends: the draft to leadership, and feedback to each rejected unit."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tasks.deliver import Mail
from tasks.period import Period
from tasks.reference import Reference
from tasks.report import (
    email_subject,
    render_email_summary,
    render_email_text,
    render_problems_email,
)


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
        key=f"{period.label}/v{version}/pimpinan",
        to=to,
        cc=cc,
        subject=f"{email_subject(summary)} — versi {version}",
        html=render_email_summary(summary, behind),
        text=render_email_text(summary, behind),
        attachments=attachments,
    )


def unit_feedback_mails(ref: Reference, period: Period, summary: dict[str, object]) -> list[Mail]:
    """One mail per rejected unit listing its problems, to the unit's contact address(es)."""
    mails = []
    contacts = dict(zip(ref.units["unit"], ref.units["email"], strict=True))
    for unit in summary["units"]:
        if unit["status"] != "rejected":
            continue
        html = render_problems_email(
            unit["nama"], period, unit["problems"], unit["file"], kecamatan=ref.kecamatan_name
        )
        lines = [
            f"- Baris {p['row'] or '-'}, kolom {p['column'] or '-'}: {p['message']}"
            for p in unit["problems"]
        ]
        text = (
            f"Berkas {unit['file']} untuk {period.long} belum dapat diterima.\n\n"
            + "\n".join(lines)
            + "\n\nMohon perbaiki berkas lalu kirim ulang ke sekretariat kecamatan."
        )
        mails.append(
            Mail(
                key=f"{period.label}/v{summary['version']}/unit/{unit['unit']}",
                to=_emails(contacts[unit["unit"]]),
                cc=[],
                subject=f"Perbaikan berkas realisasi {period.roman} {period.tahun} — {unit['nama']}",
                html=html,
                text=text,
                attachments=[],
            )
        )
    return mails
