"""How the reference workbook (`triwulan referensi`) grows with the number of units.

A kecamatan's workbook has 7 units and ~50 sub-kegiatan; a secretariat that keeps a whole
kota's or province's reference in one root would not, but the checks must stay linear anyway.
For N units (the sample multiplied as bench/scale.py does) it times: the floor (loading the
year folder as a run does: tasks.core.reference.load_reference), and each step of the
workbook path: templat (write_book), read_book, periksa (check_book: GX), and the staged load
of pasang. Prints seconds and ratios to the floor, per size, so a step that grows faster than
the data shows as a growing ratio.

    .venv/bin/python bench/reference_book.py --units 7 700 5957
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_data import TAHUN, write_reference  # noqa: E402
from scale_plan import clones  # noqa: E402


def _timed(step, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = step(*args)
    return value, time.perf_counter() - start


def measure(units: int, work: Path) -> dict[str, float]:
    from triwulan.tasks.check.reference_book import check_book
    from triwulan.tasks.core import reference
    from triwulan.tasks.core.reference_book import read_book, read_year_text, write_book
    from triwulan.tasks.core.reference_folder import discard, stage_year
    from triwulan.tasks.record.reference_install import _year_files

    root = work / f"ref-{units}"
    kelurahan = ["perwira", "harapan-jaya", "marga-mulya", "harapan-baru", "teluk-pucung",
                 "kaliabang-tengah"]  # fmt: skip
    write_reference(root, clones(kelurahan, units))
    os.environ["TRIWULAN_REFERENCE"] = str(root)
    folder = root / str(TAHUN)
    _, floor = _timed(reference.read_year_folder, TAHUN, root, folder)
    frames = read_year_text(folder)
    book = work / f"referensi-{units}.xlsx"
    _, write = _timed(write_book, frames, TAHUN, book)
    read, read_s = _timed(read_book, book)
    problems, check = _timed(check_book, read)
    assert problems.empty, problems.head().to_string()
    staged = stage_year(root, TAHUN + 1, _year_files(read))
    try:
        _, load = _timed(reference.read_year_folder, TAHUN, root, staged)
    finally:
        discard(staged)
    rows = sum(len(f) for f in frames.values())
    return {"units": units, "rows": rows, "floor": floor, "templat": write, "read": read_s,
            "periksa": check, "muat": load}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[7, 700, 5957])
    args = parser.parse_args()
    from triwulan.paths import PACKAGED_REFERENCE
    from triwulan.tasks.check.reference_book import check_book
    from triwulan.tasks.core.reference_book import read_book, read_year_text, write_book

    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.xlsx"  # GX's import and first context are paid once, here
        write_book(read_year_text(PACKAGED_REFERENCE / str(TAHUN)), TAHUN, warm)
        check_book(read_book(warm))
        results = [measure(n, Path(tmp)) for n in args.units]
    steps = ("templat", "read", "periksa", "muat")
    print(f"{'units':>6} {'rows':>7} {'floor s':>8} " + " ".join(f"{s + ' s':>10}" for s in steps)
          + " " + " ".join(f"{s + '/floor':>14}" for s in steps))  # fmt: skip
    for r in results:
        print(f"{r['units']:>6,} {r['rows']:>7,} {r['floor']:>8.2f} "
              + " ".join(f"{r[s]:>10.2f}" for s in steps) + " "
              + " ".join(f"{r[s] / r['floor']:>14.1f}" for s in steps))  # fmt: skip
    first, last = results[0], results[-1]
    growth = last["rows"] / first["rows"]
    print(f"\nrows grew {growth:,.0f}x from {first['units']} to {last['units']} units; time grew:")
    for s in ("floor", *steps):
        print(f"  {s:<8} {last[s] / first[s]:>8,.0f}x")


if __name__ == "__main__":
    main()
