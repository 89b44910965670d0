"""The IKU sheets: read from the template and CSV forms, checked by the GX suite, stored."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from triwulan.tasks.check.iku import validate_iku, validate_received
from triwulan.tasks.collect.ingest import read_all
from triwulan.tasks.collect.template import iku_csv_path, write_template
from triwulan.tasks.core.iku_input import csv_columns, sheet_of_header
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import load_reference
from triwulan.tasks.record.database import open_store
from triwulan.tasks.record.iku import iku_digest, load_iku, save_iku

REF = load_reference(2024)
TW2 = Period(2024, 2)
SCORES = ["4", "3", "3", "4", "3", "3", "4", "3", "3"]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _skm(tmp_path: Path, *rows: list[str]) -> Path:
    header = csv_columns(REF, "skm")
    body = [["2024", "2", "kecamatan", *r] for r in rows]
    return _csv(tmp_path / "skm.csv", [header, *body])


def _problems(tmp_path: Path, *paths: Path):  # type: ignore[no-untyped-def]
    received = read_all(list(paths))
    return validate_iku(received.iku, received.sheet_problems, REF, TW2)


def test_csv_forms_are_recognised_by_their_header() -> None:
    assert sheet_of_header(csv_columns(REF, "skm")) == "skm"
    assert sheet_of_header(csv_columns(REF, "zona_k3")) == "zona_k3"
    assert sheet_of_header(csv_columns(REF, "akip")) == "akip"
    assert sheet_of_header(["tahun", "triwulan", "unit", "kode_sub_kegiatan"]) is None


def test_scores_outside_1_to_4_and_empty_scores_are_errors_naming_row_and_column(
    tmp_path: Path,
) -> None:
    path = _skm(
        tmp_path,
        ["R1", "PATEN", "2024-05-02", *SCORES],
        ["R2", "PATEN", "14/05/2024", "5", *SCORES[1:8], ""],
        ["R3", "Legalisasi", "2024-06-30", "0", *SCORES[1:]],
    )
    result = _problems(tmp_path, path)
    found = {(p["row"], p["column"], p["rule"]) for _, p in result.problems.iterrows()}
    assert found == {
        (3, "u1 (sheet skm)", "skor_1_4"),
        (3, "u9 (sheet skm)", "skor_terisi"),
        (4, "u1 (sheet skm)", "skor_1_4"),
    }
    assert set(result.problems["unit"]) == {"kecamatan"}
    assert set(result.problems["severity"]) == {"error"}
    message = result.problems.loc[result.problems["row"] == 3, "message"].iloc[0]
    assert "'5'" in message and "1–4" in message
    assert result.accepted["skm"].empty  # an error rejects the unit's rows


def test_duplicate_respondent_and_date_outside_the_quarter(tmp_path: Path) -> None:
    path = _skm(
        tmp_path,
        ["R1", "PATEN", "2024-05-02", *SCORES],
        ["R1", "PATEN", "2024-07-01", *SCORES],
    )
    problems = _problems(tmp_path, path).problems
    rules = sorted(zip(problems["row"], problems["rule"], strict=True))
    assert rules == [(2, "responden_ganda"), (3, "responden_ganda"), (3, "tanggal_survei")]
    date = problems.loc[problems["rule"] == "tanggal_survei", "message"].iloc[0]
    assert "1 April–30 Juni 2024" in date


def test_zone_of_another_kelurahan_and_bad_status(tmp_path: Path) -> None:
    header = csv_columns(REF, "zona_k3")
    path = _csv(
        tmp_path / "zona.csv",
        [
            header,
            ["2024", "2", "perwira", "4", "Jalan Diklat", "ya", ""],
            ["2024", "2", "perwira", "1", "Jalan Baru Perjuangan", "Ya", ""],  # Marga Mulya's
            ["2024", "2", "perwira", "6", "Jalan KH. Muchtar Tabrani", "mungkin", ""],
        ],
    )
    problems = _problems(tmp_path, path).problems
    rows = dict(zip(problems["rule"], problems["row"], strict=True))
    assert rows == {"zona_dikenal": 3, "status_tertib": 4}
    zone = problems.loc[problems["rule"] == "zona_dikenal", "message"].iloc[0]
    assert "Kelurahan Perwira" in zone and "4, 6, 11" in zone


def test_akip_component_above_its_maximum_and_partly_filled(tmp_path: Path) -> None:
    rows = [csv_columns(REF, "akip")]
    rows += [
        ["2024", "2", "kecamatan", k, v]
        for k, v in [
            ("perencanaan", "31"),
            ("pengukuran", "20,64"),
            ("pelaporan", ""),
            ("evaluasi_internal", "17.37"),
        ]
    ]
    problems = _problems(tmp_path, _csv(tmp_path / "akip.csv", rows)).problems
    assert sorted(zip(problems["row"], problems["rule"], strict=True)) == [
        (2, "nilai_akip_maks"),
        (4, "nilai_akip_terisi"),
    ]
    assert "(30)" in problems.loc[problems["row"] == 2, "message"].iloc[0]


def test_an_all_empty_sheet_means_no_survey_or_evaluation_this_quarter(tmp_path: Path) -> None:
    target = tmp_path / "realisasi-2024-TW2-kecamatan.xlsx"
    write_template(REF, TW2, "kecamatan", target)
    received = read_all([target])
    assert set(received.iku) == {"skm", "akip"}
    result = validate_iku(received.iku, received.sheet_problems, REF, TW2, {target.name: None})
    assert result.problems.empty
    assert all(frame.empty for frame in result.accepted.values())


def test_template_sheets_per_unit_and_csv_form(tmp_path: Path) -> None:
    kel = write_template(REF, TW2, "kaliabang-tengah", tmp_path / "k.xlsx")
    book = load_workbook(kel)
    assert book.sheetnames == ["realisasi", "zona_k3", "petunjuk"]
    zones = [row[0].value for row in book["zona_k3"].iter_rows(min_row=2)]
    assert zones == [5, 7, 8, 9]  # the four zones of Kaliabang Tengah in zona_k3.csv
    office = write_template(REF, TW2, "kecamatan", tmp_path / "c.csv", "csv")
    akip = pd.read_csv(iku_csv_path(office, "akip"), dtype=str, keep_default_na=False)
    assert list(akip.columns) == csv_columns(REF, "akip")
    assert list(akip["komponen"]) == [
        "perencanaan",
        "pengukuran",
        "pelaporan",
        "evaluasi_internal",
    ]
    assert iku_csv_path(office, "skm").is_file()


@pytest.fixture()
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    yield engine
    engine.dispose()


def test_sample_quarter_is_accepted_stored_and_replaced_by_a_correction(
    engine, tmp_path: Path
) -> None:
    inbox = Path(__file__).resolve().parents[3] / "sample" / "inbox" / "2024" / "TW2"
    received = read_all(sorted(inbox.glob("*.xlsx")))
    validation, iku = validate_received(received, REF, TW2, None)
    assert validation.status["kecamatan"] == "accepted"
    assert len(iku.accepted["skm"]) == 312 and len(iku.accepted["akip"]) == 4
    units = {u for u, _ in iku.sent}
    save_iku(engine, 2024, 2, iku.accepted, iku.sent, units, 1)
    stored = load_iku(engine, 2024, 2)
    assert len(stored["skm"]) == 312
    assert round(stored["akip"]["nilai"].sum(), 2) == 72.74
    before = iku_digest(engine, 2024)

    # the kecamatan sends its survey again with one respondent less: its rows are replaced
    skm = iku.accepted["skm"].iloc[1:]
    save_iku(engine, 2024, 2, {"skm": skm}, {("kecamatan", "skm")}, {"kecamatan"}, 2)
    again = load_iku(engine, 2024, 2)
    assert len(again["skm"]) == 311
    assert len(again["akip"]) == 4  # a sheet not sent keeps its rows
    assert iku_digest(engine, 2024) != before


def test_iku_error_rejects_the_whole_file_of_that_unit(tmp_path: Path) -> None:
    target = tmp_path / "realisasi-2024-TW2-perwira.xlsx"
    write_template(REF, TW2, "perwira", target)
    book = load_workbook(target)
    data = book["realisasi"]
    header = [c.value for c in data[1]]
    for row in data.iter_rows(min_row=2):
        row[header.index("realisasi_keuangan")].value = 0
        row[header.index("realisasi_fisik")].value = 50
        row[header.index("realisasi_keluaran")].value = 0
    zona = book["zona_k3"]
    for row in zona.iter_rows(min_row=2):
        row[2].value = "ya"
    zona["C3"] = "barangkali"
    book.save(target)
    validation, iku = validate_received(read_all([target]), REF, TW2, None)
    assert validation.status["perwira"] == "rejected"
    bad = validation.problems[validation.problems["rule"] == "status_tertib"]
    assert list(bad["row"]) == [3] and list(bad["file"]) == [target.name]
    assert validation.accepted.empty


def test_an_unreadable_iku_sheet_is_an_error_of_its_unit_and_the_money_is_still_read(
    tmp_path: Path,
) -> None:
    target = tmp_path / "realisasi-2024-TW2-kecamatan.xlsx"
    write_template(REF, TW2, "kecamatan", target)
    book = load_workbook(target)
    book["skm"]["XFD1048576"] = "x"  # a cell typed far outside any table
    book.save(target)
    received = read_all([target])
    assert received.file_problems == []
    assert len(received.raw) == 25  # the realisasi sheet of the kecamatan
    assert [sheet for sheet, _ in received.sheet_problems] == ["skm"]
    validation, _ = validate_received(received, REF, TW2, None)
    problem = validation.problems[validation.problems["rule"] == "iku_sheet_terbaca"].iloc[0]
    assert problem["unit"] == "kecamatan" and problem["column"] == "(sheet skm)"
    assert "Sheet 'skm'" in problem["message"] and "XFD1048576" in problem["message"]
    assert validation.status["kecamatan"] == "rejected"


def test_an_evaluation_without_all_four_components_is_refused(tmp_path: Path) -> None:
    rows = [csv_columns(REF, "akip"), ["2024", "2", "kecamatan", "perencanaan", "25,5"]]
    result = _problems(tmp_path, _csv(tmp_path / "akip.csv", rows))
    problem = result.problems.iloc[0]
    assert (problem["rule"], problem["unit"]) == ("komponen_akip_lengkap", "kecamatan")
    assert "pengukuran, pelaporan, evaluasi_internal" in problem["message"]
    assert result.accepted["akip"].empty  # never published as a Nilai AKIP of 25,5


def test_a_survey_csv_missing_a_score_column_is_named_not_read_as_realisasi(
    tmp_path: Path,
) -> None:
    header = [c for c in csv_columns(REF, "skm") if c != "u9"]
    path = _csv(
        tmp_path / "skm.csv",
        [header, ["2024", "2", "kecamatan", "R1", "PATEN", "2024-05-02", *SCORES[:8]]],
    )
    received = read_all([path])
    assert received.raw.empty and set(received.iku) == {"skm"}
    problems = _problems(tmp_path, path).problems
    assert list(problems["rule"]) == ["iku_kolom_wajib"]
    assert "u9" in problems["message"].iloc[0]


def test_a_survey_sheet_sent_back_empty_clears_the_stored_respondents(
    engine, tmp_path: Path
) -> None:
    target = tmp_path / "realisasi-2024-TW2-kecamatan.xlsx"
    write_template(REF, TW2, "kecamatan", target)
    book = load_workbook(target)
    for i, row in enumerate(range(2, 5), start=1):
        for col, value in enumerate([f"R{i}", "PATEN", "2024-05-02", *SCORES], start=1):
            book["skm"].cell(row=row, column=col, value=int(value) if value.isdigit() else value)
    book.save(target)
    _, iku = validate_received(read_all([target]), REF, TW2, None)
    save_iku(engine, 2024, 2, iku.accepted, iku.sent, {"kecamatan"}, 1)
    assert len(load_iku(engine, 2024, 2)["skm"]) == 3

    write_template(REF, TW2, "kecamatan", target)  # the same file, survey rows deleted
    _, iku = validate_received(read_all([target]), REF, TW2, None)
    assert ("kecamatan", "skm") in iku.sent
    save_iku(engine, 2024, 2, iku.accepted, iku.sent, {"kecamatan"}, 2)
    assert load_iku(engine, 2024, 2)["skm"].empty


def test_a_header_typed_twice_in_an_iku_sheet_is_that_sheets_problem(tmp_path: Path) -> None:
    target = tmp_path / "realisasi-2024-TW2-perwira.xlsx"
    write_template(REF, TW2, "perwira", target)
    book = load_workbook(target)
    book["zona_k3"]["D1"] = "status_tertib"  # catatan's header overwritten: a column twice
    book.save(target)
    received = read_all([target])
    assert [sheet for sheet, _ in received.sheet_problems] == ["zona_k3"]
    assert "ganda" in received.sheet_problems[0][1].message
    assert len(received.raw) == 4  # the money sheet is read all the same
