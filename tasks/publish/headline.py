"""The words beside the figures: deviasi in words, predikat colours, what the figures cover.

Registered on the report environment (tasks.publish.report) and used by the mail, laporan.html
and the rekap alike, so a reader sees one phrasing for one fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triwulan.tasks.check.columns import shared_labels
from triwulan.tasks.core import fmt


def rupiah(value: Any) -> str:
    """'Rp 46.754.089.520'; '-' when there is none."""
    value = fmt.plain(value)
    return fmt.rupiah(None if value is None else int(value))


def persen(value: Any) -> str:
    """'95,62%'; '-' when there is none."""
    value = fmt.plain(value)
    return fmt.persen(None if value is None else float(value))


def deviasi_keterangan(value: Any, subject: str = "") -> str:
    """Deviasi (planned minus realised, in % of pagu; positive = behind plan) in words.

    'tertinggal 1,05% dari pagu dibanding rencana'; with subject 'Realisasi keuangan' the phrase
    becomes a sentence. '-' when undefined (the subject is then left out too).
    """
    value = fmt.plain(value)
    if value is None:
        return "-"
    value = float(value)
    if value > 0:
        phrase = f"tertinggal {persen(value)} dari pagu dibanding rencana"
    elif value < 0:
        phrase = f"lebih cepat {persen(-value)} dari pagu dibanding rencana"
    else:
        phrase = "sesuai rencana"
    return f"{subject} {phrase}" if subject else phrase


def predikat_color(predikat: Any) -> str:
    """Text colour for a predikat (green good, amber middling, red low)."""
    text = str(fmt.plain(predikat) or "").strip().lower()
    if text in {"sangat tinggi", "tinggi"}:
        return "#166534"
    if text == "sedang":
        return "#92400e"
    if text in {"rendah", "sangat rendah"}:
        return "#b91c1c"
    return "#374151"


def pagu_note(summary: Mapping[str, Any]) -> str:
    """Which pagu the percentages use when units are left out ('' when all of it is counted).

    A rejected or missing unit takes its pagu out of the figures, so serapan and capaian are of
    a smaller pagu than the kecamatan's; a reader comparing with the DPA must see both.
    """
    full = fmt.plain(summary.get("pagu_semua_unit"))
    counted = fmt.plain((summary.get("totals") or {}).get("pagu"))
    if full is None or counted is None or int(counted) >= int(full):
        return ""
    return (
        f"Persentase memakai pagu unit yang masuk perhitungan, {rupiah(counted)}, "
        f"dari pagu seluruh unit {rupiah(full)}."
    )


def column_label(problem: Mapping[str, Any]) -> str:
    """A problem's column as the unit finds it in its template: 'Kode Sub Kegiatan (D)'."""
    return str(problem.get("kolom") or shared_labels().text(problem.get("column")))


def fisik_note(summary: Mapping[str, Any]) -> str:
    """How the fisik figure is averaged, said once beside it (the seed prints a plain mean)."""
    plain = fmt.plain(summary.get("fisik_rata_biasa_persen"))
    note = "Rata-rata tertimbang pagu"
    if plain is None:
        return note
    return f"{note} (rata-rata biasa per sub kegiatan: {persen(plain)})"


def capaian_is_serapan(totals: Mapping[str, Any]) -> bool:
    """At TW IV the target to date is the whole pagu, so capaian and serapan are one number."""
    target, pagu = fmt.plain(totals.get("target_keuangan_sd_tw")), fmt.plain(totals.get("pagu"))
    return target is not None and pagu is not None and int(target) == int(pagu)
