"""The checks of the tables every year shares (IKM mutu, AKIP predikat and komponen, the IKU
sheets' columns), beside the year files' checks of tasks/core/reference_checks.py and in their
manner: whole columns, messages naming file and row."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from triwulan.tasks.core.reference_checks import (
    HUNDREDTH,
    IKU_SHEETS,
    KOMPONEN_RE,
    SHARED_FILES,
    _by_row,
    _decimals,
    _matches,
    _repeats,
    _rows,
    _where,
    missing_columns,
)


def check_shared(frames: dict[str, pd.DataFrame]) -> list[str]:
    """Problems of the shared IKU tables (mutu bands, AKIP predicates and components, IKU columns).

    The bands decide a published rating, so a gap or an overlap between them is an error, not a
    silent fall-through to another band.
    """
    problems = missing_columns(SHARED_FILES, frames)
    if problems:
        return problems
    return (
        _check_mutu(frames["ikm_mutu.csv"])
        + _check_akip_predikat(frames["akip_predikat.csv"])
        + _check_akip_komponen(frames["akip_komponen.csv"])
        + _check_kolom_iku(frames["kolom_iku.csv"])
    )


def _check_mutu(mutu: pd.DataFrame) -> list[str]:
    """PermenPAN-RB 14/2017 bands: each a closed 2-decimal range, adjacent bands 0,01 apart."""
    name = "ikm_mutu.csv"
    low, high = _decimals(mutu["batas_bawah"]), _decimals(mutu["batas_atas"])
    numbers = (low.notna() & high.notna()).to_numpy(dtype=bool)
    inverted = numbers.copy()
    inverted[numbers] = (low[numbers] > high[numbers]).to_numpy(dtype=bool)
    problems = _by_row(
        _rows(mutu, ~numbers, name, lambda: "batas_bawah dan batas_atas harus angka."),
        _rows(
            mutu.assign(_low=low, _high=high),
            inverted,
            name,
            lambda lo, hi: f"batas_bawah {lo} lebih besar dari batas_atas {hi}.",
            "_low",
            "_high",
        ),
    ) + _repeats(mutu, "mutu", name, lambda m: f"mutu '{m}' tercatat dua kali.", "mutu")
    band = numbers & ~inverted
    where = [_where(name, b) for b in mutu["_baris"][band]]
    bands = sorted(zip(low[band], high[band], mutu["mutu"][band], where, strict=True), reverse=True)
    problems += [
        f"{lower[3]}: rentang mutu {lower[2]} berakhir di {lower[1]} tetapi mutu {upper[2]} "
        f"mulai dari {upper[0]} (harus bersambung, selisih 0,01)."
        for upper, lower in zip(bands, bands[1:], strict=False)
        if lower[1] + HUNDREDTH != upper[0]
    ]
    return problems


def _check_akip_predikat(predikat: pd.DataFrame) -> list[str]:
    """Strict lower bounds ('lebih dari'), distinct; exactly one lowest band without a bound."""
    name = "akip_predikat.csv"
    empty = (predikat["lebih_dari"] == "").to_numpy(dtype=bool)
    problems = _by_row(
        _rows(
            predikat,
            ~empty & _decimals(predikat["lebih_dari"]).isna().to_numpy(dtype=bool),
            name,
            lambda v: f"lebih_dari '{v}' harus angka.",
            "lebih_dari",
        )
    )
    if int(empty.sum()) != 1:
        problems.append(
            "akip_predikat.csv: tepat satu predikat (yang terendah) harus berkolom lebih_dari kosong."
        )
    for column in ("predikat", "lebih_dari"):
        problems += _rows(
            predikat,
            ~empty & predikat.duplicated(column, keep="first").to_numpy(dtype=bool),
            name,
            lambda v, column=column: f"{column} '{v}' tercatat dua kali.",
            column,
        )[1]
    return problems


def _check_akip_komponen(komponen: pd.DataFrame) -> list[str]:
    """SAKIP components: unique slugs, positive weights adding up to 100."""
    name = "akip_komponen.csv"
    bobot = _decimals(komponen["bobot"])
    positive = bobot.notna().to_numpy(dtype=bool, copy=True)
    positive[positive] = (bobot[positive] > 0).to_numpy(dtype=bool)
    problems = _by_row(
        _rows(
            komponen,
            ~positive,
            name,
            lambda b: f"bobot '{b}' harus angka lebih dari 0.",
            "bobot",
        ),
        _rows(
            komponen,
            ~_matches(komponen["komponen"], KOMPONEN_RE, full=True),
            name,
            lambda k: f"komponen '{k}' harus huruf kecil dan garis bawah.",
            "komponen",
        ),
    ) + _repeats(
        komponen, "komponen", name, lambda k: f"komponen '{k}' tercatat dua kali.", "komponen"
    )
    total = sum(bobot[positive], Decimal(0))  # in file order, as the weights were always added
    if not problems and total != 100:
        problems.append(f"akip_komponen.csv: jumlah bobot {total} padahal harus 100.")
    return problems


def _check_kolom_iku(kolom: pd.DataFrame) -> list[str]:
    """Sheets of the IKU workbook and their columns, each named once."""
    name = "kolom_iku.csv"
    return _by_row(
        _rows(
            kolom,
            ~kolom["lembar"].isin(IKU_SHEETS),
            name,
            lambda s: f"lembar '{s}' harus salah satu dari {', '.join(IKU_SHEETS)}.",
            "lembar",
        ),
        _rows(
            kolom,
            ~kolom["wajib"].isin(["ya", "tidak"]),
            name,
            lambda w: f"wajib '{w}' harus ya atau tidak.",
            "wajib",
        ),
    ) + _repeats(
        kolom,
        ["lembar", "kolom"],
        name,
        lambda s, k: f"kolom '{k}' lembar '{s}' tercatat dua kali.",
        "lembar",
        "kolom",
    )
