"""Early warning ("Peringatan dini"): sub-kegiatan whose spending lags the anggaran kas.

The domain's usual early warning is the deviasi: planned cumulative share of the pagu minus the
realised cumulative share. A sub-kegiatan is flagged when

- it has no cumulative realisation at all while its cumulative target is above zero
  (alasan "tanpa realisasi"), or
- its deviasi is MORE than the threshold (alasan "tertinggal dari rencana lebih dari 10% pagu",
  see `behind_plan`: the number is the threshold in force); a deviasi equal to the threshold is
  not flagged.

deviasi_persen = (target_keuangan_sd_tw - realisasi_keuangan_sd_tw) / pagu x 100, exactly as
compute.add_rates prints it in the report (integer-exact, half-up to 2 decimals), and the
threshold is compared with that printed value, so what a reader sees agrees with the rule.
It is taken over the PAGU, not over the cumulative target: (1) it is the same figure as the
report's deviasi column and the domain's definition (planned % minus realised %, both of pagu);
(2) over the cumulative target a small early-year target would turn a trivial amount into a huge
percentage (Rp 1 jt missing of a Rp 1 jt TW I target = 100 %, though 0.1 % of a Rp 1 M pagu),
while over the pagu the percentage measures the share of the year's budget behind plan.

The threshold lives in reference/peringatan.toml (see `load_thresholds`).
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from triwulan.paths import PACKAGED_REFERENCE, reference_root
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.measure.compute import percent

THRESHOLD_FILE = "peringatan.toml"
ENV_DEVIASI = "TRIWULAN_PERINGATAN_DEVIASI"
NO_REALISATION = "tanpa realisasi"
# The reason a reader sees for a deviasi above the threshold: words, not "deviasi di atas ambang".
# The number is the threshold of peringatan.toml (or its override), never typed here.
BEHIND_PLAN = "tertinggal dari rencana lebih dari {ambang}% pagu"
COLUMNS = [
    "unit",
    "nama_unit",
    "kode_sub_kegiatan",
    "nama_sub_kegiatan",
    "target_keuangan_sd_tw",
    "realisasi_keuangan_sd_tw",
    "selisih_rupiah",
    "deviasi_persen",
    "alasan",
    "kendala",
    "tindak_lanjut",
]


def _number(raw: object, where: str) -> float:
    """A threshold in percentage points, 0..100; '7,5' is read as 7.5 (Indonesian comma)."""
    text = str(raw).strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if isinstance(raw, bool) or not math.isfinite(value) or not 0 <= value <= 100:
        raise TriwulanError(
            f"{where} = '{raw}' tidak sah: isi dengan angka 0 sampai 100 (poin persen dari pagu), "
            "misalnya 10 atau 7.5."
        )
    return value


def load_thresholds(env: Mapping[str, str] = os.environ) -> dict[str, float | int]:
    """{"deviasi_persen": float, "baris_maks": int} from reference/peringatan.toml.

    Read from the reference root (TRIWULAN_REFERENCE may point at another kecamatan's data); a
    root without the file (a copy made before it existed) falls back to the shipped one.
    TRIWULAN_PERINGATAN_DEVIASI, when set and not empty, overrides deviasi_persen.
    """
    path: Path = reference_root() / THRESHOLD_FILE
    if not path.is_file():
        path = PACKAGED_REFERENCE / THRESHOLD_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TriwulanError(f"Berkas ambang peringatan {path} tidak dapat dibaca: {exc}") from exc
    if "deviasi_persen" not in data:
        raise TriwulanError(f"{path}: deviasi_persen belum diisi.")
    deviasi = _number(data["deviasi_persen"], f"{path}: deviasi_persen")
    override = env.get(ENV_DEVIASI, "").strip()
    if override:
        deviasi = _number(override, ENV_DEVIASI)
    rows = data.get("baris_maks", 20)
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise TriwulanError(f"{path}: baris_maks = '{rows}' tidak sah: isi bilangan bulat >= 1.")
    return {"deviasi_persen": deviasi, "baris_maks": rows}


def behind_plan(threshold: float) -> str:
    """'tertinggal dari rencana lebih dari 10% pagu' (7.5 -> '7,5%'): the alasan of a deviasi
    above `threshold`, in the words and number format of the report."""
    number = f"{float(threshold):.2f}".rstrip("0").rstrip(".").replace(".", ",")
    return BEHIND_PLAN.format(ambang=number)


def all_warnings(detail: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Every flagged row of a detail frame (compute.quarter_detail), most rupiah at stake first."""
    if detail.empty:
        return pd.DataFrame(columns=COLUMNS)
    target = detail["target_keuangan_sd_tw"].astype("int64")
    done = detail["realisasi_keuangan_sd_tw"].astype("int64")
    gap = target - done
    deviasi = percent(gap, detail["pagu"].astype("int64"))
    no_realisation = (done == 0) & (target > 0)
    above = deviasi.gt(float(threshold)).fillna(False)
    flagged = detail.assign(
        target_keuangan_sd_tw=target,
        realisasi_keuangan_sd_tw=done,
        selisih_rupiah=gap,
        deviasi_persen=deviasi,
        alasan=pd.Series(behind_plan(threshold), index=detail.index).mask(
            no_realisation, NO_REALISATION
        ),
    )[no_realisation | above]
    for text in ("kendala", "tindak_lanjut"):
        flagged[text] = flagged[text].fillna("").astype(str)
    return flagged.sort_values(
        ["selisih_rupiah", "unit", "kode_sub_kegiatan"],
        ascending=[False, True, True],
        kind="stable",
    ).reset_index(drop=True)[COLUMNS]


def early_warnings(detail: pd.DataFrame, threshold: float, limit: int = 20) -> pd.DataFrame:
    """The first `limit` rows of all_warnings.

    attrs["jumlah"] = all flagged rows, attrs["lainnya"] = how many were left out by `limit`
    (for "dan N sub kegiatan lain"); attrs do not survive every pandas operation, so read them
    straight away.
    """
    if limit < 0:
        raise ValueError("limit tidak boleh negatif")
    flagged = all_warnings(detail, threshold)
    shown = flagged.head(limit).copy()
    shown.attrs = {"jumlah": len(flagged), "lainnya": max(len(flagged) - limit, 0)}
    return shown
