"""Validate one quarter's submissions (all units at once) against the contract and reference data.

Rules are data (expectations/submission.json). The quarter's text frame is first turned into one
typed working frame in plain pandas (`prepare_frame`): parse flags, reference values joined per
row, file-level facts as columns. Every GX expectation is then a column check on that frame, run
once, in one batch, with one ephemeral context. The two checks GX cannot state on that frame
(missing columns, missing rows) run in pandas but are listed in the same file and give the same
problem records. A unit with any error is rejected as a whole; the other units go on.

What a run writes must not grow with the square of a file's rows: a message lists at most
`baris_per_masalah` rows or values (tasks/limits.py), and a row-level rule keeps at most that
many problems per unit, file and column, followed by one problem counting the rest.
"""

from __future__ import annotations

import json
import logging
import math
import numbers
import os
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.paths import EXPECTATIONS_DIR
from triwulan.tasks.fmt import angka, rupiah
from triwulan.tasks.ingest import HEADER_SEP
from triwulan.tasks.limits import load_limits
from triwulan.tasks.parse import parse_int, parse_number
from triwulan.tasks.period import Period
from triwulan.tasks.reference import Reference, plan_for_quarter

SUITE_PATH = EXPECTATIONS_DIR / "submission.json"
PROBLEM_COLUMNS = ["unit", "file", "row", "column", "rule", "severity", "message"]
ACCEPTED_COLUMNS = [
    "unit",
    "kode_sub_kegiatan",
    "realisasi_keuangan",
    "realisasi_fisik",
    "realisasi_keluaran",
    "kendala",
    "tindak_lanjut",
    "_file",
    "_row",
]
SEVERITIES = ("error", "warning")
# row: one problem per failing row (at most baris_per_masalah per file, see _bound_rows);
# file_rows: one per file (first row, {jumlah} rows); file: one per unit and file, no row;
# unit: one per unit, naming all its files.
LEVELS = ("row", "file_rows", "file", "unit")
FORMATS = ("teks", "polos", "rupiah", "angka")
PLACEHOLDERS = frozenset(
    {"value", "expected", "column", "judul", "row", "file", "unit", "tw", "jumlah", "baris"}
)
INDEX_COLUMNS = ["_idx", "_file", "_row"]  # _idx = position in the working frame
EMPTY = "(kosong)"
SHOW_MAX = 120  # characters of one cell's text in a message (a CSV cell can be megabytes)

# Input columns: raw text kept as <col>_teks, parse flag as <col>_ok, typed value as <col>.
_INPUTS: dict[str, str] = {
    "realisasi_keuangan": "Int64",
    "realisasi_fisik": "float64",
    "realisasi_keluaran": "float64",
}
EARLIER_COLUMNS = ["unit", "kode_sub_kegiatan", "realisasi_keuangan"]


# ---------------------------------------------------------------- display (pure)


