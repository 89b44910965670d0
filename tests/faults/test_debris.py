"""Issue 14 part 3: a run that dies mid-write leaves no debris, and versions have no silent gaps.

Real faults only: the disk really fills (a small tmpfs mounted over the part of the out folder
that must run full, a ballast file leaving just enough room) and the run is really killed with
SIGKILL. Each case is then run again with room to spare, as the clerk would after freeing space.

The out folder itself stays on the big disk: the run refuses up front when it has less than
TRIWULAN_BATAS_RUANG_DISK_MB (at least 20 MiB) free, so the disk must fill mid-run. What a TW1
run of the sample writes (measured with `du` on tmpfs, 4 KiB pages):

- store/raw: 7 files, 16 KiB each (one 48 KiB), sorted by name: Kaliabang, Laporan, RFK, ...
- the version folder, in the order written: summary.json 20 KiB, rincian.json 48 KiB, then
  data-docs/: Great Expectations copies its whole static folder (~4.2 MB) and the run prunes it
  to ~12 KiB afterwards, so a version needs ~4.4 MB at its peak although only ~1.9 MB stays;
  then validasi.html 32 KiB, e81.json 40 KiB, three charts ~184 KiB, laporan.html ~352 KiB,
  rekap.xlsx ~40 KiB; after the rename to v<k>/ the outbox (~880 KiB, the leadership mail
  carries the report) and lampiran-unit/ (~40 KiB).
- log/: nothing when all goes well (the run's log file is written on a failure only).

With less than that peak free, Data Docs (optional: its failure is only logged) take what is left
and the next file of the version, validasi.html, is the write that fails. Each small disk is
8 MiB, so that after the ballast is deleted the half-made v1.gagal/ and a whole v2 fit.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults import hostile
from tests.faults.hostile import alive, cli_env, descendants
from triwulan.paths import SAMPLE_DIR

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="tmpfs mounts, /proc and SIGKILL are Linux's"
)

PERIOD = "2024-TW1"
ENV = {"TRIWULAN_BATAS_RUANG_DISK_MB": "20"}  # the smallest allowed; the out disk has far more
RAW_ROOM = 40 << 10  # two raw copies (2 x 16 KiB) fit, the third does not
VERSION_ROOM = 640 << 10  # summary and rincian fit, the Data Docs peak (~4.2 MB) does not
NO_ROOM = 8 << 10  # the write probes of open_quarter (one page) pass, nothing bigger fits
DEBRIS = (".v*.sedang", ".masuk-*", ".tulis-uji-*", ".*.tmp")

# --- disks that really run full -------------------------------------------------------------

MS_BIND = 4096
MNT_DETACH = 2
_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str, target: Path, fstype: str | None, flags: int, data: str | None) -> None:
    result = _libc.mount(
        source.encode(),
        str(target).encode(),
        fstype.encode() if fstype else None,
        flags,
        data.encode() if data else None,
    )
    if result == 0:
        return
    code = ctypes.get_errno()
    if code in (errno.EPERM, errno.EACCES):
        message = f"cannot mount a tmpfs here ({os.strerror(code)}): needs root with CAP_SYS_ADMIN"
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI the disk-full tests must run, never skip silently
        pytest.skip(message)
    raise OSError(code, f"mount {source} on {target}: {os.strerror(code)}")


def _unmount(target: Path) -> None:
    if _libc.umount2(str(target).encode(), 0) != 0:
        _libc.umount2(str(target).encode(), MNT_DETACH)  # a process still in it: detach


@contextlib.contextmanager
def small_disk(where: Path, size_kb: int = 8192, *binds: Path) -> Iterator[Path]:
    """A tmpfs of `size_kb` at `where`; each of `binds` shows a folder of it (one disk)."""
    where.mkdir(parents=True, exist_ok=True)
    _mount("tmpfs", where, "tmpfs", 0, f"size={size_kb}k,mode=0755")
    mounted = [where]
    try:
        for target in binds:
            (where / target.name).mkdir(exist_ok=True)
            target.mkdir(parents=True, exist_ok=True)
            _mount(str(where / target.name), target, None, MS_BIND, None)
            mounted.append(target)
        yield where
    finally:
        for target in reversed(mounted):
            _unmount(target)


def free_bytes(folder: Path) -> int:
    info = os.statvfs(folder)
    return info.f_bavail * info.f_frsize


def fill(disk: Path, room: int) -> Path:
    """A ballast file taking all of `disk` but `room` bytes."""
    ballast = disk / ".ballast"
    fd = os.open(ballast, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        os.posix_fallocate(fd, 0, free_bytes(disk) - room)
    finally:
        os.close(fd)
    assert free_bytes(disk) <= room
    return ballast


# --- the run and what it leaves ------------------------------------------------------------


@pytest.fixture
def quarter(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE_DIR / "inbox" / "2024" / "TW1", tmp_path / "inbox" / "2024" / "TW1")
    return tmp_path


def run(root: Path):
    args = ["run", PERIOD, "--inbox", str(root / "inbox"), "--out", str(root / "out")]
    return hostile.run_cli(args, root, ENV)


def status(root: Path) -> str:
    result = hostile.run_cli(["status", PERIOD, "--out", str(root / "out")], root, ENV)
    assert result.returncode == 0, result.stderr
    return result.stdout


def one_line(result) -> str:
    """A failed run tells the person at the keyboard one line, never a traceback."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    for text in (result.stdout, result.stderr):
        assert "Traceback" not in text
        assert "Logging error" not in text
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def runs(out: Path) -> list[tuple[int, str, str | None]]:
    with contextlib.closing(sqlite3.connect(out / "triwulan.sqlite")) as db:
        return db.execute(
            "SELECT versi, status, pesan FROM runs WHERE periode = ? ORDER BY id", (PERIOD,)
        ).fetchall()


