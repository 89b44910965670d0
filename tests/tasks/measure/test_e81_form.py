"""Form E.81 as printed: sasaran rows, numbering, Renstra columns, closing rows, header, signatories.

A hand-made year of four programs: two sasaran name three of them in an order that is not the
nomenclature's, the fourth program is named by none. Every expected figure is written out here
(sums of the realisation below, percentages worked in exact decimals), never taken from the code.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
import pytest

from triwulan.tasks.core.reference import QUARTERS, Reference, load_reference
from triwulan.tasks.measure.e81 import COLUMNS, e81_rows
from triwulan.tasks.measure.e81_form import (
    FORM_COLUMNS,
    UNMAPPED,
    e81_closing,
    e81_form_rows,
    e81_header,
    pengesahan,
)

TAHUN = 2030  # the hand-made year
P1, P2, P3, P4 = "7.01.01", "7.01.02", "7.01.03", "7.01.04"
SUB_A, SUB_B = "7.01.01.2.01.0001", "7.01.02.2.01.0001"
SUB_C, SUB_E = "7.01.03.2.02.0001", "7.01.03.2.03.0002"  # SUB_C under both units
SUB_F = "7.01.04.2.01.0001"
LAYANAN, TERTIB = "Meningkatnya Layanan", "Terwujudnya Ketertiban"


def half_up(value: str) -> float:
    """A decimal written as text, rounded half-up to 2 places (no float on the way)."""
    return float(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def ratio(numerator: str, denominator: str) -> float:
    """numerator / denominator x 100, half-up to 2 places, in exact decimals."""
    return half_up(str(Decimal(numerator) * 100 / Decimal(denominator)))


def _renstra(rows: list[tuple[str, int, float | None, int | None, int | None]]) -> pd.DataFrame:
    """renstra.csv as loaded: (kode, tahun_awal, target_akhir_k, target_akhir_rp, lalu_rp)."""
    return pd.DataFrame(
        {
            "kode": pd.Series([r[0] for r in rows], dtype=str),
            "tahun_awal": pd.Series([r[1] for r in rows], dtype="int64"),
            "tahun_akhir": pd.Series([r[1] + 4 for r in rows], dtype="int64"),
            "target_akhir_k": pd.Series([r[2] for r in rows], dtype=float),
            "target_akhir_rp": pd.array([r[3] for r in rows], dtype="Int64"),
            "realisasi_lalu_k": pd.Series([None] * len(rows), dtype=float),
            "realisasi_lalu_rp": pd.array([r[4] for r in rows], dtype="Int64"),
        }
    )


def form_reference(*, tahun_awal: int = TAHUN, lalu_p1: int | None = None) -> Reference:
    """2 units, 4 programs; sasaran TERTIB (P4) then LAYANAN (P1, P3); P2 under no sasaran."""
    sub = pd.DataFrame(
        [
            ("kecamatan", SUB_A, "Sub A", 10.0, P1, "7.01.01.2.01"),
            ("kecamatan", SUB_B, "Sub B", 4.0, P2, "7.01.02.2.01"),
            ("kecamatan", SUB_C, "Sub C", 8.0, P3, "7.01.03.2.02"),
            ("kel-a", SUB_C, "Sub C", 8.0, P3, "7.01.03.2.02"),
            ("kel-a", SUB_E, "Sub E", 12.0, P3, "7.01.03.2.03"),
            ("kecamatan", SUB_F, "Sub F", 5.0, P4, "7.01.04.2.01"),
        ],
        columns=["unit", "kode_sub_kegiatan", "nama_sub_kegiatan", "target_keluaran"]
        + ["kode_program", "kode_kegiatan"],
    ).assign(sumber_dana="PAD", indikator_keluaran="Jumlah Dokumen", satuan="Dokumen")
    programs = pd.DataFrame(
        {"kode_program": [P1, P2, P3, P4], "nama_program": ["Prog 1", "Prog 2", "Prog 3", "Prog 4"]}
    )
    kegiatan = pd.DataFrame(
        {
            "kode_kegiatan": ["7.01.01.2.01", "7.01.02.2.01", "7.01.03.2.02", "7.01.03.2.03"]
            + ["7.01.04.2.01"],
            "nama_kegiatan": ["Keg 1", "Keg 2", "Keg 3a", "Keg 3b", "Keg 4"],
        }
    )
    sub = sub.merge(programs, on="kode_program").merge(kegiatan, on="kode_kegiatan")
    pagu = [1_000_000, 2_000_000, 3_000_000, 400_000, 600_000, 500_000]
    anggaran = pd.DataFrame(
        {
            "unit": sub["unit"],
            "kode_sub_kegiatan": sub["kode_sub_kegiatan"],
            "versi": "murni",
            "berlaku_mulai_tw": 1,
            "pagu": pagu,
            **{f"tw{q}": [p // 4 for p in pagu] for q in QUARTERS},
        }
    )
    sasaran = pd.DataFrame(
        [
            ("1", TERTIB, "RKPD Tertib", "wilayah_tertib", P4),
            ("2", LAYANAN, "RKPD Layanan", "ikm", P1),
            ("2", LAYANAN, "RKPD Layanan", "ikm", P3),
        ],
        columns=["no", "sasaran", "sasaran_rkpd", "iku", "kode_program"],
    )
    renstra = _renstra(
        [
            ("ikm", tahun_awal, 90.0, None, None),
            ("wilayah_tertib", tahun_awal, 100.0, None, None),
            (P1, tahun_awal, None, 8_000_000, lalu_p1),
            ("7.01.03.2.02", tahun_awal, None, 8_000_000, None),
            # a sub-kegiatan code the loader refuses, smuggled in: still no Renstra values
            (SUB_C, tahun_awal, None, 99, 7),
        ]
    )
    iku_tahunan = pd.DataFrame(
        {
            "kode": ["ikm", "ikm", "ikm", "wilayah_tertib"],
            "tahun": pd.Series([2029, 2028, TAHUN, 2027], dtype="int64"),
            "target": [81.0, 80.0, 83.0, 45.0],
            "realisasi": [81.9, 81.0, 99.0, 40.0],
        }
    )
    return replace(
        load_reference(2024),
        tahun=TAHUN,
        units=pd.DataFrame(
            {
                "unit": ["kecamatan", "kel-a"],
                "nama": ["Kecamatan Uji", "Kelurahan A"],
                "jenis": ["kecamatan", "kelurahan"],
                "email": ["k@example.go.id", "a@example.go.id"],
            }
        ),
        programs=programs,
        kegiatan=kegiatan,
        sub_kegiatan=sub,
        anggaran=anggaran,
        sasaran=sasaran,
        renstra=renstra,
        iku_tahunan=iku_tahunan,
    )


def form_realisasi() -> pd.DataFrame:
    """TW I and TW II of the hand-made year (TW III stored too, to be ignored at TW II)."""
    rows = [
        (1, "kecamatan", SUB_A, 100_000, 10.0, 1, "", ""),
        (2, "kecamatan", SUB_A, 150_000, 25.0, 2, " Cuaca buruk ", "Jadwal diatur ulang"),
        (1, "kecamatan", SUB_B, 500_000, 25.0, 1, "", ""),
        (1, "kecamatan", SUB_C, 300_000, 10.0, 2, "", ""),
        (2, "kecamatan", SUB_C, 450_000, 25.0, 2, "SPJ terlambat", "Verifikasi dipercepat"),
        (1, "kel-a", SUB_C, 40_000, 10.0, 2, "", ""),
        (2, "kel-a", SUB_E, 60_000, 10.0, 3, "SPJ terlambat", "Verifikasi dipercepat"),
        (2, "kecamatan", SUB_F, 125_000, 25.0, 1, "", ""),
        (3, "kecamatan", SUB_F, 7, 50.0, 1, "", ""),
    ]
    columns = ["triwulan", "unit", "kode_sub_kegiatan", "realisasi_keuangan", "realisasi_fisik"]
    columns += ["realisasi_keluaran", "kendala", "tindak_lanjut"]
    return pd.DataFrame(rows, columns=columns).assign(tahun=TAHUN)


def iku_dict(kode: str, **values: Any) -> dict[str, Any]:
    """One IKU as iku.iku_rows gives it, with only the keys the form reads."""
    base = {
        "kode": kode,
        "nama": f"Indikator {kode}",
        "satuan": "Nilai",
        "arah": "naik",
        "target_tahunan": None,
        "realisasi_tw": None,
        "realisasi_sd_tw": None,
        "capaian_sd_tw_persen": None,
        "keterangan": "",
    }
    return base | values


def iku_quarters(arah: str = "naik") -> dict[int, list[dict[str, Any]]]:
    """TW I and II of IKM and wilayah tertib; a TW III entry the form at TW II must not read."""
    ikm = {"target_tahunan": 82.5, "arah": arah, "nama": "Indeks Kepuasan Masyarakat"}
    tertib = {"target_tahunan": 57.0, "satuan": "Persen", "nama": "Wilayah Tertib"}
    return {
        1: [
            iku_dict("ikm", realisasi_tw=80.5, realisasi_sd_tw=80.5, **ikm),
            iku_dict("wilayah_tertib", realisasi_tw=10.0, realisasi_sd_tw=10.0, **tertib),
        ],
        2: [
            iku_dict(
                "ikm",
                realisasi_tw=84.0,
                realisasi_sd_tw=82.3,
                capaian_sd_tw_persen=99.76,
                keterangan="IKM dari 120 responden",
                **ikm,
            ),
            iku_dict(
                "wilayah_tertib",
                realisasi_tw=13.33,
                realisasi_sd_tw=23.33,
                capaian_sd_tw_persen=77.77,  # the IKU section: 23,33 of the 30 to date
                **tertib,
            ),
        ],
        3: [iku_dict("ikm", realisasi_tw=1.0, **ikm)],
    }


def build_form(ref: Reference, arah: str = "naik") -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = e81_rows(ref, form_realisasi(), 2)
    return rows, e81_form_rows(ref, rows, iku_quarters(arah), 2)


@pytest.fixture(scope="module")
def first_year() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(e81_rows, form) at TW II in the Renstra's first year."""
    return build_form(form_reference())


