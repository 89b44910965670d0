"""The store: raw files kept byte-for-byte by sha256, accepted rows and the run ledger in SQL.

SQLite under the out folder by default; any SQLAlchemy URL through TRIWULAN_DB_URL (PostgreSQL
works: only portable types, BigInteger for rupiah). Accepted rows of a (unit, quarter) are
replaced as a whole when a corrected file is accepted; rows are never updated in place.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import IO

import pandas as pd
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

metadata = MetaData()

berkas = Table(
    "berkas",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("nama_berkas", String(500), nullable=False),
    Column("ukuran", BigInteger, nullable=False),
    Column("lokasi", String(1000), nullable=False),
    Column("diterima_pada", DateTime(timezone=True), nullable=False),
)

realisasi = Table(
    "realisasi",
    metadata,
    Column("tahun", Integer, primary_key=True),
    Column("triwulan", Integer, primary_key=True),
    Column("unit", String(100), primary_key=True),
    Column("kode_sub_kegiatan", String(40), primary_key=True),
    Column("realisasi_keuangan", BigInteger, nullable=False),
    Column("realisasi_fisik", Float, nullable=False),
    Column("realisasi_keluaran", Float, nullable=False),
    Column("kendala", Text, nullable=False, default=""),
    Column("tindak_lanjut", Text, nullable=False, default=""),
    Column("sha256", String(64), nullable=False),
    Column("nama_berkas", String(500), nullable=False),
    Column("baris", Integer, nullable=False),
    Column("versi_laporan", Integer, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("periode", String(10), nullable=False),
    Column("versi", Integer, nullable=False),
    Column("mulai", DateTime(timezone=True), nullable=False),
    Column("selesai", DateTime(timezone=True)),
    Column("status", String(20), nullable=False),
    Column("diterima", Integer),
    Column("ditolak", Integer),
    Column("tidak_ada", Integer),
    Column("folder", String(1000)),
    # added later; tasks.record.migrate adds them to older databases
    Column("pemicu", String(20)),  # jadwal, manual, cascade
    Column("parameter", Text),
    Column("sidik", String(64)),  # fingerprint of the inputs (tasks.fingerprint)
    Column("sebab", Text),
    Column("pesan", Text),
    Column("sidik_masukan", String(64)),  # inputs as found, before Prefect (tasks.rerun)
)


def db_url(out: Path) -> str:
    return os.environ.get("TRIWULAN_DB_URL") or f"sqlite:///{(out / 'triwulan.sqlite').resolve()}"


def open_store(url: str) -> Engine:
    """Open (and create or migrate) the store; the record tables live in tasks.record."""
    from triwulan.tasks import iku_store, record  # noqa: F401  (register their tables)

    engine = create_engine(url, future=True)
    for attempt in range(5):
        try:
            record.migrate(engine)
            break
        except OperationalError:
            # two runs creating a new database at once: the other one's table just appeared
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    return engine


def check_writable(engine: Engine) -> None:
    """A real write, rolled back: a read-only file or role fails here, not after the run's work."""
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            conn.execute(
                insert(runs).values(periode="uji", versi=0, mulai=now(), status="uji-tulis")
            )
        finally:
            trans.rollback()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite gives stored (UTC) times back without a zone; PostgreSQL with one."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def raw_path(raw_dir: Path, digest: str, suffix: str) -> Path:
    """Where the raw store keeps a file: by content, never by a name a unit chose."""
    return raw_dir / digest[:2] / f"{digest}{suffix.lower()[:10]}"


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


def keep_raw(engine: Engine, path: Path, raw_dir: Path) -> str:
    """Copy a received file into the content-addressed raw store once; return its sha256.

    Hashed while copying, so the kept bytes are exactly the hashed ones even when the file in
    the inbox changes meanwhile (a unit still copying it). Only a regular file is copied
    (open_regular): a symlink, FIFO or device would put someone else's bytes in the store and
    in the unit's feedback mail. OSError (NotRegularFile included) propagates: the caller turns
    it into a problem of that file.
    """
    raw_dir.mkdir(parents=True, exist_ok=True)
    sha, tmp, size = copy_regular(path, raw_dir)
    target = raw_path(raw_dir, sha, path.suffix)
    if target.exists():
        tmp.unlink()
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.replace(target)
        target.chmod(0o444)
    with engine.begin() as conn:
        known = conn.execute(select(berkas.c.sha256).where(berkas.c.sha256 == sha)).first()
        if not known:
            conn.execute(
                insert(berkas).values(
                    sha256=sha,
                    nama_berkas=path.name,
                    ukuran=size,
                    lokasi=str(target),
                    diterima_pada=now(),
                )
            )
    return sha


