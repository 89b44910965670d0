"""The store on a real SQLite file: raw files kept by hash, corrections replace a unit's rows."""

from __future__ import annotations

import hashlib

import pandas as pd
from sqlalchemy import select

from triwulan.tasks.record import database, store
from triwulan.tasks.record import runs as record
from triwulan.tasks.record.mail import DbLedger


def accepted(unit: str, amount: int, file: str = "a.xlsx", sha: str = "f" * 64) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit": [unit, unit],
            "kode_sub_kegiatan": ["7.01.01.2.02.0001", "7.01.01.2.02.0007"],
            "realisasi_keuangan": [amount, 5],
            "realisasi_fisik": [50.0, 100.0],
            "realisasi_keluaran": [1.0, 2.0],
            "kendala": ["", "Menunggu tagihan"],
            "tindak_lanjut": ["", ""],
            "_file": [file, file],
            "_row": [2, 3],
            "sha256": [sha, sha],
        }
    )


def berkas_rows(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(store.berkas.c.sha256, store.berkas.c.nama_berkas)).all())


def test_a_quarter_of_files_is_recorded_in_one_commit_after_the_copies(tmp_path):
    """1,000 files (more than one IN chunk): copied at once, recorded when committed, once each;
    a file the store already knew keeps its first row."""
    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = inbox / "lama.csv"
    first.write_bytes(b"berkas 0")
    known = store.keep_raw(engine, first, tmp_path / "raw")
    keeper = store.RawKeeper(engine, tmp_path / "raw")
    shas = []
    for i in range(1000):
        path = inbox / f"unit-{i:04d}.csv"
        path.write_bytes(f"berkas {i}".encode())
        shas.append(keeper.keep(path))
    keeper.keep(first)  # the same bytes again
    assert berkas_rows(engine) == {known: "lama.csv"}  # nothing recorded before the commit
    assert all(store.raw_path(tmp_path / "raw", s, ".csv").is_file() for s in shas)
    keeper.commit()
    rows = berkas_rows(engine)
    assert len(rows) == 1000 and rows[known] == "lama.csv" and rows[shas[7]] == "unit-0007.csv"
    keeper.commit()  # nothing pending: no error, nothing doubled
    assert len(berkas_rows(engine)) == 1000


def test_raw_file_kept_once_by_content(tmp_path):
    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    received = tmp_path / "Realisasi TW1.xlsx"
    received.write_bytes(b"isi berkas")
    digest = store.keep_raw(engine, received, tmp_path / "raw")
    assert digest == hashlib.sha256(b"isi berkas").hexdigest()
    kept = tmp_path / "raw" / digest[:2] / f"{digest}.xlsx"
    assert kept.read_bytes() == b"isi berkas"
    assert (
        store.keep_raw(engine, received, tmp_path / "raw") == digest
    )  # second time: no error, no copy
    received.write_bytes(b"isi berkas diperbaiki")
    other = store.keep_raw(engine, received, tmp_path / "raw")
    assert other != digest and kept.read_bytes() == b"isi berkas"  # the earlier file is untouched


def test_correction_replaces_only_that_units_rows(tmp_path):
    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.save_accepted(
        engine, 2024, 1, pd.concat([accepted("perwira", 100), accepted("kecamatan", 7)]), 1
    )
    store.save_accepted(engine, 2024, 2, accepted("perwira", 300), 1)
    store.save_accepted(engine, 2024, 1, accepted("perwira", 150, "koreksi.xlsx", "e" * 64), 2)
    rows = store.load_realisasi(engine, 2024, 1)
    per_unit = rows.groupby("unit")["realisasi_keuangan"].sum().to_dict()
    assert per_unit == {"perwira": 155, "kecamatan": 12}
    assert set(rows.loc[rows["unit"] == "perwira", "nama_berkas"]) == {"koreksi.xlsx"}
    assert len(store.load_realisasi(engine, 2024, 2)) == 6
    assert rows["realisasi_keuangan"].dtype == "int64"


def test_money_beyond_32_bits_round_trips(tmp_path):
    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.save_accepted(engine, 2024, 1, accepted("kecamatan", 15_046_107_000), 1)
    assert store.load_realisasi(engine, 2024, 1)["realisasi_keuangan"].max() == 15_046_107_000


