"""Only regular files of the inbox are read (issue 14): every other entry is named, never opened.

Real entries on a real file system: symlinks (to a secret outside the inbox, to /dev/zero, to a
folder, dangling), a FIFO, a folder named like a file, a character device and a Unix socket. A
secret marker that must never show up: not in the raw store, the database, the version folder,
the mails (decoded, attachments included) or Prefect's logs.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
import json
import os
import shutil
import signal
import socket
import sqlite3
import stat
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.faults import hostile
from tests.smtp_server import SmtpTestServer
from triwulan.paths import SAMPLE_DIR
from triwulan.tasks.collect.ingest import FileProblem, collect_quarter, find_submissions
from triwulan.tasks.core import files
from triwulan.tasks.record import database, store

TW1 = SAMPLE_DIR / "inbox" / "2024" / "TW1"
GOOD = "Realisasi TW1 Kel Perwira.csv"
UNIT_LINK = "Kel Harapan Jaya TW1.csv"  # named after a sample unit
KINDS = {
    "symlink": "adalah tautan (symlink), bukan berkas biasa",
    "folder": "adalah folder, bukan berkas",
    "fifo": "adalah pipa (FIFO/named pipe), bukan berkas biasa",
    "device": "adalah berkas perangkat (device), bukan berkas biasa",
    "socket": "adalah soket (socket), bukan berkas biasa",
}


@contextlib.contextmanager
def deadline(seconds: int = 10) -> Iterator[None]:
    """Fail instead of hanging: a blocking open of a FIFO or an endless read of /dev/zero."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"blocked for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


class Inbox:
    """A quarter folder with one good CSV, a secret outside it, and a real raw store."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.quarter = root / "inbox" / "2024" / "TW1"
        self.quarter.mkdir(parents=True)
        self.marker = f"RAHASIA-{uuid.uuid4().hex}"
        self.secret = root / "di-luar" / f"kunci-{uuid.uuid4().hex}.env"
        self.secret.parent.mkdir()
        self.secret.write_text(f"tahun,unit\n2024,{self.marker}\n", encoding="utf-8")
        good = "tahun,unit,kode_sub_kegiatan,realisasi_keuangan\n2024,perwira,7.01,5\n"
        (self.quarter / GOOD).write_text(good, encoding="utf-8")
        self.raw = root / "out" / "store" / "raw"
        self.raw.mkdir(parents=True)
        self.engine = database.open_store(f"sqlite:///{root / 'out' / 'triwulan.sqlite'}")

    def keep(self, path: Path) -> tuple[str, Path]:
        """What steps_collect.collect does: the raw store's copy, by content."""
        sha = store.keep_raw(self.engine, path, self.raw)
        return sha, store.raw_path(self.raw, sha, path.suffix)

    def collect(self, keep: Callable[[Path], tuple[str, Path]] | None = None):
        with deadline():
            return collect_quarter(find_submissions(self.quarter), keep or self.keep)

    def kept_names(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(store.berkas.c.nama_berkas)).scalars())

    def assert_secret_untouched(self, *texts: str) -> None:
        """Neither the marker nor the secret's name is in the store or in what was said."""
        for path in self.raw.rglob("*"):
            if path.is_file():
                assert self.marker.encode() not in path.read_bytes(), path
        for text in texts:
            assert self.marker not in text and self.secret.name not in text
            assert str(self.secret.parent) not in text  # the link target is never named


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[Inbox]:
    made = Inbox(tmp_path)
    yield made
    made.engine.dispose()


def make_symlink_to_secret(box: Inbox, name: str) -> None:
    (box.quarter / name).symlink_to(box.secret)


def make_symlink_to_zero(box: Inbox, name: str) -> None:
    (box.quarter / name).symlink_to("/dev/zero")


def make_dangling_symlink(box: Inbox, name: str) -> None:
    (box.quarter / name).symlink_to(box.root / "tidak-ada" / "apa-pun.xlsx")


