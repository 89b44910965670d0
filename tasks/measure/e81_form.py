"""Form E.81 as printed (Permendagri 86/2017): sasaran rows, No, Renstra columns, closing rows.

`e81.e81_rows` gives the Renja core (program, kegiatan, sub-kegiatan, Jumlah). This module places
each program under the sasaran it serves (reference sasaran.csv), adds a row per sasaran carrying
its IKU (K = the indicator, Rp = the sum of its programs), numbers the rows, and adds the Renstra
columns (5, 6, 13, 14 of the form) from renstra.csv and iku_tahunan.csv:

- `renstra_target_k/_rp`: target at the end of the Renstra period;
- `renstra_lalu_k/_rp`: realisation up to last year (IKU: last year's value, from iku_tahunan;
  rupiah: as given, 0 in the Renstra's first year);
- `renstra_sd_k/_rp`: realisation up to this year (IKU are levels: this year's value; rupiah:
  last years' plus this year's to date);
- `renstra_capaian_k_persen/_rp_persen`: to date against the end target.

The Renstra plans programs and kegiatan: sub-kegiatan rows keep those columns empty. A program no
sasaran names is listed after the sasaran, under none.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from triwulan.tasks.core.reference import QUARTERS, Reference
from triwulan.tasks.core.reference_form import BUTIR
from triwulan.tasks.measure.compute import percent, predikat
from triwulan.tasks.measure.e81 import COLUMNS, K_TW, RP_SUMMED, RP_TW
from triwulan.tasks.measure.iku import capaian

RENSTRA_K = ["renstra_target_k", "renstra_lalu_k", "renstra_sd_k"]
RENSTRA_RP = ["renstra_target_rp", "renstra_lalu_rp", "renstra_sd_rp"]
FORM_COLUMNS = [
    "no",
    "sasaran",
    *COLUMNS,
    *RENSTRA_K,
    *RENSTRA_RP,
    "renstra_capaian_k_persen",
    "renstra_capaian_rp_persen",
    "keterangan",
]
# texts of one closing row listed in full; the rest are counted ("… dan 4 lainnya")
CLOSING_ITEMS = 8
CLOSING_UNITS = 5  # units named after one text; the rest counted
UNMAPPED = "Program yang belum dikaitkan dengan sasaran (tambahkan di sasaran.csv)"


def _iku_values(iku_quarters: dict[int, list[dict[str, Any]]], triwulan: int) -> pd.DataFrame:
    """One row per IKU: its quarter values k_tw1..4 and the to-date figures at TW n."""
    now = {r["kode"]: r for r in iku_quarters.get(triwulan, [])}
    rows = []
    for kode, r in now.items():
        row = {
            "iku": kode,
            "indikator": r.get("nama") or "",
            "satuan": r.get("satuan") or "",
            "arah": r.get("arah") or "naik",
            "target_k": r.get("target_tahunan"),
            "k_sd": r.get("realisasi_sd_tw"),
            # (12) ÷ (7) as every row of the form: against the year's target, not the target to
            # date the IKU section uses (wilayah tertib at TW II: 26,67 of 57, not of 30)
            "capaian_k_persen": capaian(
                r.get("realisasi_sd_tw"), r.get("target_tahunan"), r.get("arah") or "naik"
            ),
            "keterangan": r.get("keterangan") or "",
        }
        for q in QUARTERS:
            quarter = {x["kode"]: x for x in iku_quarters.get(q, [])} if q <= triwulan else {}
            row[f"k_tw{q}"] = (quarter.get(kode) or {}).get("realisasi_tw")
        rows.append(row)
    return pd.DataFrame(rows)


def _sasaran_rows(
    ref: Reference, rows: pd.DataFrame, iku: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, str]]:
    """A row per sasaran (rupiah summed over its programs) and program code -> sasaran text."""
    sasaran = ref.sasaran
    if sasaran.empty:
        return pd.DataFrame(columns=["sasaran", "iku", "tingkat", "kode", "uraian"]), {}
    of_program = dict(zip(sasaran["kode_program"], sasaran["sasaran"], strict=True))
    programs = rows[rows["tingkat"] == "program"].assign(
        sasaran=lambda f: f["kode"].map(of_program)
    )
    programs["sasaran"] = programs["sasaran"].astype(object).fillna("")
    sums = programs.groupby("sasaran", sort=False)[RP_SUMMED].sum(min_count=1)
    firsts = sasaran.drop_duplicates("sasaran")[["sasaran", "iku"]]
    if (programs["sasaran"] == "").any():  # programs sasaran.csv does not name: a heading too
        firsts = pd.concat([firsts, pd.DataFrame({"sasaran": [""], "iku": [None]})])
    out = firsts.reset_index(drop=True)
    out = out.merge(iku, on="iku", how="left") if not iku.empty else out
    for col in ("indikator", "satuan", "arah", "keterangan"):
        if col not in out.columns:  # no IKU figures for the quarter: the row keeps its rupiah
            out[col] = ""
    out = out.join(sums, on="sasaran")
    out["tingkat"] = "sasaran"
    out["kode"] = ""
    out["uraian"] = out["sasaran"].where(out["sasaran"] != "", UNMAPPED)
    return out, of_program


def _renstra(ref: Reference, form: pd.DataFrame) -> pd.DataFrame:
    """The Renstra columns of every row (see the module docstring)."""
    renstra = ref.renstra.set_index("kode")
    start = int(renstra["tahun_awal"].iloc[0]) if len(renstra) else None
    key = form["kode"].where(form["tingkat"].isin(["program", "kegiatan"]), form["_iku"])
    planned = form["tingkat"].isin(["sasaran", "program", "kegiatan"])
    given = renstra.reindex(key.where(planned, "\0").to_numpy())
    out = pd.DataFrame(index=form.index)
    out["renstra_target_k"] = given["target_akhir_k"].to_numpy()
    out["renstra_target_rp"] = pd.array(given["target_akhir_rp"].to_numpy(), dtype="Int64")
    lalu_k = given["realisasi_lalu_k"].to_numpy()
    years = ref.iku_tahunan[ref.iku_tahunan["tahun"] < ref.tahun].sort_values("tahun")
    last = years.drop_duplicates("kode", keep="last").set_index("kode")["realisasi"]
    iku_lalu = form["_iku"].map(last).where(form["tingkat"] == "sasaran")
    out["renstra_lalu_k"] = iku_lalu.fillna(pd.Series(lalu_k, index=form.index))
    first_year = start is not None and ref.tahun == start
    lalu_rp = pd.Series(given["realisasi_lalu_rp"].to_numpy(), index=form.index, dtype="Int64")
    if first_year:  # nothing was realised in the Renstra before its first year
        lalu_rp = lalu_rp.fillna(0)
    out["renstra_lalu_rp"] = lalu_rp.where(planned | (form["tingkat"] == "jumlah"))
    if first_year:
        out.loc[form["tingkat"] == "jumlah", "renstra_lalu_rp"] = 0
    out["renstra_lalu_rp"] = out["renstra_lalu_rp"].astype("Int64")
    _sum_programs(form, out)
    out["renstra_sd_rp"] = (out["renstra_lalu_rp"] + form["rp_sd"]).astype("Int64")
    is_iku = form["tingkat"] == "sasaran"
    out["renstra_sd_k"] = form["k_sd"].astype("Float64").where(is_iku)
    out["renstra_capaian_k_persen"] = [
        capaian(_num(k), _num(t), str(a or "naik")) if s else None
        for k, t, a, s in zip(
            out["renstra_sd_k"], out["renstra_target_k"], form["_arah"], is_iku, strict=True
        )
    ]
    done, target = out["renstra_sd_rp"], out["renstra_target_rp"]
    ok = done.notna() & target.notna() & (target.fillna(0) != 0)
    rate = percent(done.fillna(0).astype("int64"), target.fillna(0).astype("int64"))
    out["renstra_capaian_rp_persen"] = rate.where(ok.to_numpy())
    for col in ("renstra_target_k", "renstra_lalu_k", "renstra_capaian_k_persen"):
        out[col] = _floats(out[col])
    return out


def _all_or_none(values: pd.Series) -> Any:
    """The exact sum when every value is known, else NA (a partial sum would mislead)."""
    return int(values.sum()) if len(values) and values.notna().all() else pd.NA


def _sum_programs(form: pd.DataFrame, out: pd.DataFrame) -> None:
    """Sasaran and Jumlah rows: Renstra rupiah as the sum of their programs where none is given."""
    programs = form["tingkat"] == "program"
    heads, total = form["tingkat"] == "sasaran", form["tingkat"] == "jumlah"
    for col in ("renstra_target_rp", "renstra_lalu_rp"):
        values = out.loc[programs, col]
        by_group = values.groupby(form.loc[programs, "sasaran"]).agg(_all_or_none)
        summed = pd.array(form.loc[heads, "sasaran"].map(by_group), dtype="Int64")
        out.loc[heads, col] = out.loc[heads, col].fillna(pd.Series(summed, index=out.index[heads]))
        out.loc[total, col] = _all_or_none(values)
        out[col] = out[col].astype("Int64")


def _floats(values: pd.Series) -> pd.Series:
    """Float64 from a column mixing floats, None, NaN and pd.NA (rows of different origins)."""
    numbers = pd.to_numeric(values.astype(object).where(values.notna(), None), errors="coerce")
    return pd.Series(pd.array(numbers, dtype="Float64"), index=values.index)


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def e81_form_rows(
    ref: Reference,
    rows: pd.DataFrame,
    iku_quarters: dict[int, list[dict[str, Any]]],
    triwulan: int,
) -> pd.DataFrame:
    """The whole form's rows: sasaran, program, kegiatan, sub-kegiatan in order, then Jumlah.

    rows: e81.e81_rows at TW `triwulan`; iku_quarters: iku.iku_rows of each quarter 1..n.
    """
    iku = _iku_values(iku_quarters, triwulan)
    heads, of_program = _sasaran_rows(ref, rows, iku)
    body = rows.copy()
    program = body["kode"].str[:7].where(body["tingkat"] != "jumlah", "")
    body["sasaran"] = program.map(of_program).astype(object).fillna("")
    order = {s: i for i, s in enumerate(heads["sasaran"])} if len(heads) else {}
    body["_group"] = body["sasaran"].map(order).fillna(len(order))
    body.loc[body["tingkat"] == "jumlah", "_group"] = len(order) + 1
    body["_pos"] = range(len(body))
    heads = heads.assign(_group=heads["sasaran"].map(order), _pos=-1)
    form = pd.concat([heads, body], ignore_index=True)
    form = form.sort_values(["_group", "_pos"], kind="stable").reset_index(drop=True)
    form["_iku"] = form.get("iku", pd.Series(index=form.index, dtype=object))
    form["_arah"] = form.get("arah", pd.Series(index=form.index, dtype=object))
    for col in RP_SUMMED:
        form[col] = form[col].astype("Int64")
    for col in ["target_k", *K_TW, "k_sd", "capaian_k_persen"]:
        form[col] = _floats(form[col])
    is_head = form["tingkat"] == "sasaran"
    rate = percent(form["rp_sd"].fillna(0).astype("int64"), form["target_rp"].fillna(0))
    form.loc[is_head, "capaian_rp_persen"] = rate[is_head].where(form.loc[is_head, "rp_sd"].notna())
    form["capaian_rp_persen"] = _floats(form["capaian_rp_persen"])
    form["predikat_k"] = form["predikat_k"].where(
        ~is_head, predikat(form["capaian_k_persen"].astype(float), ref.predikat)
    )
    form["predikat_rp"] = form["predikat_rp"].where(
        ~is_head, predikat(form["capaian_rp_persen"].astype(float), ref.predikat)
    )
    renstra = _renstra(ref, form)
    form = pd.concat([form.drop(columns=renstra.columns, errors="ignore"), renstra], axis=1)
    numbered = form["tingkat"] != "jumlah"
    form["no"] = ""
    form.loc[numbered, "no"] = [str(i) for i in range(1, int(numbered.sum()) + 1)]
    for col in ("sasaran", "keterangan", "indikator", "satuan", "unit", "nama_unit"):
        form[col] = form[col].fillna("").astype(str) if col in form.columns else ""
    form["keterangan"] = form["keterangan"].where(is_head, "")
    for col in ("kendala", "tindak_lanjut"):
        form[col] = form[col].fillna("").astype(str)
    for col in RP_TW:
        form[col] = form[col].astype("Int64")
    return form[FORM_COLUMNS]


def _mean(values: pd.Series) -> float | None:
    """Half-up mean to 2 decimals (Decimal: 87.125 is 87.13, not the float's 87.12)."""
    numbers = [Decimal(str(v)) for v in values.dropna()]
    if not numbers:
        return None
    mean = sum(numbers, Decimal(0)) / len(numbers)
    return float(mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _listed(texts: list[str]) -> list[str]:
    """Distinct texts in order; beyond CLOSING_ITEMS, one line counting the rest."""
    seen = list(dict.fromkeys(t for t in texts if t.strip()))
    if len(seen) <= CLOSING_ITEMS:
        return seen
    return [*seen[:CLOSING_ITEMS], f"… dan {len(seen) - CLOSING_ITEMS} lainnya"]


def _by_text(texts: pd.Series, units: pd.Series) -> list[str]:
    """Each distinct text once, with the units that wrote it: '… (Kelurahan A, Kelurahan B)'."""
    pairs = pd.DataFrame({"t": texts.str.strip(), "u": units})
    pairs = pairs[pairs["t"] != ""].drop_duplicates()
    grouped = pairs.groupby("t", sort=False)["u"].agg(lambda u: _some(list(dict.fromkeys(u))))
    return [f"{t} ({u})" for t, u in grouped.items()]


def _some(units: list[str]) -> str:
    """'A, B, C' or, beyond CLOSING_UNITS, 'A, B, C, D, E dan 2.897 unit lain' (a province)."""
    if len(units) <= CLOSING_UNITS:
        return ", ".join(units)
    rest = f"{len(units) - CLOSING_UNITS:,}".replace(",", ".")
    return f"{', '.join(units[:CLOSING_UNITS])} dan {rest} unit lain"


def e81_closing(ref: Reference, form: pd.DataFrame, triwulan: int) -> list[dict[str, Any]]:
    """The closing rows: mean capaian and its predikat, then the four written items.

    The means are over the sub-kegiatan rows that have a capaian (the form's rows of activity).
    Faktor penghambat and tindak lanjut come from what the units wrote (kendala, tindak lanjut,
    with the unit's name), after what the secretariat wrote in catatan_e81.csv for the quarter.
    """
    subs = form[form["tingkat"] == "sub_kegiatan"]
    mean_k = _mean(subs["capaian_k_persen"].astype(float))
    mean_rp = _mean(subs["capaian_rp_persen"].astype(float))
    bands = predikat(pd.Series([mean_k, mean_rp], dtype=float), ref.predikat).tolist()
    notes = ref.catatan_e81[ref.catatan_e81["triwulan"] == triwulan]
    written = {b: notes.loc[notes["butir"] == b, "teks"].tolist() for b in BUTIR}
    from_units = {
        "faktor_penghambat": _by_text(subs["kendala"], subs["nama_unit"]),
        "tindak_lanjut_triwulan": _by_text(subs["tindak_lanjut"], subs["nama_unit"]),
    }
    closing: list[dict[str, Any]] = [
        {
            "butir": "rata_rata",
            "judul": "Rata-rata capaian kinerja (%)",
            "k": mean_k,
            "rp": mean_rp,
        },
        {"butir": "predikat", "judul": "Predikat kinerja", "k": bands[0], "rp": bands[1]},
    ]
    for butir, judul in BUTIR.items():
        if butir == "tindak_lanjut_triwulan" and triwulan == QUARTERS[-1]:
            judul = "Tindak lanjut yang diperlukan pada tahun berikutnya"
        texts = written[butir] + from_units.get(butir, [])
        closing.append({"butir": butir, "judul": judul, "teks": _listed(texts)})
    return closing


def e81_header(ref: Reference, triwulan: int) -> dict[str, Any]:
    """The form's header block: perangkat daerah, period, the RKPD sasaran it serves."""
    renstra = ref.renstra
    period = (
        f"{int(renstra['tahun_awal'].iloc[0])}–{int(renstra['tahun_akhir'].iloc[0])}"
        if len(renstra)
        else ""
    )
    return {
        "perangkat_daerah": ref.kecamatan_name,
        "periode": f"Triwulan {_roman(triwulan)} Tahun {ref.tahun}",
        "tahun": ref.tahun,
        "periode_renstra": period,
        "tahun_akhir_renstra": int(renstra["tahun_akhir"].iloc[0]) if len(renstra) else None,
        "sasaran_rkpd": list(dict.fromkeys(ref.sasaran["sasaran_rkpd"])),
    }


def _roman(q: int) -> str:
    return {1: "I", 2: "II", 3: "III", 4: "IV"}[q]


def pengesahan(ref: Reference) -> dict[str, Any]:
    """Signatories of the forms (pejabat.csv), in the order penyusun, camat, evaluator."""
    people = ref.pejabat.drop_duplicates("peran").set_index("peran")
    place = next((t for t in ref.pejabat["tempat"] if t), "")
    return {
        "tempat": place,
        "pejabat": [
            {"peran": peran, **{k: str(v) for k, v in people.loc[peran].items()}}
            for peran in ("penyusun", "camat", "evaluator")
            if peran in people.index
        ],
    }
