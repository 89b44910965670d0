"""The one place that knows where things live (package data, inbox, out).

Reference data, templates, expectations and the sample are package data of `triwulan`: found
through importlib.resources, they work from a source checkout, an editable install and a wheel
installed anywhere. Only the reference root can be pointed elsewhere (another kecamatan, tests).
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def _package_dir(name: str) -> Path:
    """A data package as a real folder (setuptools installs packages unzipped)."""
    return Path(str(files(name)))


EXPECTATIONS_DIR = _package_dir("triwulan.expectations")
TEMPLATES_DIR = _package_dir("triwulan.templates")
SAMPLE_DIR = _package_dir("triwulan.sample")
PACKAGED_REFERENCE = _package_dir("triwulan.reference")


def reference_root() -> Path:
    """Shipped reference data unless TRIWULAN_REFERENCE points elsewhere (tests, other kecamatan)."""
    return Path(os.environ.get("TRIWULAN_REFERENCE") or PACKAGED_REFERENCE)


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


def raw_store(out: Path) -> Path:
    """Every received file, kept byte-for-byte by content (never by a name a unit chose)."""
    return out / "store" / "raw"
