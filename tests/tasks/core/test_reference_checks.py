"""The whole-column reference checks say exactly what the row-by-row ones said, in the same order.

`frozen_reference_checks` is the implementation before the checks were vectorised; both run on
the same broken frames: one spoiler per message, then many seeded random spoilings (cells set to
bad or borrowed values, rows repeated or dropped).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pandas as pd
import pytest

from tests.tasks.core import frozen_reference_checks as frozen
from triwulan.paths import PACKAGED_REFERENCE
from triwulan.tasks.core import reference_checks as checks
from triwulan.tasks.core import reference_shared_checks as shared_checks
from triwulan.tasks.core.parse import parse_int
from triwulan.tasks.core.reference import SHARED_REFERENCE

YEAR_FILES = list(checks.FILES)
Texts = dict[str, pd.DataFrame]  # file name -> text frame as read, without _baris


def _text(path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return frame.apply(lambda col: col.str.strip())


@pytest.fixture(scope="module")
def texts() -> Texts:
    year = {name: _text(PACKAGED_REFERENCE / "2024" / name) for name in YEAR_FILES}
    shared = {name: _text(PACKAGED_REFERENCE / name) for name in SHARED_REFERENCE}
    return year | shared


def _numbered(frame: pd.DataFrame) -> pd.DataFrame:
    """As _read_csv gives it: a RangeIndex and the editor's line number in _baris."""
    frame = frame.reset_index(drop=True)
    frame.insert(0, "_baris", range(2, len(frame) + 2))
    return frame


def _both(texts: Texts) -> tuple[list[str], list[str]]:
    """(frozen, current) problems of the year files and the shared tables, in one list each."""
    year = {n: _numbered(texts[n]) for n in YEAR_FILES}
    shared = {n: _numbered(texts[n]) for n in SHARED_REFERENCE}
    old = frozen.check_frames(2024, year) + frozen.check_shared(shared)
    new = checks.check_frames(2024, year) + shared_checks.check_shared(shared)
    return [m for m in old if not _changed(m)], [m for m in new if not _changed(m)]


def _changed(message: str) -> bool:
    """The two rules changed on purpose since the freeze (issue 20: a revision may add or remove
    a sub-kegiatan, and a second revision follows the first); tested on their own in
    test_reference_revision.py."""
    return (
        "tidak punya anggaran" in message
        or ": perubahan berlaku mulai TW" in message
        or ": versi perubahan untuk" in message  # two revisions of one sub-kegiatan: allowed
    )


def _set(name: str, row: int, column: str, value: str) -> Callable[[Texts], None]:
    return lambda t: t[name].__setitem__(column, t[name][column].where(t[name].index != row, value))


def _repeat(name: str, row: int) -> Callable[[Texts], None]:
    def spoil(t: Texts) -> None:
        frame = t[name]
        t[name] = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)

    return spoil


def _drop(name: str, row: int) -> Callable[[Texts], None]:
    return lambda t: t.__setitem__(name, t[name].drop(index=row).reset_index(drop=True))


def _drop_column(name: str, column: str) -> Callable[[Texts], None]:
    return lambda t: t.__setitem__(name, t[name].drop(columns=column))