def _row(form: pd.DataFrame, tingkat: str, kode: str = "", unit: str = "") -> pd.Series:
    if tingkat == "sasaran":
        match = form[(form["tingkat"] == "sasaran") & (form["uraian"] == kode)]
    else:
        match = form[(form["tingkat"] == tingkat) & (form["kode"] == kode) & (form["unit"] == unit)]
    assert len(match) == 1, (tingkat, kode, unit)
    return match.iloc[0]


def _key(form: pd.DataFrame) -> list[tuple[str, str, str]]:
    return list(zip(form["tingkat"], form["kode"], form["unit"], strict=True))


# ------------------------------------------------------------------------------ rows, order


def test_sasaran_lead_their_programs_in_sasaran_csv_order(first_year: tuple) -> None:
    """TERTIB is listed first in sasaran.csv although its program P4 comes last in the code."""
    _, form = first_year
    columns = [form[c] for c in ("sasaran", "tingkat", "kode", "unit")]
    got = list(zip(*columns, strict=True))
    assert got == [
        (TERTIB, "sasaran", "", ""),
        (TERTIB, "program", P4, ""),
        (TERTIB, "kegiatan", "7.01.04.2.01", ""),
        (TERTIB, "sub_kegiatan", SUB_F, "kecamatan"),
        (LAYANAN, "sasaran", "", ""),
        (LAYANAN, "program", P1, ""),
        (LAYANAN, "kegiatan", "7.01.01.2.01", ""),
        (LAYANAN, "sub_kegiatan", SUB_A, "kecamatan"),
        (LAYANAN, "program", P3, ""),
        (LAYANAN, "kegiatan", "7.01.03.2.02", ""),
        (LAYANAN, "sub_kegiatan", SUB_C, "kecamatan"),
        (LAYANAN, "sub_kegiatan", SUB_C, "kel-a"),
        (LAYANAN, "kegiatan", "7.01.03.2.03", ""),
        (LAYANAN, "sub_kegiatan", SUB_E, "kel-a"),
        ("", "sasaran", "", ""),  # a heading for the programs no sasaran names
        ("", "program", P2, ""),
        ("", "kegiatan", "7.01.02.2.01", ""),
        ("", "sub_kegiatan", SUB_B, "kecamatan"),
        ("", "jumlah", "", ""),
    ]
    assert list(form.columns) == FORM_COLUMNS
    assert list(form.loc[form["tingkat"] == "sasaran", "uraian"]) == [TERTIB, LAYANAN, UNMAPPED]
    unmapped = form[(form["tingkat"] == "sasaran") & (form["sasaran"] == "")].iloc[0]
    assert unmapped["target_rp"] == _row(form, "program", P2)["target_rp"]  # P2's own pagu
    assert unmapped["indikator"] == "" and pd.isna(unmapped["target_k"])