def make_symlink_to_folder(box: Inbox, name: str) -> None:
    (box.quarter / name).symlink_to(box.secret.parent, target_is_directory=True)


def make_fifo(box: Inbox, name: str) -> None:
    os.mkfifo(box.quarter / name)


def make_folder(box: Inbox, name: str) -> None:
    (box.quarter / name).mkdir()
    shutil.copy(box.secret, box.quarter / name / "isi.csv")  # its content is never read


def make_device(box: Inbox, name: str) -> None:
    try:  # 1:5 is /dev/zero: read once, it never ends
        os.mknod(box.quarter / name, stat.S_IFCHR | 0o644, os.makedev(1, 5))
    except PermissionError as exc:
        message = f"mknod not permitted here (no CAP_MKNOD): {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI runs as root: the device case must run, never skip
        pytest.skip(message)


def make_socket(box: Inbox, name: str) -> socket.socket:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    cwd = Path.cwd()
    os.chdir(box.quarter)  # a relative name: the path of a socket is limited to 108 bytes
    try:
        listener.bind(name)
    finally:
        os.chdir(cwd)
    listener.listen(1)
    return listener


ENTRIES = [
    (UNIT_LINK, make_symlink_to_secret, "symlink"),
    ("nol.csv", make_symlink_to_zero, "symlink"),
    ("hilang.xlsx", make_dangling_symlink, "symlink"),
    ("folder-tautan.xlsx", make_symlink_to_folder, "symlink"),
    ("pipa.csv", make_fifo, "fifo"),
    ("x.xlsx", make_folder, "folder"),
    ("perangkat.csv", make_device, "device"),
    ("soket.csv", make_socket, "socket"),
]


@pytest.mark.parametrize(
    ("name", "make", "kind"), ENTRIES, ids=[f"{m.__name__[5:]}" for _, m, _ in ENTRIES]
)
def test_an_entry_that_is_no_regular_file_is_named_and_never_read(
    inbox: Inbox, name: str, make: Callable[[Inbox, str], object], kind: str
) -> None:
    made = make(inbox, name)
    try:
        assert inbox.quarter / name in find_submissions(inbox.quarter)
        received = inbox.collect()
    finally:
        if isinstance(made, socket.socket):
            made.close()
    [problem] = received.file_problems
    assert problem.file == name
    assert problem.message.startswith(f"'{name}' {KINDS[kind]}")
    assert "TW1" in problem.message  # where the file belongs instead
    # the good file next to it is kept and read as before; the entry is not kept at all
    assert set(received.sha256) == {GOOD} and inbox.kept_names() == {GOOD}
    assert list(received.raw["unit"]) == ["perwira"]
    assert len(list(p for p in inbox.raw.rglob("*") if p.is_file())) == 1
    inbox.assert_secret_untouched(problem.message, received.raw.to_csv())


def test_the_messages_say_what_the_entry_is_and_what_to_do(inbox: Inbox) -> None:
    make_symlink_to_secret(inbox, UNIT_LINK)
    make_folder(inbox, "x.xlsx")
    make_fifo(inbox, "pipa.csv")
    received = inbox.collect()
    assert received.file_problems == [
        FileProblem(
            "Kel Harapan Jaya TW1.csv",
            "'Kel Harapan Jaya TW1.csv' adalah tautan (symlink), bukan berkas biasa: tidak dibaca "
            "demi keamanan. Simpan berkas aslinya langsung di folder TW1.",
        ),
        FileProblem(
            "pipa.csv",
            "'pipa.csv' adalah pipa (FIFO/named pipe), bukan berkas biasa: tidak dibaca. Hapus, "
            "lalu simpan berkas laporannya langsung di folder TW1.",
        ),
        FileProblem(
            "x.xlsx",
            "'x.xlsx' adalah folder, bukan berkas: isi folder tidak dibaca. Simpan berkasnya "
            "langsung di folder TW1, bukan di dalam sub-folder.",
        ),
    ]


