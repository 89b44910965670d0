"""A real `triwulan portal` for the tests: its own process, port, folders, secret and codes.

Codes are made with the real command (`triwulan akses buat`), read from its last line. The
process's console output goes to a file, so tests can look for secrets in everything it wrote.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

TRIWULAN = str(Path(sys.executable).with_name("triwulan"))
START_S = 180  # a busy PC (the other xdist worker) may take a while to import everything


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PortalServer:
    root: Path
    port: int
    env: dict[str, str]
    console: Path  # stdout and stderr of the portal process
    process: subprocess.Popen | None = None  # type: ignore[type-arg]
    codes: dict[str, str] = field(default_factory=dict)  # unit -> code ('admin' too)
    links: dict[str, str] = field(default_factory=dict)  # unit -> one-time sign-in link

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def inbox(self) -> Path:
        return Path(self.env["TRIWULAN_INBOX"])

    @property
    def out(self) -> Path:
        return Path(self.env["TRIWULAN_OUT"])

    @property
    def secret(self) -> str:
        return self.env["TRIWULAN_PORTAL_RAHASIA"]

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [TRIWULAN, *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def new_code(self, unit: str | None) -> str:
        """A code made by `triwulan akses buat` (its last line), remembered with its link."""
        done = self.cli("akses", "buat", *([unit] if unit else ["--admin"]))
        assert done.returncode == 0, done.stderr
        lines = done.stdout.strip().splitlines()
        key = unit or "admin"
        self.codes[key] = lines[-1]
        self.links[key] = next(x for x in lines if "/masuk/" in x).split(": ", 1)[1].split()[0]
        return lines[-1]

    def logs(self) -> str:
        """Everything the portal wrote: its console and <out>/log/portal.log."""
        text = self.console.read_text(encoding="utf-8", errors="replace")
        log = self.out / "log" / "portal.log"
        return text + (log.read_text(encoding="utf-8", errors="replace") if log.exists() else "")

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=120, **kwargs)  # type: ignore[arg-type]


def portal_env(root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment: no TRIWULAN_*/PREFECT_* of the developer's shell leaks in."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TRIWULAN_", "PREFECT_", "_TRI"))
    }
    env.update(
        {
            "TRIWULAN_PORTAL_RAHASIA": secrets.token_urlsafe(32),
            "TRIWULAN_INBOX": str(root / "inbox"),
            "TRIWULAN_OUT": str(root / "out"),
            "PREFECT_HOME": str(root / "prefect"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


@contextlib.contextmanager
def running_portal(
    root: Path, extra_env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[PortalServer]:
    """`triwulan portal` on a free port until the block ends; fails with its output if it dies."""
    root.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    env = portal_env(
        root, {"TRIWULAN_PORTAL_ALAMAT": f"http://127.0.0.1:{port}", **(extra_env or {})}
    )
    server = PortalServer(root, port, env, root / "portal-console.txt")
    with server.console.open("wb") as console:
        server.process = subprocess.Popen(
            [TRIWULAN, "portal", "--port", str(port)],
            cwd=root,
            env=env,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_ready(server)
            yield server
        finally:
            _stop(server.process)


def _wait_ready(server: PortalServer) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        assert server.process is not None
        if server.process.poll() is not None:
            raise AssertionError(f"portal berhenti: {server.logs()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(server.url + "/masuk", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise AssertionError(f"portal tidak siap dalam {START_S} s: {server.logs()}")


def _stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, symlinks=True)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "halaman tanpa token CSRF"
    return found.group(1)


def signed_in(server: PortalServer, who: str) -> tuple[httpx.Client, str]:
    """A client signed in with `who`'s code (made first if needed), and its page's CSRF token."""
    code = server.codes.get(who) or server.new_code(None if who == "admin" else who)
    client = server.client(follow_redirects=True)
    token = csrf_of(client.get("/masuk").text)
    page = client.post("/masuk", data={"kode": code, "csrf": token})
    assert page.status_code == 200, page.text
    return client, csrf_of(page.text)


def follow_link(client: httpx.Client, link: str) -> httpx.Response:
    """A clerk opening a one-time sign-in link and pressing its button (the GET spends nothing)."""
    import re

    page = client.get(link)
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert page.status_code == 200 and token, page.text
    return client.post("/masuk/tautan", data={"csrf": csrf_of(page.text), "token": token.group(1)})
