"""A problem's column as a person finds it in the template: its label and Excel letter.

Problem records keep the contract key (`column`: 'kode_sub_kegiatan', or 'status_tertib (sheet
zona_k3)' for an IKU sheet): rules, summaries and reruns match on it. What a unit or the
secretariat reads is the label of reference/kolom_pengajuan.csv or kolom_iku.csv (the note on
the template's header cell and the 'petunjuk' sheet) with the column's letter in the template,
'Kode Sub Kegiatan (D)'. The letter is the template's (the sheet is protected: columns cannot be
inserted or deleted); the file's own header order does not travel with the problem records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.paths import PACKAGED_REFERENCE, reference_root
from triwulan.tasks.collect.tables import column_letter
from triwulan.tasks.core.reference import Reference

KOLOM_FILE = "kolom_pengajuan.csv"
KOLOM_IKU_FILE = "kolom_iku.csv"
# tasks.check.iku names a column of an IKU sheet 'key (sheet name)', a whole sheet '(sheet name)'
SHEET_COLUMN = re.compile(r"^(?P<key>[^\s()]*)\s*\(sheet (?P<sheet>[^)]+)\)$")


@dataclass(frozen=True)
class ColumnLabels:
    """Contract key -> label as printed for people, per sheet of the template."""

    realisasi: Mapping[str, str] = field(default_factory=dict)  # key -> 'Judul (B)'
    sheets: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (sheet, key) -> ...
    plain: Mapping[str, str] = field(default_factory=dict)  # key -> 'Judul', any sheet

    def text(self, column: object, sheet_letters: bool = True) -> str:
        """'Kode Sub Kegiatan (D)', 'Status Tertib (ya/tidak) (C) di sheet zona_k3'; '' if none.

        A key no reference file names (an older summary's column) is shown with spaces, never
        as a snake_case key. `sheet_letters` False: an IKU column without the xlsx template's
        letter (a CSV puts tahun, triwulan and unit first, so the letter would point elsewhere).
        """
        if column is None or (isinstance(column, float) and pd.isna(column)):
            return ""
        name = str(column).strip()
        found = SHEET_COLUMN.match(name)
        if found is None:
            return self.realisasi.get(name) or self.plain.get(name) or _spaced(name)
        key, sheet = found.group("key"), found.group("sheet")
        if not key:
            return f"(sheet {sheet})"
        lettered = self.sheets.get((sheet, key)) if sheet_letters else None
        label = lettered or self.plain.get(key) or _spaced(key)
        return f"{label} di sheet {sheet}"


def _spaced(key: str) -> str:
    return key.replace("_", " ")


def column_labels(
    kolom: pd.DataFrame | None, kolom_iku: pd.DataFrame | None = None
) -> ColumnLabels:
    """Labels from kolom_pengajuan.csv and kolom_iku.csv, letters in their template order.

    The realisasi sheet has the contract columns in file order; each IKU sheet of the xlsx
    template has its own rows of kolom_iku.csv in file order (tasks.collect.template_iku).
    """
    realisasi: dict[str, str] = {}
    plain: dict[str, str] = {}
    if kolom is not None and {"kolom", "judul"} <= set(kolom.columns):
        for i, (key, judul) in enumerate(zip(kolom["kolom"], kolom["judul"], strict=True)):
            realisasi[str(key)] = f"{judul} ({column_letter(i)})"
            plain[str(key)] = str(judul)
    sheets: dict[tuple[str, str], str] = {}
    if kolom_iku is not None and {"lembar", "kolom", "judul"} <= set(kolom_iku.columns):
        for sheet, rows in kolom_iku.groupby("lembar", sort=False):
            for i, (key, judul) in enumerate(zip(rows["kolom"], rows["judul"], strict=True)):
                sheets[(str(sheet), str(key))] = f"{judul} ({column_letter(i)})"
                plain.setdefault(str(key), str(judul))
    return ColumnLabels(realisasi, sheets, plain)


def reference_labels(ref: Reference) -> ColumnLabels:
    """The labels of a loaded reference."""
    return column_labels(ref.kolom, ref.kolom_iku)


_SHARED: dict[tuple[str, ...], ColumnLabels] = {}


def _path(name: str) -> Path:
    """The root's file, else the shipped one (a root copied before the file existed)."""
    path = reference_root() / name
    return path if path.is_file() else PACKAGED_REFERENCE / name


def _csv(path: Path) -> pd.DataFrame | None:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError):
        return None
    frame.columns = [c.strip() for c in frame.columns]
    return frame.apply(lambda c: c.str.strip())


def shared_labels() -> ColumnLabels:
    """The labels of the reference root in use, for a page or mail built without a Reference.

    The same files load_reference reads (they are shared by every year); read again only when
    one of them changed. An unreadable file gives no labels, not a failed report.
    """
    paths = (_path(KOLOM_FILE), _path(KOLOM_IKU_FILE))
    stamp: list[str] = []
    for path in paths:
        try:
            stat = path.stat()
            stamp.append(f"{path}:{stat.st_mtime_ns}:{stat.st_size}")
        except OSError:
            stamp.append(str(path))
    key = tuple(stamp)
    if key not in _SHARED:
        _SHARED.clear()  # one reference root at a time is the usual case; keep memory flat
        _SHARED[key] = column_labels(_csv(paths[0]), _csv(paths[1]))
    return _SHARED[key]


def labelled(problem: Mapping[str, Any], labels: ColumnLabels) -> dict[str, Any]:
    """A copy of a problem record with 'kolom': its column as the reader finds it ('' if none)."""
    from_csv = str(problem.get("file") or "").lower().endswith(".csv")
    return {**problem, "kolom": labels.text(problem.get("column"), sheet_letters=not from_csv)}
