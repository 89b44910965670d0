"""Charts of the report and the leadership mail (tasks.publish.charts)."""

from __future__ import annotations

import struct

import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from tests.tasks.publish.test_sections import IKM_TW4
from triwulan.tasks.publish import charts

PLAN = [10_842_934_000, 23_093_000_000, 33_472_000_000, 46_754_089_520]
REAL = [10_392_045_174, 23_364_685_579, 31_911_263_772, None]
IKU = [
    {
        "kode": "ikm",
        "nama": "Indeks Kepuasan Masyarakat (IKM) di Kecamatan Bekasi Utara",
        "satuan": "Nilai",
        "target_tw": 77.8,
        "realisasi_tw": 84.84,
        "capaian_persen": 109.05,
        "status": "tercapai",
    },
    {
        "kode": "akip",
        "nama": "Nilai AKIP Kecamatan Bekasi Utara",
        "satuan": "Nilai",
        "target_tw": None,
        "realisasi_tw": 72.74,
        "capaian_persen": None,
        "status": None,
    },
    {
        "kode": "wilayah_tertib",
        "nama": "Persentase Peningkatan Wilayah yang Tertib",
        "nama_singkat": "Wilayah tertib",
        "satuan": "Persen",
        "target_tw": 20.0,
        "realisasi_tw": None,
        "capaian_persen": None,
        "status": None,
    },
]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def texts(fig: Figure) -> list[str]:
    """Every text drawn in the figure (titles, labels, annotations, tick labels)."""
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")) if t.get_text()]


def bars(fig: Figure) -> list[Rectangle]:
    ax = fig.axes[0]
    return [p for p in ax.patches if isinstance(p, Rectangle)]


# --- formatting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "Rp 0"),
        (2_500_000_000, "Rp 2,5 miliar"),
        (10_000_000_000, "Rp 10 miliar"),
        (44_704_453_656, "Rp 44,7 miliar"),
        (500_000_000, "Rp 500 juta"),
        (1_250_000, "Rp 1,25 juta"),
        (750_000, "Rp 750.000"),
        (1_500_000_000_000, "Rp 1,5 triliun"),
    ],
)
def test_rupiah_singkat(value: int, expected: str) -> None:
    assert charts.rupiah_singkat(value) == expected


def test_number_words() -> None:
    assert charts.angka_singkat(1250) == "1.250"
    assert charts.angka_singkat(77.8) == "77,8"
    assert charts.persen_singkat(85.3) == "85,30%"
    assert charts.short_unit_name("Kelurahan Harapan Jaya") == "Kel. Harapan Jaya"
    assert charts.short_unit_name("Kecamatan Bekasi Utara") == "Kec. Bekasi Utara"
    assert [charts.short_iku_name(row) for row in IKU] == ["IKM", "Nilai AKIP", "Wilayah tertib"]
    assert charts.short_iku_name({"nama": "Persentase Peningkatan Wilayah yang Tertib"}) == (
        "Persentase Peningkatan Wilayah yang Tertib"
    )


# --- PNG output ----------------------------------------------------------------------------------


def test_png_phone_width_and_deterministic() -> None:
    first = charts.kumulatif_chart(PLAN, REAL, 3)
    assert charts.kumulatif_chart(PLAN, REAL, 3) == first  # same input, same bytes
    assert charts.kumulatif_chart(PLAN, [*REAL[:3], 44_704_453_656], 4) != first
    width, height = png_size(first)
    assert width == 810 and 400 < height < 900
    assert b"Software" not in first and b"matplotlib" not in first.lower()
    for data in (
        charts.keuangan_unit_chart(
            [("Kelurahan Perwira", 99.47), ("Kelurahan Teluk Pucung", None)]
        ),
        charts.iku_chart(IKU, 2),
    ):
        assert png_size(data)[0] == 810
        assert b"Software" not in data


# --- kumulatif -----------------------------------------------------------------------------------


def test_kumulatif_plan_all_quarters_realisation_up_to_triwulan() -> None:
    fig = charts.kumulatif_figure(PLAN, [*REAL[:3], 40_000_000_000], 3)
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert list(lines["Rencana (anggaran kas)"].get_ydata()) == PLAN
    realised = lines["Realisasi"]
    assert list(realised.get_xdata()) == [1, 2, 3]  # TW IV is after the reported quarter
    assert list(realised.get_ydata()) == REAL[:3]
    shown = texts(fig)
    # 31.911.263.772 / 33.472.000.000 = 95,337...% -> 95,34%
    assert "Realisasi s.d. TW III: Rp 31,91 miliar\n= 95,34% dari rencana" in shown
    assert "Keuangan kumulatif s.d. TW III" in shown
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "Rp 20 miliar" in ticks and "Rp 40 miliar" in ticks


