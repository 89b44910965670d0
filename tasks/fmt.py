"""Indonesian number and date formats (dot thousands, comma decimals)."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "id_ID"


def rupiah(amount: int | None) -> str:
    if amount is None:
        return "-"
    return "Rp " + format_decimal(int(amount), format="#,##0", locale=LOCALE)


def angka(value: float | int | None, decimals: int = 0) -> str:
    if value is None:
        return "-"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def persen(value: float | None) -> str:
    if value is None:
        return "-"
    return angka(value, 2) + "%"


def tanggal(day: dt.date) -> str:
    """'10 Januari 2025'."""
    return format_date(day, format="d MMMM y", locale="id")
