"""One bad file must never stop a quarter: what a run writes stays bounded, whatever the rows.

Before: every duplicate row's message listed every row of its group, so 2.000 rows gave an
8 MB leadership mail and 8.000 rows a 96 MB summary.json. Now a rule keeps at most
baris_per_masalah (N) row problems per unit, file and column plus one counting the rest, and a
mail or report lists a bounded number of problems. The heavy run happens in a child process under
an address-space limit, so a regression fails the test instead of exhausting the machine.

Run as a script (`python test_bounded_problems.py ROWS OUT`) it is that child: it prints the
measured sizes as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__":  # the child: importable like under pytest
    sys.path.insert(0, str(ROOT))

from tests.tasks.check.test_validate import KEC_CODE, PERIOD, frame, unit_rows  # noqa: E402
from triwulan.tasks.core.limits import ENV_PREFIX, load_limits  # noqa: E402
from triwulan.tasks.core.reference import Reference, load_reference, plan_for_quarter  # noqa: E402

ROWS = 5_000  # baris_maks: the most rows one file may have
MAIL_MAX = 2 << 20  # bytes of one archived mail (.eml), attachments included
ADDRESS_SPACE = 3 << 30  # the child's RLIMIT_AS
LIMIT_ENV = ENV_PREFIX + "BARIS_PER_MASALAH"


# ------------------------------------------------------------------ the hostile quarter


def hostile_rows(plan: pd.DataFrame, unit: str, file: str, n: int) -> list[dict[str, object]]:
    """n rows of one file: every code repeated, and per row one more fault.

    Duplicated codes, negative and non-integer money, fisik out of range, distinct unknown unit
    names, a code of another unit, empty inputs, and money spent with fisik 0 (a warning).
    """
    base = unit_rows(plan, unit, file)
    rows = []
    for i in range(n):
        row = dict(base[i % len(base)], _row=i + 2)
        fault = i % 6
        if fault == 0:
            row["realisasi_keuangan"] = f"-{i + 1}"
        elif fault == 1:
            row["realisasi_keuangan"] = f"lima juta {i}"
        elif fault == 2:
            row["realisasi_fisik"] = str(101 + i)
        elif fault == 3:
            row["unit"] = f"unit-{i}"
        elif fault == 4:
            row["kode_sub_kegiatan"] = KEC_CODE
        else:
            row["realisasi_fisik"] = "0"
        if i % 7 == 0:
            row["realisasi_keluaran"] = ""
        rows.append(row)
    return rows


def hostile_quarter(ref: Reference, n: int) -> pd.DataFrame:
    """Two units with n-row files, an n-row file of no known unit, every other unit clean."""
    plan = plan_for_quarter(ref, PERIOD.triwulan)
    rows = hostile_rows(plan, "perwira", "perwira.xlsx", n)
    rows += hostile_rows(plan, "harapan-jaya", "harapan-jaya.csv", n)
    orphan = hostile_rows(plan, "marga-mulya", "tanpa-unit.csv", n)
    for i, row in enumerate(orphan):
        row["unit"] = f"xyz-{i}"
    rows += orphan
    for unit in ref.units["unit"]:
        if unit not in ("perwira", "harapan-jaya"):
            rows += unit_rows(plan, unit, f"{unit}.xlsx")
    return frame(rows)


def run_quarter(n: int, out: Path) -> dict[str, object]:
    """Validate, summarise, write the reports and archive the mails as the flow does; measure."""
    import resource

    from triwulan.tasks.check.validate import validate_quarter
    from triwulan.tasks.measure import compute
    from triwulan.tasks.measure.summary import build_summary, write_summary
    from triwulan.tasks.publish.rekap import write_rekap_xlsx
    from triwulan.tasks.publish.report_full import render_full_report
    from triwulan.tasks.send.deliver import deliver
    from triwulan.tasks.send.mails import leadership_mail, unit_feedback_mails

    ref = load_reference(PERIOD.tahun)
    raw = hostile_quarter(ref, n)
    start = time.perf_counter()
    validation = validate_quarter(raw, ref, PERIOD)
    seconds = time.perf_counter() - start
    accepted = [u for u, state in validation.status.items() if state == "accepted"]
    names = dict(zip(ref.units["unit"], ref.units["nama"], strict=True))
    detail = compute.quarter_detail(
        plan_for_quarter(ref, PERIOD.triwulan),
        validation.accepted.assign(triwulan=PERIOD.triwulan),
        accepted,
        PERIOD.triwulan,
        names,
        ref.predikat,
    )
    levels = {level: compute.aggregate(detail, level, ref.predikat) for level in compute.LEVEL_KEYS}
    summary = build_summary(
        ref, PERIOD, 1, validation.status, validation.files, validation.problems, [], detail
    )
    out.mkdir(parents=True, exist_ok=True)
    summary_path = write_summary(out, summary)
    laporan = out / "laporan.html"
    laporan.write_text(render_full_report(summary, detail, levels), encoding="utf-8")
    rekap = out / "rekap.xlsx"
    write_rekap_xlsx(rekap, summary, detail, levels)
    mails = [
        leadership_mail(ref, PERIOD, summary, [laporan, rekap], detail),
        *unit_feedback_mails(ref, PERIOD, summary, {}),
    ]
    results = deliver(mails, out / "outbox", None, ledger=out / "terkirim.json")
    problems = validation.problems.fillna("-")  # unit None: the file of no known unit
    per_column = problems.groupby(["unit", "file", "rule", "column"]).size()
    per_rule = problems.groupby(["unit", "file", "rule"]).size()
    return {
        "rows": n,
        "problems": len(problems),
        "per_file_rule_column": int(per_column.max()),
        "per_file_rule": {"|".join(k): int(v) for k, v in per_rule.items()},
        "message_max": int(problems["message"].str.len().max()),
        "status": validation.status,
        "summary_json": summary_path.stat().st_size,
        "laporan_html": laporan.stat().st_size,
        "rekap_xlsx": rekap.stat().st_size,
        "mails": {r.key.rsplit("/", 1)[0]: r.eml.stat().st_size for r in results},
        "validate_seconds": round(seconds, 1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10,
    }


def _child(rows: int, out: Path) -> dict[str, object]:
    """run_quarter in a fresh interpreter limited to ADDRESS_SPACE bytes of memory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    env |= {"PYTHONPATH": str(ROOT), "GX_ANALYTICS_ENABLED": "false"}
    done = subprocess.run(
        [sys.executable, __file__, str(rows), str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ tests


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, object]]:
    """The same hostile quarter at 1.000 and at 5.000 rows per file."""
    base = tmp_path_factory.mktemp("bounded")
    return {rows: _child(rows, base / str(rows)) for rows in (1_000, ROWS)}


