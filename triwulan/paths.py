"""The one place that knows where things live (repo data, inbox, out)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPECTATIONS_DIR = ROOT / "expectations"
TEMPLATES_DIR = ROOT / "templates"
SAMPLE_DIR = ROOT / "sample"


def reference_root() -> Path:
    """Reference data lives in the repo; TRIWULAN_REFERENCE points elsewhere (tests, other kecamatan)."""
    return Path(os.environ.get("TRIWULAN_REFERENCE", ROOT / "reference"))


def reference_dir(tahun: int) -> Path:
    return reference_root() / str(tahun)


def inbox_dir(override: Path | None = None) -> Path:
    return Path(override or os.environ.get("TRIWULAN_INBOX") or "inbox")


def out_dir(override: Path | None = None) -> Path:
    return Path(override or os.environ.get("TRIWULAN_OUT") or "out")


def quarter_inbox(inbox: Path, tahun: int, triwulan: int) -> Path:
    return inbox / str(tahun) / f"TW{triwulan}"


def quarter_out(out: Path, tahun: int, triwulan: int) -> Path:
    return out / str(tahun) / f"TW{triwulan}"
