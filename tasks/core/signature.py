"""Signature blocks of the printed forms ("Disusun oleh … / Mengetahui, Camat …, NIP …").

One place for what a block says, so laporan.html, E.81 and the rekap sign alike. A DRAF is not
signed: its blocks keep the role and the office and leave the date, name and NIP as dotted lines
to be filled by hand; only a FINAL version names the signatories (reference pejabat.csv, read
when it is made final) and dates the block with the day it was made final.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from triwulan.tasks.core.fmt import tanggal

DOTS = "." * 40
DATE_DOTS = "." * 28
_NIP = re.compile(r"(\d{8})(\d{6})(\d)(\d{3})")


def is_final(summary: Mapping[str, Any]) -> bool:
    return summary.get("status_laporan") == "FINAL"


def nip_text(nip: str) -> str:
    """'198008251999121001' -> '19800825 199912 1 001' (8-6-1-3, as printed on forms)."""
    match = _NIP.fullmatch(re.sub(r"\D", "", nip))
    return " ".join(match.groups()) if match else nip.strip()


def signed_date(summary: Mapping[str, Any]) -> str | None:
    """'10 Januari 2025' of a FINAL version; None for a DRAF or a date that cannot be read."""
    if not is_final(summary):
        return None
    try:
        return tanggal(dt.date.fromisoformat(str(summary.get("tanggal_pengesahan"))[:10]))
    except ValueError:
        return None


def place_and_date(summary: Mapping[str, Any]) -> str:
    """'Bekasi, 10 Januari 2025' on FINAL; 'Bekasi, ……' with the date dotted on a DRAF."""
    place = str((summary.get("pengesahan") or {}).get("tempat") or "")
    date = signed_date(summary) or DATE_DOTS
    return f"{place}, {date}" if place else date


def _with_comma(text: str) -> str:
    """'Mengetahui,' as forms print it; nothing for an empty cell (never a lone comma)."""
    return f"{text.strip()}," if text.strip() else ""


def signature_blocks(
    summary: Mapping[str, Any], roles: Sequence[str] = ("penyusun", "camat")
) -> list[dict[str, str]]:
    """One block per role present in pejabat.csv, in `roles` order.

    Each: `tempat_tanggal` (on the first block only), `label` ("Mengetahui,"), `jabatan`
    ("CAMAT BEKASI UTARA,", upper-case as the seed prints it), `nama` (as pejabat.csv writes
    it: degrees keep their case), `pangkat`, `nip` ("NIP. 19800825 199912 1 001"). A FINAL
    signatory without a name yet stays dotted like a DRAF's.
    """
    people = {p.get("peran"): p for p in (summary.get("pengesahan") or {}).get("pejabat", [])}
    final = is_final(summary)
    blocks = []
    for role in roles:
        person = people.get(role)
        if person is None:
            continue
        name = str(person.get("nama") or "").strip()
        nip = str(person.get("nip") or "").strip()
        signed = final and bool(name)
        blocks.append(
            {
                "peran": role,
                "tempat_tanggal": "" if blocks else place_and_date(summary),
                "label": _with_comma(str(person.get("label") or "")),
                "jabatan": _with_comma(str(person.get("jabatan") or "").upper()),
                "nama": name if signed else DOTS,
                "pangkat": str(person.get("pangkat") or "") if signed else "",
                "nip": f"NIP. {nip_text(nip)}" if signed and nip else f"NIP. {DOTS}",
            }
        )
    return blocks