def save_accepted(
    engine: Engine, tahun: int, triwulan: int, rows: pd.DataFrame, version: int
) -> int:
    """Replace the stored rows of each accepted unit for this quarter with the new file's rows."""
    if rows.empty:
        return 0
    records = [
        {
            "tahun": tahun,
            "triwulan": triwulan,
            "unit": r["unit"],
            "kode_sub_kegiatan": r["kode_sub_kegiatan"],
            "realisasi_keuangan": int(r["realisasi_keuangan"]),
            "realisasi_fisik": float(r["realisasi_fisik"]),
            "realisasi_keluaran": float(r["realisasi_keluaran"]),
            "kendala": str(r["kendala"] or ""),
            "tindak_lanjut": str(r["tindak_lanjut"] or ""),
            "sha256": r["sha256"],
            "nama_berkas": r["_file"],
            "baris": int(r["_row"]),
            "versi_laporan": version,
        }
        for r in rows.to_dict("records")
    ]
    stored = {
        unit: sha for unit, sha in _stored_files(engine, tahun, triwulan).items() if sha is not None
    }
    incoming = rows.groupby("unit")["sha256"].first().to_dict()
    # the same file accepted again (a rerun) is left as it is, with its original version
    units = sorted(u for u, sha in incoming.items() if stored.get(u) != sha)
    records = [r for r in records if r["unit"] in units]
    if not records:
        return 0
    with engine.begin() as conn:
        conn.execute(
            delete(realisasi).where(
                and_(
                    realisasi.c.tahun == tahun,
                    realisasi.c.triwulan == triwulan,
                    realisasi.c.unit.in_(units),
                )
            )
        )
        conn.execute(insert(realisasi), records)
    return len(records)


def load_realisasi(engine: Engine, tahun: int, upto_triwulan: int) -> pd.DataFrame:
    """Accepted rows of quarters 1..upto_triwulan of a year: what the cumulative figures use."""
    query = select(realisasi).where(
        and_(realisasi.c.tahun == tahun, realisasi.c.triwulan <= upto_triwulan)
    )
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
    if frame.empty:
        return pd.DataFrame(columns=[c.name for c in realisasi.columns])
    return frame.astype({"realisasi_keuangan": "int64"})


def _stored_files(engine: Engine, tahun: int, triwulan: int) -> dict[str, str | None]:
    """Per unit, the sha256 of the file whose rows are stored for this quarter."""
    query = (
        select(realisasi.c.unit, realisasi.c.sha256)
        .where(and_(realisasi.c.tahun == tahun, realisasi.c.triwulan == triwulan))
        .distinct()
    )
    with engine.connect() as conn:
        return dict(conn.execute(query).all())


