"""Installing a year folder under the reference root: staged beside it, then renamed into place.

The root is the configured one (`[folder] referensi`, TRIWULAN_REFERENCE), never the data
installed with the package: an upgrade would overwrite it, and it may be read-only. A new root
starts from the package's shared tables (and, when it holds no year yet, the package's years), so
the years reported before keep working. A year is written whole into a hidden folder beside its
place, checked there, then renamed: a run never reads half a year. A year replaced (`--ganti`, a
revision) moves to `_arsip/<tahun>-<waktu>/` first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import tempfile
from pathlib import Path

from triwulan.paths import PACKAGED_REFERENCE, configured_reference_root
from triwulan.tasks.core.errors import TriwulanError

ARCHIVE = "_arsip"
STAGING_PREFIX = ".pasang-"
YEAR_RE = re.compile(r"^\d{4}$")
# the workbook's contract (sheet, file, keys) is the package's: never copied to go stale
PACKAGE_ONLY = ("kolom_referensi.csv",)


def writable_root() -> Path:
    """The configured reference root, refused when it is the package's own data."""
    root = configured_reference_root()
    if root.resolve() == PACKAGED_REFERENCE.resolve():
        raise TriwulanError(
            "Folder data referensi belum diatur: data bawaan paket tidak boleh diubah (tertimpa "
            "saat pembaruan). Isi [folder] referensi di triwulan.toml (misalnya referensi = "
            '"referensi") atau TRIWULAN_REFERENCE, lalu ulangi perintah ini.'
        )
    return root


def years_in(root: Path) -> list[int]:
    """The year folders under a root, oldest first."""
    if not root.is_dir():
        return []
    return sorted(int(p.name) for p in root.iterdir() if p.is_dir() and YEAR_RE.match(p.name))


def seed_root(root: Path) -> list[str]:
    """Give a new root the package's shared tables (and its years, when it has none): what came."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TriwulanError(
            f"Folder data referensi '{root}' tidak dapat dibuat ({exc.strerror or exc})."
        ) from exc
    copied = []
    first = not years_in(root)
    for source in sorted(PACKAGED_REFERENCE.iterdir()):
        target = root / source.name
        if source.name in PACKAGE_ONLY:
            continue
        if source.is_file() and source.suffix in (".csv", ".toml") and not target.exists():
            shutil.copy2(source, target)
            copied.append(source.name)
        elif first and source.is_dir() and YEAR_RE.match(source.name):
            shutil.copytree(source, target)
            copied.append(f"{source.name}/")
    return copied


def stage_year(root: Path, tahun: int, files: dict[str, bytes]) -> Path:
    """The year's files written and synced into a hidden folder beside its place."""
    staged = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{tahun}-", dir=root))
    # mkdtemp makes it private (0700); a year folder is read by the service account too
    umask = os.umask(0)
    os.umask(umask)
    staged.chmod(0o777 & ~umask)
    for name, data in files.items():
        with open(staged / name, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    return staged


def discard(staged: Path) -> None:
    shutil.rmtree(staged, ignore_errors=True)


def swap_in(
    root: Path, tahun: int, staged: Path, when: dt.datetime, *, replace: bool
) -> Path | None:
    """Rename the staged folder into place; an existing year first moves to the archive.

    Returns where the replaced year now lives (None for a new year). A year already there is
    refused (FileExistsError) unless `replace`. Should the second rename fail, the old year is
    put back and an archive folder made for it alone is removed.
    """
    target = root / str(tahun)
    archived = None
    made_archive = False
    if target.exists():
        if not replace:
            raise FileExistsError(target)
        archive = root / ARCHIVE
        made_archive = not archive.exists()
        archive.mkdir(exist_ok=True)
        stamp = when.strftime("%Y%m%d-%H%M%S")
        archived = archive / f"{tahun}-{stamp}"
        n = 1
        while archived.exists():
            n += 1
            archived = archive / f"{tahun}-{stamp}-{n}"
        os.rename(target, archived)
    try:
        os.rename(staged, target)
    except OSError:
        if archived is not None:
            os.rename(archived, target)
            if made_archive:
                with contextlib.suppress(OSError):
                    archived.parent.rmdir()
        raise
    _sync_dir(root)
    return archived


def _sync_dir(folder: Path) -> None:
    """The renames survive a power cut (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
