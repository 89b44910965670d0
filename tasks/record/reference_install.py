"""`triwulan referensi periksa / pasang / perubahan`: check a workbook, install it, record it.

Installing = the workbook's checks (expectations/referensi.json), then the year written into a
staged folder and read back by the same loader a run uses (every check of a year folder), then
renamed into place, then recorded. Nothing is installed while any check says no.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from triwulan.tasks.check.reference_book import PROBLEM_COLUMNS, check_book, sort_problems
from triwulan.tasks.core.errors import ReferenceDataError, TriwulanError
from triwulan.tasks.core.reference import read_year_folder
from triwulan.tasks.core.reference_book import GUIDE, csv_bytes, labels, read_book, read_year_text
from triwulan.tasks.core.reference_checks import FILES
from triwulan.tasks.core.reference_folder import (
    discard,
    seed_root,
    stage_year,
    swap_in,
    writable_root,
)
from triwulan.tasks.core.reference_revision import CHANGE_COLUMNS, revise
from triwulan.tasks.record.reference_log import record_install
from triwulan.tasks.record.store import now

YEAR_IN_TEXT = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
LOADER_LINE = re.compile(r"^(\d{4})/([a-z_0-9]+\.csv)(?: baris (\d+))?: (.*)$", re.S)


@dataclass
class Outcome:
    """What a check or an installation found and did."""

    tahun: int
    problems: pd.DataFrame
    installed: Path | None = None
    archived: Path | None = None
    seeded: list[str] = field(default_factory=list)
    changes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CHANGE_COLUMNS))
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> pd.DataFrame:
        return self.problems[self.problems["tingkat"] == "error"]


def book_year(path: Path, given: int | None) -> int:
    """The budget year a workbook is for: --tahun, else its petunjuk sheet, else its name."""
    if given is not None:
        return given
    try:
        book = load_workbook(path, read_only=True)
        try:
            first = book[GUIDE]["A1"].value if GUIDE in book.sheetnames else None
        finally:
            book.close()
    except Exception:  # unreadable: read_book says so in its own words
        first = None
    for text in (str(first or ""), path.name):
        found = YEAR_IN_TEXT.search(text)
        if found:
            return int(found.group(1))
    raise TriwulanError(
        f"Tahun anggaran buku kerja {path.name} tidak diketahui: sebutkan dengan --tahun."
    )


def _year_files(frames: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    return {name: csv_bytes(frame) for name, frame in frames.items() if name in FILES or len(frame)}


def _loader_problems(error: ReferenceDataError, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The year loader's lines at their sheet and row: CSV line N is the frame's row N-2."""
    sheet_of = {file: sheet for sheet, (file, _) in labels().items()}
    out = []
    for line in error.problems:
        match = LOADER_LINE.match(line)
        lembar, baris, pesan = None, None, line
        if match:
            _, name, number, pesan = match.groups()
            lembar = sheet_of.get(name, name)
            frame = frames.get(name)
            if number and frame is not None and "_baris" in frame.columns:
                at = int(number) - 2
                baris = int(frame["_baris"].iloc[at]) if 0 <= at < len(frame) else None
        out.append(
            {"lembar": lembar or "-", "baris": baris, "kolom": None, "huruf": "", "judul": "",
             "nilai": "", "tingkat": "error", "aturan": "data_referensi", "pesan": pesan}
        )  # fmt: skip
    return pd.DataFrame(out, columns=PROBLEM_COLUMNS)


def check_workbook(path: Path, tahun: int | None = None) -> tuple[Outcome, dict[str, pd.DataFrame]]:
    """The workbook's problems (nothing written) and its sheets as read."""
    frames = read_book(path)
    year = book_year(path, tahun)
    return Outcome(year, check_book(frames)), frames


