"""The IKU's verdicts in reading order (issue 17): the year first, the quarter second."""

from __future__ import annotations

from decimal import Decimal

import pytest

from triwulan.tasks.publish.sections import (
    akip_components,
    ikm_unsur,
    iku_angka,
    iku_statements,
    zones_by_kelurahan,
)

IKM_TW4 = {
    "satuan": "Nilai",
    "target_tw": 89.71,
    "realisasi_tw": 89.16,
    "capaian_persen": 99.39,
    "status": "belum tercapai",
    "target_sd_tw": 81.0,
    "realisasi_sd_tw": 84.84,
    "capaian_sd_tw_persen": 104.74,
    "status_sd_tw": "tercapai",
}


def test_the_year_leads_and_a_quarter_below_its_own_target_is_neutral() -> None:
    year, quarter = iku_statements(IKM_TW4, "TW IV")
    assert year == {
        "figure": "s.d. TW IV: 84,84 dari target 81,00",
        "status": "tercapai",
        "capaian": "104,74%",
        "tone": "good",
        "kind": "tahun",
    }
    assert quarter["figure"] == "TW IV: 89,16 dari target 89,71"
    assert (quarter["status"], quarter["capaian"], quarter["tone"]) == (
        "belum tercapai",
        "99,39%",
        "neutral",
    )


def test_a_quarter_off_target_in_a_year_off_track_stays_red() -> None:
    row = IKM_TW4 | {"realisasi_sd_tw": 78.0, "capaian_sd_tw_persen": 96.3}
    row["status_sd_tw"] = "belum tercapai"
    year, quarter = iku_statements(row, "TW IV")
    assert (year["tone"], quarter["tone"]) == ("bad", "bad")


def test_without_the_years_figure_the_quarter_leads() -> None:
    row = IKM_TW4 | {"realisasi_sd_tw": None, "capaian_sd_tw_persen": None, "status_sd_tw": None}
    quarter, year = iku_statements(row, "TW I")
    assert quarter["kind"] == "triwulan" and quarter["tone"] == "bad"
    assert year["figure"] == "s.d. TW I: belum ada data (target 81,00)"


def test_no_data_and_no_target_are_said_not_printed_as_dashes() -> None:
    akip = {"satuan": "Nilai", "target_sd_tw": 70.0, "realisasi_sd_tw": 72.74}
    akip |= {"capaian_sd_tw_persen": 103.91, "status_sd_tw": "tercapai"}
    year, quarter = iku_statements(akip, "TW IV")
    assert quarter["figure"] == "TW IV: belum ada data" and quarter["status"] == ""
    untargeted = iku_statements({"satuan": "Nilai", "realisasi_tw": 3.0}, "TW II")[0]
    assert untargeted["figure"] == "TW II: 3,00 (tanpa target TW II)"


def test_a_percentage_carries_its_sign() -> None:
    assert iku_angka(60.0, "Persen") == "60,00%"
    assert iku_angka(84.84, "Nilai") == "84,84"
    assert iku_angka(None, "Persen") == "-"
    row = {"satuan": "Persen", "realisasi_sd_tw": 60.0, "target_sd_tw": 57.0}
    row |= {"status_sd_tw": "tercapai", "capaian_sd_tw_persen": 105.26}
    assert iku_statements(row, "TW IV")[0]["figure"] == "s.d. TW IV: 60,00% dari target 57,00%"


# --- AKIP components, zones per kelurahan, IKM unsur (LKIP Tabel 3.5, 3.8-3.10, U1-U9) ---------

# the seed's LHE of TW II: 23,62 + 20,64 + 11,11 + 17,37 = 72,74 (BB)
AKIP_2024 = [
    {"komponen": "perencanaan", "judul": "Perencanaan Kinerja", "bobot": 30.0, "nilai": 23.62},
    {"komponen": "pengukuran", "judul": "Pengukuran Kinerja", "bobot": 30.0, "nilai": 20.64},
    {"komponen": "pelaporan", "judul": "Pelaporan Kinerja", "bobot": 15.0, "nilai": 11.11},
    {
        "komponen": "evaluasi_internal",
        "judul": "Evaluasi Akuntabilitas Kinerja Internal",
        "bobot": 25.0,
        "nilai": 17.37,
    },
]


def _share(nilai: str, bobot: str) -> float:
    return float(Decimal(nilai) / Decimal(bobot) * 100)


def test_akip_components_carry_the_share_of_their_bobot() -> None:
    parts = akip_components({"komponen": AKIP_2024})
    assert [p["komponen"] for p in parts] == [
        "perencanaan",
        "pengukuran",
        "pelaporan",
        "evaluasi_internal",
    ]
    expected = [_share("23.62", "30"), _share("20.64", "30"), _share("11.11", "15")]
    expected.append(_share("17.37", "25"))
    assert [p["persen_bobot"] for p in parts] == pytest.approx(expected, abs=1e-9)
    assert expected == pytest.approx([78.7333333333, 68.8, 74.0666666667, 69.48], abs=1e-9)
    assert parts[0] == AKIP_2024[0] | {"persen_bobot": parts[0]["persen_bobot"]}  # kept as given


