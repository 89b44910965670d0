"""The acknowledgement of an accepted file: 'Berkas diterima' with its figures and warnings.

Split from tasks/send/notices.py by mail kind: this mail follows a run
that accepted a unit's file, while the notices there go out around the deadline. Pure builder:
no database, no sending. The key is derived from what the mail says, so a rerun that accepts the
same file with the same figures sends nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triwulan.tasks.check.columns import reference_labels
from triwulan.tasks.core.fmt import persen, rupiah
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference
from triwulan.tasks.publish.report import MAIL_PROBLEMS, capped, more_line, split_problems
from triwulan.tasks.send.deliver import Mail
from triwulan.tasks.send.mails import content_key
from triwulan.tasks.send.notice_parts import addresses, problem_item, render_html, sign_off

# (key in unit["totals"], label, formatter) in the order an acknowledgement lists them
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("realisasi_keuangan_tw", "Realisasi keuangan {tw}", "rupiah"),
    ("target_keuangan_tw", "Target keuangan {tw}", "rupiah"),
    ("capaian_keuangan_tw_persen", "Capaian terhadap target {tw}", "persen"),
    ("realisasi_keuangan_sd_tw", "Realisasi keuangan s.d. {tw} (kumulatif)", "rupiah"),
    ("serapan_pagu_persen", "Serapan pagu s.d. {tw}", "persen"),
    ("realisasi_fisik_persen", "Realisasi fisik (kumulatif)", "persen"),
)


def figures(totals: Mapping[str, Any] | None, period: Period) -> list[dict[str, str]]:
    """The unit's figures as the acknowledgement shows them (label, formatted value)."""
    totals = totals or {}
    out = []
    for key, label, kind in FIGURES:
        value = totals.get(key)
        shown = rupiah(value) if kind == "rupiah" else persen(value)
        out.append({"label": label.format(tw=period.roman), "value": shown})
    return out


def acknowledgement_mails(
    ref: Reference, period: Period, summary: dict, shas: dict[str, str]
) -> list[Mail]:
    """'Berkas diterima' to each unit accepted in this run, with its figures and warnings.

    Keyed on the file's bytes, its figures and its warnings: the same accepted file is
    acknowledged once; a unit without a usable address is skipped (it cannot be mailed).
    """
    contacts = dict(zip(ref.units["unit"], ref.units["email"], strict=True))
    signed = sign_off(ref)  # once: the kecamatan's name is looked up in the whole unit table
    labels = reference_labels(ref)
    mails = []
    for unit in summary["units"]:
        if unit.get("status") != "accepted":
            continue
        to = addresses(contacts.get(unit["unit"]))
        if not to:
            continue
        warnings = split_problems(unit.get("problems"))[1]
        shown, more = capped(warnings, MAIL_PROBLEMS)
        names = [f.strip() for f in str(unit.get("file") or "").split(",") if f.strip()]
        numbers = {key: (unit.get("totals") or {}).get(key) for key, _, _ in FIGURES}
        content = [sorted(shas.get(f, f) for f in names), numbers, warnings]
        context = {
            "unit_name": unit["nama"],
            "period_long": period.long,
            "period_short": f"{period.roman} {period.tahun}",
            "file": unit.get("file"),
            "figures": figures(unit.get("totals"), period),
            "warnings": [
                problem_item(p) | {"kolom": labels.text(p.get("column")) or "-"} for p in shown
            ],
            "warning_count": len(warnings),
            "warnings_more": more_line(more, "peringatan"),
            "sign_off": signed,
        }
        noted = " dengan catatan" if warnings else ""
        mails.append(
            Mail(
                key=f"{period.label}/diterima/{unit['unit']}/{content_key(content)}",
                to=to,
                cc=[],
                subject=f"Berkas diterima{noted}: laporan realisasi {period.roman} {period.tahun} — {unit['nama']}",
                html=render_html("diterima.html.j2", context),
                text=_acknowledgement_text(context),
                attachments=[],
            )
        )
    return mails


def _acknowledgement_text(c: Mapping[str, Any]) -> str:
    file = f"Berkas {c['file']}" if c["file"] else "Berkas"
    lines = [
        f"Yth. Bapak/Ibu pengelola laporan {c['unit_name']},",
        "",
        f"{file} untuk laporan realisasi fisik dan keuangan {c['period_long']} sudah kami terima"
        + (
            f" dengan {c['warning_count']} catatan (peringatan) yang mohon diperiksa."
            if c["warning_count"]
            else " dan lolos pemeriksaan."
        ),
        "",
        "Angka yang tercatat:",
    ]
    lines += [f"- {f['label']}: {f['value']}" for f in c["figures"]]
    if c["warnings"]:
        lines += ["", "Catatan (tidak menyebabkan penolakan):"]
        lines += [f"- baris {w['baris']}, kolom {w['kolom']}: {w['pesan']}" for w in c["warnings"]]
        if c["warnings_more"]:
            lines.append(c["warnings_more"])
    lines += [
        "",
        "Berkas tidak perlu dikirim ulang. Bila ada angka yang perlu dikoreksi, kirim kembali "
        f"berkas lengkap untuk {c['period_short']} ke sekretariat.",
        "",
        "Hormat kami,",
        c["sign_off"],
    ]
    return "\n".join(lines) + "\n"
