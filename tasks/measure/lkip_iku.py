"""The LKIP's per-IKU analysis (Bab III, Tabel 3.2-3.10) and the sentence written per IKU.

Inputs are the `iku` list of the year's latest TW IV summary (per IKU the year's target,
realisation and the IKM / AKIP / zona details), the Reference (earlier years in iku_tahunan, the
Renstra end target, AKIP components and predikat bands, units) and the year. Pure functions, no
I/O. Ratios and differences are computed from the decimals as written and rounded half-up once
(`iku.capaian`, `iku_values.half_up`); the seed's printed figures are never copied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pandas as pd

from triwulan.tasks.core.fmt import angka, is_missing, persen
from triwulan.tasks.core.parse import hundredths
from triwulan.tasks.core.reference import Reference
from triwulan.tasks.measure.iku import TERCAPAI, capaian, status_capaian
from triwulan.tasks.measure.iku_values import UNSUR, exact, half_up, predikat_akip

IKM, AKIP, WILAYAH = "ikm", "akip", "wilayah_tertib"
KATEGORI_LABEL = {IKM: "mutu pelayanan", AKIP: "predikat"}
ZONA_STATUS = {1: "Tertib", 0: "Belum tertib", None: "Belum dilaporkan"}
CAPAIAN_COLUMNS = [
    "no", "kode", "iku", "satuan", "arah", "tahun", "target", "realisasi",
    "capaian_persen", "status", "kategori", "realisasi_lalu",
]  # fmt: skip
ZONA_COLUMNS = ["no", "no_zona", "nama_zona", "kelurahan", "nama_kelurahan", "tertib", "status"]


def _num(value: object) -> float | None:
    return None if is_missing(value) else float(value)  # type: ignore[arg-type]


def _selected(iku: list[dict[str, Any]], kode: str | None) -> list[dict[str, Any]]:
    return [item for item in iku if kode is None or item.get("kode") == kode]


def _item(iku: list[dict[str, Any]], kode: str) -> dict[str, Any] | None:
    return next(iter(_selected(iku, kode)), None)


def _earlier(ref: Reference, kode: str, tahun: int) -> pd.DataFrame:
    """iku_tahunan rows of one IKU before `tahun`, by year; the year itself is the summary's."""
    rows = ref.iku_tahunan
    if rows.empty:
        return rows
    rows = rows[(rows["kode"] == kode) & (rows["tahun"] < tahun)]
    return rows.drop_duplicates("tahun", keep="last").sort_values("tahun")


def _head(no: int, item: Mapping[str, Any]) -> dict[str, Any]:
    """The columns every per-IKU table starts with."""
    return {"no": no, "kode": str(item["kode"]), "iku": item["nama"], "satuan": item["satuan"],
            "arah": str(item.get("arah") or "naik")}  # fmt: skip


def _kategori(item: Mapping[str, Any]) -> str | None:
    """'B (Baik)' for the IKM's mutu, 'BB (Sangat Baik)' for the AKIP predikat, else None."""
    grade, words = {
        IKM: (item.get("mutu_sd_tw"), item.get("mutu_sd_tw_keterangan")),
        AKIP: (item.get("predikat"), item.get("predikat_keterangan")),
    }.get(str(item.get("kode")), (None, None))
    if not grade:
        return None
    return f"{grade} ({words})" if words else str(grade)


# --- Tabel 3.2 / 3.6 / 3.8: the year's target, realisation and capaian --------------------------


def capaian_iku(
    iku: list[dict[str, Any]], ref: Reference, tahun: int, kode: str | None = None
) -> pd.DataFrame:
    """Per IKU (or the one `kode`): target and realisation of the year and the capaian %.

    Target = the annual target; realisation = the year's (s.d. TW IV); capaian = realisasi ÷
    target × 100 (arah `turun`: the inverse), 2 decimals. Also carried for `iku_sentence`: the
    status, the IKM mutu or AKIP predikat (`kategori`) and last year's realisation (iku_tahunan).
    """
    rows = []
    for no, item in enumerate(_selected(iku, kode), start=1):
        target, realisasi = _num(item.get("target_tahunan")), _num(item.get("realisasi_sd_tw"))
        head = _head(no, item)
        rasio = capaian(realisasi, target, head["arah"])
        lalu = _earlier(ref, head["kode"], tahun)
        lalu = lalu[lalu["tahun"] == tahun - 1]
        rows.append(
            head
            | {"tahun": tahun, "target": target, "realisasi": realisasi, "capaian_persen": rasio,
               "status": status_capaian(rasio), "kategori": _kategori(item),
               "realisasi_lalu": _num(lalu["realisasi"].iloc[-1]) if len(lalu) else None}
        )  # fmt: skip
    return pd.DataFrame(rows, columns=CAPAIAN_COLUMNS)


