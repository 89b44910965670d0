"""The validation catalogue, one test per rule: a passing and a failing submission each.

Every case is a copy of unit perwira (reference scaled: perwira-000, perwira-001, …), so the
whole catalogue runs in one validate_quarter call (one GX run). Perwira's TW II rows:
row 2 7.01.02.2.03.0001 pagu 50.000.000, target 3.780.000, target keluaran 15 Laporan;
row 3 7.01.03.2.02.0002 pagu 200.000.000, target 200.000.000, target keluaran 1;
row 4 7.01.03.2.02.0003 pagu 1.658.243.200, target 553.514.800, target keluaran 158;
row 5 7.01.03.2.03.0001 pagu 40.000.000, target 20.000.000, target keluaran 2.
A clean row spends half its target (capaian 50%), fisik 50, keluaran 1,5.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.tasks.check.test_validate import unit_rows
from triwulan.tasks.check import validate as v
from triwulan.tasks.collect.ingest import HEADER_SEP, read_submission
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference, load_reference, plan_for_quarter
from triwulan.tasks.record import database, store

PERIOD = Period(2024, 2)
COPIES = 40
KODE = {
    2: "7.01.02.2.03.0001",
    3: "7.01.03.2.02.0002",
    4: "7.01.03.2.02.0003",
    5: "7.01.03.2.03.0001",
}
Rows = list[dict[str, object]]


def scaled(ref: Reference, copies: int) -> Reference:
    """Every unit copied `copies` times as <unit>-NNN."""

    def grow(frame: pd.DataFrame) -> pd.DataFrame:
        parts = [frame.assign(unit=frame["unit"] + f"-{i:03d}") for i in range(copies)]
        return pd.concat(parts, ignore_index=True)

    return dataclasses.replace(
        ref, units=grow(ref.units), sub_kegiatan=grow(ref.sub_kegiatan), anggaran=grow(ref.anggaran)
    )


@pytest.fixture(scope="module")
def ref() -> Reference:
    return scaled(load_reference(2024), COPIES)


@pytest.fixture(scope="module")
def plan(ref: Reference) -> pd.DataFrame:
    return plan_for_quarter(ref, PERIOD.triwulan)


def clean(plan: pd.DataFrame, unit: str, file: str | None = None) -> Rows:
    """A clean submission of one unit, cells as text (as read_quarter gives them)."""
    return unit_rows(plan, unit, file or f"{unit}.xlsx")


def at(rows: Rows, row: int, **cells: object) -> Rows:
    """The rows with cells of Excel row `row` changed."""
    rows[row - 2].update(cells)
    return rows


def edit(rows: Rows, changes: dict[int, dict[str, object]]) -> Rows:
    """The rows with cells of several Excel rows changed."""
    for row, cells in changes.items():
        at(rows, row, **cells)
    return rows


def earlier_rows(unit: str, **by_row: dict[str, object]) -> list[dict[str, object]]:
    """Stored figures (store.earlier_figures columns) of some of the unit's rows."""
    out = []
    for row, figures in by_row.items():
        out.append(
            {
                "unit": unit,
                "kode_sub_kegiatan": KODE[int(row.removeprefix("r"))],
                "realisasi_keuangan": 0,
                **figures,
            }
        )
    return out


def with_header(rows: Rows) -> pd.DataFrame:
    """One file's frame with its own header in `_kolom`, as read_submission sets it."""
    frame = pd.DataFrame(rows).fillna("")
    columns = [c for c in frame.columns if not c.startswith("_")]
    return frame.assign(_kolom=HEADER_SEP.join(columns))


# Every case: rule -> (passing unit builder, failing unit builder); a builder gets the plan, the
# unit name and a folder for files, and returns (rows frame, earlier rows).
Built = tuple[pd.DataFrame, list[dict[str, object]]]
Builder = Callable[[pd.DataFrame, str, Path], Built]


def plain(change: Callable[[Rows], Rows], earlier: Callable[[str], list] | None = None) -> Builder:
    def build(plan: pd.DataFrame, unit: str, folder: Path) -> Built:
        return with_header(change(clean(plan, unit))), (earlier(unit) if earlier else [])

    return build


