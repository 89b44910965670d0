"""Form E.81 rows: the full 2024 sample at TW IV against independent sums, and a hand-made year.

The full-year truth is computed here with plain Python from files the function never reads:
`sample/seed_realisasi_2024.csv` (annual realisation per unit and sub-kegiatan), the generator's
correct frames per (unit, quarter), and `reference/2024/anggaran.csv` read with the csv module.
The function is fed the committed inbox files with the corrections copied over, as the flow is.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pandas as pd
import pytest

from triwulan.paths import SAMPLE_DIR, reference_dir
from triwulan.tasks.collect.ingest import find_submissions, read_submission
from triwulan.tasks.core.reference import QUARTERS, Reference, load_reference
from triwulan.tasks.measure.e81 import COLUMNS, e81_rows

TAHUN = 2024


def _load_generator():
    spec = importlib.util.spec_from_file_location("sample_generate", SAMPLE_DIR / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def half_up(numerator: int, denominator: int) -> float:
    """numerator / denominator x 100 to 2 decimals, half-up, in exact decimal arithmetic."""
    with localcontext() as ctx:
        ctx.prec = 60
        value = Decimal(numerator) * 100 / Decimal(denominator)
        return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


# ------------------------------------------------------------------------- full sample, TW IV


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference(TAHUN)


@pytest.fixture(scope="module")
def committed_rows() -> pd.DataFrame:
    """Every quarter's inbox with corrections copied over (same file name wins), typed."""
    frames = []
    for q in QUARTERS:
        files = {}
        for folder in (SAMPLE_DIR / "inbox", SAMPLE_DIR / "corrections"):
            for path in find_submissions(folder / str(TAHUN) / f"TW{q}"):
                frame, problem = read_submission(path)
                assert problem is None, problem
                files[path.name] = frame
        frames.extend(files.values())
    rows = pd.concat(frames, ignore_index=True)
    for col in ("triwulan", "realisasi_keuangan", "realisasi_keluaran"):
        rows[col] = rows[col].astype("int64")
    rows["realisasi_fisik"] = rows["realisasi_fisik"].astype(float)
    return rows


@pytest.fixture(scope="module")
def truth(ref) -> dict[str, dict]:
    """Plain-Python truth per (unit, kode): pagu in force at TW IV, quarters, annual, notes."""
    gen = _load_generator()
    sample = gen.build_sample(ref, gen.load_seed())
    quarters: dict[tuple[str, str], dict[int, int]] = {}
    volumes: dict[tuple[str, str], float] = {}
    notes: dict[tuple[str, str], str] = {}
    for (unit, q), frame in sample.correct.items():
        for kode, keu, vol, kendala in zip(
            frame["kode_sub_kegiatan"],
            frame["realisasi_keuangan"],
            frame["realisasi_keluaran"],
            frame["kendala"],
            strict=True,
        ):
            quarters.setdefault((unit, kode), {})[q] = int(keu)
            volumes[(unit, kode)] = volumes.get((unit, kode), 0) + float(vol)
            if q == 4:
                notes[(unit, kode)] = kendala
    with open(SAMPLE_DIR / "seed_realisasi_2024.csv", encoding="utf-8", newline="") as handle:
        annual = {
            (r["unit"], r["kode_sub_kegiatan"]): int(r["realisasi_keuangan_tahun"])
            for r in csv.DictReader(handle)
        }
    pagu: dict[tuple[str, str], tuple[int, int]] = {}  # key -> (berlaku_mulai_tw, pagu)
    with open(reference_dir(TAHUN) / "anggaran.csv", encoding="utf-8", newline="") as handle:
        for r in csv.DictReader(handle):
            key, start = (r["unit"], r["kode_sub_kegiatan"]), int(r["berlaku_mulai_tw"])
            if start <= 4 and start >= pagu.get(key, (0, 0))[0]:
                pagu[key] = (start, int(r["pagu"]))
    return {
        "quarters": quarters,
        "volumes": volumes,
        "notes": notes,
        "annual": annual,
        "pagu": {k: v[1] for k, v in pagu.items()},
    }