# One or more spoilers per message of the checks; several rows of one file carry problems at once
# so that the order (by row, then by check) is compared too.
SPOILERS: dict[str, list[Callable[[Texts], None]]] = {
    "units": [
        _set("units.csv", 1, "unit", "Harapan Jaya"),
        _set("units.csv", 1, "jenis", "desa"),
        _set("units.csv", 1, "email", "tidak ada"),
        _set("units.csv", 3, "unit", "-x"),
        _set("units.csv", 3, "email", ""),
        _repeat("units.csv", 2),
    ],
    "sub_kegiatan": [
        _set("sub_kegiatan.csv", 0, "unit", "bekasi-timur"),
        _set("sub_kegiatan.csv", 0, "target_keluaran", "-1"),
        _set("sub_kegiatan.csv", 2, "kode_sub_kegiatan", "7.01.1.2.01.0001"),
        _set("sub_kegiatan.csv", 4, "kode_sub_kegiatan", "7.01.09.2.01.0001"),
        _set("sub_kegiatan.csv", 5, "kode_sub_kegiatan", "7.01.01.2.09.0001"),
        _set("sub_kegiatan.csv", 6, "target_keluaran", "1,5"),
        _set("sub_kegiatan.csv", 7, "target_keluaran", "1.000,5"),
        _set("sub_kegiatan.csv", 8, "target_keluaran", "٣"),
        _repeat("sub_kegiatan.csv", 9),
    ],
    "anggaran": [
        _set("anggaran.csv", 0, "unit", "bekasi-timur"),
        _set("anggaran.csv", 0, "versi", "induk"),
        _set("anggaran.csv", 0, "pagu", "3.000.000"),
        _set("anggaran.csv", 1, "kode_sub_kegiatan", "7.01.01.2.01.9999"),
        _set("anggaran.csv", 1, "berlaku_mulai_tw", "5"),
        _set("anggaran.csv", 2, "berlaku_mulai_tw", "2"),
        _set("anggaran.csv", 15, "berlaku_mulai_tw", "3"),
        _set("anggaran.csv", 15, "tw3", "-5"),
        _set("anggaran.csv", 3, "berlaku_mulai_tw", "x"),
        _set("anggaran.csv", 3, "tw1", "-20000000"),
        _set("anggaran.csv", 4, "tw2", "99999999999999999999"),
        _set("anggaran.csv", 4, "tw3", "9223372036854775807"),
        _set("anggaran.csv", 5, "tw4", "1" * 40),
        _set("anggaran.csv", 6, "tw4", "٣"),
        _set("anggaran.csv", 7, "tw1", "2999999"),
        _set("anggaran.csv", 8, "berlaku_mulai_tw", "01"),
        _set("anggaran.csv", 9, "pagu", ""),
        _set("anggaran.csv", 10, "tw2", "-0"),
        _repeat("anggaran.csv", 11),
        _drop("anggaran.csv", 12),
    ],
    "revisions": [
        lambda t: _revise(t, ["tw1", "tw2"], "4"),
        lambda t: _revise(t, ["tw3"], "3"),
        lambda t: _revise(t, ["tw1"], "x"),
    ],
    "zona_iku": [
        _set("zona_k3.csv", 0, "kelurahan", "bekasi-timur"),
        _set("zona_k3.csv", 5, "kelurahan", ""),
        _set("iku.csv", 1, "arah", "datar"),
    ],
    "mutu": [
        _set("ikm_mutu.csv", 1, "batas_bawah", "76.62"),
        _set("ikm_mutu.csv", 2, "batas_atas", "abc"),
        _set("ikm_mutu.csv", 3, "batas_bawah", "99"),
        _repeat("ikm_mutu.csv", 0),
    ],
    "akip_predikat": [
        _set("akip_predikat.csv", 5, "lebih_dari", ""),
        _set("akip_predikat.csv", 1, "lebih_dari", "banyak"),
        _set("akip_predikat.csv", 2, "predikat", "AA"),
        _set("akip_predikat.csv", 3, "lebih_dari", "70"),
        _set("akip_predikat.csv", 4, "lebih_dari", "70"),
    ],
    "akip_komponen": [_set("akip_komponen.csv", 2, "bobot", "20")],
    "akip_komponen_rows": [
        _set("akip_komponen.csv", 0, "bobot", "0"),
        _set("akip_komponen.csv", 1, "komponen", "Hasil-Kinerja"),
        _set("akip_komponen.csv", 1, "bobot", "x"),
        _repeat("akip_komponen.csv", 3),
    ],
    "kolom_iku": [
        _set("kolom_iku.csv", 0, "lembar", "survei"),
        _set("kolom_iku.csv", 0, "wajib", "mungkin"),
        _set("kolom_iku.csv", 4, "wajib", ""),
        _repeat("kolom_iku.csv", 2),
    ],
    "missing_year_columns": [
        _drop_column("units.csv", "email"),
        _drop_column("anggaran.csv", "tw3"),
    ],
    "missing_shared_columns": [
        _drop_column("ikm_mutu.csv", "batas_atas"),
        _drop_column("kolom_iku.csv", "wajib"),
    ],
}


