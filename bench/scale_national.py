"""The national size's pipeline, in-process: the quarterly flow's stages without Prefect.

Run by bench/scale.py (through its measuring launcher), not by hand:
    python bench/scale_national.py --inbox I --out O --progress P.json --stages kumpulkan,…

Why a harness: at 83,763 units the full `triwulan run` would also write one mail and one
feedback attachment per unit, which is not what the national goal asks about. This script calls
what flows/quarterly.py calls, in the same order, as plain functions: the steps' own bodies
(`task.fn` of the Prefect tasks in tasks/steps.py, and the plain steps) and the stages under
them. No Prefect server, flow run or task run is involved, and no CLI; the lock, the unchanged
rerun, publish (per-unit HTML, rekap, charts), the cascade and the mails are left out. The
level report is the roll-up's own (tasks/measure/rollup.py, tasks/publish/level.py) over the
units split into LEVEL_CHILDREN children, as the nation's report has one row per province.

After each stage the seconds so far go to --progress, so a run killed at its timeout still says
what finished.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

STAGES = ("kumpulkan", "validasi", "simpan", "hitung", "laporan-wilayah")
LEVEL_CHILDREN = 38  # the provinces below the nation
WILAYAH = {"kode": "00", "nama": "Indonesia", "tingkat": "nasional"}


class Progress:
    """Seconds per phase, written after every phase (the file is replaced whole)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {
            "phases": {},
            "steps": {},  # "phase/step": seconds of the calls inside a phase
            "done": [],
            "counts": {},
            "ok": False,
        }
        self.current = ""

    def step(self, name: str, work: Callable[..., Any], *args: Any) -> Any:
        """One call inside the current phase, timed on its own (what dominates a phase)."""
        started = time.perf_counter()
        result = work(*args)
        self.data["steps"][f"{self.current}/{name}"] = round(time.perf_counter() - started, 2)
        return result

    def phase(self, name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        self.current = name
        result = work()
        self.data["phases"][name] = round(time.perf_counter() - started, 2)
        self.data["done"].append(name)
        self.data["rss_self_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )
        self.write()
        print(f"{name}: {self.data['phases'][name]:.2f} s", flush=True)
        return result

    def write(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.data, indent=2), encoding="utf-8")
        temporary.replace(self.path)


def run(periode: str, inbox: Path, out: Path, stages: list[str], progress: Progress) -> None:
    # imports are part of the measured time, as in `triwulan run`
    progress.phase("import", _import_everything)
    from triwulan.config import apply_config
    from triwulan.settings_check import require_valid_settings
    from triwulan.tasks import rerun, steps
    from triwulan.tasks.check.attribution import attach_file_problems
    from triwulan.tasks.collect.ingest import collect_quarter, find_submissions, inbox_names
    from triwulan.tasks.measure.report_data import previous_version, summarise_version
    from triwulan.tasks.measure.summary import counted_units, earlier_gaps
    from triwulan.tasks.record import runs as record
    from triwulan.tasks.record import store
    from triwulan.tasks.record.fingerprint import data_digest
    from triwulan.tasks.record.iku import load_iku
    from triwulan.tasks.record.version import version_run
    from triwulan.tasks.setup import open_quarter

    def setup() -> Any:  # flows/quarterly.py setup, without a wilayah
        apply_config()
        require_valid_settings()
        return open_quarter(periode, inbox, out)

    quarter = progress.phase("setup", setup)
    engine, period, ref = quarter.engine, quarter.period, quarter.ref

    def collect() -> Any:  # steps.collect without its Prefect logger
        folder = quarter.inbox_folder
        names = inbox_names(folder)
        paths = find_submissions(folder, names)
        keeper = store.RawKeeper(engine, quarter.raw_dir, quarter.limits.ukuran_berkas)

        def keep(path: Path) -> tuple[str, Path]:
            sha, kept = keeper.keep_file(path)
            return sha, kept.absolute()

        received = progress.step("collect_quarter", collect_quarter, paths, keep)
        progress.step("keeper.commit", keeper.commit)
        seen: dict[str, str | None] = dict.fromkeys(names)
        seen.update(received.entries)
        found = progress.step("inbox_digest", rerun.inbox_digest, folder, quarter.limits, seen)
        return replace(received, inbox_digest=found)

    collected = progress.phase("kumpulkan", collect)
    progress.data["counts"].update(files=len(collected.sha256), rows=len(collected.raw))
    if "validasi" not in stages:
        return

    def check() -> Any:  # steps.check with the task's body
        earlier = progress.step(
            "earlier_figures", store.earlier_figures, engine, period.tahun, period.triwulan
        )
        validation, iku = progress.step("validate", steps.validate.fn, collected, quarter, earlier)
        validation, unattached = progress.step(
            "attach_file_problems",
            attach_file_problems,
            validation,
            collected.file_problems,
            ref.units,
        )
        return steps.Verdicts(validation, iku, unattached)

    verdicts = progress.phase("validasi", check)
    states = list(verdicts.validation.status.values())
    progress.data["counts"].update(
        accepted=states.count("accepted"),
        rejected=states.count("rejected"),
        problems=len(verdicts.validation.problems),
    )
    if "simpan" not in stages:
        return

    def save() -> tuple[int, bool]:  # steps.record_quarter, its first half
        version = store.next_version(engine, quarter.label, quarter.folder)
        before = progress.step("data_digest", data_digest, engine, period.tahun, period.triwulan)
        validation = verdicts.validation
        step = progress.step
        step("save", steps.save.fn, quarter, validation.accepted, collected.sha256, version)
        step("save_iku", steps.save_iku.fn, quarter, verdicts.iku, validation.status, version)
        after = step("data_digest again", data_digest, engine, period.tahun, period.triwulan)
        return version, after != before

    version, changed = progress.phase("simpan", save)

    def fingerprint() -> tuple[str, str | None]:  # steps.record_quarter, its second half
        year_data = data_digest(engine, period.tahun)
        masukan = collected.inbox_digest and rerun.input_fingerprint(
            collected.inbox_digest,
            year_data,
            rerun.reference_digest(period),
            rerun.settings_values(),
        )
        return steps.fingerprint.fn(quarter, collected, year_data), masukan

    sidik, masukan = progress.phase("sidik", fingerprint)
    with version_run(
        engine,
        quarter.label,
        version,
        quarter.folder,
        pemicu="manual",
        parameter=quarter.params,
        sidik=sidik,
        sidik_masukan=masukan,
    ) as version_row:
        progress.phase(
            "simpan-berkas",
            lambda: steps.record_files(quarter, version_row, collected, verdicts),
        )
        if "hitung" not in stages:
            return

        def measure() -> tuple[Any, ...]:  # steps.measure, up to the hitung task's body
            step, tahun, triwulan = progress.step, period.tahun, period.triwulan
            sources = step("stored_sources", store.stored_sources, engine, tahun, triwulan)
            status = verdicts.validation.status
            counted, earlier_data = step("counted_units", counted_units, status, sources)
            stored = step("load_realisasi", store.load_realisasi, engine, tahun, triwulan)
            detail = step("compute_quarter", steps.compute_quarter.fn, quarter, stored, counted)
            return detail, counted, earlier_data, stored

        detail, counted, earlier_data, stored = progress.phase("hitung", measure)

        def summarise() -> dict[str, Any]:  # the rest of steps.measure
            quarters = store.quarters_with_data(engine, period.tahun)
            warnings = progress.step(
                "earlier_gaps", earlier_gaps, quarters, counted, period.triwulan, ref.unit_names
            )
            last = record.last_report(engine, quarter.label)
            summary, _ = progress.step(
                "summarise_version",
                summarise_version,
                ref,
                period,
                version,
                verdicts.validation,
                verdicts.unattached,
                detail,
                earlier_data,
                warnings,
                stored,
                load_iku(engine, period.tahun, period.triwulan),
                counted,
                previous_version(last["folder"]) if last else None,
                None,
            )
            return summary

        summary = progress.phase("ringkasan", summarise)
        progress.data["realisasi_keuangan"] = summary["totals"]["realisasi_keuangan_sd_tw"]
        progress.data["counts"]["detail_rows"] = len(detail)
        if "laporan-wilayah" in stages:
            folder = progress.phase(
                "laporan-wilayah", lambda: level_report(summary, detail, out, periode)
            )
            progress.data["level_report"] = {
                p.name: p.stat().st_size for p in Path(folder).iterdir() if p.is_file()
            }
        version_row.finished(summary["counts"])
    progress.data["changed"] = changed


def level_report(summary: dict[str, Any], detail: Any, out: Path, periode: str) -> Path:
    """The nation's report from LEVEL_CHILDREN children, as tasks/level.py builds a level."""
    from triwulan.paths import configured_reference_root
    from triwulan.tasks.core.fmt import WIB
    from triwulan.tasks.level import bands
    from triwulan.tasks.measure import rollup
    from triwulan.tasks.publish.level import write_level_version

    units = summary["units"]
    size = -(-len(units) // LEVEL_CHILDREN)
    by_unit = detail.groupby("unit", sort=False).indices if "unit" in detail else {}
    children = []
    for k in range(0, len(units), size):
        group = units[k : k + size]
        rows = [i for u in group for i in by_unit.get(u["unit"], [])]
        states = [u["status"] for u in group]
        part = {
            "kecamatan": f"Provinsi {k // size + 1:02d}",
            "generated_at": summary["generated_at"],
            "complete": all(s == "accepted" for s in states),
            "counts": {
                **{s: states.count(s) for s in ("accepted", "rejected", "missing")},
                "total": len(states),
            },
            "units": group,
        }
        kode = f"{k // size + 1:02d}"
        children.append(
            rollup.kecamatan_result(kode, part["kecamatan"], 1, "", part, detail.iloc[rows])
        )
    level = rollup.consolidate(
        WILAYAH,
        periode,
        children,
        bands(configured_reference_root()),
        dt.datetime.now(WIB).isoformat(timespec="seconds"),
        kecamatan=len(children),
    )
    level["version"] = 1
    return write_level_version(out / "nasional" / periode, level)


def _import_everything() -> None:
    import triwulan.tasks.steps  # noqa: F401  (Prefect, GX, pandas, SQLAlchemy)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--periode", default="2024-TW2")
    parser.add_argument("--inbox", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--progress", type=Path, required=True)
    parser.add_argument("--stages", default=",".join(STAGES))
    args = parser.parse_args()
    stages = [s for s in args.stages.split(",") if s]
    progress = Progress(args.progress)
    progress.data["stages"] = stages
    progress.data["pid"] = os.getpid()
    progress.write()
    run(args.periode, args.inbox, args.out, stages, progress)
    progress.data["ok"] = True
    progress.write()


if __name__ == "__main__":
    main()
