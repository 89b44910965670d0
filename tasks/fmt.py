"""Indonesian number and date formats (dot thousands, comma decimals)."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "id_ID"


def _missing(value: object) -> bool:
    """None, NaN and pd.NA all mean 'not defined' (e.g. a capaian with no target)."""
    import pandas as pd

    return value is None or bool(pd.isna(value))


def rupiah(amount: int | None) -> str:
    if _missing(amount):
        return "-"
    return "Rp " + format_decimal(int(amount), format="#,##0", locale=LOCALE)


def angka(value: float | int | None, decimals: int = 0) -> str:
    if _missing(value):
        return "-"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def persen(value: float | None) -> str:
    if _missing(value):
        return "-"
    return angka(value, 2) + "%"


def tanggal(day: dt.date) -> str:
    """'10 Januari 2025'."""
    return format_date(day, format="d MMMM y", locale="id")
