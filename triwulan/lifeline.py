"""Children that die with their parent: no reader or Prefect server outlives a killed run.

Linux's PR_SET_PDEATHSIG makes the kernel kill a child when the thread that started it exits,
even on SIGKILL or an abort, where atexit handlers never run. Elsewhere it is a no-op and only the
atexit and signal handlers below apply.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Called in the child itself (no preexec_fn: unsafe in a process with threads)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _set_pdeathsig() -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


@contextlib.contextmanager
def _popen_dies_with_parent() -> Iterator[None]:
    """Within this block, subprocess.Popen children get a parent-death signal."""
    original: Callable[..., Any] = subprocess.Popen.__init__

    def patched(self: subprocess.Popen, *args: Any, **kwargs: Any) -> None:  # type: ignore[type-arg]
        kwargs.setdefault("preexec_fn", _set_pdeathsig)
        original(self, *args, **kwargs)

    subprocess.Popen.__init__ = patched  # type: ignore[method-assign]
    try:
        yield
    finally:
        subprocess.Popen.__init__ = original  # type: ignore[method-assign]


def start_prefect_server_here() -> None:
    """Start Prefect's temporary server now, from the main thread, as a child that dies with us.

    Without PREFECT_API_URL Prefect starts a uvicorn child on first use (a singleton) and stops it
    only at exit; a killed run used to leave it running. Started here first, the same singleton is
    reused by the flow. Only done when no API URL is configured.
    """
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value() or threading.current_thread() is not threading.main_thread():
        return
    from prefect.server.api.server import SubprocessASGIServer

    with _popen_dies_with_parent():
        SubprocessASGIServer().start()


def exit_on_termination() -> None:
    """SIGTERM/SIGHUP end the run like Ctrl-C does, so atexit stops the children cleanly."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, handler)