def test_kumulatif_skips_a_quarter_without_data() -> None:
    fig = charts.kumulatif_figure(PLAN, [None, 23_364_685_579, None, None], 3)
    realised = next(x for x in fig.axes[0].get_lines() if x.get_label() == "Realisasi")
    assert list(realised.get_xdata()) == [2]
    assert any(t.startswith("Realisasi s.d. TW II: ") for t in texts(fig))
    empty = charts.kumulatif_figure(PLAN, [None] * 4, 1)
    assert "Realisasi: belum ada data" in texts(empty)
    assert [x.get_label() for x in empty.axes[0].get_lines()] == ["Rencana (anggaran kas)"]


def test_kumulatif_small_amounts_in_juta() -> None:
    fig = charts.kumulatif_figure(
        [300_000_000, 600_000_000, 900_000_000, 1_250_000_000], [250_000_000], 1
    )
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "Rp 500 juta" in ticks and "Rp 1 miliar" in ticks
    assert "Realisasi s.d. TW I: Rp 250 juta\n= 83,33% dari rencana" in texts(fig)


# --- keuangan per unit ---------------------------------------------------------------------------


def test_keuangan_unit_sorted_with_no_data_label() -> None:
    units = [
        ("Kecamatan Bekasi Utara", 93.69),
        ("Kelurahan Harapan Jaya", None),
        ("Kelurahan Perwira", 99.47),
        ("Kelurahan Teluk Pucung", 101.5),
    ]
    fig = charts.keuangan_unit_figure(units, 4)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    positions = list(ax.get_yticks())
    top_down = [label for _, label in sorted(zip(positions, labels, strict=True), reverse=True)]
    assert top_down == [
        "Kel. Teluk Pucung",
        "Kel. Perwira",
        "Kec. Bekasi Utara",
        "Kel. Harapan Jaya",
    ]
    widths = sorted(round(bar.get_width(), 2) for bar in bars(fig))
    assert widths == [93.69, 99.47, 101.5]  # no bar (not a zero bar) for the unit without data
    shown = texts(fig)
    assert "belum ada data" in shown and "101,50%" in shown and "93,69%" in shown
    assert "Capaian keuangan per unit s.d. TW IV" in shown
    reference = [x for x in ax.get_lines() if list(x.get_xdata()) == [100, 100]]
    assert len(reference) == 1


def many_units(count: int) -> list[tuple[str, float | None]]:
    """`count` units, capaian 20%..148,7% (ties included), every 53rd without data."""
    return [
        (f"Kelurahan Contoh {i:04d}", None if i % 53 == 7 else 20 + (i * 37 % 100) * 1.3)
        for i in range(count)
    ]


def top_down_labels(fig: Figure) -> list[str]:
    ax = fig.axes[0]
    pairs = zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True)
    return [label for _, label in sorted(pairs, reverse=True)]


def test_keuangan_unit_one_bar_per_unit_up_to_the_threshold() -> None:
    units = many_units(charts.UNIT_BARS_MAX)
    fig = charts.keuangan_unit_figure(units, 2)
    assert len(top_down_labels(fig)) == charts.UNIT_BARS_MAX  # every unit named
    assert len(bars(fig)) == sum(v is not None for _, v in units)
    assert "Capaian keuangan per unit s.d. TW II" in texts(fig)
    above = charts.keuangan_unit_figure(many_units(charts.UNIT_BARS_MAX + 1), 2)
    assert len(bars(above)) == len(top_down_labels(above)) == charts.LOWEST_UNITS


def test_keuangan_unit_above_threshold_shows_the_units_furthest_behind() -> None:
    # 35 units with capaian 1..35 % (listed highest first) and two without data
    units = [(f"Kelurahan U{v:02d}", float(v)) for v in range(35, 0, -1)]
    units[10:10] = [("Kelurahan Tanpa Data A", None), ("Kelurahan Tanpa Data B", None)]
    fig = charts.keuangan_unit_figure(units, 2)
    assert top_down_labels(fig) == [f"Kel. U{v:02d}" for v in range(1, 21)]  # lowest on top
    assert sorted(round(b.get_width(), 2) for b in bars(fig)) == [float(v) for v in range(1, 21)]
    shown = texts(fig)
    assert "Capaian keuangan per unit s.d. TW II:\n20 unit terendah dari 37 unit" in shown
    assert (
        "15 unit lain: capaian 21,00% s.d. 35,00%,\nmedian 28,00%.\n2 unit belum ada data." in shown
    )
    assert "1,00%" in shown and "20,00%" in shown and "21,00%" not in shown
    reference = [x for x in fig.axes[0].get_lines() if list(x.get_xdata()) == [100, 100]]
    assert len(reference) == 1


def test_keuangan_unit_above_threshold_cuts_long_names_and_handles_no_data() -> None:
    long_name = "Kelurahan " + "Sukamaju Wetan Kidul " * 3
    units = [(long_name, 5.0), *many_units(40)]
    label = top_down_labels(charts.keuangan_unit_figure(units))[0]
    assert label.endswith("…") and len(label) == charts.LABEL_CHARS
    assert label.startswith("Kel. Sukamaju Wetan Kidul")
    nothing = charts.keuangan_unit_figure([(f"Kelurahan {i}", None) for i in range(40)], 1)
    assert bars(nothing) == []
    shown = texts(nothing)
    assert "Capaian keuangan per unit s.d. TW I:\n40 unit" in shown
    assert "40 unit belum ada data." in shown and "belum ada data" in shown


