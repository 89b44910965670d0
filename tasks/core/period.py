"""The reporting period, always written YYYY-TWn (e.g. 2024-TW2)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from triwulan.tasks.core.errors import PeriodError

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
WIB = ZoneInfo("Asia/Jakarta")
# Any letter case and surrounding spaces: people type 2024-tw2 and paste ' 2024-TW2 '.
_PATTERN = re.compile(r"([0-9]{4})-TW([1-4])", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Period:
    tahun: int
    triwulan: int

    @property
    def label(self) -> str:
        return f"{self.tahun}-TW{self.triwulan}"

    @property
    def roman(self) -> str:
        """How people write it in text: 'TW II'."""
        return f"TW {ROMAN[self.triwulan]}"

    @property
    def long(self) -> str:
        return f"Triwulan {ROMAN[self.triwulan]} Tahun {self.tahun}"

    def previous(self) -> list[Period]:
        """Earlier quarters of the same budget year, oldest first."""
        return [Period(self.tahun, q) for q in range(1, self.triwulan)]


def parse_period(text: str) -> Period:
    match = _PATTERN.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match:
        raise PeriodError(
            f"Periode '{text}' tidak dikenali. Tulis periode sebagai TAHUN-TWn, "
            "misalnya 2024-TW2 (triwulan 1 sampai 4)."
        )
    return Period(int(match.group(1)), int(match.group(2)))


def last_completed_quarter(today: dt.date) -> Period:
    """The quarter a quarter-end run reports on: the last one that has ended by `today`."""
    quarter = (today.month - 1) // 3 + 1
    return Period(today.year - 1, 4) if quarter == 1 else Period(today.year, quarter - 1)


def wib_now() -> dt.datetime:
    """The wall clock in WIB: only for manual runs without a periode (tests replace it)."""
    return dt.datetime.now(WIB)


def period_for_run(periode: str | None, scheduled: dt.datetime | None = None) -> Period:
    """The quarter a run reports: the one given, else the one ended before its scheduled time.

    A scheduled run that starts late, or is retried, still reports its own quarter: the
    scheduled start time does not move. Only a manual run without a periode uses the clock.
    """
    if periode:
        return parse_period(periode)
    moment = scheduled if scheduled is not None else wib_now()
    return last_completed_quarter(moment.astimezone(WIB).date())
