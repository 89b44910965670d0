"""Validation of the IKU sheets (zona_k3, skm, akip) with the GX suite expectations/iku.json.

Each sheet's text frame is typed once (scores, zone numbers, dates, values) and given flag columns
that need reference data (known zone of that kelurahan, component maxima, date inside the
quarter); then one GX batch per sheet in one context checks them, and every failing row becomes
a problem naming file, row, sheet and column. A unit with an IKU error is rejected like one with
an error in `realisasi`: the file is one submission and goes back whole.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import pandas as pd

from triwulan.paths import EXPECTATIONS_DIR
from triwulan.tasks.check.gx_sheets import validate_sheets
from triwulan.tasks.check.suite import PROBLEM_COLUMNS, show
from triwulan.tasks.check.validate import Validation, bound_rows, validate_quarter
from triwulan.tasks.collect.ingest import FileProblem, Received
from triwulan.tasks.core.iku_input import (
    AKIP,
    IKU_SHEETS,
    SCORES,
    SHEETS_OF,
    SKM,
    ZONA,
    sheet_columns,
)
from triwulan.tasks.core.limits import load_limits
from triwulan.tasks.core.parse import parse_int, read_decimal
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference

IKU_SUITE_PATH = EXPECTATIONS_DIR / "iku.json"
MONTHS = ["", "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus"]
MONTHS += ["September", "Oktober", "November", "Desember"]
INDEX = ["_idx", "_file", "_row"]


@cache
def load_iku_suite() -> list[dict[str, Any]]:
    """The suite's entries, `for_columns` expanded into one expectation per column."""
    entries = json.loads(IKU_SUITE_PATH.read_text(encoding="utf-8"))["expectations"]
    out = []
    for entry in entries:
        for kolom in entry.get("for_columns", [None]):
            text = json.dumps(entry)
            if kolom is not None:
                text = text.replace("{kolom}", kolom)
            expanded = json.loads(text)
            expanded.pop("for_columns", None)
            out.append(expanded)
    return out


@dataclass
class IkuValidation:
    """Problems of the IKU sheets; typed accepted rows per sheet; which (unit, sheet) were sent."""

    problems: pd.DataFrame
    accepted: dict[str, pd.DataFrame]
    sent: set[tuple[str, str]] = field(default_factory=set)
    gx_results: list[Any] = field(default_factory=list)
    owners: dict[str, str] = field(default_factory=dict)  # file -> unit its IKU rows name


# ---------------------------------------------------------------- typing (pure)