def _revise(t: Texts, columns: list[str], start: str) -> None:
    """The next perubahan not yet revised starts at `start` and changes `columns` by one rupiah."""
    ang = t["anggaran.csv"]
    free = ang.index[(ang["versi"] == "perubahan") & (ang["berlaku_mulai_tw"] != "x")]
    row = free[len(columns) % len(free)]
    for col in columns:
        ang.loc[row, col] = str(int(ang.loc[row, col]) + 1)
    ang.loc[row, "berlaku_mulai_tw"] = start


def _copy(texts: Texts) -> Texts:
    return {name: frame.copy() for name, frame in texts.items()}


def test_the_packaged_reference_has_no_problems_either_way(texts):
    assert _both(texts) == ([], [])


@pytest.mark.parametrize("case", list(SPOILERS))
def test_every_message_is_the_same_in_the_same_order(texts, case):
    spoiled = _copy(texts)
    for spoil in SPOILERS[case]:
        spoil(spoiled)
    old, new = _both(spoiled)
    assert old, f"the spoilers of {case} found nothing: the case tests nothing"
    assert new == old


def test_all_spoilers_at_once(texts):
    spoiled = _copy(texts)
    for case, spoilers in SPOILERS.items():
        if not case.startswith("missing"):
            for spoil in spoilers:
                spoil(spoiled)
    old, new = _both(spoiled)
    assert len(old) > 50
    assert new == old


BAD_VALUES = [
    "",
    "x",
    "-1",
    "0",
    "1.000",
    "1,5",
    "٣",
    "murni",
    "perubahan",
    "2",
    "5",
    "kecamatan",
    "AA",
    "a@b",
    "9223372036854775808",
    "1" * 33,
    "7.01.01.2.01.0001",
]


@pytest.mark.parametrize("seed", range(60))
def test_randomly_spoiled_references_give_the_same_messages(texts, seed):
    rng = random.Random(seed)
    spoiled = _copy(texts)
    for _ in range(rng.randint(1, 8)):
        name = rng.choice([*YEAR_FILES, *checks.SHARED_FILES])
        frame = spoiled[name]
        row = rng.randrange(len(frame))
        action = rng.random()
        if action < 0.1:
            _repeat(name, row)(spoiled)
        elif action < 0.15 and len(frame) > 2:
            _drop(name, row)(spoiled)
        else:
            column = rng.choice(list(frame.columns))
            other = frame[column].iloc[rng.randrange(len(frame))]
            value = other if rng.random() < 0.3 else rng.choice(BAD_VALUES)
            _set(name, row, column, value)(spoiled)
    old, new = _both(spoiled)
    assert new == old


def test_a_large_reference_gives_the_same_messages(texts):
    """Many units (as a province has) with problems spread over them."""
    grown = _copy(texts)
    for name in ("units.csv", "sub_kegiatan.csv", "anggaran.csv"):
        frame = texts[name]
        grown[name] = pd.concat(
            [frame.assign(unit=frame["unit"] + f"-{i:03d}") for i in range(40)], ignore_index=True
        )
    grown["zona_k3.csv"] = texts["zona_k3.csv"].assign(
        kelurahan=texts["zona_k3.csv"]["kelurahan"] + "-000"
    )
    rng = random.Random(7)
    for _ in range(200):
        name = rng.choice(["units.csv", "sub_kegiatan.csv", "anggaran.csv"])
        frame = grown[name]
        column = rng.choice([c for c in frame.columns if c != "nama"])
        _set(name, rng.randrange(len(frame)), column, rng.choice(BAD_VALUES))(grown)
    old, new = _both(grown)
    assert len(old) > 100
    assert new == old


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "-0",
        "007",
        "-12",
        "1.000",
        "1,5",
        "",
        "-",
        "+5",
        "٣",
        " 12 ",
        "9223372036854775807",
        "-9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "1" * 32,
        "1" * 33,
        "0" * 31 + "1",
        "12a",
    ],
)
def test_whole_rupiah_reads_a_column_as_parse_int_reads_a_cell(text):
    ok, values = checks.whole_rupiah(pd.Series(["5", text, "x"], dtype=str))
    expected = parse_int(text)
    assert (bool(ok[1]), int(values[1]) if ok[1] else None) == (expected is not None, expected)
    assert ok[0] and values[0] == 5 and not ok[2]
