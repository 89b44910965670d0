"""What changed since the previous version of a quarter's report ("Perubahan sejak versi sebelumnya").

Corrections arrive late and the secretariat reruns the consolidation; leadership then holds two
drafts of the same quarter. This says which units changed status and which figures moved, so a
reader does not have to compare two reports line by line.

`changes_since` compares two versions (their summary.json dicts and detail frames, the rows of
compute.quarter_detail / rincian.json) and returns a JSON-safe dict:

- `versi_sebelumnya`: the previous version number.
- `unit_berubah`: [{unit, nama, sebelum, sesudah}] for units whose status changed, with the
  status in Indonesian (diterima / ditolak / belum mengirim; None if the unit was not listed).
- `angka_berubah`: [{unit, nama_unit, kode_sub_kegiatan, nama_sub_kegiatan, jenis, kolom, judul,
  sebelum, sesudah, selisih_rupiah}], one entry per changed figure of a (unit, sub-kegiatan) row,
  bounded by `limit`. Compared figures: realisasi_keuangan_tw and realisasi_keuangan_sd_tw
  (rupiah, int), realisasi_fisik_persen and realisasi_keluaran_tw. `jenis` is "berubah" (row in
  both versions), "baru" (row newly counted: sebelum None) or "hilang" (row no longer counted:
  sesudah None). `selisih_rupiah` = sesudah - sebelum for the rupiah figures (a missing side counts
  as 0), None for the others. Sorted by |selisih_rupiah| (desc), then unit (reference order),
  then sub-kegiatan code, then figure.
- `angka_lainnya`: how many changed figures were left out by `limit`; `jumlah_angka_berubah`: all.
- `total_sebelum`, `total_sesudah`: the kecamatan's realisasi_keuangan_sd_tw (rupiah) of the two
  versions (summary totals; the detail sum when a summary has none).
- `ada_perubahan`: True when a status, a figure or the total changed.
"""

from __future__ import annotations

import math

import pandas as pd

from triwulan.tasks.core.errors import PeriodError
from triwulan.tasks.core.fmt import STATUS_LABEL
from triwulan.tasks.core.period import parse_period

KEY = ["unit", "kode_sub_kegiatan"]
# (column, label with {tw}, is rupiah) in the order a figure of one row is listed
FIGURES: tuple[tuple[str, str, bool], ...] = (
    ("realisasi_keuangan_tw", "Realisasi keuangan {tw}", True),
    ("realisasi_keuangan_sd_tw", "Realisasi keuangan s.d. {tw}", True),
    ("realisasi_fisik_persen", "Realisasi fisik (%)", False),
    ("realisasi_keluaran_tw", "Realisasi keluaran {tw}", False),
)
NAMES = ["nama_unit", "nama_sub_kegiatan"]
# JSON (rincian.json) keeps 10 significant decimals: a figure read back is "the same" to this
_DECIMALS = 6


def _label(status: object) -> str | None:
    """Status in Indonesian, lower case to sit inside a sentence ('dari ditolak menjadi diterima')."""
    return STATUS_LABEL[status].lower() if status in STATUS_LABEL else None


def _tw(summary: dict) -> str:
    try:
        return parse_period(str(summary.get("period", ""))).roman
    except PeriodError:
        return "triwulan ini"


def _value(value: object, money: bool) -> int | float | None:
    """A JSON-safe figure: int rupiah, a float otherwise, None when missing."""
    if value is None or value is pd.NA:
        return None
    number = float(value)
    if math.isnan(number):
        return None
    return int(value) if money else number


def _rows(detail: pd.DataFrame) -> pd.DataFrame:
    """The compared columns of a detail frame, indexed by (unit, kode); empty frames allowed."""
    columns = [*KEY, *NAMES, *(f for f, _, _ in FIGURES)]
    frame = detail.reindex(columns=columns)
    return frame.drop_duplicates(KEY).set_index(KEY)


