"""Time validate_quarter: the real 7 units (~7 rows each) and a synthetic 700-unit quarter.

Run: .venv/bin/python bench/bench_validate.py   (prints seconds; not a test)
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from triwulan.tasks.period import Period  # noqa: E402
from triwulan.tasks.reference import Reference, load_reference, plan_for_quarter  # noqa: E402
from triwulan.tasks.validate import prepare_frame, validate_quarter  # noqa: E402

PERIOD = Period(2024, 2)


def scaled(ref: Reference, copies: int) -> Reference:
    """The reference with every unit copied `copies` times (unit names get a -NNN suffix)."""

    def grow(frame: pd.DataFrame) -> pd.DataFrame:
        parts = [frame.assign(unit=frame["unit"] + f"-{i:03d}") for i in range(copies)]
        return pd.concat(parts, ignore_index=True)

    return dataclasses.replace(
        ref, units=grow(ref.units), sub_kegiatan=grow(ref.sub_kegiatan), anggaran=grow(ref.anggaran)
    )


def quarter_frame(ref: Reference, bad_every: int = 0) -> pd.DataFrame:
    """Text frame as read_quarter gives it, one file per unit; every n-th row gets a bad cell."""
    plan = plan_for_quarter(ref, PERIOD.triwulan)
    frame = pd.DataFrame(
        {
            "tahun": str(PERIOD.tahun),
            "triwulan": str(PERIOD.triwulan),
            "unit": plan["unit"],
            "kode_sub_kegiatan": plan["kode_sub_kegiatan"],
            "nama_sub_kegiatan": plan["nama_sub_kegiatan"],
            "pagu": plan["pagu"].astype(str),
            "target_keuangan": plan["target_keuangan"].astype(str),
            "indikator_keluaran": plan["indikator_keluaran"],
            "satuan": plan["satuan"],
            "target_keluaran": plan["target_keluaran"].map("{:g}".format),
            "realisasi_keuangan": (plan["target_keuangan"] // 2).astype(str),
            "realisasi_fisik": "50",
            "realisasi_keluaran": "1",
            "kendala": "",
            "tindak_lanjut": "",
            "_file": plan["unit"] + ".xlsx",
        }
    )
    frame["_row"] = frame.groupby("_file").cumcount() + 2
    if bad_every:
        frame.loc[frame.index[::bad_every], "realisasi_keuangan"] = "1.000"
    return frame


def clock(label: str, fn: Callable[[], object], repeat: int = 3) -> None:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    extra = ""
    if hasattr(result, "problems"):
        extra = f"  ({len(result.problems)} problems, {len(result.status)} units)"
    print(f"{label:<46} best {min(times):6.3f} s  worst {max(times):6.3f} s{extra}")


def main() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    start = time.perf_counter()
    import great_expectations  # noqa: F401

    print(
        f"{'import great_expectations (once per process)':<46} {time.perf_counter() - start:6.3f} s"
    )
    ref = load_reference(PERIOD.tahun)
    small = quarter_frame(ref)
    big_ref = scaled(ref, 100)
    big = quarter_frame(big_ref)
    big_bad = quarter_frame(big_ref, bad_every=10)
    print(f"small: {len(small)} rows / 7 units; big: {len(big)} rows / {len(big_ref.units)} units")
    validate_quarter(small, ref, PERIOD)  # warm-up: first suite build registers expectations
    clock("validate_quarter 7 units (clean)", lambda: validate_quarter(small, ref, PERIOD))
    clock("  of which prepare_frame", lambda: prepare_frame(small, ref, PERIOD))
    clock("validate_quarter 700 units (clean)", lambda: validate_quarter(big, big_ref, PERIOD))
    clock("  of which prepare_frame", lambda: prepare_frame(big, big_ref, PERIOD))
    clock(
        "validate_quarter 700 units (10% bad cells)",
        lambda: validate_quarter(big_bad, big_ref, PERIOD),
    )


if __name__ == "__main__":
    main()
