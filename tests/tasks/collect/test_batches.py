"""Files read in batches (a Dask cluster's share each) merge into what one read gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from triwulan.paths import SAMPLE_DIR
from triwulan.tasks.collect.ingest import (
    collect_quarter,
    keep_all,
    merge_received,
    read_kept,
)
from triwulan.tasks.core.limits import load_limits


@pytest.fixture
def inbox(tmp_path: Path) -> list[Path]:
    """The sample's TW II with a CSV, an empty file and a folder among the workbooks."""
    folder = tmp_path / "TW2"
    shutil.copytree(SAMPLE_DIR / "inbox" / "2024" / "TW2", folder)
    (folder / "catatan.csv").write_text("unit,kode_sub_kegiatan\nperwira,1\n", encoding="utf-8")
    (folder / "kosong.xlsx").write_bytes(b"")
    (folder / "bukan berkas.xlsx").mkdir()
    return sorted(folder.iterdir())


def _keep(store: Path):
    store.mkdir(exist_ok=True)

    def keep(path: Path) -> tuple[str, Path]:
        copy = store / path.name
        shutil.copyfile(path, copy)
        return path.name, copy

    return keep


@pytest.mark.parametrize("size", [1, 3, 100])
def test_batches_merge_into_the_single_read(inbox: list[Path], tmp_path: Path, size: int) -> None:
    limits = load_limits()
    once = collect_quarter(inbox, _keep(tmp_path / "a"), limits)
    kept = keep_all(inbox, _keep(tmp_path / "b"), limits)
    parts = [read_kept(kept.files[i : i + size], limits) for i in range(0, len(kept.files), size)]
    merged = merge_received(kept, parts)
    pd.testing.assert_frame_equal(merged.raw, once.raw)
    assert merged.raw.dtypes.to_dict() == once.raw.dtypes.to_dict()
    assert sorted(merged.iku) == sorted(once.iku)
    for sheet, frame in once.iku.items():
        pd.testing.assert_frame_equal(merged.iku[sheet], frame)
    assert sorted(p.file for p in merged.file_problems) == sorted(
        p.file for p in once.file_problems
    )
    assert {"kosong.xlsx", "bukan berkas.xlsx"} <= {p.file for p in merged.file_problems}
    assert merged.sha256 == once.sha256
    assert merged.iku_files == once.iku_files