@pytest.fixture(scope="module")
def year_end(ref, committed_rows) -> pd.DataFrame:
    return e81_rows(ref, committed_rows, 4)


def _sums(truth: dict, prefix_len: int) -> dict[str, dict[str, int]]:
    """Per program (prefix 7) or kegiatan (prefix 12): pagu, each quarter and to-date sums."""
    out: dict[str, dict[str, int]] = {}
    for (unit, kode), pagu in truth["pagu"].items():
        row = out.setdefault(kode[:prefix_len], {"target_rp": 0, "rp_sd": 0, "annual": 0})
        row["target_rp"] += pagu
        row["annual"] += truth["annual"][(unit, kode)]
        for q, value in truth["quarters"][(unit, kode)].items():
            row[f"rp_tw{q}"] = row.get(f"rp_tw{q}", 0) + value
            row["rp_sd"] += value
    return out


def test_generator_quarters_add_up_to_the_seed(truth):
    # the two independent truths agree, so either may be used below
    for key, quarters in truth["quarters"].items():
        assert sum(quarters.values()) == truth["annual"][key]


def test_total_row_is_lkip_table_3_11(year_end):
    total = year_end.iloc[-1]
    assert total["tingkat"] == "jumlah" and total["uraian"] == "Jumlah"
    assert total["target_rp"] == 46_754_089_520
    assert total["rp_sd"] == 44_704_453_656
    assert total["capaian_rp_persen"] == half_up(44_704_453_656, 46_754_089_520) == 95.62
    assert total["predikat_rp"] == "Sangat Tinggi"
    assert pd.isna(total["k_sd"]) and pd.isna(total["capaian_k_persen"])


@pytest.mark.parametrize(("level", "prefix"), [("program", 7), ("kegiatan", 12)])
def test_program_and_kegiatan_rows_are_exact_sums(year_end, truth, level, prefix):
    expected = _sums(truth, prefix)
    rows = year_end[year_end["tingkat"] == level].set_index("kode")
    assert sorted(rows.index) == sorted(expected)
    for kode, want in expected.items():
        got = rows.loc[kode]
        assert got["target_rp"] == want["target_rp"], kode
        assert got["rp_sd"] == want["rp_sd"] == want["annual"], kode
        for q in QUARTERS:
            assert got[f"rp_tw{q}"] == want[f"rp_tw{q}"], (kode, q)
            assert pd.isna(got[f"k_tw{q}"])
        assert got["capaian_rp_persen"] == half_up(want["rp_sd"], want["target_rp"]), kode
        assert pd.isna(got["target_k"]) and got["predikat_k"] == "-"
        assert got["unit"] == "" and got["kendala"] == ""
    program_total = sum(v["target_rp"] for v in _sums(truth, 7).values())
    assert program_total == 46_754_089_520


def test_sub_kegiatan_rows_one_per_unit(year_end, truth, ref):
    subs = year_end[year_end["tingkat"] == "sub_kegiatan"]
    assert len(subs) == len(truth["pagu"]) == 49
    names = dict(zip(ref.units["unit"], ref.units["nama"], strict=True))
    for row in subs.to_dict("records"):
        key = (row["unit"], row["kode"])
        assert row["target_rp"] == truth["pagu"][key]
        assert row["rp_sd"] == truth["annual"][key]
        assert [row[f"rp_tw{q}"] for q in QUARTERS] == [truth["quarters"][key][q] for q in QUARTERS]
        assert row["k_sd"] == truth["volumes"][key]
        assert row["kendala"] == truth["notes"][key]  # TW IV is the latest reported quarter
        assert row["nama_unit"] == names[row["unit"]]
    # the same code under seven units: seven rows
    assert (subs["kode"] == "7.01.03.2.02.0003").sum() == 7
    gaji = subs.set_index(["unit", "kode"]).loc[("kecamatan", "7.01.01.2.02.0001")]
    assert gaji["target_rp"] == 15_046_107_000  # the perubahan in force from TW IV
    assert gaji["capaian_rp_persen"] == half_up(14_358_938_493, 15_046_107_000) == 95.43


