"""The one parser for numbers typed by people (submissions, templates, reference CSVs).

Strict on purpose: a cell that is not plainly a number becomes None, and the caller turns that
into a named problem instead of guessing what '1.000' meant.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from triwulan.tasks.core.limits import load_limits

_INT_RE = re.compile(r"-?[0-9]+")  # ASCII digits only: str.isdigit/\d also accept '٣'
_NUMBER_RE = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")
INT64_MAX = 2**63 - 1


@cache
def max_chars() -> int:
    """Longest number text read (limits.digit_maks, plus sign and separator).

    Far beyond any amount a person types, far below Python's 4300-digit int() refusal and the
    quadratic cost of converting huge digit strings.
    """
    return load_limits().digit_maks + 2


def parse_int(text: str | None) -> int | None:
    """Whole rupiah: digits only, optional minus, within int64; '1.000.000', '1000000.5' are not.

    A separator in a money cell is ambiguous (thousands or decimals), so it is refused, not
    guessed. The int64 bound keeps the value storable (pandas Int64, the database).
    """
    text = (text or "").strip()
    if len(text) > max_chars() or not _INT_RE.fullmatch(text):
        return None
    value = int(text)
    return value if abs(value) <= INT64_MAX else None


def parse_number(text: str | None) -> float | None:
    """Number with at most one decimal separator, comma or dot ('82,5', '82.5').

    Indonesian users write a decimal comma, tools write a dot; both mean the same here.
    """
    text = (text or "").strip()
    if len(text) > max_chars() or not _NUMBER_RE.fullmatch(text):
        return None
    value = float(text.replace(",", "."))
    return value if math.isfinite(value) else None


# ---------------------------------------------------------------- numbers as people type them
#
# parse_int/parse_number above say what the contract asks for. The readers below also accept
# what people and spreadsheets actually write ('Rp 1.234.567,-', '1.234.567,00', '75%') and say
# whether the text was already plain, so validation can use the value and still tell the unit
# how to write it next time. Only text that is no number, or one that reads two ways
# ('1.234,567,8'), stays unread.

_D = "[0-9]"  # never \d: it accepts digits of other scripts ('٣')
_LEAD = "[1-9][0-9]{0,2}"  # first group of a grouped number: no leading zero
_SPACES = " \u00a0\u202f"  # space, no-break space, narrow no-break space (Excel, LibreOffice)
_GROUPED = {  # thousands separator -> the whole body: groups, then optional decimals
    ".": re.compile(rf"{_LEAD}(?:\.{_D}{{3}})+(?:,{_D}+)?"),
    ",": re.compile(rf"{_LEAD}(?:,{_D}{{3}})+(?:\.{_D}+)?"),
    " ": re.compile(rf"{_LEAD}(?:[{_SPACES}]{_D}{{3}})+(?:[.,]{_D}+)?"),
}
_DECIMAL_MARK = {".": ",", ",": r"\.", " ": "[.,]"}  # per thousands separator
_PLAIN_RE = re.compile(rf"{_D}+")
_DECIMAL_RE = re.compile(rf"({_D}+)[.,]({_D}+)")
_SCIENTIFIC_RE = re.compile(rf"-?{_D}+(?:\.{_D}+)?[eE][-+]?{_D}{{1,3}}")  # the xlsx reader's 1e-05
_CURRENCY_RE = re.compile(r"(-?)\s*(?:rp\.?|idr)\s*(-?)\s*", re.IGNORECASE)
_NO_CENTS_RE = re.compile(r"\s*[.,]\s*-{1,2}$")  # '1.000,-': Indonesian for 'no cents'


@dataclass(frozen=True)
class Reading:
    """A number cell as read from what a person typed.

    `value` None: no number (or an ambiguous one). `plain` False: the value was read from another
    form than the contract's (separators, 'Rp', ',-', ',00', '%', or '1.000' in a decimal column,
    read as 1 though a thousand may have been meant), so the unit should be told.
    """

    value: int | float | None
    plain: bool = True


UNREAD = Reading(None, False)


def _parts(body: str, grouped_first: bool) -> tuple[str, str] | None:
    """(integer digits, decimal digits) of an unsigned number text, None when it is none.

    `grouped_first`: '1.234' is 1234 (money) rather than 1,234 (a decimal column).
    """
    if _PLAIN_RE.fullmatch(body):
        return body, ""
    simple = _DECIMAL_RE.fullmatch(body)
    if simple and not grouped_first:
        return simple.group(1), simple.group(2)
    for sep, pattern in _GROUPED.items():
        if not pattern.fullmatch(body):
            continue
        mark = re.search(_DECIMAL_MARK[sep], body)
        whole = body[: mark.start()] if mark else body
        frac = body[mark.end() :] if mark else ""
        return re.sub(f"[{re.escape(sep)}{_SPACES}]", "", whole), frac
    return (simple.group(1), simple.group(2)) if simple else None


def _sign(text: str, currency: bool) -> tuple[str, str]:
    """('-' or '', the rest): the minus may stand before or after 'Rp'."""
    if currency:
        match = _CURRENCY_RE.match(text)
        if match and match.end():
            rest = _NO_CENTS_RE.sub("", text[match.end() :])
            return ("-" if match.group(1) or match.group(2) else ""), rest
        text = _NO_CENTS_RE.sub("", text)
    if text.startswith("-"):
        return "-", text[1:].lstrip()
    return "", text


def read_rupiah(text: str | None) -> Reading:
    """Whole rupiah from '1234567', '1.234.567', 'Rp 1.234.567,-', '1,234,567', '1.234.567,00'.

    In money a separator before three digits groups thousands; decimals must be zeros (rupiah
    have no cents here). '12,5' or '1.234,567,8' are no whole rupiah: unread.
    """
    text = (text or "").strip()
    if not text or len(text) > 2 * max_chars():  # bound the work before any regex
        return UNREAD
    strict = parse_int(text)
    if strict is not None:
        return Reading(strict, True)
    sign, body = _sign(text, currency=True)
    parts = _parts(body, grouped_first=True)
    if parts is None or len(parts[0]) > max_chars() or parts[1].strip("0"):
        return UNREAD
    value = int(sign + parts[0])
    return Reading(value, False) if abs(value) <= INT64_MAX else UNREAD


def read_decimal(text: str | None, percent: bool = False) -> Reading:
    """A number from '82,5', '82.5', '1.234,5', '1,234.5', '1.234.567' (and '75%' if `percent`).

    One separator before exactly three digits ('1.000') reads as a decimal, as parse_number
    does, but not as plain: the unit sees how it was read, as a thousand may have been meant.
    """
    text = (text or "").strip()
    if not text or len(text) > 2 * max_chars():
        return UNREAD
    strict = parse_number(text)
    if strict is not None:
        simple = _DECIMAL_RE.fullmatch(text.lstrip("-"))
        thousand = bool(simple and len(simple.group(2)) == 3 and simple.group(1)[0] != "0")
        return Reading(strict, not thousand)
    if len(text) <= max_chars() and _SCIENTIFIC_RE.fullmatch(text):
        value = float(text)
        return Reading(value, True) if math.isfinite(value) else UNREAD
    sign, body = _sign(text, currency=False)
    if percent and body.endswith("%"):
        body = body[:-1].rstrip()
    parts = _parts(body, grouped_first=False)
    if parts is None or len(parts[0]) + len(parts[1]) > max_chars():
        return UNREAD
    value = float(f"{sign}{parts[0]}.{parts[1] or '0'}")
    return Reading(value, False) if math.isfinite(value) else UNREAD


def hundredths(value: float) -> int:
    """A 2-decimal float (as typed in a sheet) as an exact integer count of hundredths."""
    return int((Decimal(str(value)) * 100).to_integral_value(rounding=ROUND_HALF_UP))
