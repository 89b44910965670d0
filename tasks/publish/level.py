"""A level's report (kota, province, nation): one page and its plain-text twin.

Why one page for the file and the mail: a level's report summarises its children, so it is
small at any scale (one row per child, never per unit), and the Camat's Wali Kota reads the
same thing on a phone as the secretariat prints. Each child's own report stays in its folder
and is named, not attached.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from triwulan.tasks.core.fmt import persen, rupiah
from triwulan.tasks.core.period import parse_period
from triwulan.tasks.core.wilayah import TINGKAT_LABEL
from triwulan.tasks.measure.rollup import REPORTED
from triwulan.tasks.publish.report import DRAF_NOTE, environment, waktu

TEMPLATE = "wilayah.html.j2"
NAMES_LISTED = 5  # unit or child names per row; the rest are counted


def child_noun(summary: dict[str, Any]) -> str:
    """'kecamatan' for a kota; 'wilayah' for a province or the nation (kota and kabupaten)."""
    kinds = {c["tingkat"] for c in summary["children"]}
    return "kecamatan" if kinds == {"kecamatan"} else "wilayah"


def wilayah_name(summary: dict[str, Any]) -> str:
    w = summary["wilayah"]
    prefix = TINGKAT_LABEL.get(w["tingkat"], "")
    name = str(w["nama"])
    return name if name.lower().startswith(prefix.lower()) else f"{prefix} {name}".strip()


def _names(names: list[str], noun: str) -> str:
    shown = ", ".join(names[:NAMES_LISTED])
    more = len(names) - NAMES_LISTED
    return shown + (f" dan {more} {noun} lain" if more > 0 else "")


def child_row(child: dict[str, Any]) -> dict[str, Any]:
    """State, colour and notes of one child: who is missing is said in the row itself."""
    counts = child.get("counts") or {}
    notes: list[str] = []
    if child["status"] != REPORTED:
        state, color = "Belum ada laporan", "#b91c1c"
        if child.get("message"):
            notes.append(str(child["message"]))
    else:
        if child["tingkat"] == "kecamatan":
            state = f"{counts.get('accepted', 0)} dari {counts.get('total', 0)} unit diterima"
            if child.get("missing"):
                notes.append("Belum mengirim: " + _names(child["missing"], "unit"))
            if child.get("rejected"):
                notes.append("Ditolak: " + _names(child["rejected"], "unit"))
        else:
            kids = child.get("children") or {}
            state = f"{kids.get('lengkap', 0)} dari {kids.get('anak', 0)} wilayah lengkap"
            notes.append(f"{counts.get('accepted', 0)} dari {counts.get('total', 0)} unit diterima")
            if child.get("missing"):
                notes.append("Belum ada laporan: " + _names(child["missing"], "wilayah"))
        color = "#15803d" if child.get("complete") else "#b45309"
        if child.get("message"):
            notes.append(str(child["message"]))
    return {**child, "state": state, "color": color, "notes": notes}


def completeness(summary: dict[str, Any]) -> tuple[str, list[str], str]:
    """The head line, what is missing, and how current: what leadership must know first."""
    c = summary["counts"]
    noun = child_noun(summary)
    head = (
        f"{c['anak_dilaporkan']} dari {c['anak']} {noun} melapor; "
        f"{c['accepted']} dari {c['total']} unit diterima"
    )
    if summary["complete"]:
        head += " (lengkap)"
    lines = []
    absent = [ch["nama"] for ch in summary["children"] if ch["status"] != REPORTED]
    if absent:
        lines.append(f"Belum ada laporan: {_names(absent, noun)}.")
    if c.get("missing"):
        lines.append(f"{c['missing']} unit belum mengirim berkas.")
    if c.get("rejected"):
        lines.append(f"{c['rejected']} unit ditolak (menunggu perbaikan).")
    if summary.get("data_tertua"):
        current = (
            f"Data {noun} terbaru {waktu(summary['data_terbaru'])}; "
            f"tertua {waktu(summary['data_tertua'])}."
        )
    else:
        current = "Belum ada data dari wilayah di bawahnya."
    return head, lines, current


def context(summary: dict[str, Any], folder: Path) -> dict[str, Any]:
    head, lines, current = completeness(summary)
    noun = child_noun(summary)
    return {
        "summary": summary,
        "period": parse_period(summary["period"]),
        "mark": "DRAF",
        "draf_note": DRAF_NOTE,
        "wilayah_nama": wilayah_name(summary),
        "child_noun": noun,
        "child_head": noun.capitalize(),
        "completeness_head": head,
        "completeness_lines": lines,
        "currency_line": current,
        "rows": [child_row(c) for c in summary["children"]],
        "folder": str(folder),
    }


def render_html(summary: dict[str, Any], folder: Path) -> str:
    return environment().get_template(TEMPLATE).render(**context(summary, folder))


def render_text(summary: dict[str, Any], folder: Path) -> str:
    """The plain-text part of the mail: the same facts, in the same order."""
    ctx = context(summary, folder)
    t = summary["totals"]
    period = ctx["period"]
    out = [
        f"DRAF Realisasi Fisik dan Keuangan {period.roman} {period.tahun}",
        f"{ctx['wilayah_nama']}, versi {summary['version']}",
        "",
        ctx["completeness_head"],
        *ctx["completeness_lines"],
        ctx["currency_line"],
        "",
        f"Realisasi keuangan s.d. {period.roman}: {rupiah(t['realisasi_keuangan_sd_tw'])} "
        f"({persen(t['capaian_keuangan_sd_tw_persen'])} dari target; serapan "
        f"{persen(t['serapan_pagu_persen'])} dari pagu {rupiah(t['pagu'])}; fisik "
        f"{persen(t['realisasi_fisik_persen'])}).",
        "",
        f"Per {ctx['child_noun']}:",
    ]
    for row in ctx["rows"]:
        money = (
            f"{rupiah(row['totals']['realisasi_keuangan_sd_tw'])}, "
            f"{persen(row['totals']['capaian_keuangan_sd_tw_persen'])}"
            if row.get("totals")
            else "belum ada data"
        )
        out.append(f"- {row['nama']} ({row['kode']}): {row['state']}; {money}")
        out += [f"    {note}" for note in row["notes"]]
    out += ["", f"Laporan lengkap tiap {ctx['child_noun']} ada di foldernya masing-masing."]
    out += [f"  {row['nama']}: {row['folder']}" for row in ctx["rows"] if row.get("folder")]
    return "\n".join(out) + "\n"


def latest_version(quarter_folder: Path) -> tuple[int, Path] | None:
    """The newest finished level version (its summary.json is written last, inside a rename)."""
    if not quarter_folder.is_dir():
        return None
    found = [
        (int(entry.name[1:]), entry)
        for entry in quarter_folder.iterdir()
        if entry.name.startswith("v")
        and entry.name[1:].isdigit()
        and (entry / "summary.json").is_file()
    ]
    return max(found, default=None)


def write_level_version(quarter_folder: Path, summary: dict[str, Any]) -> Path:
    """v<n>/ with summary.json, laporan.html and laporan.txt, made whole in a temporary folder
    and renamed into place: a reader never sees half a version."""
    quarter_folder.mkdir(parents=True, exist_ok=True)
    number = int(summary["version"])
    final = quarter_folder / f"v{number}"
    work = Path(tempfile.mkdtemp(prefix=f".v{number}-", dir=quarter_folder))
    try:
        (work / "laporan.html").write_text(render_html(summary, final), encoding="utf-8")
        (work / "laporan.txt").write_text(render_text(summary, final), encoding="utf-8")
        (work / "summary.json").write_text(
            json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        os.chmod(work, 0o755)
        work.replace(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final
