"""What every notice to a unit shares: usable addresses, the sign-off, problem rows, rendering.

Split from tasks/send/notices.py so the deadline mails (reminders, the secretariat's list) and the
acknowledgement of an accepted file (tasks/send/acknowledgement.py) build their mails from the same parts
without importing each other. Pure functions: no database, no inbox, no sending.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from triwulan.tasks.core.fmt import strip_newlines
from triwulan.tasks.core.reference import Reference
from triwulan.tasks.publish.report import environment

_BAD_ADDRESS = re.compile(r"[\s,;<>]")


def addresses(cell: object) -> list[str]:
    """Usable addresses of a reference cell ('a@x; b@y'); the rest is dropped, not sent to.

    deliver() refuses a whole batch over one bad address, so a typo in one unit's row must not
    stop every other unit's mail: such a unit is reported as unreachable instead.
    """
    if cell is None or (isinstance(cell, float) and pd.isna(cell)):
        return []
    found = []
    for part in str(cell).replace(",", ";").split(";"):
        address = part.strip()
        local, at, domain = address.rpartition("@")
        if at and local and "." in domain and not _BAD_ADDRESS.search(address):
            found.append(address)
    return found


def sign_off(ref: Reference) -> str:
    return f"Sekretariat {ref.kecamatan_name}"


def problem_item(problem: Mapping[str, Any]) -> dict[str, str]:
    """One listed error or warning as the templates show it: row, column, message."""
    row = problem.get("row")
    return {
        "baris": "-" if row is None or (isinstance(row, float) and pd.isna(row)) else str(int(row)),
        "kolom": str(problem.get("column") or "-"),
        "pesan": str(problem["message"]),
    }


def render_html(template: str, context: Mapping[str, Any]) -> str:
    """House-style HTML, autoescaped (names and messages come from what units typed)."""
    return strip_newlines(environment().get_template(template).render(**context))
