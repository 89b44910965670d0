"""Time validate_quarter before and after the full catalogue: 7 real units and 560 synthetic ones.

Run: .venv/bin/python bench/bench_validate.py [--base REV] [--repeat N]   (prints seconds; not a
test). "after" is the working tree with every rule on (earlier quarters as
store.earlier_figures gives them, so the quarter-to-quarter rules run too). "before" is
tasks/check/validate.py and expectations/submission.json of git revision REV (default: the commit the
catalogue was built on), loaded beside the current code; when that cannot be loaded, the figures
measured on the development machine are printed instead. The catalogue's budget: a 560-unit
validation at most 1.5 × before.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from triwulan.tasks.core.period import Period  # noqa: E402
from triwulan.tasks.core.reference import Reference, load_reference, plan_for_quarter  # noqa: E402

PERIOD = Period(2024, 2)
BASE = "18ee0b3"  # before "The validation catalogue, complete"
BUDGET = 1.5
# best of 5, seconds, on the 2-core development machine before the catalogue (clean quarter)
RECORDED_BEFORE = {7: 0.227, 560: 0.401}


def scaled(ref: Reference, copies: int) -> Reference:
    """The reference with every unit copied `copies` times (unit names get a -NNN suffix)."""

    def grow(frame: pd.DataFrame) -> pd.DataFrame:
        parts = [frame.assign(unit=frame["unit"] + f"-{i:03d}") for i in range(copies)]
        return pd.concat(parts, ignore_index=True)

    return dataclasses.replace(
        ref, units=grow(ref.units), sub_kegiatan=grow(ref.sub_kegiatan), anggaran=grow(ref.anggaran)
    )


def quarter_frame(ref: Reference, bad_every: int = 0) -> pd.DataFrame:
    """Text frame as read_quarter gives it, one file per unit; every n-th row gets bad cells.

    Bad: 'abc' in money (an error before and after) and, five rows on, 'Rp 1.000.000' (an error
    before, read with a warning after).
    """
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
        frame.loc[frame.index[::bad_every], "realisasi_keuangan"] = "abc"
        frame.loc[frame.index[5::bad_every], "realisasi_keuangan"] = "Rp 1.000.000"
    return frame


def earlier_figures(ref: Reference) -> pd.DataFrame:
    """TW I as store.earlier_figures gives it: a third of TW I's allocation, fisik 40, keluaran 0."""
    plan = plan_for_quarter(ref, 1)
    money = (plan["target_keuangan"] // 3).astype("int64")
    return pd.DataFrame(
        {
            "unit": plan["unit"],
            "kode_sub_kegiatan": plan["kode_sub_kegiatan"],
            "realisasi_keuangan": money,
            "realisasi_keluaran": 0.0,
            "triwulan_sebelumnya": 1,
            "fisik_sebelumnya": 40.0,
            "keuangan_tw_lalu": money,
            "fisik_tw_lalu": 40.0,
            "keluaran_tw_lalu": 0.0,
        }
    )


def load_before(base: str, folder: Path) -> tuple[ModuleType, object] | None:
    """(validate module, suite) of revision `base`, importable beside the current code."""
    try:
        for source, name in (
            ("tasks/check/validate.py", "validate_before.py"),
            ("expectations/submission.json", "submission_before.json"),
        ):
            text = subprocess.run(
                ["git", "show", f"{base}:{source}"],
                cwd=ROOT,
                capture_output=True,
                check=True,
                text=True,
            ).stdout
            (folder / name).write_text(text, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(
            "validate_before", folder / "validate_before.py"
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
        return module, module.load_suite(folder / "submission_before.json")
    except Exception as exc:  # no git, or the old module no longer fits the code around it
        print(f"(before: revision {base} not loadable: {exc}; recorded figures used)")
        return None


def best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=BASE, help="git revision of 'before'")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    start = time.perf_counter()
    import great_expectations  # noqa: F401

    from triwulan.tasks.check import validate

    print(
        f"{'import great_expectations (once per process)':<44} {time.perf_counter() - start:6.3f} s"
    )
    ref = load_reference(PERIOD.tahun)
    sizes = {7: ref, 560: scaled(ref, 80)}
    with tempfile.TemporaryDirectory() as folder:
        before = load_before(args.base, Path(folder))
        print(f"{'':<28}{'before':>10}{'after':>10}{'ratio':>8}   problems before/after")
        for units, unit_ref in sizes.items():
            earlier = earlier_figures(unit_ref)
            for label, frame in (
                ("clean", quarter_frame(unit_ref)),
                ("10% bad cells", quarter_frame(unit_ref, bad_every=10)),
            ):
                suite = validate.load_suite()
                validate.validate_quarter(frame, unit_ref, PERIOD, suite, earlier)  # warm-up
                after, new = best(
                    lambda f=frame, r=unit_ref, s=suite, e=earlier: validate.validate_quarter(
                        f, r, PERIOD, s, e
                    ),
                    args.repeat,
                )
                if before is not None:
                    old_module, old_suite = before
                    old_module.validate_quarter(frame, unit_ref, PERIOD, old_suite, earlier)
                    was, old = best(
                        lambda f=frame, r=unit_ref, m=old_module, s=old_suite, e=earlier: (
                            m.validate_quarter(f, r, PERIOD, s, e)
                        ),
                        args.repeat,
                    )
                    counts = f"{len(old.problems)}/{len(new.problems)}"
                elif label == "clean":
                    was, counts = RECORDED_BEFORE[units], f"-/{len(new.problems)}"
                else:
                    continue
                name = f"{units} units ({label})"
                print(f"{name:<28}{was:>9.3f}s{after:>9.3f}s{after / was:>7.2f}×   {counts}")
                if units == 560 and label == "clean":
                    verdict = "within" if after / was <= BUDGET else "OVER"
                    print(
                        f"{'':<28}560-unit ratio {after / was:.2f}, {verdict} the {BUDGET}× budget"
                    )
        print(f"recorded before (dev machine, clean): 7 units {RECORDED_BEFORE[7]:.3f} s, "
              f"560 units {RECORDED_BEFORE[560]:.3f} s")  # fmt: skip


if __name__ == "__main__":
    main()
