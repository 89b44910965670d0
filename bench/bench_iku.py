"""IKU sheets: validation (GX, one batch per sheet) and computation as the survey grows.

Synthetic: the sample's TW II survey (312 respondents) replicated N times with new respondent
codes, and the sample's zona statuses; prints seconds and the ratio to N=1, so a per-row or
per-unit loop that goes quadratic shows as a ratio far above N. Run:
.venv/bin/python bench/bench_iku.py
"""

from __future__ import annotations

import time
import tracemalloc

import pandas as pd

from triwulan.paths import SAMPLE_DIR
from triwulan.tasks.check.iku import type_sheet, validate_iku
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import load_reference
from triwulan.tasks.measure.iku import iku_rows

REF = load_reference(2024)
TW2 = Period(2024, 2)


def text_frames(copies: int) -> dict[str, pd.DataFrame]:
    """The sample's TW II sheets as ingest gives them (text, _file/_row/_kolom)."""
    frames = {}
    for sheet, name in (("skm", "skm"), ("zona_k3", "zona"), ("akip", "akip")):
        raw = pd.read_csv(SAMPLE_DIR / "iku" / f"{name}_2024.csv", dtype=str, keep_default_na=False)
        raw = raw[raw["triwulan"] == "2"]
        if sheet == "skm":
            raw = pd.concat(
                [raw.assign(responden=raw["responden"] + f"-{i}") for i in range(copies)],
                ignore_index=True,
            )
        raw = raw.assign(
            _file=f"{name}.csv", _row=range(2, len(raw) + 2), _kolom="|".join(raw.columns)
        )
        frames[sheet] = raw.reset_index(drop=True)
    return frames


def measure(copies: int) -> tuple[float, float, int]:
    frames = text_frames(copies)
    tracemalloc.start()
    start = time.perf_counter()
    result = validate_iku(frames, [], REF, TW2)
    checked = time.perf_counter() - start
    skm = type_sheet(frames["skm"], "skm", REF, TW2).assign(tahun=2024, triwulan=2)
    start = time.perf_counter()
    iku_rows(REF, 2, skm, None, None)
    computed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.problems.empty, result.problems.head()
    return checked, computed, peak


def main() -> None:
    measure(1)  # GX import and first context outside the timings
    base = None
    for copies in (1, 10, 100):
        checked, computed, peak = measure(copies)
        base = base or (checked, computed)
        print(
            f"{copies * 312:>6} responden: validasi {checked:6.2f} s "
            f"(x{checked / base[0]:5.1f}), hitung IKU {computed:6.3f} s "
            f"(x{computed / base[1]:5.1f}), puncak memori {peak / 2**20:6.1f} MiB"
        )


if __name__ == "__main__":
    main()
