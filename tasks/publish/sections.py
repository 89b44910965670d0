"""Formatting and context of the performance sections (IKU, changes, early warnings, E.81).

Filters are registered on the report's Jinja environment (tasks.publish.report.environment); templates
`_kinerja.html.j2` and the email use them. Blank stays blank: a quarter not reported yet, or an
indicator without a target, is never printed as 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment

from triwulan.tasks.core import fmt
from triwulan.tasks.core.fmt import is_missing


def desimal(value: Any) -> str:
    """'84,84'; '-' when there is none (no target, no data)."""
    return "-" if is_missing(value) else fmt.angka(float(value), 2)


def volume(value: Any) -> str:
    """An output volume: '12' or '2,5'; blank when not reported."""
    if is_missing(value):
        return ""
    number = float(value)
    return fmt.angka(number, 0 if number.is_integer() else 2)


def ribuan_kosong(value: Any) -> str:
    return "" if is_missing(value) else fmt.angka(int(value))


def persen_kosong(value: Any) -> str:
    return "" if is_missing(value) else fmt.persen(float(value))


def status_class(status: Any) -> str:
    return {"tercapai": "status-accepted", "belum tercapai": "status-rejected"}.get(str(status), "")


def _with_label(value: Any, label: Any) -> str:
    return f"{value} ({label})" if label else str(value)


def iku_note(row: Mapping[str, Any]) -> str:
    """What a reader needs beside the figures: respondents and mutu, predicate, zones."""
    parts = []
    kode = row.get("kode")
    if kode == "ikm":
        if row.get("responden"):
            parts.append(f"{fmt.angka(row['responden'])} responden TW ini, mutu {row.get('mutu')}")
        if row.get("responden_sd_tw"):
            mutu = _with_label(row.get("mutu_sd_tw"), row.get("mutu_sd_tw_keterangan"))
            parts.append(f"{fmt.angka(row['responden_sd_tw'])} responden tahun ini, mutu {mutu}")
    if kode == "akip" and row.get("predikat"):
        parts.append("predikat " + _with_label(row["predikat"], row.get("predikat_keterangan")))
    if kode == "wilayah_tertib" and row.get("zona_total"):
        parts.append(f"{row.get('zona_tertib')} dari {row['zona_total']} zona K3 tertib")
        missing = row.get("zona_belum_dilaporkan") or []
        if missing:
            parts.append(f"{len(missing)} zona belum dilaporkan")
    if row.get("keterangan"):
        parts.append(str(row["keterangan"]))
    return "; ".join(parts) if parts else "-"


def iku_angka(value: Any, satuan: Any) -> str:
    """An IKU figure with its unit where the number alone would mislead: '60,00%' for Persen."""
    if is_missing(value):
        return "-"
    return fmt.persen(float(value)) if str(satuan or "").lower() == "persen" else desimal(value)


def iku_statements(row: Mapping[str, Any], roman: str) -> list[dict[str, str]]:
    """The IKU's verdicts in reading order: the year's (s.d. TW) first whenever it exists.

    Each is {"figure": 's.d. TW IV: 84,84 dari target 81,00', "status", "capaian", "tone", "kind"};
    tone is 'good', 'bad' or 'neutral', kind 'tahun' or 'triwulan'. The year's result is what LKIP Tabel 3.1 reports, so it leads;
    a quarter below its quarter-only target while the year is on track is said in a neutral
    tone, not in red.
    """
    satuan = row.get("satuan")
    year = _statement(
        f"s.d. {roman}",
        row.get("realisasi_sd_tw"),
        row.get("target_sd_tw"),
        row.get("status_sd_tw"),
        row.get("capaian_sd_tw_persen"),
        satuan,
    )
    quarter = _statement(
        roman,
        row.get("realisasi_tw"),
        row.get("target_tw"),
        row.get("status"),
        row.get("capaian_persen"),
        satuan,
    )
    year, quarter = {**year, "kind": "tahun"}, {**quarter, "kind": "triwulan"}
    if is_missing(row.get("realisasi_sd_tw")):
        return [quarter, year]
    if row.get("status_sd_tw") == "tercapai" and quarter["tone"] == "bad":
        quarter = {**quarter, "tone": "neutral"}
    return [year, quarter]


def _statement(
    label: str, value: Any, target: Any, status: Any, capaian: Any, satuan: Any
) -> dict[str, str]:
    if is_missing(value):
        figure = f"{label}: belum ada data"
        if not is_missing(target):
            figure += f" (target {iku_angka(target, satuan)})"
        return {"figure": figure, "status": "", "capaian": "", "tone": "neutral"}
    figure = f"{label}: {iku_angka(value, satuan)}"
    if is_missing(target):
        return {
            "figure": f"{figure} (tanpa target {label})",
            "status": "",
            "capaian": "",
            "tone": "neutral",
        }
    figure += f" dari target {iku_angka(target, satuan)}"
    tone = {"tercapai": "good", "belum tercapai": "bad"}.get(str(status), "neutral")
    return {
        "figure": figure,
        "status": "" if is_missing(status) else str(status),
        "capaian": fmt.persen(None if is_missing(capaian) else float(capaian)),
        "tone": tone,
    }


def change_value(change: Mapping[str, Any], side: str) -> str:
    value = change.get(side)
    if is_missing(value):
        return "-"
    column = str(change.get("kolom", ""))
    if "keuangan" in column:
        return fmt.angka(int(value))
    if "fisik" in column:
        return fmt.persen(float(value))
    return volume(value)


def akip_components(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """AKIP components against their bobot (LKIP Tabel 3.5), with the share of the bobot won."""
    out = []
    for part in row.get("komponen") or []:
        bobot, nilai = part.get("bobot"), part.get("nilai")
        share = None
        if not is_missing(bobot) and not is_missing(nilai) and float(bobot):
            share = float(nilai) / float(bobot) * 100
        out.append({**part, "persen_bobot": share})
    return out


def zones_by_kelurahan(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The zona K3 grouped by kelurahan in reference order (LKIP Tabel 3.8-3.10), with counts."""
    groups: dict[str, dict[str, Any]] = {}
    for zone in row.get("zona") or []:
        key = str(zone.get("kelurahan"))
        group = groups.setdefault(
            key,
            {"nama": zone.get("nama_kelurahan") or key, "zona": [], "tertib": 0},
        )
        status = zone.get("tertib")
        word = "belum dilaporkan" if status is None else ("tertib" if status else "belum tertib")
        group["zona"].append({**zone, "status": word})
        group["tertib"] += 1 if status else 0
    return list(groups.values())


