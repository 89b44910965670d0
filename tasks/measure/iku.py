"""IKU of the kecamatan for a quarter: realisation, target and capaian, per quarter and s.d. TW n.

`iku_rows` turns the validated raw inputs of the year so far (survey responses, SAKIP evaluation
components, zona K3 statuses) into one plain dict per IKU of `iku.csv`, in its order. Targets,
bands and zones come from the Reference; the arithmetic is in `tasks.measure.iku_values`.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from triwulan.tasks.core.period import ROMAN
from triwulan.tasks.core.reference import Reference
from triwulan.tasks.measure.iku_values import (
    UNSUR,
    akip_evaluasi,
    exact,
    half_up,
    ikm,
    wilayah_tertib,
)

BELUM_ADA_DATA = "belum ada data"
TERCAPAI = "tercapai"
BELUM_TERCAPAI = "belum tercapai"


def _number(value: object) -> float | None:
    """A target cell as float; None for an empty cell ('-' in Tabel 2.3: no target)."""
    return None if value is None or pd.isna(value) else float(value)


def capaian(realisasi: float | None, target: float | None, arah: str) -> float | None:
    """Capaian kinerja in percent, half-up to 2 decimals.

    realisasi ÷ target × 100 where higher is better (arah `naik`), target ÷ realisasi × 100 where
    lower is better (`turun`). None, never 0, when there is no target, no realisation, or the
    divisor is 0: a quarter without a target has no capaian rather than a failed one.
    """
    if realisasi is None or target is None:
        return None
    numerator, denominator = (
        (exact(realisasi), exact(target)) if arah == "naik" else (exact(target), exact(realisasi))
    )
    if denominator == 0:
        return None
    return half_up(numerator / denominator * 100)


def status_capaian(persen: float | None) -> str | None:
    """`tercapai` from 100 % capaian on, else `belum tercapai`; None when there is no capaian."""
    if persen is None:
        return None
    return TERCAPAI if persen >= 100 else BELUM_TERCAPAI


def _in_year(frame: pd.DataFrame | None, tahun: int, triwulan: int) -> pd.DataFrame | None:
    """Rows of the reported year up to TW n (a rerun of TW II ignores TW III already stored)."""
    if frame is None or frame.empty:
        return None
    rows = frame[(frame["tahun"] == tahun) & (frame["triwulan"] <= triwulan)]
    return None if rows.empty else rows


# Each builder: (ref, iku row, triwulan, inputs) -> (realisasi_tw, realisasi_sd_tw, target_sd_tw,
# extra fields, notes for keterangan).
Built = tuple[float | None, float | None, float | None, dict, list[str]]


def _ikm_row(ref: Reference, iku: pd.Series, q: int, inputs: dict) -> Built:
    """IKM of the quarter's respondents; s.d. TW n = IKM of all the year's respondents (pooled),
    against the annual target."""
    skm = inputs["skm"]
    quarter = ikm(None if skm is None else skm[skm["triwulan"] == q], ref.ikm_mutu)
    year = ikm(skm, ref.ikm_mutu)
    extra = {
        "responden": quarter["responden"] if quarter else 0,
        "responden_sd_tw": year["responden"] if year else 0,
        "mutu": quarter["mutu"] if quarter else None,
        "mutu_keterangan": quarter["mutu_keterangan"] if quarter else None,
        "mutu_sd_tw": year["mutu"] if year else None,
        "mutu_sd_tw_keterangan": year["mutu_keterangan"] if year else None,
        "nrr": quarter["nrr"] if quarter else None,
        "nrr_sd_tw": year["nrr"] if year else None,
        "per_layanan": quarter["per_layanan"] if quarter else [],
        "per_layanan_sd_tw": year["per_layanan"] if year else [],
        # each unsur's name as the survey sheet heads it ("U8 Penanganan Pengaduan")
        "unsur": _unsur_names(ref),
    }
    return (
        quarter["ikm"] if quarter else None,
        year["ikm"] if year else None,
        _number(iku["target_tahunan"]),
        extra,
        [],
    )


def _unsur_names(ref: Reference) -> dict[str, str]:
    sheet = ref.kolom_iku[ref.kolom_iku["lembar"] == "skm"]
    names = dict(zip(sheet["kolom"], sheet["judul"], strict=True))
    return {u: names.get(u, u.upper()) for u in UNSUR}


def _akip_row(ref: Reference, iku: pd.Series, q: int, inputs: dict) -> Built:
    """The evaluation submitted in TW n; s.d. TW n = the latest evaluation up to TW n (a later
    LHE replaces an earlier one), against the annual target."""
    evaluations = akip_evaluasi(inputs["akip"], ref.akip_komponen, ref.akip_predikat)
    latest = evaluations[max(evaluations)] if evaluations else None
    notes = []
    if latest and latest["triwulan"] != q:
        notes.append(f"nilai s.d. TW {ROMAN[q]} dari evaluasi TW {ROMAN[latest['triwulan']]}")
    if latest and latest["komponen_kosong"]:
        notes.append("komponen belum diisi: " + ", ".join(latest["komponen_kosong"]))
    extra = {
        "predikat": latest["predikat"] if latest else None,
        "predikat_keterangan": latest["predikat_keterangan"] if latest else None,
        "triwulan_evaluasi": latest["triwulan"] if latest else None,
        "komponen": latest["komponen"] if latest else [],
    }
    current = evaluations.get(q)
    return (
        current["nilai"] if current else None,
        latest["nilai"] if latest else None,
        _number(iku["target_tahunan"]),
        extra,
        notes,
    )


def _wilayah_row(ref: Reference, iku: pd.Series, q: int, inputs: dict) -> Built:
    """TW n = increase of the tertib level in the quarter (percentage points) against Tabel 2.3's
    per-quarter target; s.d. TW n = the level itself against the cumulative target (the quarterly
    targets 10/20/10/17 are increments adding up to the annual 57)."""
    result = wilayah_tertib(inputs["zona"], ref.zona_k3, q)
    now = result["per_triwulan"][-1]
    names = ref.unit_names
    missing = result["zona_belum_dilaporkan"]
    for zone in missing:
        zone["nama_kelurahan"] = names.get(zone["kelurahan"], zone["kelurahan"])
    unreported = {z["kelurahan"] for z in missing}  # once: per unit it was quadratic
    kelurahan = [u for u in ref.units["unit"] if u in unreported]
    targets = [_number(iku[f"target_tw{k}"]) for k in range(1, q + 1)]
    known = [t for t in targets if t is not None]
    notes = []
    if result["ada_data"] and missing:
        notes.append(
            f"{len(missing)} dari {result['zona_total']} zona belum pernah dilaporkan ("
            + ", ".join(names.get(u, u) for u in kelurahan)
            + ")"
        )
    if result["ada_data"] and not result["dilaporkan_tw_ini"]:
        notes.append(f"s.d. TW {ROMAN[q]} memakai status zona terakhir yang dilaporkan")
    zona = [
        {**z, "nama_kelurahan": names.get(z["kelurahan"], z["kelurahan"])} for z in result["zona"]
    ]
    extra = {
        "zona": zona if result["ada_data"] else [],
        "zona_tertib": now["zona_tertib"],
        "zona_total": result["zona_total"],
        "zona_belum_dilaporkan": missing,
        "kelurahan_belum_melapor": kelurahan,
        "level_persen": now["level_persen"] if result["ada_data"] else None,
        "per_triwulan": result["per_triwulan"] if result["ada_data"] else [],
    }
    # no kelurahan reported zones this quarter: its increase is unknown, not 0 (the level to
    # date still stands on the statuses last reported)
    reported_now = result["ada_data"] and result["dilaporkan_tw_ini"]
    return (
        now["kenaikan_persen"] if reported_now else None,
        now["level_persen"] if result["ada_data"] else None,
        float(sum(exact(t) for t in known)) if known else None,
        extra,
        notes,
    )


BUILDERS: dict[str, Callable[[Reference, pd.Series, int, dict], Built]] = {
    "ikm": _ikm_row,
    "akip": _akip_row,
    "wilayah_tertib": _wilayah_row,
}


def _keterangan(q: int, realisasi_tw, realisasi_sd, target_tw, notes: list[str]) -> str:
    """Indonesian remarks: 'belum ada data' when nothing at all is known yet."""
    if realisasi_tw is None and realisasi_sd is None:
        return "; ".join([BELUM_ADA_DATA, *notes])
    parts = []
    if realisasi_tw is None:
        parts.append(f"{BELUM_ADA_DATA} pada TW {ROMAN[q]}")
    if target_tw is None:
        parts.append(f"tidak ada target TW {ROMAN[q]}")
    return "; ".join(parts + notes)


def iku_rows(
    ref: Reference,
    triwulan: int,
    skm: pd.DataFrame | None,
    akip: pd.DataFrame | None,
    zona: pd.DataFrame | None,
) -> list[dict]:
    """One JSON-safe dict per IKU of iku.csv (same order) for TW `triwulan` of `ref.tahun`.

    Inputs are the validated frames of the year up to the reported quarter; any may be empty.
    Capaian and status follow `capaian` / `status_capaian`, for the quarter and s.d. TW n.
    """
    inputs = {
        "skm": _in_year(skm, ref.tahun, triwulan),
        "akip": _in_year(akip, ref.tahun, triwulan),
        "zona": _in_year(zona, ref.tahun, triwulan),
    }
    rows = []
    for _, iku in ref.iku.iterrows():  # three indicators: a row each, not a loop over data
        kode, arah = str(iku["kode"]), str(iku["arah"])
        target_tw = _number(iku[f"target_tw{triwulan}"])
        builder = BUILDERS.get(kode)
        built: Built = (
            builder(ref, iku, triwulan, inputs)
            if builder
            else (None, None, None, {}, ["cara menghitung indikator ini belum tersedia"])
        )
        realisasi_tw, realisasi_sd, target_sd, extra, notes = built
        persen_tw = capaian(realisasi_tw, target_tw, arah)
        persen_sd = capaian(realisasi_sd, target_sd, arah)
        rows.append(
            {
                "kode": kode,
                "nama": str(iku["nama"]),
                "satuan": str(iku["satuan"]),
                "arah": arah,
                "target_tahunan": _number(iku["target_tahunan"]),
                "target_tw": target_tw,
                "realisasi_tw": realisasi_tw,
                "capaian_persen": persen_tw,
                "status": status_capaian(persen_tw),
                "target_sd_tw": target_sd,
                "realisasi_sd_tw": realisasi_sd,
                "capaian_sd_tw_persen": persen_sd,
                "status_sd_tw": status_capaian(persen_sd),
                "keterangan": _keterangan(triwulan, realisasi_tw, realisasi_sd, target_tw, notes),
                **extra,
            }
        )
    return rows
