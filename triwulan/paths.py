"""The one place that knows where things live (package data, inbox, out).

Reference data, templates, expectations and the sample are package data of `triwulan`: found
through importlib.resources, they work from a source checkout, an editable install and a wheel
installed anywhere. Only the reference root can be pointed elsewhere (another kecamatan, tests).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from importlib.resources import files
from pathlib import Path

CONFIG_ENV = "TRIWULAN_CONFIG"
FILE_NAME = "triwulan.toml"


def _package_dir(name: str) -> Path:
    """A data package as a real folder (setuptools installs packages unzipped)."""
    return Path(str(files(name)))


EXPECTATIONS_DIR = _package_dir("triwulan.expectations")
TEMPLATES_DIR = _package_dir("triwulan.templates")
SAMPLE_DIR = _package_dir("triwulan.sample")
PACKAGED_REFERENCE = _package_dir("triwulan.reference")


# One kecamatan's run inside a roll-up (a thread of the roll-up's process) reads its own folder.
_SCOPED_REFERENCE: ContextVar[Path | None] = ContextVar("triwulan_reference", default=None)


def configured_reference_root() -> Path:
    """The configured root: shipped data unless TRIWULAN_REFERENCE points elsewhere."""
    return Path(os.environ.get("TRIWULAN_REFERENCE") or PACKAGED_REFERENCE)


def reference_root() -> Path:
    """The reference data of this run: its kecamatan's folder in a roll-up, else the configured."""
    return _SCOPED_REFERENCE.get() or configured_reference_root()


@contextlib.contextmanager
def scoped_reference(root: Path) -> Iterator[None]:
    """Within the block (this thread and what it starts), the reference root is `root`."""
    token = _SCOPED_REFERENCE.set(root)
    try:
        yield
    finally:
        _SCOPED_REFERENCE.reset(token)


def wilayah_folder(root: Path, kode: str) -> Path:
    """A wilayah's own inbox, out or reference folder under the configured one."""
    return root / kode


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


def folder_hint(
    path: Path,
    variable: str,
    option: str,
    key: str,
    env: Mapping[str, str] = os.environ,
    cwd: Path | None = None,
) -> str:
    """For a 'folder not found' line: where it was looked for, why there, and how to choose.

    '(dicari di /abs/inbox, folder bawaan). Tidak ada triwulan.toml di /abs dan TRIWULAN_CONFIG
    tidak diisi. Pilih folder dengan --inbox, TRIWULAN_INBOX, atau [folder] inbox di
    triwulan.toml (letak berkasnya: TRIWULAN_CONFIG).'
    """
    here = cwd or Path.cwd()
    looked = path if path.is_absolute() else here / path
    configured = (env.get(variable) or "").strip()
    from_file = env.get(f"_TRIWULAN_FROM_FILE_{variable}")
    if configured and Path(configured) == path:
        origin = f"dari [folder] {key} di {from_file}" if from_file else f"dari {variable}"
    elif not configured and str(path) == key:  # the default folders are ./inbox and ./out
        origin = "folder bawaan"
    else:
        origin = f"dari {option}"
    named = (env.get(CONFIG_ENV) or "").strip()
    local = here / FILE_NAME
    if named:
        found = f"Berkas konfigurasi: {named} ({CONFIG_ENV})."
    elif local.is_file():
        found = f"Berkas konfigurasi: {local}."
    else:
        found = f"Tidak ada {FILE_NAME} di {here} dan {CONFIG_ENV} tidak diisi."
    return (
        f"(dicari di {Path(os.path.normpath(looked))}, {origin}). {found} Pilih folder dengan "
        f"{option}, {variable}, atau [folder] {key} di {FILE_NAME} (letak berkasnya: {CONFIG_ENV})."
    )