def _status_changes(previous_summary: dict, summary: dict) -> list[dict[str, object]]:
    before = {u["unit"]: u for u in previous_summary.get("units", [])}
    after = {u["unit"]: u for u in summary.get("units", [])}
    changed = []
    for unit in [*after, *(u for u in before if u not in after)]:
        old, new = before.get(unit, {}), after.get(unit, {})
        if old.get("status") != new.get("status"):
            changed.append(
                {
                    "unit": unit,
                    "nama": new.get("nama") or old.get("nama") or unit,
                    "sebelum": _label(old.get("status")),
                    "sesudah": _label(new.get("status")),
                }
            )
    return changed


def _figure_changes(
    previous_detail: pd.DataFrame, detail: pd.DataFrame, tw: str
) -> list[dict[str, object]]:
    """Every changed figure of every row, compared column by column over the whole frames."""
    before, after = _rows(previous_detail), _rows(detail)
    both = before.merge(
        after, how="outer", left_index=True, right_index=True, suffixes=("_a", "_b")
    )
    in_a = pd.Series(both.index.isin(before.index), index=both.index)
    in_b = pd.Series(both.index.isin(after.index), index=both.index)
    jenis = pd.Series("berubah", index=both.index).mask(~in_a, "baru").mask(~in_b, "hilang")
    names = {n: both[f"{n}_b"].where(in_b, both[f"{n}_a"]).astype(str) for n in NAMES}
    parts = []
    for column, title, money in FIGURES:
        dtype = "Int64" if money else "Float64"
        old = pd.to_numeric(both[f"{column}_a"]).astype(dtype).where(in_a)
        new = pd.to_numeric(both[f"{column}_b"]).astype(dtype).where(in_b)
        if not money:  # a float read back from rincian.json is the same to 6 decimals
            old, new = old.round(_DECIMALS), new.round(_DECIMALS)
        differs = (old.isna() != new.isna()) | (old != new).fillna(False)
        picked = differs.to_numpy(dtype=bool)
        part = pd.DataFrame(
            {
                **{n: names[n][picked] for n in NAMES},
                "jenis": jenis[picked],
                "kolom": column,
                "judul": title.format(tw=tw),
                "sebelum": old[picked].astype(object),
                "sesudah": new[picked].astype(object),
                "selisih_rupiah": (new.fillna(0) - old.fillna(0))[picked].astype(object)
                if money
                else None,
            }
        )
        parts.append(part.reset_index())
    found = [p for p in parts if not p.empty]
    if not found:
        return []
    records = pd.concat(found, ignore_index=True).to_dict("records")
    fields = [
        "unit",
        "nama_unit",
        "kode_sub_kegiatan",
        "nama_sub_kegiatan",
        "jenis",
        "kolom",
        "judul",
        "sebelum",
        "sesudah",
        "selisih_rupiah",
    ]
    money_columns = {column for column, _, money in FIGURES if money}
    out = []
    for record in records:
        money = record["kolom"] in money_columns
        entry = {f: record[f] for f in fields}
        for f in ("sebelum", "sesudah", "selisih_rupiah"):
            entry[f] = _value(record[f], money)
        out.append(entry)
    return out


def _readable(figures: list[dict[str, object]]) -> list[dict[str, object]]:
    """Leave out what says nothing new to a reader.

    A unit counted in one version only is told once, in unit_berubah (with its rupiah), not
    figure by figure; and "realisasi keuangan TW" is left out when it moved exactly like
    "s.d. TW" of the same row (a correction of this quarter moves both by the same amount).
    """
    whole = {}
    for f in figures:
        whole.setdefault(f["unit"], set()).add(f["jenis"])
    entering = {u for u, kinds in whole.items() if kinds <= {"baru", "hilang"}}
    sd = {
        (f["unit"], f["kode_sub_kegiatan"]): f["selisih_rupiah"]
        for f in figures
        if f["kolom"] == "realisasi_keuangan_sd_tw"
    }
    return [
        f
        for f in figures
        if f["unit"] not in entering
        and not (
            f["kolom"] == "realisasi_keuangan_tw"
            and sd.get((f["unit"], f["kode_sub_kegiatan"])) == f["selisih_rupiah"]
        )
    ]


