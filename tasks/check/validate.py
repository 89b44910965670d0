"""Validate one quarter's submissions (all units at once) against the contract and reference data.

Rules are data (expectations/submission.json). The quarter's text frame is first turned into one
typed working frame in plain pandas (tasks.check.frame.prepare_frame). Every GX expectation is
then a column check on that frame, run once, in one batch, with one ephemeral context. The two
checks GX cannot state on that frame (missing columns, missing rows) run in pandas but are listed
in the same file and give the same problem records. A unit with any error is rejected as a whole;
the other units go on. Sum rows typed under the table (JUMLAH, TOTAL) are set aside with one
warning each.

What a run writes must not grow with the square of a file's rows: a message lists at most
`baris_per_masalah` rows or values (tasks/core/limits.py), and a row-level rule keeps at most that
many problems per unit, file and column, followed by one problem counting the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from triwulan.tasks.check.frame import (  # noqa: F401  (earlier_by_key: used via this module)
    earlier_by_key,
    prepare_frame,
)
from triwulan.tasks.check.layout import SUM_WORDS, sum_rows
from triwulan.tasks.check.problems import (  # noqa: F401  (public names used via this module)
    CHECKS,
    _problem,
    _Run,
    file_headers,
    listed,
    missing_columns,
    problems_from_results,
    row_list,
    row_ranges,
    run_expectations,
)
from triwulan.tasks.check.suite import (  # noqa: F401  (public names used via this module)
    ACCEPTED_COLUMNS,
    AMBANG,
    EARLIER_COLUMNS,
    EMPTY,
    PROBLEM_COLUMNS,
    SHOW_MAX,
    SUITE_PATH,
    Check,
    Rule,
    Suite,
    load_suite,
    show,
)
from triwulan.tasks.core.fmt import angka
from triwulan.tasks.core.limits import load_limits
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference, plan_for_quarter


@dataclass
class Validation:
    """Outcome of a quarter: every problem, the typed rows of accepted units, status per unit.

    `files[unit]` is the file name the unit sent (names joined by ", " when it sent several,
    which is itself an error).
    """

    problems: pd.DataFrame
    accepted: pd.DataFrame
    status: dict[str, str]
    files: dict[str, str]
    gx_result: Any = None  # GX's validation result, for the run's Data Docs


def _empty_validation() -> Validation:
    return Validation(
        problems=_problem_frame([]),
        accepted=pd.DataFrame(columns=ACCEPTED_COLUMNS),
        status={},
        files={},
    )


def _finish(
    problems: list[dict[str, Any]],
    lacking: set[tuple[str, str]],
    suite: Suite,
    ref: Reference,
    limit: int | None = None,
) -> pd.DataFrame:
    """Drop repeats and problems of missing columns, sort, bound, into a frame.

    A repeat (same unit, file, row, column, rule and message) says nothing new to the unit and
    would only lengthen its feedback mail. Row problems are bounded by bound_rows.
    """
    kept: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for p in problems:
        if "_missing_column" not in p and (p["file"], p["column"]) in lacking:
            continue  # the whole column is missing: one problem for it is enough
        key = (p["unit"], p["file"], p["row"], p["column"], p["rule"], p["message"])
        if key in seen:
            if p.get("_more"):
                seen[key]["_more"] = [*seen[key].get("_more", []), *p["_more"]]
            continue
        seen[key] = p
        kept.append(p)
    unit_order = {u: i for i, u in enumerate(ref.units["unit"])}
    rule_order = suite.rule_order
    kept.sort(
        key=lambda p: (
            unit_order.get(p["unit"], len(unit_order))
            if p["unit"] is not None
            else len(unit_order) + 1,
            p["file"] or "",
            -1 if p["row"] is None else p["row"],
            rule_order.get(p["rule"], len(rule_order)),
            p["column"] or "",
        )
    )
    kept = bound_rows(kept, limit or load_limits().baris_per_masalah)
    return _problem_frame([[p[c] for c in PROBLEM_COLUMNS] for p in kept])


def bound_rows(problems: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """At most `limit` row problems per unit, file, rule and column, then one counting the rest.

    The rest ('… dan 4.980 baris lain dengan masalah yang sama (baris 23–5002)') follows the
    last row problem kept, so in a unit's mail it reads as the continuation of that line. Problems
    without a row are bounded by the reference and the file limits, and all kept.
    """
    shown: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    rest: dict[tuple[Any, ...], set[int]] = {}
    out = []
    for p in problems:
        if p["row"] is None:
            out.append(p)
            continue
        key = (p["unit"], p["file"], p["rule"], p["column"])
        group = shown.setdefault(key, [])
        more = rest.setdefault(key, set())
        more.update(p.get("_more", ()))
        if len(group) < limit:
            group.append(p)
            out.append(p)
        else:
            more.add(int(p["row"]))
    after: dict[int, dict[str, Any]] = {}
    for key, more in rest.items():
        more -= {int(p["row"]) for p in shown[key]}
        if more:
            last = shown[key][-1]
            rows = sorted(more)
            after[id(last)] = {
                **{c: last[c] for c in ("unit", "file", "column", "rule", "severity")},
                "row": None,
                "message": f"… dan {angka(len(rows))} baris lain dengan masalah yang sama "
                f"(baris {row_ranges(rows)}).",
            }
    return [q for p in out for q in ((p, after[id(p)]) if id(p) in after else (p,))]


def _problem_frame(rows: list[list[Any]]) -> pd.DataFrame:
    """Object columns, so an absent unit/row/column stays None (not NaN) for the reader."""
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS, dtype=object)


def validate_quarter(
    raw: pd.DataFrame,
    ref: Reference,
    period: Period,
    suite: Suite | None = None,
    earlier: pd.DataFrame | None = None,
) -> Validation:
    """Check every unit's submission of one quarter in one pass; reject units with an error.

    `raw` is read_quarter's frame (text cells, `_file`, `_row`, `_kolom`). Rows whose unit cell is
    unknown belong to their file's majority unit; a file with no known unit is reported under unit
    None. `earlier` is the stored accepted realisation of the earlier quarters of the year:
    tasks.record.store.earlier_figures (every quarter-to-quarter rule) or, from older callers, only
    (unit, kode_sub_kegiatan, realisasi_keuangan) (then only spending to date against pagu);
    None or empty means nothing earlier.
    """
    if ref.tahun != period.tahun:
        raise ValueError(
            f"Data referensi tahun {ref.tahun} tidak cocok dengan periode {period.label}."
        )
    suite = suite or load_suite()
    raw = raw.reset_index(drop=True)
    if raw.empty:
        return _empty_validation()
    sums = None
    spec = next((c for c in suite.checks if c.check == "sum_rows"), None)
    if spec is not None:  # the suite asks for sum rows to be recognised: set them aside
        found = sum_rows(raw, spec.kwargs.get("kata", SUM_WORDS))
        sums = raw[found.notna()].assign(_jumlah=found[found.notna()])
        raw = raw[found.isna()].reset_index(drop=True)
    plan = plan_for_quarter(ref, period.triwulan)
    limit = load_limits().baris_per_masalah
    work = prepare_frame(raw, ref, period, plan, earlier, limit, suite.ambang)
    run = _Run(
        raw=raw,
        work=work,
        ref=ref,
        period=period,
        plan=plan,
        judul=dict(zip(ref.kolom["kolom"], ref.kolom["judul"], strict=True)),
        limit=limit,
        sums=sums,
        ambang=suite.ambang,
    )

    found: list[dict[str, Any]] = []
    lacking: set[tuple[str, str]] = set()
    for check in suite.checks:
        results = CHECKS[check.check](run, check.kwargs, check.rule)
        lacking |= {(p["file"], p["column"]) for p in results if "_missing_column" in p}
        found += results
    gx_result = None
    if suite.expectations:
        gx_result = run_expectations(work, suite)
        found += problems_from_results(list(gx_result.results), run)
    problems = _finish(found, lacking, suite, ref, limit)

    unit_order = {u: i for i, u in enumerate(ref.units["unit"])}
    units = sorted(set(work["unit"].dropna()), key=lambda u: unit_order.get(u, len(unit_order)))
    rejected = set(problems.loc[problems["severity"] == "error", "unit"].dropna())
    status = {u: "rejected" if u in rejected else "accepted" for u in units}
    first = work.dropna(subset=["unit"]).drop_duplicates("unit").set_index("unit")
    files = {u: str(first.at[u, "daftar_berkas_unit"]) for u in units}

    ok = [u for u in units if status[u] == "accepted"]
    accepted = work[work["unit"].isin(ok)].copy()
    accepted["_o"] = accepted["unit"].map(unit_order)
    accepted = accepted.sort_values(["_o", "_file", "_row"])[ACCEPTED_COLUMNS].reset_index(
        drop=True
    )
    if not accepted["realisasi_keuangan"].isna().any():
        accepted["realisasi_keuangan"] = accepted["realisasi_keuangan"].astype("int64")
    accepted["unit"] = accepted["unit"].astype(str)
    return Validation(
        problems=problems, accepted=accepted, status=status, files=files, gx_result=gx_result
    )