def test_every_e81_row_appears_once_with_its_values(first_year: tuple) -> None:
    """The form only adds sasaran rows: the Renja core is neither lost, doubled nor changed."""
    rows, form = first_year
    body = form[form["tingkat"] != "sasaran"]
    assert sorted(_key(body)) == sorted(_key(rows))
    assert len(set(_key(body))) == len(body) == 17 - 2 + 1
    same = ["target_rp", "rp_tw1", "rp_tw2", "rp_sd", "k_sd", "capaian_rp_persen", "predikat_rp"]
    merged = body.merge(rows, on=["tingkat", "kode", "unit"], suffixes=("", "_core"))
    for col in same:
        pd.testing.assert_series_equal(
            merged[col], merged[f"{col}_core"], check_names=False, check_dtype=False
        )


def test_rows_are_numbered_except_jumlah(first_year: tuple) -> None:
    _, form = first_year
    assert list(form["no"]) == [str(i) for i in range(1, 19)] + [""]
    assert form["tingkat"].iloc[-1] == "jumlah"


def test_sasaran_rupiah_is_the_exact_sum_of_its_programs(first_year: tuple) -> None:
    """LAYANAN = P1 + P3 (both units of SUB_C and SUB_E); TERTIB = P4 alone, silent in TW I."""
    _, form = first_year
    layanan = _row(form, "sasaran", LAYANAN)
    assert layanan["target_rp"] == 1_000_000 + 3_000_000 + 400_000 + 600_000 == 5_000_000
    assert layanan["rp_tw1"] == 100_000 + 300_000 + 40_000 == 440_000
    assert layanan["rp_tw2"] == 150_000 + 450_000 + 60_000 == 660_000
    assert pd.isna(layanan["rp_tw3"]) and pd.isna(layanan["rp_tw4"])  # TW III stored, ignored
    assert layanan["rp_sd"] == 1_100_000
    assert layanan["capaian_rp_persen"] == ratio("1100000", "5000000") == 22.0
    assert layanan["predikat_rp"] == "Sangat Rendah"
    tertib = _row(form, "sasaran", TERTIB)
    assert (tertib["target_rp"], tertib["rp_tw2"], tertib["rp_sd"]) == (500_000, 125_000, 125_000)
    assert pd.isna(tertib["rp_tw1"])  # P4 did not report TW I: blank, not 0
    assert tertib["capaian_rp_persen"] == 25.0
    for col in ("target_rp", "rp_tw1", "rp_tw2", "rp_sd"):
        assert form[col].dtype == "Int64", col


