"""Reading submission files: every file in the folder is either rows or a named file problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font

from triwulan.tasks.collect.ingest import (
    FileProblem,
    check_inbox,
    collect_quarter,
    find_submissions,
    read_quarter,
    read_submission,
)
from triwulan.tasks.core.errors import TriwulanError

HEADER = ["tahun", "unit", "kode_sub_kegiatan", "realisasi_keuangan", "kendala"]


def xlsx(path: Path, rows: list[list[object]], sheet: str = "realisasi") -> Path:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def one_problem(path: Path) -> str:
    frame, problem = read_submission(path)
    assert problem is not None and problem.file == path.name
    assert frame.empty
    return problem.message


# ---------------------------------------------------------------- files that yield no rows


def test_xlsx_without_sheet_realisasi(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "a.xlsx", [HEADER, [2024, "perwira", "7.01", 5, ""]], sheet="Sheet1")
    message = one_problem(path)
    assert message.startswith("Berkas a.xlsx tidak punya sheet 'realisasi' (ada: Sheet1).")


def test_damaged_xlsx_says_so_without_exception_names(tmp_path: Path) -> None:
    path = tmp_path / "rusak.xlsx"
    path.write_bytes(bytes(range(256)) * 8)  # random bytes named .xlsx
    message = one_problem(path)
    assert message == (
        "Berkas rusak.xlsx rusak atau bukan berkas Excel .xlsx sehingga tidak dapat dibaca. "
        "Simpan ulang sebagai .xlsx (Excel Workbook) lalu kirim lagi."
    )
    assert "Error" not in message


@pytest.mark.parametrize("name", ["lama.xls", "kalk.ods", "makro.xlsm", "x.numbers", "catatan.txt",
                                  "scan.PDF"])  # fmt: skip
def test_unsupported_format_is_reported_not_skipped(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "TW2"
    folder.mkdir()
    (folder / name).write_bytes(b"apa saja")
    assert find_submissions(folder) == [folder / name]
    raw, problems = read_quarter(find_submissions(folder))
    suffix = Path(name).suffix.lower()
    assert raw.empty
    assert problems == [
        FileProblem(
            name,
            f"Berkas {name} berformat {suffix} yang tidak didukung. "
            "Simpan ulang sebagai .xlsx (Excel Workbook) lalu kirim lagi.",
        )
    ]


def test_hidden_and_lock_files_and_subfolders_are_judged_system_files_are_not(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "TW2"
    (folder / "arsip").mkdir(parents=True)
    for name in ("~$a.xlsx", ".~lock.a.xlsx#", ".DS_Store", "Thumbs.db", "desktop.ini"):
        (folder / name).write_bytes(b"x")
    (folder / "arsip" / "lama.xls").write_bytes(b"x")
    good = xlsx(folder / "a.xlsx", [HEADER, [2024, "perwira", "7.01", 5, ""]])
    hidden = xlsx(folder / ".perwira.xlsx", [HEADER, [2024, "perwira", "7.01", 5, ""]])
    no_suffix = folder / "laporan"
    no_suffix.write_bytes(b"x")
    found = find_submissions(folder)
    assert [p.name for p in found] == sorted(
        [".DS_Store", ".perwira.xlsx", ".~lock.a.xlsx#", "a.xlsx", "arsip", "laporan", "~$a.xlsx"]
    )
    assert good in found and hidden in found
    frame, problem = read_submission(hidden)  # a hidden name is read like any other
    assert problem is None and list(frame["unit"]) == ["perwira"]
    assert "tidak berekstensi" in one_problem(no_suffix)
    assert "berkas kunci sementara" in one_problem(folder / "~$a.xlsx")
    assert "berkas kunci sementara" in one_problem(folder / ".~lock.a.xlsx#")
    assert find_submissions(tmp_path / "tidak-ada") == []


def test_csv_with_bom_reads_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(
        "\ufefftahun,unit,kendala\n2024,perwira,Hujan deras\n".encode()
    )  # Excel "CSV UTF-8" writes a BOM
    frame, problem = read_submission(path)
    assert problem is None
    assert frame.loc[0, "tahun"] == "2024" and frame.loc[0, "kendala"] == "Hujan deras"


def test_non_utf8_csv_asks_for_csv_utf8(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("tahun,unit,kendala\n2024,perwira,Cuaca buruk – café\n".encode("cp1252"))
    message = one_problem(path)
    assert message.startswith("Berkas a.csv bukan CSV UTF-8.")
    assert "'CSV UTF-8 (Comma delimited)'" in message


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_repeated_header_is_a_file_problem(tmp_path: Path, suffix: str) -> None:
    rows = [[*HEADER, "Kendala ", "unit"], [2024, "perwira", "7.01", 5, "a", "b", "perwira"]]
    path = tmp_path / f"ganda{suffix}"
    if suffix == ".xlsx":
        xlsx(path, rows)
    else:
        path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n", encoding="utf-8")
    message = one_problem(path)
    assert f"Berkas ganda{suffix} memuat judul kolom ganda:" in message
    assert "'unit' (kolom B dan G)" in message and "'kendala' (kolom E dan F)" in message
    raw, problems = read_quarter([path])
    assert raw.empty and len(problems) == 1


# ---------------------------------------------------------------- rows as the user sees them


def test_trailing_empty_rows_dropped_and_rows_numbered_as_excel_shows(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    book = Workbook()
    ws = book.active
    ws.title = "realisasi"
    ws.append([])  # row 1 left blank: the header is on row 2
    ws.append([*HEADER, None, ""])  # unnamed trailing columns are dropped
    ws.append([2024, "perwira", "7.01", 5, ""])  # row 3
    ws.append([])  # row 4 blank
    ws.append([2024, "perwira", "7.02", "  ", None, "catatan di kolom tanpa judul"])  # row 5
    ws.append([" ", None, "", None, None, "hanya di kolom tanpa judul"])  # row 6: empty row
    for row in range(7, 30):  # formatted but empty rows Excel keeps after deleting content
        ws.cell(row=row, column=1).font = Font(bold=True)
        ws.cell(row=row, column=2).value = " "
    book.save(path)
    frame, problem = read_submission(path)
    assert problem is None
    assert list(frame["_row"]) == [3, 5]
    assert list(frame["kode_sub_kegiatan"]) == ["7.01", "7.02"]
    assert frame.loc[1, "realisasi_keuangan"] == ""
    assert list(frame.columns) == [*HEADER, "_file", "_row", "_kolom"]


def test_sheet_without_rows_is_a_problem(tmp_path: Path) -> None:
    assert one_problem(xlsx(tmp_path / "a.xlsx", [HEADER])) == (
        "Berkas a.xlsx tidak berisi baris data."
    )
    assert "kosong" in one_problem(xlsx(tmp_path / "b.xlsx", []))


def test_each_files_own_header_is_recorded(tmp_path: Path) -> None:
    a = xlsx(tmp_path / "a.xlsx", [[" Tahun", "UNIT", "kendala"], [2024, "perwira", "x"]])
    b = tmp_path / "b.csv"
    b.write_text("tahun,unit,satuan\n2024,marga-mulya,Laporan\n2024,marga-mulya,Unit\n")
    raw, problems = read_quarter([a, b])
    assert problems == []
    assert list(raw.columns) == ["tahun", "unit", "kendala", "satuan", "_file", "_row", "_kolom"]
    by_file = raw.groupby("_file")["_kolom"].unique().to_dict()
    assert list(by_file["a.xlsx"]) == ["tahun|unit|kendala"]
    assert list(by_file["b.csv"]) == ["tahun|unit|satuan"]
    # absent columns read as empty cells, but `_kolom` still tells them apart
    assert list(raw["kendala"]) == ["x", "", ""] and list(raw["_row"]) == [2, 2, 3]


def test_read_quarter_keeps_good_files_and_reports_the_others(tmp_path: Path) -> None:
    good = xlsx(tmp_path / "a.xlsx", [HEADER, [2024, "perwira", "7.01", 5, ""]])
    old = tmp_path / "b.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    raw, problems = read_quarter([good, old])
    assert set(raw["_file"]) == {"a.xlsx"}
    assert [p.file for p in problems] == ["b.xls"]


# ---------------------------------------------------------------- inbox


def test_check_inbox(tmp_path: Path) -> None:
    check_inbox(tmp_path)  # an empty inbox is fine: every unit is then 'belum mengirim'
    for bad in (tmp_path / "tidak-ada", tmp_path / "berkas.txt"):
        if bad.suffix:
            bad.write_text("x")
        with pytest.raises(TriwulanError) as caught:
            check_inbox(bad)
        message = str(caught.value)
        assert message.startswith(f"Folder inbox '{bad}' tidak ada atau tidak dapat dibaca (dicari")
        assert "--inbox" in message and "TRIWULAN_CONFIG" in message


def test_check_inbox_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder without read permission (faked: root may read any folder)."""

    def denied(path: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("triwulan.tasks.collect.ingest.os.scandir", denied)
    with pytest.raises(TriwulanError, match="tidak ada atau tidak dapat dibaca"):
        check_inbox(tmp_path)


def test_semicolon_csv_from_an_indonesian_excel_is_read(tmp_path):
    """Excel with Indonesian regional settings saves 'CSV' with ';' and decimal commas."""
    path = tmp_path / "perwira.csv"
    path.write_text(
        "tahun;triwulan;unit;kode_sub_kegiatan;realisasi_fisik;kendala\n"
        '2024;2;perwira;7.01.02.2.03.0001;82,5;"Hujan; pekerjaan\ntertunda"\n',
        encoding="utf-8",
    )
    frame, problem = read_submission(path)
    assert problem is None
    assert frame.loc[0, "realisasi_fisik"] == "82,5"
    assert frame.loc[0, "kendala"] == "Hujan; pekerjaan\ntertunda"  # a line break inside quotes
    assert frame.loc[0, "_row"] == 2


def test_a_file_that_vanished_before_it_was_kept_is_a_problem_of_that_file(tmp_path: Path) -> None:
    good = xlsx(tmp_path / "a.xlsx", [HEADER, [2024, "perwira", "7.01", 5, ""]])
    gone = tmp_path / "Kel Perwira (terhapus).xlsx"

    def keep(path: Path) -> tuple[str, Path]:
        return "sha-" + path.name, path.resolve(strict=True)  # FileNotFoundError for `gone`

    received = collect_quarter([good, gone], keep)
    assert received.sha256 == {"a.xlsx": "sha-a.xlsx"}
    assert len(received.raw) == 1
    [problem] = received.file_problems
    assert problem.file == gone.name and "hilang dari folder" in problem.message


def test_a_failing_raw_store_fails_the_run_instead_of_blaming_the_file(tmp_path: Path) -> None:
    good = xlsx(tmp_path / "a.xlsx", [HEADER, [2024, "perwira", "7.01", 5, ""]])

    def keep(path: Path) -> tuple[str, Path]:
        raise PermissionError(13, "Permission denied", str(tmp_path / "store" / "raw" / "x"))

    with pytest.raises(PermissionError):
        collect_quarter([good], keep)