def same_as_tw1(unit: str, keluaran_row5: float = 1.5) -> list[dict[str, object]]:
    """TW I exactly as the clean TW II file (row 5's keluaran may differ)."""
    targets = {2: 3_780_000, 3: 200_000_000, 4: 553_514_800, 5: 20_000_000}
    figures = {
        f"r{r}": {
            "triwulan_sebelumnya": 1,
            "fisik_sebelumnya": 50.0,
            "keuangan_tw_lalu": targets[r] // 2,
            "fisik_tw_lalu": 50.0,
            "keluaran_tw_lalu": keluaran_row5 if r == 5 else 1.5,
        }
        for r in KODE
    }
    return earlier_rows(unit, **figures)


def renamed(plan: pd.DataFrame, unit: str, folder: Path) -> Built:
    rows = [
        {("realisasi_keungan" if k == "realisasi_keuangan" else k): val for k, val in r.items()}
        for r in clean(plan, unit)
    ]
    return with_header(rows), []


def with_sum_row(plan: pd.DataFrame, unit: str, folder: Path) -> Built:
    rows = clean(plan, unit)
    total = {k: "" for k in rows[0]}
    total.update(
        nama_sub_kegiatan="JUMLAH",
        pagu="1948243200",
        realisasi_keuangan=str(sum(int(r["realisasi_keuangan"]) for r in rows)),
        _file=rows[0]["_file"],
        _row=len(rows) + 2,
    )
    return with_header([*rows, total]), []


def semicolon_csv(pagu: str) -> Builder:
    """The unit's file as a semicolon CSV (Excel, Indonesian locale), read by read_submission."""

    def build(plan: pd.DataFrame, unit: str, folder: Path) -> Built:
        rows = at(clean(plan, unit, f"{unit}.csv"), 2, pagu=pagu)
        table = pd.DataFrame(rows).drop(columns=["_file", "_row"])
        path = folder / f"{unit}.csv"
        table.to_csv(path, sep=";", index=False)
        frame, problem = read_submission(path)
        assert problem is None
        return frame, []

    return build


CASES: dict[str, tuple[Builder, Builder]] = {
    "fisik_turun": (
        plain(
            lambda r: r,
            lambda u: earlier_rows(u, r3={"triwulan_sebelumnya": 1, "fisik_sebelumnya": 50.0}),
        ),
        plain(
            lambda r: r,
            lambda u: earlier_rows(u, r3={"triwulan_sebelumnya": 1, "fisik_sebelumnya": 60.0}),
        ),
    ),
    "keluaran_melebihi_target": (
        plain(lambda r: r),  # 1,5 of a target of 1: exactly 150%
        plain(lambda r: r, lambda u: earlier_rows(u, r3={"realisasi_keluaran": 1.0})),
    ),
    "sama_dengan_tw_lalu": (
        plain(lambda r: r, lambda u: same_as_tw1(u, keluaran_row5=2.0)),
        plain(lambda r: r, same_as_tw1),
    ),
    "keuangan_melebihi_target": (
        plain(lambda r: at(r, 2, realisasi_keuangan="5670000")),  # 150% of 3.780.000
        plain(lambda r: at(r, 2, realisasi_keuangan="7560001")),
    ),
    "fisik_tanpa_keuangan": (
        plain(lambda r: at(r, 2, realisasi_fisik="89,99")),
        plain(lambda r: at(r, 2, realisasi_fisik="95")),  # money to date 3,78% of pagu
    ),
    "keuangan_tanpa_fisik": (
        plain(lambda r: at(r, 3, realisasi_keuangan="180000000", realisasi_fisik="25")),
        plain(lambda r: at(r, 3, realisasi_keuangan="180000000", realisasi_fisik="24,99")),
    ),
    "capaian_rendah_tanpa_kendala": (
        plain(
            lambda r: at(
                r, 4, realisasi_keuangan="0", kendala="Lelang ulang", tindak_lanjut="TW III"
            )
        ),
        plain(lambda r: at(r, 4, realisasi_keuangan="0", tindak_lanjut="Dipercepat TW III")),
    ),
    "capaian_rendah_tanpa_tindak_lanjut": (
        plain(lambda r: at(r, 5, realisasi_keuangan="10000000")),  # exactly 50%: no reason asked
        plain(lambda r: at(r, 5, realisasi_keuangan="9998000", kendala="Cuaca buruk")),
    ),
    "angka_tidak_baku": (
        plain(lambda r: at(r, 3, realisasi_fisik="82,5")),  # a decimal comma is the contract's
        plain(
            lambda r: edit(
                r,
                {
                    2: {"realisasi_keuangan": "Rp 1.890.000,-"},
                    3: {"realisasi_fisik": "50%"},
                    4: {"realisasi_keuangan": "276.757.400"},
                },
            )
        ),
    ),
    "realisasi_keuangan_bulat": (
        plain(lambda r: at(r, 2, realisasi_keuangan="1.890.000,00")),
        plain(lambda r: at(r, 2, realisasi_keuangan="1.234,567,8")),
    ),
    "pagu_referensi": (semicolon_csv("50.000.000"), semicolon_csv("50.000.001")),
    "kolom_wajib": (plain(lambda r: r), renamed),
    "baris_jumlah": (plain(lambda r: r), with_sum_row),
}


