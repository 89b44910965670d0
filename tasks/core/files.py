"""The two file rules every stage keeps: read only regular files, write atomically.

An inbox entry may be a symlink, FIFO, device or folder (a unit's mistake or a planted one):
it is judged on the descriptor actually opened and never followed. What a run writes (ledgers,
.eml, copies) appears complete or not at all.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


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


@dataclass(frozen=True)
class Entry:
    """An inbox entry judged by lstat, never followed or opened (see look).

    `label`: how the unchanged-rerun digest (tasks.rerun.inbox_digest) names an entry whose
    bytes are not read: gone, not a regular file, or over the size limit; None for a regular
    file within the limit, which its content names. Collecting (tasks.collect.ingest.keep_each)
    and the digest judge an entry by this one function, so the digest a run records from what
    it kept equals the one taken of the same folder later.
    """

    info: os.stat_result | None
    error: OSError | None
    kind: str | None
    label: str | None


def look(path: Path, limit: int) -> Entry:
    """`path` judged without following or opening it: gone, its kind, over `limit` bytes."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return Entry(None, exc, None, f"hilang:{exc.errno}")
    kind = entry_kind(info.st_mode)
    if kind is not None:
        return Entry(info, None, kind, f"jenis:{kind}")
    if info.st_size > limit:
        return Entry(info, None, None, f"besar:{info.st_size}:{info.st_mtime_ns}")
    return Entry(info, None, None, None)


def fault_label(exc: OSError) -> str:
    """The digest's name of a regular file whose bytes could not be read (swapped, locked)."""
    if isinstance(exc, NotRegularFile):
        return f"jenis:{exc.kind}"
    return f"galat:{exc.errno}"


# O_NOFOLLOW: a symlink is refused by the kernel, not followed; O_NONBLOCK: a FIFO does not wait
# for a writer. Both are judged on the opened descriptor, so a swap after listing changes nothing.
# O_BINARY (Windows): os.read of a text-mode descriptor would turn CRLF into LF and stop at 0x1A.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_BINARY", 0)
)
# A copy is a new file of ours: O_EXCL never opens someone else's, O_NOFOLLOW never a link.
_COPY_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
READ_ONLY = 0o444  # raw copies: nobody rewrites a kept file, not even this program
WHOLE_MAX = 64 << 20  # a file up to this size is read in one go; a larger one in blocks
_BLOCK = 1 << 20
_copy_numbers = itertools.count()  # with the pid: unique copy names without random draws


@dataclass(frozen=True)
class Stored:
    """A regular file kept by content: its sha256 and size, where the bytes are, and whether
    this call wrote them (False: the content was there already)."""

    sha256: str
    size: int
    path: Path
    written: bool


def sha_of_regular(path: Path) -> str:
    """sha256 of a regular file, read without following a link (the unchanged-rerun digest)."""
    fd, info = _open_checked(path)
    try:
        data = _read_whole(fd, info.st_size, WHOLE_MAX)
        if data is not None:
            return hashlib.sha256(data).hexdigest()
        os.lseek(fd, 0, os.SEEK_SET)
        return _stream(fd, None)[0]
    finally:
        os.close(fd)


def store_regular(
    path: Path,
    folder: Path,
    target_of: Callable[[str], Path],
    limit: int = WHOLE_MAX,
    prefix: str = ".masuk-",
) -> Stored:
    """Keep a regular file at `target_of(sha256)`, read once from its checked descriptor.

    Hashed from the very bytes that are written: a unit may still be copying the file into the
    inbox, so hashing it apart from the copy could record one content and keep another. A file
    of at most `limit` bytes (the configured size limit, at most WHOLE_MAX) is read in one go,
    hashed, and written only when its content is not kept yet; a larger or still growing one is
    hashed while it is copied in blocks. The copy is made under a temporary name in `folder`
    and renamed into place, read-only, so a content name always holds complete bytes. A write
    that fails (disk full) names `folder`, never the file read (see _store_error).
    """
    sha, size, data, copy = _take(path, folder, prefix, limit)
    try:
        target = target_of(sha)
        if _exists(target, folder, size):
            return Stored(sha, size, target, False)
        if copy is None:
            copy = _write_copy(folder, prefix, path.suffix[:10], data or b"")
        _publish(copy, target, folder)
        copy = None  # renamed: nothing left to clean up
        return Stored(sha, size, target, True)
    finally:
        if copy is not None:
            _unlink_quietly(copy)


def copy_regular(
    path: Path, folder: Path, prefix: str = ".masuk-", limit: int = WHOLE_MAX
) -> tuple[str, Path, int]:
    """Copy a regular file into `folder` from its checked descriptor: (sha256, copy, size).

    Hashed from the bytes written, so the copy is exactly the hashed bytes even when the entry
    changes meanwhile (a unit still copying it); only a regular file is read (open_regular). A
    write that fails (disk full) names `folder`, so it is never taken for a fault of the file
    read. The copy is a new read-only file of its own (run --coba reads it, then drops it).
    """
    sha, size, data, copy = _take(path, folder, prefix, limit)
    if copy is None:
        copy = _write_copy(folder, prefix, path.suffix[:10], data or b"")
    return sha, Path(copy), size


def _take(
    path: Path, folder: Path, prefix: str, limit: int
) -> tuple[str, int, bytes | None, str | None]:
    """A regular file read once: (sha256, size, its bytes, None) when it fits `limit` (at most
    WHOLE_MAX), else (sha256, size, None, a copy in `folder` made block by block)."""
    fd, info = _open_checked(path)
    try:
        data = _read_whole(fd, info.st_size, min(limit, WHOLE_MAX))
        if data is not None:
            return hashlib.sha256(data).hexdigest(), len(data), data, None
        os.lseek(fd, 0, os.SEEK_SET)  # too large for memory: copy in blocks from the start
        sha, size, copy = _stream_copy(fd, folder, prefix, path.suffix[:10])
        return sha, size, None, copy
    finally:
        os.close(fd)


