"""Charts of the quarter as PNG bytes, for the HTML report and the leadership email.

Built with matplotlib's object API (Figure + Agg canvas, no pyplot): no global figure state, so
flows can render in threads. Sized for a phone: 810 px wide at 150 dpi, shown at 390 CSS px the
13 pt text is still about 10 px. The PNG carries no software or date metadata, so the same input
gives the same bytes (the mail and the report can key images by content).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from statistics import median
from typing import Any

import pandas as pd
from babel.numbers import format_decimal
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator

from triwulan.tasks.core.fmt import LOCALE, is_missing
from triwulan.tasks.core.period import ROMAN, parse_period
from triwulan.tasks.measure.compute import percent
from triwulan.tasks.publish.sections import iku_statements

WIDTH_IN = 5.4  # x DPI = 810 px
DPI = 150
FONT = 13  # tick labels, value labels, legend
TITLE_FONT = 14
NO_DATA = "belum ada data"
NO_TARGET = "tanpa target"
# Colours: plan/target grey-blue, realisation blue; IKU realisation by status.
PLAN_COLOR = "#94A3B8"
REAL_COLOR = "#1D4ED8"
STATUS_COLOR = {"tercapai": "#15803D", "belum tercapai": "#C2410C"}
# sections.iku_statements' tones: the quarter behind its own target while the year is on track is
# grey, not orange
TONE_COLOR = {
    "good": STATUS_COLOR["tercapai"],
    "bad": STATUS_COLOR["belum tercapai"],
    "neutral": PLAN_COLOR,
}
MUTED = "#6B7280"
REFERENCE_COLOR = "#B91C1C"
# File names under which the report and the mail embed the charts.
KUMULATIF = "grafik-kumulatif.png"
KEUANGAN_UNIT = "grafik-keuangan-unit.png"
IKU = "grafik-iku.png"
# Up to UNIT_BARS_MAX units the unit chart has a bar per unit; above, the LOWEST_UNITS units
# furthest behind, names cut to LABEL_CHARS (a bar per unit of a province is a 57 MB PNG).
UNIT_BARS_MAX = 30
LOWEST_UNITS = 20
LABEL_CHARS = 30
# Amount words; 'M' would read as million to some and miliar to others.
SCALES = [(1_000_000_000_000, "triliun"), (1_000_000_000, "miliar"), (1_000_000, "juta")]


# --- formatting ----------------------------------------------------------------------------------


def angka_singkat(value: float) -> str:
    """'2,5' / '10' / '1.250': at most 2 decimals, none when whole (decimal comma)."""
    return format_decimal(round(value, 2), format="#,##0.##", locale=LOCALE)


def rupiah_singkat(value: float) -> str:
    """'Rp 2,5 miliar', 'Rp 500 juta', 'Rp 0': each amount in its own word (a chart reader sees
    'Rp 500 juta', not 'Rp 0,5 miliar'); plain rupiah below one juta."""
    if value == 0:
        return "Rp 0"
    for divisor, word in SCALES:
        if abs(value) >= divisor:
            return f"Rp {angka_singkat(value / divisor)} {word}"
    return f"Rp {angka_singkat(value)}"


def persen_singkat(value: float) -> str:
    """'85,31%' (two decimals, decimal comma) as in the report's text."""
    return format_decimal(round(value, 2), format="#,##0.00", locale=LOCALE) + "%"


def short_unit_name(name: str) -> str:
    """'Kel. Harapan Jaya' for 'Kelurahan Harapan Jaya': unit labels fit a phone-wide chart."""
    return re.sub(r"^Kecamatan\s+", "Kec. ", re.sub(r"^Kelurahan\s+", "Kel. ", name.strip()))


def short_iku_name(row: Mapping[str, Any]) -> str:
    """The IKU's short label: `nama_singkat` when given, else the acronym in its name ('IKM'),
    else the name without its 'di Kecamatan …' tail."""
    given = row.get("nama_singkat")
    if isinstance(given, str) and given.strip():
        return given.strip()
    nama = str(row.get("nama") or row.get("kode") or "")
    acronym = re.search(r"\(([A-Z][A-Za-z0-9-]{1,11})\)", nama)
    if acronym:
        return acronym.group(1)
    return re.sub(r"\s+(di\s+)?Kecamatan\b.*$", "", nama).strip()


