"""One configuration for every command, the served flows and the deployment: triwulan.toml.

Found through TRIWULAN_CONFIG or as ./triwulan.toml. Environment variables override it; nothing
secret lives in it (the SMTP password comes from TRIWULAN_SMTP_PASSWORD or a Prefect Secret
block named in the file). The file is applied by filling the TRIWULAN_* variables that are not
set, so every module keeps reading one place, and `triwulan config` can say where each value
came from. Relative paths in the file are relative to the file's own folder.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import MutableMapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from triwulan.paths import CONFIG_ENV, FILE_NAME
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.limits import ENV_PREFIX as LIMIT_PREFIX
from triwulan.tasks.core.limits import Limits, load_limits

SECRET_ENV = "TRIWULAN_SMTP_PASSWORD"
SECRET_BLOCK_KEY = ("smtp", "secret_block")

# (section, key) -> (variable, is_path, Indonesian description, default shown when unset)
SETTINGS: dict[tuple[str, str], tuple[str, bool, str, str]] = {
    ("folder", "inbox"): ("TRIWULAN_INBOX", True, "folder berkas masuk", "./inbox"),
    ("folder", "out"): ("TRIWULAN_OUT", True, "folder hasil", "./out"),
    ("folder", "referensi"): ("TRIWULAN_REFERENCE", True, "data referensi", "bawaan paket"),
    ("folder", "basis_data"): (
        "TRIWULAN_DB_URL",
        False,
        "URL basis data",
        "SQLite di folder hasil",
    ),
    ("smtp", "host"): ("TRIWULAN_SMTP_HOST", False, "server SMTP", "kosong: email disimpan .eml"),
    ("smtp", "port"): ("TRIWULAN_SMTP_PORT", False, "port SMTP", "465/587/25 menurut keamanan"),
    ("smtp", "user"): ("TRIWULAN_SMTP_USER", False, "pengguna SMTP", "tanpa login"),
    ("smtp", "keamanan"): ("TRIWULAN_SMTP_SECURITY", False, "keamanan SMTP", "starttls"),
    ("smtp", "pengirim"): ("TRIWULAN_MAIL_FROM", False, "alamat pengirim", "pengguna SMTP"),
    ("smtp", "waktu_tunggu_detik"): (
        "TRIWULAN_SMTP_TIMEOUT_S",
        False,
        "batas waktu per koneksi",
        "30",
    ),
    ("smtp", "anggaran_detik"): (
        "TRIWULAN_SMTP_BUDGET_S",
        False,
        "batas waktu semua email satu run",
        "120",
    ),
    ("smtp", "secret_block"): (
        "TRIWULAN_SMTP_SECRET_BLOCK",
        False,
        "Prefect Secret berisi kata sandi",
        "-",
    ),
    ("jadwal", "batas_tanggal"): (
        "TRIWULAN_BATAS_TANGGAL",
        False,
        "batas pengiriman: tanggal bulan setelah triwulan",
        "10",
    ),
    ("jadwal", "batas_jam"): ("TRIWULAN_BATAS_JAM", False, "jam batas pengiriman (WIB)", "08:00"),
    ("jadwal", "pengingat_hari"): (
        "TRIWULAN_PENGINGAT_HARI",
        False,
        "pengingat, hari sebelum batas",
        "3",
    ),
    ("jadwal", "kunci_tunggu_detik"): (
        "TRIWULAN_KUNCI_TUNGGU_DETIK",
        False,
        "menunggu run lain triwulan yang sama",
        "600",
    ),
    ("prefect", "mulai_detik"): (
        "TRIWULAN_PREFECT_MULAI_DETIK",
        False,
        "menunggu server Prefect sementara siap (PC sibuk)",
        "300",
    ),
    ("prefect", "port"): (
        "TRIWULAN_PREFECT_PORT",
        False,
        "port server Prefect 'triwulan serve' (run memakainya bila menjawab)",
        "4200",
    ),
    ("wilayah", "paralel"): (
        "TRIWULAN_WILAYAH_PARALEL",
        False,
        "rekap wilayah: kecamatan yang dijalankan bersamaan di proses ini",
        "2",
    ),
    ("wilayah", "deployment"): (
        "TRIWULAN_WILAYAH_DEPLOYMENT",
        False,
        "rekap wilayah: deployment tiap kecamatan di work pool Prefect",
        "kosong: di proses ini",
    ),
    ("dask", "alamat"): (
        "TRIWULAN_DASK_ALAMAT",
        False,
        "Dask: kecamatan rekap wilayah dan batch baca triwulan besar (tcp://host:8786 atau lokal:2)",
        "kosong: tanpa Dask",
    ),
    ("portal", "rahasia"): (
        "TRIWULAN_PORTAL_RAHASIA",
        False,
        "kunci rahasia sesi portal unggah (minimal 32 karakter; disamarkan)",
        "kosong: portal tidak mau jalan",
    ),
    ("portal", "alamat"): (
        "TRIWULAN_PORTAL_ALAMAT",
        False,
        "alamat portal seperti dibuka unit (tautan masuk; https: cookie Secure)",
        "http://127.0.0.1:8080",
    ),
    ("portal", "unggah_per_jam"): (
        "TRIWULAN_PORTAL_UNGGAH_PER_JAM",
        False,
        "batas unggahan per unit per jam",
        "30",
    ),
    ("portal", "sesi_jam"): (
        "TRIWULAN_PORTAL_SESI_JAM",
        False,
        "sesi portal berakhir setelah (jam)",
        "8",
    ),
    ("sekretariat", "email"): (
        "TRIWULAN_SEKRETARIAT",
        False,
        "alamat sekretariat",
        "email unit kecamatan",
    ),
}
FORBIDDEN = {"password", "kata_sandi", "sandi", "pass"}
PORTAL_SECRET_ENV = "TRIWULAN_PORTAL_RAHASIA"
PORTAL_SECRET_MIN = 32  # characters: a guessable session secret would let anyone forge sessions
MASKED = frozenset({PORTAL_SECRET_ENV})  # shown as ****** by `triwulan config`


@dataclass(frozen=True)
class Source:
    variable: str
    value: str | None
    origin: str  # "lingkungan", the file's path, or "bawaan"
    description: str


def config_path(env: MutableMapping[str, str] = os.environ, cwd: Path | None = None) -> Path | None:
    """TRIWULAN_CONFIG if set (it must exist), else ./triwulan.toml if present."""
    named = (env.get(CONFIG_ENV) or "").strip()
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise TriwulanError(f"Berkas konfigurasi {CONFIG_ENV}='{named}' tidak ada.")
        return path
    local = (cwd or Path.cwd()) / FILE_NAME
    return local if local.is_file() else None


def read_config(path: Path) -> dict[tuple[str, str], str]:
    """(section, key) -> text value; unknown keys and secrets are refused with the key named."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TriwulanError(f"Berkas konfigurasi {path} tidak dapat dibaca: {exc}") from exc
    values: dict[tuple[str, str], str] = {}
    limit_keys = set(Limits.__dataclass_fields__)
    for section, table in data.items():
        if not isinstance(table, dict):
            raise TriwulanError(f"{path}: '{section}' harus berupa bagian [{section}].")
        for key, value in table.items():
            if key.lower() in FORBIDDEN:
                raise TriwulanError(
                    f"{path}: [{section}] {key} tidak boleh ada: kata sandi tidak disimpan di berkas "
                    f"konfigurasi. Pakai {SECRET_ENV} atau Prefect Secret (smtp.secret_block)."
                )
            known = (section, key) in SETTINGS or (section == "batas" and key in limit_keys)
            if not known:
                raise TriwulanError(f"{path}: pengaturan [{section}] {key} tidak dikenal.")
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise TriwulanError(f"{path}: [{section}] {key} harus teks atau angka.")
            text = str(value)
            if (section, key) in SETTINGS and SETTINGS[(section, key)][1] and text:
                candidate = Path(text).expanduser()
                text = str(
                    candidate if candidate.is_absolute() else (path.parent / candidate).resolve()
                )
            values[(section, key)] = text
    return values


