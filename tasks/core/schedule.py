"""The deadline schedule: the day and hour each quarter is due, and the reminder before it."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from dataclasses import dataclass

from triwulan.tasks.core.errors import TriwulanError


@dataclass(frozen=True)
class Schedule:
    """When the quarter is due and when units are reminded (WIB)."""

    day: int
    hour: int
    minute: int
    reminder_days: int


def schedule(env: MutableMapping[str, str] = os.environ) -> Schedule:
    day_raw = (env.get("TRIWULAN_BATAS_TANGGAL") or "10").strip()
    time_raw = (env.get("TRIWULAN_BATAS_JAM") or "08:00").strip()
    lead_raw = (env.get("TRIWULAN_PENGINGAT_HARI") or "3").strip()
    hour, _, minute = time_raw.partition(":")
    ok = (
        day_raw.isdigit()
        and 1 <= int(day_raw) <= 28
        and hour.isdigit()
        and minute.isdigit()
        and int(hour) < 24
        and int(minute) < 60
        and lead_raw.isdigit()
        and 0 <= int(lead_raw) < int(day_raw)
    )
    if not ok:
        raise TriwulanError(
            f"Jadwal tidak sah: batas_tanggal='{day_raw}' (1–28), batas_jam='{time_raw}' (JJ:MM), "
            f"pengingat_hari='{lead_raw}' (0 sampai sebelum batas_tanggal)."
        )
    return Schedule(int(day_raw), int(hour), int(minute), int(lead_raw))


def deadline_cron(s: Schedule) -> str:
    """The deadline of each quarter: day `s.day` of the month after it, Asia/Jakarta."""
    return f"{s.minute} {s.hour} {s.day} 1,4,7,10 *"


def reminder_cron(s: Schedule) -> str:
    return f"{s.minute} {s.hour} {s.day - s.reminder_days} 1,4,7,10 *"