def test_versions_count_up_and_respect_folders_on_disk(tmp_path):
    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    folder = tmp_path / "2024" / "TW1"
    assert store.next_version(engine, "2024-TW1", folder) == 1
    run = record.start_run(engine, "2024-TW1", 1, folder / "v1", pemicu="manual", parameter={})
    record.finish_run(engine, run, "selesai", {"accepted": 6, "rejected": 1, "missing": 0})
    assert store.next_version(engine, "2024-TW1", folder) == 2
    (folder / "v7").mkdir(parents=True)  # e.g. a database that was reset: never overwrite a folder
    assert store.next_version(engine, "2024-TW1", folder) == 8
    (folder / "v9.gagal").mkdir()  # a failed run's number is not reused either
    assert store.next_version(engine, "2024-TW1", folder) == 10
    assert store.next_version(engine, "2024-TW2", tmp_path / "2024" / "TW2") == 1


def test_the_same_file_accepted_again_keeps_its_version(tmp_path):
    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert store.save_accepted(engine, 2024, 1, accepted("perwira", 100), 1) == 2
    assert store.save_accepted(engine, 2024, 1, accepted("perwira", 100), 2) == 0  # a rerun
    assert store.stored_sources(engine, 2024, 1) == {"perwira": {"file": "a.xlsx", "versi": 1}}
    assert store.earlier_totals(engine, 2024, 2)["realisasi_keuangan"].sum() == 105
    assert store.earlier_totals(engine, 2024, 1).empty


def test_an_old_terkirim_json_is_imported_once_into_the_database_ledger(tmp_path):
    """Out folders from before the database ledger keep what they sent: nothing goes out twice."""
    import json

    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    export = tmp_path / "2024" / "TW1" / "terkirim.json"
    export.parent.mkdir(parents=True)
    old = {
        "2024-TW1/pimpinan/aaa": {"urutan": 1, "waktu": "2025-01-10T08:05:00+07:00"},
        "2024-TW1/unit/perwira/bbb": {"status": "unknown", "urutan": 2, "kepada": ["a@b.id"]},
    }
    export.write_text(json.dumps({"versi": 1, "terkirim": old}), encoding="utf-8")
    ledger = DbLedger(engine, "2024-TW1", export, versi=None, run_id=None)
    sent = ledger.load()
    assert {k: v["status"] for k, v in sent.items()} == {
        "2024-TW1/pimpinan/aaa": "terkirim",
        "2024-TW1/unit/perwira/bbb": "unknown",
    }
    assert sent["2024-TW1/pimpinan/aaa"]["waktu"].startswith("2025-01-10T01:05:00")  # kept in UTC
    ledger.record("2024-TW1/pimpinan/ccc", {"status": "terkirim", "kepada": ["c@d.id"]})
    assert len(DbLedger(engine, "2024-TW1", export, versi=None, run_id=None).load()) == 3
    exported = json.loads(export.read_text(encoding="utf-8"))
    assert exported["sumber"] == "basis data (tabel surat)" and len(exported["terkirim"]) == 3


def test_a_batch_records_every_send_at_once_and_exports_once(tmp_path):
    """Each send is a row as it happens (never sent twice); terkirim.json follows at the end."""
    import json

    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    export = tmp_path / "2024" / "TW1" / "terkirim.json"
    ledger = DbLedger(engine, "2024-TW1", export, versi=1, run_id=None)
    with ledger.batched():
        ledger.record("2024-TW1/unit/a/111", {"status": "terkirim", "kepada": ["a@b.id"]})
        ledger.record("2024-TW1/unit/b/222", {"status": "unknown", "kepada": ["b@b.id"]})
        fresh = DbLedger(engine, "2024-TW1", export, versi=1, run_id=None)
        assert set(fresh.load()) == {"2024-TW1/unit/a/111", "2024-TW1/unit/b/222"}
        assert not export.exists()
    exported = json.loads(export.read_text(encoding="utf-8"))
    assert set(exported["terkirim"]) == {"2024-TW1/unit/a/111", "2024-TW1/unit/b/222"}
    ledger.record("2024-TW1/unit/c/333", {"status": "terkirim", "kepada": ["c@b.id"]})
    assert len(json.loads(export.read_text(encoding="utf-8"))["terkirim"]) == 3  # outside: at once