def stored_sources(engine: Engine, tahun: int, triwulan: int) -> dict[str, dict[str, object]]:
    """Per unit, the accepted file whose rows are stored for this quarter (and its run version)."""
    query = (
        select(realisasi.c.unit, realisasi.c.nama_berkas, realisasi.c.versi_laporan)
        .where(and_(realisasi.c.tahun == tahun, realisasi.c.triwulan == triwulan))
        .distinct()
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return {unit: {"file": name, "versi": int(versi)} for unit, name, versi in rows}


def earlier_totals(engine: Engine, tahun: int, triwulan: int) -> pd.DataFrame:
    """Stored accepted realisation of quarters before `triwulan`, summed per sub-kegiatan."""
    columns = ["unit", "kode_sub_kegiatan", "realisasi_keuangan"]
    if triwulan <= 1:
        return pd.DataFrame(columns=columns).astype({"realisasi_keuangan": "int64"})
    stored = load_realisasi(engine, tahun, triwulan - 1)
    if stored.empty:
        return pd.DataFrame(columns=columns).astype({"realisasi_keuangan": "int64"})
    return stored.groupby(columns[:2], as_index=False)["realisasi_keuangan"].sum()


def next_version(engine: Engine, periode: str, folder: Path) -> int:
    """Versions count up per period; folders (v3, v3.gagal) count too: a lost DB never overwrites."""
    with engine.connect() as conn:
        db_max = conn.execute(
            select(func.max(runs.c.versi)).where(runs.c.periode == periode)
        ).scalar()
    on_disk = []
    if folder.is_dir():
        for p in folder.iterdir():
            number = p.name.lstrip(".").removeprefix("v").split(".")[0]
            if p.name.lstrip(".").startswith("v") and number.isdigit():
                on_disk.append(int(number))
    return max([db_max or 0, *on_disk]) + 1


def data_digest(engine: Engine, tahun: int, triwulan: int | None = None) -> str:
    """Digest of the accepted rows of a year (or one quarter), without run bookkeeping.

    Equal digests mean equal figures and texts: used to tell an identical rerun and to see
    whether a run changed a quarter that later quarters build on.
    """
    cond = realisasi.c.tahun == tahun
    if triwulan is not None:
        cond = and_(cond, realisasi.c.triwulan == triwulan)
    cols = [c for c in realisasi.columns if c.name not in ("versi_laporan",)]
    query = (
        select(*cols)
        .where(cond)
        .order_by(realisasi.c.triwulan, realisasi.c.unit, realisasi.c.kode_sub_kegiatan)
    )
    from triwulan.tasks.iku_store import iku_digest

    digest = hashlib.sha256()
    with engine.connect() as conn:
        for row in conn.execute(query):
            digest.update(repr(tuple(row)).encode("utf-8"))
    digest.update(iku_digest(engine, tahun, triwulan).encode())  # IKU inputs count as data
    return digest.hexdigest()


def quarters_with_data(engine: Engine, tahun: int) -> pd.DataFrame:
    """(triwulan, unit) pairs that have accepted rows stored: which earlier quarters exist."""
    query = (
        select(realisasi.c.triwulan, realisasi.c.unit).where(realisasi.c.tahun == tahun).distinct()
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame(rows, columns=["triwulan", "unit"])


def earlier_figures(engine: Engine, tahun: int, triwulan: int) -> pd.DataFrame:
    """What validation needs of the accepted quarters before `triwulan`, per sub-kegiatan.

    Columns (tasks.earlier.COLUMNS): unit, kode_sub_kegiatan; realisasi_keuangan and
    realisasi_keluaran summed over the earlier quarters (money to date against pagu, output to
    date against the annual target); triwulan_sebelumnya and fisik_sebelumnya, the latest earlier
    quarter with a row and its cumulative fisik (fisik may not go down); keuangan_tw_lalu,
    fisik_tw_lalu, keluaran_tw_lalu, the figures of quarter triwulan-1 itself, NA where it has no
    row (a file identical to it is reported). A superset of earlier_totals.
    """
    from triwulan.tasks.earlier import COLUMNS, empty_figures

    if triwulan <= 1:
        return empty_figures()
    stored = load_realisasi(engine, tahun, triwulan - 1)
    if stored.empty:
        return empty_figures()
    key = ["unit", "kode_sub_kegiatan"]
    stored = stored.astype({"realisasi_fisik": "float64", "realisasi_keluaran": "float64"})
    out = stored.groupby(key)[["realisasi_keuangan", "realisasi_keluaran"]].sum()
    latest = stored.sort_values("triwulan").drop_duplicates(key, keep="last").set_index(key)
    out["triwulan_sebelumnya"] = latest["triwulan"]
    out["fisik_sebelumnya"] = latest["realisasi_fisik"]
    last = stored[stored["triwulan"] == triwulan - 1].set_index(key)
    out["keuangan_tw_lalu"] = last["realisasi_keuangan"]
    out["fisik_tw_lalu"] = last["realisasi_fisik"]
    out["keluaran_tw_lalu"] = last["realisasi_keluaran"]
    types = {
        "realisasi_keuangan": "Int64",
        "realisasi_keluaran": "float64",
        "triwulan_sebelumnya": "Int64",
        "fisik_sebelumnya": "float64",
        "keuangan_tw_lalu": "Int64",
        "fisik_tw_lalu": "float64",
        "keluaran_tw_lalu": "float64",
    }
    return out.reset_index()[COLUMNS].astype(types)