def test_keuangan_unit_chart_bounded_at_province_scale() -> None:
    """Issue 16: 5,957 units were an 810 x 446,985 px PNG of 57 MB (170 s)."""
    province = many_units(5_957)
    png = charts.keuangan_unit_chart(province, 2)
    width, height = png_size(png)
    assert width == 810
    assert height <= 2_000 and len(png) < 300_000
    # the size does not grow with the number of units: 100 units draw the same frame
    assert png_size(charts.keuangan_unit_chart(many_units(100), 2))[1] == height
    assert charts.keuangan_unit_chart(province, 2) == png  # same input, same bytes
    assert b"Software" not in png


# --- IKU -----------------------------------------------------------------------------------------


def test_iku_capaian_bars_the_year_first() -> None:
    """Issue 17: one quantity for all (capaian %), the year's bar before the quarter's, AKIP
    from its latest evaluation, the figure itself in its own unit in the heading."""
    rows = [
        IKU[0] | IKM_TW4,
        IKU[1]
        | {
            "realisasi_tw": None,
            "target_sd_tw": 70.0,
            "realisasi_sd_tw": 72.74,
            "capaian_sd_tw_persen": 103.91,
            "status_sd_tw": "tercapai",
        },
        IKU[2]
        | {
            "target_tw": 17.0,
            "realisasi_tw": 20.0,
            "capaian_persen": 117.65,
            "status": "tercapai",
            "target_sd_tw": 57.0,
            "realisasi_sd_tw": 60.0,
            "capaian_sd_tw_persen": 105.26,
            "status_sd_tw": "tercapai",
        },
    ]
    fig = charts.iku_figure(rows, 4)
    drawn = sorted(bars(fig), key=lambda b: -b.get_y())  # top first
    assert [round(b.get_width(), 2) for b in drawn] == [104.74, 99.39, 103.91, 105.26, 117.65]
    colour = [to_hex(b.get_facecolor()) for b in drawn]
    good = charts.STATUS_COLOR["tercapai"].lower()
    # the quarter below its own target while the year is on track: grey, not orange
    assert colour == [good, charts.TONE_COLOR["neutral"].lower(), good, good, good]
    shown = texts(fig)
    assert "IKM\ns.d. TW IV 84,84 dari 81,00 · tercapai" in shown
    assert "s.d. TW IV 104,74%" in shown and "TW IV saja 99,39%" in shown
    assert "TW IV saja: belum ada data" in shown  # AKIP: no quarter figure, the year's stands
    assert "Wilayah tertib\ns.d. TW IV 60% dari 57% · tercapai" in shown
    assert "IKU TW IV: capaian (target = 100%)" in shown
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels and all(label.endswith("%") for label in labels if label)


def test_iku_without_the_years_figure_leads_with_the_quarter() -> None:
    row = {
        **IKU[2],
        "nama_singkat": None,
        "realisasi_tw": 13.33,
        "target_tw": 20.0,
        "capaian_persen": 66.65,
        "status": "belum tercapai",
    }
    fig = charts.iku_figure([row], 2)
    shown = texts(fig)
    assert (
        "Persentase Peningkatan Wilayah yang Tertib\nTW II 13,33% dari 20% · belum tercapai"
        in shown
    )
    assert shown.index("TW II saja 66,65%") < shown.index("s.d. TW II: belum ada data")
    assert to_hex(bars(fig)[0].get_facecolor()) == charts.STATUS_COLOR["belum tercapai"].lower()


# --- charts_for ----------------------------------------------------------------------------------


def test_charts_for_names_and_skips() -> None:
    summary = {
        "period": "2024-TW3",
        "units": [
            {
                "unit": "perwira",
                "nama": "Kelurahan Perwira",
                "status": "accepted",
                "totals": {"capaian_keuangan_sd_tw_persen": 99.47},
            },
            {
                "unit": "harapan-baru",
                "nama": "Kelurahan Harapan Baru",
                "status": "missing",
                "totals": None,
            },
        ],
        "iku": IKU,
    }
    out = charts.charts_for(summary, PLAN, REAL)
    assert list(out) == ["grafik-kumulatif.png", "grafik-keuangan-unit.png", "grafik-iku.png"]
    assert out["grafik-kumulatif.png"] == charts.kumulatif_chart(PLAN, REAL, 3)
    assert out["grafik-keuangan-unit.png"] == charts.keuangan_unit_chart(
        [("Kelurahan Perwira", 99.47), ("Kelurahan Harapan Baru", None)], 3
    )
    assert out["grafik-iku.png"] == charts.iku_chart(IKU, 3)
    without = charts.charts_for({**summary, "iku": []}, [0, 0, 0, 0], REAL)
    assert list(without) == ["grafik-keuangan-unit.png"]
    del summary["iku"]
    assert "grafik-iku.png" not in charts.charts_for(summary, PLAN, REAL)
