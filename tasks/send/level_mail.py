"""The mail of a level's report (kota, province, nation) to that level's own leadership.

Why its own recipients: a Wali Kota's mail goes to the Wali Kota's office (the level's
`recipients.csv`), never in copy to every Camat below; each kecamatan's run mails its own
leadership. The body is the level report itself (one row per child): small at any scale.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.period import parse_period
from triwulan.tasks.core.smtp_settings import looks_like_address
from triwulan.tasks.core.wilayah import RECIPIENTS, Wilayah
from triwulan.tasks.publish.level import render_html, render_text, wilayah_name
from triwulan.tasks.send.mails import content_key
from triwulan.tasks.send.smtp import Mail

# bookkeeping of a level summary that does not change what its reader sees
VOLATILE = {"version", "generated_at", "folder", "delivery"}


def level_recipients(level: Wilayah) -> list[str]:
    """Addresses from the level's recipients.csv, in its order; every bad one named."""
    path = level.folder / RECIPIENTS
    if not path.is_file():
        raise TriwulanError(
            f"Penerima laporan {level.label} belum diatur: berkas '{path}' tidak ada "
            "(kolom: peran, nama, jabatan, email)."
        )
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    addresses, problems = [], []
    for number, row in enumerate(rows, start=2):
        for address in (row.get("email") or "").replace(";", ",").split(","):
            address = address.strip()
            if not address:
                continue
            if looks_like_address(address):
                addresses.append(address)
            else:
                problems.append(f"baris {number} kolom email: '{address}' bukan alamat email")
    if problems or not addresses:
        problems = problems or ["belum ada alamat email"]
        raise TriwulanError(f"Berkas '{path}': " + "; ".join(problems) + ".")
    return list(dict.fromkeys(addresses))


def level_key(summary: dict[str, Any]) -> str:
    """Same figures and same children's versions: the same key, never sent twice."""
    content = {k: v for k, v in summary.items() if k not in VOLATILE}
    return f"{summary['period']}/wilayah/{summary['wilayah']['kode']}/{content_key(content)}"


def level_mail(level: Wilayah, summary: dict[str, Any], folder: Path) -> Mail:
    """To the head of the level (first address), in copy the rest of its own leadership."""
    addresses = level_recipients(level)
    period = parse_period(summary["period"])
    c = summary["counts"]
    subject = (
        f"[DRAF] Realisasi Fisik dan Keuangan {period.roman} {period.tahun} — "
        f"{wilayah_name(summary)} ({c['anak_dilaporkan']} dari {c['anak']} melapor, "
        f"{c['accepted']} dari {c['total']} unit diterima) — versi {summary['version']}"
    )
    return Mail(
        key=level_key(summary),
        to=addresses[:1],
        cc=addresses[1:],
        subject=subject,
        html=render_html(summary, folder),
        text=render_text(summary, folder),
    )
