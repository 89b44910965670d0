"""Everything a run needs, checked before any work starts, with Indonesian messages.

Called by the CLI before Prefect starts (a typo answers at once) and by the flow itself (a
deployment run gets the same checks). Nothing here imports Prefect or Great Expectations.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from triwulan.paths import (
    configured_reference_root,
    folder_hint,
    inbox_dir,
    out_dir,
    quarter_inbox,
    quarter_out,
    raw_store,
    scoped_reference,
    wilayah_folder,
)
from triwulan.tasks.collect.ingest import check_inbox, find_submissions
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.limits import load_limits
from triwulan.tasks.core.period import period_for_run
from triwulan.tasks.core.quarter import Quarter
from triwulan.tasks.core.reference import load_reference
from triwulan.tasks.core.smtp_settings import SmtpConfig
from triwulan.tasks.core.wilayah import load_wilayah, schema_name
from triwulan.tasks.record import database
from triwulan.tasks.record import runs as record


def check_writable(folder: Path, what: str) -> None:
    """Create the folder and really write a file in it: permissions, read-only mounts, quotas."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # a name of its own: two runs starting together must not remove each other's probe
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".tulis-uji-") as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError as exc:
        raise TriwulanError(
            f"{what} '{folder}' tidak dapat dibuat atau ditulisi ({exc.strerror or exc})."
        ) from exc


def check_disk(folder: Path, needed_mb: int) -> None:
    """A run that fills the disk half-way leaves a broken version; refuse before starting."""
    free_mb = shutil.disk_usage(folder).free >> 20
    if free_mb < needed_mb:
        raise TriwulanError(
            f"Ruang disk kosong di '{folder}' tinggal {free_mb} MB; run memerlukan minimal "
            f"{needed_mb} MB (TRIWULAN_BATAS_RUANG_DISK_MB). Kosongkan ruang disk lalu jalankan ulang."
        )


def open_database(out_path: Path) -> Engine:
    """The store, created or migrated, after a real (rolled back) write; one Indonesian line."""
    url = database.db_url(out_path)
    try:
        engine = database.open_store(url)
        database.check_writable(engine)
    except ImportError as exc:
        raise TriwulanError(
            f"Driver basis data untuk TRIWULAN_DB_URL belum terpasang ({exc.name}); untuk "
            "PostgreSQL pasang dengan: pip install -e '.[postgres]'."
        ) from exc
    except SQLAlchemyError as exc:
        try:
            shown = make_url(url).render_as_string(hide_password=True)
        except SQLAlchemyError:
            shown = "TRIWULAN_DB_URL"
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
        raise TriwulanError(
            f"Basis data '{shown}' tidak dapat dibuka atau ditulisi: {reason}"
        ) from exc
    return engine


def open_record(out: Path | None) -> tuple[Path, Engine]:
    """For commands on what runs left behind (status, final, kirim-ulang): out folder and store."""
    out_path = out_dir(out)
    if not out_path.is_dir() and "TRIWULAN_DB_URL" not in os.environ:
        hint = folder_hint(out_path, "TRIWULAN_OUT", "--out", "out")
        raise TriwulanError(f"Folder hasil '{out_path}' tidak ada: belum ada run di sini {hint}")
    return out_path, open_database(out_path)


def open_quarter(
    periode: str | None,
    inbox: Path | None,
    out: Path | None,
    scheduled: dt.datetime | None = None,
) -> Quarter:
    """Period, reference data, inbox, out folder, SMTP settings and database, in order.

    The settings themselves (triwulan.toml, every TRIWULAN_* value) are checked by the caller
    first. Without a periode the quarter is the one ended before `scheduled` (a scheduled run's
    start time), else before the wall clock.
    """
    period = period_for_run(periode, scheduled)
    ref = load_reference(period.tahun)
    inbox_path, out_path = inbox_dir(inbox), out_dir(out)
    check_inbox(inbox_path)
    folder_in = quarter_inbox(inbox_path, period.tahun, period.triwulan)
    if not find_submissions(folder_in):
        raise TriwulanError(
            f"Belum ada berkas masuk untuk {period.label}: folder '{folder_in}' tidak ada atau kosong."
        )
    limits = load_limits()
    check_writable(out_path, "Folder hasil")
    reports = quarter_out(out_path, period.tahun, period.triwulan)
    if reports.exists():  # a new one is created under the out folder just checked
        check_writable(reports, "Folder triwulan")
    check_writable(raw_store(out_path), "Folder arsip berkas")
    check_disk(out_path, limits.ruang_disk_mb)
    smtp = SmtpConfig.from_env()
    engine = open_database(out_path)
    return Quarter(period, ref, engine, inbox_path, out_path, limits, smtp)


def enter_kecamatan(
    kode: str,
    referensi: Path | None,
    inbox: Path | None,
    out: Path | None,
    scope: contextlib.ExitStack,
) -> tuple[Path, Path]:
    """One kecamatan of a roll-up: its reference folder and schema for the rest of `scope`.

    Its inbox and out folders are `<inbox>/<kode>` and `<out>/<kode>` under the configured
    (or given) ones, the same paths on every machine that shares the storage.
    """
    root = referensi or configured_reference_root()
    level = load_wilayah(root, kode)
    if not level.is_kecamatan:
        raise TriwulanError(
            f"{level.label} bukan kecamatan: laporannya dibuat dari laporan wilayah di bawahnya "
            f"(triwulan run PERIODE --wilayah {kode})."
        )
    scope.enter_context(scoped_reference(level.folder))
    scope.enter_context(database.scoped_schema(schema_name(kode)))
    return wilayah_folder(inbox_dir(inbox), kode), wilayah_folder(out_dir(out), kode)


def guard_final(quarter: Quarter, buka_final: str | None, *, record_reopen: bool = True) -> None:
    """A version marked final is not replaced by accident: reopening needs a recorded reason.

    The CLI asks with `record_reopen=False` before Prefect starts; the flow records the reopening
    when it really runs, so a run that never started leaves the quarter FINAL.
    """
    engine, periode = quarter.engine, quarter.label
    fixed = record.current_final(engine, periode)
    if fixed is None:
        return
    if not (buka_final or "").strip():
        raise TriwulanError(
            f"{record.final_text(periode, fixed)}. Run baru tidak menggantikannya; bila memang "
            "perlu dibuka lagi, "
            f'jalankan dengan --buka-final "alasan".'
        )
    if record_reopen:
        record.mark(engine, periode, int(fixed["versi"]), "buka", buka_final.strip())
