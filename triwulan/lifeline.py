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
def popen_dies_with_parent(stdout: Any = None) -> Iterator[None]:
    """Within this block, subprocess.Popen children get a parent-death signal.

    `stdout` (a file or subprocess.DEVNULL) also takes the children's stdout and stderr, so a
    server's start-up and shutdown chatter never reaches the terminal.
    """
    original: Callable[..., Any] = subprocess.Popen.__init__

    def patched(self: subprocess.Popen, *args: Any, **kwargs: Any) -> None:  # type: ignore[type-arg]
        kwargs.setdefault("preexec_fn", _set_pdeathsig)
        if stdout is not None:
            kwargs.setdefault("stdout", stdout)
            kwargs.setdefault("stderr", subprocess.STDOUT)
        original(self, *args, **kwargs)

    subprocess.Popen.__init__ = patched  # type: ignore[method-assign]
    try:
        yield
    finally:
        subprocess.Popen.__init__ = original  # type: ignore[method-assign]


def exit_on_termination() -> None:
    """SIGTERM/SIGHUP end the run like Ctrl-C does, so atexit stops the children cleanly."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, handler)
