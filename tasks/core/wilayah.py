"""The wilayah hierarchy: nasional → provinsi → kabupaten/kota → kecamatan, by Kemendagri code.

Why data, not code: a kota, a province or the nation is a folder under the reference root that
lists its children (`wilayah.toml`); each kecamatan keeps its own reference folder as today
(`<root>/<kode>/` with `wilayah.toml`, the shared reference files and `<tahun>/`). Codes are
unique across the country, so the folders sit side by side: `<root>/32.75/`,
`<root>/32.75.01/`. A kelurahan/desa is a unit inside its kecamatan's reference data.

    # <root>/32.75/wilayah.toml
    kode = "32.75"
    nama = "Kota Bekasi"
    tingkat = "kota"
    anak = ["32.75.01", "32.75.02"]

The level's leadership (who gets its mail) is `recipients.csv` beside it, in the kecamatan's
format (peran, nama, jabatan, email).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from triwulan.tasks.core.errors import TriwulanError

FILE = "wilayah.toml"
RECIPIENTS = "recipients.csv"
# from the top down; a child is always exactly one step lower... or more (kota → kecamatan
# directly is the usual case; a province may list a kabupaten and a kota alike)
TINGKAT = ("nasional", "provinsi", "kabupaten", "kota", "kecamatan")
TINGKAT_LABEL = {
    "nasional": "Nasional",
    "provinsi": "Provinsi",
    "kabupaten": "Kabupaten",
    "kota": "Kota",
    "kecamatan": "Kecamatan",
}
# Kemendagri codes: 32, 32.75, 32.75.01 (the nation has no code of its own: "00" by convention)
CODE = re.compile(r"^(00|\d{2}(\.\d{2}){0,2})$")
CODE_DEPTH = {"nasional": 0, "provinsi": 1, "kabupaten": 2, "kota": 2, "kecamatan": 3}


@dataclass(frozen=True)
class Wilayah:
    """One level of the hierarchy as its folder describes it."""

    kode: str
    nama: str
    tingkat: str
    folder: Path
    anak: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_kecamatan(self) -> bool:
        return self.tingkat == "kecamatan"

    @property
    def label(self) -> str:
        return f"{self.nama} ({self.kode})"


def valid_code(kode: str) -> bool:
    return bool(CODE.match(kode or ""))


def schema_name(kode: str) -> str:
    """The PostgreSQL schema of one kecamatan's store when several share one database."""
    if not valid_code(kode):
        raise TriwulanError(f"Kode wilayah '{kode}' tidak sah (contoh: 32.75 atau 32.75.01).")
    return "w_" + kode.replace(".", "_")


