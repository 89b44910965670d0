"""A level's figures are its kecamatan's integers summed and derived again, never averaged."""

from __future__ import annotations

import pandas as pd
import pytest

from triwulan.tasks.measure.compute import MONEY, totals
from triwulan.tasks.measure.rollup import (
    NOT_REPORTED,
    REPORTED,
    consolidate,
    detail_sums,
    figures,
    kecamatan_result,
    level_result,
    missing_result,
)

BANDS = pd.DataFrame(
    {
        "predikat": ["Sangat Tinggi", "Tinggi", "Sedang", "Rendah", "Sangat Rendah"],
        "batas_bawah": [91.0, 76.0, 66.0, 51.0, 0.0],
    }
)


def detail(rows: list[tuple[int, int, int, float | None]]) -> pd.DataFrame:
    """(pagu, target s.d., realisasi s.d., fisik) per sub-kegiatan; TW = s.d. for brevity."""
    columns = [*MONEY, "realisasi_fisik_persen"]
    frame = pd.DataFrame(
        columns=columns,
        data=[
            {
                "pagu": p,
                "target_keuangan_tw": t,
                "realisasi_keuangan_tw": r,
                "target_keuangan_sd_tw": t,
                "realisasi_keuangan_sd_tw": r,
                "realisasi_fisik_persen": f,
            }
            for p, t, r, f in rows
        ],
    )
    frame[MONEY] = frame[MONEY].astype("int64")
    frame["realisasi_fisik_persen"] = frame["realisasi_fisik_persen"].astype(float)
    return frame


# A big kecamatan far behind and a small one far ahead: an average of their percentages
# would say 75%; the money says otherwise.
BIG = detail([(9_000_000_000_001, 1_000_000_000_000, 500_000_000_000, 40.0)])
SMALL = detail([(100_000_003, 10_000_000, 10_000_000, 100.0), (50, 7, 0, None)])


def summary(units: list[tuple[str, str]]) -> dict:
    return {
        "kecamatan": "Kecamatan X",
        "generated_at": "2024-07-10T08:00:00+07:00",
        "complete": all(s == "accepted" for _, s in units),
        "counts": {
            "accepted": sum(s == "accepted" for _, s in units),
            "rejected": sum(s == "rejected" for _, s in units),
            "missing": sum(s == "missing" for _, s in units),
            "total": len(units),
        },
        "units": [{"nama": n, "status": s} for n, s in units],
    }


def test_a_level_sums_integers_and_derives_its_rates_like_one_big_kecamatan() -> None:
    a = kecamatan_result("32.75.01", "A", 2, "/a", summary([("P", "accepted")]), BIG)
    b = kecamatan_result(
        "32.75.02", "B", 1, "/b", summary([("Q", "accepted"), ("R", "missing")]), SMALL
    )
    out = consolidate(
        {"kode": "32.75", "nama": "Kota", "tingkat": "kota"},
        "2024-TW2",
        [a, b],
        BANDS,
        "2024-07-11T08:00:00+07:00",
        kecamatan=2,
    )
    # exactly what the kecamatan computation gives for all the rows at once
    assert out["totals"] == totals(pd.concat([BIG, SMALL], ignore_index=True), BANDS)
    assert out["totals"]["pagu"] == 9_000_000_000_001 + 100_000_003 + 50  # exact, past 2**53
    assert out["totals"]["capaian_keuangan_sd_tw_persen"] == 50.0  # not (50 + 100) / 2
    assert out["counts"] == {
        "accepted": 2,
        "rejected": 0,
        "missing": 1,
        "total": 3,
        "anak": 2,
        "anak_dilaporkan": 2,
        "anak_lengkap": 1,
        "kecamatan": 2,
    }
    assert out["complete"] is False
    assert out["children"][1]["missing"] == ["R"]


