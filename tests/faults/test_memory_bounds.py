"""Hostile files are read under a hard memory cap, so a regression fails the test, not the machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.faults import hostile
from triwulan.tasks.core.parse import parse_int, parse_number

CAP_MIB = 1536
READ = """
import json, resource, sys
from pathlib import Path
cap = {cap} << 20
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from triwulan.tasks.collect.ingest import read_quarter
paths = [Path(p) for p in sys.argv[1:]]
frame, problems = read_quarter(paths)
# VmHWM belongs to this process's own memory map, made new at exec; ru_maxrss can carry the
# RSS of the process that forked us (a pytest that has imported Prefect), which is not ours.
status = Path("/proc/self/status")
hwm = [l for l in status.read_text().splitlines() if l.startswith("VmHWM:")] if status.exists() else []
peak = int(hwm[0].split()[1]) // 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({{"rows": len(frame), "problems": {{p.file: p.message for p in problems}},
                  "peak_mib": peak}}))
"""


def read_capped(paths: list[Path], env: dict[str, str] | None = None) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", READ.format(cap=CAP_MIB), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_zip_bomb_far_cell_and_huge_csv_stay_under_the_cap(tmp_path: Path) -> None:
    hostile.zip_bomb(tmp_path / "bom.xlsx", unpacked_mb=2000)  # 2 GB of sheet, ~2 MB packed
    hostile.far_cell(tmp_path / "jauh.xlsx")
    (tmp_path / "panjang.csv").write_text("unit,pagu\nperwira," + "9" * 100_000 + "\n")
    out = read_capped([tmp_path / "bom.xlsx", tmp_path / "jauh.xlsx", tmp_path / "panjang.csv"])
    assert set(out["problems"]) == {"bom.xlsx", "jauh.xlsx"}
    assert out["rows"] == 1  # the CSV is read; its number is judged (and refused) by validation
    assert out["peak_mib"] < 400


def test_a_reader_crash_costs_one_file_not_the_process(tmp_path: Path) -> None:
    """With the extent checks opened wide, calamine itself meets the far cell: in its capped
    child process it aborts, and the parent reports that file and reads the next one."""
    hostile.far_cell(tmp_path / "jauh.xlsx")
    good = tmp_path / "baik.xlsx"
    hostile.far_cell(good, ref="C3")
    env = {"TRIWULAN_BATAS_BARIS_MAKS": "2000000", "TRIWULAN_BATAS_KOLOM_MAKS": "20000"}
    out = read_capped([tmp_path / "jauh.xlsx", good], env)
    assert "pembaca Excel berhenti" in out["problems"]["jauh.xlsx"]
    assert "baik.xlsx" not in out["problems"] and out["rows"] == 1  # read after the crash


def test_numbers_past_the_digit_limit_are_refused_at_once() -> None:
    for text in ("9" * 5000, "-" + "9" * 50_000, "1" * 4301 + ",5"):
        assert parse_int(text) is None
        assert parse_number(text) is None
    assert parse_int("9" * 18) == 999_999_999_999_999_999
