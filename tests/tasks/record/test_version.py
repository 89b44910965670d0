"""A version is complete under its own name, or marked failed: never a half folder named v<k>."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from triwulan.tasks.record import database
from triwulan.tasks.record.store import runs
from triwulan.tasks.record.version import version_run


def run_row(engine, run_id: int) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(runs).where(runs.c.id == run_id)).mappings().one())


@pytest.fixture
def engine(tmp_path: Path):
    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    yield engine
    engine.dispose()


def test_a_finished_version_is_published_and_recorded(engine, tmp_path: Path) -> None:
    folder = tmp_path / "2024" / "TW2"
    with version_run(engine, "2024-TW2", 3, folder, pemicu="manual", parameter={}) as run:
        run.work.mkdir(parents=True)
        (run.work / "summary.json").write_text("{}")
        assert run.work.name == ".v3.sedang" and not run.final.exists()
        published = run.publish()
        run.finished({"accepted": 5, "rejected": 1, "missing": 1}, "email pimpinan gagal")
    assert published == folder / "v3" and (published / "summary.json").is_file()
    row = run_row(engine, run.run_id)
    assert (row["status"], row["versi"], row["folder"]) == ("selesai", 3, str(folder / "v3"))
    assert (row["diterima"], row["ditolak"], row["tidak_ada"]) == (5, 1, 1)
    assert row["pesan"] == "email pimpinan gagal"


@pytest.mark.parametrize("published", [False, True])
def test_a_failure_leaves_v_gagal_and_the_error_itself(engine, tmp_path, published) -> None:
    folder = tmp_path / "2024" / "TW2"
    with (
        pytest.raises(ZeroDivisionError),
        version_run(engine, "2024-TW2", 2, folder, pemicu="manual", parameter={}) as run,
    ):
        run.work.mkdir(parents=True)
        if published:
            run.publish()
        1 / 0  # noqa: B018  (any error inside the block)
    assert sorted(p.name for p in folder.iterdir()) == ["v2.gagal"]
    row = run_row(engine, run.run_id)
    assert (row["status"], row["pesan"]) == ("gagal", "division by zero")
