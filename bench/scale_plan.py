"""What the scaled data is, before any file: the clones, the scaled reference year, the rows
and the planted faults (pure functions over frames; bench/scale_data.py writes them).

Why vectorised: at 83,763 units one small frame per clone took minutes (scaled_year alone ~8
minutes); the rows of every clone are now taken from their template in one go. The values are
those of the per-unit generator of format 1 (same seeds, same order): the cached sizes 560 and
5,957 were compared, reference CSVs byte for byte and every row and fault.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SEED = 20240216
FAULT_RATE = 0.01
KECAMATAN = "kecamatan"
YEAR_FILES_SCALED = ("units.csv", "sub_kegiatan.csv", "anggaran.csv", "zona_k3.csv")
FAULT_COLUMNS = ("realisasi_fisik", "realisasi_keuangan", "kode_sub_kegiatan")


@dataclass(frozen=True)
class Clone:
    """One unit of the scaled data: which sample unit it copies and as which copy."""

    unit: str
    template: str
    copy: int  # 0 = the sample unit itself

    @property
    def suffix(self) -> str:
        return "" if self.copy == 0 else f" {self.copy + 1}"


def clones(kelurahan: list[str], units: int) -> list[Clone]:
    """The kecamatan office and units − 1 kelurahan, cycling through the sample's kelurahan."""
    if units < 1:
        raise ValueError("units must be at least 1")
    out = [Clone(KECAMATAN, KECAMATAN, 0)]
    for i in range(units - 1):
        template, copy = kelurahan[i % len(kelurahan)], i // len(kelurahan)
        out.append(Clone(template if copy == 0 else f"{template}-{copy + 1}", template, copy))
    return out


