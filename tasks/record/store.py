"""The store: raw files kept byte-for-byte by sha256, accepted rows and the run ledger in SQL.

SQLite under the out folder by default; any SQLAlchemy URL through TRIWULAN_DB_URL (PostgreSQL
works: only portable types, BigInteger for rupiah). Accepted rows of a (unit, quarter) are
replaced as a whole when a corrected file is accepted; rows are never updated in place.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

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
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Engine

from triwulan.tasks.core.files import WHOLE_MAX, store_regular

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
    # added later; tasks.record.runs.migrate adds them to older databases
    Column("pemicu", String(20)),  # jadwal, manual, cascade
    Column("parameter", Text),
    Column("sidik", String(64)),  # fingerprint of the inputs (tasks.record.fingerprint)
    Column("sebab", Text),
    Column("pesan", Text),
    Column("sidik_masukan", String(64)),  # inputs as found, before Prefect (tasks.rerun)
)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite gives stored (UTC) times back without a zone; PostgreSQL with one."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def raw_path(raw_dir: Path, digest: str, suffix: str) -> Path:
    """Where the raw store keeps a file: by content, never by a name a unit chose."""
    return raw_dir / digest[:2] / f"{digest}{suffix.lower()[:10]}"


class RawKeeper:
    """Files kept in the content-addressed raw store, their rows written in one transaction.

    A province's quarter has thousands of files: one commit per file cost most of collecting.
    `keep` copies a file into the store (the bytes are safe on disk at once); `commit` records
    every new file in `berkas` in one transaction. A file kept but not yet committed when a run
    dies is recorded by the next run that receives it (its content name is the same, and `keep`
    puts every file it is given in `pending`, whether its bytes were there already or not).
    `limit`: files up to this size (the configured size limit) are read in one go.
    """

    def __init__(self, engine: Engine, raw_dir: Path, limit: int = WHOLE_MAX) -> None:
        self.engine, self.raw_dir, self.limit = engine, raw_dir, limit
        self.pending: dict[str, dict[str, object]] = {}
        raw_dir.mkdir(parents=True, exist_ok=True)

    def keep(self, path: Path) -> str:
        """Keep a received file in the raw store once; return its sha256.

        Hashed from the bytes that are kept, so they are exactly the hashed ones even when the
        file in the inbox changes meanwhile (a unit still copying it); bytes already in the
        store are not written again, but still read and hashed. Only a regular file is read
        (store_regular): a symlink, FIFO or device would put someone else's bytes in the store
        and in the unit's feedback mail. OSError (NotRegularFile included) propagates: the
        caller turns it into a problem of that file, or into a failed run when it names the
        store's folder (disk full).
        """
        return self.keep_file(path)[0]

    def keep_file(self, path: Path) -> tuple[str, Path]:
        """`keep`, and where the store keeps the bytes (raw_path under `raw_dir`)."""
        suffix = path.suffix
        raw_dir = self.raw_dir
        stored = store_regular(
            path, raw_dir, lambda sha: raw_path(raw_dir, sha, suffix), self.limit
        )
        sha = stored.sha256
        if sha not in self.pending:
            self.pending[sha] = {
                "sha256": sha,
                "nama_berkas": path.name,
                "ukuran": stored.size,
                "lokasi": str(stored.path),
                "diterima_pada": now(),
            }
        return sha, stored.path

    def commit(self) -> None:
        """Record every file kept since the last commit that the store did not know yet."""
        if not self.pending:
            return
        shas = list(self.pending)
        with self.engine.begin() as conn:
            known: set[str] = set()
            for start in range(0, len(shas), _IN_CHUNK):
                chunk = shas[start : start + _IN_CHUNK]
                known.update(
                    conn.execute(
                        select(berkas.c.sha256).where(berkas.c.sha256.in_(chunk))
                    ).scalars()
                )
            rows = [row for sha, row in self.pending.items() if sha not in known]
            if rows:
                conn.execute(insert(berkas), rows)
        self.pending.clear()


# SQLite allows 32,766 bound parameters per statement (999 before 3.32): stay well under both
_IN_CHUNK = 900


def keep_raw(engine: Engine, path: Path, raw_dir: Path) -> str:
    """One file kept and recorded at once (tests, single files); a quarter uses RawKeeper."""
    keeper = RawKeeper(engine, raw_dir)
    sha = keeper.keep(path)
    keeper.commit()
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
    replaced = set(units)
    records = [r for r in records if r["unit"] in replaced]
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

    Columns (tasks.check.earlier.COLUMNS): unit, kode_sub_kegiatan; realisasi_keuangan and
    realisasi_keluaran summed over the earlier quarters (money to date against pagu, output to
    date against the annual target); triwulan_sebelumnya and fisik_sebelumnya, the latest earlier
    quarter with a row and its cumulative fisik (fisik may not go down); keuangan_tw_lalu,
    fisik_tw_lalu, keluaran_tw_lalu, the figures of quarter triwulan-1 itself, NA where it has no
    row (a file identical to it is reported). A superset of earlier_totals.
    """
    from triwulan.tasks.check.earlier import COLUMNS, empty_figures

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
