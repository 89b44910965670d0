"""Every setting judged before anything starts: `triwulan config` shows the verdicts, a run
refuses a bad one with exit 2 and one Indonesian line per setting.

Pure functions over the environment (after triwulan.config.apply_config); the shipped limits and
their ranges are data (triwulan/batas.toml). Split from triwulan/config.py, which reads and
applies the configuration; this module only judges it.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import urlsplit

from triwulan.config import (
    PORTAL_SECRET_ENV,
    PORTAL_SECRET_MIN,
    SECRET_ENV,
    SETTINGS,
    _range_text,
    limit_ranges,
)
from triwulan.prefect_api import start_wait_seconds
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.limits import ENV_PREFIX as LIMIT_PREFIX
from triwulan.tasks.core.limits import Limits, load_limits
from triwulan.tasks.core.schedule import schedule
from triwulan.tasks.core.smtp_settings import is_loopback
from triwulan.tasks.core.wilayah import (
    DASK_ENV,
    DEPLOYMENT_ENV,
    PARALLEL_ENV,
    dask_workers,
    deployment_name,
    parallel_count,
)
from triwulan.tasks.record.lock import lock_wait_seconds

EMAIL = re.compile(
    r"[^@\s<>(),;:\"\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*"
)
SECURITY = ("ssl", "starttls", "none")
SCHEDULE_DEFAULTS = {
    "TRIWULAN_BATAS_TANGGAL": "10",
    "TRIWULAN_BATAS_JAM": "08:00",
    "TRIWULAN_PENGINGAT_HARI": "3",
}
MAX_SECONDS = 86_400


@dataclass(frozen=True)
class Verdict:
    """One setting judged: `problem` says in Indonesian what is allowed; None when it is fine."""

    variable: str
    value: str  # as shown to people: a password is never echoed
    problem: str | None = None
    origin: str | None = None  # the config file the value came from, if any

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def text(self) -> str:
        return "OK" if self.problem is None else f"TIDAK SAH: {self.problem}"

    def line(self) -> str:
        """The one line a refused run prints for this setting."""
        where = f" (dari {self.origin})" if self.origin else ""
        end = "" if str(self.problem).endswith(("?", ".")) else "."
        return f"{self.variable}='{self.value}'{where} tidak sah: {self.problem}{end}"


def check_settings(env: Mapping[str, str] = os.environ) -> list[Verdict]:
    """Every TRIWULAN_* setting (after apply_config) judged on its own, nothing started.

    One verdict per known setting, in the order `triwulan config` lists them, plus one per
    unknown TRIWULAN_BATAS_* name and per optional setting that is set. Reads only `env` and the
    shipped batas.toml. Cross-checks mirror what a run refuses (SmtpConfig.from_env): the
    user/password pair and the sender only matter once TRIWULAN_SMTP_HOST is set.
    """
    verdicts: list[Verdict] = []

    def judge(variable: str, problem: str | None, shown: str | None = None) -> None:
        value = shown if shown is not None else (env.get(variable) or "").strip()
        origin = env.get(f"_TRIWULAN_FROM_FILE_{variable}") if problem else None
        verdicts.append(Verdict(variable, value, problem, origin))

    def raw(variable: str) -> str:
        return (env.get(variable) or "").strip()

    host = raw("TRIWULAN_SMTP_HOST")
    user, password = raw("TRIWULAN_SMTP_USER"), env.get(SECRET_ENV) or ""
    for section, key in SETTINGS:
        variable = SETTINGS[(section, key)][0]
        value = raw(variable)
        problem = None
        if variable == "TRIWULAN_SEKRETARIAT" and value:
            bad = [a for a in _addresses(value) if not EMAIL.fullmatch(a)]
            if bad or not _addresses(value):
                problem = (
                    "isi alamat email, misalnya sekretariat@kecamatan.go.id (beberapa alamat "
                    "dipisah koma)"
                )
        elif variable == "TRIWULAN_MAIL_FROM":
            problem = _sender_problem(value, host, user)
        elif variable == "TRIWULAN_SMTP_PORT" and value:
            problem = _port_problem(value)
        elif variable == "TRIWULAN_SMTP_SECURITY":
            problem = _security_problem(value, host, password)
        elif variable in ("TRIWULAN_SMTP_TIMEOUT_S", "TRIWULAN_SMTP_BUDGET_S") and value:
            problem = _seconds_problem(value)
        elif variable == "TRIWULAN_SMTP_USER" and host and user and not password:
            problem = (
                f"{SECRET_ENV} kosong; isi kata sandinya (atau smtp.secret_block) atau kosongkan "
                "pengguna SMTP"
            )
        elif variable in SCHEDULE_DEFAULTS:
            problem = _schedule_problem(variable, env)
            value = value or SCHEDULE_DEFAULTS[variable]
        elif variable == "TRIWULAN_KUNCI_TUNGGU_DETIK" and value:
            problem = _refusal(lock_wait_seconds, env)
        elif variable == "TRIWULAN_PREFECT_MULAI_DETIK" and value:
            problem = _refusal(start_wait_seconds, env)
        elif variable == "TRIWULAN_PREFECT_PORT" and value:
            problem = _port_problem(value)
        elif variable == PARALLEL_ENV and value:
            problem = _refusal(lambda e: parallel_count(e.get(PARALLEL_ENV)), env)
        elif variable == DEPLOYMENT_ENV and value:
            problem = _refusal(lambda e: deployment_name(e.get(DEPLOYMENT_ENV)), env)
        elif variable == DASK_ENV and value:
            problem = _refusal(lambda e: dask_workers(e.get(DASK_ENV)), env)
        elif variable == PORTAL_SECRET_ENV:
            if value and len(value) < PORTAL_SECRET_MIN:
                problem = f"terlalu pendek; isi minimal {PORTAL_SECRET_MIN} karakter acak"
            value = "******" if value else ""
        elif variable == "TRIWULAN_PORTAL_ALAMAT" and value:
            parts = urlsplit(value)
            web = parts.scheme in ("http", "https") and bool(parts.netloc)
            problem = None if web else "isi alamat lengkap, misalnya https://kecamatan.go.id"
        elif variable in ("TRIWULAN_PORTAL_UNGGAH_PER_JAM", "TRIWULAN_PORTAL_SESI_JAM") and value:
            whole = value.isascii() and value.isdigit() and int(value) >= 1
            problem = None if whole else "isi bilangan bulat positif"
        judge(variable, problem, value)
    ranges = limit_ranges()
    for name in Limits.__dataclass_fields__:
        variable = LIMIT_PREFIX + name.upper()
        value = raw(variable)
        judge(variable, _limit_problem(variable, value, ranges[name]) if value else None, value)
    judge(
        SECRET_ENV,
        f"diisi tetapi TRIWULAN_SMTP_USER kosong; isi TRIWULAN_SMTP_USER atau kosongkan {SECRET_ENV}"
        if host and password and not user
        else None,
        "******" if password else "",
    )
    for variable in sorted(env):
        if variable.startswith(LIMIT_PREFIX) and variable not in _known_limit_names():
            judge(variable, _unknown_limit_problem(variable), raw(variable))
    if raw("TRIWULAN_PERINGATAN_DEVIASI"):
        judge("TRIWULAN_PERINGATAN_DEVIASI", _deviation_problem(raw("TRIWULAN_PERINGATAN_DEVIASI")))
    return verdicts


def require_valid_settings(env: Mapping[str, str] = os.environ) -> None:
    """Refuse (exit 2) with one line per bad setting, before anything starts."""
    bad = [v.line() for v in check_settings(env) if not v.ok]
    if bad:
        raise TriwulanError("\n".join(bad))


def _addresses(value: str) -> list[str]:
    return [a.strip() for a in value.replace(";", ",").split(",") if a.strip()]


def _sender_problem(value: str, host: str, user: str) -> str | None:
    example = "isi alamat pengirim, misalnya 'Sekretariat Kecamatan <kecamatan@contoh.go.id>'"
    if not value:
        if host and not EMAIL.fullmatch(user):
            return f"kosong padahal TRIWULAN_SMTP_HOST diisi; {example}"
        return None
    _, address = parseaddr(value)
    if not EMAIL.fullmatch(address) or "\n" in value or "\r" in value:
        return example
    return None


def _port_problem(value: str) -> str | None:
    ok = value.isascii() and value.isdigit() and 1 <= int(value) <= 65535
    return None if ok else "isi nomor port 1 sampai 65535"


def _security_problem(value: str, host: str, password: str) -> str | None:
    chosen = value.lower() or "starttls"
    if chosen not in SECURITY:
        return "pilih ssl, starttls atau none"
    if chosen == "none" and host and password and not is_loopback(host):
        return (
            "kata sandi SMTP tidak boleh dikirim tanpa enkripsi ke server lain; pilih ssl atau "
            "starttls"
        )
    return None


def _seconds_problem(value: str) -> str | None:
    try:
        seconds = float(value.replace(",", "."))
    except ValueError:
        seconds = math.nan
    if math.isfinite(seconds) and 0 < seconds <= MAX_SECONDS:
        return None
    return f"isi jumlah detik lebih dari 0 sampai {MAX_SECONDS}, misalnya 30"


def _schedule_problem(variable: str, env: Mapping[str, str]) -> str | None:
    """schedule() decides; each variable is tried with the others at values known to be good."""
    value = (env.get(variable) or "").strip() or SCHEDULE_DEFAULTS[variable]
    trial = {"TRIWULAN_PENGINGAT_HARI": "0", variable: value}
    if variable == "TRIWULAN_PENGINGAT_HARI":
        day = (env.get("TRIWULAN_BATAS_TANGGAL") or "").strip() or "10"
        day = day if _schedule_problem("TRIWULAN_BATAS_TANGGAL", env) is None else "28"
        trial["TRIWULAN_BATAS_TANGGAL"] = day
    try:
        schedule(trial)
    except TriwulanError:
        if variable == "TRIWULAN_BATAS_TANGGAL":
            return "isi tanggal 1 sampai 28 (batas pengiriman, bulan setelah triwulan)"
        if variable == "TRIWULAN_BATAS_JAM":
            return "isi jam JJ:MM (WIB), misalnya 08:00"
        day = trial["TRIWULAN_BATAS_TANGGAL"]
        return (
            f"isi jumlah hari 0 sampai {int(day) - 1} (pengingat dikirim sebelum batas tanggal "
            f"{day})"
        )
    return None


def _refusal(parse: Callable[[Mapping[str, str]], object], env: Mapping[str, str]) -> str | None:
    """What a setting's own parser refuses (its "… tidak sah: <what>" message), else None."""
    try:
        parse(env)
    except TriwulanError as exc:
        return str(exc).partition("tidak sah: ")[2].rstrip(".") or str(exc)
    return None