def _number(value: Any) -> float | None:
    return None if is_missing(value) else float(value)


# --- rendering -----------------------------------------------------------------------------------


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG, without metadata that would differ between runs."""
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    return buffer.getvalue()


def _title(fig: Figure, text: str) -> None:
    """Title flush with the figure's left edge (an axes title would start after the labels)."""
    fig.suptitle(text, x=0.02, ha="left", fontsize=TITLE_FONT)


def _figure(height_in: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    ax.tick_params(labelsize=FONT)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def kumulatif_figure(
    plan_sd: Sequence[int], realisasi_sd: Sequence[int | None], triwulan: int
) -> Figure:
    """Cumulative plan (anggaran kas s.d. TW I..IV) against cumulative realisation up to `triwulan`.

    Quarters after the reported one, and quarters without data, have no realisation point.
    """
    quarters = list(range(1, len(plan_sd) + 1))
    plan = [int(v) for v in plan_sd]
    points = [
        (q, int(v))
        for q, v in zip(quarters, realisasi_sd, strict=False)
        if q <= triwulan and not is_missing(v)
    ]
    fig, ax = _figure(3.9)
    ax.plot(
        quarters,
        plan,
        color=PLAN_COLOR,
        linestyle="--",
        marker="o",
        linewidth=2,
        label="Rencana (anggaran kas)",
    )
    if points:
        ax.plot(
            [q for q, _ in points],
            [v for _, v in points],
            color=REAL_COLOR,
            marker="o",
            linewidth=2.5,
            markersize=7,
            label="Realisasi",
        )
    top = max([*plan, *(v for _, v in points), 1])
    ax.set_ylim(0, top * 1.18)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: rupiah_singkat(v)))
    ax.set_xticks(quarters, [f"TW {ROMAN[q]}" for q in quarters])
    ax.set_xlim(0.7, len(quarters) + 0.3)
    ax.grid(axis="y", color="#E5E7EB")
    ax.set_axisbelow(True)
    _title(fig, f"Keuangan kumulatif s.d. TW {ROMAN[triwulan]}")
    if points:
        q, value = points[-1]
        share = percent(pd.Series([value]), pd.Series([plan[q - 1]])).iloc[0]
        note = f"Realisasi s.d. TW {ROMAN[q]}: {rupiah_singkat(value)}"
        if not pd.isna(share):
            note += f"\n= {persen_singkat(float(share))} dari rencana"
        color = REAL_COLOR
    else:
        note, color = f"Realisasi: {NO_DATA}", MUTED
    # Lower right stays empty: cumulative lines rise from the lower left.
    ax.text(
        0.98,
        0.04,
        note,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=FONT - 1,
        color=color,
    )
    ax.legend(fontsize=FONT - 1, loc="upper left", frameon=False)
    return fig


def kumulatif_chart(plan_sd: list[int], realisasi_sd: list[int | None], triwulan: int) -> bytes:
    """PNG of `kumulatif_figure`."""
    return png_bytes(kumulatif_figure(plan_sd, realisasi_sd, triwulan))


def _bar_label(
    ax: Axes, x: float, y: float, text: str, right: float, inside_from: float = 0.3
) -> None:
    """Value at the bar's end: inside in white when the bar is long (clear of the 100% line and
    the axis end), else just outside."""
    if x >= right * inside_from:
        label = ax.text(
            x - right * 0.015,
            y,
            text,
            va="center",
            ha="right",
            fontsize=FONT - 1,
            color="white",
            fontweight="bold",
        )
    else:
        label = ax.text(x + right * 0.015, y, text, va="center", ha="left", fontsize=FONT - 1)
    label.set_in_layout(False)


def _no_data(ax: Axes, y: float, text: str, right: float) -> None:
    ax.text(
        right * 0.015, y, text, va="center", fontsize=FONT - 1, color=MUTED, style="italic"
    ).set_in_layout(False)


