"""An upload from arrival to verdict: kept byte for byte, judged, recorded, placed in the inbox.

Uploads are judged by one thread (the judge) in batches: everything waiting when it is free,
one file per unit and per name, goes through the reader and Great Expectations in one pass, the
way the run judges a quarter. Fifty units uploading at once cost a few GX passes, not fifty,
and GX runs in one thread at a time (the judge's lock `gx`, which a reminder from the board
takes too).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from triwulan.paths import quarter_inbox
from triwulan.portal.context import Portal
from triwulan.portal.security import too_large_text
from triwulan.tasks.check.upload import (
    Holding,
    Upload,
    UploadVerdict,
    inbox_holdings,
    judge_uploads,
    superseded,
)
from triwulan.tasks.collect.inbox_write import open_folder, place, portal_name, set_aside
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.limits import load_limits
from triwulan.tasks.core.period import Period
from triwulan.tasks.record import portal as ledger
from triwulan.tasks.record import store
from triwulan.tasks.record.portal import Access

log = logging.getLogger("triwulan.portal")
SUFFIXES = (".xlsx", ".csv")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]+")
WAIT_S = 300
NOT_JUDGED = (
    "Berkas belum dapat diperiksa karena kesalahan di server portal, jadi belum diterima. "
    "Unggah lagi sebentar lagi; bila tetap gagal, hubungi sekretariat."
)
NOT_PLACED = (
    "Berkas Anda lolos pemeriksaan, tetapi belum dapat disimpan ke folder berkas masuk "
    "sekretariat, jadi belum masuk laporan. Hubungi sekretariat: papan menandai unggahan ini "
    "'gagal diproses'."
)


class UploadRefused(TriwulanError):
    """A request refused before its work; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = {"Retry-After": str(retry_after)} if retry_after else {}


def display_name(raw: str | None) -> str:
    """The uploaded file's name for people: its last part, printable, at most 120 characters.

    It is only ever shown and recorded; no path is ever made from it.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:110] + "…" + dot + ext) if dot and len(ext) <= 8 else name[:120]
    return name or "berkas"


def suffix_of(name: str) -> str:
    """'.xlsx' or '.csv'; any other kind of file is refused (415) before it is kept."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadRefused(
            f"Berkas '{name}' tidak diterima: hanya berkas .xlsx (Excel) atau .csv yang dapat "
            "diunggah. Di Excel pilih File › Simpan Sebagai › 'Buku Kerja Excel (*.xlsx)'.",
            415,
        )
    return suffix


@dataclass(frozen=True)
class Kept:
    path: Path
    sha256: str
    size: int


def keep_upload(stream: BinaryIO, folder: Path, suffix: str, limit: int) -> Kept:
    """The uploaded bytes as a read-only file named by their sha256 under `folder`.

    Read in blocks and hashed while written; more than `limit` bytes stops it (the body limit
    already refused any declared size over it).
    """
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".masuk-{os.getpid()}-{os.urandom(6).hex()}{suffix}"
    digest, size = hashlib.sha256(), 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o444)
    try:
        with os.fdopen(fd, "wb") as out:
            while block := stream.read(1 << 20):
                size += len(block)
                if size > limit:
                    raise UploadRefused(too_large_text(limit), 413)
                digest.update(block)
                out.write(block)
        sha = digest.hexdigest()
        target = folder / sha[:2] / f"{sha}{suffix}"
        target.parent.mkdir(exist_ok=True)
        if target.exists():  # the same bytes again: kept already (read-only, so not replaced)
            tmp.unlink()
        else:
            os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if size == 0:
        raise UploadRefused("Berkas yang diunggah kosong (0 byte).", 400)
    return Kept(target, sha, size)


@dataclass
class Job:
    access: Access
    unit: str
    period: Period
    jalur: str
    name: str
    kept: Kept
    done: threading.Event = field(default_factory=threading.Event)
    answer: dict[str, Any] | None = None
    failure: str | None = None