def ikm_unsur(row: Mapping[str, Any]) -> dict[str, Any]:
    """NRR per unsur for the quarter and the year, and the weakest unsur of the year (or quarter).

    NRR is 1-4 (PermenPAN-RB 14/2017); the weakest is the one to improve first, as LKIP names U8.
    """
    names = row.get("unsur") or {}
    quarter, year = row.get("nrr") or {}, row.get("nrr_sd_tw") or {}
    basis = year or quarter
    rows = [
        {"kode": u, "judul": names.get(u, u.upper()), "nrr": quarter.get(u), "nrr_sd": year.get(u)}
        for u in (names or basis)
    ]
    known = [(float(v), u) for u, v in basis.items() if not is_missing(v)]
    weakest = min(known)[1] if known else None
    return {
        "baris": rows,
        "terlemah": next((r for r in rows if r["kode"] == weakest), None),
        "dasar": "tahun ini" if year else "triwulan ini",
    }


def register(env: Environment) -> None:
    env.filters.update(
        desimal=desimal,
        volume=volume,
        ribuan_kosong=ribuan_kosong,
        persen_kosong=persen_kosong,
        status_class=status_class,
    )
    env.filters.update(iku_angka=iku_angka)
    env.globals.update(
        iku_note=iku_note,
        iku_statements=iku_statements,
        change_value=change_value,
        akip_components=akip_components,
        zones_by_kelurahan=zones_by_kelurahan,
        ikm_unsur=ikm_unsur,
    )
