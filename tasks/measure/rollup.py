"""A level's figures (kota, province, nation) from its children's stored results.

Why sums, not averages: every percentage of a level is derived again from exact integer rupiah
summed over the kecamatan below it, the way a kecamatan derives its own from its sub-kegiatan.
Fisik is weighted by pagu: each child hands on Σ(pagu × fisik) and Σ pagu over the rows that
report fisik (`jumlah`), so a province consolidates its kota's summaries without reading a
single kecamatan's detail again, and gets the figure it would get from all the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from triwulan.tasks.measure.compute import MONEY, totals_of_sums

FISIK_WEIGHT = "fisik_bobot"  # Σ pagu × fisik over rows reporting fisik
FISIK_PAGU = "pagu_fisik"  # Σ pagu over those rows
COUNT_KEYS = ("accepted", "rejected", "missing", "total")
REPORTED = "dilaporkan"  # a child with a finished version of the quarter
NOT_REPORTED = "belum_ada"  # no finished version (its run failed or never ran)


@dataclass(frozen=True)
class ChildResult:
    """What one child left in its folder for the quarter, or why nothing."""

    kode: str
    nama: str
    tingkat: str
    status: str  # REPORTED or NOT_REPORTED
    message: str = ""  # why NOT_REPORTED, or a note (e.g. its leadership mail undelivered)
    version: int | None = None
    folder: str | None = None
    generated_at: str | None = None
    complete: bool = False
    counts: dict[str, int] = field(default_factory=dict)  # units below: accepted, rejected, …
    jumlah: dict[str, Any] = field(default_factory=dict)  # MONEY ints + fisik weight and pagu
    missing: tuple[str, ...] = ()  # unit names (a kecamatan) or child names (a level)
    rejected: tuple[str, ...] = ()
    children: dict[str, int] = field(default_factory=dict)  # a level: its children by status


def detail_sums(detail: pd.DataFrame) -> dict[str, Any]:
    """A kecamatan's `jumlah` from its computed detail rows (rincian.json)."""
    money = {k: int(detail[k].sum()) if not detail.empty else 0 for k in MONEY}
    if detail.empty:
        return {**money, FISIK_WEIGHT: 0.0, FISIK_PAGU: 0}
    fisik = detail["realisasi_fisik_persen"].astype(float)
    reported = fisik.notna()
    pagu = detail["pagu"].astype("int64").where(reported, 0)
    weight = float((pagu.astype(float) * fisik.fillna(0.0)).sum())
    return {**money, FISIK_WEIGHT: weight, FISIK_PAGU: int(pagu.sum())}


def kecamatan_result(
    kode: str, nama: str, version: int, folder: str, summary: dict[str, Any], detail: pd.DataFrame
) -> ChildResult:
    """One kecamatan's finished version as its level sees it."""
    units = summary.get("units") or []
    return ChildResult(
        kode=kode,
        nama=str(summary.get("kecamatan") or nama),
        tingkat="kecamatan",
        status=REPORTED,
        version=version,
        folder=folder,
        generated_at=summary.get("generated_at"),
        complete=bool(summary.get("complete")),
        counts={k: int((summary.get("counts") or {}).get(k, 0)) for k in COUNT_KEYS},
        jumlah=detail_sums(detail),
        missing=tuple(str(u["nama"]) for u in units if u.get("status") == "missing"),
        rejected=tuple(str(u["nama"]) for u in units if u.get("status") == "rejected"),
    )


def level_result(kode: str, version: int, folder: str, summary: dict[str, Any]) -> ChildResult:
    """A lower level's stored summary (a kota under its province) as a child."""
    kids = summary.get("children") or []
    return ChildResult(
        kode=kode,
        nama=str(summary["wilayah"]["nama"]),
        tingkat=str(summary["wilayah"]["tingkat"]),
        status=REPORTED,
        version=version,
        folder=folder,
        generated_at=summary.get("generated_at"),
        complete=bool(summary.get("complete")),
        counts={k: int(summary["counts"].get(k, 0)) for k in COUNT_KEYS},
        jumlah=dict(summary["jumlah"]),
        missing=tuple(str(c["nama"]) for c in kids if c["status"] != REPORTED),
        rejected=tuple(
            str(c["nama"]) for c in kids if c["status"] == REPORTED and not c["complete"]
        ),
        children={
            "anak": len(kids),
            "dilaporkan": sum(c["status"] == REPORTED for c in kids),
            "lengkap": sum(bool(c["complete"]) for c in kids),
        },
    )