@pytest.fixture(scope="module")
def catalogue(
    ref: Reference, plan: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> tuple[v.Validation, dict[str, tuple[str, str]]]:
    """All cases in one run: rule -> (passing unit, failing unit), and the validation."""
    folder = tmp_path_factory.mktemp("csv")
    frames, earlier, units = [], [], {}
    frames.append(with_header(clean(plan, "perwira-000")))  # the clean submission
    number = 1
    for rule, builders in CASES.items():
        names = []
        for build in builders:
            unit = f"perwira-{number:03d}"
            number += 1
            frame, stored = build(plan, unit, folder)
            frames.append(frame)
            earlier += stored
            names.append(unit)
        units[rule] = (names[0], names[1])
    assert number <= COPIES
    raw = pd.concat(frames, ignore_index=True).fillna("")
    figures = pd.DataFrame(earlier)
    return v.validate_quarter(raw, ref, PERIOD, earlier=figures), units


def of(result: v.Validation, rule: str, unit: str) -> list[tuple[object, object, str]]:
    p = result.problems
    p = p[(p["rule"] == rule) & (p["unit"] == unit)]
    return list(zip(p["row"], p["column"], p["severity"], strict=True))


def message(result: v.Validation, rule: str, unit: str) -> str:
    p = result.problems
    return str(p.loc[(p["rule"] == rule) & (p["unit"] == unit), "message"].iloc[0])


def check(
    catalogue: tuple[v.Validation, dict[str, tuple[str, str]]],
    rule: str,
    found: list[tuple[object, object, str]],
    status: str,
) -> str:
    """The failing unit reports exactly `found` for the rule, the passing one nothing."""
    result, units = catalogue
    good, bad = units[rule]
    assert of(result, rule, good) == [], result.problems[result.problems["unit"] == good]
    assert result.status[good] == "accepted", result.problems[result.problems["unit"] == good]
    assert of(result, rule, bad) == found, result.problems[result.problems["unit"] == bad]
    assert result.status[bad] == status
    return message(result, rule, bad)


def test_clean_copy_has_no_problem(catalogue) -> None:
    result, _ = catalogue
    assert result.problems[result.problems["unit"] == "perwira-000"].empty
    assert result.status["perwira-000"] == "accepted"


def test_fisik_turun(catalogue) -> None:
    text = check(catalogue, "fisik_turun", [(3, "realisasi_fisik", "error")], "rejected")
    assert text.startswith(
        "Realisasi fisik kumulatif 50% lebih rendah dari yang sudah diterima untuk TW I (60%)."
    )


def test_keluaran_melebihi_target(catalogue) -> None:
    text = check(
        catalogue, "keluaran_melebihi_target", [(3, "realisasi_keluaran", "warning")], "accepted"
    )
    assert "kumulatif s.d. TW II 2,5 " in text and "(TW ini 1,5 + sebelumnya 1)" in text
    assert "sudah 250% dari target tahunan 1 " in text


def test_sama_dengan_tw_lalu(catalogue) -> None:
    text = check(catalogue, "sama_dengan_tw_lalu", [(None, None, "warning")], "accepted")
    _, units = catalogue
    assert (
        f"di berkas {units['sama_dengan_tw_lalu'][1]}.xlsx sama persis dengan TW sebelumnya" in text
    )
    assert "(TW I)" in text


def test_keuangan_melebihi_target(catalogue) -> None:
    text = check(
        catalogue, "keuangan_melebihi_target", [(2, "realisasi_keuangan", "warning")], "accepted"
    )
    assert text.startswith(
        "Realisasi keuangan Rp 7.560.001 sudah 200% dari target keuangan TW II Rp 3.780.000"
    )


def test_fisik_tanpa_keuangan(catalogue) -> None:
    text = check(catalogue, "fisik_tanpa_keuangan", [(2, "realisasi_fisik", "warning")], "accepted")
    assert "Realisasi fisik 95% (90% atau lebih)" in text
    assert "Rp 1.890.000 baru 3,78% dari pagu Rp 50.000.000 (kurang dari 25%)" in text


def test_keuangan_tanpa_fisik(catalogue) -> None:
    text = check(catalogue, "keuangan_tanpa_fisik", [(3, "realisasi_fisik", "warning")], "accepted")
    assert "Rp 180.000.000 sudah 90% dari pagu Rp 200.000.000 (90% atau lebih)" in text
    assert "realisasi fisik baru 24,99% (kurang dari 25%)" in text


def test_capaian_rendah_tanpa_kendala(catalogue) -> None:
    text = check(catalogue, "capaian_rendah_tanpa_kendala", [(4, "kendala", "warning")], "accepted")
    assert text.startswith("Capaian keuangan TW II 0% (realisasi Rp 0 dari target Rp 553.514.800)")
    result, units = catalogue
    assert (
        of(result, "capaian_rendah_tanpa_tindak_lanjut", units["capaian_rendah_tanpa_kendala"][1])
        == []
    )


def test_capaian_rendah_tanpa_tindak_lanjut(catalogue) -> None:
    text = check(
        catalogue,
        "capaian_rendah_tanpa_tindak_lanjut",
        [(5, "tindak_lanjut", "warning")],
        "accepted",
    )
    assert "49,99%" in text and "kolom tindak lanjut kosong" in text


def test_angka_tidak_baku(catalogue) -> None:
    found = [(2, "realisasi_keuangan", "warning"), (3, "realisasi_fisik", "warning")]
    check(catalogue, "angka_tidak_baku", found, "accepted")
    result, units = catalogue
    bad = units["angka_tidak_baku"][1]
    p = result.problems[
        (result.problems["rule"] == "angka_tidak_baku") & (result.problems["unit"] == bad)
    ]
    money, fisik = p["message"]
    assert money.startswith("Realisasi Keuangan TW (Rp) di 2 baris (baris 2, 4) tidak ditulis")
    assert "misalnya 'Rp 1.890.000,-' dibaca sebagai 1890000." in money
    assert "tanpa titik pemisah ribuan dan tanpa 'Rp', misalnya 1234567." in money
    assert "'50%' dibaca sebagai 50" in fisik
    accepted = result.accepted[result.accepted["unit"] == bad]
    assert list(accepted["realisasi_keuangan"]) == [1_890_000, 100_000_000, 276_757_400, 10_000_000]
    assert list(accepted["realisasi_fisik"]) == [50.0] * 4


def test_realisasi_keuangan_bulat(catalogue) -> None:
    text = check(
        catalogue, "realisasi_keuangan_bulat", [(2, "realisasi_keuangan", "error")], "rejected"
    )
    assert text.startswith("Realisasi keuangan '1.234,567,8' tidak dapat dibaca")


def test_pagu_referensi(catalogue) -> None:
    """'50.000.000' in a semicolon CSV is 50000000: equal to the reference, accepted."""
    text = check(catalogue, "pagu_referensi", [(2, "pagu", "error")], "rejected")
    assert text.startswith("Pagu Rp 50.000.001 berbeda dengan data referensi Rp 50.000.000.")
    result, units = catalogue
    assert of(result, "angka_tidak_baku", units["pagu_referensi"][0]) == []


def test_kolom_wajib(catalogue) -> None:
    text = check(catalogue, "kolom_wajib", [(None, "realisasi_keuangan", "error")], "rejected")
    assert "Mungkin maksudnya kolom 'realisasi_keungan'? Ubah judul kolom itu menjadi " in text


def test_baris_jumlah(catalogue) -> None:
    """One warning instead of the errors a sum row used to give; the file is accepted."""
    check(catalogue, "baris_jumlah", [(6, None, "warning")], "accepted")
    result, units = catalogue
    bad = units["baris_jumlah"][1]
    assert list(result.problems.loc[result.problems["unit"] == bad, "rule"]) == ["baris_jumlah"]
    assert "Baris 6 ('JUMLAH')" in message(result, "baris_jumlah", bad)
    assert len(result.accepted[result.accepted["unit"] == bad]) == 4


def test_every_new_rule_is_in_the_suite_with_its_severity() -> None:
    suite = v.load_suite()
    meta = {c.rule.rule: c.rule for c in suite.checks}
    meta |= {e["meta"]["rule"]: v.Rule.from_meta(e["meta"]) for e in suite.expectations}
    expected = {
        "fisik_turun": ("error", "row"),
        "keluaran_melebihi_target": ("warning", "row"),
        "sama_dengan_tw_lalu": ("warning", "file"),
        "keuangan_melebihi_target": ("warning", "row"),
        "fisik_tanpa_keuangan": ("warning", "row"),
        "keuangan_tanpa_fisik": ("warning", "row"),
        "capaian_rendah_tanpa_kendala": ("warning", "row"),
        "capaian_rendah_tanpa_tindak_lanjut": ("warning", "row"),
        "angka_tidak_baku": ("warning", "file_rows"),
        "baris_jumlah": ("warning", "row"),
    }
    assert {r: (meta[r].severity, meta[r].level) for r in expected} == expected
    # each has its case above; so have the three older rules whose reading changed
    assert set(CASES) == set(expected) | {
        "realisasi_keuangan_bulat",
        "pagu_referensi",
        "kolom_wajib",
    }


# ------------------------------------------------------------------ earlier quarters from the store


def test_earlier_figures_from_the_store(tmp_path: Path) -> None:
    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")

    def rows(fisik: float, money: int, keluaran: float, codes: list[str]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "unit": "perwira",
                "kode_sub_kegiatan": codes,
                "realisasi_keuangan": money,
                "realisasi_fisik": fisik,
                "realisasi_keluaran": keluaran,
                "kendala": "",
                "tindak_lanjut": "",
                "_file": "p.xlsx",
                "_row": range(2, 2 + len(codes)),
                "sha256": "a" * 64,
            }
        )

    store.save_accepted(engine, 2024, 1, rows(40.0, 100, 1.0, [KODE[2], KODE[3]]), 1)
    store.save_accepted(engine, 2024, 2, rows(55.5, 7, 2.5, [KODE[2]]).assign(sha256="b" * 64), 1)
    figures = store.earlier_figures(engine, 2024, 3)
    got = figures.set_index("kode_sub_kegiatan")
    assert list(figures.columns) == [
        "unit",
        "kode_sub_kegiatan",
        "realisasi_keuangan",
        "realisasi_keluaran",
        "triwulan_sebelumnya",
        "fisik_sebelumnya",
        "keuangan_tw_lalu",
        "fisik_tw_lalu",
        "keluaran_tw_lalu",
    ]
    assert got.loc[KODE[2]].tolist()[1:] == [107, 3.5, 2, 55.5, 7, 55.5, 2.5]
    row3 = got.loc[KODE[3]]
    assert (row3["realisasi_keuangan"], row3["triwulan_sebelumnya"], row3["fisik_sebelumnya"]) == (
        100,
        1,
        40.0,
    )
    assert pd.isna(row3["keuangan_tw_lalu"]) and pd.isna(row3["fisik_tw_lalu"])
    assert store.earlier_figures(engine, 2024, 1).empty
    assert store.earlier_figures(engine, 2025, 2).empty
    # the money columns agree with earlier_totals, which older callers still use
    totals = store.earlier_totals(engine, 2024, 3).set_index("kode_sub_kegiatan")
    assert totals["realisasi_keuangan"].to_dict() == got["realisasi_keuangan"].to_dict()