def test_a_fifo_is_never_opened(inbox: Inbox) -> None:
    """A writer waiting on the FIFO is released only by a reader's open: it must stay waiting."""
    fifo = inbox.quarter / "pipa.xlsx"
    os.mkfifo(fifo)
    opened = threading.Event()

    def writer() -> None:
        with open(fifo, "wb"):  # blocks until someone opens the FIFO for reading
            opened.set()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    received = inbox.collect()
    assert [p.file for p in received.file_problems] == ["pipa.xlsx"]
    assert not opened.wait(0.5), "the run opened the FIFO"
    os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # release the writer
    thread.join(5)


def test_a_folder_holding_only_a_symlink_is_not_empty(inbox: Inbox) -> None:
    (inbox.quarter / GOOD).unlink()
    assert find_submissions(inbox.quarter) == []
    make_symlink_to_secret(inbox, UNIT_LINK)
    assert find_submissions(inbox.quarter) == [inbox.quarter / UNIT_LINK]


def test_setup_does_not_call_a_quarter_holding_only_a_symlink_empty(inbox: Inbox) -> None:
    from triwulan.tasks.core.errors import TriwulanError
    from triwulan.tasks.setup import open_quarter

    (inbox.quarter / GOOD).unlink()
    out = inbox.root / "out"
    with pytest.raises(TriwulanError, match="Belum ada berkas masuk"):
        open_quarter("2024-TW1", inbox.root / "inbox", out)
    make_symlink_to_secret(inbox, UNIT_LINK)
    quarter = open_quarter("2024-TW1", inbox.root / "inbox", out)
    quarter.engine.dispose()


def test_normal_files_are_judged_as_before(inbox: Inbox) -> None:
    """Hidden names and lock files are kept and judged, Thumbs.db is ignored, a plain sub-folder
    (an 'arsip' of old files) is reported without being read, an unsupported format is
    reported."""
    (inbox.quarter / ".Kel Perwira.csv").write_bytes((inbox.quarter / GOOD).read_bytes())
    (inbox.quarter / "~$a.xlsx").write_bytes(b"x")
    (inbox.quarter / "Thumbs.db").write_bytes(b"x")
    (inbox.quarter / "catatan.txt").write_bytes(b"x")
    (inbox.quarter / "arsip").mkdir()
    received = inbox.collect()
    assert set(received.sha256) == {GOOD, ".Kel Perwira.csv", "~$a.xlsx", "catatan.txt"}
    problems = sorted(received.file_problems, key=lambda p: p.file)
    assert [p.file for p in problems] == ["arsip", "catatan.txt", "~$a.xlsx"]
    assert "adalah folder, bukan berkas: isi folder tidak dibaca" in problems[0].message
    assert "berkas kunci sementara" in problems[2].message


# ------------------------------------------------------------------- swapped after listing


def swap_for_symlink(path: Path, target: Path) -> None:
    """Atomically replace a regular file by a symlink, as a racing user could."""
    link = path.with_name(".tukar")
    link.symlink_to(target)
    os.replace(link, path)


def test_keep_raw_refuses_a_file_swapped_for_a_symlink(inbox: Inbox) -> None:
    path = inbox.quarter / UNIT_LINK
    path.write_text("tahun,unit\n2024,harapan-jaya\n", encoding="utf-8")
    assert stat.S_ISREG(os.lstat(path).st_mode)  # what the listing saw
    swap_for_symlink(path, inbox.secret)
    with deadline(), pytest.raises(files.NotRegularFile) as refused:
        store.keep_raw(inbox.engine, path, inbox.raw)
    assert refused.value.kind == "symlink" and refused.value.filename == str(path)
    assert inbox.kept_names() == set()
    inbox.assert_secret_untouched(str(refused.value))