def test_sasaran_k_columns_come_from_its_iku(first_year: tuple) -> None:
    """k_tw{q} = realisasi_tw of quarter q; k_sd and capaian of TW n; later quarters blank."""
    _, form = first_year
    layanan = _row(form, "sasaran", LAYANAN)
    assert (layanan["k_tw1"], layanan["k_tw2"], layanan["k_sd"]) == (80.5, 84.0, 82.3)
    assert pd.isna(layanan["k_tw3"]) and pd.isna(layanan["k_tw4"])  # TW III entry not read
    assert (layanan["target_k"], layanan["capaian_k_persen"]) == (82.5, 99.76)
    assert layanan["predikat_k"] == "Sangat Tinggi"
    assert (layanan["indikator"], layanan["satuan"]) == ("Indeks Kepuasan Masyarakat", "Nilai")
    assert layanan["keterangan"] == "IKM dari 120 responden"
    assert (layanan["kode"], layanan["unit"]) == ("", "")
    tertib = _row(form, "sasaran", TERTIB)
    assert (tertib["k_tw1"], tertib["k_tw2"], tertib["k_sd"]) == (10.0, 13.33, 23.33)
    assert (tertib["capaian_k_persen"], tertib["predikat_k"]) == (40.93, "Sangat Rendah")
    assert tertib["satuan"] == "Persen"
    # keterangan belongs to the sasaran rows only
    assert set(form.loc[form["tingkat"] != "sasaran", "keterangan"]) == {""}


# ------------------------------------------------------------------------------ Renstra


