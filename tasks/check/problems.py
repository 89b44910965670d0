"""Problem records from a validation: the pandas checks, GX's results, bounded row lists.

Every problem is {unit, file, row, column, rule, severity, message} in Indonesian, worded by
the rule's `meta` in the suite.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from triwulan.tasks.check.layout import suggest_columns
from triwulan.tasks.check.suite import AMBANG, CHECK_NAMES, INDEX_COLUMNS, Rule, Suite, show
from triwulan.tasks.collect.ingest import HEADER_SEP
from triwulan.tasks.core.fmt import angka
from triwulan.tasks.core.limits import load_limits
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference

# ---------------------------------------------------------------- problems


@dataclass
class _Run:
    """What checks and message rendering need about one run."""

    raw: pd.DataFrame
    work: pd.DataFrame
    ref: Reference
    period: Period
    plan: pd.DataFrame
    judul: dict[str, str] = field(default_factory=dict)
    limit: int = field(default_factory=lambda: load_limits().baris_per_masalah)
    sums: pd.DataFrame | None = None  # sum rows set aside (their raw cells and `_jumlah`)
    ambang: Mapping[str, float] = field(default_factory=lambda: dict(AMBANG))


def _problem(
    rule: Rule,
    run: _Run,
    *,
    unit: str | None,
    file: str | None,
    row: int | None,
    column: str | None,
    value: str = "",
    expected: str = "",
    rows: list[int] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    rows = rows or ([] if row is None else [row])
    fields = {
        "value": value,
        "expected": expected,
        "column": column or "",
        "judul": run.judul.get(column or "", column or ""),
        "row": "-" if row is None else row,
        "file": file or "-",
        "unit": run.ref.unit_name(unit) if unit else "(tidak dikenal)",  # a name, never a code
        "tw": run.period.roman,
        "jumlah": angka(len(rows)),
        "baris": row_ranges(rows),
        **{f"ambang_{name}": show(value, "angka") for name, value in run.ambang.items()},
        **(extra or {}),
    }
    return {
        "unit": unit,
        "file": file,
        "row": row,
        "column": column,
        "rule": rule.rule,
        "severity": rule.severity,
        "message": rule.message.format_map(fields),
    }


def listed(items: Iterable[str], limit: int, noun: str = "lainnya") -> str:
    """'a, b, c' or, past `limit` items, 'a, b dan 1.230 <noun>': a message stays short."""
    items = list(items)
    shown = ", ".join(items[:limit])
    rest = len(items) - limit
    return f"{shown} dan {angka(rest)} {noun}" if rest > 0 else shown


def row_list(rows: Iterable[int], limit: int) -> str:
    """'4, 5' or '2, 6, 10 dan 1.230 baris lain': the rows of a group, bounded."""
    return listed((str(r) for r in rows), limit, "baris lain")


def row_ranges(rows: Iterable[int], limit: int = 8) -> str:
    """'2–5, 9' for rows 2, 3, 4, 5, 9: short enough for a message even for a whole file."""
    spans: list[list[int]] = []
    for r in sorted(set(rows)):
        if spans and r == spans[-1][1] + 1:
            spans[-1][1] = r
        else:
            spans.append([r, r])
    parts = [str(a) if a == b else f"{a}–{b}" for a, b in spans]
    return ", ".join(parts[:limit]) + (", …" if len(parts) > limit else "") if parts else "-"


def _resolve(spec: str | None, record: Mapping[str, Any]) -> str:
    """Display value of a meta.value/meta.expected spec ('column|format') for one frame row."""
    if not spec:
        return ""
    column, _, fmt = spec.partition("|")
    if column not in record:
        raise ValueError(f"Aturan validasi merujuk kolom '{column}' yang tidak ada di frame kerja.")
    return show(record[column], fmt or "teks")


def file_headers(raw: pd.DataFrame) -> dict[str, set[str]]:
    """File -> the columns its own header had.

    From `_kolom` (set by tasks.collect.ingest per file); a frame without it (built by hand) counts every
    column of the frame as present in every file.
    """
    frame_columns = {str(c) for c in raw.columns if not str(c).startswith("_")}
    if "_kolom" not in raw.columns:
        return {str(f): frame_columns for f in dict.fromkeys(raw["_file"])}
    firsts = raw.drop_duplicates("_file")
    return {
        str(f): set(str(k).split(HEADER_SEP)) if isinstance(k, str) and k else frame_columns
        for f, k in zip(firsts["_file"], firsts["_kolom"], strict=True)
    }


def missing_columns(
    raw: pd.DataFrame, columns: Iterable[str], optional: Iterable[str] = ()
) -> dict[str, list[str]]:
    """File -> required contract columns it lacks, in contract order.

    Lacking means absent from the file's own header (not from the quarter's frame: read_quarter
    fills a column of another file with "") or empty in every row of the file. Optional columns
    may be absent or empty.
    """
    optional = set(optional)
    required = [c for c in columns if c not in optional]
    headers = file_headers(raw)
    checked = [c for c in required if c in raw.columns]
    empty = pd.DataFrame(
        {c: raw[c].fillna("").astype(str).str.strip().eq("").to_numpy() for c in checked},
        index=raw.index,
    )
    empty["_file"] = raw["_file"].astype(str).to_numpy()
    all_empty = empty.groupby("_file", sort=False).all().to_dict("index")
    out: dict[str, list[str]] = {}
    for name, header in headers.items():
        flags = all_empty.get(name, {})
        lacking = [c for c in required if c not in header or flags.get(c, False)]
        if lacking:
            out[name] = lacking
    return out


def _check_missing_columns(
    run: _Run, kwargs: Mapping[str, Any], rule: Rule
) -> list[dict[str, Any]]:
    """One problem per file and lacking column; a mistyped header is named ({mirip})."""
    owners = run.work.drop_duplicates("_file").set_index("_file")["unit"]
    lacking = missing_columns(run.raw, run.ref.kolom["kolom"], kwargs.get("opsional", ()))
    headers = file_headers(run.raw)
    out = []
    for f, cols in lacking.items():
        absent = [c for c in cols if c not in headers.get(f, set())]
        meant = suggest_columns(absent, sorted(headers.get(f, set())), run.judul)
        for c in cols:
            mirip = (
                f" Mungkin maksudnya kolom '{meant[c]}'? Ubah judul kolom itu menjadi {c}."
                if c in meant
                else ""
            )
            where = {"unit": owners.get(f), "file": f, "row": None, "column": c}
            problem = _problem(rule, run, **where, value=c, extra={"mirip": mirip})
            out.append({**problem, "_missing_column": True})
    return out


def _check_sum_rows(run: _Run, kwargs: Mapping[str, Any], rule: Rule) -> list[dict[str, Any]]:
    """One problem per sum row set aside by validate_quarter (see tasks.check.layout.sum_rows)."""
    if run.sums is None or run.sums.empty:
        return []
    owners = run.work.drop_duplicates("_file").set_index("_file")["unit"]
    return [
        _problem(
            rule,
            run,
            unit=owners.get(f),
            file=f,
            row=int(r),
            column=rule.column,
            value=show(text),
        )
        for f, r, text in zip(run.sums["_file"], run.sums["_row"], run.sums["_jumlah"], strict=True)
    ]


def _check_missing_rows(run: _Run, kwargs: Mapping[str, Any], rule: Rule) -> list[dict[str, Any]]:
    """Reference rows of a unit that sent something but are absent from everything it sent."""
    work = run.work.dropna(subset=["unit"])
    present = work[["unit", "kode_sub_kegiatan"]].drop_duplicates()
    expected = run.plan.loc[
        run.plan["unit"].isin(present["unit"]), ["unit", "kode_sub_kegiatan", "nama_sub_kegiatan"]
    ]
    merged = expected.merge(present, on=["unit", "kode_sub_kegiatan"], how="left", indicator=True)
    missing = merged[merged["_merge"] == "left_only"]
    files = work.drop_duplicates("unit").set_index("unit")["daftar_berkas_unit"]
    return [
        _problem(
            rule,
            run,
            unit=str(unit),
            file=files[unit],
            row=None,
            column=rule.column or "kode_sub_kegiatan",
            value=code,
            expected=name,
        )
        for unit, code, name in zip(
            missing["unit"], missing["kode_sub_kegiatan"], missing["nama_sub_kegiatan"], strict=True
        )
    ]


CHECKS: dict[str, Callable[[_Run, Mapping[str, Any], Rule], list[dict[str, Any]]]] = dict(
    zip(CHECK_NAMES, (_check_missing_columns, _check_missing_rows, _check_sum_rows), strict=True)
)


def _raised(info: Mapping[str, Any] | None) -> str | None:
    """The exception message when GX caught one (flat or keyed by metric), else None."""
    if not info:
        return None
    if "raised_exception" in info:
        return str(info.get("exception_message")) if info["raised_exception"] else None
    for sub in info.values():
        if isinstance(sub, Mapping) and sub.get("raised_exception"):
            return str(sub.get("exception_message"))
    return None


def problems_from_results(results: Iterable[Any], run: _Run) -> list[dict[str, Any]]:
    """Problem records from GX results, matched to rules by the meta each result carries.

    GX does not return results in suite order; meta travels with expectation_config, so the
    order does not matter. Failing rows are found by `_idx` in unexpected_index_list.
    """
    out = []
    results = list(results)
    failing_idx = sorted(
        {
            int(item["_idx"])
            for result in results
            if not result.success
            for item in (result.result.get("unexpected_index_list") or [])
        }
    )  # only the failing rows become records: the frame is wide and mostly fine
    records = dict(zip(failing_idx, run.work.iloc[failing_idx].to_dict("records"), strict=True))
    for result in results:
        config = result.expectation_config
        error = _raised(result.exception_info)
        if error:
            raise RuntimeError(f"Great Expectations gagal menjalankan {config.type}: {error}")
        if result.success:
            continue
        rule = Rule.from_meta(config.meta)
        failing = result.result.get("unexpected_index_list") or []
        if not failing:  # e.g. a table-level expectation: no rows to name, still a problem
            out.append(_problem(rule, run, unit=None, file=None, row=None, column=rule.column))
        groups = _groups([records[int(item["_idx"])] for item in failing], rule.level)
        for group, more in _bounded(groups, rule.level, run.limit):
            first = group[0]
            rows = [int(r["_row"]) for r in group]
            per_unit = rule.level == "unit" and first["unit"] is not None
            out.append(
                _problem(
                    rule,
                    run,
                    unit=first["unit"],
                    file=first["daftar_berkas_unit"] if per_unit else first["_file"],
                    row=None if rule.level in ("file", "unit") else rows[0],
                    column=rule.column,
                    value=listed(dict.fromkeys(_resolve(rule.value, r) for r in group), run.limit),
                    expected=_resolve(rule.expected, first),
                    rows=rows,
                    extra={name: _resolve(spec, first) for name, spec in rule.fields},
                )
            )
            if more:
                out[-1]["_more"] = more
    return out


def _bounded(
    groups: list[list[dict[str, Any]]], level: str, limit: int
) -> list[tuple[list[dict[str, Any]], list[int]]]:
    """(group, rows left out) to report: for a row rule the first `limit` rows per unit and file.

    The rows left out ride on the last kept group, so _finish can count them without a problem
    (and its message) being built for each.
    """
    if level != "row":
        return [(g, []) for g in groups]
    per_file: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for (r,) in groups:
        per_file.setdefault((r["unit"], r["_file"]), []).append(r)
    out: list[tuple[list[dict[str, Any]], list[int]]] = []
    for rows in per_file.values():
        rows.sort(key=lambda r: int(r["_row"]))
        out += [([r], []) for r in rows[:limit]]
        if len(rows) > limit:
            out[-1] = (out[-1][0], [int(r["_row"]) for r in rows[limit:]])
    return out


def _groups(records: list[dict[str, Any]], level: str) -> list[list[dict[str, Any]]]:
    """Failing rows grouped as the rule's level reports them, each group in row order."""
    if level == "row":
        return [[r] for r in records]
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in records:
        key = (r["unit"],) if level == "unit" and r["unit"] is not None else (r["unit"], r["_file"])
        groups.setdefault(key, []).append(r)
    return [sorted(g, key=lambda r: (r["_file"], int(r["_row"]))) for g in groups.values()]


