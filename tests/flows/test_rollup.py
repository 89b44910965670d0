"""A kota of three kecamatan rolled up three ways gives the same figures (issue 16).

- in one process (threads, the default), on SQLite stores;
- on a Dask LocalCluster of two worker processes (prefect-dask), on SQLite stores;
- as deployment runs picked up by two process workers of a Prefect work pool, with the Prefect
  server and the kecamatan stores on one real PostgreSQL (a schema per kecamatan).

Each setup starts from an empty out folder, so every kecamatan really runs in it. The figures
must also be the sums of the kecamatan's own reports, derived again (not averaged).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest

from tests.smtp_server import SmtpTestServer
from triwulan.sample.kota import KECAMATAN, write_kota
from triwulan.tasks.measure.rollup import figures

PERIODE = "2024-TW2"
POOL = "triwulan-uji"
DEPLOYMENT = "quarterly-report/kecamatan-wilayah"


@pytest.fixture(scope="module")
def kota(tmp_path_factory):
    return write_kota(tmp_path_factory.mktemp("kota") / "kota")


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    return {}


def _rollup(kota, out: Path, monkeypatch, wilayah: str = "32.75", **env: str) -> dict:
    from triwulan.flows.rollup import run_rollup

    monkeypatch.setenv("TRIWULAN_REFERENCE", str(kota.root))
    for key in ("TRIWULAN_DASK_ALAMAT", "TRIWULAN_WILAYAH_DEPLOYMENT", "TRIWULAN_DB_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return run_rollup(wilayah, PERIODE, inbox=str(kota.inbox), out=str(out))


KOTA_LEADERSHIP = {
    "walikota.bekasi@example.go.id",
    "sekda.bekasi@example.go.id",
    "bappelitbangda.bekasi@example.go.id",
}


def _level_mails(server: SmtpTestServer) -> list:
    return [m for m in server.messages if KOTA_LEADERSHIP & set(m.rcpt_tos)]


def test_in_one_process(kota, results, tmp_path, monkeypatch, prefect_api):
    with SmtpTestServer() as server:
        answer = _rollup(kota, tmp_path / "out", monkeypatch, **server.env())
        [level_mail] = _level_mails(server)
        # the same roll-up again: no new version, the level's mail not sent twice
        again = _rollup(kota, tmp_path / "out", monkeypatch, **server.env())
        assert len(_level_mails(server)) == 1
    results["proses"] = answer
    assert answer["failures"] == {}
    assert [c["kode"] for c in answer["children"]] == [k.kode for k in KECAMATAN]
    assert all(c["status"] == "dilaporkan" for c in answer["children"])

    # the kota's figures are the kecamatan's own, summed and derived again
    own = [
        json.loads((Path(c["folder"]) / "summary.json").read_text(encoding="utf-8"))
        for c in answer["children"]
    ]
    for key in ("pagu", "realisasi_keuangan_tw", "realisasi_keuangan_sd_tw"):
        assert answer["totals"][key] == sum(s["totals"][key] for s in own)
    t = answer["totals"]
    assert t["capaian_keuangan_sd_tw_persen"] == round(
        100 * t["realisasi_keuangan_sd_tw"] / t["target_keuangan_sd_tw"], 2
    )
    assert answer["counts"]["accepted"] == sum(s["counts"]["accepted"] for s in own)
    # who is missing, per kecamatan, as the kecamatan's own reports say
    by_code = {c["kode"]: c for c in answer["children"]}
    assert by_code["32.75.91"]["missing"] == ["Kelurahan Harapan Baru"]
    assert by_code["32.75.92"]["counts"]["accepted"] == by_code["32.75.92"]["counts"]["total"]
    assert [c["complete"] for c in answer["children"]] == [s["complete"] for s in own]
    assert sorted(by_code["32.75.93"]["missing"]) == ["Kelurahan Perwira", "Kelurahan Teluk Pucung"]
    assert answer["complete"] is False

    # the level's report and mail: its own leadership only, nothing per unit attached
    folder = Path(answer["folder"])
    page = (folder / "laporan.html").read_text(encoding="utf-8")
    assert "Kelurahan Harapan Baru" in page and "3 dari 3 kecamatan melapor" in page
    assert set(level_mail.rcpt_tos) == KOTA_LEADERSHIP  # its own leadership, no Camat in cc
    message = level_mail.parse()
    assert message["To"] == "walikota.bekasi@example.go.id"
    assert "3 dari 3 melapor" in message["Subject"]
    assert len(level_mail.content) < 2_000_000
    assert again["version"] == answer["version"] and again["new_version"] is False
    assert [d["status"] for d in again["delivery"]] == ["sudah_terkirim"]


def test_a_province_consolidates_its_kota_without_redoing_them(
    kota, results, tmp_path, monkeypatch, prefect_api
):
    """Province → kota → kecamatan: the kota's report is built first and read back."""
    if "proses" not in results:
        pytest.skip("needs the one-process roll-up of this module first")
    out = Path(results["proses"]["folder"]).parents[3]  # <out>/32.75/2024/TW2/v1
    province = kota.root / "32"
    province.mkdir(exist_ok=True)
    (province / "wilayah.toml").write_text(
        'kode = "32"\nnama = "Jawa Barat"\ntingkat = "provinsi"\nanak = ["32.75"]\n',
        encoding="utf-8",
    )
    (province / "recipients.csv").write_text(
        "peran,nama,jabatan,email\ngubernur,G,Gubernur,gubernur.jabar@example.go.id\n",
        encoding="utf-8",
    )
    try:
        answer = _rollup(kota, out, monkeypatch, "32")  # same out: the kecamatan are unchanged
    finally:
        shutil.rmtree(province)
    kota_row = answer["children"][0]
    assert answer["wilayah"]["tingkat"] == "provinsi" and kota_row["kode"] == "32.75"
    assert kota_row["tingkat"] == "kota" and kota_row["version"] == results["proses"]["version"]
    assert answer["totals"] == results["proses"]["totals"]
    assert answer["counts"]["kecamatan"] == 3 and answer["counts"]["anak"] == 1
    assert kota_row["children"] == {"anak": 3, "dilaporkan": 3, "lengkap": 0}
    # the kota's unchanged version was read back, not rebuilt
    assert answer["levels"][0] == {"kode": "32.75", "folder": results["proses"]["folder"]}


