"""The quarter being reported, as one context: built once by setup, handed to every step.

A step needs the period, the year's reference data, the database, the folders, the limits and
the SMTP settings; before this context each carried them as seven to thirteen loose arguments.
Pure functions of the stages still take only the frames and values they compute on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from triwulan.paths import quarter_inbox, quarter_out, raw_store
from triwulan.tasks.core.limits import Limits
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference, plan_for_quarter
from triwulan.tasks.core.smtp_settings import SmtpConfig


@dataclass(frozen=True)
class Quarter:
    """One quarter of one kecamatan, with everything a run of it reads and writes."""

    period: Period
    ref: Reference
    engine: Engine
    inbox: Path  # the inbox root; the quarter's files are in `inbox_folder`
    out: Path  # the out root; the quarter's versions are in `folder`
    limits: Limits
    smtp: SmtpConfig | None  # None: offline, mails are kept as .eml

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def inbox_folder(self) -> Path:
        return quarter_inbox(self.inbox, self.period.tahun, self.period.triwulan)

    @property
    def folder(self) -> Path:
        """Where the quarter's versions (v1, v2, …) and its delivery ledger live."""
        return quarter_out(self.out, self.period.tahun, self.period.triwulan)

    @property
    def raw_dir(self) -> Path:
        return raw_store(self.out)

    @property
    def plan(self) -> pd.DataFrame:
        """The pagu and allocation in force this quarter (computed once per reference)."""
        return plan_for_quarter(self.ref, self.period.triwulan)

    @property
    def params(self) -> dict[str, str]:
        """The run's parameters as recorded with it."""
        return {"periode": self.label, "inbox": str(self.inbox), "out": str(self.out)}

    def later(self, triwulan: int) -> Quarter:
        """Another quarter of the same year (the cascade), sharing reference and database."""
        return replace(self, period=Period(self.period.tahun, triwulan))