def test_nomenclature_order(year_end, truth, ref):
    unit_order = {u: i for i, u in enumerate(ref.units["unit"])}
    keys = sorted(truth["pagu"], key=lambda k: (k[1], unit_order[k[0]]))
    expected = []
    for program in sorted({kode[:7] for _, kode in keys}):
        expected.append(("program", program, ""))
        for kegiatan in sorted({kode[:12] for _, kode in keys if kode.startswith(program)}):
            expected.append(("kegiatan", kegiatan, ""))
            expected += [("sub_kegiatan", k, u) for u, k in keys if k[:12] == kegiatan]
    expected.append(("jumlah", "", ""))
    got = list(zip(year_end["tingkat"], year_end["kode"], year_end["unit"], strict=True))
    assert got == expected
    assert list(year_end.columns) == COLUMNS


def test_money_columns_are_integers(year_end):
    for col in ("target_rp", "rp_sd", *[f"rp_tw{q}" for q in QUARTERS]):
        assert year_end[col].dtype == "Int64"


# ------------------------------------------------------------------------- hand-made year

BIG = 9_007_199_254_740_993  # 2**53 + 1: a float would lose the last rupiah


def small_reference() -> Reference:
    """2 units, 1 program, 2 kegiatan; one code under both units; a perubahan from TW III."""
    sub = pd.DataFrame(
        {
            "unit": ["kecamatan", "kel-a", "kel-a"],
            "kode_sub_kegiatan": ["7.01.03.2.02.0001", "7.01.03.2.02.0001", "7.01.03.2.03.0002"],
            "nama_sub_kegiatan": ["Sub Satu", "Sub Satu", "Sub Dua"],
            "sumber_dana": ["PAD"] * 3,
            "indikator_keluaran": ["Jumlah Lembaga", "Jumlah Lembaga", "Jumlah Laporan"],
            "satuan": ["Lembaga", "Lembaga", "Laporan"],
            "target_keluaran": [10.0, 4.0, 12.0],
            "kode_program": ["7.01.03"] * 3,
            "kode_kegiatan": ["7.01.03.2.02", "7.01.03.2.02", "7.01.03.2.03"],
            "nama_program": ["Program P"] * 3,
            "nama_kegiatan": ["Kegiatan A", "Kegiatan A", "Kegiatan B"],
        }
    )
    anggaran = pd.DataFrame(
        [
            ("kecamatan", "7.01.03.2.02.0001", "murni", 1, 1_000_000, 250_000, 250_000, 250_000, 250_000),
            ("kecamatan", "7.01.03.2.02.0001", "perubahan", 3, 1_200_000, 250_000, 250_000, 350_000, 350_000),
            ("kel-a", "7.01.03.2.02.0001", "murni", 1, 400_000, 100_000, 100_000, 100_000, 100_000),
            ("kel-a", "7.01.03.2.03.0002", "murni", 1, BIG, BIG - 3, 1, 1, 1),
        ],
        columns=["unit", "kode_sub_kegiatan", "versi", "berlaku_mulai_tw", "pagu", "tw1", "tw2", "tw3", "tw4"],
    )  # fmt: skip
    # the real 2024 reference with its year-specific frames replaced: fields added to Reference
    # later (IKU tables, ...) keep their real values
    return replace(
        load_reference(TAHUN),
        tahun=2030,
        units=pd.DataFrame(
            {
                "unit": ["kecamatan", "kel-a"],
                "nama": ["Kecamatan Uji", "Kelurahan A"],
                "jenis": ["kecamatan", "kelurahan"],
                "email": ["k@example.go.id", "a@example.go.id"],
            }
        ),
        programs=pd.DataFrame({"kode_program": ["7.01.03"], "nama_program": ["Program P"]}),
        kegiatan=pd.DataFrame(
            {
                "kode_kegiatan": ["7.01.03.2.02", "7.01.03.2.03"],
                "nama_kegiatan": ["Kegiatan A", "Kegiatan B"],
            }
        ),
        sub_kegiatan=sub,
        anggaran=anggaran,
    )


