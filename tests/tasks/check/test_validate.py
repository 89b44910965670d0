"""Validation of a quarter: pure preparation tests, then few GX runs shared by many assertions."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from triwulan.tasks.check import validate as v
from triwulan.tasks.collect.ingest import read_quarter
from triwulan.tasks.core import parse
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference, load_reference, plan_for_quarter

PERIOD = Period(2024, 2)


@pytest.fixture(scope="session")
def ref() -> Reference:
    return load_reference(2024)


@pytest.fixture(scope="session")
def plan(ref: Reference) -> pd.DataFrame:
    return plan_for_quarter(ref, PERIOD.triwulan)


def unit_rows(plan: pd.DataFrame, unit: str, file: str) -> list[dict[str, object]]:
    """A clean submission of one unit as read_quarter gives it: text cells, _file, _row."""
    rows = []
    for i, r in enumerate(plan[plan["unit"] == unit].itertuples()):
        rows.append(
            {
                "tahun": str(PERIOD.tahun),
                "triwulan": str(PERIOD.triwulan),
                "unit": unit,
                "kode_sub_kegiatan": r.kode_sub_kegiatan,
                "nama_sub_kegiatan": r.nama_sub_kegiatan,
                "pagu": str(r.pagu),
                "target_keuangan": str(r.target_keuangan),
                "indikator_keluaran": r.indikator_keluaran,
                "satuan": r.satuan,
                "target_keluaran": f"{r.target_keluaran:g}",
                "realisasi_keuangan": str(r.target_keuangan // 2),
                "realisasi_fisik": "50",
                "realisasi_keluaran": "1,5",
                "kendala": "",
                "tindak_lanjut": "",
                "_file": file,
                "_row": i + 2,
            }
        )
    return rows


def frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows).fillna("")


def renumber(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    for i, r in enumerate(rows):
        r["_row"] = i + 2
    return rows


# ------------------------------------------------------------------ one GX run, many faults

# kode of a sub-kegiatan that only the kecamatan runs
KEC_CODE = "7.01.01.2.01.0006"
# harapan-jaya row 4 (7.01.03.2.02.0003): pagu 3.066.189.260, TW II spending 451.717.500
HJ_CODE, HJ_PAGU, HJ_SPENT = "7.01.03.2.02.0003", 3_066_189_260, 451_717_500
# kecamatan 7.01.01.2.02.0001: pagu 14.921.107.000, TW II spending 2.055.104.066
KEC_BIG, KEC_PAGU, KEC_SPENT = "7.01.01.2.02.0001", 14_921_107_000, 2_055_104_066


def earlier_totals() -> pd.DataFrame:
    """Accepted TW I spending: over pagu with TW II for harapan-jaya row 4, exactly pagu for the
    kecamatan, and some for marga-mulya row 2 whose TW II alone is already above pagu."""
    return pd.DataFrame(
        {
            "unit": ["harapan-jaya", "kecamatan", "marga-mulya", "perwira", "harapan-jaya"],
            "kode_sub_kegiatan": [HJ_CODE, KEC_BIG, "7.01.02.2.03.0001", KEC_BIG, HJ_CODE],
            "realisasi_keuangan": [
                HJ_PAGU - HJ_SPENT - 99,  # two stored rows of one key add up
                KEC_PAGU - KEC_SPENT,
                10_000_000,
                KEC_PAGU,  # same code under another unit: must not count for the kecamatan
                100,
            ],
        }
    )


@pytest.fixture(scope="session")
def faulty(ref: Reference, plan: pd.DataFrame) -> v.Validation:
    """Seven units and an orphan file, most with crafted faults (row numbers noted per fault)."""
    perwira = unit_rows(plan, "perwira", "perwira.xlsx")
    perwira[0]["realisasi_fisik"] = "0"  # row 2: money spent, fisik 0 -> warning only

    hj = unit_rows(plan, "harapan-jaya", "harapan-jaya.xlsx")
    hj[0]["realisasi_keuangan"] = "abc"  # row 2
    hj[1]["realisasi_keuangan"] = "-5"  # row 3
    hj[2]["realisasi_fisik"] = "120"  # row 4
    hj[3]["realisasi_keluaran"] = "x"  # row 5
    hj[3]["realisasi_fisik"] = "82,5"  # row 5, fine

    mm = unit_rows(plan, "marga-mulya", "marga-mulya.xlsx")
    mm[0]["realisasi_keuangan"] = "450000000"  # row 2: pagu 50.000.000
    mm[1]["tahun"] = "2023"  # row 3
    mm[1]["target_keuangan"] = "1"  # row 3: reference 200.000.000
    mm[2]["triwulan"] = "3"  # row 4
    mm[3]["pagu"] = "50000000"  # row 5: reference 40.000.000
    stray = dict(unit_rows(plan, "perwira", "marga-mulya.xlsx")[3], realisasi_keuangan="0")
    mm.append(stray)  # row 6: a perwira row inside marga-mulya's file
    renumber(mm)

    hb = unit_rows(plan, "harapan-baru", "harapan-baru.xlsx")
    del hb[1]  # 7.01.03.2.02.0002 missing
    hb.append(dict(hb[2]))  # 7.01.03.2.03.0001 again: rows 4 and 5
    hb.append(dict(hb[0], kode_sub_kegiatan=KEC_CODE))  # row 6: a kecamatan code
    hb[0]["unit"] = ""  # row 2: empty unit cell, still harapan-baru's file
    hb[1]["realisasi_fisik"] = ""  # row 3: empty input
    renumber(hb)

    tp = unit_rows(plan, "teluk-pucung", "teluk-pucung-a.csv")
    tp_b = unit_rows(plan, "teluk-pucung", "teluk-pucung-b.csv")

    kt = unit_rows(plan, "kaliabang-tengah", "kaliabang-tengah.xlsx")
    for r in kt:
        r["realisasi_fisik"] = ""  # column emptied: reported once as a missing column
    kt[1]["unit"] = "kaliabang"  # row 3

    kec = unit_rows(plan, "kecamatan", "kecamatan.xlsx")  # clean

    orphan = unit_rows(plan, "perwira", "lain.csv")[:2]
    for r in orphan:
        r["unit"] = "xyz"

    raw = frame(perwira + hj + mm + hb + tp + tp_b + kt + kec + orphan)
    return v.validate_quarter(raw, ref, PERIOD, earlier=earlier_totals())


def problems_of(result: v.Validation, rule: str, **where: object) -> pd.DataFrame:
    p = result.problems[result.problems["rule"] == rule]
    for key, value in where.items():
        p = p[p[key].isna()] if value is None else p[p[key] == value]
    return p


def one(result: v.Validation, rule: str, **where: object) -> pd.Series:
    p = problems_of(result, rule, **where)
    assert len(p) == 1, result.problems[result.problems["rule"] == rule].to_string()
    return p.iloc[0]


@pytest.mark.parametrize(
    ("rule", "unit", "file", "row", "column", "text"),
    [
        (
            "realisasi_keuangan_bulat",
            "harapan-jaya",
            "harapan-jaya.xlsx",
            2,
            "realisasi_keuangan",
            "Realisasi keuangan 'abc' tidak dapat dibaca sebagai rupiah bilangan bulat.",
        ),
        (
            "realisasi_keuangan_negatif",
            "harapan-jaya",
            "harapan-jaya.xlsx",
            3,
            "realisasi_keuangan",
            "Realisasi keuangan Rp -5 tidak boleh negatif.",
        ),
        (
            "realisasi_fisik_rentang",
            "harapan-jaya",
            "harapan-jaya.xlsx",
            4,
            "realisasi_fisik",
            "Realisasi fisik 120% di luar rentang 0 sampai 100.",
        ),
        (
            "realisasi_keluaran_angka",
            "harapan-jaya",
            "harapan-jaya.xlsx",
            5,
            "realisasi_keluaran",
            "Realisasi keluaran 'x' tidak dapat dibaca sebagai angka.",
        ),
        (
            "realisasi_melebihi_pagu",
            "marga-mulya",
            "marga-mulya.xlsx",
            2,
            "realisasi_keuangan",
            "Realisasi keuangan Rp 450.000.000 melebihi pagu Rp 50.000.000.",
        ),
        (
            "tahun_periode",
            "marga-mulya",
            "marga-mulya.xlsx",
            3,
            "tahun",
            "Tahun 2023 tidak sesuai periode laporan (seharusnya 2024)",
        ),
        (
            "target_keuangan_referensi",
            "marga-mulya",
            "marga-mulya.xlsx",
            3,
            "target_keuangan",
            "Target keuangan Rp 1 berbeda dengan data referensi Rp 200.000.000.",
        ),
        (
            "triwulan_periode",
            "marga-mulya",
            "marga-mulya.xlsx",
            4,
            "triwulan",
            "Triwulan 3 tidak sesuai periode laporan (seharusnya 2)",
        ),
        (
            "pagu_referensi",
            "marga-mulya",
            "marga-mulya.xlsx",
            5,
            "pagu",
            "Pagu Rp 50.000.000 berbeda dengan data referensi Rp 40.000.000.",
        ),
        (
            "satu_unit_per_berkas",
            "marga-mulya",
            "marga-mulya.xlsx",
            6,
            "unit",
            "Baris ini milik unit Kelurahan Perwira, padahal berkas ini milik unit "
            "Kelurahan Marga Mulya.",
        ),
        (
            "unit_dikenal",
            "harapan-baru",
            "harapan-baru.xlsx",
            2,
            "unit",
            "Unit (kosong) tidak dikenal di 1 baris (baris 2).",
        ),
        (
            "isian_wajib",
            "harapan-baru",
            "harapan-baru.xlsx",
            3,
            "realisasi_fisik",
            "Realisasi Fisik Kumulatif (%) kosong.",
        ),
        (
            "kode_milik_unit",
            "harapan-baru",
            "harapan-baru.xlsx",
            6,
            "kode_sub_kegiatan",
            f"Kode sub kegiatan {KEC_CODE} bukan milik unit Kelurahan Harapan Baru.",
        ),
        (
            "unit_dikenal",
            "kaliabang-tengah",
            "kaliabang-tengah.xlsx",
            3,
            "unit",
            "Unit 'kaliabang' tidak dikenal di 1 baris (baris 3).",
        ),
        (
            "realisasi_kumulatif_melebihi_pagu",
            "harapan-jaya",
            "harapan-jaya.xlsx",
            4,
            "realisasi_keuangan",
            "Realisasi kumulatif s.d. TW II Rp 3.066.189.261 (TW ini Rp 451.717.500 + sebelumnya "
            "Rp 2.614.471.761) melebihi pagu Rp 3.066.189.260.",
        ),
        (
            "belanja_tanpa_fisik",
            "perwira",
            "perwira.xlsx",
            2,
            "realisasi_fisik",
            "Realisasi keuangan Rp 1.890.000 tercatat, tetapi realisasi fisik kumulatif 0%.",
        ),
    ],
)
def test_each_rule_names_row_column_and_value(
    faulty: v.Validation, rule: str, unit: str, file: str, row: int, column: str, text: str
) -> None:
    p = one(faulty, rule, unit=unit, row=row)
    assert (p["file"], p["column"]) == (file, column)
    assert isinstance(p["row"], int)
    assert text in p["message"]


def test_severity_and_unit_status(faulty: v.Validation) -> None:
    assert one(faulty, "belanja_tanpa_fisik", unit="perwira")["severity"] == "warning"
    assert set(faulty.problems.loc[faulty.problems["unit"] == "perwira", "severity"]) == {"warning"}
    assert faulty.status == {
        "kecamatan": "accepted",
        "perwira": "accepted",  # a perwira row inside another unit's file does not reject perwira
        "harapan-jaya": "rejected",
        "marga-mulya": "rejected",
        "harapan-baru": "rejected",
        "teluk-pucung": "rejected",
        "kaliabang-tengah": "rejected",
    }


def test_accepted_rows_are_typed_and_only_of_accepted_units(
    faulty: v.Validation, plan: pd.DataFrame
) -> None:
    acc = faulty.accepted
    assert list(acc.columns) == v.ACCEPTED_COLUMNS
    assert set(acc["unit"]) == {"kecamatan", "perwira"}
    assert len(acc) == len(plan[plan["unit"].isin(["kecamatan", "perwira"])])
    assert str(acc["realisasi_keuangan"].dtype) == "int64"
    assert str(acc["realisasi_fisik"].dtype) == "float64"
    assert acc["realisasi_keluaran"].eq(1.5).all()
    assert set(acc["_file"]) == {"kecamatan.xlsx", "perwira.xlsx"}


def test_missing_sub_kegiatan_row_reported_without_row(faulty: v.Validation) -> None:
    p = one(faulty, "sub_kegiatan_lengkap", unit="harapan-baru")
    assert p["row"] is None and p["file"] == "harapan-baru.xlsx"
    assert p["column"] == "kode_sub_kegiatan"
    assert p["message"].startswith("Sub kegiatan 7.01.03.2.02.0002 (")


def test_duplicate_sub_kegiatan_rows(faulty: v.Validation) -> None:
    dup = problems_of(faulty, "sub_kegiatan_ganda", unit="harapan-baru")
    assert sorted(dup["row"]) == [4, 5]
    assert "7.01.03.2.03.0001" in dup.iloc[0]["message"]
    assert "(baris 4, 5)" in dup.iloc[0]["message"]


def test_two_files_for_one_unit_reject_it_once_naming_both(faulty: v.Validation) -> None:
    p = one(faulty, "satu_berkas_per_unit", unit="teluk-pucung")
    assert p["file"] == "teluk-pucung-a.csv, teluk-pucung-b.csv"
    assert p["row"] is None and p["column"] is None
    assert "(teluk-pucung-a.csv, teluk-pucung-b.csv)" in p["message"]
    assert faulty.files["teluk-pucung"] == "teluk-pucung-a.csv, teluk-pucung-b.csv"
    # the same codes in two files are not duplicates within a file
    assert problems_of(faulty, "sub_kegiatan_ganda", unit="teluk-pucung").empty


def test_emptied_column_reported_once_per_file(faulty: v.Validation) -> None:
    p = one(faulty, "kolom_wajib", unit="kaliabang-tengah")
    assert (p["column"], p["row"], p["file"]) == ("realisasi_fisik", None, "kaliabang-tengah.xlsx")
    assert "Kolom Realisasi Fisik Kumulatif (%) (judul kolom 'realisasi_fisik')" in p["message"]
    assert problems_of(faulty, "isian_wajib", unit="kaliabang-tengah").empty


def test_file_without_known_unit_reported_once_under_none(faulty: v.Validation) -> None:
    p = one(faulty, "unit_dikenal", file="lain.csv")
    assert p["unit"] is None and p["row"] == 2
    assert p["message"].startswith("Unit 'xyz' tidak dikenal di 2 baris (baris 2–3).")
    assert set(faulty.problems.loc[faulty.problems["file"] == "lain.csv", "rule"]) == {
        "unit_dikenal"
    }
    assert None not in faulty.status and "xyz" not in faulty.status


def test_problems_frame_shape(faulty: v.Validation) -> None:
    p = faulty.problems
    assert list(p.columns) == v.PROBLEM_COLUMNS
    assert set(p["severity"]) == {"error", "warning"}
    assert all(r is None or isinstance(r, int) for r in p["row"])
    assert not p.duplicated(["unit", "file", "row", "column", "rule", "message"]).any()


def test_cumulative_spending_checked_against_pagu_once(faulty: v.Validation) -> None:
    over = problems_of(faulty, "realisasi_kumulatif_melebihi_pagu")
    assert list(zip(over["unit"], over["row"], strict=True)) == [("harapan-jaya", 4)]
    assert over.iloc[0]["severity"] == "error"
    # marga-mulya row 2 alone is above pagu: that problem only, not the cumulative one as well
    assert len(problems_of(faulty, "realisasi_melebihi_pagu", unit="marga-mulya", row=2)) == 1
    # the kecamatan spends exactly its pagu to date: accepted
    assert faulty.status["kecamatan"] == "accepted"


def test_cumulative_flag_in_working_frame(ref: Reference, plan: pd.DataFrame) -> None:
    rows = unit_rows(plan, "harapan-jaya", "hj.xlsx")
    rows[0]["realisasi_keuangan"] = "60000000"  # alone above pagu 50.000.000
    rows[3]["realisasi_keuangan"] = ""
    w = v.prepare_frame(frame(rows), ref, PERIOD, earlier=earlier_totals())
    assert list(w["realisasi_sebelumnya"]) == [0, 0, HJ_PAGU - HJ_SPENT + 1, 0]
    assert w.loc[2, "realisasi_kumulatif"] == HJ_PAGU + 1
    assert list(w["kumulatif_dalam_pagu"]) == [None, None, False, None]
    assert v.earlier_by_key(None) == {} and v.earlier_by_key(pd.DataFrame()) == {}
    with pytest.raises(ValueError, match="realisasi_keuangan"):
        v.earlier_by_key(pd.DataFrame({"unit": ["perwira"], "kode_sub_kegiatan": ["x"]}))


def test_repeated_problems_are_dropped(ref: Reference) -> None:
    rule = v.Rule("r", "error", "Pesan {file}.")
    run = v._Run(raw=pd.DataFrame(), work=pd.DataFrame(), ref=ref, period=PERIOD, plan=None)
    same = v._problem(rule, run, unit="perwira", file="a.xlsx", row=2, column="unit")
    other_row = v._problem(rule, run, unit="perwira", file="a.xlsx", row=3, column="unit")
    result = v._finish([same, dict(same), other_row], set(), v.load_suite(), ref)
    assert list(result["row"]) == [2, 3]


def test_row_problems_are_bounded_per_file_rule_and_column(ref: Reference) -> None:
    """The first `limit` rows of a rule stay; one line after them counts the rest."""
    rule = v.Rule("r", "error", "Baris {row} salah.")
    run = v._Run(raw=pd.DataFrame(), work=pd.DataFrame(), ref=ref, period=PERIOD, plan=None)

    def at(row: int, column: str = "unit", file: str = "a.xlsx") -> dict[str, object]:
        return v._problem(rule, run, unit="perwira", file=file, row=row, column=column)

    found = [at(r) for r in range(9, 1, -1)] + [at(5, "pagu"), at(3, file="b.xlsx")]
    found[0]["_more"] = [20, 21, 22]  # rows problems_from_results counted without a message
    result = v._finish(found, set(), v.load_suite(), ref, limit=3).to_dict("records")
    assert [(p["file"], p["row"], p["column"]) for p in result] == [
        ("a.xlsx", 2, "unit"),
        ("a.xlsx", 3, "unit"),
        ("a.xlsx", 4, "unit"),
        ("a.xlsx", None, "unit"),
        ("a.xlsx", 5, "pagu"),
        ("b.xlsx", 3, "unit"),
    ]
    assert result[3]["message"] == (
        "… dan 8 baris lain dengan masalah yang sama (baris 5–9, 20–22)."
    )
    assert (result[3]["rule"], result[3]["severity"]) == ("r", "error")


def test_bounded_listings() -> None:
    assert v.row_list([4, 5], 3) == "4, 5"
    assert v.row_list(range(2, 5002), 3) == "2, 3, 4 dan 4.997 baris lain"
    assert v.listed(["'a'", "'b'", "'c'"], 2) == "'a', 'b' dan 1 lainnya"


def test_duplicate_code_rows_listed_up_to_the_limit(ref: Reference, plan: pd.DataFrame) -> None:
    """Every row of a group used to list every other row: output grew with rows squared."""
    rows = unit_rows(plan, "perwira", "p.xlsx")
    rows = renumber([dict(rows[0]) for _ in range(30)] + rows[1:])
    w = v.prepare_frame(frame(rows), ref, PERIOD, limit=3)
    assert set(w.loc[:29, "baris_kode_sama"]) == {"2, 3, 4 dan 27 baris lain"}
    assert w.loc[30:, "baris_kode_sama"].isna().all()


# ------------------------------------------------------------------ other GX runs


def test_clean_quarter_passes(ref: Reference, plan: pd.DataFrame) -> None:
    rows = [r for u in ref.units["unit"] for r in unit_rows(plan, u, f"{u}.xlsx")]
    result = v.validate_quarter(frame(rows), ref, PERIOD)
    assert result.problems.empty, result.problems.to_string()
    assert result.status == {u: "accepted" for u in ref.units["unit"]}
    assert result.files["harapan-jaya"] == "harapan-jaya.xlsx"
    assert len(result.accepted) == len(plan)
    assert result.accepted["realisasi_keuangan"].sum() == (plan["target_keuangan"] // 2).sum()


def test_one_gx_context_and_one_run_per_call(
    ref: Reference, plan: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    import great_expectations as gx
    from great_expectations.datasource.fluent.interfaces import Batch

    calls = {"context": 0, "validate": 0}
    real_context, real_validate = gx.get_context, Batch.validate

    def counting_context(*args: object, **kwargs: object) -> object:
        calls["context"] += 1
        return real_context(*args, **kwargs)

    def counting_validate(self: Batch, *args: object, **kwargs: object) -> object:
        calls["validate"] += 1
        return real_validate(self, *args, **kwargs)

    monkeypatch.setattr(gx, "get_context", counting_context)
    monkeypatch.setattr(Batch, "validate", counting_validate)
    rows = unit_rows(plan, "perwira", "a.xlsx") + unit_rows(plan, "marga-mulya", "b.xlsx")
    rows[0]["realisasi_keuangan"] = "1.000.000,5"  # no whole rupiah
    result = v.validate_quarter(frame(rows), ref, PERIOD)
    assert calls == {"context": 1, "validate": 1}
    assert result.status == {"perwira": "rejected", "marga-mulya": "accepted"}
    assert "'1.000.000,5'" in one(result, "realisasi_keuangan_bulat")["message"]


# ------------------------------------------------------------------ pure parts (no GX)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1000000", 1000000), ("0", 0), ("-5", -5), (" 7 ", 7), ("1.000.000", None),
     ("1000000.5", None), ("1000000.0", None), ("abc", None), ("Rp 5", None), ("", None),
     ("9" * 30, None), ("\u0663", None)],
)  # fmt: skip
def test_parse_int_is_strict(text: str, expected: int | None) -> None:
    assert parse.parse_int(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("75", 75.0), ("82,5", 82.5), ("82.5", 82.5), ("-1", -1.0), ("1,2,3", None),
     ("1.000,5", None), ("75%", None), ("", None), ("x", None), ("9" * 400, None)],
)  # fmt: skip
def test_parse_number_comma_or_dot(text: str, expected: float | None) -> None:
    assert parse.parse_number(text) == expected


def test_one_parser_for_numbers() -> None:
    """validation reads with tasks.core.parse; the reference loader uses the same strict one."""
    from triwulan.tasks.check import suite
    from triwulan.tasks.collect import template
    from triwulan.tasks.core import reference, reference_checks

    assert suite.read_rupiah is parse.read_rupiah and suite.read_decimal is parse.read_decimal
    assert reference_checks.parse_int is parse.parse_int  # the reference checks read with it
    assert not hasattr(reference, "_parse_int") and not hasattr(template, "_INT_RE")
    assert template._as_number("82,5") == 82.5 and template._as_number("1500000") == 1500000
    assert template._as_number("1.000.000") is None


def test_show_formats_values() -> None:
    assert v.show(45000000, "rupiah") == "Rp 45.000.000"
    assert v.show("abc", "rupiah") == "'abc'"
    assert v.show("", "teks") == "(kosong)" and v.show(None) == "(kosong)"
    assert v.show(82.5, "angka") == "82,5" and v.show(120.0, "angka") == "120"
    assert v.show("7.01.03", "polos") == "7.01.03"


def test_prepare_frame_flags_reference_and_file_facts(ref: Reference, plan: pd.DataFrame) -> None:
    rows = unit_rows(plan, "perwira", "p.xlsx") + unit_rows(plan, "perwira", "q.xlsx")[:1]
    rows[0].update(realisasi_keuangan="abc", realisasi_fisik="", unit="PERWIRA ")
    rows[1].update(unit="zzz", kode_sub_kegiatan=KEC_CODE, pagu="1.000,5")
    w = v.prepare_frame(frame(rows), ref, PERIOD)
    assert list(w["_idx"]) == list(range(len(rows)))
    assert w.loc[0, "unit_baris"] == "perwira" and bool(w.loc[0, "unit_dikenal"])
    assert w.loc[1, "unit_baris"] is None and w.loc[1, "unit"] == "perwira"
    assert w.loc[0, "realisasi_keuangan_ok"] is False and pd.isna(w.loc[0, "realisasi_keuangan"])
    assert w.loc[0, "realisasi_fisik_ok"] is None and w.loc[0, "realisasi_fisik_teks"] is None
    assert (
        w.loc[2, "realisasi_keuangan"]
        == plan.loc[plan["unit"] == "perwira"].iloc[2]["target_keuangan"] // 2
    )
    assert w.loc[1, "kode_milik_unit"] is False and pd.isna(w.loc[1, "pagu_ref"])
    assert w.loc[1, "pagu"] == "1.000,5" and w.loc[0, "pagu"] == 50000000
    assert w.loc[0, "pagu_ref"] == 50000000 and w.loc[0, "tahun"] == 2024
    assert set(w["jumlah_berkas_unit"]) == {2}
    assert w.loc[0, "daftar_berkas_unit"] == "p.xlsx, q.xlsx"
    assert set(w["jumlah_unit_berkas"]) == {1}


def test_file_owner_is_majority_unit(ref: Reference, plan: pd.DataFrame) -> None:
    rows = unit_rows(plan, "perwira", "p.xlsx")
    rows[0]["unit"] = "harapan-jaya"
    orphan = unit_rows(plan, "perwira", "x.csv")[:1]
    orphan[0]["unit"] = "?"
    w = v.prepare_frame(frame(rows + orphan), ref, PERIOD)
    assert set(w.loc[w["_file"] == "p.xlsx", "unit"]) == {"perwira"}
    assert w.loc[w["_file"] == "x.csv", "unit"].tolist() == [None]
    assert w.loc[0, "jumlah_unit_berkas"] == 2
    assert w.loc[0, "daftar_unit_berkas"] == "harapan-jaya, perwira"


def test_missing_columns_absent_or_emptied(plan: pd.DataFrame, ref: Reference) -> None:
    raw = frame(unit_rows(plan, "perwira", "p.xlsx") + unit_rows(plan, "marga-mulya", "m.xlsx"))
    raw = raw.drop(columns=["satuan", "kendala"])
    raw.loc[raw["_file"] == "m.xlsx", "pagu"] = ""
    lacking = v.missing_columns(raw, ref.kolom["kolom"], ["kendala", "tindak_lanjut"])
    assert lacking == {"p.xlsx": ["satuan"], "m.xlsx": ["pagu", "satuan"]}


def test_missing_column_judged_by_each_files_own_header(
    tmp_path: Path, plan: pd.DataFrame, ref: Reference
) -> None:
    """A column absent from one file is missing there even when another file fills it."""
    full = pd.DataFrame(unit_rows(plan, "perwira", "p.csv")).drop(columns=["_file", "_row"])
    full.to_csv(tmp_path / "p.csv", index=False)
    full.drop(columns=["satuan", "kendala", "tindak_lanjut"]).to_csv(
        tmp_path / "m.csv", index=False
    )
    raw, problems = read_quarter([tmp_path / "m.csv", tmp_path / "p.csv"])
    assert problems == [] and (raw.loc[raw["_file"] == "m.csv", "satuan"] == "").all()
    lacking = v.missing_columns(raw, ref.kolom["kolom"], ["kendala", "tindak_lanjut"])
    assert lacking == {"m.csv": ["satuan"]}  # kendala/tindak_lanjut may be absent
    # without the per-file header the same frame could not tell absent from filled elsewhere
    headers = v.file_headers(raw)
    assert "satuan" in headers["p.csv"] and "satuan" not in headers["m.csv"]


def test_results_mapped_by_meta_not_order(ref: Reference, plan: pd.DataFrame) -> None:
    work = v.prepare_frame(frame(unit_rows(plan, "perwira", "p.xlsx")), ref, PERIOD)
    run = v._Run(raw=work, work=work, ref=ref, period=PERIOD, plan=plan)
    suite = v.load_suite()
    by_rule = {e["meta"]["rule"]: e for e in suite.expectations}

    def fake(rule: str, idx: int) -> SimpleNamespace:
        entry = by_rule[rule]
        return SimpleNamespace(
            expectation_config=SimpleNamespace(type=entry["type"], meta=entry["meta"]),
            success=False,
            exception_info={"raised_exception": False},
            result={"unexpected_index_list": [{"_idx": idx, "_row": idx + 2}]},
        )

    results = [fake("pagu_referensi", 1), fake("tahun_periode", 0), fake("unit_dikenal", 3)]
    forward = v.problems_from_results(results, run)
    backward = v.problems_from_results(list(reversed(results)), run)
    key = [(p["rule"], p["row"], p["column"]) for p in forward]
    assert sorted(key) == sorted((p["rule"], p["row"], p["column"]) for p in backward)
    assert sorted(key) == [("pagu_referensi", 3, "pagu"), ("tahun_periode", 2, "tahun"),
                           ("unit_dikenal", 5, "unit")]  # fmt: skip


def test_suite_file_refers_to_existing_columns(ref: Reference, plan: pd.DataFrame) -> None:
    suite = v.load_suite()
    work = v.prepare_frame(frame(unit_rows(plan, "perwira", "p.xlsx")), ref, PERIOD)
    rules = {c.rule.rule for c in suite.checks} | {e["meta"]["rule"] for e in suite.expectations}
    assert {
        "kolom_wajib",
        "sub_kegiatan_lengkap",
        "realisasi_melebihi_pagu",
        "realisasi_kumulatif_melebihi_pagu",
    } <= rules
    for entry in suite.expectations:
        kw, meta = entry["kwargs"], entry["meta"]
        named = [
            kw.get("column"),
            kw.get("column_A"),
            kw.get("column_B"),
            *kw.get("column_list", []),
        ]
        named += [(meta.get(k) or "").split("|")[0] for k in ("value", "expected")]
        named += [spec.split("|")[0] for spec in (meta.get("fields") or {}).values()]
        assert {c for c in named if c} <= set(work.columns), meta["rule"]
        assert meta.get("column") is None or meta["column"] in set(ref.kolom["kolom"])


def test_broken_suite_entry_fails_loudly(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(
        '{"expectations": [{"type": "expect_column_values_to_not_be_null",'
        ' "kwargs": {"column": "x"},'
        ' "meta": {"rule": "r", "severity": "fatal", "message": "{nilai}"}}]}',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="severity 'fatal'.*placeholder tidak dikenal: nilai"):
        v.load_suite(path)


def test_empty_quarter_needs_no_gx(ref: Reference) -> None:
    result = v.validate_quarter(pd.DataFrame(columns=["_file", "_row"]), ref, PERIOD)
    assert result.problems.empty and result.accepted.empty and result.status == {}