# --- Tabel 3.3 / 3.7 / 3.9: against the Renstra, year by year -----------------------------------


def perbandingan_renstra(
    iku: list[dict[str, Any]], ref: Reference, tahun: int, kode: str | None = None
) -> pd.DataFrame:
    """Per IKU: the RPD/Renstra end target, then target, realisation and rasio capaian per year.

    Years are those of iku_tahunan before `tahun` for the IKU shown, plus `tahun` from the
    summary; columns `target_<y>`, `realisasi_<y>`, `rasio_<y>` (NaN where an IKU has no such
    year). `capaian_rpd_persen` is the year's realisation against the end target.
    """
    items = _selected(iku, kode)
    history = {str(i["kode"]): _earlier(ref, str(i["kode"]), tahun) for i in items}
    years = sorted({int(y) for h in history.values() for y in h["tahun"]} | {tahun})
    plans = ref.renstra.drop_duplicates("kode").set_index("kode")
    rows = []
    for no, item in enumerate(items, start=1):
        row = _head(no, item)
        kode_, arah = row["kode"], row["arah"]
        known = {int(r.tahun): (_num(r.target), _num(r.realisasi))
                 for r in history[kode_].itertuples(index=False)}  # fmt: skip
        now = (_num(item.get("target_tahunan")), _num(item.get("realisasi_sd_tw")))
        known[tahun] = now
        plan = plans.loc[kode_] if kode_ in plans.index else None
        target_rpd = None if plan is None else _num(plan["target_akhir_k"])
        row |= {"rpd_awal": None if plan is None else int(plan["tahun_awal"]),
                "rpd_akhir": None if plan is None else int(plan["tahun_akhir"]),
                "target_rpd": target_rpd}  # fmt: skip
        cells = {y: known.get(y, (None, None)) for y in years}
        row |= {f"target_{y}": t for y, (t, _) in cells.items()}
        row |= {f"realisasi_{y}": r for y, (_, r) in cells.items()}
        row |= {f"rasio_{y}": capaian(r, t, arah) for y, (t, r) in cells.items()}
        row["capaian_rpd_persen"] = capaian(now[1], target_rpd, arah)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for col in ("rpd_awal", "rpd_akhir"):
        if col in frame:
            frame[col] = frame[col].astype("Int64")
    return frame


# --- Tabel 3.4 / 3.5: AKIP components, last year and this year ----------------------------------


@dataclass(frozen=True, eq=False)
class AkipTahun:
    """One year's SAKIP evaluation as Tabel 3.4/3.5 print it."""

    tahun: int
    komponen: pd.DataFrame  # no, komponen, judul, bobot, nilai (None: not evaluated)
    bobot: float  # Σ bobot (100)
    nilai: float  # 'Nilai Hasil Evaluasi' = Σ component values, exact to the hundredth
    predikat: str | None  # 'Tingkat Akuntabilitas Kinerja'
    predikat_keterangan: str | None
    komponen_kosong: list[str]


def _akip_tahun(
    tahun: int, parts: list[dict[str, Any]], ref: Reference, predikat: tuple | None
) -> AkipTahun | None:
    values = [_num(p.get("nilai")) for p in parts]
    if all(v is None for v in values):
        return None
    nilai = sum(hundredths(v) for v in values if v is not None) / 100
    if predikat is None or not predikat[0]:
        predikat = predikat_akip(nilai, ref.akip_predikat)
    komponen = pd.DataFrame(
        [
            {"no": n, "komponen": p["komponen"], "judul": p.get("judul") or p["komponen"],
             "bobot": _num(p.get("bobot")), "nilai": v}
            for n, (p, v) in enumerate(zip(parts, values, strict=True), start=1)
        ],
        columns=["no", "komponen", "judul", "bobot", "nilai"],
    )  # fmt: skip
    kosong = [p["komponen"] for p, v in zip(parts, values, strict=True) if v is None]
    return AkipTahun(tahun=tahun, komponen=komponen, bobot=float(komponen["bobot"].sum()),
                     nilai=nilai, predikat=predikat[0], predikat_keterangan=predikat[1],
                     komponen_kosong=kosong)  # fmt: skip