def run_expectations(work: pd.DataFrame, suite: Suite) -> Any:
    """All GX expectations of the suite on the whole quarter frame: one context, one batch.

    Returns GX's ExpectationSuiteValidationResult (its `.results`, and Data Docs from it).
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )
    from great_expectations.expectations.metadata_types import FailureSeverity

    import triwulan.tasks.check.gx_custom  # noqa: F401  (registers the custom expectation types)

    # GX announces its temporary docs folder at INFO on every run: noise for the secretariat
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    expectations = [
        ExpectationConfiguration(
            type=e["type"],
            kwargs=e["kwargs"],
            meta=e["meta"],
            severity=FailureSeverity.CRITICAL
            if e["meta"]["severity"] == "error"
            else FailureSeverity.WARNING,
        ).to_domain_obj()
        for e in suite.expectations
    ]
    gx_suite = gx.ExpectationSuite(name=suite.name, expectations=expectations)
    if len(gx_suite.expectations) != len(expectations):
        raise ValueError(f"Suite {suite.name}: sebagian expectation ditolak Great Expectations.")
    batch = (
        context.data_sources.add_pandas("pengajuan")
        .add_dataframe_asset("triwulan")
        .add_batch_definition_whole_dataframe("semua")
        .get_batch(batch_parameters={"dataframe": work})
    )
    result = batch.validate(
        gx_suite,
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": INDEX_COLUMNS,
            # a pandas query text naming every failing row: long, and nobody runs it
            "return_unexpected_index_query": False,
        },
    )
    return result