def test_problems_per_rule_file_and_column_are_bounded(measured: dict) -> None:
    n = load_limits({}).baris_per_masalah
    big = measured[ROWS]
    assert big["status"]["perwira"] == "rejected" and big["status"]["kecamatan"] == "accepted"
    assert big["per_file_rule_column"] <= n + 1
    # a rule on one column: N + 1; isian_wajib checks three columns, so 3 * (N + 1)
    for key, count in big["per_file_rule"].items():
        assert count <= (3 if key.endswith("|isian_wajib") else 1) * (n + 1), key
    assert big["message_max"] < 2_000


def test_output_does_not_grow_with_rows(measured: dict) -> None:
    small, big = measured[1_000], measured[ROWS]
    assert big["problems"] == small["problems"]
    for key in ("summary_json", "laporan_html"):
        assert big[key] < small[key] * 1.05 + 1_000, key  # only longer row numbers
    assert big["summary_json"] < 512 << 10
    assert big["laporan_html"] < 1 << 20


def test_every_mail_stays_under_2_mb(measured: dict) -> None:
    big = measured[ROWS]
    assert {"2024-TW2/pimpinan", "2024-TW2/unit/perwira"} <= set(big["mails"])
    assert "2024-TW2/unit/harapan-jaya" in big["mails"]
    for key, size in big["mails"].items():
        assert size < MAIL_MAX, (key, size)


def test_duplicates_and_the_rest_are_counted_not_listed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With N = 3: three row problems per rule, then one line counting the other rows."""
    from triwulan.tasks.check.validate import validate_quarter

    monkeypatch.setenv(LIMIT_ENV, "3")
    ref = load_reference(PERIOD.tahun)
    plan = plan_for_quarter(ref, PERIOD.triwulan)
    rows = unit_rows(plan, "perwira", "p.xlsx")
    width = len(rows)
    rows = [dict(rows[i % width], _row=i + 2, realisasi_keuangan="-7") for i in range(40)]
    for i, row in enumerate(rows[:10]):
        row["unit"] = f"asing-{i}"
    problems = validate_quarter(frame(rows), ref, PERIOD).problems
    records = problems.to_dict("records")

    negative = [p for p in records if p["rule"] == "realisasi_keuangan_negatif"]
    assert [p["row"] for p in negative] == [2, 3, 4, None]
    rest = negative[-1]
    assert rest["message"] == ("… dan 37 baris lain dengan masalah yang sama (baris 5–41).")
    assert (rest["unit"], rest["file"], rest["column"], rest["severity"]) == (
        "perwira",
        "p.xlsx",
        "realisasi_keuangan",
        "error",
    )
    # the counting line follows the last row problem it continues
    before = records[records.index(rest) - 1]
    assert (before["row"], before["rule"]) == (4, "realisasi_keuangan_negatif")

    duplicate = [p for p in records if p["rule"] == "sub_kegiatan_ganda"]
    assert len(duplicate) == 4 and duplicate[-1]["row"] is None
    per_code = 40 // width
    assert (
        f"(baris 2, {2 + width}, {2 + 2 * width} dan {per_code - 3} baris lain)"
        in (duplicate[0]["message"])
    )

    unknown = [p for p in records if p["rule"] == "unit_dikenal"]
    assert len(unknown) == 1
    assert unknown[0]["message"].startswith(
        "Unit 'asing-0', 'asing-1', 'asing-2' dan 7 lainnya tidak dikenal di 10 baris (baris 2–11)."
    )


def test_long_cell_text_is_shortened_in_messages() -> None:
    from triwulan.tasks.check.validate import SHOW_MAX, show

    text = show("x" * 1_000_000)
    assert len(text) == SHOW_MAX + 2 and text.endswith("…'")
    assert show("pendek") == "'pendek'"


if __name__ == "__main__":
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    result = run_quarter(int(sys.argv[1]), Path(sys.argv[2]))
    print(json.dumps(result, default=str))