def _unit_totals(
    previous_detail: pd.DataFrame, detail: pd.DataFrame
) -> dict[str, tuple[int | None, int | None]]:
    """Per unit, realisasi keuangan s.d. TW in each version (None: not counted there)."""

    def sums(frame: pd.DataFrame) -> dict[str, int]:
        if frame.empty:
            return {}
        grouped = frame.groupby("unit")["realisasi_keuangan_sd_tw"].sum()
        return {str(u): int(v) for u, v in grouped.items()}

    before, after = sums(previous_detail), sums(detail)
    return {u: (before.get(u), after.get(u)) for u in set(before) | set(after)}


def _total(summary: dict, detail: pd.DataFrame) -> int:
    value = (summary.get("totals") or {}).get("realisasi_keuangan_sd_tw")
    if value is None:
        if detail.empty or "realisasi_keuangan_sd_tw" not in detail:
            return 0
        return int(detail["realisasi_keuangan_sd_tw"].astype("int64").sum())
    return int(value)


def changes_since(
    previous_summary: dict,
    previous_detail: pd.DataFrame,
    summary: dict,
    detail: pd.DataFrame,
    limit: int = 50,
) -> dict[str, object]:
    """Status and figure changes from the previous version to this one (module docstring)."""
    if limit < 0:
        raise ValueError("limit tidak boleh negatif")
    order = {u["unit"]: i for i, u in enumerate(summary.get("units", []))}
    figures = _readable(_figure_changes(previous_detail, detail, _tw(summary)))
    rank = {column: i for i, (column, _, _) in enumerate(FIGURES)}
    figures.sort(
        key=lambda c: (
            -abs(c["selisih_rupiah"] or 0),
            order.get(c["unit"], len(order)),
            c["unit"],
            c["kode_sub_kegiatan"],
            rank[c["kolom"]],
        )
    )
    units = _status_changes(previous_summary, summary)
    moved = _unit_totals(previous_detail, detail)
    for unit in units:
        unit["rupiah_sebelum"], unit["rupiah_sesudah"] = moved.get(unit["unit"], (None, None))
    before, after = _total(previous_summary, previous_detail), _total(summary, detail)
    iku = _iku_changes(previous_summary, summary)
    texts = _text_changes(previous_detail, detail)
    return {
        "versi_sebelumnya": previous_summary.get("version"),
        "unit_berubah": units,
        "angka_berubah": figures[:limit],
        "jumlah_angka_berubah": len(figures),
        "angka_lainnya": max(len(figures) - limit, 0),
        "total_sebelum": before,
        "total_sesudah": after,
        "iku_berubah": iku,
        "keterangan_berubah": texts,
        "ada_perubahan": bool(units or figures or before != after or iku or texts),
    }


IKU_FIGURES = (
    ("realisasi_tw", "Realisasi {tw}"),
    ("realisasi_sd_tw", "Realisasi s.d. {tw}"),
    ("capaian_sd_tw_persen", "Capaian s.d. {tw} (%)"),
)


def _iku_changes(previous_summary: dict, summary: dict) -> list[dict[str, object]]:
    """IKU figures that moved (a late survey or a corrected evaluation changes no money)."""
    before = {r.get("kode"): r for r in previous_summary.get("iku") or []}
    tw = _tw(summary)
    out = []
    for row in summary.get("iku") or []:
        old = before.get(row.get("kode"), {})
        for key, title in IKU_FIGURES:
            if old.get(key) != row.get(key):
                out.append(
                    {
                        "kode": row.get("kode"),
                        "nama": row.get("nama"),
                        "judul": title.format(tw=tw),
                        "sebelum": old.get(key),
                        "sesudah": row.get(key),
                    }
                )
    return out


def _text_changes(previous_detail: pd.DataFrame, detail: pd.DataFrame) -> int:
    """How many rows counted in both versions changed their kendala or tindak lanjut."""
    columns = ["kendala", "tindak_lanjut"]
    if previous_detail.empty or detail.empty or not set(columns) <= set(detail.columns):
        return 0
    if not set(columns) <= set(previous_detail.columns):
        return 0
    old = previous_detail.set_index(KEY)[columns].fillna("").astype(str)
    new = detail.set_index(KEY)[columns].fillna("").astype(str)
    both = old.index.intersection(new.index)
    return int((old.loc[both] != new.loc[both]).any(axis=1).sum())
