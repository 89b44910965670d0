"""LKIP per-IKU tables (Tabel 3.2-3.10) against the seed's figures, derived from the sample year.

The iku list is the real TW IV computation over the committed sample (what the demo's
summary.json stores), read back through JSON as a summary is.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import types

import pandas as pd
import pytest

from triwulan.sample.iku_sample import read_sample
from triwulan.tasks.core.reference import load_reference
from triwulan.tasks.measure.iku import iku_rows
from triwulan.tasks.measure.lkip_iku import (
    capaian_iku,
    daftar_zona,
    ikm_tahun,
    iku_sentence,
    komponen_akip,
    perbandingan_renstra,
    zona_per_kelurahan,
)

TAHUN = 2024
AKIP_2023 = {"perencanaan": 23.43, "pengukuran": 20.84, "pelaporan": 11.11,
             "evaluasi_internal": 17.37}  # fmt: skip


@pytest.fixture(scope="module")
def ref():
    return load_reference(TAHUN)


@pytest.fixture(scope="module")
def summary_iku(ref):
    sample = read_sample()
    rows = iku_rows(ref, 4, sample["skm"], sample["akip"], sample["zona"])
    return json.loads(json.dumps(rows))


@pytest.fixture
def iku(summary_iku):
    return copy.deepcopy(summary_iku)


def akip_history(values: dict[str, float], tahun: int = 2023) -> pd.DataFrame:
    return pd.DataFrame(
        {"tahun": tahun, "komponen": list(values), "nilai": [float(v) for v in values.values()]}
    )


def with_history(ref, frame: pd.DataFrame | None):
    """`ref` with akip_komponen_tahunan, whether or not Reference has that field yet."""
    if "akip_komponen_tahunan" in {f.name for f in dataclasses.fields(ref)}:
        return dataclasses.replace(ref, akip_komponen_tahunan=frame)
    clone = copy.copy(ref)
    object.__setattr__(clone, "akip_komponen_tahunan", frame)
    return clone


def test_capaian_of_the_year(ref, iku):
    table = capaian_iku(iku, ref, TAHUN)
    assert list(table["kode"]) == ["ikm", "akip", "wilayah_tertib"]
    got = table[["target", "realisasi", "capaian_persen", "status"]].values.tolist()
    assert got == [
        [81.0, 84.84, 104.74, "tercapai"],
        [70.0, 72.74, 103.91, "tercapai"],
        [57.0, 60.0, 105.26, "tercapai"],
    ]
    assert list(table["kategori"][:2]) == ["B (Baik)", "BB (Sangat Baik)"]
    assert pd.isna(table["kategori"][2])
    assert list(table["realisasi_lalu"][:2]) == [83.17, 72.75]
    assert pd.isna(table["realisasi_lalu"][2])
    one = capaian_iku(iku, ref, TAHUN, kode="akip")
    assert (len(one), one["no"][0], one["iku"][0]) == (1, 1, "Nilai AKIP Kecamatan Bekasi Utara")


def test_capaian_uses_the_annual_target_and_arah_turun(ref, iku):
    item = {**iku[0], "kode": "x", "arah": "turun", "target_tahunan": 10.0,
            "target_sd_tw": 99.0, "realisasi_sd_tw": 8.0}  # fmt: skip
    row = capaian_iku([item], ref, TAHUN).iloc[0]
    assert (row["capaian_persen"], row["status"]) == (125.0, "tercapai")  # 10 / 8, not 8 / 10


def test_renstra_comparison_ikm(ref, iku):
    row = perbandingan_renstra(iku, ref, TAHUN, kode="ikm").iloc[0]
    assert (row["target_rpd"], row["rpd_awal"], row["rpd_akhir"]) == (100.0, 2024, 2026)
    years = [2022, 2023, 2024]
    assert [row[f"target_{y}"] for y in years] == [82.5, 82.8, 81.0]
    assert [row[f"realisasi_{y}"] for y in years] == [82.71, 83.17, 84.84]
    # the seed prints 100 and 102: 82.71 / 82.50 = 100.2545..., 83.17 / 82.80 = 100.4468...
    assert [row[f"rasio_{y}"] for y in years] == [100.25, 100.45, 104.74]
    assert row["capaian_rpd_persen"] == 84.84


def test_renstra_comparison_akip_and_wilayah(ref, iku):
    akip = perbandingan_renstra(iku, ref, TAHUN, kode="akip")
    assert [c for c in akip.columns if c.startswith("rasio_")] == ["rasio_2023", "rasio_2024"]
    row = akip.iloc[0]
    assert (row["target_rpd"], row["target_2023"], row["realisasi_2023"]) == (72.05, 72.5, 72.75)
    assert (row["rasio_2023"], row["rasio_2024"]) == (100.34, 103.91)  # seed text: 100.27
    tertib = perbandingan_renstra(iku, ref, TAHUN, kode="wilayah_tertib")
    assert [c for c in tertib.columns if c.startswith("rasio_")] == ["rasio_2024"]
    assert tertib["rasio_2024"][0] == 105.26 and pd.isna(tertib["target_rpd"][0])
    every = perbandingan_renstra(iku, ref, TAHUN)
    assert len(every) == 3 and pd.isna(every.loc[1, "rasio_2022"])


def test_renstra_ignores_the_year_itself_in_iku_tahunan_and_inverts_turun(ref, iku):
    history = pd.DataFrame(
        {"kode": ["ikm"] * 3, "tahun": [2023, 2024, 2025], "target": [10.0, 1.0, 1.0],
         "realisasi": [8.0, 1.0, 1.0]}
    )  # fmt: skip
    changed = dataclasses.replace(ref, iku_tahunan=history)
    item = {**iku[0], "arah": "turun"}
    row = perbandingan_renstra([item], changed, TAHUN).iloc[0]
    assert row["rasio_2023"] == 125.0  # 10 / 8
    assert (row["target_2024"], row["realisasi_2024"]) == (81.0, 84.84)  # the summary's
    assert row["rasio_2024"] == 95.47  # 81 / 84.84
    assert "target_2025" not in row.index  # a later year is no history


def test_akip_components_this_year_and_last(ref, iku):
    last, this = komponen_akip(iku, with_history(ref, akip_history(AKIP_2023)), TAHUN)
    assert (last.tahun, this.tahun) == (2023, 2024)
    assert list(last.komponen["nilai"]) == [23.43, 20.84, 11.11, 17.37]
    assert (last.nilai, last.bobot, last.predikat) == (72.75, 100.0, "BB")
    assert list(this.komponen["nilai"]) == [23.62, 20.64, 11.11, 17.37]
    assert list(this.komponen["bobot"]) == [30.0, 30.0, 15.0, 25.0]
    assert (this.nilai, this.bobot) == (72.74, 100.0)
    assert (this.predikat, this.predikat_keterangan) == ("BB", "Sangat Baik")
    assert this.nilai == iku[1]["realisasi_sd_tw"]


@pytest.mark.parametrize(("perencanaan", "nilai", "predikat"), [(23.43, 70.0, "B"),
                                                                 (23.44, 70.01, "BB")])  # fmt: skip
def test_last_years_predikat_from_the_bands(ref, iku, perencanaan, nilai, predikat):
    values = {**AKIP_2023, "pengukuran": 18.09, "perencanaan": perencanaan}  # Σ 70.00 / 70.01
    last = komponen_akip(iku, with_history(ref, akip_history(values)), TAHUN)[0]
    assert (last.nilai, last.predikat) == (nilai, predikat)  # 70,00 is B: the bound is strict


def test_akip_without_last_year(ref, iku):
    empty = pd.DataFrame({"tahun": pd.Series(dtype="int64"), "komponen": [], "nilai": []})
    other_year = akip_history(AKIP_2023, tahun=2022)
    bare = types.SimpleNamespace(akip_komponen=ref.akip_komponen, akip_predikat=ref.akip_predikat)
    for source in (with_history(ref, empty), with_history(ref, other_year), bare):
        assert [t.tahun for t in komponen_akip(iku, source, TAHUN)] == [2024]


def test_akip_missing_component_last_year(ref, iku):
    values = {k: v for k, v in AKIP_2023.items() if k != "pelaporan"}
    last = komponen_akip(iku, with_history(ref, akip_history(values)), TAHUN)[0]
    assert last.komponen_kosong == ["pelaporan"] and last.nilai == 61.64
    assert pd.isna(last.komponen["nilai"][2])


def test_zones_per_kelurahan(ref, iku):
    table = zona_per_kelurahan(iku, ref)
    assert list(table["kelurahan"]) == [
        "perwira", "harapan-jaya", "marga-mulya", "harapan-baru", "teluk-pucung",
        "kaliabang-tengah", "",
    ]  # fmt: skip
    assert list(table["zona"]) == [3, 3, 2, 1, 2, 4, 15]
    assert list(table["tertib"]) == [3, 2, 1, 1, 1, 1, 9]
    assert list(table["belum_tertib"]) == [0, 1, 1, 0, 1, 3, 6]
    assert list(table["persen_tertib"]) == [100.0, 66.67, 50.0, 100.0, 50.0, 25.0, 60.0]
    assert table["persen_tertib"].iloc[-1] == iku[2]["realisasi_sd_tw"]


def test_zone_never_reported(ref, iku):
    iku[2]["zona"][0]["tertib"] = None  # zone 1, Marga Mulya, was tertib
    zones = daftar_zona(iku, ref)
    assert (zones["status"][0], pd.isna(zones["tertib"][0])) == ("Belum dilaporkan", True)
    row = zona_per_kelurahan(iku, ref).set_index("kelurahan").loc["marga-mulya"]
    assert (row["tertib"], row["belum_tertib"], row["belum_dilaporkan"]) == (0, 1, 1)
    assert row["persen_tertib"] == 0.0


def test_zones_before_any_report_come_from_the_reference(ref, iku):
    iku[2]["zona"] = []
    zones = daftar_zona(iku, ref)
    assert len(zones) == 15 and set(zones["status"]) == {"Belum dilaporkan"}
    assert zones["nama_kelurahan"][0] == "Kelurahan Marga Mulya"
    total = zona_per_kelurahan(iku, ref).iloc[-1]
    assert (total["zona"], total["belum_dilaporkan"], total["persen_tertib"]) == (15, 15, 0.0)


def test_ikm_per_unsur_and_layanan(iku):
    year = ikm_tahun(iku)
    assert (year.ikm, year.mutu, year.mutu_keterangan, year.responden) == (84.84, "B", "Baik", 610)
    assert list(year.unsur["unsur"]) == [f"u{i}" for i in range(1, 10)]
    first = year.unsur.iloc[0]
    assert (first["nama"], first["nrr"], first["nrr_tertimbang"]) == (
        "U1 Persyaratan",
        3.456,
        0.384,
    )
    # NRR × 1/9, not × 0.111: u2 3.346 / 9 = 0.37178 -> 0.372 (× 0.111 = 0.3714 -> 0.371)
    assert list(year.unsur["nrr_tertimbang"]) == [
        0.384, 0.372, 0.365, 0.408, 0.377, 0.384, 0.384, 0.353, 0.368,
    ]  # fmt: skip
    assert year.layanan["responden"].sum() == 610
    assert year.layanan.iloc[0][["responden", "ikm", "mutu"]].tolist() == [219, 84.92, "B"]
    assert ikm_tahun([i for i in iku if i["kode"] != "ikm"]) is None


def test_sentences(ref, iku):
    rows = capaian_iku(iku, ref, TAHUN).to_dict("records")
    assert [iku_sentence(r) for r in rows] == [
        "Indeks Kepuasan Masyarakat (IKM) di Kecamatan Bekasi Utara dengan realisasi capaian pada "
        "tahun 2024 sebesar 84,84 dan rasio sebesar 104,74%. Indikator ini tercapai (target 81); "
        "mutu pelayanan B (Baik); dibanding tahun 2023 (83,17) naik 1,67.",
        "Nilai AKIP Kecamatan Bekasi Utara dengan realisasi capaian pada tahun 2024 sebesar 72,74 "
        "dan rasio sebesar 103,91%. Indikator ini tercapai (target 70); predikat BB (Sangat "
        "Baik); dibanding tahun 2023 (72,75) turun 0,01.",
        "Persentase Peningkatan Wilayah yang Tertib dengan realisasi capaian pada tahun 2024 "
        "sebesar 60% dan rasio sebesar 105,26%. Indikator ini tercapai (target 57%); belum ada "
        "data tahun 2023 sebagai pembanding.",
    ]


def test_sentences_short_of_target_or_without_data(ref, iku):
    low = {**iku[0], "realisasi_sd_tw": 80.5, "mutu_sd_tw": None}
    row = capaian_iku([low], ref, TAHUN).iloc[0].to_dict()
    assert iku_sentence(row) == (
        "Indeks Kepuasan Masyarakat (IKM) di Kecamatan Bekasi Utara dengan realisasi capaian pada "
        "tahun 2024 sebesar 80,50 dan rasio sebesar 99,38%. Indikator ini belum tercapai (target "
        "81); dibanding tahun 2023 (83,17) turun 2,67."
    )
    none = capaian_iku([{**iku[2], "realisasi_sd_tw": None}], ref, TAHUN).iloc[0].to_dict()
    assert iku_sentence(none) == (
        "Persentase Peningkatan Wilayah yang Tertib: belum ada data realisasi pada tahun 2024."
    )
    untargeted = capaian_iku([{**iku[1], "target_tahunan": None}], ref, TAHUN).iloc[0]
    assert iku_sentence(untargeted).startswith(
        "Nilai AKIP Kecamatan Bekasi Utara dengan realisasi capaian pada tahun 2024 sebesar 72,74."
        " Tidak ada target tahun 2024, sehingga rasio tidak dihitung; predikat BB"
    )


def test_last_year_only_is_compared(ref, iku):
    # only 2022 known: the sentence says 2023 is missing rather than compare with 2022
    history = ref.iku_tahunan[ref.iku_tahunan["tahun"] == 2022]
    row = capaian_iku(iku, dataclasses.replace(ref, iku_tahunan=history), TAHUN, kode="ikm")
    assert pd.isna(row["realisasi_lalu"][0])
    assert iku_sentence(row.iloc[0]).endswith(
        "; mutu pelayanan B (Baik); belum ada data tahun 2023 sebagai pembanding."
    )


def test_inputs_are_not_changed(ref, iku, summary_iku):
    history = with_history(ref, akip_history(AKIP_2023))
    for build in (capaian_iku, perbandingan_renstra, komponen_akip):
        build(iku, history, TAHUN)
    zona_per_kelurahan(iku, ref)
    ikm_tahun(iku)
    assert iku == summary_iku
