"""Where sends are recorded: the ledger a delivery consults and its JSON file form.

deliver() asks a Ledger whether a key was sent and records each send; the quarter's ledger is
DbLedger (tasks.record.mail, in the database), a notice outside a quarter keeps terkirim.json.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.files import write_atomic


class Ledger:
    """Where sends are recorded: load() -> key -> entry; record() one send; failures noted."""

    path: Path

    def load(self) -> dict[str, dict[str, Any]]:
        raise NotImplementedError

    def record(self, key: str, entry: dict[str, Any], sent: dict[str, dict[str, Any]]) -> None:
        raise NotImplementedError

    def note_failure(self, key: str, to: list[str], error: str | None) -> None:
        """Failures are history only; they never count as sent."""

    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        """A delivery of many mails: each send is still recorded at once (never sent twice);
        only derived copies (an export) may be brought up to date once, at the end."""
        yield

    def unknown_advice(self, key: str) -> str:
        return _unknown_advice(key, self.path)


class JsonLedger(Ledger):
    """A ledger file (terkirim.json), rewritten atomically after every send."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, dict[str, Any]]:
        return load_json_ledger(self.path)

    def record(self, key: str, entry: dict[str, Any], sent: dict[str, dict[str, Any]]) -> None:
        write_atomic(self.path, _ledger_bytes(sent))


def _unknown_advice(key: str, ledger_path: Path) -> str:
    return (
        "Periksa apakah email ini sampai ke penerima. Jika tidak sampai, hapus entri "
        f"'{key}' dari {ledger_path} lalu jalankan ulang; jika sampai, ubah \"status\" "
        'entri itu menjadi "terkirim".'
    )


def load_json_ledger(path: Path) -> dict[str, dict[str, Any]]:
    """A ledger we cannot read stops the run: guessing would risk sending reports twice."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        sent = data["terkirim"]
        if not isinstance(sent, dict):
            raise TypeError("'terkirim' is not an object")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TriwulanError(
            f"Catatan pengiriman {path} tidak dapat dibaca ({exc}). Perbaiki berkas itu; "
            "jika dihapus, semua email di outbox akan dikirim ulang."
        ) from exc
    return {str(k): v if isinstance(v, dict) else {} for k, v in sent.items()}


def _ledger_bytes(ledger: Mapping[str, Any]) -> bytes:
    data = {"versi": 1, "terkirim": dict(sorted(ledger.items()))}
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
