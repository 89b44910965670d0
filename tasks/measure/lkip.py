"""The annual LKIP's measurement chapter (Bab III) and Bab IV as pure functions over whole frames.

Inputs are what the quarterly runs already stored: the latest version of TW IV (its detail rows:
per sub-kegiatan pagu in force and realisation to date; its IKU block: the year's realisation
and capaian), every quarter's detail for the units' own kendala and tindak lanjut, and the
reference (sasaran strategis and the programs supporting each IKU). Every total is derived from
rows; every percentage from exact integers. The tables keep the seed's layout and numbering.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from num2words import num2words

from triwulan.paths import PACKAGED_REFERENCE, reference_root
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.reference import Reference

SETTINGS_FILE = "lkip.toml"


def bab_iv_threshold() -> float:
    """Bab IV's threshold (percent) from reference/lkip.toml: the root's, else the package's."""
    path = reference_root() / SETTINGS_FILE
    path = path if path.is_file() else PACKAGED_REFERENCE / SETTINGS_FILE
    with path.open("rb") as handle:
        value = tomllib.load(handle)["ambang_bab_iv_persen"]
    if not isinstance(value, int | float) or not 0 <= value <= 100:
        raise TriwulanError(
            f"{path}: ambang_bab_iv_persen harus angka 0 sampai 100, bukan {value!r}."
        )
    return float(value)


def _pct(part: int, whole: int) -> float | None:
    """part / whole as a percent rounded to 2 decimals (exact integers in, None for no whole)."""
    if not whole:
        return None
    return round(part * 100 / whole, 2)


def capaian_kinerja(iku: list[dict[str, Any]], ref: Reference) -> pd.DataFrame:
    """Tabel 3.1: per IKU its sasaran strategis, target, the year's realisation and capaian."""
    sasaran = ref.sasaran.drop_duplicates("iku") if not ref.sasaran.empty else ref.sasaran
    first = {row["iku"]: row for row in sasaran.to_dict("records")}
    rows = []
    for item in iku:
        goal = first.get(item["kode"], {})
        rows.append(
            {
                "no": goal.get("no", ""),
                "sasaran": goal.get("sasaran", ""),
                "kode": item["kode"],
                "iku": item["nama"],
                "satuan": item["satuan"],
                "target": item.get("target_tahunan"),
                "realisasi": item.get("realisasi_sd_tw"),
                "capaian_persen": item.get("capaian_sd_tw_persen"),
                "ket": "Tercapai" if item.get("status_sd_tw") == "tercapai" else "Tidak Tercapai",
            }
        )
    return pd.DataFrame(rows)


def per_program(detail: pd.DataFrame) -> pd.DataFrame:
    """Tabel 3.11: pagu and realisation per program, with the total row derived from the rows."""
    grouped = (
        detail.groupby(["kode_program", "nama_program"], sort=True)[
            ["pagu", "realisasi_keuangan_sd_tw"]
        ]
        .sum()
        .reset_index()
        .rename(columns={"realisasi_keuangan_sd_tw": "realisasi"})
    )
    grouped["pagu"] = grouped["pagu"].astype("int64")
    grouped["realisasi"] = grouped["realisasi"].astype("int64")
    grouped["persen"] = [
        _pct(r, p) for r, p in zip(grouped["realisasi"], grouped["pagu"], strict=True)
    ]
    total = {
        "kode_program": "",
        "nama_program": "TOTAL",
        "pagu": int(grouped["pagu"].sum()),
        "realisasi": int(grouped["realisasi"].sum()),
    }
    total["persen"] = _pct(total["realisasi"], total["pagu"])
    return pd.concat([grouped, pd.DataFrame([total])], ignore_index=True)


