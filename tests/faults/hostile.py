"""Hostile and unlucky inputs, generated in the test (no large binaries in the repository)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl

INJECTION = '=HYPERLINK("http://evil.example","klik")'
# Root reads and writes any file, so permission faults are not real for it. The CLI runs with
# the two capabilities that grant this dropped: then mode bits apply to it as to any other user.
NO_DAC = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]


def as_other_user() -> bool:
    """True when permission faults can be made real (root, with setpriv to drop its override)."""
    return os.geteuid() != 0 or shutil.which("setpriv") is not None


def cli_env(root: Path, **extra: str) -> dict[str, str]:
    """The environment of a `triwulan` process under test: no TRIWULAN_/PREFECT_ setting of the
    caller leaks in, and Prefect's home is the test's own."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TRIWULAN_", "PREFECT_"))},
        "HOME": str(root),
        "PREFECT_HOME": str(root / ".prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        **extra,
    }


def run_cli(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300):
    """`triwulan ARGS` in a fresh process; as root, without the power to ignore file modes."""
    full = cli_env(cwd, **env)
    prefix = NO_DAC if os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "triwulan.cli", *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --- processes seen through /proc (Linux) ---------------------------------------------------


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def descendants(pid: int) -> list[int]:
    found, todo = [], children(pid)
    while todo:
        child = todo.pop()
        found.append(child)
        todo += children(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Running and not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def sheet_rows(path: Path) -> list[list[object]]:
    sheet = openpyxl.load_workbook(path, data_only=True)["realisasi"]
    return [list(r) for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]


def to_csv(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def with_huge_number(source: Path, target: Path, column: str, digits: int = 5000) -> int:
    """The submission as CSV with one whole-number cell of `digits` digits; returns its row."""
    rows = sheet_rows(source)
    col = rows[0].index(column)
    rows[1][col] = "9" * digits
    target.write_text(to_csv(rows), encoding="utf-8")
    return 2


def with_text(source: Path, target: Path, column: str, text: str) -> None:
    """The submission with `text` in a text column, stored as a string cell (as Excel does)."""
    book = openpyxl.load_workbook(source)
    sheet = book["realisasi"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index(column) + 1)
    cell.value = text
    cell.data_type = "s"
    book.save(target)


def far_cell(target: Path, ref: str = "XFD1048576") -> None:
    """A small sheet with one more cell at the very last cell Excel has."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "realisasi"
    sheet.append(["tahun", "unit"])
    sheet.append([2024, "perwira"])
    sheet[ref] = "x"
    book.save(target)


def formula_without_value(target: Path) -> None:
    """openpyxl stores formulas without a cached value (Excel never computed them)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "realisasi"
    sheet.append(["tahun", "unit", "realisasi_keuangan"])
    sheet.append([2024, "perwira", "=1000*5"])
    book.save(target)


def zip_bomb(target: Path, unpacked_mb: int = 300) -> None:
    """An xlsx whose sheet inflates from ~300 KB to `unpacked_mb` MB of whitespace."""
    workbook = (
        '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="realisasi" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    rels = (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    )
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("xl/workbook.xml", workbook)
        book.writestr("xl/_rels/workbook.xml.rels", rels)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            block = b" " * (1 << 20)
            for _ in range(unpacked_mb):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")


def encrypted(source: Path, target: Path, password: str = "rahasia") -> None:
    """A really password-protected workbook (Excel's 'Encrypt with Password')."""
    import msoffcrypto.format.ooxml as ooxml

    with source.open("rb") as plain, target.open("wb") as out:
        ooxml.OOXMLFile(plain).encrypt(password, out)
