"""The verdict on files uploaded through the portal: the same reader and GX suite as the run.

Uploads that arrive together are judged in one pass, one file per unit (the portal's judge
batches them so): the reader, the money suite and the IKU suites of tasks/check/iku.py, and the
rules across quarters against the accepted data stored for the earlier quarters. A file whose
rows name another unit than the one signed in is refused before validation, so a unit can
never put figures into another unit's report.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.tasks.check.attribution import guess_unit
from triwulan.tasks.check.columns import SHEET_COLUMN, labelled, reference_labels
from triwulan.tasks.check.iku import validate_received
from triwulan.tasks.collect.ingest import Received, read_all
from triwulan.tasks.core.iku_input import IKU_SHEETS
from triwulan.tasks.core.limits import Limits
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference

ACCEPTED = "diterima"
NOTED = "diterima_dengan_catatan"
REJECTED = "ditolak"
TINGKAT = {"error": "galat", "warning": "catatan"}


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the unit signed in, the kept copy, the name it was uploaded under."""

    unit: str
    path: Path
    name: str


@dataclass(frozen=True)
class UploadVerdict:
    status: str  # ACCEPTED, NOTED or REJECTED
    masalah: list[dict[str, Any]] = field(default_factory=list)
    sheets: tuple[str, ...] = ()  # what the file held: 'realisasi' and/or IKU sheets

    @property
    def accepted(self) -> bool:
        return self.status != REJECTED


def _problem(baris: Any, kolom: str, label: str, nilai: str, pesan: str, tingkat: str) -> dict:
    return {
        "baris": None if baris is None or pd.isna(baris) else int(baris),
        "kolom": kolom,
        "label": label,
        "nilai": nilai,
        "pesan": pesan,
        "tingkat": tingkat,
    }


def _rows_of(received: Received, name: str) -> dict[str, pd.DataFrame]:
    """Each sheet kind's rows read from one file."""
    frames = {"realisasi": received.raw, **received.iku}
    return {
        sheet: frame[frame["_file"] == name]
        for sheet, frame in frames.items()
        if "_file" in frame.columns and (frame["_file"] == name).any()
    }


def _other_units(rows: Mapping[str, pd.DataFrame], unit: str, known: set[str]) -> list[str]:
    """Known units other than `unit` that the file's unit cells name."""
    named: set[str] = set()
    for frame in rows.values():
        if "unit" in frame.columns:
            named |= {str(u).strip().lower() for u in frame["unit"].dropna()}
    return sorted((named & known) - {unit})


def _without(received: Received, names: set[str]) -> Received:
    """The batch without the rows of `names` (files refused before validation)."""
    if not names:
        return received

    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        if "_file" not in frame.columns:
            return frame
        return frame[~frame["_file"].isin(names)].reset_index(drop=True)

    return Received(
        keep(received.raw),
        [p for p in received.file_problems if p.file not in names],
        received.sha256,
        {sheet: keep(frame) for sheet, frame in received.iku.items()},
        [(s, p) for s, p in received.sheet_problems if p.file not in names],
        [(f, s) for f, s in received.iku_files if f not in names],
    )


def _value(rows: Mapping[str, pd.DataFrame], row: Any, column: Any) -> str:
    """The cell as the unit typed it, for the verdict table ('' when not a cell of the sheet).

    An IKU sheet's column comes as 'key (sheet zona_k3)' (tasks.check.iku).
    """
    sheet, key = "realisasi", column
    found_sheet = SHEET_COLUMN.match(str(column or ""))
    if found_sheet is not None:
        sheet, key = found_sheet.group("sheet"), found_sheet.group("key")
    frame = rows.get(sheet)
    if frame is None or row is None or pd.isna(row) or key not in frame.columns:
        return ""
    column = key
    found = frame.loc[frame["_row"].astype(int) == int(row), column]
    return "" if found.empty or pd.isna(found.iloc[0]) else str(found.iloc[0])


def _status(masalah: list[dict[str, Any]]) -> str:
    if any(m["tingkat"] == "galat" for m in masalah):
        return REJECTED
    return NOTED if masalah else ACCEPTED