def small_rows() -> pd.DataFrame:
    """TW I: both units; TW II: only the kecamatan (kel-a has not reported); TW III: kecamatan."""
    rows = [
        (1, "kecamatan", "7.01.03.2.02.0001", 200_000, 20.0, 2, "", ""),
        (1, "kel-a", "7.01.03.2.02.0001", 100_000, 25.0, 1, "Menunggu SPJ", "Dilengkapi"),
        (1, "kel-a", "7.01.03.2.03.0002", BIG // 2, 50.0, 3, "", ""),
        (2, "kecamatan", "7.01.03.2.02.0001", 300_000, 50.0, 3, "Terlambat", "Dipercepat"),
        (3, "kecamatan", "7.01.03.2.02.0001", 999, 60.0, 1, "", ""),
    ]
    columns = ["triwulan", "unit", "kode_sub_kegiatan", "realisasi_keuangan", "realisasi_fisik"]
    columns += ["realisasi_keluaran", "kendala", "tindak_lanjut"]
    return pd.DataFrame(rows, columns=columns).assign(tahun=2030)


def _by_key(rows: pd.DataFrame) -> dict[tuple[str, str, str], dict]:
    return {(r["tingkat"], r["kode"], r["unit"]): r for r in rows.to_dict("records")}


def test_small_year_at_tw2():
    rows = e81_rows(small_reference(), small_rows(), 2)
    got = list(zip(rows["tingkat"], rows["kode"], rows["unit"], strict=True))
    assert got == [
        ("program", "7.01.03", ""),
        ("kegiatan", "7.01.03.2.02", ""),
        ("sub_kegiatan", "7.01.03.2.02.0001", "kecamatan"),
        ("sub_kegiatan", "7.01.03.2.02.0001", "kel-a"),
        ("kegiatan", "7.01.03.2.03", ""),
        ("sub_kegiatan", "7.01.03.2.03.0002", "kel-a"),
        ("jumlah", "", ""),
    ]
    r = _by_key(rows)
    program = r[("program", "7.01.03", "")]
    assert program["uraian"] == "Program P"
    assert program["target_rp"] == 1_000_000 + 400_000 + BIG == 9_007_199_256_140_993
    assert program["rp_tw1"] == 200_000 + 100_000 + BIG // 2 == 4_503_599_627_670_496
    assert program["rp_tw2"] == 300_000  # kel-a did not report TW II: only the kecamatan
    assert pd.isna(program["rp_tw3"]) and pd.isna(program["rp_tw4"])  # stored TW III ignored
    assert program["rp_sd"] == 4_503_599_627_970_496
    assert pd.isna(program["k_tw1"]) and pd.isna(program["target_k"])
    assert r[("jumlah", "", "")]["rp_sd"] == program["rp_sd"]

    kegiatan_a = r[("kegiatan", "7.01.03.2.02", "")]
    assert (kegiatan_a["target_rp"], kegiatan_a["rp_sd"]) == (1_400_000, 600_000)
    assert kegiatan_a["capaian_rp_persen"] == 42.86  # 600.000 / 1.400.000 = 42,857...
    assert kegiatan_a["predikat_rp"] == "Sangat Rendah"
    kegiatan_b = r[("kegiatan", "7.01.03.2.03", "")]
    assert kegiatan_b["rp_tw1"] == BIG // 2 and pd.isna(kegiatan_b["rp_tw2"])

    kec = r[("sub_kegiatan", "7.01.03.2.02.0001", "kecamatan")]
    assert kec["target_rp"] == 1_000_000  # the perubahan applies only from TW III
    assert (kec["rp_tw1"], kec["rp_tw2"], kec["rp_sd"]) == (200_000, 300_000, 500_000)
    assert (kec["k_tw1"], kec["k_tw2"], kec["k_sd"], kec["target_k"]) == (2, 3, 5, 10)
    assert (kec["capaian_k_persen"], kec["capaian_rp_persen"]) == (50.0, 50.0)
    assert (kec["predikat_k"], kec["predikat_rp"]) == ("Sangat Rendah", "Sangat Rendah")
    assert (kec["kendala"], kec["tindak_lanjut"]) == ("Terlambat", "Dipercepat")
    assert (kec["nama_unit"], kec["satuan"]) == ("Kecamatan Uji", "Lembaga")

    kel = r[("sub_kegiatan", "7.01.03.2.02.0001", "kel-a")]
    assert kel["rp_tw1"] == 100_000
    assert pd.isna(kel["rp_tw2"]) and pd.isna(kel["k_tw2"])  # not reported: blank, not 0
    assert (kel["rp_sd"], kel["k_sd"], kel["capaian_k_persen"]) == (100_000, 1, 25.0)
    assert kel["kendala"] == "Menunggu SPJ"  # of TW I, its latest reported quarter
    dua = r[("sub_kegiatan", "7.01.03.2.03.0002", "kel-a")]
    assert dua["capaian_rp_persen"] == 50.0 and dua["rp_sd"] == 4_503_599_627_370_496


def test_small_year_at_tw3_uses_the_perubahan_and_reports_tw3():
    r = _by_key(e81_rows(small_reference(), small_rows(), 3))
    kec = r[("sub_kegiatan", "7.01.03.2.02.0001", "kecamatan")]
    assert (kec["target_rp"], kec["rp_tw3"], kec["rp_sd"]) == (1_200_000, 999, 500_999)
    assert kec["kendala"] == ""  # TW III reported no problem: the latest quarter speaks
    assert pd.isna(kec["rp_tw4"])
    assert r[("kegiatan", "7.01.03.2.02", "")]["rp_tw3"] == 999


def test_uncounted_unit_keeps_its_targets_with_blank_realisation():
    rows = e81_rows(small_reference(), small_rows(), 2, units=["kecamatan"])
    r = _by_key(rows)
    kel = r[("sub_kegiatan", "7.01.03.2.02.0001", "kel-a")]
    assert kel["target_rp"] == 400_000 and kel["target_k"] == 4
    assert all(pd.isna(kel[c]) for c in ("rp_tw1", "k_tw1", "rp_sd", "k_sd", "capaian_rp_persen"))
    assert (kel["predikat_rp"], kel["kendala"]) == ("-", "")
    kegiatan_b = r[("kegiatan", "7.01.03.2.03", "")]
    assert kegiatan_b["target_rp"] == BIG and pd.isna(kegiatan_b["rp_sd"])
    total = r[("jumlah", "", "")]
    assert total["target_rp"] == 9_007_199_256_140_993  # the whole plan, counted or not
    assert (total["rp_tw1"], total["rp_sd"]) == (200_000, 500_000)


def test_nothing_reported_yet_is_blank_everywhere():
    stored = pd.DataFrame(columns=[*small_rows().columns])  # load_realisasi of an empty store
    rows = e81_rows(small_reference(), stored, 1)
    money = ["rp_sd", *[f"rp_tw{q}" for q in QUARTERS]]
    assert rows[money].isna().all().all()
    assert rows["target_rp"].iloc[-1] == 9_007_199_256_140_993
    assert set(rows["predikat_rp"]) == {"-"}


def test_quarter_outside_the_year_is_refused():
    with pytest.raises(ValueError, match="triwulan harus 1 sampai 4"):
        e81_rows(small_reference(), small_rows(), 5)