def locks(out: Path) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(out / "triwulan.sqlite")) as db:
        return db.execute("SELECT * FROM kunci").fetchall()


def debris(out: Path) -> list[Path]:
    return sorted(p for pattern in DEBRIS for p in out.rglob(pattern))


def folders(out: Path) -> list[str]:
    quarter_folder = out / "2024" / "TW1"
    return sorted(p.name for p in quarter_folder.iterdir()) if quarter_folder.is_dir() else []


def assert_clean_rerun(root: Path, version: int) -> str:
    """Room again: the rerun makes `version`, and nothing half-done or `berjalan` is left."""
    out = root / "out"
    again = run(root)
    assert again.returncode == 0, (again.stdout, again.stderr)
    assert "Traceback" not in again.stderr + again.stdout
    assert f"{PERIOD} versi {version}:" in again.stdout
    assert (out / "2024" / "TW1" / f"v{version}" / "laporan.html").is_file()
    assert debris(out) == []
    assert [r for r in runs(out) if r[1] == "berjalan"] == []
    assert runs(out)[-1][:2] == (version, "selesai")
    assert locks(out) == []
    return again.stdout


# --- the disk fills ------------------------------------------------------------------------


def test_disk_full_at_the_raw_store(quarter: Path) -> None:
    """Copying the inbox into store/raw fails: a fault of the run, not of the units' files.

    No version number is used yet, so the rerun makes v1; never a version of 'unreadable' files
    with a feedback mail telling each unit its good file could not be read.
    """
    out = quarter / "out"
    raw = out / "store" / "raw"
    with small_disk(raw) as disk:
        ballast = fill(disk, RAW_ROOM)
        result = run(quarter)
        line = one_line(result)
        assert "disk penuh" in line and str(raw) in line, line
        assert folders(out) == []  # no version started
        assert runs(out) == []
        assert locks(out) == []
        assert debris(out) == []  # no half-copied .masuk- file in the store
        ballast.unlink()
        assert_clean_rerun(quarter, 1)
        assert folders(out) == ["v1"]


