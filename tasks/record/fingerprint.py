"""What a run's outcome depends on, as one digest: an identical rerun makes no new version.

Inputs: the files received (by content), what could not be read, the stored accepted data of the
year, the reference data and rules, and the program version. Any change in any of them changes
the digest; equal digests mean the new version would say exactly what the last one says.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine

from triwulan.tasks.record.iku import iku_digest
from triwulan.tasks.record.store import realisasi


def program_version() -> str:
    try:
        return version("triwulan")
    except PackageNotFoundError:
        return "0"


def folder_digest(paths: Iterable[Path]) -> str:
    """Digest of every file under the given folders or files (names and bytes), in path order."""
    digest = hashlib.sha256()
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if path.suffix in (".pyc",) or "__pycache__" in path.parts:
                continue
            digest.update(str(path.relative_to(root.parent)).encode("utf-8"))
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def run_fingerprint(
    files: Mapping[str, str],
    unreadable: Mapping[str, str],
    stored_digest: str,
    reference_digest: str,
    limits: Mapping[str, int | float],
) -> str:
    """One digest over everything the run's report is made of."""
    payload = {
        "berkas": sorted(files.items()),
        "tidak_terbaca": sorted(unreadable.items()),
        "data": stored_digest,
        "referensi": reference_digest,
        "batas": sorted(limits.items()),
        "program": program_version(),
    }
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


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
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for row in conn.execute(query):
            digest.update(repr(tuple(row)).encode("utf-8"))
    digest.update(iku_digest(engine, tahun, triwulan).encode())  # IKU inputs count as data
    return digest.hexdigest()
