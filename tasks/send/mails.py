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

from triwulan.tasks.check.problem_details import column_accepts, with_details
from triwulan.tasks.check.validate import load_suite
from triwulan.tasks.core.fmt import megabytes, problem_line, strip_newlines
from triwulan.tasks.core.period import Period, parse_period
from triwulan.tasks.core.reference import Reference
from triwulan.tasks.publish.report import (
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
from triwulan.tasks.record.store import raw_path
from triwulan.tasks.send.deliver import Mail
from triwulan.tasks.send.template_pool import fresh_templates

# Run bookkeeping in a summary: never part of what a mail says.
# Not part of what is new to a reader: bookkeeping, and "perubahan" (it compares with whichever
# version came before, so the same figures forced into a new version would differ only there).
VOLATILE = frozenset(
    {"version", "generated_at", "folder", "delivery", "cascade", "cause", "perubahan"}
)


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
    attachments: list[Path],
    detail: pd.DataFrame,
    later: Sequence[Any] = (),
) -> Mail:
    """The draft report for the Camat and Sekcam; the secretariat is in copy.

    `later`: later quarters recomputed because this run corrected an earlier one. Then one mail
    names every quarter whose figures changed and carries all their drafts.
    """
    version = summary["version"]
    charts = sorted(attachments[0].parent.glob("grafik-*.png")) if attachments else []
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
    attachments, left_out = _within_budget(summary, notice, charts, attachments)
    if left_out:
        cause = (summary.get("cause") or {}).get("message")
        notice = " ".join(filter(None, [notice or cause, _left_out_note(left_out)]))
    return Mail(
        key=key,
        to=to,
        cc=cc,
        subject=subject,
        html=render_email_summary(summary, notice=notice, charts=[p.stem for p in charts]),
        text=render_email_text(summary, notice=notice),
        attachments=attachments,
        inline=charts,
    )


# The leadership mail, archived as .eml with its charts and attachments, stays under 2 MB at any
# scale: a file that does not fit stays in the version folder and the mail names it.
LEADERSHIP_MAIL_BUDGET = 1_900_000


def _within_budget(
    summary: dict[str, Any], notice: str | None, charts: list[Path], attachments: list[Path]
) -> tuple[list[Path], list[Path]]:
    """(attached, left out): attachments in their order while the whole mail fits the budget."""
    # the bodies as they will be, with the longest note the mail could get
    bodies = (
        render_email_summary(summary, notice=f"{notice or ''} {_left_out_note(attachments)}"),
        render_email_text(summary, notice=f"{notice or ''} {_left_out_note(attachments)}"),
    )
    room = LEADERSHIP_MAIL_BUDGET - _encoded(bodies) - sum(_encoded_attachment(c) for c in charts)
    attached: list[Path] = []
    left_out: list[Path] = []
    for path in attachments:
        size = _encoded_attachment(path)
        if size <= room:
            attached.append(path)
            room -= size
        else:
            left_out.append(path)
    return attached, left_out