@pytest.mark.parametrize("swap", ["symlink-ke-rahasia", "symlink-ke-dev-zero", "fifo"])
def test_an_entry_swapped_between_listing_and_keeping_is_a_problem_of_that_entry(
    inbox: Inbox, swap: str
) -> None:
    """collect_quarter judged a regular file; by the time keep_raw opens it, it is not."""

    def keep(path: Path) -> tuple[str, Path]:
        if path.name == GOOD:
            if swap == "fifo":
                path.unlink()
                os.mkfifo(path)
            else:
                swap_for_symlink(path, inbox.secret if "rahasia" in swap else Path("/dev/zero"))
        return inbox.keep(path)

    received = inbox.collect(keep)
    kind = "fifo" if swap == "fifo" else "symlink"
    assert [p.file for p in received.file_problems] == [GOOD]
    assert received.file_problems[0].message.startswith(f"'{GOOD}' {KINDS[kind]}")
    assert received.sha256 == {} and inbox.kept_names() == set() and received.raw.empty
    inbox.assert_secret_untouched(received.file_problems[0].message)


def test_a_store_fault_still_fails_the_run(inbox: Inbox) -> None:
    """The error contract is kept: an OSError of another path than the entry propagates."""

    def keep(path: Path) -> tuple[str, Path]:
        raise files.NotRegularFile(inbox.raw / "ab" / "x.csv", "symlink")

    with pytest.raises(files.NotRegularFile):
        collect_quarter([inbox.quarter / GOOD], keep)


# ------------------------------------------------------------------- one real quarter run


HARAPAN_JAYA = "kel.harapanjaya@example.go.id"