def open_regular(path: Path) -> int:
    """A read-only descriptor of `path` when it is a regular file; NotRegularFile otherwise.

    Never follows a symlink and never blocks on a FIFO, whatever `path` became since it was
    listed: the check is fstat on the descriptor actually opened.
    """
    return _open_checked(path)[0]


def _open_checked(path: Path) -> tuple[int, os.stat_result]:
    """open_regular, with the fstat it judged by (its size sizes the read)."""
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
        info = os.fstat(fd)
        kind = entry_kind(info.st_mode)
        if kind is not None:
            raise NotRegularFile(path, kind)
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)  # a regular file: plain blocking reads from here on
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def _read_whole(fd: int, expected: int, most: int) -> bytes | None:
    """Everything from `fd` to its end when that is at most `most` bytes, else None.

    `expected` is fstat's size: one read of one byte more sees a file that is still growing,
    and reading on to the end (an empty read) keeps a short read from passing for the end.
    """
    if expected > most:
        return None
    data = os.read(fd, expected + 1)
    total, chunks = len(data), [data]
    if total > most:  # grown past the limit since fstat
        return None
    while block := os.read(fd, min(_BLOCK, most + 1 - total)):
        total += len(block)
        if total > most:
            return None
        chunks.append(block)
    return data if len(chunks) == 1 else b"".join(chunks)


def _stream(fd: int, write: Callable[[bytes], None] | None) -> tuple[str, int]:
    """sha256 and size of the rest of `fd`, each block handed to `write` once hashed."""
    digest, size = hashlib.sha256(), 0
    while block := os.read(fd, _BLOCK):
        digest.update(block)
        if write is not None:
            write(block)
        size += len(block)
    return digest.hexdigest(), size


def _stream_copy(fd: int, folder: Path, prefix: str, suffix: str) -> tuple[str, int, str]:
    """A large file hashed while copied block by block: (sha256, size, copy)."""
    out, copy = _new_copy(folder, prefix, suffix)
    try:
        try:
            sha, size = _stream(fd, lambda block: _write_all(out, block, folder))
        finally:
            _close_copy(out, folder)
    except BaseException:
        _unlink_quietly(copy)
        raise
    return sha, size, copy


def _new_copy(folder: Path, prefix: str, suffix: str) -> tuple[int, str]:
    """A new file of ours in `folder`, named by pid and a counter (no random names to draw).

    O_EXCL: a name left behind by a dead run that had the same pid is skipped, never reused.
    Created read-only; the descriptor may still write it (the mode applies to later opens).
    """
    pid = os.getpid()
    while True:
        copy = os.path.join(folder, f"{prefix}{pid}-{next(_copy_numbers)}{suffix}")
        try:
            fd = os.open(copy, _COPY_FLAGS, READ_ONLY)
        except FileExistsError:
            continue
        except OSError as exc:
            raise _store_error(exc, folder) from exc
        try:
            # whatever the umask took away; Windows before Python 3.13 has no fchmod, and there
            # the mode given to os.open already makes the file read-only
            if hasattr(os, "fchmod"):
                os.fchmod(fd, READ_ONLY)
        except BaseException as exc:
            os.close(fd)
            _unlink_quietly(copy)
            if isinstance(exc, OSError):
                raise _store_error(exc, folder) from exc
            raise
        return fd, copy


def _write_copy(folder: Path, prefix: str, suffix: str, data: bytes) -> str:
    """`data` as a new complete copy in `folder` (removed again when writing fails)."""
    fd, copy = _new_copy(folder, prefix, suffix)
    try:
        try:
            _write_all(fd, data, folder)
        finally:
            _close_copy(fd, folder)
    except BaseException:
        _unlink_quietly(copy)
        raise
    return copy


def _write_all(fd: int, data: bytes, folder: Path) -> None:
    """All of `data`: a write may take part of it (a disk filling up says so at the next)."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise _store_error(exc, folder) from exc


def _close_copy(fd: int, folder: Path) -> None:
    try:
        os.close(fd)  # a network disk may only say at close that it is full
    except OSError as exc:
        raise _store_error(exc, folder) from exc


def _publish(copy: str, target: Path, folder: Path) -> None:
    """A complete copy renamed to its content name; its sub-folder is made when missing."""
    try:
        try:
            os.replace(copy, target)
        except FileNotFoundError:
            os.makedirs(target.parent, exist_ok=True)
            os.replace(copy, target)
    except OSError as exc:
        _unlink_quietly(copy)
        raise _store_error(exc, folder) from exc
    except BaseException:
        _unlink_quietly(copy)
        raise


def _exists(target: Path, folder: Path, size: int) -> bool:
    """The content is kept already (a rerun, or two units' identical files).

    A kept file of another size was cut short (a crash before the disk had it all): it is
    written again rather than trusted.
    """
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _store_error(exc, folder) from exc
    return info.st_size == size


def _unlink_quietly(copy: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(copy)


def _store_error(exc: OSError, folder: Path) -> OSError:
    """A fault of the store (disk full, no permission) named by the store's folder.

    collect_quarter then fails the run instead of calling the unit's file unreadable: an
    OSError without a filename, or with the entry's own, is taken as a fault of the file read.
    """
    return OSError(exc.errno, exc.strerror, str(folder))


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
