"""The portal's settings, read from the same configuration as every command (triwulan.toml, env).

The session secret has no default: a portal started without one (or with a short one) refuses
to start, since anyone who knows a default could forge a session.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from triwulan.config import PORTAL_SECRET_ENV as SECRET_VAR
from triwulan.config import PORTAL_SECRET_MIN as SECRET_MIN
from triwulan.paths import inbox_dir, out_dir
from triwulan.settings_check import check_settings
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.limits import load_limits

PORTAL_VARIABLES = frozenset(
    {"TRIWULAN_PORTAL_ALAMAT", "TRIWULAN_PORTAL_UNGGAH_PER_JAM", "TRIWULAN_PORTAL_SESI_JAM"}
)


@dataclass(frozen=True)
class PortalSettings:
    secret: str
    alamat: str  # the address units open, without a trailing slash
    inbox: Path
    out: Path
    max_bytes: int  # the upload limit: [batas] ukuran_berkas_mb, the reader's own limit
    per_hour: int  # uploads per unit per hour
    session_s: int

    @property
    def https(self) -> bool:
        return self.alamat.startswith("https://")

    @property
    def log_dir(self) -> Path:
        return self.out / "log"

    @property
    def kept_dir(self) -> Path:
        return self.out / "portal" / "unggahan"

    @property
    def aside_dir(self) -> Path:
        return self.out / "portal" / "disisihkan"


def portal_settings(
    env: Mapping[str, str] = os.environ,
    inbox: Path | None = None,
    out: Path | None = None,
    *,
    need_secret: bool = True,
) -> PortalSettings:
    """Every setting checked; the secret first (no secret, no portal; codes can be made without)."""
    secret = (env.get(SECRET_VAR) or "").strip()
    if need_secret and len(secret) < SECRET_MIN:
        what = "belum diisi" if not secret else f"terlalu pendek ({len(secret)} karakter)"
        raise TriwulanError(
            f"Kunci rahasia sesi portal {what}: isi {SECRET_VAR} atau [portal] rahasia di "
            f"triwulan.toml dengan minimal {SECRET_MIN} karakter acak, misalnya hasil perintah\n"
            '  python3 -c "import secrets; print(secrets.token_urlsafe(32))"\n'
            "Portal tidak dijalankan tanpa kunci itu."
        )
    # the portal's other settings are judged where every setting is (triwulan config shows them)
    bad = [v.line() for v in check_settings(env) if not v.ok and v.variable in PORTAL_VARIABLES]
    if bad:
        raise TriwulanError("\n".join(bad))
    alamat = (env.get("TRIWULAN_PORTAL_ALAMAT") or "http://127.0.0.1:8080").strip().rstrip("/")
    return PortalSettings(
        secret=secret,
        alamat=alamat,
        inbox=inbox_dir(inbox).resolve(),
        out=out_dir(out).resolve(),
        max_bytes=load_limits().ukuran_berkas,
        per_hour=int((env.get("TRIWULAN_PORTAL_UNGGAH_PER_JAM") or "30").strip()),
        session_s=int((env.get("TRIWULAN_PORTAL_SESI_JAM") or "8").strip()) * 3600,
    )