@pytest.fixture(scope="module")
def entries_run(prefect_api, tmp_path_factory):
    """The sample TW I run as the secretariat runs it (`triwulan run`, against the session's
    Prefect server), Harapan Jaya's file replaced by a symlink to a secret outside the inbox,
    plus a symlink to /dev/zero, a FIFO and a folder named x.xlsx.

    In a child process, not in pytest's: a child's ru_maxrss starts at its parent's RSS, so a
    flow run in this process would fail test_memory_bounds, which measures children.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL

    root = tmp_path_factory.mktemp("entri")
    inbox, out = root / "inbox", root / "out"
    quarter = inbox / "2024" / "TW1"
    shutil.copytree(TW1, quarter)
    next(quarter.glob("*Harapan_Jaya*")).unlink()
    marker = f"RAHASIA-{uuid.uuid4().hex}"
    secret = root / "rumah" / f"secret-{uuid.uuid4().hex}.env"
    secret.parent.mkdir()
    secret.write_text(f"SMTP_PASSWORD={marker}\n", encoding="utf-8")
    (quarter / UNIT_LINK).symlink_to(secret)
    (quarter / "nol.xlsx").symlink_to("/dev/zero")
    os.mkfifo(quarter / "pipa.csv")
    (quarter / "x.xlsx").mkdir()
    shutil.copy(secret, quarter / "x.xlsx" / "isi.xlsx")
    with SmtpTestServer() as server:
        env = {
            **server.env(login=True),
            "TRIWULAN_MAIL_FROM": "Sekretariat <sekretariat@example.go.id>",
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        }
        args = ["run", "2024-TW1", "--inbox", str(inbox), "--out", str(out)]
        result = hostile.run_cli(args, root, env, timeout=300)  # a FIFO read would hang here
        mails = list(server.messages)
    with get_client(sync_client=True) as client:
        [flow_run] = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)
    summary = json.loads((out / "2024" / "TW1" / "v1" / "summary.json").read_text())
    return {
        "result": result,
        "summary": summary,
        "units": {u["unit"]: u for u in summary["units"]},
        "bad": {f["file"]: f["message"] for f in summary["unreadable_files"]},
        "out": out,
        "mails": mails,
        "marker": marker,
        "secret": secret,
        "flow_run": flow_run.id,
        "flow_run_name": flow_run.name,
    }


def test_the_run_completes_and_names_every_entry(entries_run):
    result = entries_run["result"]
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    for name in ("nol.xlsx", "pipa.csv", "x.xlsx"):
        assert f"BERKAS BERMASALAH {name}" in result.stdout
    assert entries_run["summary"]["version"] == 1
    bad = entries_run["bad"]
    assert bad["nol.xlsx"].startswith(f"'nol.xlsx' {KINDS['symlink']}")
    assert bad["pipa.csv"].startswith(f"'pipa.csv' {KINDS['fifo']}")
    assert bad["x.xlsx"].startswith(f"'x.xlsx' {KINDS['folder']}")
    for unit in ("marga-mulya", "perwira", "kecamatan"):  # other units as before
        assert entries_run["units"][unit]["status"] == "accepted"


def test_the_symlink_named_after_a_unit_is_that_units_problem_and_it_is_told(entries_run):
    unit = entries_run["units"]["harapan-jaya"]
    assert unit["status"] == "rejected"  # it sent something: not 'belum mengirim'
    [problem] = unit["problems"]
    assert problem["rule"] == "berkas_tidak_terbaca" and unit["file"] == UNIT_LINK
    assert problem["message"].startswith(f"'{UNIT_LINK}' {KINDS['symlink']}")
    assert UNIT_LINK not in entries_run["bad"]  # attached to the unit, not left unattached
    [mail] = [m for m in entries_run["mails"] if HARAPAN_JAYA in m.rcpt_tos]
    message = mail.parse()
    assert "tautan (symlink)" in message.get_body(("html",)).get_content()
    attached = [part.get_filename() for part in message.iter_attachments()]
    assert UNIT_LINK not in attached  # no 'own file' that is somebody else's


def decoded_texts(data: bytes, name: str) -> Iterator[bytes]:
    """The bytes as stored, plus what a reader would see inside: zip members, decoded mail."""
    yield data
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                yield archive.read(member)
    if name.endswith(".eml") or data[:200].lower().count(b"mime-version"):
        message = email.message_from_bytes(data, policy=email.policy.default)
        for part in message.walk():
            payload = part.get_payload(decode=True)
            if payload:
                yield from decoded_texts(payload, part.get_filename() or "")


def test_no_byte_of_the_secret_leaves_its_file(entries_run):
    marker = entries_run["marker"].encode()
    secret_name = entries_run["secret"].name.encode()
    everything = list(entries_run["out"].rglob("*"))
    assert not [p for p in everything if p.is_symlink()]  # no link was copied as a link either
    files = [p for p in everything if p.is_file()]
    assert any(p.suffix == ".eml" for p in files) and any(p.suffix == ".sqlite" for p in files)
    seen_inside = False
    for path in files:
        for text in decoded_texts(path.read_bytes(), path.name):
            assert marker not in text and secret_name not in text, path
            seen_inside |= path.suffix == ".eml" and b"tautan (symlink)" in text
    assert seen_inside  # the walk does see through a mail's encoding
    with sqlite3.connect(entries_run["out"] / "triwulan.sqlite") as db:
        names = {r[0] for r in db.execute("select nama_berkas from berkas")}
    assert names.isdisjoint({UNIT_LINK, "nol.xlsx", "pipa.csv", "x.xlsx", "isi.xlsx"})
    assert entries_run["mails"]
    for mail in entries_run["mails"]:
        for text in decoded_texts(mail.content, ".eml"):
            assert marker not in text and secret_name not in text
    said = (entries_run["result"].stdout + entries_run["result"].stderr).encode()
    assert marker not in said and secret_name not in said


def test_no_prefect_log_names_the_secret(entries_run):
    """What the run sent to Prefect (the CLI keeps library INFO back: warnings and above)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    assert entries_run["flow_run_name"].startswith("2024-TW1")  # this run, not another one
    only_this_run = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[entries_run["flow_run"]]))
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=only_this_run)
    for log in logs:
        assert entries_run["marker"] not in log.message
        assert entries_run["secret"].name not in log.message
