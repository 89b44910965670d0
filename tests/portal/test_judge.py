"""The judge thread in-process: batches, and a fault of one batch never stops the next."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from tests.filled import filled_template
from triwulan.portal.context import Portal
from triwulan.portal.settings import PortalSettings
from triwulan.portal.uploads import Job, Judge, UploadRefused, keep_upload
from triwulan.tasks.core.period import parse_period
from triwulan.tasks.core.reference import load_reference
from triwulan.tasks.record import database
from triwulan.tasks.record import portal as ledger

TW2 = parse_period("2024-TW2")


@pytest.fixture()
def judge(tmp_path: Path) -> Judge:
    settings = PortalSettings(
        secret="x" * 32,
        alamat="http://127.0.0.1:8080",
        inbox=tmp_path / "inbox",
        out=tmp_path / "out",
        max_bytes=10 << 20,
        per_hour=30,
        session_s=3600,
    )
    (tmp_path / "inbox").mkdir()
    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    return Judge(Portal(settings, engine))


def _job(judge: Judge, tmp_path: Path, unit: str, name: str) -> Job:
    path = filled_template(load_reference(2024), TW2, unit, tmp_path / f"{unit}.xlsx")
    with path.open("rb") as stream:
        kept = keep_upload(stream, judge.portal.settings.kept_dir, ".xlsx", 10 << 20)
    access = ledger.create_access(judge.portal.engine, unit, "uji").access
    return Job(access, unit, TW2, "api", name, kept)


def test_a_store_fault_fails_its_batch_and_the_next_upload_is_judged(
    judge: Judge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ledger.record_upload
    calls = {"n": 0}

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] <= 2:  # the verdict's row and the failure's row: the store is away
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ledger, "record_upload", flaky)
    with pytest.raises(UploadRefused) as refused:
        judge.submit(_job(judge, tmp_path, "perwira", "a.xlsx"))
    assert refused.value.status == 500 and "belum diterima" in str(refused.value)
    assert not list((tmp_path / "inbox").rglob("*.xlsx"))  # recorded first, placed after

    answer = judge.submit(_job(judge, tmp_path, "harapan-jaya", "b.xlsx"))
    assert answer["status"] == "diterima" and answer["inbox"] == "portal-harapan-jaya.xlsx"
    assert judge._thread.is_alive()


def test_two_units_at_once_are_one_batch_and_same_names_do_not_wait(
    judge: Judge, tmp_path: Path
) -> None:
    jobs = [_job(judge, tmp_path, u, "realisasi.xlsx") for u in ("perwira", "marga-mulya")]
    answers: list[dict] = []
    threads = [threading.Thread(target=lambda j=j: answers.append(judge.submit(j))) for j in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert sorted(a["unit"] for a in answers) == ["marga-mulya", "perwira"]
    assert all(a["status"] == "diterima" for a in answers)
    rows = ledger.uploads(judge.portal.engine, 2024)
    assert {r["unit"] for r in rows} == {"perwira", "marga-mulya"}
    assert all(r["inbox"] == f"portal-{r['unit']}.xlsx" for r in rows)
