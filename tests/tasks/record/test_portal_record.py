"""Access codes and the upload ledger in the database: hashes only, one-time links, revocation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from triwulan.tasks.record import database
from triwulan.tasks.record import portal as ledger


@pytest.fixture()
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    yield engine
    engine.dispose()


def test_only_hashes_are_stored(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    made = ledger.create_access(engine, "perwira", "uji@pc")
    engine.dispose()
    stored = (tmp_path / "db.sqlite").read_bytes()
    assert made.code.encode() not in stored
    assert made.code.replace("-", "").encode() not in stored
    assert made.link_token.encode() not in stored
    assert len(made.code.replace("-", "")) == 24


def test_a_code_opens_its_unit_as_typed_by_a_person(engine) -> None:  # type: ignore[no-untyped-def]
    made = ledger.create_access(engine, "perwira", "uji@pc")
    admin = ledger.create_access(engine, None, "uji@pc")
    typed = " " + made.code.lower().replace("-", " ") + " "
    assert ledger.by_code(engine, typed) == made.access
    assert made.access.unit == "perwira" and not made.access.admin
    assert ledger.by_code(engine, admin.code).admin
    assert ledger.by_code(engine, "AAAA-BBBB") is None


def test_a_link_signs_in_once(engine) -> None:  # type: ignore[no-untyped-def]
    made = ledger.create_access(engine, "perwira", "uji@pc")
    assert ledger.by_link(engine, made.link_token) == made.access
    assert ledger.by_link(engine, made.link_token) is None
    assert ledger.by_code(engine, made.code) == made.access  # the code keeps working


def test_revoking_ends_code_link_and_sessions_of_that_unit_only(engine) -> None:  # type: ignore[no-untyped-def]
    mine = ledger.create_access(engine, "perwira", "uji@pc")
    other = ledger.create_access(engine, "harapan-jaya", "uji@pc")
    admin = ledger.create_access(engine, None, "uji@pc")

    assert ledger.revoke(engine, "perwira") == 1
    assert ledger.revoke(engine, "perwira") == 0

    assert ledger.by_code(engine, mine.code) is None
    assert ledger.by_link(engine, mine.link_token) is None
    assert ledger.by_id(engine, mine.access.id) is None  # a session holds this id
    assert ledger.by_id(engine, other.access.id) == other.access
    assert ledger.by_code(engine, admin.code) == admin.access


def _upload(engine, unit: str, status: str, minutes: int, inbox: str | None = None) -> int:  # type: ignore[no-untyped-def]
    return ledger.record_upload(
        engine,
        periode="2024-TW2",
        unit=unit,
        akses_id=1,
        jalur="web",
        nama_berkas=f"{unit}.xlsx",
        sha256="0" * 64,
        ukuran=10,
        lokasi="/x",
        status=status,
        masalah=[{"baris": 4, "kolom": "realisasi_keuangan", "pesan": "salah", "tingkat": "galat"}]
        if status == "ditolak"
        else [],
        inbox=inbox,
        waktu=dt.datetime(2024, 7, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes),
    )


def test_the_latest_upload_and_the_latest_accepted_one(engine) -> None:  # type: ignore[no-untyped-def]
    _upload(engine, "perwira", "diterima", 1, "portal-perwira.xlsx")
    last = _upload(engine, "perwira", "ditolak", 2)
    _upload(engine, "harapan-jaya", "ditolak", 3)

    latest = ledger.latest_uploads(engine, 2024)

    assert latest[("2024-TW2", "perwira")]["latest"]["id"] == last
    assert latest[("2024-TW2", "perwira")]["latest"]["masalah"][0]["baris"] == 4
    assert latest[("2024-TW2", "perwira")]["accepted"]["inbox"] == "portal-perwira.xlsx"
    assert latest[("2024-TW2", "harapan-jaya")]["accepted"] is None
    assert ledger.latest_uploads(engine, 2025) == {}
    assert [u["unit"] for u in ledger.uploads(engine, 2024, "perwira")] == ["perwira"] * 2