def judge_uploads(
    items: Sequence[Upload],
    ref: Reference,
    period: Period,
    earlier: pd.DataFrame | None,
    limits: Limits,
) -> list[UploadVerdict]:
    """One verdict per upload, in order; at most one upload per unit in a batch.

    Files are read under names of our own ('unggahan-1.xlsx', …): what a unit named its file
    can never make another upload's problems its own (a name with ', ' in it, or another
    unit's template name). Messages show the name the unit uploaded.
    """
    if len({i.unit for i in items}) != len(items):
        raise ValueError("judge_uploads: one upload per unit in a batch")
    inner = [f"unggahan-{k + 1}{i.path.suffix.lower()}" for k, i in enumerate(items)]
    received = read_all([i.path for i in items], inner, limits)
    labels = reference_labels(ref)
    known = {str(u) for u in ref.units["unit"]}
    rows = {name: _rows_of(received, name) for name in inner}
    refused = {
        name: others
        for name, item in zip(inner, items, strict=True)
        if (others := _other_units(rows[name], item.unit, known))
    }
    checked = _without(received, set(refused))
    problems = pd.DataFrame()
    if len(refused) < len(items):
        problems = validate_received(checked, ref, period, earlier)[0].problems
    unreadable = {p.file: p.message for p in received.file_problems}
    verdicts = []
    for name, item in zip(inner, items, strict=True):
        if name in refused:
            names = ", ".join(ref.unit_name(u) for u in refused[name])
            pesan = (
                f"Berkas {item.name} berisi data {names}, bukan {ref.unit_name(item.unit)}. "
                f"Unggah berkas unit Anda sendiri (kolom unit harus berisi '{item.unit}')."
            )
            verdicts.append(
                UploadVerdict(REJECTED, [_problem(None, "unit", "", "", pesan, "galat")])
            )
            continue
        masalah = []
        if name in unreadable:
            pesan = unreadable[name].replace(name, item.name)
            masalah.append(_problem(None, "", "", "", pesan, "galat"))
        mine = problems
        if not problems.empty:
            files = problems["file"].fillna("").astype(str)
            named = files.map(lambda f, n=name: n in f.split(", "))
            # a unit's own problems too (rows it lacks): only its upload names it in a batch,
            # since a file naming another unit was refused above
            mine = problems[named | (problems["unit"] == item.unit)]
        for record in mine.to_dict("records"):
            shown = labelled(record, labels)
            masalah.append(
                _problem(
                    record.get("row"),
                    "" if record.get("column") is None else str(record["column"]),
                    shown["kolom"],
                    _value(rows[name], record.get("row"), record.get("column")),
                    str(record["message"]).replace(name, item.name),
                    TINGKAT.get(str(record["severity"]), "catatan"),
                )
            )
        sheets = tuple(s for s in ("realisasi", *IKU_SHEETS) if s in rows[name])
        if not sheets and not masalah:
            pesan = f"Berkas {item.name} tidak berisi baris isian apa pun."
            masalah.append(_problem(None, "", "", "", pesan, "galat"))
        verdicts.append(UploadVerdict(_status(masalah), masalah, sheets))
    return verdicts


@dataclass(frozen=True)
class Holding:
    """What one file in a quarter folder holds: the units its rows name, the sheets it has."""

    units: frozenset[str]
    sheets: frozenset[str]


def inbox_holdings(
    folder: Path,
    units: pd.DataFrame,
    limits: Limits,
    seen: dict[tuple[str, int, int], Holding],
) -> dict[str, Holding]:
    """Every regular file of a quarter folder and what it holds, read as the run reads it.

    `seen` remembers files by (name, size, mtime): a folder is read whole once, later only
    what changed. A file without readable unit cells belongs to the unit its name names
    (tasks.check.attribution.guess_unit), as in the run. Links, folders and FIFOs are left out.
    """
    entries: dict[str, tuple[str, int, int]] = {}
    for name in sorted(os.listdir(folder)):
        try:
            info = os.lstat(folder / name)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and not name.startswith("."):
            entries[name] = (name, info.st_size, info.st_mtime_ns)
    todo = [name for name, key in entries.items() if key not in seen]
    if todo:
        known = {str(u) for u in units["unit"]}
        received = read_all([folder / name for name in todo], todo, limits)
        for name in todo:
            rows = _rows_of(received, name)
            named: set[str] = set()
            for frame in rows.values():
                if "unit" in frame.columns:
                    named |= {str(u).strip().lower() for u in frame["unit"].dropna()} & known
            guess = guess_unit(name, units) if not named else None
            owners = named or ({guess} if guess else set())
            seen[entries[name]] = Holding(frozenset(owners), frozenset(rows))
    return {name: seen[key] for name, key in entries.items()}


def superseded(
    holdings: Mapping[str, Holding], unit: str, sheets: Sequence[str], keep: str
) -> list[str]:
    """The unit's files an accepted upload replaces (two files of one unit reject both).

    Only files of that unit alone. An upload with the realisasi sheet replaces every file with
    realisasi rows, nothing readable, or only IKU sheets it brings too; an IKU sheet sent alone
    as CSV replaces only files holding just that sheet.
    """
    out = []
    for name, holding in holdings.items():
        if name == keep or holding.units != {unit}:
            continue
        if "realisasi" in sheets:
            replaced = (
                "realisasi" in holding.sheets or not holding.sheets or holding.sheets <= set(sheets)
            )
        else:
            replaced = bool(holding.sheets) and holding.sheets == set(sheets)
        if replaced:
            out.append(name)
    return out