def test_an_akip_component_not_filled_or_without_bobot_has_no_share() -> None:
    row = {
        "komponen": [
            {"komponen": "perencanaan", "bobot": 30.0, "nilai": None},
            {"komponen": "pengukuran", "bobot": 0.0, "nilai": 5.0},
            {"komponen": "pelaporan", "bobot": None, "nilai": 5.0},
        ]
    }
    assert [p["persen_bobot"] for p in akip_components(row)] == [None, None, None]
    assert akip_components({"komponen": []}) == akip_components({}) == []


def _zone(no: int, kelurahan: str, nama: str | None, tertib: int | None) -> dict:
    return {
        "no_zona": no,
        "nama_zona": f"Zona {no}",
        "kelurahan": kelurahan,
        "nama_kelurahan": nama,
        "tertib": tertib,
    }


def test_zones_are_grouped_by_kelurahan_in_the_order_first_seen() -> None:
    """Zones 1-4 of the seed: Marga Mulya, Harapan Jaya, Teluk Pucung, then Marga Mulya again."""
    row = {
        "zona": [
            _zone(1, "marga-mulya", "Kelurahan Marga Mulya", 1),
            _zone(2, "harapan-jaya", "Kelurahan Harapan Jaya", None),
            _zone(3, "teluk-pucung", None, 0),
            _zone(14, "marga-mulya", "Kelurahan Marga Mulya", 0),
            _zone(15, "harapan-jaya", "Kelurahan Harapan Jaya", 1),
        ]
    }
    groups = zones_by_kelurahan(row)
    assert [(g["nama"], g["tertib"], len(g["zona"])) for g in groups] == [
        ("Kelurahan Marga Mulya", 1, 2),
        ("Kelurahan Harapan Jaya", 1, 2),
        ("teluk-pucung", 0, 1),  # no name given: the code
    ]
    assert [(z["no_zona"], z["status"]) for g in groups for z in g["zona"]] == [
        (1, "tertib"),
        (14, "belum tertib"),
        (2, "belum dilaporkan"),
        (15, "tertib"),
        (3, "belum tertib"),
    ]
    assert groups[0]["zona"][0]["nama_zona"] == "Zona 1"  # the zone's own fields kept
    assert zones_by_kelurahan({"zona": []}) == zones_by_kelurahan({}) == []


UNSUR = {
    "u1": "U1 Persyaratan",
    "u2": "U2 Sistem/Prosedur",
    "u3": "U3 Waktu Penyelesaian",
    "u4": "U4 Biaya/Tarif",
    "u5": "U5 Produk Layanan",
    "u6": "U6 Kompetensi Pelaksana",
    "u7": "U7 Perilaku Pelaksana",
    "u8": "U8 Penanganan Pengaduan",
    "u9": "U9 Sarana dan Prasarana",
}
# NRR of the seed's survey: TW IV's respondents and the year's (TW II and IV pooled)
NRR_TW4 = {"u1": 3.601, "u2": 3.503, "u3": 3.49, "u4": 3.819, "u5": 3.611}
NRR_TW4 |= {"u6": 3.607, "u7": 3.641, "u8": 3.346, "u9": 3.48}
NRR_2024 = {"u1": 3.456, "u2": 3.346, "u3": 3.284, "u4": 3.674, "u5": 3.389}
NRR_2024 |= {"u6": 3.454, "u7": 3.454, "u8": 3.179, "u9": 3.308}


def test_the_year_s_weakest_unsur_is_u8() -> None:
    table = ikm_unsur({"unsur": UNSUR, "nrr": NRR_TW4, "nrr_sd_tw": NRR_2024})
    assert table["dasar"] == "tahun ini"
    assert table["terlemah"] == {
        "kode": "u8",
        "judul": "U8 Penanganan Pengaduan",
        "nrr": 3.346,
        "nrr_sd": 3.179,
    }
    assert [r["kode"] for r in table["baris"]] == [f"u{i}" for i in range(1, 10)]
    assert table["baris"][3] == {
        "kode": "u4",
        "judul": "U4 Biaya/Tarif",
        "nrr": 3.819,
        "nrr_sd": 3.674,
    }


def test_the_year_decides_the_weakest_over_the_quarter() -> None:
    """U3 is the quarter's lowest here, U8 the year's: the year's is named."""
    quarter = NRR_TW4 | {"u3": 3.1}
    table = ikm_unsur({"unsur": UNSUR, "nrr": quarter, "nrr_sd_tw": NRR_2024})
    assert table["terlemah"]["kode"] == "u8"


def test_without_the_year_the_quarter_decides_and_unnamed_unsur_are_upper_case() -> None:
    quarter = {"u1": 3.317, "u2": None, "u8": 3.019, "u9": 3.144}  # u2: no answer
    table = ikm_unsur({"nrr": quarter, "nrr_sd_tw": None})
    assert table["dasar"] == "triwulan ini"
    assert table["terlemah"] == {"kode": "u8", "judul": "U8", "nrr": 3.019, "nrr_sd": None}
    assert [r["judul"] for r in table["baris"]] == ["U1", "U2", "U8", "U9"]


def test_no_survey_names_no_weakest_unsur() -> None:
    table = ikm_unsur({"unsur": UNSUR, "nrr": None, "nrr_sd_tw": None})
    assert table["terlemah"] is None
    assert [(r["nrr"], r["nrr_sd"]) for r in table["baris"]] == [(None, None)] * 9
