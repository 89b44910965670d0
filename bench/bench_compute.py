"""Compute and aggregate over many units at once: time and peak memory (prints numbers only).

Synthetic: the 2024 plan of Bekasi Utara replicated N times under new unit slugs, as if a Kota
(N=12 kecamatan x 7 units) or a province ran in one frame. Run: .venv/bin/python bench/bench_compute.py
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pandas as pd

from triwulan.tasks.core.reference import load_reference, plan_for_quarter
from triwulan.tasks.measure.compute import LEVEL_KEYS, aggregate, quarter_detail, totals
from triwulan.tasks.measure.early_warning import early_warnings


def synthetic(copies: int, triwulan: int) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    ref = load_reference(2024)
    plan = plan_for_quarter(ref, triwulan)
    plans, stored = [], []
    rng = np.random.default_rng(1)
    for i in range(copies):
        p = plan.assign(unit=plan["unit"] + f"-{i}")
        plans.append(p)
        for q in range(1, triwulan + 1):
            q_plan = plan_for_quarter(ref, q)
            stored.append(
                pd.DataFrame(
                    {
                        "tahun": 2024,
                        "triwulan": q,
                        "unit": p["unit"].to_numpy(),
                        "kode_sub_kegiatan": p["kode_sub_kegiatan"].to_numpy(),
                        "realisasi_keuangan": (
                            q_plan["target_keuangan"].to_numpy() * rng.uniform(0.6, 1.0)
                        ).astype("int64"),
                        "realisasi_fisik": rng.uniform(0, 100, len(p)).round(2),
                        "realisasi_keluaran": rng.integers(0, 5, len(p)).astype(float),
                        "kendala": "",
                        "tindak_lanjut": "",
                    }
                )
            )
    all_plan = pd.concat(plans, ignore_index=True)
    return all_plan, pd.concat(stored, ignore_index=True), sorted(all_plan["unit"].unique())


def main() -> None:
    ref = load_reference(2024)
    for copies in (12, 120, 1200):
        plan, stored, units = synthetic(copies, 4)
        names = {u: u for u in units}

        def work(plan=plan, stored=stored, units=units, names=names) -> tuple[dict, dict]:
            detail = quarter_detail(plan, stored, units, 4, names, ref.predikat)
            levels = {level: aggregate(detail, level, ref.predikat) for level in LEVEL_KEYS}
            early_warnings(detail, 10)
            return {"detail": detail, **levels}, totals(detail, ref.predikat)

        start = time.perf_counter()
        frames, total = work()  # timed without tracemalloc (it slows Python several-fold)
        elapsed = time.perf_counter() - start
        tracemalloc.start()
        work()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        detail, levels = frames["detail"], {k: v for k, v in frames.items() if k != "detail"}
        print(
            f"{len(units):>6} units {len(detail):>7} sub-kegiatan rows {len(stored):>8} stored rows: "
            f"{elapsed:6.2f} s, peak {peak / 2**20:7.1f} MiB, levels {[len(v) for v in levels.values()]}, "
            f"pagu {total['pagu']:,}"
        )


if __name__ == "__main__":
    main()