def _variable(section: str, key: str) -> str:
    if section == "batas":
        return LIMIT_PREFIX + key.upper()
    return SETTINGS[(section, key)][0]


def apply_config(
    env: MutableMapping[str, str] = os.environ,
    cwd: Path | None = None,
    load_secret: bool = True,
) -> Path | None:
    """Fill unset TRIWULAN_* variables from the config file; the password from a Secret block.

    Reading a Secret block needs a Prefect server: only commands that send mail ask for it
    (`load_secret`), so `units`, `template`, `status` and `config` never start one.
    """
    path = config_path(env, cwd)
    if path is not None:
        for (section, key), value in read_config(path).items():
            variable = _variable(section, key)
            if variable not in env and value != "":
                env[variable] = value
                env[f"_TRIWULAN_FROM_FILE_{variable}"] = str(path)
    block = (env.get("TRIWULAN_SMTP_SECRET_BLOCK") or "").strip()
    if block and load_secret and not env.get(SECRET_ENV):
        env[SECRET_ENV] = _secret(block, Path(env.get("TRIWULAN_OUT") or "out") / "log")
        env[f"_TRIWULAN_FROM_FILE_{SECRET_ENV}"] = f"Prefect Secret '{block}'"
    return path


def _secret(name: str, log_dir: Path) -> str:
    """The block read through the API a run would use (started patiently when needed)."""
    from triwulan.prefect_api import ServerDidNotStart, prefect_api

    try:
        from prefect.blocks.system import Secret

        with prefect_api(log_dir):
            value = Secret.load(name).get()
    except ServerDidNotStart:
        raise
    except Exception as exc:  # no server, no block, wrong type: the operator must know which
        raise TriwulanError(
            f"Kata sandi SMTP dari Prefect Secret '{name}' tidak dapat dibaca ({type(exc).__name__}). "
            f"Buat block itu (prefect block create secret) atau isi {SECRET_ENV}."
        ) from exc
    return str(value)