def test_a_kecamatan_that_cannot_run_is_shown_and_the_others_go_on(
    tmp_path, monkeypatch, prefect_api
):
    kota = write_kota(tmp_path / "kota")
    shutil.rmtree(kota.inbox / "32.75.93" / "2024" / "TW1")  # nothing came in for TW I
    monkeypatch.setenv("TRIWULAN_REFERENCE", str(kota.root))
    from triwulan.flows.rollup import run_rollup

    answer = run_rollup("32.75", "2024-TW1", inbox=str(kota.inbox), out=str(tmp_path / "out"))
    assert set(answer["failures"]) == {"32.75.93"}
    assert "Belum ada berkas masuk untuk 2024-TW1" in answer["failures"]["32.75.93"]
    row = answer["children"][2]
    assert row["status"] == "belum_ada" and "Belum ada berkas masuk" in row["message"]
    assert [c["status"] for c in answer["children"][:2]] == ["dilaporkan", "dilaporkan"]
    assert answer["counts"]["anak_dilaporkan"] == 2 and answer["complete"] is False
    page = (Path(answer["folder"]) / "laporan.html").read_text(encoding="utf-8")
    assert "2 dari 3 kecamatan melapor" in page
    assert "Belum ada laporan: Kecamatan Contoh Selatan" in page


