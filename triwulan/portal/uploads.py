"""An upload from arrival to verdict: kept byte for byte, judged, recorded, placed in the inbox.

Uploads are judged by one thread (the judge) in batches: everything waiting when it is free,
one file per unit and per name, goes through the reader and Great Expectations in one pass, the
way the run judges a quarter. Fifty units uploading at once cost a few GX passes, not fifty,
and GX is only ever called from one thread.
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
from triwulan.tasks.check.upload import REJECTED, Upload, UploadVerdict, judge_uploads
from triwulan.tasks.collect.inbox_write import place, portal_name, real_folder, set_aside
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


class UploadRefused(TriwulanError):
    """An upload refused before it is judged; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


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
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadRefused(
            f"Berkas '{name}' tidak diterima: hanya berkas .xlsx (Excel) atau .csv yang dapat "
            "diunggah. Simpan ulang dari Excel sebagai 'Excel Workbook (.xlsx)'.",
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
                    raise UploadRefused(
                        f"Berkas terlalu besar: batas unggahan {limit >> 20} MB.", 413
                    )
                digest.update(block)
                out.write(block)
        sha = digest.hexdigest()
        target = folder / sha[:2] / f"{sha}{suffix}"
        target.parent.mkdir(exist_ok=True)
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
        self._thread = threading.Thread(target=self._loop, name="penilai-unggahan", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> dict[str, Any]:
        """The verdict of one upload, once its batch is judged and recorded."""
        with self._ready:
            self._waiting.append(job)
            self._ready.notify()
        if not job.done.wait(WAIT_S):
            raise UploadRefused("Pemeriksaan berkas terlalu lama; coba unggah lagi nanti.", 503)
        if job.failure is not None:
            raise UploadRefused(job.failure, 500)
        assert job.answer is not None
        return job.answer

    def _take(self) -> list[Job]:
        """Waiting jobs of the first job's quarter: one per unit and per name, oldest first."""
        with self._ready:
            while not self._waiting:
                self._ready.wait()
            period = self._waiting[0].period
            batch: list[Job] = []
            units: set[str] = set()
            names: set[str] = set()
            for job in list(self._waiting):
                if len(batch) >= self.batch_max:
                    break
                if job.period != period or job.unit in units or job.name in names:
                    continue
                batch.append(job)
                units.add(job.unit)
                names.add(job.name)
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
                judge_uploads([Upload(unit, path, path.name)], ref, period, None, load_limits())
        except Exception:  # only a warm-up: the first upload pays instead
            log.warning("pemanasan pemeriksa gagal", exc_info=True)

    def _loop(self) -> None:
        self._warm()
        while True:
            batch = self._take()
            try:
                self._judge(batch)
            except Exception:  # a fault of ours: every upload of the batch is told, nothing hangs
                log.exception("pemeriksaan unggahan gagal")
                for job in batch:
                    if not job.done.is_set():
                        job.failure = (
                            "Pemeriksaan berkas gagal karena kesalahan di server portal. Berkas "
                            "Anda sudah disimpan; sekretariat dapat melihat catatannya."
                        )
                        self._record(job, "gagal_diperiksa", [], None, None)
                        job.done.set()

    def _judge(self, batch: list[Job]) -> None:
        period = batch[0].period
        engine = self.portal.engine
        ref = self.portal.ref(period.tahun)
        earlier = store.earlier_figures(engine, period.tahun, period.triwulan)
        items = [Upload(job.unit, job.kept.path, job.name) for job in batch]
        verdicts = judge_uploads(items, ref, period, earlier, load_limits())
        for job, verdict in zip(batch, verdicts, strict=True):
            placed, aside = None, None
            if verdict.accepted:
                try:
                    placed, aside = self._place(job, verdict)
                except (TriwulanError, OSError) as exc:  # the inbox, not the file, is at fault
                    log.error("unggahan %s tidak dapat ditaruh di inbox: %s", job.unit, exc)
                    self._record(job, "gagal_ditempatkan", verdict.masalah, None, None)
                    job.failure = (
                        "Berkas Anda lolos pemeriksaan dan sudah disimpan, tetapi tidak dapat "
                        "ditaruh di folder inbox sekretariat. Sekretariat sudah dapat melihatnya "
                        "di papan; hubungi sekretariat."
                    )
                    job.done.set()
                    continue
            job.answer = self._answer(job, verdict, placed, aside)
            job.done.set()

    def _place(self, job: Job, verdict: UploadVerdict) -> tuple[str, list[str]]:
        """Into the quarter's inbox under the unit's own name; its other files set aside."""
        settings = self.portal.settings
        period = job.period
        inbox = quarter_inbox(settings.inbox, period.tahun, period.triwulan)
        folder = real_folder(settings.inbox, str(period.tahun), inbox.name)
        iku_only = "realisasi" not in verdict.sheets and len(verdict.sheets) == 1
        name = portal_name(job.unit, job.kept.path.suffix, verdict.sheets[0] if iku_only else None)
        place(job.kept.path, folder, name)
        if iku_only:
            return name, []
        others = ledger.names_of_unit(self.portal.engine, period.label, job.unit)
        others |= {portal_name(job.unit, s) for s in (".xlsx", ".csv")}
        stamp = self.portal.now().strftime("%Y%m%d-%H%M%S")
        aside = settings.aside_dir / period.label / f"{stamp}-{job.unit}"
        moved = set_aside(folder, sorted(others), name, aside)
        return name, moved

    def _record(
        self,
        job: Job,
        status: str,
        masalah: list[dict[str, Any]],
        placed: str | None,
        aside: list[str] | None,
    ) -> int:
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
            inbox=placed,
            disisihkan=aside or None,
        )

    def _answer(
        self, job: Job, verdict: UploadVerdict, placed: str | None, aside: list[str] | None
    ) -> dict[str, Any]:
        upload_id = self._record(job, verdict.status, verdict.masalah, placed, aside)
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
            "disisihkan": aside or [],
            "ditolak": verdict.status == REJECTED,
        }