def _stage_and_load(
    root: Path, tahun: int, frames: dict[str, pd.DataFrame], outcome: Outcome
) -> Path | None:
    """Stage the year and read it as a run would; None (and the problems) when it fails."""
    staged = stage_year(root, tahun, _year_files(frames))
    try:
        read_year_folder(tahun, root, staged)
    except ReferenceDataError as error:
        discard(staged)
        outcome.problems = sort_problems(
            pd.concat([outcome.problems, _loader_problems(error, frames)], ignore_index=True),
            list(labels()),
        )
        return None
    return staged


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def install_book(
    path: Path, engine: Engine, oleh: str, *, tahun: int | None = None, ganti: bool = False
) -> Outcome:
    """Check the workbook and, when nothing is wrong, install its year and record it."""
    root = writable_root()
    outcome, frames = check_workbook(path, tahun)
    year = outcome.tahun
    if not outcome.errors.empty:
        return outcome
    outcome.seeded = seed_root(root)
    if (root / str(year)).exists() and not ganti:
        raise TriwulanError(
            f"Data referensi {year} sudah terpasang di {root / str(year)}. Untuk menggantinya "
            "(yang lama disimpan di _arsip), ulangi dengan --ganti; untuk perubahan anggaran "
            "pertengahan tahun gunakan: triwulan referensi perubahan."
        )
    staged = _stage_and_load(root, year, frames, outcome)
    if staged is None:
        return outcome
    when = now()
    outcome.archived = swap_in(root, year, staged, when)
    outcome.installed = root / str(year)
    record_install(
        engine,
        tahun=year,
        jenis="ganti" if outcome.archived else "pasang",
        berkas=path.name,
        sha256=_digest(path),
        oleh=oleh,
        pada=when,
        folder=str(outcome.installed),
        arsip=str(outcome.archived) if outcome.archived else None,
    )
    return outcome


def realised_to_date(engine: Engine, tahun: int) -> pd.DataFrame:
    """The year's accepted realisation per sub-kegiatan, every quarter stored."""
    from triwulan.tasks.record.store import load_realisasi

    stored = load_realisasi(engine, tahun, 4)
    key = ["unit", "kode_sub_kegiatan"]
    if stored.empty:
        return pd.DataFrame(columns=[*key, "realisasi_keuangan"])
    return stored.groupby(key, as_index=False)["realisasi_keuangan"].sum()


def revise_year(path: Path, tahun: int, mulai: int, engine: Engine, oleh: str) -> Outcome:
    """Check the revision workbook against the installed year and what was realised; install it."""
    root = writable_root()
    folder = root / str(tahun)
    if not folder.is_dir():
        raise TriwulanError(
            f"Data referensi {tahun} belum terpasang di {root}: pasang dulu dengan "
            "triwulan referensi pasang."
        )
    outcome, frames = check_workbook(path, tahun)
    if not outcome.errors.empty:
        return outcome
    installed = read_year_text(folder)
    revision = revise(installed, frames, mulai, realised_to_date(engine, tahun))
    outcome.changes, outcome.notes = revision.changes, revision.notes
    if revision.problems:
        sheet_rows = pd.DataFrame(revision.problems)
        titles = {c.key: c.judul for c in labels()["anggaran"][1]}
        extra = sheet_rows.assign(
            judul=sheet_rows["kolom"].map(lambda k: titles.get(k, k) if k else ""),
            nilai="",
            tingkat="error",
            aturan="perubahan_anggaran",
        )
        outcome.problems = pd.concat(
            [outcome.problems, extra[PROBLEM_COLUMNS]], ignore_index=True
        ).astype(object)
        return outcome
    staged = _stage_and_load(root, tahun, revision.files, outcome)
    if staged is None:
        return outcome
    when = now()
    outcome.archived = swap_in(root, tahun, staged, when)
    outcome.installed = folder
    record_install(
        engine,
        tahun=tahun,
        jenis="perubahan",
        mulai_tw=mulai,
        berkas=path.name,
        sha256=_digest(path),
        oleh=oleh,
        pada=when,
        folder=str(folder),
        arsip=str(outcome.archived) if outcome.archived else None,
        changes=outcome.changes,
    )
    return outcome


def stamp(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M")