def keuangan_unit_figure(
    units: Sequence[tuple[str, float | None]], triwulan: int | None = None
) -> Figure:
    """Capaian keuangan s.d. TW (%) per unit, highest first; units without data at the bottom
    with the words 'belum ada data' (a zero bar would read as 'spent nothing').

    Above UNIT_BARS_MAX units one bar per unit would be a poster, not a chart (5,957 units: a
    446,985 px tall PNG of 57 MB): the chart then shows the units furthest behind
    (`lowest_units_figure`), so its size is bounded at any scale.
    """
    if len(units) > UNIT_BARS_MAX:
        return lowest_units_figure(units, triwulan)
    known = sorted(
        ((short_unit_name(n), float(v)) for n, v in units if not is_missing(v)),
        key=lambda item: (-item[1], item[0]),
    )
    unknown = sorted(short_unit_name(n) for n, v in units if is_missing(v))
    labels = [name for name, _ in known] + unknown
    fig, ax = _figure(1.4 + 0.5 * max(len(labels), 1))
    positions = list(range(len(labels)))[::-1]  # first label on top
    values = [v for _, v in known]
    right = max([*values, 100.0]) * 1.08
    ax.barh(positions[: len(known)], values, color=REAL_COLOR, height=0.62)
    for pos, value in zip(positions, values, strict=False):
        _bar_label(ax, value, pos, persen_singkat(value), right)
    for pos in positions[len(known) :]:
        _no_data(ax, pos, NO_DATA, right)
    ax.axvline(100, color=REFERENCE_COLOR, linestyle="--", linewidth=1.2)
    ax.set_yticks(positions, labels)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xlim(0, right)
    ax.xaxis.set_major_locator(MultipleLocator(50 if right <= 220 else 100))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{angka_singkat(v)}%"))
    ax.grid(axis="x", color="#E5E7EB")
    ax.set_axisbelow(True)
    sd = f"s.d. TW {ROMAN[triwulan]}" if triwulan else "s.d. TW"
    _title(fig, f"Capaian keuangan per unit {sd}")
    return fig


