"""The values behind the three IKU: IKM, Nilai AKIP and the share of tertib zona K3.

Pure functions over whole (typed, validated) frames; every result is made of plain Python values
(int, float, str, None, lists, dicts) so it can go straight into JSON or a template. Values are
kept exact (integers, Fractions, Decimals) and rounded half-up once, at the end.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import floor

import pandas as pd

from triwulan.tasks.core.parse import hundredths

UNSUR = [f"u{i}" for i in range(1, 10)]


def half_up(value: Fraction, places: int = 2) -> float:
    """Round an exact value half away from zero to `places` decimals (Indonesian report style)."""
    scale = 10**places
    units = floor(abs(value) * scale + Fraction(1, 2))
    return (units if value >= 0 else -units) / scale


def exact(value: float) -> Fraction:
    """A decimal written as a float, read back as the decimal the person typed (0.1 is 1/10)."""
    return Fraction(Decimal(str(value)))


# --- IKM (PermenPAN-RB 14/2017) -------------------------------------------------------------


def mutu_ikm(nilai: float, bands: pd.DataFrame) -> tuple[str, str] | None:
    """Mutu pelayanan and kinerja unit of a converted IKM (PermenPAN-RB 14/2017, interval table).

    The bands are closed 2-decimal ranges (A 88,31–100,00 ...), so the value is compared as
    printed: rounded to 2 decimals first (88,305 is printed 88,31 and is A).
    """
    cents = hundredths(nilai)
    for row in bands.itertuples(index=False):
        if hundredths(row.batas_bawah) <= cents <= hundredths(row.batas_atas):
            return str(row.mutu), str(row.kinerja)
    return None


def _ikm_cents(total: pd.Series, responden: pd.Series) -> pd.Series:
    """Converted IKM in hundredths, exact: 25 × Σ_u (total_u / n) × 1/9 = 25·total / (9n).

    Half-up to hundredths without floats: floor(2500·total/(9n) + 1/2) = (5000·total + 9n) // 18n.
    """
    total, n = total.astype("int64"), responden.astype("int64")
    return (5000 * total + 9 * n) // (18 * n)


def ikm(skm: pd.DataFrame | None, bands: pd.DataFrame) -> dict | None:
    """IKM of a set of survey responses, with NRR per unsur and the same per jenis layanan.

    PermenPAN-RB 14/2017: NRR per unsur = total score of the unsur ÷ respondents; IKM = Σ NRR ×
    1/9 (exactly 1/9, not the worked example's rounded 0,111); converted IKM = IKM × 25. None when
    there is no response. Respondents are pooled: the IKM of two quarters together is the IKM of
    all their respondents, not the mean of the two quarterly values.
    """
    if skm is None or skm.empty:
        return None
    scores = skm[UNSUR].astype("int64")
    n = len(scores)
    sums = scores.sum()
    cents = int(_ikm_cents(pd.Series([int(sums.sum())]), pd.Series([n])).iloc[0])
    per = (
        scores.assign(skor=scores.sum(axis=1), jenis_layanan=skm["jenis_layanan"].astype(str))
        .groupby("jenis_layanan", sort=True)
        .agg(responden=("skor", "size"), skor=("skor", "sum"))
    )
    per["ikm"] = _ikm_cents(per["skor"], per["responden"]) / 100
    per = per.reset_index().sort_values(["responden", "jenis_layanan"], ascending=[False, True])
    return {
        "responden": n,
        "nrr": {u: half_up(Fraction(int(sums[u]), n), 3) for u in UNSUR},
        "ikm": cents / 100,
        **_mutu_fields(cents / 100, bands),
        "per_layanan": [
            {
                "jenis_layanan": str(r.jenis_layanan),
                "responden": int(r.responden),
                "ikm": float(r.ikm),
                **_mutu_fields(float(r.ikm), bands),
            }
            for r in per.itertuples(index=False)
        ],
    }


def _mutu_fields(nilai: float, bands: pd.DataFrame) -> dict:
    found = mutu_ikm(nilai, bands)
    return {"mutu": found[0] if found else None, "mutu_keterangan": found[1] if found else None}


# --- Nilai AKIP (evaluasi SAKIP) ------------------------------------------------------------


def predikat_akip(nilai: float, bands: pd.DataFrame) -> tuple[str, str]:
    """Predikat of a Nilai AKIP: the best band whose bound the value strictly exceeds.

    PermenPAN-RB 88/2021: AA > 90, A > 80, BB > 70, B > 60, CC > 50, C > 30, D ≤ 30, so 70,00 is
    B and 70,01 is BB. The band without a bound is the lowest (D).
    """
    cents = hundredths(nilai)
    for row in bands.itertuples(index=False):
        if pd.isna(row.lebih_dari) or cents > hundredths(row.lebih_dari):
            return str(row.predikat), str(row.keterangan)
    raise ValueError("akip_predikat tanpa predikat terendah")  # excluded by check_shared


def akip_evaluasi(akip: pd.DataFrame | None, komponen: pd.DataFrame, bands: pd.DataFrame) -> dict:
    """Each quarter's SAKIP evaluation: Nilai AKIP = Σ component values, exact to the hundredth.

    Keyed by triwulan; a quarter without rows has no evaluation. Should a component be reported
    twice in one quarter (a resubmission), the last row counts. Components missing from an
    evaluation are listed in `komponen_kosong` and count as nothing in the sum.
    """
    if akip is None or akip.empty:
        return {}
    rows = akip.drop_duplicates(["triwulan", "komponen"], keep="last")
    rows = rows.assign(sen=rows["nilai"].map(hundredths).astype("int64"))
    table = rows.pivot(index="triwulan", columns="komponen", values="sen")
    result = {}
    for q, values in table.iterrows():  # one row per quarter that has an evaluation
        cents = int(values.dropna().sum())
        predikat, keterangan = predikat_akip(cents / 100, bands)
        parts = [
            {
                "komponen": str(k.komponen),
                "judul": str(k.judul),
                "bobot": float(k.bobot),
                "nilai": None if pd.isna(values.get(k.komponen)) else int(values[k.komponen]) / 100,
            }
            for k in komponen.itertuples(index=False)
        ]
        result[int(q)] = {
            "triwulan": int(q),
            "nilai": cents / 100,
            "predikat": predikat,
            "predikat_keterangan": keterangan,
            "komponen": parts,
            "komponen_kosong": [p["komponen"] for p in parts if p["nilai"] is None],
        }
    return result


# --- Persentase (peningkatan) wilayah yang tertib -------------------------------------------


def _level_cents(tertib: pd.Series, total: int) -> pd.Series:
    """tertib ÷ total × 100 in hundredths, half-up, with integer arithmetic."""
    return (20000 * tertib.astype("int64") + total) // (2 * total)


def wilayah_tertib(zona: pd.DataFrame | None, zona_k3: pd.DataFrame, triwulan: int) -> dict:
    """Level of tertib zona K3 at the end of each quarter 1..triwulan, and its quarterly increase.

    The year starts from 0 (the year's zona list is assessed anew). A zone's status at the end of
    TW q is the latest one reported up to TW q (carried forward when its kelurahan skips a
    quarter; the last row counts when a quarter repeats a zone). Level = tertib zones ÷ all zones
    of the year's reference × 100; a zone never reported counts as not tertib. The increase of TW q
    is the change in tertib zones ÷ all zones × 100, rounded once (2 zones of 15 are 13,33 in
    every quarter; the printed increases may then add up to the level ± 0,01).
    """
    zones = zona_k3.assign(no_zona=zona_k3["no"].astype(int)).set_index("no_zona")
    total = len(zones)
    quarters = list(range(1, triwulan + 1))
    rows = pd.DataFrame(columns=["no_zona", "triwulan", "tertib"])
    if zona is not None and not zona.empty:
        rows = zona.loc[
            (zona["triwulan"] <= triwulan) & zona["no_zona"].isin(zones.index),
            ["no_zona", "triwulan", "tertib"],
        ]
    latest = rows.drop_duplicates(["no_zona", "triwulan"], keep="last").assign(
        tertib=lambda f: f["tertib"].astype(float)
    )
    status = (
        latest.pivot(index="no_zona", columns="triwulan", values="tertib")
        .reindex(index=zones.index, columns=quarters)
        .astype(float)
        .ffill(axis=1)
    )
    tertib = (status == 1).sum(axis=0).astype("int64")
    known = status.notna().sum(axis=0).astype("int64")
    levels = _level_cents(tertib, total) if total else tertib * 0
    change = tertib.diff().fillna(tertib).astype("int64")
    increase = _level_cents(change, total) if total else change * 0
    reported = set(rows["triwulan"].astype(int))
    unreported = zones[status[triwulan].isna()]
    return {
        "zona_total": total,
        "ada_data": bool(known[triwulan]),
        "dilaporkan_tw_ini": triwulan in reported,
        "per_triwulan": [
            {
                "triwulan": q,
                "zona_tertib": int(tertib[q]),
                "zona_berstatus": int(known[q]),
                "level_persen": int(levels[q]) / 100,
                "kenaikan_persen": int(increase[q]) / 100,
            }
            for q in quarters
        ],
        "zona_belum_dilaporkan": [
            {"no_zona": int(no), "nama_zona": str(z.nama_zona), "kelurahan": str(z.kelurahan)}
            for no, z in unreported.iterrows()
        ],
        # each zone's status at TW n (1 tertib, 0 not, None never reported), for the table of
        # zones per kelurahan (LKIP Tabel 3.8-3.10)
        "zona": [
            {
                "no_zona": int(no),
                "nama_zona": str(z.nama_zona),
                "kelurahan": str(z.kelurahan),
                "tertib": None
                if pd.isna(status.at[no, triwulan])
                else int(status.at[no, triwulan]),
            }
            for no, z in zones.iterrows()
        ],
    }