def test_renstra_iku_columns_of_a_sasaran(first_year: tuple) -> None:
    """Lalu = the latest iku_tahunan realisasi before the year (2029's, not 2030's nor 2028's)."""
    _, form = first_year
    layanan = _row(form, "sasaran", LAYANAN)
    assert layanan["renstra_target_k"] == 90.0
    assert layanan["renstra_lalu_k"] == 81.9
    assert layanan["renstra_sd_k"] == 82.3
    assert layanan["renstra_capaian_k_persen"] == ratio("82.3", "90") == 91.44
    tertib = _row(form, "sasaran", TERTIB)
    assert (tertib["renstra_target_k"], tertib["renstra_lalu_k"]) == (100.0, 40.0)
    assert tertib["renstra_capaian_k_persen"] == 23.33
    others = form[form["tingkat"] != "sasaran"]
    for col in ("renstra_sd_k", "renstra_capaian_k_persen"):
        assert others[col].isna().all(), col


def test_renstra_capaian_k_of_a_falling_indicator_is_target_over_realisation() -> None:
    _, form = build_form(form_reference(), arah="turun")
    layanan = _row(form, "sasaran", LAYANAN)
    assert layanan["renstra_capaian_k_persen"] == ratio("90", "82.3") == 109.36


def test_first_renstra_year_counts_nothing_before_it(first_year: tuple) -> None:
    """lalu_rp 0 and sd_rp = rp_sd on program, kegiatan, sasaran and Jumlah rows."""
    _, form = first_year
    expected_sd = {
        ("sasaran", TERTIB): 125_000,
        ("sasaran", LAYANAN): 1_100_000,
        ("program", P1): 250_000,
        ("program", P2): 500_000,
        ("program", P3): 850_000,
        ("program", P4): 125_000,
        ("kegiatan", "7.01.03.2.02"): 790_000,
        ("kegiatan", "7.01.03.2.03"): 60_000,
        ("jumlah", ""): 1_725_000,
    }
    for (tingkat, kode), sd in expected_sd.items():
        row = _row(form, tingkat, kode)
        assert (row["renstra_lalu_rp"], row["renstra_sd_rp"]) == (0, sd), (tingkat, kode)
    p1 = _row(form, "program", P1)
    assert p1["renstra_target_rp"] == 8_000_000
    assert p1["renstra_capaian_rp_persen"] == ratio("250000", "8000000") == 3.13  # half-up
    kegiatan = _row(form, "kegiatan", "7.01.03.2.02")
    assert kegiatan["renstra_capaian_rp_persen"] == ratio("790000", "8000000") == 9.88
    p3 = _row(form, "program", P3)  # no Renstra row: no target, no capaian
    assert pd.isna(p3["renstra_target_rp"]) and pd.isna(p3["renstra_capaian_rp_persen"])


def test_sub_kegiatan_rows_never_carry_renstra_values(first_year: tuple) -> None:
    """Even with a renstra row for SUB_C (one the loader would refuse)."""
    _, form = first_year
    subs = form[form["tingkat"] == "sub_kegiatan"]
    assert len(subs) == 6
    renstra = [c for c in FORM_COLUMNS if c.startswith("renstra_")]
    for col in renstra:
        assert subs[col].isna().all(), col


def test_later_year_without_realisation_before_is_blank() -> None:
    """Renstra from 2029, form of 2030: nothing given before this year -> NA, not 0."""
    _, form = build_form(form_reference(tahun_awal=2029))
    for tingkat, kode in [
        ("sasaran", LAYANAN),
        ("program", P3),
        ("kegiatan", "7.01.03.2.02"),
        ("jumlah", ""),
    ]:
        row = _row(form, tingkat, kode)
        assert pd.isna(row["renstra_lalu_rp"]), (tingkat, kode)
        assert pd.isna(row["renstra_sd_rp"]), (tingkat, kode)
        assert pd.isna(row["renstra_capaian_rp_persen"]), (tingkat, kode)
    kegiatan = _row(form, "kegiatan", "7.01.03.2.02")
    assert kegiatan["renstra_target_rp"] == 8_000_000  # the target still shows


def test_given_realisation_before_fills_a_program_s_renstra() -> None:
    """P1: 2.000.000 realised in earlier years + 250.000 this year, of an 8.000.000 target."""
    _, form = build_form(form_reference(tahun_awal=2029, lalu_p1=2_000_000))
    p1 = _row(form, "program", P1)
    assert (p1["renstra_target_rp"], p1["renstra_lalu_rp"]) == (8_000_000, 2_000_000)
    assert p1["renstra_sd_rp"] == 2_250_000
    assert p1["renstra_capaian_rp_persen"] == ratio("2250000", "8000000") == 28.13
    for col in ("renstra_target_rp", "renstra_lalu_rp", "renstra_sd_rp"):
        assert form[col].dtype == "Int64", col


