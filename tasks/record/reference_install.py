"""`triwulan referensi periksa / pasang / perubahan`: check a workbook, install it, record it.

Installing = the workbook's checks (expectations/referensi.json), then the year written into a
staged folder and read back by the same loader a run uses (every check of a year folder), then
renamed into place, then recorded. Nothing is installed while any check says no.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tempfile
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
from triwulan.tasks.record.lock import quarter_lock
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


YEARS = range(2000, 2101)
LOCK_WAIT_S = 30.0


def check_workbook(path: Path, tahun: int | None = None) -> tuple[Outcome, dict[str, pd.DataFrame]]:
    """The workbook's problems and its sheets as read; nothing is written where it matters.

    The same verdict as pasang: the workbook's own checks, then (when they pass) the year as
    a run would load it, from a throwaway folder.
    """
    frames = read_book(path)
    year = book_year(path, tahun)
    if year not in YEARS:
        raise TriwulanError(f"Tahun anggaran {year} tidak masuk akal (2000 sampai 2100).")
    outcome = Outcome(year, check_book(frames))
    if outcome.errors.empty:
        with tempfile.TemporaryDirectory(prefix="triwulan-periksa-") as scratch:
            root = _shared_root()
            staged = Path(scratch) / str(year)
            staged.mkdir()
            for name, data in _year_files(frames).items():
                (staged / name).write_bytes(data)
            _load_into(outcome, year, root, staged, frames)
    return outcome, frames


def _shared_root() -> Path:
    """Where the shared tables are read from: the configured root once it has them."""
    from triwulan.paths import PACKAGED_REFERENCE, configured_reference_root

    root = configured_reference_root()
    return root if (root / "predikat.csv").is_file() else PACKAGED_REFERENCE


def _load_into(
    outcome: Outcome, year: int, root: Path, folder: Path, frames: dict[str, pd.DataFrame]
) -> bool:
    """Read `folder` as a run would; its problems, at their sheet rows, into `outcome`."""
    try:
        read_year_folder(year, root, folder)
    except ReferenceDataError as error:
        outcome.problems = sort_problems(
            pd.concat([outcome.problems, _loader_problems(error, frames)], ignore_index=True),
            list(labels()),
        )
        return False
    return True


def _stage_and_load(
    root: Path, tahun: int, frames: dict[str, pd.DataFrame], outcome: Outcome
) -> Path | None:
    """Stage the year beside its place and read it as a run would; None when it fails."""
    staged = stage_year(root, tahun, _year_files(frames))
    if not _load_into(outcome, tahun, root, staged, frames):
        discard(staged)
        return None
    return staged


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _put_in_place(
    root: Path, tahun: int, staged: Path, replace: bool
) -> tuple[Path | None, dt.datetime]:
    """Rename the staged year into place (the old one archived when `replace`)."""
    when = now()
    try:
        return swap_in(root, tahun, staged, when, replace=replace), when
    except FileExistsError:
        discard(staged)
        raise TriwulanError(_installed_already(root, tahun)) from None
    except OSError as exc:
        discard(staged)
        raise TriwulanError(
            f"Data referensi {tahun} tidak dapat dipindahkan ke {root / str(tahun)} "
            f"({exc.strerror or exc}); yang lama tetap terpasang. Tutup berkas dari folder itu "
            "yang sedang terbuka (misalnya di Excel), lalu ulangi."
        ) from exc


def _installed_already(root: Path, year: int) -> str:
    return (
        f"Data referensi {year} sudah terpasang di {root / str(year)}. Untuk menggantinya "
        "(yang lama disimpan di _arsip), ulangi dengan --ganti; untuk perubahan anggaran "
        "pertengahan tahun gunakan: triwulan referensi perubahan."
    )


def install_book(
    path: Path, engine: Engine, oleh: str, *, tahun: int | None = None, ganti: bool = False
) -> Outcome:
    """Check the workbook and, when nothing is wrong, install its year and record it."""
    root = writable_root()
    outcome, frames = check_workbook(path, tahun)
    year = outcome.tahun
    if not outcome.errors.empty:
        return outcome
    with quarter_lock(engine, f"referensi-{year}", LOCK_WAIT_S):
        outcome.seeded = seed_root(root)
        if (root / str(year)).exists() and not ganti:
            raise TriwulanError(_installed_already(root, year))
        staged = _stage_and_load(root, year, frames, outcome)
        if staged is None:
            return outcome
        outcome.archived, when = _put_in_place(root, year, staged, ganti)
        outcome.installed = root / str(year)
        reported = sorted(set(realised_to_date(engine, year)["triwulan"]))
        if outcome.archived and reported:
            outcome.notes.append(
                f"Tahun {year} sudah punya realisasi yang diterima ("
                + ", ".join(f"TW {int(q)}" for q in reported)
                + "): laporan yang dijalankan ulang memakai data yang baru dipasang. Untuk "
                "perubahan anggaran pertengahan tahun gunakan triwulan referensi perubahan, yang "
                "menjaga triwulan yang sudah lewat."
            )
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
    """The year's accepted realisation per sub-kegiatan and quarter, every quarter stored."""
    from triwulan.tasks.record.store import load_realisasi

    stored = load_realisasi(engine, tahun, 4)
    key = ["unit", "kode_sub_kegiatan", "triwulan"]
    if stored.empty:
        return pd.DataFrame(columns=[*key, "realisasi_keuangan"])
    return stored.groupby(key, as_index=False)["realisasi_keuangan"].sum()


def _revision_problems(problems: list[dict[str, object]]) -> pd.DataFrame:
    rows = pd.DataFrame(problems)
    titles = {c.key: c.judul for c in labels()["anggaran"][1]}
    return rows.assign(
        judul=rows["kolom"].map(lambda k: titles.get(k, k) if k else ""),
        nilai="",
        tingkat="error",
        aturan="perubahan_anggaran",
    )[PROBLEM_COLUMNS]


def revise_year(path: Path, tahun: int, mulai: int, engine: Engine, oleh: str) -> Outcome:
    """Check the revision workbook against the installed year and what was realised; install it."""
    root = writable_root()
    folder = root / str(tahun)
    if not folder.is_dir():
        raise TriwulanError(
            f"Data referensi {tahun} belum terpasang di {root}: pasang dulu dengan "
            "triwulan referensi pasang."
        )
    try:
        named = book_year(path, None)
    except TriwulanError:
        named = tahun
    if named != tahun:
        raise TriwulanError(
            f"Buku kerja {path.name} untuk tahun {named}, bukan {tahun}. Buat buku kerja "
            f"perubahan dengan: triwulan referensi templat {tahun} --dari {tahun}."
        )
    outcome, frames = check_workbook(path, tahun)
    if not outcome.errors.empty:
        return outcome
    with quarter_lock(engine, f"referensi-{tahun}", LOCK_WAIT_S):
        installed = read_year_text(folder)  # read under the lock: no revision is lost
        revision = revise(installed, frames, mulai, realised_to_date(engine, tahun))
        outcome.changes, outcome.notes = revision.changes, revision.notes
        if revision.problems:
            outcome.problems = pd.concat(
                [outcome.problems, _revision_problems(revision.problems)], ignore_index=True
            ).astype(object)
            return outcome
        if not revision.files:  # nothing changed: nothing to install or record
            return outcome
        staged = _stage_and_load(root, tahun, revision.files, outcome)
        if staged is None:
            return outcome
        outcome.archived, when = _put_in_place(root, tahun, staged, True)
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
