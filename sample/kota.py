"""A small synthetic kota of three kecamatan, for the roll-up's tests and the demo.

Why synthetic and made from the sample: the shipped data stays Bekasi Utara, and a roll-up
needs several kecamatan with their own reference folders and inboxes. Each of the three is the
sample kecamatan under another name (its units' names and addresses made its own), with its own
story for the quarter, so that the kota report has something to say per child:

- 32.75.91 Contoh Utara: the inbox as the sample has it (Harapan Baru late in TW II);
- 32.75.92 Contoh Tengah: every late or corrected file already in (complete);
- 32.75.93 Contoh Selatan: the corrected inbox without Teluk Pucung and Perwira.

The codes 32.75.91–93 are not Kemendagri's: no real kecamatan has them. The folder written is a
reference root (the kota's and kecamatan's `wilayah.toml` side by side) plus an inbox root.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from triwulan.paths import PACKAGED_REFERENCE, SAMPLE_DIR

KOTA = "32.75"
KOTA_NAMA = "Kota Bekasi (contoh sintetis)"
TAHUN = 2024
SHARED = (
    "predikat.csv",
    "akip_komponen.csv",
    "akip_predikat.csv",
    "ikm_mutu.csv",
    "kolom_iku.csv",
    "kolom_pengajuan.csv",
    "peringatan.toml",
)


@dataclass(frozen=True)
class Kecamatan:
    kode: str
    nama: str  # replaces "Bekasi Utara"
    slug: str  # replaces "bekasiutara" in addresses
    corrected: bool  # the corrections already in the inbox
    absent: tuple[str, ...] = ()  # units whose files never came


KECAMATAN = (
    Kecamatan("32.75.91", "Contoh Utara", "contohutara", corrected=False),
    Kecamatan("32.75.92", "Contoh Tengah", "contohtengah", corrected=True),
    Kecamatan(
        "32.75.93", "Contoh Selatan", "contohselatan", True, absent=("teluk-pucung", "perwira")
    ),
)
KOTA_RECIPIENTS = (
    "peran,nama,jabatan,email\n"
    "walikota,Wali Kota Bekasi (contoh),Wali Kota,walikota.bekasi@example.go.id\n"
    "sekda,Sekretaris Daerah (contoh),Sekretaris Daerah Kota,sekda.bekasi@example.go.id\n"
    "bappelitbangda,Kepala Bappelitbangda (contoh),Kepala Bappelitbangda,"
    "bappelitbangda.bekasi@example.go.id\n"
)


@dataclass(frozen=True)
class KotaSample:
    root: Path  # TRIWULAN_REFERENCE / --referensi
    inbox: Path  # --inbox: <inbox>/<kode>/<tahun>/TW<n>/
    kode: str = KOTA


def renamed(text: str, kecamatan: Kecamatan) -> str:
    """Bekasi Utara's names and addresses made the synthetic kecamatan's own."""
    text = text.replace("Bekasi Utara", kecamatan.nama).replace("bekasiutara", kecamatan.slug)
    # kelurahan addresses (kel.perwira@…) would repeat across the three kecamatan
    return re.sub(r"\b(kel\.[a-z]+)@", rf"\1.{kecamatan.slug}@", text)


def _unit_of(name: str) -> str | None:
    """Which unit a sample file belongs to, from the generator's naming (sample/generate.py)."""
    from triwulan.sample.generate import FILE_NAMES  # the one table of sample file names

    for unit, pattern in FILE_NAMES.items():
        for q in (1, 2, 3, 4):
            if name == _name(pattern, q):
                return unit
    return None


def _name(pattern: str, q: int) -> str:
    return pattern.format(q=q, roman=("I", "II", "III", "IV")[q - 1])


def _write_reference(root: Path, kecamatan: Kecamatan) -> None:
    folder = root / kecamatan.kode
    (folder / str(TAHUN)).mkdir(parents=True)
    for name in SHARED:
        shutil.copy2(PACKAGED_REFERENCE / name, folder / name)
    for source in sorted((PACKAGED_REFERENCE / str(TAHUN)).iterdir()):
        if source.suffix == ".csv":
            text = source.read_text(encoding="utf-8")
            (folder / str(TAHUN) / source.name).write_text(
                renamed(text, kecamatan), encoding="utf-8"
            )
    (folder / "wilayah.toml").write_text(
        f'kode = "{kecamatan.kode}"\nnama = "Kecamatan {kecamatan.nama}"\ntingkat = "kecamatan"\n',
        encoding="utf-8",
    )


def _write_inbox(inbox: Path, kecamatan: Kecamatan) -> None:
    for quarter in (1, 2, 3, 4):
        source = SAMPLE_DIR / "inbox" / str(TAHUN) / f"TW{quarter}"
        target = inbox / kecamatan.kode / str(TAHUN) / f"TW{quarter}"
        target.mkdir(parents=True)
        files = {p.name: p for p in sorted(source.iterdir()) if p.suffix == ".xlsx"}
        if kecamatan.corrected:
            fixes = SAMPLE_DIR / "corrections" / str(TAHUN) / f"TW{quarter}"
            files.update({p.name: p for p in sorted(fixes.glob("*.xlsx"))})
        for name, path in files.items():
            if _unit_of(name) not in kecamatan.absent:
                shutil.copy2(path, target / name)


def write_kota(folder: Path) -> KotaSample:
    """The kota's reference root and inbox root under `folder` (which must not exist yet)."""
    root, inbox = folder / "referensi", folder / "inbox"
    root.mkdir(parents=True)
    inbox.mkdir()
    for name in SHARED:
        shutil.copy2(PACKAGED_REFERENCE / name, root / name)
    kota = root / KOTA
    kota.mkdir()
    children = ", ".join(f'"{k.kode}"' for k in KECAMATAN)
    (kota / "wilayah.toml").write_text(
        f'kode = "{KOTA}"\nnama = "{KOTA_NAMA}"\ntingkat = "kota"\nanak = [{children}]\n',
        encoding="utf-8",
    )
    (kota / "recipients.csv").write_text(KOTA_RECIPIENTS, encoding="utf-8")
    for kecamatan in KECAMATAN:
        _write_reference(root, kecamatan)
        _write_inbox(inbox, kecamatan)
    return KotaSample(root, inbox)