def _date(text: str) -> dt.date | None:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def quarter_span(period: Period) -> tuple[dt.date, dt.date, str]:
    first = dt.date(period.tahun, 3 * period.triwulan - 2, 1)
    last_month = 3 * period.triwulan
    nxt = dt.date(period.tahun + (last_month == 12), last_month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    label = (
        f"{period.roman} {period.tahun} (1 {MONTHS[first.month]}–{last.day} "
        f"{MONTHS[last.month]} {period.tahun})"
    )
    return first, last, label


def _whole(text: str) -> int | None:
    value = parse_int(text)
    if value is not None:
        return value
    reading = read_decimal(text)
    number = reading.value
    return int(number) if number is not None and float(number).is_integer() else None


def type_sheet(frame: pd.DataFrame, sheet: str, ref: Reference, period: Period) -> pd.DataFrame:
    """The sheet's working frame: typed columns, raw text as <col>_teks, flags (None = n/a)."""
    work = frame.reset_index(drop=True).copy()
    for col in [*sheet_columns(ref, sheet), "tahun", "triwulan", "unit"]:
        if col not in work:
            work[col] = ""
        work[f"{col}_teks"] = work[col].astype(str)
    work["_idx"] = range(len(work))
    work["unit"] = work["unit_teks"].str.strip().str.lower()
    tahun = work["tahun_teks"].map(_whole)
    triwulan = work["triwulan_teks"].map(_whole)
    work["periode_ok"] = (tahun == period.tahun) & (triwulan == period.triwulan)
    work["periode_teks"] = work["tahun_teks"] + "/" + work["triwulan_teks"]
    jenis = dict(zip(ref.units["unit"], ref.units["jenis"], strict=True))
    allowed = {u for u, j in jenis.items() if sheet in SHEETS_OF.get(j, ())}
    work["unit_ok"] = work["unit"].isin(allowed)
    if sheet == ZONA:
        zones = ref.zona_k3.assign(no=ref.zona_k3["no"].astype(int))
        own = set(zip(zones["kelurahan"], zones["no"], strict=True))
        work["no_zona"] = work["no_zona_teks"].map(_whole).astype("Int64")
        work["zona_ok"] = [
            (u, int(n)) in own if pd.notna(n) else False
            for u, n in zip(work["unit"], work["no_zona"], strict=True)
        ]
        work["zona_unit"] = (
            work["unit"]
            .map(zones.groupby("kelurahan")["no"].agg(lambda s: ", ".join(map(str, sorted(s)))))
            .fillna("-")
        )
        work["catatan"] = work["catatan_teks"]
        status = work["status_tertib_teks"].str.strip().str.lower()
        work["status"] = status
        work["tertib"] = status == "ya"
    elif sheet == SKM:
        for col in SCORES:
            work[col] = work[f"{col}_teks"].map(_whole).astype("Int64")
        for col in ("responden", "jenis_layanan"):
            work[col] = work[f"{col}_teks"].str.strip().replace("", None)
        first, last, _ = quarter_span(period)
        dates = work["tanggal_teks"].map(_date)
        work["tanggal"] = dates.map(lambda d: d.isoformat() if d else None)
        work["tanggal_ok"] = dates.map(lambda d: d is not None and first <= d <= last)
    elif sheet == AKIP:
        comps = ref.akip_komponen
        bobot = dict(zip(comps["komponen"], comps["bobot"], strict=True))
        work["komponen"] = work["komponen_teks"].str.strip().str.lower()
        work["komponen_ok"] = work["komponen"].isin(bobot)
        work["nilai"] = work["nilai_teks"].map(lambda t: read_decimal(t).value).astype("float64")
        work["bobot"] = work["komponen"].map(bobot).astype("float64")
    return work


def _not_reported(work: pd.DataFrame, sheet: str) -> pd.Series:
    """Rows of files that left the sheet's inputs all empty: no survey/evaluation this quarter."""
    inputs = {ZONA: ["status_tertib_teks"], AKIP: ["nilai_teks"]}.get(sheet)
    if not inputs or work.empty:
        return pd.Series(False, index=work.index)
    blank = work[inputs].apply(lambda c: c.str.strip() == "").all(axis=1)
    return blank.groupby(work["_file"]).transform("all")


# ---------------------------------------------------------------- GX


def run_iku_expectations(works: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """One GX context, one batch per sheet; returns GX's validation result per sheet."""
    suite = load_iku_suite()
    entries = {sheet: [e for e in suite if e["lembar"] in ("*", sheet)] for sheet in works}
    return validate_sheets("iku", works, entries, INDEX)


def _expected(rule: str, row: dict[str, Any], ref: Reference, period: Period, sheet: str) -> str:
    if rule == "iku_periode":
        return period.label
    if rule == "iku_unit":
        jenis = [j for j, sheets in SHEETS_OF.items() if sheet in sheets]
        return " / ".join(jenis)
    if rule == "zona_dikenal":
        return str(row.get("zona_unit") or "-")
    if rule == "tanggal_survei":
        return quarter_span(period)[2]
    if rule == "komponen_akip":
        return ", ".join(ref.akip_komponen["komponen"])
    if rule == "nilai_akip_maks":
        return show(row.get("bobot"), "angka")
    return ""


def _titles(ref: Reference) -> dict[tuple[str, str], str]:
    """(sheet, column) -> its label in kolom_iku.csv, as the template's header note shows it."""
    spec = ref.kolom_iku
    return {
        (str(sheet), str(key)): str(judul)
        for sheet, key, judul in zip(spec["lembar"], spec["kolom"], spec["judul"], strict=True)
    }


def problems_of(
    results: dict[str, Any], works: dict[str, pd.DataFrame], ref: Reference, period: Period
) -> list[dict[str, Any]]:
    """Problem records from the GX results (matched by meta, whatever order GX returns)."""
    out = []
    titles = _titles(ref)
    for sheet, result in results.items():
        work = works[sheet]
        failed = [item for item in result.results if not item.success]
        wanted = sorted(
            {
                int(i["_idx"])
                for item in failed
                for i in item.result.get("unexpected_index_list") or []
            }
        )  # the failing rows, taken out of the frame once
        rows = dict(zip(wanted, work.iloc[wanted].to_dict("records"), strict=True))
        for item in failed:
            meta = item.expectation_config.meta
            failing = [int(i["_idx"]) for i in item.result.get("unexpected_index_list") or []]
            for idx in failing:
                row = rows[idx]
                value = row.get(meta["value"], "")
                out.append(
                    {
                        "unit": row["unit"] if row.get("unit_ok") else None,
                        "file": row["_file"],
                        "row": int(row["_row"]),
                        "column": f"{meta['column']} (sheet {sheet})",
                        "rule": meta["rule"],
                        "severity": meta["severity"],
                        "message": meta["message"].format(
                            value=show("" if pd.isna(value) else value),
                            expected=_expected(meta["rule"], row, ref, period, sheet),
                            lembar=sheet,
                            unit=ref.unit_name(str(row["unit"])),
                            komponen=row.get("komponen", ""),
                            zona_unit=row.get("zona_unit", ""),
                            judul=titles.get((sheet, meta["column"]), meta["column"]),
                        ),
                    }
                )
    return out


# ---------------------------------------------------------------- the run


def _missing_columns(ref: Reference, frame: pd.DataFrame, sheet: str) -> list[dict[str, Any]]:
    """A sheet without one of its contract columns: one problem per file."""
    wanted = [c for c in sheet_columns(ref, sheet) if c != "catatan"]
    titles = _titles(ref)
    lacking_of: dict[str, list[str]] = {}  # per distinct header line: a province has few
    out = []
    for name, kolom in frame.groupby("_file")["_kolom"].first().items():
        key = str(kolom)
        if key not in lacking_of:
            have = set(key.split("|"))
            lacking_of[key] = [c for c in wanted if c not in have]
        if lacking_of[key]:
            out.append((name, lacking_of[key]))
    return [
        {
            "unit": None,
            "file": name,
            "row": None,
            "column": f"{lacking[0]} (sheet {sheet})",
            "rule": "iku_kolom_wajib",
            "severity": "error",
            "_kolom": lacking,
            "message": f"Sheet {sheet} tidak punya kolom "
            + ", ".join(f"{titles.get((sheet, c), c)} (judul kolom '{c}')" for c in lacking)
            + ". Gunakan templat triwulan ini.",
        }
        for name, lacking in out
    ]


def _incomplete_akip(ref: Reference, work: pd.DataFrame) -> list[dict[str, Any]]:
    """An evaluation must carry every component (reference/akip_komponen.csv): a sum of some
    components would be published as the Nilai AKIP. One problem per file naming the missing."""
    if work.empty:
        return []
    needed = list(ref.akip_komponen["komponen"])
    present = work.groupby("_file")["komponen"].agg(set)
    units = work[work["unit_ok"]].groupby("_file")["unit"].first()
    out = []
    for name, have in present.items():
        lacking = [k for k in needed if k not in have]
        if lacking:
            out.append(
                {
                    "unit": units.get(name),
                    "file": name,
                    "row": None,
                    "column": "komponen (sheet akip)",
                    "rule": "komponen_akip_lengkap",
                    "severity": "error",
                    "message": f"Sheet akip tidak memuat komponen {', '.join(lacking)}: Nilai AKIP "
                    "adalah jumlah keempat komponen. Isi semua komponen dari LHE SAKIP, atau "
                    "kosongkan semuanya bila belum ada evaluasi.",
                }
            )
    return out


def _owner(problems: list[dict[str, Any]], owners: dict[str, str | None]) -> None:
    """A problem without a known unit belongs to its file's unit (from the realisasi sheet)."""
    for p in problems:
        if p["unit"] is None:
            p["unit"] = owners.get(p["file"])


def validate_iku(
    sheets: dict[str, pd.DataFrame],
    sheet_problems: list[tuple[str, FileProblem]],
    ref: Reference,
    period: Period,
    owners: dict[str, str | None] | None = None,
    files: list[tuple[str, str]] | None = None,
) -> IkuValidation:
    """Check the IKU sheets of a quarter; accepted rows of units without an IKU error.

    `owners`: file name -> unit of its realisasi sheet, for problems of rows whose own unit cell
    is unknown (an xlsx sheet takes its unit from the realisasi sheet of the same file).
    `files`: (file, sheet) of every IKU sheet read, rows or not: a sheet sent back empty clears
    what its unit had stored for the quarter.
    """
    owners = owners or {}
    found: list[dict[str, Any]] = []
    works: dict[str, pd.DataFrame] = {}
    sent: set[tuple[str, str]] = set()
    file_units: dict[str, str] = {}
    known = set(ref.units["unit"])  # once: rebuilt per unit it was O(units²) at a province
    sent |= {(owners[f], sheet) for f, sheet in files or [] if owners.get(f)}
    for sheet in IKU_SHEETS:
        frame = sheets.get(sheet)
        if frame is None:
            continue
        found += _missing_columns(ref, frame, sheet)
        work = type_sheet(frame, sheet, ref, period)
        sent |= {(u, sheet) for u in work["unit"].unique() if u in known}
        named = work[work["unit_ok"]].groupby("_file")["unit"].first()
        file_units |= {str(f): str(u) for f, u in named.items()}
        sent |= {(owners[f], sheet) for f in frame["_file"].unique() if owners.get(f)}
        work = work[~_not_reported(work, sheet)].reset_index(drop=True)
        work["_idx"] = range(len(work))
        if sheet == AKIP:
            found += _incomplete_akip(ref, work)
        if not work.empty:
            works[sheet] = work
    for sheet, problem in sheet_problems:
        found.append(
            {
                "unit": owners.get(problem.file),
                "file": problem.file,
                "row": None,
                "column": f"(sheet {sheet})",
                "rule": "iku_sheet_terbaca",
                "severity": "error",
                "message": problem.message,
            }
        )
    results = run_iku_expectations(works) if works else {}
    found += problems_of(results, works, ref, period)
    lacking = {(p["file"], c) for p in found if p["rule"] == "iku_kolom_wajib" for c in p["_kolom"]}
    found = [
        p
        for p in found
        if p["rule"] == "iku_kolom_wajib"
        or (p["file"], str(p["column"]).split(" (sheet")[0]) not in lacking
    ]  # a column missing from the file: its one problem says so, not one per row
    _owner(found, owners)
    kept = bound_rows(found, load_limits().baris_per_masalah)
    problems = pd.DataFrame(
        [[p[c] for c in PROBLEM_COLUMNS] for p in kept], columns=PROBLEM_COLUMNS, dtype=object
    )
    bad = set(problems.loc[problems["severity"] == "error", "unit"].dropna())
    accepted = {
        sheet: work[~work["unit"].isin(bad) & work["unit_ok"]].reset_index(drop=True)
        for sheet, work in works.items()
    }
    return IkuValidation(problems, accepted, sent, list(results.values()), file_units)


def merge(validation: Validation, iku: IkuValidation, ref: Reference) -> Validation:
    """One outcome per unit: an IKU error rejects the unit's whole file, like any error."""
    if iku.problems.empty:
        return validation
    order = {u: i for i, u in enumerate(ref.units["unit"])}
    problems = pd.concat([validation.problems, iku.problems], ignore_index=True)
    problems = problems.assign(
        _o=problems["unit"].map(lambda u: order.get(u, len(order))),
        _r=problems["row"].map(lambda r: -1 if r is None or pd.isna(r) else int(r)),
    )
    problems = problems.sort_values(["_o", "file", "_r"], kind="stable", na_position="last")
    problems = problems.drop(columns=["_o", "_r"]).reset_index(drop=True).astype(object)
    problems = problems.where(problems.notna(), None)
    bad = set(iku.problems.loc[iku.problems["severity"] == "error", "unit"].dropna())
    status = dict(validation.status)
    for unit in bad:
        status[unit] = "rejected"
    files = dict(validation.files)
    for unit in bad - set(files):
        names = iku.problems.loc[iku.problems["unit"] == unit, "file"].dropna().unique()
        files[unit] = ", ".join(sorted(names))
    accepted = validation.accepted[~validation.accepted["unit"].isin(bad)].reset_index(drop=True)
    return replace(validation, problems=problems, status=status, files=files, accepted=accepted)


def validate_received(
    received: Received, ref: Reference, period: Period, earlier: pd.DataFrame | None
) -> tuple[Validation, IkuValidation]:
    """Money and IKU of a quarter's files, merged into one verdict per unit."""
    validation = validate_quarter(received.raw, ref, period, earlier=earlier)
    owners = {
        name: unit for unit, names in validation.files.items() for name in str(names).split(", ")
    }
    iku = validate_iku(
        received.iku, received.sheet_problems, ref, period, owners, received.iku_files
    )
    return merge(validation, iku, ref), iku
