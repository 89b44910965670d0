"""Putting an accepted upload into the quarter's inbox: only regular files of our own making.

The inbox is a folder people and other programs write into, so a name there may be a planted
symlink, a FIFO or a folder. Nothing here follows a link: each folder on the way is checked
with lstat (made when missing), the file is written under a new name opened with O_EXCL and
O_NOFOLLOW, then renamed over the target name (a rename replaces a link itself, never what it
points to). The name is made from the unit's code, never from what was uploaded.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
from pathlib import Path

from triwulan.tasks.core.errors import TriwulanError

_UNIT_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_READ = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
PREFIX = "portal-"


def portal_name(unit: str, suffix: str, sheet: str | None = None) -> str:
    """'portal-perwira.xlsx'; an IKU sheet sent alone as CSV: 'portal-perwira-skm.csv'."""
    if not _UNIT_CODE.match(unit) or suffix not in (".xlsx", ".csv"):
        raise ValueError(f"kode unit atau akhiran tidak sah: {unit!r} {suffix!r}")
    return f"{PREFIX}{unit}{'-' + sheet if sheet else ''}{suffix}"


def real_folder(root: Path, *parts: str) -> Path:
    """root/parts…, each part a real folder (made when missing); a link or file there is refused."""
    folder = root
    for part in parts:
        if not part or part in (".", "..") or "/" in part or os.sep in part:
            raise ValueError(f"bagian folder tidak sah: {part!r}")
        folder = folder / part
        try:
            info = os.lstat(folder)
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):
                os.mkdir(folder)
            info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode):
            raise TriwulanError(
                f"'{folder}' di inbox bukan folder biasa (tautan simbolik atau berkas): berkas "
                "unggahan tidak ditaruh di sana. Sekretariat perlu memeriksanya."
            )
    return folder


def place(source: Path, folder: Path, name: str) -> Path:
    """A copy of `source` (a kept upload) as folder/name, complete or not at all."""
    if Path(name).name != name or name.startswith("."):
        raise ValueError(f"nama berkas tidak sah: {name!r}")
    target = folder / name
    tmp = folder / f".{PREFIX}{os.getpid()}-{os.urandom(6).hex()}.tmp"
    out = os.open(tmp, _FLAGS, 0o644)
    try:
        src = os.open(source, _READ)
        try:
            while block := os.read(src, 1 << 20):
                view = memoryview(block)
                while view:
                    view = view[os.write(out, view) :]
        finally:
            os.close(src)
        os.fsync(out)
    except BaseException:
        os.close(out)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(out)
    try:
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise TriwulanError(
            f"Berkas unggahan tidak dapat ditaruh sebagai '{target}': {exc.strerror}. "
            "Sekretariat perlu memeriksa folder itu."
        ) from exc
    return target


def set_aside(folder: Path, names: list[str], keep: str, aside: Path) -> list[str]:
    """Move a unit's other regular files out of the inbox (two files of one unit reject both).

    Only names that are regular files (lstat) move; a link, FIFO or folder stays where it is for
    the run to report. `aside` is a folder of the out tree; moved names get a numbered prefix
    when the name is taken there already.
    """
    moved = []
    for name in names:
        if name == keep or Path(name).name != name or name in (".", ".."):
            continue
        path = folder / name
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue
        except FileNotFoundError:
            continue
        aside.mkdir(parents=True, exist_ok=True)
        target, n = aside / name, 1
        while target.exists():
            target, n = aside / f"{n}-{name}", n + 1
        try:
            os.rename(path, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            shutil.copy2(path, target, follow_symlinks=False)
            os.unlink(path)
        moved.append(name)
    return moved