def test_a_province_from_its_kota_summaries_equals_the_rows() -> None:
    """Fisik weighted by pagu survives two levels: province = all rows at once."""
    kota = []
    for kode, frames in (("32.75", [BIG]), ("32.76", [SMALL, BIG])):
        kids = [
            kecamatan_result(f"{kode}.0{i}", "K", 1, "/k", summary([("U", "accepted")]), frame)
            for i, frame in enumerate(frames, start=1)
        ]
        level = consolidate(
            {"kode": kode, "nama": kode, "tingkat": "kota"}, "2024-TW2", kids, BANDS, "t", len(kids)
        )
        level["version"] = 1
        kota.append(level_result(kode, 1, f"/{kode}", level))
    province = consolidate(
        {"kode": "32", "nama": "Jawa Barat", "tingkat": "provinsi"}, "2024-TW2", kota, BANDS, "t", 3
    )
    rows = pd.concat([BIG, SMALL, BIG], ignore_index=True)
    assert province["totals"] == totals(rows, BANDS)
    assert province["counts"]["accepted"] == 3 and province["counts"]["anak"] == 2


def test_a_child_without_a_report_is_shown_and_counts_nothing() -> None:
    a = kecamatan_result("32.75.01", "A", 1, "/a", summary([("P", "accepted")]), BIG)
    gone = missing_result("32.75.02", "Kecamatan B", "kecamatan", "belum ada run 2024-TW2")
    out = consolidate(
        {"kode": "32.75", "nama": "Kota", "tingkat": "kota"}, "2024-TW2", [a, gone], BANDS, "t", 2
    )
    assert out["totals"] == totals(BIG, BANDS)
    row = out["children"][1]
    assert row["status"] == NOT_REPORTED and "totals" not in row
    assert row["message"] == "belum ada run 2024-TW2"
    assert out["counts"]["anak_dilaporkan"] == 1 and out["complete"] is False


def test_no_child_at_all_gives_empty_totals_not_a_crash() -> None:
    out = consolidate(
        {"kode": "32", "nama": "X", "tingkat": "provinsi"}, "2024-TW1", [], BANDS, "t", 0
    )
    assert out["totals"]["pagu"] == 0 and out["totals"]["capaian_keuangan_sd_tw_persen"] is None
    assert out["complete"] is False


def test_figures_leave_out_where_and_when_only() -> None:
    a = kecamatan_result("32.75.01", "A", 1, "/here", summary([("P", "accepted")]), BIG)
    b = kecamatan_result("32.75.01", "A", 7, "/there", summary([("P", "accepted")]), BIG)
    one = consolidate(
        {"kode": "32.75", "nama": "K", "tingkat": "kota"}, "2024-TW2", [a], BANDS, "t1", 1
    )
    two = consolidate(
        {"kode": "32.75", "nama": "K", "tingkat": "kota"}, "2024-TW2", [b], BANDS, "t2", 1
    )
    assert figures(one) == figures(two)
    changed = kecamatan_result("32.75.01", "A", 1, "/here", summary([("P", "accepted")]), SMALL)
    three = consolidate(
        {"kode": "32.75", "nama": "K", "tingkat": "kota"}, "2024-TW2", [changed], BANDS, "t", 1
    )
    assert figures(three) != figures(one)


@pytest.mark.parametrize("frame", [BIG, SMALL, detail([])])
def test_detail_sums_keep_integers(frame: pd.DataFrame) -> None:
    sums = detail_sums(frame)
    assert all(type(sums[k]) is int for k in MONEY)
    assert sums["pagu"] == int(frame["pagu"].sum())
    # only rows that report fisik weigh in it
    reported = frame[frame["realisasi_fisik_persen"].notna()]
    assert sums["pagu_fisik"] == int(reported["pagu"].sum())


def test_a_reported_child_is_marked_so() -> None:
    a = kecamatan_result("32.75.01", "A", 1, "/a", summary([("P", "accepted")]), BIG)
    assert a.status == REPORTED and a.version == 1 and a.counts["total"] == 1
