"""Indonesian number and date formats (dot thousands, comma decimals) and shared vocabulary."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "id_ID"

WIB = ZoneInfo("Asia/Jakarta")

STATUS_LABEL = {"accepted": "Diterima", "rejected": "Ditolak", "missing": "Belum mengirim"}


def is_missing(value: object) -> bool:
    """True for None, NaN, pd.NA and NaT ('not defined', shown as '-').

    Values pd.isna cannot judge as one scalar (lists, dicts, arbitrary objects) are not missing.
    """
    if value is None:
        return True
    try:
        result = pd.isna(value)
    except (TypeError, ValueError):
        return False
    return bool(result) if isinstance(result, bool | np.bool_) else False


def plain(value: object) -> object:
    """A plain Python value for JSON and templates: None when missing, numpy scalars unwrapped."""
    if is_missing(value):
        return None
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


def plain_records(frame: pd.DataFrame | None) -> list[dict]:
    """DataFrame rows as plain dicts (NaN/NA as None): summary.json parts, templates, rekap."""
    if frame is None or frame.empty:
        return []
    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def rupiah(amount: int | None) -> str:
    """'Rp 46.754.089.520'; '-' when missing."""
    if is_missing(amount):
        return "-"
    return "Rp " + format_decimal(int(amount), format="#,##0", locale=LOCALE)


def angka(value: float | int | None, decimals: int = 0) -> str:
    """'1.234' or '1.234,50' with `decimals` places; '-' when missing."""
    if is_missing(value):
        return "-"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def persen(value: float | None) -> str:
    """'12,34%'; '-' when missing."""
    if is_missing(value):
        return "-"
    return angka(value, 2) + "%"


def tanggal(day: dt.date) -> str:
    """'10 Januari 2025'."""
    return format_date(day, format="d MMMM y", locale="id")


def problem_line(problem: dict) -> str:
    """'baris 6, kolom Realisasi Fisik Kumulatif (%) (L): …' — one problem as people read it.

    The column as labelled by tasks.check.columns ('kolom') when the caller added it; else the
    key with spaces: a reader never has to decode a snake_case key.
    """
    row = problem.get("row")
    row_text = "-" if is_missing(row) else str(int(row))
    column = problem.get("kolom") or str(problem.get("column") or "-").replace("_", " ")
    return f"baris {row_text}, kolom {column}: {problem.get('message')}"


def strip_newlines(html: str) -> str:
    """Remove raw newlines (yagmail turns each one into <br>); every email renderer uses this.

    A newline and the whitespace around it become one space, which HTML renders the same way.
    Inside <pre> (not used by our templates) newlines become '&#10;' so the layout survives.
    """

    def _pre(match: re.Match[str]) -> str:
        return match.group(0).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "&#10;")

    html = re.sub(r"<pre\b.*?</pre>", _pre, html, flags=re.IGNORECASE | re.DOTALL)
    html = re.sub(r"[ \t]*[\r\n]+\s*", " ", html)
    return html.strip()


def megabytes(size: int) -> str:
    """A file size as people read it: 140,2 MB."""
    return f"{size / (1 << 20):.1f}".replace(".", ",") + " MB"
