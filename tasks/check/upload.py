"""The verdict on files uploaded through the portal: the same reader and GX suite as the run.

Uploads that arrive together are judged in one pass, one file per unit (the portal's judge
batches them so): the reader, the money suite and the IKU suites of tasks/check/iku.py, and the
rules across quarters against the accepted data stored for the earlier quarters. A file whose
rows name another unit than the one signed in is refused before validation, so a unit can
never put figures into another unit's report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.tasks.check.columns import labelled, reference_labels
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
    """The cell as the unit typed it, for the verdict table ('' when not a cell of the sheet)."""
    frame = rows.get("realisasi")
    if frame is None or row is None or pd.isna(row) or column not in frame.columns:
        return ""
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
    """One verdict per upload, in order; at most one upload per unit and per name in a batch."""
    if len({i.unit for i in items}) != len(items) or len({i.name for i in items}) != len(items):
        raise ValueError("judge_uploads: one upload per unit and per name in a batch")
    received = read_all([i.path for i in items], [i.name for i in items], limits)
    labels = reference_labels(ref)
    known = {str(u) for u in ref.units["unit"]}
    rows = {i.name: _rows_of(received, i.name) for i in items}
    refused: dict[str, list[str]] = {}
    for item in items:
        others = _other_units(rows[item.name], item.unit, known)
        if others:
            refused[item.name] = others
    checked = _without(received, set(refused))
    validation = None
    if any(i.name not in refused for i in items):
        validation, _ = validate_received(checked, ref, period, earlier)
    problems = validation.problems if validation is not None else pd.DataFrame()
    unreadable = {p.file: p.message for p in received.file_problems}
    verdicts = []
    for item in items:
        if item.name in refused:
            names = ", ".join(ref.unit_name(u) for u in refused[item.name])
            pesan = (
                f"Berkas {item.name} berisi data {names}, bukan {ref.unit_name(item.unit)}. "
                "Unggah berkas unit Anda sendiri (kolom unit harus berisi "
                f"'{item.unit}')."
            )
            verdicts.append(
                UploadVerdict(REJECTED, [_problem(None, "unit", "", "", pesan, "galat")])
            )
            continue
        masalah = []
        if item.name in unreadable:
            masalah.append(_problem(None, "", "", "", unreadable[item.name], "galat"))
        mine = problems
        if not problems.empty:
            files = problems["file"].fillna("").astype(str)
            named = files.map(lambda f, n=item.name: n in f.split(", "))
            mine = problems[(problems["unit"] == item.unit) | named]
        for record in mine.to_dict("records"):
            shown = labelled(record, labels)
            masalah.append(
                _problem(
                    record.get("row"),
                    "" if record.get("column") is None else str(record["column"]),
                    shown["kolom"],
                    _value(rows[item.name], record.get("row"), record.get("column")),
                    str(record["message"]),
                    TINGKAT.get(str(record["severity"]), "catatan"),
                )
            )
        sheets = tuple(s for s in ("realisasi", *IKU_SHEETS) if s in rows[item.name])
        if not sheets and not masalah:
            pesan = f"Berkas {item.name} tidak berisi baris isian apa pun."
            masalah.append(_problem(None, "", "", "", pesan, "galat"))
        verdicts.append(UploadVerdict(_status(masalah), masalah, sheets))
    return verdicts
