"""Putting an accepted upload into the quarter's inbox: only regular files of our own making.

The inbox is a folder people and other programs write into, so a name there may be a planted
symlink, a FIFO or a folder. Nothing here follows a link: the folders on the way are opened one
at a time with O_NOFOLLOW (made when missing), and everything after works on the last one's
descriptor, so it cannot be swapped for a link in between. The file is written under a new
name opened with O_EXCL and O_NOFOLLOW, then renamed over the target name (a rename replaces a
link itself, never what it points to). The name is made from the unit's code, never from what
was uploaded.
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
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
PREFIX = "portal-"


def portal_name(unit: str, suffix: str, sheet: str | None = None) -> str:
    """'portal-perwira.xlsx'; an IKU sheet sent alone as CSV: 'portal-perwira-skm.csv'."""
    if not _UNIT_CODE.match(unit) or suffix not in (".xlsx", ".csv"):
        raise ValueError(f"kode unit atau akhiran tidak sah: {unit!r} {suffix!r}")
    return f"{PREFIX}{unit}{'-' + sheet if sheet else ''}{suffix}"


def open_folder(root: Path, *parts: str) -> int:
    """A descriptor of root/parts…, each part a real folder (made when missing), opened one
    level at a time without following a link: a link or a file there is refused, and no one
    can swap a folder for a link between our check and our write (the caller closes it)."""
    fd = os.open(root, _DIRECTORY)
    try:
        for part in parts:
            if not part or part in (".", "..") or "/" in part or os.sep in part:
                raise ValueError(f"bagian folder tidak sah: {part!r}")
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, dir_fd=fd)
            try:
                inner = os.open(part, _DIRECTORY | getattr(os, "O_NOFOLLOW", 0), dir_fd=fd)
            except OSError as exc:  # ELOOP (a link), ENOTDIR (a file)
                raise TriwulanError(
                    f"'{root.joinpath(*parts)}' di inbox bukan folder biasa (tautan simbolik atau "
                    "berkas): berkas unggahan tidak ditaruh di sana. Sekretariat perlu "
                    "memeriksanya."
                ) from exc
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def place(source: Path, folder: int, name: str) -> None:
    """A copy of `source` (a kept upload) as `name` in the folder `folder` (a descriptor of
    open_folder), complete or not at all."""
    if Path(name).name != name or name.startswith("."):
        raise ValueError(f"nama berkas tidak sah: {name!r}")
    tmp = f".{PREFIX}{os.getpid()}-{os.urandom(6).hex()}.tmp"
    out = os.open(tmp, _FLAGS, 0o644, dir_fd=folder)
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
            os.unlink(tmp, dir_fd=folder)
        raise
    os.close(out)
    try:
        os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=folder)
        raise TriwulanError(
            f"Berkas unggahan tidak dapat ditaruh sebagai '{name}' di folder inbox: "
            f"{exc.strerror}. Sekretariat perlu memeriksa folder itu."
        ) from exc


def set_aside(folder: int, names: list[str], keep: str, aside: Path) -> list[str]:
    """Move a unit's other regular files out of the inbox (two files of one unit reject both).

    `folder` is a descriptor of open_folder. Only names that are regular files (not followed)
    move; a link, FIFO or folder stays where it is for the run to report. `aside` is a folder
    of the out tree; moved names get a numbered prefix when the name is taken there already.
    """
    moved = []
    for name in names:
        if name == keep or Path(name).name != name or name in (".", ".."):
            continue
        try:
            if not stat.S_ISREG(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode):
                continue
        except FileNotFoundError:
            continue
        aside.mkdir(parents=True, exist_ok=True)
        target, n = aside / name, 1
        while target.exists():
            target, n = aside / f"{n}-{name}", n + 1
        try:
            os.rename(name, target, src_dir_fd=folder)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            src = os.open(name, _READ, dir_fd=folder)
            try:
                with os.fdopen(src, "rb", closefd=False) as data, target.open("xb") as copy:
                    shutil.copyfileobj(data, copy)
            finally:
                os.close(src)
            os.unlink(name, dir_fd=folder)
        moved.append(name)
    return moved