def test_earlier_figures_feed_the_validator(tmp_path: Path) -> None:
    """TW I accepted and stored; TW II with fisik lower than TW I is rejected naming TW I."""
    ref = load_reference(2024)
    plan = plan_for_quarter(ref, 2)
    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    tw1 = pd.DataFrame(clean(plan, "perwira")).assign(
        realisasi_keuangan=[1_000, 2_000, 3_000, 4_000],
        realisasi_fisik=[30.0, 60.0, 10.0, 10.0],
        realisasi_keluaran=1.0,
        sha256="c" * 64,
    )
    store.save_accepted(engine, 2024, 1, tw1, 1)
    raw = pd.DataFrame(clean(plan, "perwira")).fillna("")
    result = v.validate_quarter(raw, ref, PERIOD, earlier=store.earlier_figures(engine, 2024, 2))
    assert of(result, "fisik_turun", "perwira") == [(3, "realisasi_fisik", "error")]
    assert "untuk TW I (60%)" in message(result, "fisik_turun", "perwira")
    assert result.status == {"perwira": "rejected"}
    # an older caller's frame (money only) turns the quarter-to-quarter rules off
    old = v.validate_quarter(raw, ref, PERIOD, earlier=store.earlier_totals(engine, 2024, 2))
    assert old.problems.empty and old.status == {"perwira": "accepted"}