def _cut(label: str, limit: int = LABEL_CHARS) -> str:
    """A unit label of at most `limit` characters: a long name must not squeeze the bars."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _others_lines(values: Sequence[float]) -> list[str]:
    """['5.917 unit lain: capaian 60,00% s.d. 145,00%,', 'median 101,25%.'] (two lines fit the
    phone-wide chart at any figures)."""
    return [
        f"{angka_singkat(len(values))} unit lain: capaian {persen_singkat(min(values))} s.d. "
        f"{persen_singkat(max(values))},",
        f"median {persen_singkat(median(values))}.",
    ]


def lowest_units_figure(
    units: Sequence[tuple[str, float | None]], triwulan: int | None = None
) -> Figure:
    """The LOWEST_UNITS units furthest behind (lowest capaian keuangan s.d. TW, lowest on top)
    as bars, and under them in words how many other units there are with their range and
    median, and how many have no data yet. Its size does not grow with the number of units;
    every unit's figure is in the report's table and the rekap."""
    known = sorted(
        ((short_unit_name(n), float(v)) for n, v in units if not is_missing(v)),
        key=lambda item: (item[1], item[0]),
    )
    missing = sum(1 for _, v in units if is_missing(v))
    shown, others = known[:LOWEST_UNITS], [v for _, v in known[LOWEST_UNITS:]]
    notes = (_others_lines(others) if others else []) + (
        [f"{angka_singkat(missing)} unit {NO_DATA}."] if missing else []
    )
    fig, ax = _figure(1.4 + 0.5 * max(len(shown), 1) + 0.3 * len(notes))
    positions = list(range(len(shown)))[::-1]  # lowest on top
    values = [v for _, v in shown]
    right = max([*values, 100.0]) * 1.08
    ax.barh(positions, values, color=REAL_COLOR, height=0.62)
    for pos, value in zip(positions, values, strict=True):
        _bar_label(ax, value, pos, persen_singkat(value), right)
    if not shown:
        _no_data(ax, 0, NO_DATA, right)
    ax.axvline(100, color=REFERENCE_COLOR, linestyle="--", linewidth=1.2)
    ax.set_yticks(positions, [_cut(name) for name, _ in shown])
    ax.set_ylim(-0.6, max(len(shown), 1) - 0.4)
    ax.set_xlim(0, right)
    ax.xaxis.set_major_locator(MultipleLocator(50 if right <= 220 else 100))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{angka_singkat(v)}%"))
    ax.grid(axis="x", color="#E5E7EB")
    ax.set_axisbelow(True)
    sd = f"s.d. TW {ROMAN[triwulan]}" if triwulan else "s.d. TW"
    total = angka_singkat(len(units))
    which = f"{len(shown)} unit terendah dari {total} unit" if shown else f"{total} unit"
    _title(fig, f"Capaian keuangan per unit {sd}:\n{which}")
    if notes:
        fig.supxlabel("\n".join(notes), x=0.02, ha="left", fontsize=FONT - 1, color=MUTED)
    return fig


def keuangan_unit_chart(
    units: list[tuple[str, float | None]], triwulan: int | None = None
) -> bytes:
    """PNG of `keuangan_unit_figure`."""
    return png_bytes(keuangan_unit_figure(units, triwulan))


def _iku_value(value: float, satuan: str) -> str:
    """As the IKU table prints it: 'Nilai' with two decimals (77,80), percentages as 13,33%."""
    if satuan.lower().startswith("persen") or satuan == "%":
        return f"{angka_singkat(value)}%"
    return format_decimal(round(value, 2), format="#,##0.00", locale=LOCALE)


def _iku_heading(row: Mapping[str, Any], tw: str) -> tuple[str, str]:
    """(short name, 's.d. TW IV 84,84 dari 81,00 · tercapai'): the year's figure in its own
    unit (nilai, %) when it exists, else the quarter's; the second part may be empty."""
    satuan = str(row.get("satuan") or "")
    for label, value, target, status in (
        (
            f"s.d. {tw}",
            row.get("realisasi_sd_tw"),
            row.get("target_sd_tw"),
            row.get("status_sd_tw"),
        ),
        (tw, row.get("realisasi_tw"), row.get("target_tw"), row.get("status")),
    ):
        number = _number(value)
        if number is None:
            continue
        goal = _number(target)
        of = f" dari {_iku_value(goal, satuan)}" if goal is not None else ""
        verdict = f" · {status}" if status in STATUS_COLOR else ""
        return short_iku_name(row), f"{label} {_iku_value(number, satuan)}{of}{verdict}"
    return short_iku_name(row), ""


HEADING_CHARS = 40  # a bold 13 pt line this long still fits the 810 px chart
LABEL_CHAR_SHARE = 0.0185  # of the axis width, one character of a bold bar label (measured)


def _label_share(words: str) -> float:
    """The share of the axis a bar label takes, with a margin."""
    return len(words) * LABEL_CHAR_SHARE + 0.03


