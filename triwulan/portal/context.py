"""What every page and endpoint of the portal shares: settings, the store, reference years, the clock.

The open quarter is the first quarter (of any reference year) whose deadline has not passed;
when every deadline has passed, the newest year's last quarter (late files are still taken
until the quarter is FINAL). A unit may pick any quarter of a reference year that is not FINAL;
its page lists the open quarter's year.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from triwulan.paths import reference_root
from triwulan.portal.settings import PortalSettings
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.fmt import WIB
from triwulan.tasks.core.period import Period, parse_period
from triwulan.tasks.core.reference import Reference, load_reference
from triwulan.tasks.core.schedule import schedule
from triwulan.tasks.record import runs as record
from triwulan.tasks.send.notices import deadline, deadline_text


def reference_years() -> list[int]:
    """The years with a reference folder (2024, …), oldest first."""
    root = reference_root()
    if not root.is_dir():
        return []
    return sorted(int(p.name) for p in root.iterdir() if re.fullmatch(r"\d{4}", p.name))


def open_period(years: list[int], moment: dt.datetime) -> Period:
    """The quarter units report now (see the module docstring).

    Every reference year counts: on 5 January 2025 TW IV 2024 (due 10 January) is still the
    open quarter, even when reference/2025 is there already.
    """
    if not years:
        raise TriwulanError("Tidak ada data referensi tahun mana pun: portal tidak dapat dibuka.")
    when = schedule()
    quarters = [Period(year, q) for year in sorted(years) for q in range(1, 5)]
    upcoming = [p for p in quarters if deadline(p, when) > moment]
    return upcoming[0] if upcoming else quarters[-1]


@dataclass
class Portal:
    settings: PortalSettings
    engine: Engine
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(WIB))

    def now(self) -> dt.datetime:
        """The portal's clock (WIB); tests give their own."""
        return self.clock()

    @property
    def years(self) -> list[int]:
        return reference_years()

    def open_period(self) -> Period:
        return open_period(self.years, self.now())

    def ref(self, tahun: int) -> Reference:
        """The year's checked reference data (load_reference reads a changed file again)."""
        return load_reference(tahun)

    def due(self, period: Period) -> dt.datetime:
        """The quarter's deadline under the configured schedule."""
        return deadline(period, schedule())

    def due_text(self, period: Period) -> str:
        return deadline_text(self.due(period))

    def late(self, period: Period) -> bool:
        return self.now() >= self.due(period)

    def final(self, period: Period) -> dict | None:
        return record.current_final(self.engine, period.label)

    def final_text(self, period: Period) -> str | None:
        fixed = self.final(period)
        return record.final_text(period.label, fixed) if fixed else None

    def period(self, text: str | None) -> Period:
        """A periode a person or program gave (default: the open quarter), of a reference year."""
        period = parse_period(text) if text else self.open_period()
        if period.tahun not in self.years:
            raise TriwulanError(f"Tidak ada data referensi tahun {period.tahun}.")
        return period

    def quarters(self, tahun: int) -> list[Period]:
        return [Period(tahun, q) for q in range(1, 5)]