def _repeat(frame: pd.DataFrame, key: str, plan: list[Clone]) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of each clone's template (file order within a template), in plan order.

    Returns the rows and, per row, the position of its clone in the plan. One take instead of
    one small frame per clone: at 83,763 units the per-clone frames alone took minutes.
    """
    groups = frame.groupby(key, sort=False).indices
    empty = np.empty(0, dtype=np.intp)
    parts = [groups.get(c.template, empty) for c in plan]
    sizes = np.fromiter((len(p) for p in parts), dtype=np.intp, count=len(parts))
    positions = np.concatenate(parts) if parts else empty
    owner = np.repeat(np.arange(len(plan)), sizes)
    return frame.iloc[positions].reset_index(drop=True), owner


def scaled_year(year: dict[str, pd.DataFrame], plan: list[Clone]) -> dict[str, pd.DataFrame]:
    """units, sub_kegiatan, anggaran and zona_k3 of the scaled year (text frames, file order)."""
    unit_of = np.array([c.unit for c in plan], dtype=object)
    copy_of = np.array([c.copy for c in plan])
    out: dict[str, pd.DataFrame] = {}
    units, owner = _repeat(year["units.csv"], "unit", plan)
    copies = copy_of[owner]
    units["unit"] = unit_of[owner]
    units["nama"] = [f"{n} {k + 1}" if k else n for n, k in zip(units["nama"], copies, strict=True)]
    units["email"] = [
        e.replace("@", f"{k + 1}@") if k else e for e, k in zip(units["email"], copies, strict=True)
    ]
    out["units.csv"] = units
    for name in ("sub_kegiatan.csv", "anggaran.csv"):
        rows, owner = _repeat(year[name], "unit", plan)
        rows["unit"] = unit_of[owner]
        out[name] = rows
    zona = year["zona_k3.csv"]
    rows, owner = _repeat(zona, "kelurahan", plan)
    copies = copy_of[owner]
    rows["no"] = (rows["no"].astype(int).to_numpy() + len(zona) * copies).astype(str)
    rows["nama_zona"] = [
        f"{n} #{k + 1}" if k else n for n, k in zip(rows["nama_zona"], copies, strict=True)
    ]
    rows["kelurahan"] = unit_of[owner]
    out["zona_k3.csv"] = rows.sort_values("no", key=lambda s: s.astype(int), ignore_index=True)
    return {name: out[name] for name in YEAR_FILES_SCALED}


def clone_factor(c: Clone) -> float:
    """How much of its template's figures a clone reports (85–100%, seeded per clone).

    Scaling down keeps every rule the sample satisfies (spending within pagu, fisik 0–100), and
    gives each clone its own numbers so the report's sums are not a multiple of one unit.
    """
    if c.copy == 0:
        return 1.0
    rng = np.random.default_rng([SEED, c.copy, sum(map(ord, c.template))])
    return float(rng.uniform(0.85, 1.0))


def scaled_rows(templates: dict[str, pd.DataFrame], plan: list[Clone]) -> pd.DataFrame:
    """The TW II submissions of all clones as one frame, in plan order (`_clone`: plan index)."""
    base = pd.concat(
        [templates[t].assign(_template=t) for t in dict.fromkeys(c.template for c in plan)],
        ignore_index=True,
    )
    rows, owner = _repeat(base, "_template", plan)
    rows = rows.drop(columns="_template")
    rows["unit"] = np.array([c.unit for c in plan], dtype=object)[owner]
    factor = np.array([clone_factor(c) for c in plan])[owner]
    scaled = np.array([c.copy > 0 for c in plan])[owner]
    keu = rows["realisasi_keuangan"].astype("int64")
    rows["realisasi_keuangan"] = keu.where(~scaled, (keu * factor).astype("int64"))
    fisik = rows["realisasi_fisik"].astype(float)
    rows["realisasi_fisik"] = fisik.where(~scaled, (fisik * factor).round(2))
    rows["_clone"] = owner
    return rows


def swapped_code(code: str, taken: set[str]) -> str | None:
    """The code with its last two digits swapped (a typo), if that is another, unknown code."""
    wrong = code[:-2] + code[-1] + code[-2]
    return wrong if wrong != code and wrong not in taken else None


def plant_faults(
    rows: pd.DataFrame, rate: float = FAULT_RATE
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """About `rate` of all rows get one fault each (at least one row); returns rows + manifest.

    The kinds rotate as in the sample: fisik above 100%, spending one zero too many (above the
    pagu), two digits of the code swapped. The picks are those of the per-unit generator of
    format 1 (same seed, same row order), so the data of every cached size stays the same.
    """
    count = max(1, round(len(rows) * rate))
    rng = np.random.default_rng(SEED)
    picked = sorted(rng.choice(len(rows), size=min(count, len(rows)), replace=False))
    out = rows.copy()
    columns = {k: out[k].to_numpy(dtype=object).copy() for k in FAULT_COLUMNS}
    units, owner = out["unit"].to_numpy(dtype=object), out["_clone"].to_numpy()
    starts = np.searchsorted(owner, owner)  # each row's unit block starts here (plan order)
    manifest: list[dict[str, object]] = []
    for n, position in enumerate(picked):
        kode = str(columns["kode_sub_kegiatan"][position])
        kind = n % 3
        wrong_code = None
        if kind == 2:
            block = slice(starts[position], np.searchsorted(owner, owner[position], "right"))
            wrong_code = swapped_code(kode, set(columns["kode_sub_kegiatan"][block]))
        if kind == 1:
            pagu = int(out.at[position, "pagu"])
            salah: object = max(int(columns["realisasi_keuangan"][position]) * 10, pagu + 1)
            kolom, jenis = "realisasi_keuangan", "Realisasi melebihi pagu"
        elif wrong_code is not None:
            salah, kolom, jenis = wrong_code, "kode_sub_kegiatan", "Kode sub kegiatan salah"
        else:
            salah, kolom, jenis = 105.0, "realisasi_fisik", "Realisasi fisik di atas 100%"
        columns[kolom][position] = salah
        manifest.append(
            {
                "unit": units[position],
                "kode_sub_kegiatan": kode,
                "kolom": kolom,
                "salah": str(salah),
                "jenis": jenis,
            }
        )
    touched = {str(m["kolom"]) for m in manifest}
    for kolom in touched:  # as before: a faulted column holds Python objects
        out[kolom] = pd.Series(columns[kolom], index=out.index, dtype=object)
    return out, manifest
