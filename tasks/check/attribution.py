"""Which unit an unreadable file belongs to, guessed from its name, so that unit is told.

A file that yields no rows names no unit inside; without this the unit would be shown as
'belum mengirim' and get no feedback while it did send something.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd

from triwulan.tasks.check.validate import PROBLEM_COLUMNS, Validation
from triwulan.tasks.collect.ingest import FileProblem

RULE = "berkas_tidak_terbaca"
_WORD = re.compile(r"[^0-9a-z]+")


def _words(text: str) -> str:
    return " " + " ".join(_WORD.sub(" ", text.lower()).split()) + " "


def unit_terms(units: pd.DataFrame) -> dict[str, list[str]]:
    """Unit -> the phrases people use in file names: its code and its name without the kind."""
    terms = {}
    for unit, nama, jenis in zip(units["unit"], units["nama"], units["jenis"], strict=True):
        name = _words(nama).replace(f" {jenis} ", " ", 1)
        terms[unit] = [t for t in {_words(unit.replace("-", " ")), name} if t.strip()]
    return terms


def guess_unit(file_name: str, units: pd.DataFrame) -> str | None:
    """The unit whose name occurs in the file name; the longest match wins, a tie names none."""
    name = _words(file_name)
    best: dict[str, int] = {}
    for unit, phrases in unit_terms(units).items():
        hits = [len(p) for p in phrases if p in name]
        if hits:
            best[unit] = max(hits)
    if not best:
        return None
    top = max(best.values())
    winners = [u for u, n in best.items() if n == top]
    return winners[0] if len(winners) == 1 else None


def attach_file_problems(
    validation: Validation, problems: list[FileProblem], units: pd.DataFrame
) -> tuple[Validation, list[FileProblem]]:
    """Unreadable files named after a unit become that unit's problems; the rest stay unattached.

    A unit with no readable file is rejected by its unreadable one (so it gets feedback); a unit
    that also sent a readable file keeps its verdict and gets the unreadable one as a warning.
    """
    status, files = dict(validation.status), dict(validation.files)
    rows, rest = [], []
    for problem in problems:
        unit = guess_unit(problem.file, units)
        if unit is None:
            rest.append(problem)
            continue
        severity = "warning" if unit in validation.status else "error"
        if unit not in validation.status:
            status[unit] = "rejected"
            files[unit] = ", ".join(filter(None, [files.get(unit), problem.file]))
        rows.append([unit, problem.file, None, None, RULE, severity, problem.message])
    if not rows:
        return validation, rest
    added = pd.DataFrame(rows, columns=PROBLEM_COLUMNS, dtype=object)
    frames = [f for f in (validation.problems, added) if not f.empty]
    merged = pd.concat(frames, ignore_index=True) if len(frames) > 1 else added
    return replace(validation, problems=merged, status=status, files=files), rest
