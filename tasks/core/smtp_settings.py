"""SMTP settings: read once from TRIWULAN_SMTP_* and checked before any work starts.

Part of the quarter's context (core.quarter.Quarter); the sender (send.smtp) only uses them.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Literal

from triwulan.tasks.core.errors import TriwulanError

Security = Literal["ssl", "starttls", "none"]

DEFAULT_PORTS: dict[str, int] = {"ssl": 465, "starttls": 587, "none": 25}
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_BUDGET_S = 120.0


@dataclass(frozen=True)
class SmtpConfig:
    """SMTP settings from TRIWULAN_* variables; the password is kept out of repr/logs.

    timeout_s bounds the connect and every single read or write of one attempt;
    total_budget_s bounds all sending of one deliver() call, so a stalled server cannot hold up
    the run: what did not fit is kept as .eml and goes out on the next run.
    """

    host: str
    port: int
    security: Security
    mail_from: str  # bare address: envelope sender and From address
    sender_name: str  # display name of From, may be empty
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S
    total_budget_s: float = DEFAULT_BUDGET_S

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SmtpConfig | None:
        """None without TRIWULAN_SMTP_HOST (offline mode); every bad value is reported at once."""
        host = env.get("TRIWULAN_SMTP_HOST", "").strip()
        if not host:
            return None
        problems: list[str] = []

        security_raw = env.get("TRIWULAN_SMTP_SECURITY", "").strip().lower() or "starttls"
        if security_raw not in DEFAULT_PORTS:
            problems.append(
                f"TRIWULAN_SMTP_SECURITY bernilai '{security_raw}'; "
                "gunakan 'ssl', 'starttls' atau 'none'."
            )
            security_raw = "starttls"
        security: Security = security_raw  # type: ignore[assignment]

        port = DEFAULT_PORTS[security]
        port_raw = env.get("TRIWULAN_SMTP_PORT", "").strip()
        if port_raw:
            if port_raw.isdigit() and 1 <= int(port_raw) <= 65535:
                port = int(port_raw)
            else:
                problems.append(
                    f"TRIWULAN_SMTP_PORT bernilai '{port_raw}'; harus angka 1 sampai 65535."
                )

        user = env.get("TRIWULAN_SMTP_USER", "").strip() or None
        password = env.get("TRIWULAN_SMTP_PASSWORD", "") or None
        if user and not password:
            # yagmail would fall back to keyring and an interactive prompt that hangs the run.
            problems.append("TRIWULAN_SMTP_USER diisi tetapi TRIWULAN_SMTP_PASSWORD kosong.")
        if password and not user:
            problems.append("TRIWULAN_SMTP_PASSWORD diisi tetapi TRIWULAN_SMTP_USER kosong.")
        if password and security == "none" and not is_loopback(host):
            problems.append(
                "Kata sandi SMTP tidak boleh dikirim tanpa enkripsi: "
                "atur TRIWULAN_SMTP_SECURITY ke 'ssl' atau 'starttls'."
            )

        timeout_s = _seconds(env, "TRIWULAN_SMTP_TIMEOUT_S", DEFAULT_TIMEOUT_S, problems)
        budget_s = _seconds(env, "TRIWULAN_SMTP_BUDGET_S", DEFAULT_BUDGET_S, problems)

        from_raw = env.get("TRIWULAN_MAIL_FROM", "").strip()
        if not from_raw and user and "@" in user:
            from_raw = user
        name, address = parseaddr(from_raw)
        if not from_raw:
            problems.append(
                "TRIWULAN_MAIL_FROM kosong; isi misalnya "
                "'Sekretariat Kecamatan <kecamatan@contoh.go.id>'."
            )
        elif not looks_like_address(address) or "\n" in from_raw or "\r" in from_raw:
            problems.append(
                f"TRIWULAN_MAIL_FROM bernilai '{from_raw}'; bukan alamat email yang sah."
            )

        if problems:
            raise TriwulanError("Pengaturan SMTP tidak valid: " + " ".join(problems))
        return cls(
            host=host,
            port=port,
            security=security,
            mail_from=address,
            sender_name=name.strip(),
            user=user,
            password=password,
            timeout_s=timeout_s,
            total_budget_s=budget_s,
        )


def _seconds(env: Mapping[str, str], name: str, default: float, problems: list[str]) -> float:
    """A positive number of seconds; a decimal comma is accepted ("1,5")."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        problems.append(f"{name} bernilai '{raw}'; harus angka detik lebih dari 0.")
        return default
    return value


def looks_like_address(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain and " " not in address)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
