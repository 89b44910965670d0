"""A throwaway PostgreSQL cluster from Debian's binaries, for tests that need the real thing.

initdb + postgres on a free port on 127.0.0.1, as the `postgres` system user when the tests run
as root (PostgreSQL refuses to run as root). Skipped when the binaries are not installed.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    initdb, server = _bin("initdb"), _bin("postgres")
    if not initdb or not server:
        message = "PostgreSQL is not installed (.ci/run installs Debian's postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI the PostgreSQL tests must run, never skip silently
        pytest.skip(message)
    pytest.importorskip("psycopg")
    folder = Path(tempfile.mkdtemp(prefix="triwulan-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    subprocess.run(
        _as_postgres([initdb, "-D", str(data), "-U", "triwulan", "--auth=trust", "-E", "UTF8"]),
        check=True,
        capture_output=True,
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        _as_postgres(
            [server, "-D", str(data), "-p", str(port), "-h", "127.0.0.1", "-k", str(folder)]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import psycopg

    deadline = time.monotonic() + 60
    while True:
        try:
            with psycopg.connect(f"host=127.0.0.1 port={port} user=triwulan dbname=postgres") as c:
                c.autocommit = True
                c.execute("CREATE DATABASE triwulan_uji")
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.3)
    try:
        yield f"postgresql+psycopg://triwulan@127.0.0.1:{port}/triwulan_uji"
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