def _limit_problem(variable: str, value: str, bounds: tuple[int, int | None]) -> str | None:
    allowed = f"isi bilangan bulat {_range_text(bounds)}"
    try:
        number = getattr(
            load_limits({variable: value}), variable.removeprefix(LIMIT_PREFIX).lower()
        )
    except TriwulanError:
        return allowed
    low, high = bounds
    return None if low <= number and (high is None or number <= high) else allowed


def _known_limit_names() -> set[str]:
    limits = {LIMIT_PREFIX + name.upper() for name in Limits.__dataclass_fields__}
    return limits | {"TRIWULAN_BATAS_TANGGAL", "TRIWULAN_BATAS_JAM"}


def _unknown_limit_problem(variable: str) -> str:
    tail = variable.removeprefix(LIMIT_PREFIX)
    tails = [name.removeprefix(LIMIT_PREFIX) for name in sorted(_known_limit_names())]
    close = difflib.get_close_matches(tail, tails, n=1, cutoff=0.6)
    if close:
        return f"nama ini tidak dikenal; maksudnya {LIMIT_PREFIX}{close[0]}?"
    limits = ", ".join(name.upper() for name in Limits.__dataclass_fields__)
    return f"tidak ada batas bernama {tail}; batas yang ada ({LIMIT_PREFIX}<NAMA>): {limits}"


def _deviation_problem(value: str) -> str | None:
    from triwulan.tasks.measure.early_warning import ENV_DEVIASI, _number

    try:
        _number(value, ENV_DEVIASI)
    except TriwulanError:
        return "isi angka 0 sampai 100 (poin persen dari pagu), misalnya 10 atau 7,5"
    return None