# ------------------------------------------------------------------ pure parts (no GX)


def test_sum_rows_need_an_empty_code_a_sum_word_and_data_rows_beside_them() -> None:
    from triwulan.tasks.check.layout import sum_rows

    raw = pd.DataFrame(
        {
            "kode_sub_kegiatan": [KODE[2], "", "", "", KODE[3], ""],
            "nama_sub_kegiatan": ["a", "  Jumlah   Total: ", "catatan", "x", "TOTAL", "TOTAL"],
            "kendala": ["", "", "", "JUMLAH", "", ""],
            "_file": ["a.csv"] * 5 + ["b.csv"],
            "_row": [2, 3, 4, 5, 6, 2],
        }
    )
    found = sum_rows(raw)
    # row 6 has a code (a data row named TOTAL); b.csv has nothing but a sum row: kept as data
    assert found.tolist() == [None, "Jumlah   Total:", None, "JUMLAH", None, None]
    assert sum_rows(raw, ["catatan"]).tolist() == [None, None, "catatan", None, None, None]


def test_mistyped_headers_are_matched_to_the_column_they_meant() -> None:
    from triwulan.tasks.check.layout import suggest_columns

    titles = {
        "realisasi_keuangan": "Realisasi Keuangan TW (Rp)",
        "realisasi_fisik": "Realisasi Fisik Kumulatif (%)",
        "satuan": "Satuan",
        "pagu": "Pagu (Rp)",
    }
    header = ["pagu", "realisasi_keungan", "Realisasi Fisik Kumulatif (%)", "keterangan"]
    assert suggest_columns(["realisasi_keuangan", "realisasi_fisik", "satuan"], header, titles) == {
        "realisasi_keuangan": "realisasi_keungan",
        "realisasi_fisik": "Realisasi Fisik Kumulatif (%)",
    }
    assert suggest_columns(["satuan"], ["keterangan", "pagu"], titles) == {}


