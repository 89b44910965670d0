"""Client of the xlsx reader process (tasks/collect/xlsx_child.py)."""

from __future__ import annotations

import contextlib
import json
import select
import subprocess
import sys
from pathlib import Path

from triwulan.tasks.core.limits import Limits

SHEET = "realisasi"


class XlsxReader:
    """Client of the reader process (tasks/collect/xlsx_child.py): one per quarter, restarted on a crash.

    The child runs under a memory cap and dies with us; a file that kills it or runs past the
    time limit costs that file only.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> XlsxReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> subprocess.Popen[str]:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "triwulan.tasks.collect.xlsx_child",
                    str(self.limits.memori_pembaca_mb),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
            )
        return self.proc

    def read(self, path: Path, sheet: str = SHEET) -> tuple[list[list[str]] | None, str | None]:
        """(rows, None), or (None, 'crashed' | 'timeout' | 'error')."""
        proc = self._start()
        assert proc.stdin and proc.stdout
        try:
            proc.stdin.write(json.dumps({"path": str(path.resolve()), "sheet": sheet}) + "\n")
            proc.stdin.flush()
        except OSError:
            self.close()
            return None, "crashed"
        ready, _, _ = select.select([proc.stdout], [], [], self.limits.waktu_baca_detik)
        if not ready:
            self.close()
            return None, "timeout"
        line = proc.stdout.readline()
        if not line:
            self.close()
            return None, "crashed"
        answer = json.loads(line)
        if "rows" in answer:
            return answer["rows"], None
        return None, "error"

    def close(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(OSError):
            if self.proc.stdin:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
