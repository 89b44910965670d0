"""The shells of a roll-up: what it covers, the children's stored results, the level's version.

Why stored results, not return values: the kecamatan of a kota may run in this process, on
workers of another machine (a Prefect work pool) or on a Dask cluster; what they leave in their
record (their store and version folder) is the same in every case, and a kecamatan run earlier
by its own secretariat counts as well. The figures are computed by tasks/measure/rollup.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from triwulan.paths import (
    PACKAGED_REFERENCE,
    configured_reference_root,
    inbox_dir,
    out_dir,
    quarter_out,
    wilayah_folder,
)
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.fmt import WIB
from triwulan.tasks.core.period import Period, period_for_run
from triwulan.tasks.core.smtp_settings import SmtpConfig
from triwulan.tasks.core.wilayah import (
    Wilayah,
    children,
    kecamatan_below,
    levels_below,
    load_wilayah,
    schema_name,
)
from triwulan.tasks.measure import rollup
from triwulan.tasks.measure.summary import read_detail
from triwulan.tasks.publish.level import latest_version, write_level_version
from triwulan.tasks.record import database
from triwulan.tasks.record.runs import last_report
from triwulan.tasks.send.deliver import DeliveryResult, deliver
from triwulan.tasks.send.level_mail import level_key, level_mail, level_recipients

LEDGER = "terkirim.json"


@dataclass(frozen=True)
class Rollup:
    """One roll-up: the period, the level asked for and every folder it reads and writes."""

    period: Period
    top: Wilayah
    root: Path  # the reference root holding every wilayah folder
    inbox: Path  # children's inboxes are <inbox>/<kode>
    out: Path  # children's and levels' outputs are <out>/<kode>
    kecamatan: tuple[Wilayah, ...]
    levels: tuple[Wilayah, ...]  # deepest first, the top level last
    smtp: SmtpConfig | None

    def quarter_folder(self, kode: str) -> Path:
        p = self.period
        return quarter_out(wilayah_folder(self.out, kode), p.tahun, p.triwulan)


def plan_rollup(
    periode: str | None,
    kode: str,
    inbox: Path | None,
    out: Path | None,
    referensi: Path | None,
    scheduled: dt.datetime | None = None,
) -> Rollup:
    """Every wilayah file read and checked, and the leadership known, before any child runs."""
    root = referensi or configured_reference_root()
    top = load_wilayah(root, kode)
    if top.is_kecamatan:
        raise TriwulanError(
            f"{top.label} adalah kecamatan: jalankan tanpa --wilayah di folder kecamatan itu, "
            f"atau pilih kota, provinsi atau nasional di atasnya."
        )
    level_recipients(top)  # a level nobody would receive is refused before the work
    return Rollup(
        period=period_for_run(periode, scheduled),
        top=top,
        root=root,
        inbox=inbox_dir(inbox),
        out=out_dir(out),
        kecamatan=tuple(kecamatan_below(root, kode)),
        levels=tuple(levels_below(root, kode)),
        smtp=SmtpConfig.from_env(),
    )


def bands(root: Path) -> pd.DataFrame:
    """The predikat bands of the reference root (a level has no year folder of its own)."""
    path = root / "predikat.csv"
    frame = pd.read_csv(path if path.is_file() else PACKAGED_REFERENCE / "predikat.csv")
    frame["batas_bawah"] = frame["batas_bawah"].astype(float)
    return frame


def read_kecamatan(plan: Rollup, kecamatan: Wilayah, failure: str = "") -> rollup.ChildResult:
    """A kecamatan's latest finished version of the quarter, from its own record."""
    label = plan.period.label
    out = wilayah_folder(plan.out, kecamatan.kode)
    url = database.db_url(out)
    if url.startswith("sqlite:///") and not (out / "triwulan.sqlite").is_file():
        return rollup.missing_result(
            kecamatan.kode, kecamatan.nama, "kecamatan", failure or f"belum ada run {label}"
        )
    with database.scoped_schema(schema_name(kecamatan.kode)):
        engine = database.open_store(url)
    try:
        row = last_report(engine, label)
    finally:
        engine.dispose()
    if row is None or not row.get("folder"):
        return rollup.missing_result(
            kecamatan.kode, kecamatan.nama, "kecamatan", failure or f"belum ada laporan {label}"
        )
    folder = Path(str(row["folder"]))
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    result = rollup.kecamatan_result(
        kecamatan.kode, kecamatan.nama, int(row["versi"]), str(folder), summary, read_detail(folder)
    )
    if failure:  # this roll-up's run failed, an earlier version stands: say how old it is
        note = f"run terakhir gagal ({failure}); dipakai versi {result.version}"
        result = replace(result, message=note)
    return result


def read_level(plan: Rollup, level: Wilayah) -> rollup.ChildResult:
    """A lower level's latest version (written earlier in this roll-up, deepest first)."""
    found = latest_version(plan.quarter_folder(level.kode))
    if found is None:
        return rollup.missing_result(
            level.kode, level.nama, level.tingkat, f"belum ada laporan {plan.period.label}"
        )
    number, folder = found
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return rollup.level_result(level.kode, number, str(folder), summary)


@dataclass(frozen=True)
class LevelBuilt:
    level: Wilayah
    summary: dict[str, Any]
    folder: Path
    new: bool  # False: the figures were already those of the latest version


def build_level(plan: Rollup, level: Wilayah, failures: dict[str, str]) -> LevelBuilt:
    """Consolidate one level from its children's stored results; a new version only on change."""
    results = []
    for child in children(plan.root, level):
        if child.is_kecamatan:
            results.append(read_kecamatan(plan, child, failures.get(child.kode, "")))
        else:
            results.append(read_level(plan, child))
    quarter_folder = plan.quarter_folder(level.kode)
    latest = latest_version(quarter_folder)
    summary = rollup.consolidate(
        {"kode": level.kode, "nama": level.nama, "tingkat": level.tingkat},
        plan.period.label,
        results,
        bands(plan.root),
        dt.datetime.now(WIB).isoformat(timespec="seconds"),
        kecamatan=len(kecamatan_below(plan.root, level.kode)),
    )
    if latest is not None:
        number, folder = latest
        previous = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        if level_key(previous) == level_key({**summary, "version": number}):
            return LevelBuilt(level, previous, folder, new=False)
    summary["version"] = (latest[0] if latest else 0) + 1
    folder = write_level_version(quarter_folder, summary)
    return LevelBuilt(level, summary, folder, new=True)


def send_level(plan: Rollup, built: LevelBuilt) -> list[DeliveryResult]:
    """The level's mail; the quarter's ledger keeps it from going out twice."""
    mail = level_mail(built.level, built.summary, built.folder)
    ledger = plan.quarter_folder(built.level.kode) / LEDGER
    return deliver([mail], built.folder / "outbox", plan.smtp, ledger=ledger)


def child_parameters(plan: Rollup, kecamatan: Wilayah) -> dict[str, Any]:
    """What one kecamatan's flow run needs, as absolute paths every worker can resolve."""
    return {
        "periode": plan.period.label,
        "inbox": os.path.abspath(plan.inbox),
        "out": os.path.abspath(plan.out),
        "referensi": os.path.abspath(plan.root),
        "wilayah": kecamatan.kode,
        "pemicu": "wilayah",
    }
