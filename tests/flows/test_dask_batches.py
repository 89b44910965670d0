"""A large quarter is read in batches on a Dask cluster: the same report as read in one go.

The batch size is lowered (TRIWULAN_BATAS_BERKAS_PER_BATCH=3) so the sample's TW I, seven
files with a rejected one among them, is read as three batches by a LocalCluster of two worker
processes through prefect-dask's DaskTaskRunner.
"""

from __future__ import annotations

import shutil
import time

import pytest

from triwulan.paths import SAMPLE_DIR


def _run(tmp_path, name: str, monkeypatch, **env: str) -> dict:
    from triwulan.flows.quarterly import quarterly_report

    inbox = tmp_path / name / "inbox"
    shutil.copytree(SAMPLE_DIR / "inbox" / "2024" / "TW1", inbox / "2024" / "TW1")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return quarterly_report("2024-TW1", str(inbox), str(tmp_path / name / "out"))


def test_batches_on_a_dask_cluster_give_the_same_report(tmp_path, monkeypatch, prefect_api):
    pytest.importorskip("prefect_dask")
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    monkeypatch.delenv("TRIWULAN_DASK_ALAMAT", raising=False)
    once = _run(tmp_path, "sekali", monkeypatch)
    batched = _run(
        tmp_path,
        "dask",
        monkeypatch,
        TRIWULAN_DASK_ALAMAT="lokal:2",
        TRIWULAN_BATAS_BERKAS_PER_BATCH="3",
        PREFECT_API_URL=str(PREFECT_API_URL.value()),  # the workers report their task runs
    )
    for key in ("counts", "totals", "unreadable_files", "iku"):
        assert batched[key] == once[key], key
    assert [(u["unit"], u["status"], len(u["problems"])) for u in batched["units"]] == [
        (u["unit"], u["status"], len(u["problems"])) for u in once["units"]
    ]
    assert batched["counts"]["rejected"] == 1  # the sample's faulty TW I file, found in a batch
    # Task runs reach the server as events, written a moment after the run: wait for them.
    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while True:
            names = [r.name for r in client.read_task_runs() if r.name.startswith("baca ")]
            if len(names) >= 3 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert len(names) == 3  # three batches of at most three files: never one task per file