def load_wilayah(root: Path, kode: str) -> Wilayah:
    """One level's folder, checked: an Indonesian line naming the file for every mistake."""
    if not valid_code(kode):
        raise TriwulanError(
            f"Kode wilayah '{kode}' tidak sah: pakai kode Kemendagri, misalnya 32.75 (kota) atau "
            "32.75.01 (kecamatan)."
        )
    folder = root / kode
    path = folder / FILE
    if not path.is_file():
        raise TriwulanError(
            f"Wilayah {kode} tidak dikenal: berkas '{path}' tidak ada di data referensi {root}."
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TriwulanError(f"Berkas wilayah '{path}' tidak dapat dibaca: {exc}") from exc
    problems = _problems(data, kode)
    if problems:
        raise TriwulanError(f"Berkas wilayah '{path}': " + "; ".join(problems) + ".")
    anak = tuple(str(a) for a in data.get("anak") or ())
    return Wilayah(kode, str(data["nama"]).strip(), str(data["tingkat"]), folder, anak)


def _problems(data: dict, kode: str) -> list[str]:
    problems = []
    if str(data.get("kode", "")) != kode:
        problems.append(f"kode = '{data.get('kode', '')}' tidak sama dengan nama folder '{kode}'")
    if not str(data.get("nama") or "").strip():
        problems.append("nama belum diisi")
    tingkat = data.get("tingkat")
    if tingkat not in TINGKAT:
        problems.append(f"tingkat = '{tingkat}' tidak sah (pilih: {', '.join(TINGKAT)})")
        return problems
    depth = kode.count(".") + 1 if kode != "00" else 0
    if CODE_DEPTH[tingkat] != depth:
        problems.append(f"kode '{kode}' tidak cocok dengan tingkat {tingkat}")
    anak = data.get("anak")
    if tingkat == "kecamatan":
        if anak:
            problems.append("kecamatan tidak mempunyai anak wilayah (kelurahan ada di units.csv)")
        return problems
    if not isinstance(anak, list) or not anak:
        problems.append("anak belum diisi (daftar kode wilayah di bawahnya)")
        return problems
    for child in anak:
        child = str(child)
        if not valid_code(child):
            problems.append(f"anak '{child}' bukan kode wilayah yang sah")
        elif kode != "00" and not child.startswith(kode + "."):
            problems.append(f"anak '{child}' tidak berada di bawah {kode}")
    if len({str(a) for a in anak}) != len(anak):
        problems.append("ada kode anak yang tercantum dua kali")
    return problems


def children(root: Path, level: Wilayah) -> list[Wilayah]:
    """The level's direct children, in the order its file lists them."""
    found = [load_wilayah(root, kode) for kode in level.anak]
    for child in found:
        if TINGKAT.index(child.tingkat) <= TINGKAT.index(level.tingkat):
            raise TriwulanError(
                f"Berkas wilayah '{level.folder / FILE}': anak {child.label} bertingkat "
                f"{child.tingkat}, tidak di bawah {level.tingkat}."
            )
    return found


def kecamatan_below(root: Path, kode: str) -> list[Wilayah]:
    """Every kecamatan under a level (the level itself when it is one), depth first."""
    top = load_wilayah(root, kode)
    if top.is_kecamatan:
        return [top]
    out: list[Wilayah] = []
    stack = [top]
    seen = {top.kode}
    while stack:
        level = stack.pop()
        below = children(root, level)
        for child in below:
            if child.kode in seen:  # a code listed under two parents
                raise TriwulanError(f"Wilayah {child.kode} tercantum di bawah dua induk.")
            seen.add(child.kode)
        out.extend(c for c in below if c.is_kecamatan)
        stack.extend(reversed([c for c in below if not c.is_kecamatan]))
    return sorted(out, key=lambda w: w.kode)


def levels_below(root: Path, kode: str) -> list[Wilayah]:
    """Every level that is not a kecamatan under `kode`, deepest first, `kode` itself last.

    Why this order: a province's report consolidates its kota's reports, which must exist first.
    """
    top = load_wilayah(root, kode)
    order: list[Wilayah] = []

    def walk(level: Wilayah) -> None:
        for child in children(root, level):
            if not child.is_kecamatan:
                walk(child)
        order.append(level)

    if not top.is_kecamatan:
        walk(top)
    return order


# --- where a roll-up's kecamatan run (settings, checked by triwulan/settings_check.py) ----------

PARALLEL_ENV = "TRIWULAN_WILAYAH_PARALEL"
DEPLOYMENT_ENV = "TRIWULAN_WILAYAH_DEPLOYMENT"
DASK_ENV = "TRIWULAN_DASK_ALAMAT"
DASK_ADDRESS = re.compile(r"^(lokal(:\d{1,2})?|(tcp|tls|ws|wss|inproc)://\S+)$")
DEPLOYMENT_NAME = re.compile(r"^[^/\s]+/[^/\s]+$")


def parallel_count(raw: str | None) -> int:
    """How many kecamatan run at once in this process (default 2)."""
    text = (raw or "2").strip()
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise TriwulanError(f"{PARALLEL_ENV}='{text}' tidak sah: isi bilangan bulat 1 sampai 64.")
    return int(text)


def dask_workers(raw: str | None) -> tuple[str | None, int]:
    """(scheduler address, 0) for a cluster; (None, n) for a LocalCluster of n; (None, 0): no Dask."""
    text = (raw or "").strip()
    if not text:
        return None, 0
    if not DASK_ADDRESS.match(text):
        raise TriwulanError(
            f"{DASK_ENV}='{text}' tidak sah: isi alamat penjadwal Dask (tcp://host:8786) atau "
            "lokal:2 (dua pekerja di PC ini)."
        )
    if text.startswith("lokal"):
        count = int(text.partition(":")[2] or "2")
        if count < 1:
            raise TriwulanError(f"{DASK_ENV}='{text}' tidak sah: jumlah pekerja minimal 1.")
        return None, count
    return text, 0


def deployment_name(raw: str | None) -> str | None:
    """The deployment a roll-up's kecamatan run as ('flow/deployment'), or None: here."""
    text = (raw or "").strip()
    if not text:
        return None
    if not DEPLOYMENT_NAME.match(text):
        raise TriwulanError(
            f"{DEPLOYMENT_ENV}='{text}' tidak sah: tulis nama-flow/nama-deployment, misalnya "
            "quarterly-report/kecamatan-wilayah."
        )
    return text