# ------------------------------------------------------------------------------ no sasaran


def test_without_sasaran_the_form_is_the_e81_rows_numbered() -> None:
    ref = replace(form_reference(), sasaran=load_reference(2024).sasaran.iloc[0:0])
    rows, form = build_form(ref)
    assert "sasaran" not in set(form["tingkat"])
    assert _key(form) == _key(rows)
    assert set(form["sasaran"]) == {""}
    assert list(form["no"]) == [str(i) for i in range(1, len(rows))] + [""]
    assert list(form[COLUMNS].columns) == COLUMNS
    assert list(form.columns) == FORM_COLUMNS  # each once: the rekap reads them by name


# ------------------------------------------------------------------------------ closing rows


def closing_form(
    subs: list[tuple[float | None, float | None, str, str, str]],
) -> pd.DataFrame:
    """A form with a program row (ignored by the means) and sub-kegiatan rows
    (capaian K, capaian Rp, kendala, tindak lanjut, nama unit)."""
    program = {
        "tingkat": "program",
        "capaian_k_persen": 0.0,
        "capaian_rp_persen": 0.0,
        "kendala": "Tidak dihitung",
        "tindak_lanjut": "Tidak dihitung",
        "nama_unit": "",
    }
    rows = [program] + [
        {
            "tingkat": "sub_kegiatan",
            "capaian_k_persen": k,
            "capaian_rp_persen": rp,
            "kendala": kendala,
            "tindak_lanjut": lanjut,
            "nama_unit": unit,
        }
        for k, rp, kendala, lanjut, unit in subs
    ]
    form = pd.DataFrame(rows)
    for col in ("capaian_k_persen", "capaian_rp_persen"):
        form[col] = pd.array(form[col], dtype="Float64")
    return form