def komponen_akip(iku: list[dict[str, Any]], ref: Reference, tahun: int) -> list[AkipTahun]:
    """Tabel 3.4 (last year) and 3.5 (this year), oldest first; a year without values is left out.

    Last year: `ref.akip_komponen_tahunan` (tahun, komponen, nilai), when the reference has it,
    against akip_komponen's bobot; its predikat from the akip_predikat bands. This year: the
    summary's components and predikat.
    """
    out = []
    lalu = getattr(ref, "akip_komponen_tahunan", None)
    if lalu is not None and not lalu.empty:
        rows = lalu[(lalu["tahun"] == tahun - 1) & lalu["nilai"].notna()]
        values = dict(zip(rows["komponen"], rows["nilai"], strict=True))  # last row counts
        known = ref.akip_komponen.to_dict("records")
        names = {str(k["komponen"]) for k in known}
        parts = [{**k, "nilai": values.get(k["komponen"])} for k in known]
        parts += [{"komponen": k, "nilai": v} for k, v in values.items() if k not in names]
        built = _akip_tahun(tahun - 1, parts, ref, None)
        if built is not None:
            out.append(built)
    item = _item(iku, AKIP)
    if item is not None:
        mine = (item.get("predikat"), item.get("predikat_keterangan"))
        built = _akip_tahun(tahun, list(item.get("komponen") or []), ref, mine)
        if built is not None:
            out.append(built)
    return out


# --- Tabel 3.8 / 3.10: zona K3 per kelurahan ----------------------------------------------------


def daftar_zona(iku: list[dict[str, Any]], ref: Reference) -> pd.DataFrame:
    """Each zona K3 with its kelurahan and status at the end of the year (the summary's); with
    no zone reported at all, the reference's zones, each 'Belum dilaporkan'."""
    item = _item(iku, WILAYAH)
    zones = list((item or {}).get("zona") or [])
    if not zones:
        zones = [
            {"no_zona": int(z["no"]), "nama_zona": z["nama_zona"], "kelurahan": z["kelurahan"]}
            for z in ref.zona_k3.to_dict("records")
        ]
    rows = []
    for no, zone in enumerate(sorted(zones, key=lambda z: int(z["no_zona"])), start=1):
        tertib = None if is_missing(zone.get("tertib")) else int(zone["tertib"])
        kelurahan = str(zone["kelurahan"])
        nama = zone.get("nama_kelurahan") or ref.unit_name(kelurahan)
        rows.append([no, int(zone["no_zona"]), zone["nama_zona"], kelurahan, nama, tertib,
                     ZONA_STATUS[tertib]])  # fmt: skip
    frame = pd.DataFrame(rows, columns=ZONA_COLUMNS)
    frame["tertib"] = frame["tertib"].astype("Int64")
    return frame


def _share(part: int, whole: int) -> float | None:
    return half_up(Fraction(100 * part, whole)) if whole else None


def zona_per_kelurahan(iku: list[dict[str, Any]], ref: Reference) -> pd.DataFrame:
    """Per kelurahan (units.csv order): zones, tertib, belum tertib, never reported, % tertib;
    the last row 'Jumlah' is the kecamatan (its % is the IKU's realisation). A zone never
    reported counts as not tertib in the %, as in the IKU."""
    zones = daftar_zona(iku, ref)
    order = {u: i for i, u in enumerate(ref.units["unit"])}
    rows = []
    for kelurahan, part in zones.groupby("kelurahan", sort=False):
        tertib = part["tertib"]
        rows.append(
            {"kelurahan": kelurahan, "nama_kelurahan": part["nama_kelurahan"].iloc[0],
             "zona": len(part), "tertib": int((tertib == 1).sum()),
             "belum_tertib": int((tertib == 0).sum()), "belum_dilaporkan": int(tertib.isna().sum())}
        )  # fmt: skip
    rows.sort(key=lambda r: order.get(r["kelurahan"], len(order)))
    counts = ("zona", "tertib", "belum_tertib", "belum_dilaporkan")
    rows.append({"kelurahan": "", "nama_kelurahan": "Jumlah"}
                | {k: sum(r[k] for r in rows) for k in counts})  # fmt: skip
    for row in rows:
        row["persen_tertib"] = _share(row["tertib"], row["zona"])
    return pd.DataFrame(rows)


# --- IKM: per unsur and per jenis layanan -------------------------------------------------------


@dataclass(frozen=True, eq=False)
class IkmTahun:
    """The year's survey (all respondents pooled) as the LKIP's IKM tables show it."""

    ikm: float | None
    mutu: str | None
    mutu_keterangan: str | None
    responden: int
    unsur: pd.DataFrame  # no, unsur, nama, nrr, nrr_tertimbang
    layanan: pd.DataFrame  # no, jenis_layanan, responden, ikm, mutu, mutu_keterangan