def _left_out_note(paths: list[Path]) -> str:
    if not paths:
        return ""
    files = ", ".join(f"{p.name} ({megabytes(p.stat().st_size)})" for p in paths)
    return (
        f"Lampiran terlalu besar untuk email (batas 2 MB) dan tidak dilampirkan: {files}. "
        f"Berkasnya ada di folder {paths[0].parent} pada komputer sekretariat."
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


# One feedback mail, archived as .eml with its attachments, stays under 2 MB (limit 2 << 20):
# bodies are encoded (quoted-printable/base64: up to ~1.4x), attachments base64 (~1.37x).
FEEDBACK_MAIL_BUDGET = 1_900_000
ORIGINALS_DIR = "berkas-asli"


def unit_feedback_mails(
    ref: Reference,
    period: Period,
    summary: dict[str, object],
    shas: dict[str, str],
    *,
    raw_dir: Path | None = None,
    attachments_dir: Path | None = None,
) -> list[Mail]:
    """One mail per rejected unit: its problems (errors, then warnings), to its address(es).

    Each problem shows its row, column, the value found and what would be accepted, as far as
    they can be read back from the rule's message. With `attachments_dir`, a fresh pre-filled
    template of the quarter is written there (per unit) and attached; with `raw_dir` too (the
    raw store), a copy of the unit's own file(s) under the original name, from the bytes kept at
    reception. What does not fit the mail's size budget is named instead of attached.

    Keyed on the rejected file's bytes and its problems, never on attachment bytes (a template
    carries timestamps): the same bad file is reported once.
    """
    if raw_dir is not None and attachments_dir is None:
        raise ValueError("raw_dir needs attachments_dir: the original is attached by its own name")
    suite = load_suite()
    accepts = column_accepts(ref.kolom)
    send_to = secretariat_address(ref)
    mails = []
    contacts = dict(zip(ref.units["unit"], ref.units["email"], strict=True))
    rejected = [u for u in summary["units"] if u["status"] == "rejected"]
    templates = (
        {}
        if attachments_dir is None
        else fresh_templates(
            ref, period, {str(u["unit"]): attachments_dir / str(u["unit"]) for u in rejected}
        )
    )
    for unit in rejected:
        problems = with_details(unit["problems"], suite, accepts)
        folder = None if attachments_dir is None else attachments_dir / str(unit["unit"])
        fresh = templates.get(str(unit["unit"]))
        originals = _originals(unit, shas, raw_dir, folder)
        base = _feedback_bodies(unit, period, ref, problems, send_to, [], None, [])
        room = FEEDBACK_MAIL_BUDGET - _encoded(base)
        attached: list[Path] = []
        for path in ([fresh] if fresh else []) + originals:
            size = _encoded_attachment(path)
            if size <= room:
                attached.append(path)
                room -= size
        kept = [p.name for p in originals if p in attached]
        left_out = [p.name for p in originals if p not in attached]
        template_name = fresh.name if fresh in attached else None
        html, text = _feedback_bodies(
            unit, period, ref, problems, send_to, kept, template_name, left_out
        )
        mails.append(
            Mail(
                key=f"{period.label}/unit/{unit['unit']}/{content_key(_feedback_content(unit, shas))}",
                to=_emails(contacts[unit["unit"]]),
                cc=[],
                subject=f"Perbaikan berkas realisasi {period.roman} {period.tahun} — {unit['nama']}",
                html=html,
                text=text,
                attachments=attached,
            )
        )
    return mails


def _feedback_bodies(
    unit: dict[str, Any],
    period: Period,
    ref: Reference,
    problems: list[dict[str, Any]],
    send_to: list[str],
    originals: list[str],
    template_name: str | None,
    left_out: list[str],
) -> tuple[str, str]:
    """(html, text) of a unit's feedback mail; both list the same problems and attachments."""
    html = render_problems_email(
        unit["nama"],
        period,
        problems,
        unit["file"],
        kecamatan=ref.kecamatan_name,
        send_to=send_to,
        originals=originals,
        template_file=template_name,
        not_attached=left_out,
    )
    errors, warnings = split_problems(problems)
    text = f"Berkas {unit['file']} untuk {period.long} belum dapat diterima.\n\n"
    text += "Kesalahan yang harus diperbaiki:\n" + _lines(errors, "kesalahan")
    if warnings:
        text += "\n\nPeringatan (tidak menyebabkan penolakan):\n"
        text += _lines(warnings, "peringatan")
    text += "\n\nMohon perbaiki berkas lalu kirim ulang ke sekretariat kecamatan"
    text += f" ({', '.join(send_to)})." if send_to else "."
    attached = []
    if template_name:
        attached.append(f"- {template_name}: templat baru {period.roman} {period.tahun}")
    attached += [f"- {name}: berkas yang Bapak/Ibu kirim, apa adanya" for name in originals]
    attached += [f"- {name}: tidak dilampirkan karena terlalu besar" for name in left_out]
    if attached:
        text += "\n\nLampiran:\n" + "\n".join(attached)
    return html, text


def _encoded(bodies: tuple[str, str]) -> int:
    """Bytes the two bodies take in the .eml at most (encoding, headers, MIME parts)."""
    return sum(len(b.encode("utf-8")) for b in bodies) * 14 // 10 + 8_000


def _encoded_attachment(path: Path) -> int:
    return path.stat().st_size * 137 // 100 + 1_000


def _safe_name(name: str, fallback: str) -> str:
    """A file name a unit chose, usable as one path part: no folders, no control characters."""
    name = "".join(c for c in Path(name.replace("\\", "/")).name if c.isprintable()).strip()
    return fallback if name in ("", ".", "..") else name


def _originals(
    unit: dict[str, Any], shas: dict[str, str], raw_dir: Path | None, folder: Path | None
) -> list[Path]:
    """Copies of the unit's own file(s) from the raw store, each under its original name.

    In a subfolder of the unit's attachments, so an original named like the template (a unit
    that kept the template's name) overwrites nothing. Files not in the store are skipped.
    """
    if raw_dir is None or folder is None:
        return []
    out = []
    for name in [f.strip() for f in str(unit.get("file") or "").split(",") if f.strip()]:
        sha = shas.get(name)
        if not sha:
            continue
        kept = raw_path(raw_dir, sha, Path(name).suffix)
        if not kept.is_file():
            continue
        target = folder / ORIGINALS_DIR / _safe_name(name, f"berkas{Path(name).suffix[:10]}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kept, target)
        out.append(target)
    return out


def _lines(problems: list[dict[str, object]], noun: str) -> str:
    """The text part lists as many problems as the HTML part (report.MAIL_PROBLEMS), no more."""
    shown, more = capped(problems, MAIL_PROBLEMS)
    lines = [f"- {problem_line(p)}{_found_and_accepted(p)}" for p in shown]
    return "\n".join([*lines, more_line(more, noun)] if more else lines)


def _found_and_accepted(problem: dict[str, object]) -> str:
    """' (isian: X; yang diterima: Y)' when known, for the text part."""
    parts = []
    if problem.get("isian"):
        parts.append(f"isian: {problem['isian']}")
    if problem.get("diterima"):
        parts.append(f"yang diterima: {problem['diterima']}")
    return f" ({'; '.join(parts)})" if parts else ""


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
