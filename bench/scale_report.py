"""What bench/scale.py reports: one Result per size, the outputs' sizes, the table and the JSON.

Why a module of its own: the full pipeline and the national harness measure different phases but
must land in one table and one JSON shape (units, files, rows, pipeline_s, floor_s, ratio,
peak_rss_mb, leadership_eml_mb, phases, …), so later runs compare with earlier ones.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path

import scale_data

# the Prefect task runs of `triwulan run`, in flow order
PHASES = (
    "kumpulkan",
    "validasi",
    "simpan",
    "simpan-iku",
    "sidik",
    "hitung",
    "laporan",
    "kirim",
    "artefak",
)
# the national harness's phases (bench/scale_national.py), in order
STAGE_PHASES = (
    "import",
    "setup",
    "kumpulkan",
    "validasi",
    "simpan",
    "sidik",
    "simpan-berkas",
    "hitung",
    "ringkasan",
    "laporan-wilayah",
)
MB = 1024 * 1024


@dataclass
class Result:
    """One size: what the JSON holds (seconds, MB; None where a value could not be measured)."""

    units: int
    files: int
    rows: int
    status: str  # ok | timeout | exit N
    pipeline_s: float | None
    floor_s: float | None
    ratio: float | None
    peak_rss_mb: float | None
    leadership_eml_mb: float | None
    phases: dict[str, float] = field(default_factory=dict)
    flow_s: float | None = None
    floor_rss_mb: float | None = None
    floor_rows: int | None = None
    faulty_rows: int = 0
    faulty_units: int = 0
    laporan_html_mb: float | None = None
    rekap_xlsx_mb: float | None = None
    outbox_mb: float | None = None
    outbox_files: int | None = None
    exit_code: int | None = None
    load_before: list[float] = field(default_factory=list)
    generated_s: float | None = None
    cached: bool = False
    started_utc: str = ""
    tree: str = ""  # commit of the working tree measured, "+N changed" when it differs
    mode: str = "triwulan run"  # or "stages …": the in-process harness, not Prefect, not the CLI
    accepted: int | None = None  # units, from the run's own summary
    rejected: int | None = None
    realisasi_keuangan: int | None = None  # the summary's total realisasi s.d. TW (rupiah)
    finished: list[str] = field(default_factory=list)  # harness phases done (all, or to a timeout)
    steps: dict[str, float] = field(default_factory=dict)  # harness: "phase/call" -> seconds
    generated_writer: str | None = None  # which writer made the data (fast | template)


def _mb(path: Path | None) -> float | None:
    return round(path.stat().st_size / MB, 3) if path and path.is_file() else None


def _newest(out: Path, name: str) -> Path | None:
    """The file of the newest finished version folder (v1, v2 …; never v<k>.gagal)."""
    found = [
        p
        for p in (out / str(scale_data.TAHUN) / f"TW{scale_data.TRIWULAN}").glob(f"v*/{name}")
        if p.parent.name[1:].isdigit()
    ]
    return max(found, key=lambda p: int(p.parent.name[1:]), default=None)


def eml_key(path: Path) -> str:
    with path.open("rb") as handle:
        headers = BytesHeaderParser().parsebytes(handle.read(64 * 1024))
    return str(headers.get("X-Triwulan-Key") or "")


def measure_outputs(out: Path, result: Result) -> None:
    """Sizes of the newest version's report, rekap and outbox; counts and total of its summary."""
    summary = _newest(out, "summary.json")
    if summary is not None:
        data = json.loads(summary.read_text(encoding="utf-8"))
        result.accepted = data["counts"]["accepted"]
        result.rejected = data["counts"]["rejected"]
        result.realisasi_keuangan = (data.get("totals") or {}).get("realisasi_keuangan_sd_tw")
    result.laporan_html_mb = _mb(_newest(out, "laporan.html"))
    result.rekap_xlsx_mb = _mb(_newest(out, "rekap.xlsx"))
    outbox = _newest(out, "outbox")
    if outbox is None or not outbox.is_dir():
        return
    emls = sorted(outbox.glob("*.eml"))
    result.outbox_files = len(emls)
    result.outbox_mb = round(
        sum(p.stat().st_size for p in outbox.rglob("*") if p.is_file()) / MB, 3
    )
    leaders = [p for p in emls if "/pimpinan/" in eml_key(p)]
    result.leadership_eml_mb = round(sum(p.stat().st_size for p in leaders) / MB, 3) or None


# ---------------------------------------------------------------- table


def _f(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.{digits}f}"


def table(results: list[Result]) -> str:
    """The sizes side by side, then seconds per phase (Prefect task runs, or harness phases)."""
    head = [
        "units",
        "files",
        "rows",
        "pipeline s",
        "floor s",
        "ratio",
        "peak RSS MB",
        "accepted",
        "rejected",
        "leadership eml MB",
        "report html MB",
    ]
    lines = [
        [
            _f(r.units),
            _f(r.files),
            _f(r.rows),
            _f(r.pipeline_s) if r.status == "ok" else r.status,
            _f(r.floor_s, 2),
            _f(r.ratio),
            _f(r.peak_rss_mb, 0),
            _f(r.accepted),
            _f(r.rejected),
            _f(r.leadership_eml_mb, 2),
            _f(r.laporan_html_mb, 2),
        ]
        for r in results
    ]
    order = [*PHASES] if any(r.mode == "triwulan run" for r in results) else []
    order += [p for p in STAGE_PHASES if p not in order and any(p in r.phases for r in results)]
    order += sorted({k for r in results for k in r.phases} - {*order, "other"})
    phase_head = ["phase s", *[_f(r.units) for r in results]]
    phase_lines = [[name, *[_f(r.phases.get(name), 2) for r in results]] for name in order]
    phase_lines.append(["other", *[_f(r.phases.get("other"), 2) for r in results]])
    phase_lines.append(["total", *[_f(r.pipeline_s, 2) for r in results]])
    if any(r.flow_s is not None for r in results):
        phase_lines.append(["(flow run)", *[_f(r.flow_s, 2) for r in results]])
    blocks = [_grid(head, lines), _grid(phase_head, phase_lines)]
    names = list(dict.fromkeys(k for r in results for k in r.steps))
    if names:
        steps = [[name, *[_f(r.steps.get(name), 2) for r in results]] for name in names]
        blocks.append(_grid(["inside phases s", *phase_head[1:]], steps))
    modes = [f"{r.units:,} units: {r.mode}" for r in results]
    return "\n\n".join([*blocks, "measured by\n  " + "\n  ".join(modes)])


def _grid(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    fmt = [
        "  ".join(
            c.ljust(w) if i == 0 and not c[:1].isdigit() else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [head, *rows]
    ]
    return "\n".join([fmt[0], "  ".join("-" * w for w in widths), *fmt[1:]])


def write_json(path: Path, results: list[Result], single: bool) -> None:
    payload = [asdict(r) for r in results]
    path.write_text(
        json.dumps(payload[0] if single else payload, indent=2, ensure_ascii=False),
        encoding="utf-8",
    )