def show(value: Any, fmt: str = "teks") -> str:
    """A cell value as a message shows it: text quoted, money as 'Rp 1.000', empty as '(kosong)'."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return EMPTY
    if isinstance(value, str):
        if not value:
            return EMPTY
        if len(value) > SHOW_MAX:
            value = value[: SHOW_MAX - 1] + "…"
        return value if fmt == "polos" else f"'{value}'"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, numbers.Number):
        number = float(value)  # type: ignore[arg-type]
        if fmt == "rupiah" and number.is_integer():
            return rupiah(int(value))  # type: ignore[call-overload]
        if number.is_integer():
            return str(int(number))
        return f"{number:.6f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


# ---------------------------------------------------------------- suite (data)


@dataclass(frozen=True)
class Rule:
    """How one rule reports: what its meta in the suite file says."""

    rule: str
    severity: str
    message: str
    column: str | None = None
    value: str | None = None  # "<working-frame column>|<format>"
    expected: str | None = None
    level: str = "row"
    fields: tuple[tuple[str, str], ...] = ()  # more placeholders: (name, "<column>|<format>")

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any], where: str = "") -> Rule:
        """Read and check meta; a broken suite entry must fail loudly, not skip a rule."""
        fields = meta.get("fields") or {}
        rule = cls(
            rule=str(meta.get("rule") or ""),
            severity=str(meta.get("severity") or ""),
            message=str(meta.get("message") or ""),
            column=meta.get("column"),
            value=meta.get("value"),
            expected=meta.get("expected"),
            level=meta.get("level", "row"),
            fields=tuple(fields.items()) if isinstance(fields, Mapping) else (),
        )
        problems = []
        if not isinstance(fields, Mapping):
            problems.append("meta.fields harus objek {nama: 'kolom|format'}")
        if not rule.rule:
            problems.append("meta.rule kosong")
        if rule.severity not in SEVERITIES:
            problems.append(f"meta.severity '{rule.severity}' harus error atau warning")
        if rule.level not in LEVELS:
            problems.append(f"meta.level '{rule.level}' harus salah satu dari {', '.join(LEVELS)}")
        if not rule.message:
            problems.append("meta.message kosong")
        names: set[str] = set()
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(rule.message) if name}
        except ValueError as exc:
            problems.append(f"meta.message tidak sah ({exc})")
        known = PLACEHOLDERS | {name for name, _ in rule.fields}
        if names - known:
            problems.append(f"placeholder tidak dikenal: {', '.join(sorted(names - known))}")
        for spec in (rule.value, rule.expected, *(spec for _, spec in rule.fields)):
            if spec and "|" in spec and spec.split("|", 1)[1] not in FORMATS:
                problems.append(f"format '{spec}' harus salah satu dari {', '.join(FORMATS)}")
        if problems:
            raise ValueError(
                f"Aturan validasi {where or rule.rule} tidak sah: {'; '.join(problems)}."
            )
        return rule


@dataclass(frozen=True)
class Check:
    """A rule run in plain pandas: `check` names a function in CHECKS."""

    check: str
    kwargs: dict[str, Any]
    rule: Rule


@dataclass(frozen=True)
class Suite:
    """The rules of one suite file: pandas checks and GX expectation entries (type/kwargs/meta)."""

    name: str
    checks: list[Check]
    expectations: list[dict[str, Any]]

    @property
    def rule_order(self) -> dict[str, int]:
        """Rule id -> first position in the file, to list problems in the file's order."""
        ids = [c.rule.rule for c in self.checks] + [e["meta"]["rule"] for e in self.expectations]
        return {rule: i for i, rule in reversed(list(enumerate(ids)))}