def test_on_a_dask_local_cluster(kota, results, tmp_path, monkeypatch, prefect_api):
    pytest.importorskip("prefect_dask")
    from prefect.settings import PREFECT_API_URL

    # the cluster's worker processes find the API and the settings in their environment
    answer = _rollup(
        kota,
        tmp_path / "out",
        monkeypatch,
        TRIWULAN_DASK_ALAMAT="lokal:2",
        PREFECT_API_URL=str(PREFECT_API_URL.value()),
    )
    results["dask"] = answer
    assert answer["failures"] == {}
    if "proses" in results:
        assert figures(answer) == figures(results["proses"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Prefect server ended with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("Prefect server did not answer")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def work_pool(postgres_url, tmp_path, kota):
    """A Prefect server on PostgreSQL, a process work pool and two workers, all real processes."""
    pg = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(pg.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS prefect_uji")
        conn.execute("CREATE DATABASE prefect_uji")
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    home = tmp_path / "prefect-home"
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "TRIWULAN_REFERENCE": str(kota.root),
        "TRIWULAN_DB_URL": postgres_url,
        "PREFECT_WORKER_QUERY_SECONDS": "1",
    }
    env.pop("TRIWULAN_DASK_ALAMAT", None)
    server_env = {
        **env,
        "PREFECT_API_DATABASE_CONNECTION_URL": postgres_url.replace("psycopg", "asyncpg").rsplit(
            "/", 1
        )[0]
        + "/prefect_uji",
    }
    server_env.pop("PREFECT_API_URL")
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = []
    server = subprocess.Popen(
        [str(bin_dir / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=server_env,
        stdout=(logs / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    processes.append(server)
    try:
        _wait_healthy(api, server, 240)
        subprocess.run(
            [str(bin_dir / "prefect"), "work-pool", "create", POOL, "--type", "process"],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        deploy = (
            "from prefect.deployments.runner import EntrypointType\n"
            "from triwulan.flows.quarterly import quarterly_report\n"
            "quarterly_report.to_deployment(name='kecamatan-wilayah', work_pool_name="
            f"'{POOL}', entrypoint_type=EntrypointType.MODULE_PATH).apply()\n"
        )
        subprocess.run(
            [sys.executable, "-c", deploy], env=env, check=True, capture_output=True, timeout=120
        )
        for name in ("pekerja-1", "pekerja-2"):
            processes.append(
                subprocess.Popen(
                    [
                        *(str(bin_dir / "prefect"), "worker", "start", "--pool", POOL),
                        *("--type", "process", "--limit", "1", "--name", name),
                    ],
                    env=env,
                    cwd=tmp_path,
                    stdout=(logs / f"{name}.log").open("wb"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        yield api, postgres_url, logs
    finally:
        for process in reversed(processes):
            _stop(process)


def test_on_two_workers_of_a_work_pool(kota, results, tmp_path, monkeypatch, work_pool):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    api, store, logs = work_pool
    with temporary_settings(updates={PREFECT_API_URL: api}):
        answer = _rollup(
            kota,
            tmp_path / "out",
            monkeypatch,
            TRIWULAN_WILAYAH_DEPLOYMENT=DEPLOYMENT,
            TRIWULAN_DB_URL=store,
            PREFECT_API_URL=api,
        )
    worker_logs = "".join(p.read_text(errors="replace") for p in logs.glob("pekerja-*.log"))
    assert answer["failures"] == {}, worker_logs[-3000:]
    results["pool"] = answer
    # both workers took kecamatan: the runs were really spread
    from prefect.client.orchestration import get_client

    with temporary_settings(updates={PREFECT_API_URL: api}), get_client(sync_client=True) as c:
        runs = c.read_flow_runs()
    children = [r for r in runs if r.deployment_id is not None]
    assert len(children) == 3 and all(r.state and r.state.is_completed() for r in children)
    # each kecamatan's record in its own schema of the one PostgreSQL database
    with psycopg.connect(store.replace("postgresql+psycopg://", "postgresql://")) as conn:
        schemas = {
            row[0]
            for row in conn.execute(
                "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'w_%'"
            )
        }
    assert {"w_32_75_91", "w_32_75_92", "w_32_75_93"} <= schemas
    if "proses" in results:
        assert figures(answer) == figures(results["proses"])
    shutil.rmtree(tmp_path / "out", ignore_errors=True)