def iku_figure(rows: Sequence[Mapping[str, Any]], triwulan: int | None = None) -> Figure:
    """Capaian (%) of each IKU, the year's (s.d. TW) first, then the quarter's alone.

    Capaian is the one quantity the three IKU share (an index, a score and a percentage would not
    share an axis); the heading gives the figure itself in its own unit. Each bar is labelled in
    words (no legend to look up on a phone); 100% is the dashed target line. A missing figure is
    said ('belum ada data', 'tanpa target'). Colours follow sections.iku_statements: the year's
    status, and the quarter's in grey when the year is on track.
    """
    tw = f"TW {ROMAN[triwulan]}" if triwulan else "TW"
    headings = [_iku_heading(row, tw) for row in rows]
    two_lines = any(len(name) + len(rest) + 3 > HEADING_CHARS for name, rest in headings if rest)
    step = 1.25 if two_lines else 1.0  # data units per IKU
    count = max(len(rows), 1)
    fig, ax = _figure(0.9 + 1.2 * step * count)
    bar = 0.28
    drawn: list[tuple[float, float | None, str, str]] = []  # (y, capaian, words, colour)
    leads = []
    for index, row in enumerate(rows):
        y = (count - 1 - index) * step  # first IKU on top
        verdicts = {v["kind"]: v for v in iku_statements(row, tw)}
        order = ("tahun", "triwulan")
        if _number(row.get("realisasi_sd_tw")) is None:
            order = ("triwulan", "tahun")
        leads.append(verdicts[order[0]])
        for offset, kind in enumerate(order):
            verdict = verdicts[kind]
            label = f"s.d. {tw}" if kind == "tahun" else f"{tw} saja"
            value = _number(
                row.get("capaian_sd_tw_persen" if kind == "tahun" else "capaian_persen")
            )
            if value is None:
                missing = NO_DATA if NO_DATA in verdict["figure"] else NO_TARGET
                words = f"{label}: {missing}"
            else:
                words = f"{label} {persen_singkat(value)}"  # its status: colour, 100% line
            drawn.append((y - offset * (bar + 0.04), value, words, TONE_COLOR[verdict["tone"]]))
    # room for every label: inside its bar when it fits, else after it within the axis
    right = 100.0 * 1.12
    for _ in range(4):  # a wider axis can push a label out of its bar: settle it
        wanted = 100.0 * 1.12
        for _, value, words, _ in drawn:
            if value is None:
                continue
            share = _label_share(words)
            outside = value < share * right
            wanted = max(wanted, value * 1.05, value / (1 - share) if outside else 0.0)
        right = wanted
    for position, value, words, color in drawn:
        if value is None:
            _no_data(ax, position, words, right)
            continue
        ax.barh(position, value, height=bar, color=color)
        _bar_label(ax, value, position, words, right, inside_from=_label_share(words))
    for index, ((name, rest), lead) in enumerate(zip(headings, leads, strict=True)):
        y = (count - 1 - index) * step
        heading = name if not rest else f"{name}\n{rest}" if two_lines else f"{name} · {rest}"
        ax.text(
            0,
            y + bar / 2 + 0.06,
            heading,
            va="bottom",
            ha="left",
            fontsize=FONT,
            fontweight="bold",
            color=TONE_COLOR[lead["tone"]] if lead["tone"] != "neutral" else "black",
            linespacing=1.3,
        ).set_in_layout(False)
    ax.axvline(100, color=REFERENCE_COLOR, linestyle="--", linewidth=1.2)
    ax.set_yticks([])
    ax.set_ylim(-2 * bar - 0.3, (count - 1) * step + bar / 2 + (0.55 if two_lines else 0.4))
    ax.set_xlim(0, right)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{angka_singkat(v)}%"))
    ax.grid(axis="x", color="#E5E7EB")
    ax.set_axisbelow(True)
    _title(fig, f"IKU {tw}: capaian (target = 100%)")
    return fig


def iku_chart(rows: list[dict], triwulan: int | None = None) -> bytes:
    """PNG of `iku_figure`."""
    return png_bytes(iku_figure(rows, triwulan))


def charts_for(
    summary: Mapping[str, Any], plan_sd: list[int], realisasi_sd: list[int | None]
) -> dict[str, bytes]:
    """The version's charts by file name; a chart without data (no plan, no unit, no IKU) is left
    out rather than drawn empty."""
    charts: dict[str, bytes] = {}
    triwulan = parse_period(summary["period"]).triwulan
    if plan_sd and any(int(v) for v in plan_sd):
        charts[KUMULATIF] = kumulatif_chart(plan_sd, realisasi_sd, triwulan)
    units = [
        (
            str(u.get("nama") or u.get("unit")),
            (u.get("totals") or {}).get("capaian_keuangan_sd_tw_persen"),
        )
        for u in summary.get("units") or []
    ]
    if units:
        charts[KEUANGAN_UNIT] = keuangan_unit_chart(units, triwulan)
    iku = summary.get("iku") or []
    if iku:
        charts[IKU] = iku_chart(list(iku), triwulan)
    return charts