def catatan(rows: list[tuple[int, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "triwulan": pd.Series([r[0] for r in rows], dtype="int64"),
            "butir": pd.Series([r[1] for r in rows], dtype=str),
            "teks": pd.Series([r[2] for r in rows], dtype=str),
        }
    )


def _closing(closing: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["butir"]: row for row in closing}


def test_means_are_half_up_and_banded() -> None:
    """87.12 and 87.13 average 87.125 -> 87.13 (Tinggi); 91.00 and 90.99 -> 91.00 (Sangat Tinggi)."""
    form = closing_form(
        [
            (87.12, 91.0, "", "", "Kecamatan Uji"),
            (87.13, 90.99, "", "", "Kecamatan Uji"),
            (None, None, "", "", "Kelurahan A"),  # no capaian: not in the mean
        ]
    )
    closing = e81_closing(form_reference(), form, 2)
    assert [c["butir"] for c in closing] == [
        "rata_rata",
        "predikat",
        "faktor_pendorong",
        "faktor_penghambat",
        "tindak_lanjut_triwulan",
        "tindak_lanjut_renja",
    ]
    mean = _closing(closing)["rata_rata"]
    assert (mean["k"], mean["rp"]) == (half_up("87.125"), half_up("90.995")) == (87.13, 91.0)
    assert mean["judul"] == "Rata-rata capaian kinerja (%)"
    bands = _closing(closing)["predikat"]
    assert (bands["k"], bands["rp"]) == ("Tinggi", "Sangat Tinggi")


def test_no_capaian_gives_no_mean_and_a_dash() -> None:
    form = closing_form([(None, None, "", "", "Kecamatan Uji")])
    closing = _closing(e81_closing(form_reference(), form, 1))
    assert (closing["rata_rata"]["k"], closing["rata_rata"]["rp"]) == (None, None)
    assert (closing["predikat"]["k"], closing["predikat"]["rp"]) == ("-", "-")


def test_unit_texts_are_grouped_after_the_secretariat_s_of_the_quarter(first_year: tuple) -> None:
    """Kendala of the form at TW II, with catatan_e81 of TW II first and TW III's left out."""
    _, form = first_year
    ref = replace(
        form_reference(),
        catatan_e81=catatan(
            [
                (2, "faktor_penghambat", "Anggaran perubahan terlambat"),
                (3, "faktor_penghambat", "Teks triwulan lain"),
                (2, "faktor_pendorong", "Aparatur aktif"),
                (2, "tindak_lanjut_renja", "Selaraskan dokumen"),
            ]
        ),
    )
    closing = _closing(e81_closing(ref, form, 2))
    assert closing["faktor_pendorong"]["teks"] == ["Aparatur aktif"]
    assert closing["faktor_penghambat"]["teks"] == [
        "Anggaran perubahan terlambat",
        "Cuaca buruk (Kecamatan Uji)",
        "SPJ terlambat (Kecamatan Uji, Kelurahan A)",
    ]
    assert closing["tindak_lanjut_triwulan"]["teks"] == [
        "Jadwal diatur ulang (Kecamatan Uji)",
        "Verifikasi dipercepat (Kecamatan Uji, Kelurahan A)",
    ]
    assert closing["tindak_lanjut_triwulan"]["judul"] == (
        "Tindak lanjut yang diperlukan dalam triwulan berikutnya"
    )
    assert closing["tindak_lanjut_renja"]["teks"] == ["Selaraskan dokumen"]
    # means of the six sub-kegiatan rows: K 30, 25, 50, 25, 25, 20; Rp 25, 25, 25, 10, 10, 25
    assert closing["rata_rata"]["k"] == half_up(str(Decimal(175) / 6)) == 29.17
    assert closing["rata_rata"]["rp"] == 20.0


def test_a_unit_writing_one_text_twice_is_named_once() -> None:
    form = closing_form(
        [
            (None, None, "Hujan", "", "Kelurahan A"),
            (None, None, "Hujan ", "", "Kelurahan A"),
            (None, None, "Hujan", "", "Kecamatan Uji"),
        ]
    )
    closing = _closing(e81_closing(form_reference(), form, 1))
    assert closing["faktor_penghambat"]["teks"] == ["Hujan (Kelurahan A, Kecamatan Uji)"]
    assert closing["tindak_lanjut_triwulan"]["teks"] == []


def test_tw4_asks_for_the_next_year() -> None:
    form = closing_form([(None, None, "", "Lanjutkan", "Kecamatan Uji")])
    closing = _closing(e81_closing(form_reference(), form, 4))
    assert closing["tindak_lanjut_triwulan"]["judul"] == (
        "Tindak lanjut yang diperlukan pada tahun berikutnya"
    )
    assert closing["tindak_lanjut_triwulan"]["teks"] == ["Lanjutkan (Kecamatan Uji)"]


def test_more_than_eight_texts_are_counted() -> None:
    """2 of the secretariat + 9 of the units = 11: eight shown, '… dan 3 lainnya'."""
    form = closing_form([(None, None, f"Kendala {i}", "", "Kelurahan A") for i in range(1, 10)])
    ref = replace(
        form_reference(),
        catatan_e81=catatan([(1, "faktor_penghambat", "S1"), (1, "faktor_penghambat", "S2")]),
    )
    texts = _closing(e81_closing(ref, form, 1))["faktor_penghambat"]["teks"]
    assert texts == [
        "S1",
        "S2",
        *[f"Kendala {i} (Kelurahan A)" for i in range(1, 7)],
        "… dan 3 lainnya",
    ]


def test_exactly_eight_texts_are_all_shown() -> None:
    form = closing_form([(None, None, f"Kendala {i}", "", "Kelurahan A") for i in range(1, 9)])
    texts = _closing(e81_closing(form_reference(), form, 1))["faktor_penghambat"]["teks"]
    assert texts == [f"Kendala {i} (Kelurahan A)" for i in range(1, 9)]


# ------------------------------------------------------------------------------ header, signatories


def test_header_of_the_sample_year() -> None:
    header = e81_header(load_reference(2024), 3)
    assert header == {
        "perangkat_daerah": "Kecamatan Bekasi Utara",
        "periode": "Triwulan III Tahun 2024",
        "tahun": 2024,
        "periode_renstra": "2024–2026",
        "tahun_akhir_renstra": 2026,
        "sasaran_rkpd": [
            "Meningkatnya Akuntabilitas dan Profesionalisme Pengelolaan dan Layanan Pemerintah",
            "Meningkatnya Kualitas Manajemen dan Kinerja Pemerintah di Kecamatan Bekasi Utara",
            "Terwujudnya Ketertiban dan Ketentraman Masyarakat yang Didukung oleh Kohesi Sosial"
            " yang Kuat",
        ],
    }
    assert e81_header(load_reference(2024), 4)["periode"] == "Triwulan IV Tahun 2024"


def test_header_without_renstra_has_no_period() -> None:
    ref = load_reference(2024)
    header = e81_header(replace(ref, renstra=ref.renstra.iloc[0:0]), 1)
    assert (header["periode_renstra"], header["tahun_akhir_renstra"]) == ("", None)
    assert header["periode"] == "Triwulan I Tahun 2024"


def test_signatories_of_the_sample_year() -> None:
    block = pengesahan(load_reference(2024))
    assert block["tempat"] == "Bekasi"
    assert [p["peran"] for p in block["pejabat"]] == ["penyusun", "camat", "evaluator"]
    camat = block["pejabat"][1]
    assert camat == {
        "peran": "camat",
        "label": "Mengetahui",
        "jabatan": "CAMAT BEKASI UTARA",
        "nama": "SUMPONO BRAMA, S.STP., M.Si",
        "pangkat": "Pembina Tk.I",
        "nip": "19800825 199912 1 001",
        "tempat": "Bekasi",
    }
    assert block["pejabat"][0]["nama"] == "" and block["pejabat"][0]["label"] == "Disusun oleh"


def test_signatories_follow_the_role_order_not_the_file_s() -> None:
    ref = load_reference(2024)
    shuffled = ref.pejabat.iloc[[2, 1]].reset_index(drop=True)  # evaluator, camat; no penyusun
    block = pengesahan(replace(ref, pejabat=shuffled))
    assert [p["peran"] for p in block["pejabat"]] == ["camat", "evaluator"]
    empty = pengesahan(replace(ref, pejabat=ref.pejabat.iloc[0:0]))
    assert empty == {"tempat": "", "pejabat": []}


def test_sasaran_without_iku_figures_keep_their_rupiah() -> None:
    """No IKU dict for TW II (iku.csv without rows, a caller passing {}): K blank, Rp summed."""
    ref = form_reference()
    rows = e81_rows(ref, form_realisasi(), 2)
    form = e81_form_rows(ref, rows, {1: iku_quarters()[1]}, 2)
    layanan = _row(form, "sasaran", LAYANAN)
    assert layanan["rp_sd"] == 1_100_000
    assert pd.isna(layanan["k_sd"]) and layanan["keterangan"] == ""


def test_sasaran_and_jumlah_sum_their_programs_renstra_rupiah() -> None:
    """TERTIB has only P4 (no Renstra row): unknown. LAYANAN: P1 8.000.000 given, P3 none ->
    unknown (a partial sum would mislead); once P3 is given, the sum of both."""
    ref = form_reference(tahun_awal=2029, lalu_p1=2_000_000)
    _, form = build_form(ref)
    assert pd.isna(_row(form, "sasaran", LAYANAN)["renstra_target_rp"])
    assert pd.isna(_row(form, "jumlah", "")["renstra_target_rp"])
    renstra = pd.concat(
        [
            ref.renstra,
            _renstra(
                [
                    (P3, 2029, None, 5_000_000, 1_000_000),
                    (P2, 2029, None, 1_000_000, 0),
                    (P4, 2029, None, 2_000_000, 500_000),
                ]
            ),
        ],
        ignore_index=True,
    )
    _, form = build_form(replace(ref, renstra=renstra))
    layanan = _row(form, "sasaran", LAYANAN)
    assert (layanan["renstra_target_rp"], layanan["renstra_lalu_rp"]) == (13_000_000, 3_000_000)
    assert layanan["renstra_sd_rp"] == 3_000_000 + layanan["rp_sd"]
    total = _row(form, "jumlah", "")
    assert (total["renstra_target_rp"], total["renstra_lalu_rp"]) == (16_000_000, 3_500_000)


def test_a_kendala_shared_by_many_units_names_five_and_counts_the_rest() -> None:
    """A province: one kendala from 2,900 kelurahan must stay one readable line, not 186 kB."""
    units = [f"Kelurahan {i}" for i in range(2_900)]
    form = pd.DataFrame(
        {
            "tingkat": "sub_kegiatan",
            "capaian_k_persen": 100.0,
            "capaian_rp_persen": 90.0,
            "kendala": "Sisa anggaran",
            "tindak_lanjut": "",
            "nama_unit": units,
        }
    )
    closing = {c["butir"]: c for c in e81_closing(load_reference(2024), form, 2)}
    assert closing["faktor_penghambat"]["teks"] == [
        "Sisa anggaran (Kelurahan 0, Kelurahan 1, Kelurahan 2, Kelurahan 3, Kelurahan 4 "
        "dan 2.895 unit lain)"
    ]
    assert closing["tindak_lanjut_triwulan"]["teks"] == []
