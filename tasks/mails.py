"""Which emails a run sends: the draft to leadership, and feedback to each rejected unit.

Mail keys are derived from content, not from the run's version: a rerun that changes nothing
produces the same keys, and the quarter's ledger then sends nothing twice. A corrected figure or a
new rejected file makes a new key, so that mail does go out.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.tasks.deliver import Mail
from triwulan.tasks.fmt import problem_line, strip_newlines
from triwulan.tasks.period import Period, parse_period
from triwulan.tasks.reference import Reference
from triwulan.tasks.report import (
    MAIL_PROBLEMS,
    capped,
    email_subject,
    more_line,
    render_email_summary,
    render_email_text,
    render_notice,
    render_problems_email,
    split_problems,
)

# Run bookkeeping in a summary: never part of what a mail says.
VOLATILE = frozenset({"version", "generated_at", "folder", "delivery", "cascade", "cause"})


def content_key(payload: object) -> str:
    """Short stable digest of JSON-able content."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _emails(cell: str) -> list[str]:
    return [e.strip() for e in str(cell).replace(",", ";").split(";") if e.strip()]


def leadership_key(label: str, summary: dict[str, Any], detail: pd.DataFrame) -> str:
    """Key of a draft: everything the reader sees, none of the run's bookkeeping.

    Every figure and text of the draft (statuses, problems, warnings, totals, and each detail row
    with its kendala, tindak lanjut and keluaran) is in; version, time and folder are not, so an
    identical draft is never sent twice and a text-only correction is.
    """
    content = {
        **{k: v for k, v in summary.items() if k not in VOLATILE},
        "rincian": json.loads(detail.to_json(orient="records", force_ascii=False)),
    }
    return f"{label}/pimpinan/{content_key(content)}"


def leadership_mail(
    ref: Reference,
    period: Period,
    summary: dict[str, Any],
    behind: pd.DataFrame,
    attachments: list[Path],
    detail: pd.DataFrame,
    later: Sequence[Any] = (),
) -> Mail:
    """The draft report for the Camat and Sekcam; the secretariat is in copy.

    `later`: later quarters recomputed because this run corrected an earlier one. Then one mail
    names every quarter whose figures changed and carries all their drafts.
    """
    version = summary["version"]
    to = [e for cell in ref.recipients["email"] for e in _emails(cell)]
    kecamatan_units = ref.units[ref.units["jenis"] == "kecamatan"]["email"]
    cc = [e for cell in kecamatan_units for e in _emails(cell)]
    key = leadership_key(period.label, summary, detail)
    subject = f"{email_subject(summary)} — versi {version}"
    notice = None
    if later:
        names = [f"{period.roman} (versi {version})"] + [
            f"{parse_period(b.summary['period']).roman} (versi {b.version})" for b in later
        ]
        changed = ", ".join(names[:-1]) + " dan " + names[-1]
        notice = (
            f"Koreksi data {period.roman} {period.tahun} mengubah angka {changed}. "
            "Semua draf yang berubah terlampir pada email ini."
        )
        subject = f"[DRAF] Koreksi {period.roman} {period.tahun}: angka {changed} berubah — {ref.kecamatan_name}"
        key += "+" + "+".join(
            leadership_key(b.summary["period"], b.summary, b.detail).rsplit("/", 1)[1]
            for b in later
        )
        attachments = _labelled(
            attachments[0].parent,
            [(period.label, version, attachments)]
            + [(b.summary["period"], b.version, b.attachments) for b in later],
        )
    return Mail(
        key=key,
        to=to,
        cc=cc,
        subject=subject,
        html=render_email_summary(summary, behind, notice=notice),
        text=render_email_text(summary, behind, notice=notice),
        attachments=attachments,
    )


def _labelled(folder: Path, drafts: list[tuple[str, int, list[Path]]]) -> list[Path]:
    """Copies named after their quarter and version, so two drafts never share a file name."""
    target = folder / "lampiran"
    target.mkdir(exist_ok=True)
    out = []
    for label, version, paths in drafts:
        for path in paths:
            copy = target / f"{path.stem}-{label}-v{version}{path.suffix}"
            shutil.copyfile(path, copy)
            out.append(copy)
    return out


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


def secretariat_address(ref: Reference | None = None) -> list[str]:
    """TRIWULAN_SEKRETARIAT, else the kecamatan unit's address in the reference data."""
    configured = os.environ.get("TRIWULAN_SEKRETARIAT", "").strip()
    if configured:
        return _emails(configured)
    if ref is None:
        return []
    kecamatan = ref.units[ref.units["jenis"] == "kecamatan"]["email"]
    return [e for cell in kecamatan for e in _emails(cell)]


def failure_mail(label: str, message: str, to: list[str]) -> Mail:
    """What a scheduled run that produced nothing tells the secretariat: the line and what to do."""
    html = strip_newlines(
        render_notice(
            "Laporan triwulan belum dapat dibuat",
            [
                f"Run terjadwal laporan {label} berhenti tanpa membuat laporan:",
                message,
                "Perbaiki hal di atas (misalnya simpan berkas unit di folder inbox triwulan itu, "
                "atau perbaiki pengaturan di triwulan.toml), lalu jalankan ulang: "
                f"triwulan run {label if label[:1].isdigit() else 'TAHUN-TWn'}, atau dari Prefect: "
                f"prefect deployment run 'quarterly-report/akhir-triwulan' -p periode={label}.",
            ],
        )
    )
    text = f"Run terjadwal laporan {label} berhenti tanpa membuat laporan:\n{message}\n"
    return Mail(
        key=f"{label}/gagal/{content_key([label, message])}",
        to=to,
        cc=[],
        subject=f"[GAGAL] Laporan triwulan {label} belum dapat dibuat",
        html=html,
        text=text,
        attachments=[],
    )
