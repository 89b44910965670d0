"""Limits on received files and on what a run writes, from triwulan/batas.toml plus env overrides.

One bad file must never stop a quarter: every limit here is checked before a parser allocates,
and a file over a limit becomes a problem of that file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib.resources import files

from triwulan.tasks.core.errors import TriwulanError

ENV_PREFIX = "TRIWULAN_BATAS_"


@dataclass(frozen=True)
class Limits:
    ukuran_berkas_mb: int
    ukuran_terurai_mb: int
    rasio_kompresi: int
    baris_maks: int
    kolom_maks: int
    digit_maks: int
    memori_pembaca_mb: int
    waktu_baca_detik: int
    baris_per_masalah: int
    ruang_disk_mb: int
    berkas_per_batch: int

    @property
    def ukuran_berkas(self) -> int:
        return self.ukuran_berkas_mb << 20

    @property
    def ukuran_terurai(self) -> int:
        return self.ukuran_terurai_mb << 20


def _defaults() -> dict[str, int]:
    text = (files("triwulan") / "batas.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_limits(env: Mapping[str, str] = os.environ) -> Limits:
    """Shipped defaults, each overridable by TRIWULAN_BATAS_<NAME>; a bad override is refused."""
    values = _defaults()
    for f in fields(Limits):
        raw = env.get(ENV_PREFIX + f.name.upper())
        if raw is None or raw.strip() == "":
            continue
        text = raw.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 12 or int(text) <= 0:
            raise TriwulanError(
                f"{ENV_PREFIX}{f.name.upper()}='{raw}' tidak sah: isi dengan bilangan bulat positif."
            )
        values[f.name] = int(text)
    missing = [f.name for f in fields(Limits) if f.name not in values]
    if missing:
        raise TriwulanError(f"batas.toml tidak lengkap: {', '.join(missing)} belum diisi.")
    return Limits(**{f.name: int(values[f.name]) for f in fields(Limits)})