def load_suite(path: Path = SUITE_PATH) -> Suite:
    """Read a suite file and check every entry (GX itself would drop a bad entry silently)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    checks = []
    for i, entry in enumerate(data.get("checks", []), start=1):
        where = f"{Path(path).name} checks[{i}]"
        if entry.get("check") not in CHECKS:
            raise ValueError(f"{where}: check '{entry.get('check')}' tidak dikenal.")
        rule = Rule.from_meta(entry.get("meta", {}), where)
        checks.append(Check(entry["check"], dict(entry.get("kwargs", {})), rule))
    expectations = []
    for i, entry in enumerate(data.get("expectations", []), start=1):
        where = f"{Path(path).name} expectations[{i}]"
        if not isinstance(entry.get("type"), str) or not isinstance(entry.get("kwargs"), dict):
            raise ValueError(f"{where}: perlu 'type' (teks) dan 'kwargs' (objek).")
        Rule.from_meta(entry.get("meta", {}), where)
        expectations.append(
            {"type": entry["type"], "kwargs": entry["kwargs"], "meta": entry["meta"]}
        )
    return Suite(
        name=str(data.get("name") or Path(path).stem), checks=checks, expectations=expectations
    )


# ---------------------------------------------------------------- working frame (pure)


def _text(raw: pd.DataFrame, column: str) -> pd.Series:
    """A raw column as stripped Python strings; an absent column reads as empty cells."""
    if column not in raw.columns:
        return pd.Series([""] * len(raw), index=raw.index, dtype=object)
    return pd.Series(
        [str(v).strip() for v in raw[column].fillna("")], index=raw.index, dtype=object
    )


def _canonical_int(text: str) -> int | str:
    """Parsed integer where the cell is one, else the text: comparable to an int reference."""
    parsed = parse_int(text)
    return text if parsed is None else parsed


def file_owners(unit_cells: pd.Series, files: pd.Series) -> dict[str, str | None]:
    """File -> its majority known unit (ties: first seen), None when no row names a known unit."""
    frame = pd.DataFrame(
        {"f": files.to_numpy(), "u": unit_cells.to_numpy(), "pos": range(len(files))}
    )
    counts = (
        frame.dropna(subset=["u"])
        .groupby(["f", "u"], sort=False)["pos"]
        .agg(["size", "min"])
        .reset_index()
        .sort_values(["size", "min"], ascending=[False, True])
        .drop_duplicates("f")
    )
    owners: dict[str, str | None] = dict.fromkeys(map(str, frame["f"]))
    owners.update(zip(map(str, counts["f"]), map(str, counts["u"]), strict=True))
    return owners


def earlier_by_key(earlier: pd.DataFrame | None) -> dict[tuple[str, str], int]:
    """(unit, kode) -> accepted realisation of the earlier quarters; None/empty: nothing earlier."""
    if earlier is None or earlier.empty:
        return {}
    absent = [c for c in EARLIER_COLUMNS if c not in earlier.columns]
    if absent:
        raise ValueError(f"Data realisasi triwulan sebelumnya tanpa kolom {', '.join(absent)}.")
    money = pd.to_numeric(earlier["realisasi_keuangan"], errors="raise").fillna(0)
    sums = (
        earlier.assign(realisasi_keuangan=money.astype("int64"))
        .groupby(EARLIER_COLUMNS[:2], sort=False)["realisasi_keuangan"]
        .sum()
    )
    return {(str(u), str(k)): int(v) for (u, k), v in sums.items()}


def _within_pagu(quarter: pd.Series, before: pd.Series, pagu: pd.Series) -> pd.Series:
    """Flag of the cumulative rule: None where it does not apply.

    Not applicable without an amount or a pagu, without earlier spending (then the quarter alone is
    the cumulative, checked by realisasi_melebihi_pagu) and when the quarter alone already exceeds
    pagu (reported by that rule; one problem is enough).
    """
    flags = []
    for q, b, p in zip(quarter, before, pagu, strict=True):
        if pd.isna(q) or pd.isna(p) or b == 0 or q > p:
            flags.append(None)
        else:
            flags.append(bool(q + b <= p))
    return pd.Series(flags, index=quarter.index, dtype=object)


def prepare_frame(
    raw: pd.DataFrame,
    ref: Reference,
    period: Period,
    plan: pd.DataFrame | None = None,
    earlier: pd.DataFrame | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The typed working frame of a quarter: one row per raw row, index = `_idx` = position.

    Columns: `_idx`, `_file`, `_row`; `unit` (owner of the row's file: its majority known unit,
    None if none), `unit_teks` (cell), `unit_baris` (cell if a known unit), `unit_dikenal`;
    `tahun`/`triwulan`/`pagu`/`target_keuangan` (int where the cell is one, else its text) with
    `*_ref` beside them; `kode_milik_unit` (None when the row has no unit); for each input column
    `<col>_teks` (None if empty), `<col>_ok` (parse flag, None if empty) and typed `<col>`;
    file facts `jumlah_unit_berkas`, `daftar_unit_berkas`, `jumlah_berkas_unit`,
    `daftar_berkas_unit`, `baris_kode_sama` (rows of the same code in the file, at most `limit`
    listed: default baris_per_masalah); `fisik_bila_belanja` (False when money was spent
    but fisik is 0); `realisasi_sebelumnya` (accepted earlier quarters of the year, 0 if none),
    `realisasi_kumulatif` and `kumulatif_dalam_pagu` (see _within_pagu); `kendala`,
    `tindak_lanjut`.
    """
    raw = raw.reset_index(drop=True)
    n = len(raw)
    known = set(ref.units["unit"])
    work = pd.DataFrame(index=pd.RangeIndex(n))
    work["_idx"] = range(n)
    work["_file"] = _text(raw, "_file")
    work["_row"] = pd.to_numeric(raw["_row"]).astype("int64") if n else pd.Series(dtype="int64")

    work["unit_teks"] = _text(raw, "unit")
    normal = [u.lower() for u in work["unit_teks"]]
    work["unit_baris"] = pd.Series([u if u in known else None for u in normal], dtype=object)
    work["unit_dikenal"] = work["unit_baris"].notna()
    owners = file_owners(work["unit_baris"], work["_file"])
    work["unit"] = pd.Series([owners[f] for f in work["_file"]], dtype=object)

    per_file = work.dropna(subset=["unit_baris"]).groupby("_file")["unit_baris"].unique()
    units_in = {f: sorted(us) for f, us in per_file.items()}
    work["jumlah_unit_berkas"] = pd.array(
        [len(units_in.get(f, [])) for f in work["_file"]], "Int64"
    )
    work["daftar_unit_berkas"] = [", ".join(units_in.get(f, [])) for f in work["_file"]]
    per_unit = work.dropna(subset=["unit"]).groupby("unit")["_file"].unique()
    files_of = {u: sorted(fs) for u, fs in per_unit.items()}
    work["jumlah_berkas_unit"] = pd.array(
        [len(files_of[u]) if u is not None else None for u in work["unit"]], "Int64"
    )
    work["daftar_berkas_unit"] = pd.Series(
        [", ".join(files_of[u]) if u is not None else None for u in work["unit"]], dtype=object
    )

    for col, expected in (("tahun", period.tahun), ("triwulan", period.triwulan)):
        work[col] = pd.Series([_canonical_int(t) for t in _text(raw, col)], dtype=object)
        work[f"{col}_ref"] = pd.Series([expected] * n, dtype="int64")

    work["kode_sub_kegiatan"] = _text(raw, "kode_sub_kegiatan")
    if plan is None:
        plan = plan_for_quarter(ref, period.triwulan)
    planned = {
        (u, k): (int(p), int(t))
        for u, k, p, t in zip(
            plan["unit"],
            plan["kode_sub_kegiatan"],
            plan["pagu"],
            plan["target_keuangan"],
            strict=True,
        )
    }
    keys = list(zip(work["unit"], work["kode_sub_kegiatan"], strict=True))
    work["kode_milik_unit"] = pd.Series(
        [None if u is None else (u, k) in planned for u, k in keys], dtype=object
    )
    for i, col in enumerate(("pagu", "target_keuangan")):
        work[col] = pd.Series([_canonical_int(t) for t in _text(raw, col)], dtype=object)
        work[f"{col}_ref"] = pd.array(
            [planned[k][i] if k in planned else None for k in keys], "Int64"
        )

    for col, dtype in _INPUTS.items():
        parse = parse_int if dtype == "Int64" else parse_number
        cells = _text(raw, col)
        parsed = [parse(t) if t else None for t in cells]
        work[f"{col}_teks"] = pd.Series([t or None for t in cells], dtype=object)
        work[f"{col}_ok"] = pd.Series(
            [None if not t else p is not None for t, p in zip(cells, parsed, strict=True)],
            dtype=object,
        )
        work[col] = (
            pd.array(parsed, dtype=dtype) if dtype == "Int64" else pd.Series(parsed, dtype=dtype)
        )

    spent, fisik = work["realisasi_keuangan"], work["realisasi_fisik"]
    work["fisik_bila_belanja"] = pd.Series(
        [
            None if pd.isna(k) or pd.isna(f) else not (k > 0 and f == 0)
            for k, f in zip(spent, fisik, strict=True)
        ],
        dtype=object,
    )

    before = earlier_by_key(earlier)
    work["realisasi_sebelumnya"] = pd.array([before.get(k, 0) for k in keys], "Int64")
    work["realisasi_kumulatif"] = spent + work["realisasi_sebelumnya"]
    work["kumulatif_dalam_pagu"] = _within_pagu(
        spent, work["realisasi_sebelumnya"], work["pagu_ref"]
    )

    # One bounded text per group, shared by its rows: listing every row of a group in every
    # row's message made output grow with the square of the rows.
    limit = limit or load_limits().baris_per_masalah
    key = ["_file", "kode_sub_kegiatan"]
    dup = work.duplicated(key, keep=False)
    same = dict(work[dup].groupby(key, sort=False)["_row"].agg(lambda r: row_list(r, limit)))
    work["baris_kode_sama"] = pd.Series([None] * n, dtype=object)
    dup_keys = zip(work.loc[dup, "_file"], work.loc[dup, "kode_sub_kegiatan"], strict=True)
    work.loc[dup, "baris_kode_sama"] = [same[k] for k in dup_keys]
    work["kendala"] = _text(raw, "kendala")
    work["tindak_lanjut"] = _text(raw, "tindak_lanjut")
    return work


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
        "unit": unit or "(tidak dikenal)",
        "tw": run.period.roman,
        "jumlah": angka(len(rows)),
        "baris": row_ranges(rows),
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

    From `_kolom` (set by tasks.ingest per file); a frame without it (built by hand) counts every
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
    owners = run.work.drop_duplicates("_file").set_index("_file")["unit"]
    lacking = missing_columns(run.raw, run.ref.kolom["kolom"], kwargs.get("opsional", ()))
    return [
        {
            **_problem(rule, run, unit=owners.get(f), file=f, row=None, column=c, value=c),
            "_missing_column": True,
        }
        for f, cols in lacking.items()
        for c in cols
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


CHECKS: dict[str, Callable[[_Run, Mapping[str, Any], Rule], list[dict[str, Any]]]] = {
    "missing_columns": _check_missing_columns,
    "missing_rows": _check_missing_rows,
}


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
    records = run.work.to_dict("records")
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


def run_expectations(work: pd.DataFrame, suite: Suite) -> list[Any]:
    """All GX expectations of the suite on the whole quarter frame: one context, one batch."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )
    from great_expectations.expectations.metadata_types import FailureSeverity

    import triwulan.tasks.gx_custom  # noqa: F401  (registers the custom expectation types)

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
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS},
    )
    return list(result.results)


# ---------------------------------------------------------------- the run


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
    would only lengthen its feedback mail. Row problems are bounded by _bound_rows.
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
    kept = _bound_rows(kept, limit or load_limits().baris_per_masalah)
    return _problem_frame([[p[c] for c in PROBLEM_COLUMNS] for p in kept])


def _bound_rows(problems: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
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
    None. `earlier` (unit, kode_sub_kegiatan, realisasi_keuangan) is the stored accepted
    realisation of the earlier quarters of the year, so spending to date is checked against pagu;
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
    plan = plan_for_quarter(ref, period.triwulan)
    limit = load_limits().baris_per_masalah
    work = prepare_frame(raw, ref, period, plan, earlier, limit)
    run = _Run(
        raw=raw,
        work=work,
        ref=ref,
        period=period,
        plan=plan,
        judul=dict(zip(ref.kolom["kolom"], ref.kolom["judul"], strict=True)),
        limit=limit,
    )

    found: list[dict[str, Any]] = []
    lacking: set[tuple[str, str]] = set()
    for check in suite.checks:
        results = CHECKS[check.check](run, check.kwargs, check.rule)
        lacking |= {(p["file"], p["column"]) for p in results if "_missing_column" in p}
        found += results
    if suite.expectations:
        found += problems_from_results(run_expectations(work, suite), run)
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
    return Validation(problems=problems, accepted=accepted, status=status, files=files)