class Judge:
    """The one thread that judges uploads, in batches (see the module docstring)."""

    def __init__(self, portal: Portal, batch_max: int = 60) -> None:
        self.portal, self.batch_max = portal, batch_max
        self._waiting: deque[Job] = deque()
        self._ready = threading.Condition()
        self._holdings: dict[tuple[str, int, int], Holding] = {}  # inbox files read before
        # Held while GX runs: other work of this process that validates (a reminder from the
        # board reads and checks the inbox) takes it too, so GX never runs in two threads.
        self.gx = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="penilai-unggahan", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> dict[str, Any]:
        """The verdict of one upload, once its batch is judged and recorded."""
        with self._ready:
            self._waiting.append(job)
            self._ready.notify()
        if not job.done.wait(WAIT_S):
            raise UploadRefused(
                "Pemeriksaan berkas belum selesai karena antrean panjang. Berkas Anda tetap "
                "diperiksa; lihat hasilnya di riwayat unggahan beberapa menit lagi.",
                503,
            )
        if job.failure is not None:
            raise UploadRefused(job.failure, 500)
        assert job.answer is not None
        return job.answer

    def _take(self) -> list[Job]:
        """Waiting jobs of the first job's quarter, one per unit, oldest first."""
        with self._ready:
            while not self._waiting:
                self._ready.wait()
            period = self._waiting[0].period
            batch: list[Job] = []
            units: set[str] = set()
            for job in list(self._waiting):
                if len(batch) >= self.batch_max:
                    break
                if job.period == period and job.unit not in units:
                    batch.append(job)
                    units.add(job.unit)
            for job in batch:
                self._waiting.remove(job)
            return batch

    def _warm(self) -> None:
        """One judgement of a blank template at start: the first real upload skips GX's import."""
        from triwulan.tasks.collect.template import write_template

        try:
            period = self.portal.open_period()
            ref = self.portal.ref(period.tahun)
            unit = str(ref.units["unit"].iloc[0])
            with tempfile.TemporaryDirectory(prefix="triwulan-pemanasan-") as folder:
                path = write_template(ref, period, unit, Path(folder) / "isian.xlsx")
                with self.gx:
                    judge_uploads([Upload(unit, path, path.name)], ref, period, None, load_limits())
        except Exception:  # only a warm-up: the first upload pays instead
            log.warning("pemanasan pemeriksa gagal", exc_info=True)

    def _loop(self) -> None:
        """Never ends: a fault of one batch is told to its uploads, the next batch is judged."""
        self._warm()
        while True:
            batch = self._take()
            try:
                self._judge(batch)
            except Exception:
                log.exception("pemeriksaan unggahan gagal")
                for job in batch:
                    if not job.done.is_set():
                        self._fail(job, "gagal_diperiksa", NOT_JUDGED)

    def _fail(self, job: Job, status: str, told: str) -> None:
        """Recorded when the store lets us (a store that fails is what failed), told always."""
        try:
            self._record(job, status, [])
        except Exception:
            log.exception("unggahan %s %s tidak tercatat", job.unit, job.kept.sha256[:12])
        job.failure = told
        job.done.set()

    def _judge(self, batch: list[Job]) -> None:
        period = batch[0].period
        engine = self.portal.engine
        ref = self.portal.ref(period.tahun)
        earlier = store.earlier_figures(engine, period.tahun, period.triwulan)
        items = [Upload(job.unit, job.kept.path, job.name) for job in batch]
        with self.gx:
            verdicts = judge_uploads(items, ref, period, earlier, load_limits())
        folder, holdings = None, {}
        if any(v.accepted for v in verdicts):
            try:
                folder = self._open_folder(period)
                path = quarter_inbox(self.portal.settings.inbox, period.tahun, period.triwulan)
                with self.gx:
                    holdings = inbox_holdings(path, ref.units, load_limits(), self._holdings)
            except (TriwulanError, OSError) as exc:  # the inbox, not the files, is at fault
                log.error("inbox %s tidak dapat dipakai: %s", period.label, exc)
        try:
            for job, verdict in zip(batch, verdicts, strict=True):
                self._finish(job, verdict, folder, holdings)
        finally:
            if folder is not None:
                os.close(folder)

    def _finish(
        self, job: Job, verdict: UploadVerdict, folder: int | None, holdings: dict[str, Holding]
    ) -> None:
        """Recorded first, then placed: an upload that cannot be placed is still on record."""
        upload_id = self._record(job, verdict.status, verdict.masalah)
        placed, aside = None, []
        if verdict.accepted:
            try:
                if folder is None:
                    raise TriwulanError("folder inbox triwulan itu tidak dapat dibuka")
                placed, aside = self._place(job, verdict, folder, holdings)
            except (TriwulanError, OSError) as exc:
                log.error("unggahan %d tidak dapat ditaruh di inbox: %s", upload_id, exc)
                self._unplaced(job, upload_id)
                return
            ledger.update_upload(
                self.portal.engine, upload_id, inbox=placed, disisihkan=aside or None
            )
        job.answer = self._answer(job, upload_id, verdict, placed, aside)
        job.done.set()

    def _unplaced(self, job: Job, upload_id: int) -> None:
        ledger.update_upload(self.portal.engine, upload_id, status="gagal_ditempatkan")
        job.failure = NOT_PLACED
        job.done.set()

    def _open_folder(self, period: Period) -> int:
        inbox = self.portal.settings.inbox
        return open_folder(inbox, str(period.tahun), f"TW{period.triwulan}")

    def _place(
        self, job: Job, verdict: UploadVerdict, folder: int, holdings: dict[str, Holding]
    ) -> tuple[str, list[str]]:
        """Into the quarter's inbox under the unit's own name; the files it replaces set aside."""
        iku_only = "realisasi" not in verdict.sheets and len(verdict.sheets) == 1
        name = portal_name(job.unit, job.kept.path.suffix, verdict.sheets[0] if iku_only else None)
        place(job.kept.path, folder, name)
        stamp = self.portal.now().strftime("%Y%m%d-%H%M%S")
        aside = self.portal.settings.aside_dir / job.period.label / f"{stamp}-{job.unit}"
        replaced = superseded(holdings, job.unit, verdict.sheets, name)
        return name, set_aside(folder, replaced, name, aside)

    def _record(self, job: Job, status: str, masalah: list[dict[str, Any]]) -> int:
        return ledger.record_upload(
            self.portal.engine,
            periode=job.period.label,
            unit=job.unit,
            akses_id=job.access.id,
            jalur=job.jalur,
            nama_berkas=job.name,
            sha256=job.kept.sha256,
            ukuran=job.kept.size,
            lokasi=str(job.kept.path),
            status=status,
            masalah=masalah,
        )

    def _answer(
        self,
        job: Job,
        upload_id: int,
        verdict: UploadVerdict,
        placed: str | None,
        aside: list[str],
    ) -> dict[str, Any]:
        log.info(
            "unggahan %d: %s %s %s (%d masalah)",
            upload_id,
            job.unit,
            job.period.label,
            verdict.status,
            len(verdict.masalah),
        )
        return {
            "id": upload_id,
            "status": verdict.status,
            "unit": job.unit,
            "periode": job.period.label,
            "masalah": verdict.masalah,
            "inbox": placed,
            "disisihkan": aside,
        }