def missing_result(kode: str, nama: str, tingkat: str, message: str) -> ChildResult:
    return ChildResult(kode, nama, tingkat, NOT_REPORTED, message=message)


def totals_of(jumlah: dict[str, Any], bands: pd.DataFrame) -> dict[str, Any]:
    """The summary.json `totals` block from summed integers, as a kecamatan's is computed."""
    pagu_fisik = int(jumlah.get(FISIK_PAGU, 0))
    fisik = float(jumlah.get(FISIK_WEIGHT, 0.0)) / pagu_fisik if pagu_fisik > 0 else np.nan
    return totals_of_sums({k: int(jumlah.get(k, 0)) for k in MONEY}, fisik, bands)


def sum_jumlah(parts: list[dict[str, Any]]) -> dict[str, Any]:
    money = {k: sum(int(p.get(k, 0)) for p in parts) for k in MONEY}
    return {
        **money,
        FISIK_WEIGHT: float(sum(float(p.get(FISIK_WEIGHT, 0.0)) for p in parts)),
        FISIK_PAGU: sum(int(p.get(FISIK_PAGU, 0)) for p in parts),
    }


def consolidate(
    wilayah: dict[str, str],
    period: str,
    children: list[ChildResult],
    bands: pd.DataFrame,
    generated_at: str,
    kecamatan: int,
) -> dict[str, Any]:
    """The level's summary.json: its totals, how complete and how current, one row per child.

    `kecamatan` is how many kecamatan lie below the level (a kota's children are kecamatan; a
    province's are kota, each counting its own).
    """
    reported = [c for c in children if c.status == REPORTED]
    jumlah = sum_jumlah([c.jumlah for c in reported])
    counts = {k: sum(c.counts.get(k, 0) for c in reported) for k in COUNT_KEYS}
    counts.update(
        anak=len(children),
        anak_dilaporkan=len(reported),
        anak_lengkap=sum(c.complete for c in reported),
        kecamatan=kecamatan,
    )
    stamps = sorted(c.generated_at for c in reported if c.generated_at)
    rows = []
    for child in children:
        row = {
            "kode": child.kode,
            "nama": child.nama,
            "tingkat": child.tingkat,
            "status": child.status,
            "message": child.message,
            "version": child.version,
            "folder": child.folder,
            "generated_at": child.generated_at,
            "complete": child.complete,
            "counts": child.counts,
            "missing": list(child.missing),
            "rejected": list(child.rejected),
        }
        if child.children:
            row["children"] = child.children
        if child.status == REPORTED:
            row["jumlah"] = child.jumlah
            row["totals"] = totals_of(child.jumlah, bands)
        rows.append(row)
    return {
        "wilayah": wilayah,
        "period": period,
        "generated_at": generated_at,
        "complete": bool(children) and all(c.status == REPORTED and c.complete for c in children),
        "data_tertua": stamps[0] if stamps else None,
        "data_terbaru": stamps[-1] if stamps else None,
        "counts": counts,
        "jumlah": jumlah,
        "totals": totals_of(jumlah, bands),
        "children": rows,
    }


def figures(summary: dict[str, Any]) -> dict[str, Any]:
    """What must not depend on where or how the children ran: for comparing two roll-ups."""
    return {
        "wilayah": summary["wilayah"],
        "period": summary["period"],
        "complete": summary["complete"],
        "counts": summary["counts"],
        "totals": summary["totals"],
        "children": [
            {k: c.get(k) for k in ("kode", "status", "complete", "counts", "totals", "missing")}
            for c in summary["children"]
        ],
    }
