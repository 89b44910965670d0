"""The one parser for numbers typed by people (submissions, templates, reference CSVs).

Strict on purpose: a cell that is not plainly a number becomes None, and the caller turns that
into a named problem instead of guessing what '1.000' meant.
"""

from __future__ import annotations

import math
import re
from functools import cache

from triwulan.tasks.limits import load_limits

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