def effective(env: MutableMapping[str, str] = os.environ) -> list[Source]:
    """Every setting with its value and where it came from (after apply_config)."""
    rows = []
    keys = [(s, k) for s, k in SETTINGS] + [("batas", k) for k in Limits.__dataclass_fields__]
    defaults, ranges = limit_defaults(), limit_ranges()
    for section, key in keys:
        variable = _variable(section, key)
        description = (
            SETTINGS[(section, key)][2]
            if section != "batas"
            else f"batas berkas: {key} ({_range_text(ranges[key])})"
        )
        value = env.get(variable)
        origin = env.get(f"_TRIWULAN_FROM_FILE_{variable}") or ("lingkungan" if value else "bawaan")
        if section == "batas" and not (value or "").strip():
            value, origin = str(defaults[key]), "bawaan triwulan/batas.toml"
        elif value is None:
            value = SETTINGS[(section, key)][3]
        elif variable in MASKED:
            value = "******"
        rows.append(Source(variable, value, origin, description))
    password = env.get(SECRET_ENV)
    rows.append(
        Source(
            SECRET_ENV,
            "******" if password else "(kosong)",
            env.get(f"_TRIWULAN_FROM_FILE_{SECRET_ENV}") or ("lingkungan" if password else "-"),
            "kata sandi SMTP (disamarkan)",
        )
    )
    return rows


# --- every setting checked before any work starts ------------------------------------------------


def limit_defaults() -> dict[str, int]:
    """The shipped value of every limit (triwulan/batas.toml), before any override."""
    return dataclasses.asdict(load_limits({}))


def limit_ranges() -> dict[str, tuple[int, int | None]]:
    """[rentang] of triwulan/batas.toml: (minimum, maximum or None) of every limit."""
    table = tomllib.loads((files("triwulan") / "batas.toml").read_text(encoding="utf-8"))
    ranges = table.get("rentang", {})
    missing = [name for name in Limits.__dataclass_fields__ if name not in ranges]
    if missing:
        raise TriwulanError(f"batas.toml: [rentang] belum mengisi {', '.join(missing)}.")
    return {
        name: (int(bounds[0]), int(bounds[1]) if len(bounds) > 1 else None)
        for name, bounds in ranges.items()
    }


def _range_text(bounds: tuple[int, int | None]) -> str:
    low, high = bounds
    return f"{low} sampai {high}" if high is not None else f"minimal {low}"