def ikm_tahun(iku: list[dict[str, Any]]) -> IkmTahun | None:
    """NRR per unsur with NRR tertimbang (NRR × 1/9, 3 decimals) and the IKM per jenis layanan.

    The IKM itself is the summary's, computed from the responses: the rounded NRR tertimbang may
    add up (× 25) to a value a few hundredths off it. None when the summary has no IKM row.
    """
    item = _item(iku, IKM)
    if item is None:
        return None
    nrr, labels = item.get("nrr_sd_tw") or {}, item.get("unsur") or {}
    unsur = pd.DataFrame(
        [
            {"no": n, "unsur": u, "nama": labels.get(u, u.upper()), "nrr": _num(nrr.get(u)),
             "nrr_tertimbang": None if is_missing(nrr.get(u)) else half_up(exact(nrr[u]) / 9, 3)}
            for n, u in enumerate(UNSUR, start=1)
        ]
    )  # fmt: skip
    cols = ["jenis_layanan", "responden", "ikm", "mutu", "mutu_keterangan"]
    per = enumerate(item.get("per_layanan_sd_tw") or [], start=1)
    layanan = pd.DataFrame([[n, *(p.get(c) for c in cols)] for n, p in per], columns=["no", *cols])
    return IkmTahun(ikm=_num(item.get("realisasi_sd_tw")), mutu=item.get("mutu_sd_tw"),
                    mutu_keterangan=item.get("mutu_sd_tw_keterangan"),
                    responden=int(item.get("responden_sd_tw") or 0), unsur=unsur,
                    layanan=layanan)  # fmt: skip


# --- The sentence per IKU -----------------------------------------------------------------------


def _is_percent(satuan: object) -> bool:
    text = str(satuan or "").strip().lower()
    return text.startswith("persen") or text.startswith("%")


def _nilai(value: float, satuan: object) -> str:
    """'81', '84,84', '60%': whole numbers without decimals, others with two."""
    text = angka(value, 0 if float(value).is_integer() else 2)
    return text + "%" if _is_percent(satuan) else text


def _banding(row: Mapping[str, Any], realisasi: float, tahun: int) -> str:
    lalu, satuan = _num(row.get("realisasi_lalu")), row.get("satuan")
    if lalu is None:
        return f"belum ada data tahun {tahun - 1} sebagai pembanding"
    selisih, dulu = half_up(exact(realisasi) - exact(lalu)), f"({_nilai(lalu, satuan)})"
    if selisih == 0:
        return f"sama dengan tahun {tahun - 1} {dulu}"
    besar = _nilai(abs(selisih), None) + (" poin persen" if _is_percent(satuan) else "")
    return f"dibanding tahun {tahun - 1} {dulu} {'naik' if selisih > 0 else 'turun'} {besar}"


def iku_sentence(row: Mapping[str, Any]) -> str:
    """The LKIP's plain sentence for one row of `capaian_iku`, e.g. 'Indeks Kepuasan Masyarakat
    (IKM) di Kecamatan Bekasi Utara dengan realisasi capaian pada tahun 2024 sebesar 84,84 dan
    rasio sebesar 104,74%. Indikator ini tercapai (target 81); mutu pelayanan B (Baik);
    dibanding tahun 2023 (83,17) naik 1,67.'"""
    nama, tahun, satuan = row["iku"], int(row["tahun"]), row.get("satuan")
    realisasi, target = _num(row.get("realisasi")), _num(row.get("target"))
    if realisasi is None:
        return f"{nama}: belum ada data realisasi pada tahun {tahun}."
    rasio = _num(row.get("capaian_persen"))
    text = f"{nama} dengan realisasi capaian pada tahun {tahun} sebesar {_nilai(realisasi, satuan)}"
    if target is None:
        clauses = [f"Tidak ada target tahun {tahun}, sehingga rasio tidak dihitung"]
    elif rasio is None:
        clauses = [f"Rasio tidak dapat dihitung (target {_nilai(target, satuan)})"]
    else:
        text += f" dan rasio sebesar {persen(rasio)}"
        kata = "tercapai" if row.get("status") == TERCAPAI else "belum tercapai"
        clauses = [f"Indikator ini {kata} (target {_nilai(target, satuan)})"]
    kategori = row.get("kategori")
    if not is_missing(kategori) and kategori:
        clauses.append(f"{KATEGORI_LABEL.get(str(row.get('kode')), 'kategori')} {kategori}")
    clauses.append(_banding(row, realisasi, tahun))
    return f"{text}. " + "; ".join(clauses) + "."