def per_unit_tree(detail: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """Tabel 3.12: unit → program → kegiatan → sub-kegiatan, each level's sums from its rows.

    `tingkat` 0 unit, 1 program, 2 kegiatan, 3 sub-kegiatan; the last row is the total. Only
    sub-kegiatan rows carry fisik; the levels above sum money only.
    """
    order = {u: i for i, u in enumerate(ref.units["unit"])}
    rows = detail.assign(_o=detail["unit"].map(order)).sort_values(
        ["_o", "kode_program", "kode_kegiatan", "kode_sub_kegiatan"], kind="stable"
    )
    out: list[dict[str, Any]] = []
    money = ["pagu", "realisasi_keuangan_sd_tw"]

    def line(level: int, kode: str, nama: str, part: pd.DataFrame, **more: Any) -> None:
        pagu, real = (int(part[c].sum()) for c in money)
        out.append({"tingkat": level, "kode": kode, "uraian": nama, "pagu": pagu,
                    "realisasi": real, "persen": _pct(real, pagu), **more})  # fmt: skip

    for _, by_unit in rows.groupby("_o", sort=True):
        first = by_unit.iloc[0]
        line(0, str(first["unit"]), str(first["nama_unit"]), by_unit)
        for (kp, np_), by_program in by_unit.groupby(["kode_program", "nama_program"], sort=True):
            line(1, kp, np_, by_program)
            for (kk, nk), by_kegiatan in by_program.groupby(
                ["kode_kegiatan", "nama_kegiatan"], sort=True
            ):
                line(2, kk, nk, by_kegiatan)
                for sub in by_kegiatan.to_dict("records"):
                    line(3, sub["kode_sub_kegiatan"], sub["nama_sub_kegiatan"],
                         pd.DataFrame([sub]), fisik=sub.get("realisasi_fisik_persen"))  # fmt: skip
    line(-1, "", "JUMLAH", rows)
    return pd.DataFrame(out)


def supporting_uptake(
    tabel_3_1: pd.DataFrame, detail: pd.DataFrame, ref: Reference
) -> pd.DataFrame:
    """Tabel 3.14: per IKU capaian, the penyerapan of the programs that support it (sasaran.csv)
    and tingkat efisiensi = capaian kinerja / penyerapan anggaran × 100."""
    programs = ref.sasaran.groupby("iku")["kode_program"].apply(list).to_dict()
    rows = []
    for item in tabel_3_1.to_dict("records"):
        chosen = detail[detail["kode_program"].isin(programs.get(item["kode"], []))]
        uptake = _pct(int(chosen["realisasi_keuangan_sd_tw"].sum()), int(chosen["pagu"].sum()))
        capaian = item["capaian_persen"]
        efisiensi = round(capaian / uptake * 100, 2) if capaian is not None and uptake else None
        rows.append({**{k: item[k] for k in ("no", "sasaran", "iku")}, "capaian_persen": capaian,
                     "penyerapan_persen": uptake, "efisiensi_persen": efisiensi})  # fmt: skip
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Shortfall:
    """A sub-kegiatan of Bab IV: not carried out, or far below its target."""

    unit: str
    kode: str
    nama: str
    keuangan_persen: float | None
    kinerja_persen: float | None
    kendala: list[str] = field(default_factory=list)
    tindak_lanjut: list[str] = field(default_factory=list)


def shortfalls(
    detail: pd.DataFrame, quarters: dict[int, pd.DataFrame], threshold: float
) -> list[Shortfall]:
    """Bab IV: sub-kegiatan whose money or output is under `threshold` % of the year's target,
    each with the kendala and tindak lanjut its unit wrote in the quarters (in quarter order)."""
    keuangan = [
        _pct(int(r), int(p))
        for r, p in zip(detail["realisasi_keuangan_sd_tw"], detail["pagu"], strict=True)
    ]
    frame = detail.assign(_keu=keuangan)
    low = frame[(frame["_keu"].fillna(100) < threshold) | (
        frame["capaian_keluaran_persen"].fillna(100) < threshold)]  # fmt: skip
    notes = pd.concat(
        [q.assign(_tw=n) for n, q in sorted(quarters.items()) if not q.empty], ignore_index=True
    ) if quarters else pd.DataFrame(columns=["unit", "kode_sub_kegiatan", "kendala", "tindak_lanjut"])  # fmt: skip
    out = []
    for row in low.to_dict("records"):
        mine = notes[(notes["unit"] == row["unit"]) & (notes["kode_sub_kegiatan"] == row["kode_sub_kegiatan"])]  # fmt: skip
        out.append(
            Shortfall(
                unit=row["unit"],
                kode=row["kode_sub_kegiatan"],
                nama=row["nama_sub_kegiatan"],
                keuangan_persen=row["_keu"],
                kinerja_persen=row.get("capaian_keluaran_persen"),
                kendala=_distinct(mine.get("kendala", [])),
                tindak_lanjut=_distinct(mine.get("tindak_lanjut", [])),
            )
        )
    return out


def _distinct(texts: Any) -> list[str]:
    seen: list[str] = []
    for text in texts:
        text = str(text or "").strip()
        if text and text not in seen:
            seen.append(text)
    return seen


def rupiah_words(amount: int) -> str:
    """'empat puluh empat miliar … rupiah': the amount in words by num2words, never by hand."""
    return f"{num2words(int(amount), lang='id')} rupiah"