def test_disk_full_while_writing_the_version_folder(quarter: Path) -> None:
    """The version folder does not fit: v1.gagal/ stays, the run is `gagal` with why, the rerun
    is v2 (v1 is never reused: a version number stays with what it was given to)."""
    out = quarter / "out"
    quarter_folder = out / "2024" / "TW1"
    with small_disk(out / "2024") as disk:
        ballast = fill(disk, VERSION_ROOM)
        result = run(quarter)
        line = one_line(result)
        assert "disk penuh" in line, line
        assert folders(out) == ["v1.gagal"]
        assert (quarter_folder / "v1.gagal" / "summary.json").is_file()  # what it got to
        assert not (quarter_folder / "v1.gagal" / "rekap.xlsx").exists()
        assert debris(out) == []
        (v1,) = runs(out)
        assert v1[:2] == (1, "gagal") and v1[2].startswith("disk penuh saat menulis '"), v1
        assert locks(out) == []
        ballast.unlink()
        assert_clean_rerun(quarter, 2)
        assert "v1.gagal" in folders(out) and "v1" not in folders(out)
        history = status(quarter)
        row = next(x for x in history.splitlines() if x.strip().startswith("v1 "))
        assert "gagal" in row, history
        flat = " ".join(history.split())
        assert " ".join(v1[2].split()) in flat, history  # why v1 failed, in Indonesian


def test_disk_full_for_the_log_as_well(quarter: Path) -> None:
    """The log folder and the quarter's folder on one disk with no room left: the traceback
    cannot be written either. Still one line, no '--- Logging error ---', and the line does not
    send the clerk to a log file that holds nothing."""
    out = quarter / "out"
    log = out / "log"
    with small_disk(quarter / "disk", 8192, log, out / "2024") as disk:
        ballast = fill(disk, NO_ROOM)
        result = run(quarter)
        line = one_line(result)
        assert "disk penuh" in line, line
        # the traceback did not fit (an empty or cut-short file): the line does not point to it
        assert "Rincian teknis tidak dapat ditulis" in line, line
        assert debris(out) == []
        assert folders(out) == ["v1.gagal"]
        (v1,) = runs(out)
        assert v1[:2] == (1, "gagal") and v1[2], v1
        assert locks(out) == []
        ballast.unlink()
        assert_clean_rerun(quarter, 2)
        assert "v1.gagal" in folders(out) and "v1" not in folders(out)
        assert v1[2] in status(quarter)


# --- the run is killed ---------------------------------------------------------------------


def test_killed_while_writing_the_version_folder(quarter: Path) -> None:
    """kill -9 while v1 is being written: .v1.sedang/, a `berjalan` row and the lock are left
    behind; the next run says so in one line, keeps v1.gagal/, marks v1 terhenti and makes v2."""
    out = quarter / "out"
    quarter_folder = out / "2024" / "TW1"
    args = ["run", PERIOD, "--inbox", str(quarter / "inbox"), "--out", str(out)]
    prefix = hostile.NO_DAC if os.geteuid() == 0 else []
    proc = subprocess.Popen(
        [*prefix, sys.executable, "-m", "triwulan.cli", *args],
        cwd=quarter,
        env=cli_env(quarter),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: list[int] = []
    try:
        deadline = time.monotonic() + 300
        while not (quarter_folder / ".v1.sedang").exists():
            assert proc.poll() is None, f"the run ended ({proc.returncode}) before writing v1"
            assert time.monotonic() < deadline, "the run never started writing v1"
            time.sleep(0.005)
        children = descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)  # like the OOM killer or a power cut: nothing runs
        proc.wait()
        deadline = time.monotonic() + 20
        while any(alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = [c for c in children if alive(c)]
        assert survivors == [], "children of the killed run outlived it"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for child in children:
            if alive(child):
                with contextlib.suppress(OSError):
                    os.kill(child, signal.SIGKILL)
    # killed mid-write: the half-made version, the run row and the lock of a dead process
    assert folders(out) == [".v1.sedang"]
    assert [r[:2] for r in runs(out)] == [(1, "berjalan")]
    assert len(locks(out)) == 1

    told = assert_clean_rerun(quarter, 2)
    assert f"{PERIOD}: run v1 sebelumnya terhenti sebelum selesai" in told
    assert "v1.gagal" in folders(out) and "v1" not in folders(out)
    assert [r[:2] for r in runs(out)] == [(1, "terhenti"), (2, "selesai")]
    history = status(quarter)
    row = next(x for x in history.splitlines() if x.strip().startswith("v1 "))
    assert "terhenti" in row, history
    assert "berhenti sebelum selesai" in history, history