def test_an_older_callers_earlier_frame_still_works() -> None:
    from triwulan.tasks.check.earlier import COLUMNS, normalise

    old = pd.DataFrame(
        {"unit": ["p", "p"], "kode_sub_kegiatan": ["k", "k"], "realisasi_keuangan": [1, 2]}
    )
    figures = normalise(old)
    assert list(figures.columns) == COLUMNS and len(figures) == 1
    assert figures.loc[0, "realisasi_keuangan"] == 3 and pd.isna(figures.loc[0, "fisik_sebelumnya"])
    assert normalise(None).empty and list(normalise(None).columns) == COLUMNS
    with pytest.raises(ValueError, match="realisasi_keuangan"):
        normalise(pd.DataFrame({"unit": ["p"], "kode_sub_kegiatan": ["k"]}))


def test_thresholds_are_data_in_the_suite(
    tmp_path: Path, plan: pd.DataFrame, ref: Reference
) -> None:
    import json

    data = json.loads(v.SUITE_PATH.read_text(encoding="utf-8"))
    assert v.load_suite().ambang == {k: float(x) for k, x in data["ambang"].items()} == v.AMBANG
    rows = at(clean(plan, "perwira-000"), 5, realisasi_keuangan="6000000")  # capaian 30%
    raw = pd.DataFrame(rows)
    default = v.prepare_frame(raw, ref, PERIOD)
    lowered = v.prepare_frame(raw, ref, PERIOD, ambang={"capaian_rendah": 25})
    assert default.loc[3, "kendala_bila_capaian_rendah"] is False
    assert lowered.loc[3, "kendala_bila_capaian_rendah"] is None  # 30% is not below 25%
    data["ambang"] = {"capaian_rendah": "lima puluh"}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="ambang.capaian_rendah"):
        v.load_suite(path)
