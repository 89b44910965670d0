"""The two file rules every stage keeps: read only regular files, write atomically.

An inbox entry may be a symlink, FIFO, device or folder (a unit's mistake or a planted one):
it is judged on the descriptor actually opened and never followed. What a run writes (ledgers,
.eml, copies) appears complete or not at all.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import IO


class NotRegularFile(OSError):
    """An inbox entry that is not a regular file; `kind` says what it is (see entry_kind).

    An OSError whose filename is the entry, so callers that turn an OSError of the entry into a
    problem of that entry keep working; its message never names a link's target.
    """

    def __init__(self, path: Path | str, kind: str) -> None:
        super().__init__(errno.EINVAL, f"bukan berkas biasa ({kind})", str(path))
        self.kind = kind


def entry_kind(mode: int) -> str | None:
    """None for a regular file, else 'symlink', 'folder', 'fifo', 'device', 'socket', 'other'."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "other"


# O_NOFOLLOW: a symlink is refused by the kernel, not followed; O_NONBLOCK: a FIFO does not wait
# for a writer. Both are judged on the opened descriptor, so a swap after listing changes nothing.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def sha_of_regular(path: Path) -> str:
    """sha256 of a regular file, read without following a link (the unchanged-rerun digest)."""
    digest = hashlib.sha256()
    with os.fdopen(open_regular(path), "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_regular(path: Path, folder: Path, prefix: str = ".masuk-") -> tuple[str, Path, int]:
    """Copy a regular file into `folder` from its checked descriptor: (sha256, copy, size).

    Hashed while copying, so the copy is exactly the hashed bytes even when the entry changes
    meanwhile (a unit still copying it); only a regular file is read (open_regular). A write
    that fails (disk full) names `folder`, so it is never taken for a fault of the file read.
    """
    digest = hashlib.sha256()
    size = 0
    with (
        os.fdopen(open_regular(path), "rb") as source,
        tempfile.NamedTemporaryFile(
            dir=folder, prefix=prefix, suffix=path.suffix[:10], delete=False
        ) as copy,
    ):
        try:
            for block in iter(lambda: source.read(1 << 16), b""):
                digest.update(block)
                _store_write(copy, block, folder)
                size += len(block)
            _store_write(copy, b"", folder)  # flush: a full disk shows here at the latest
        except BaseException:
            Path(copy.name).unlink(missing_ok=True)
            raise
    return digest.hexdigest(), Path(copy.name), size


def open_regular(path: Path) -> int:
    """A read-only descriptor of `path` when it is a regular file; NotRegularFile otherwise.

    Never follows a symlink and never blocks on a FIFO, whatever `path` became since it was
    listed: the check is fstat on the descriptor actually opened.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        # ELOOP (EMLINK on BSD): the last component is a symlink; ENXIO: a socket or an absent
        # device. Say what the entry is when lstat agrees, else the error stays what it was.
        if exc.errno not in (
            errno.ELOOP,
            errno.EMLINK,
            errno.ENXIO,
            errno.ENODEV,
            errno.EOPNOTSUPP,
        ):
            raise
        try:
            kind = entry_kind(os.lstat(path).st_mode)
        except OSError:
            raise exc from None
        if kind is None:
            raise
        raise NotRegularFile(path, kind) from None
    try:
        kind = entry_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotRegularFile(path, kind)
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)  # a regular file: plain blocking reads from here on
    except BaseException:
        os.close(fd)
        raise
    return fd


def _store_write(tmp: IO[bytes], block: bytes, raw_dir: Path) -> None:
    """Write `block` to a copy (b"": flush it). A failure there (disk full) names the copy's
    folder: collect_quarter then fails the run instead of calling the unit's file unreadable
    (an OSError without a filename is taken as a fault of the file being read)."""
    try:
        if block:
            tmp.write(block)
        else:
            tmp.flush()
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(raw_dir)) from exc


def write_atomic(path: Path, data: bytes) -> None:
    """Write-then-rename, so a crash never leaves a half-written ledger or .eml behind."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
