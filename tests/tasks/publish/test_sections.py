"""The IKU's verdicts in reading order (issue 17): the year first, the quarter second."""

from __future__ import annotations

from triwulan.tasks.publish.sections import iku_angka, iku_statements

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
