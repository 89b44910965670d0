"""The pre-scan of an xlsx: the fast scan must judge every sheet exactly as the element-by-element
scan it replaced (kept below as the oracle), on the sample, on hostile files and on random XML."""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from defusedxml import ElementTree as SafeET
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.faults import hostile
from triwulan.paths import SAMPLE_DIR
from triwulan.tasks.collect import xlsx_scan
from triwulan.tasks.collect.xlsx_check import inspect_xlsx, sheet_member
from triwulan.tasks.collect.xlsx_scan import (
    SheetScan,
    XlsxRefused,
    _Bounded,
    _NotPlain,
    column_letters,
    parse_ref,
    scan_plain,
    scan_sheet,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LIMITS = [(5000, 100), (300, 12), (20, 5), (1, 1)]
Outcome = tuple[object, ...]


def reference_scan(stream, max_rows: int, max_cols: int) -> SheetScan:  # type: ignore[no-untyped-def]
    """The scan before issue 16 (defusedxml's iterparse, every element built): the oracle."""
    scan = SheetScan()
    row = col = 0
    in_cell = has_formula = has_value = False
    cell_ref = ""
    for event, element in SafeET.iterparse(stream, events=("start", "end")):
        tag = element.tag.rsplit("}", 1)[-1]
        if event == "start":
            if tag == "row":
                r = element.get("r")
                row = int(r) if r and r.isdigit() and len(r) <= 7 else row + 1
                col = 0
            elif tag == "c":
                ref = parse_ref(element.get("r") or "")
                if ref:
                    row, col = ref
                else:
                    col += 1
                in_cell, has_formula, has_value = True, False, False
                cell_ref = f"{column_letters(col)}{row}"
            elif tag == "dimension":
                parsed = parse_ref((element.get("ref") or "").split(":")[-1])
                if parsed:
                    scan.declared_rows, scan.declared_cols = parsed
            continue
        if tag == "f" and in_cell:
            has_formula = True
        elif tag in ("v", "is") and in_cell and (element.text or len(element)):
            has_value = True
        elif tag == "c":
            in_cell = False
            if has_value or has_formula:
                scan.rows, scan.cols = max(scan.rows, row), max(scan.cols, col)
                if scan.rows > max_rows or scan.cols > max_cols:
                    raise XlsxRefused("extent", rows=scan.rows, cols=scan.cols, cell=cell_ref)
            if has_formula:
                scan.formula_count += 1
                if not has_value and len(scan.formulas_without_value) < 5:
                    scan.formulas_without_value.append(cell_ref)
                elif not has_value:
                    scan.formulas_without_value.append("…")
                    scan.formulas_without_value = scan.formulas_without_value[:6]
            element.clear()
        elif tag == "row":
            element.clear()
    return scan


def outcome(run: Callable[[], SheetScan]) -> Outcome:
    """A scan or its refusal; any other exception is 'damaged', as inspect_xlsx says."""
    try:
        scan = run()
    except XlsxRefused as refused:
        return ("refused", refused.kind, sorted(refused.details.items()))
    except Exception:
        return ("damaged",)
    return ("scan", scan)


def both(xml: bytes, rows: int = 5000, cols: int = 100, unpacked: int = 100 << 20) -> None:
    """The new scan says what the reference says."""
    old = outcome(lambda: reference_scan(_Bounded(io.BytesIO(xml), unpacked), rows, cols))
    new = outcome(lambda: scan_sheet(lambda: _Bounded(io.BytesIO(xml), unpacked), rows, cols))
    assert new == old


def is_plain(xml: bytes) -> bool:
    try:
        scan_plain(io.BytesIO(xml), 5000, 100)
    except _NotPlain:
        return False
    return True


def sheet_members(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as book:
        return [book.read(n) for n in book.namelist() if n.startswith("xl/worksheets/sheet")]


def sheet(cells: str, head: str = "", tail: str = "", prolog: str = "") -> bytes:
    return (
        f'{prolog}<worksheet xmlns="{MAIN}">{head}<sheetData>{cells}</sheetData>{tail}</worksheet>'
    ).encode()


def workbook(path: Path, xml: bytes) -> Path:
    """An xlsx whose sheet `realisasi` is exactly `xml`."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships"><sheets><sheet name="realisasi" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        book.writestr("xl/worksheets/sheet1.xml", xml)
    return path


def inspect(path: Path, rows: int = 5000, cols: int = 100) -> SheetScan | None:
    return inspect_xlsx(
        path, "realisasi", max_total=100 << 20, max_ratio=200, max_rows=rows, max_cols=cols
    )[0]


# ---------------------------------------------------------------- the sample and hostile files

SAMPLE_FILES = sorted(SAMPLE_DIR.glob("*/2024/TW*/*.xlsx"))


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_sheet_is_judged_as_before_and_read_fast(path: Path) -> None:
    for xml in sheet_members(path):
        assert is_plain(xml)  # the fast scan takes them: no element is built
        for rows, cols in LIMITS:
            both(xml, rows, cols)


def test_sample_is_all_there() -> None:
    assert len(SAMPLE_FILES) >= 31


def test_hostile_files_of_the_fault_tests_are_judged_as_before(tmp_path: Path) -> None:
    hostile.far_cell(tmp_path / "jauh.xlsx")
    hostile.far_cell(tmp_path / "dekat.xlsx", ref="C3")
    hostile.formula_without_value(tmp_path / "rumus.xlsx")
    hostile.zip_bomb(tmp_path / "bom.xlsx", unpacked_mb=2)
    sample = next(SAMPLE_DIR.glob("inbox/2024/TW1/*Sekretariat*.xlsx"))
    hostile.with_text(sample, tmp_path / "teks.xlsx", "kendala", hostile.INJECTION)
    for name in ("jauh", "dekat", "rumus", "bom", "teks"):
        for xml in sheet_members(tmp_path / f"{name}.xlsx"):
            for rows, cols in [*LIMITS, (1_048_576, 16_384)]:
                both(xml, rows, cols)
            both(xml, unpacked=len(xml) // 2)  # inflating past the limit
    with pytest.raises(XlsxRefused) as far:
        inspect(tmp_path / "jauh.xlsx")
    assert (far.value.kind, far.value.details["cell"]) == ("extent", "XFD1048576")
    assert inspect(tmp_path / "rumus.xlsx").formulas_without_value == ["C2"]  # type: ignore[union-attr]


# ---------------------------------------------------------------- what each guarantee rests on

FORMULAS = "".join(f'<row r="{r}"><c r="A{r}"><f>1+{r}</f></c></row>' for r in range(1, 9))
ODD_SHEETS = {
    "comment hiding a cell": sheet('<!-- <c r="XFD9"><v>1</v></c> --><row r="1"/>'),
    "cdata": sheet(
        '<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[<c r="Z9">]]></t></is></c></row>'
    ),
    "empty cdata": sheet('<row r="1"><c r="A1"><v><![CDATA[]]></v></c></row>'),
    "processing instruction": sheet('<?pi <c r="Z9"><v>1</v></c>?><row r="1"/>'),
    "xml declaration": sheet(
        '<row r="1"><c r="B2"><v>1</v></c></row>',
        prolog='<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n',
    ),
    "latin-1": sheet(
        '<row r="1"><c r="B2"><v>1</v></c></row>',
        prolog='<?xml version="1.0" encoding="ISO-8859-1"?>',
    ),
    "utf-16": (
        '<?xml version="1.0" encoding="UTF-16"?>'
        + sheet('<row r="1"><c r="XFD9"><v>1</v></c></row>').decode()
    ).encode("utf-16"),
    "bom": b"\xef\xbb\xbf" + sheet('<row r="1"><c r="XFD9"><v>1</v></c></row>'),
    "doctype without entities": sheet(
        '<row r="1"><c r="B2"><v>1</v></c></row>', prolog="<!DOCTYPE worksheet>"
    ),
    "entity declared": sheet(
        "<row r='1'><c r='A1'><v>&x;</v></c></row>", prolog='<!DOCTYPE w [<!ENTITY x "1">]>'
    ),
    "billion laughs": sheet(
        "", prolog='<!DOCTYPE w [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    ),
    "external entity": sheet(
        "<row><c><v>&x;</v></c></row>",
        prolog='<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ),
    "external dtd": sheet(
        "<row><c><v>&x;</v></c></row>", prolog='<!DOCTYPE w SYSTEM "http://example.org/w.dtd">'
    ),
    "parameter entity": sheet(
        '<row r="1"><c r="A1"><v>1</v></c></row>', prolog="<!DOCTYPE w [%p;]>"
    ),
    "undefined entity": sheet('<row r="1"><c r="A1"><v>&nope;</v></c></row>'),
    "character references": sheet('<row r="1"><c r="&#65;&#57;"><v>&#49;</v></c></row>'),
    "nested cell": sheet('<row r="1"><c r="A1"><c r="Z9"><f>1</f></c><v>2</v></c></row>'),
    "nested cell after value": sheet(
        '<row r="1"><c r="Z9"><v>1</v><c r="A1"><v>1</v></c></c></row>'
    ),
    "row inside a cell": sheet('<row r="1"><c r="A1"><v>1</v><row r="9999999"/></c></row>'),
    "row before value": sheet('<row r="1"><c r="A1"><row r="9"/><v>1</v></c></row>'),
    "prefixed cell": sheet('<row r="1"><x:c xmlns:x="urn:x" r="XFD5"><x:v>1</x:v></x:c></row>'),
    "prefixed value": sheet('<row r="1"><c r="B5"><x:v xmlns:x="urn:x">1</x:v></c></row>'),
    "prefixed formula outside cells": sheet(
        '<row r="1"><c r="B5"><v>1</v></c></row>',
        tail='<extLst><x:f xmlns:x="urn:x">A1</x:f></extLst>',
    ),
    "unbound prefix": sheet('<row r="1"><x:c r="A1"/></row>'),
    "cells without r": sheet(
        "<row><c><v>1</v></c><c/><c><v>2</v></c></row><row><c><f>1</f></c></row>"
    ),
    "row number from cell": sheet('<row r="5"><c r="C7"/></row><row><c><v>1</v></c></row>'),
    "lower-case and dollar refs": sheet(
        '<row r="1"><c r="c$3"><v>1</v></c><c r=" D4 "><v>1</v></c></row>'
    ),
    "invalid refs": sheet(
        '<row r="x"><c r="AAAA1"><v>1</v></c><c r="A12345678"><v>1</v></c></row>'
    ),
    "other digits in row": sheet('<row r="²"><c r="A1"><v>1</v></c></row>'),
    "arabic digits in row": sheet('<row r="٣"><c><v>1</v></c></row>'),
    "gt in attribute": sheet('<row r="1"><c r="A1" x="a>b"/><c r="B1" x=">"><v>1</v></c></row>'),
    "gt hides self-closing": sheet(
        '<row r="1"><c r="XFD1" x="a>"/></row>', tail="<extLst><v>1</v></extLst>"
    ),
    "gt in text": sheet('<row r="1"><c r="B1" t="inlineStr"><is><t>a > b</t></is></c></row>'),
    "single quotes": sheet("<row r='1'><c r='Z1' s='1'><v>1</v></c></row>"),
    "blanks in tags": sheet('<row r="1"><c  r = "Z2" ><v >1</v ></c ></row>'),
    "pretty printed": sheet(
        '\n  <row r="1">\n    <c r="B1">\n      <v>1</v>\n    </c>\n  </row>\n'
    ),
    "whitespace value": sheet('<row r="1"><c r="C1"><v> </v></c><c r="D1"><is> </is></c></row>'),
    "empty values": sheet(
        '<row r="1"><c r="Z1"><v></v></c><c r="Y1"><v/></c><c r="X1"><is/></c><c r="W1"><is></is></c></row>'
    ),
    "empty then full": sheet('<row r="1"><c r="Z1"><v></v><is><t/></is></c></row>'),
    "value with child": sheet('<row r="1"><c r="Z1"><v><x/></v></c></row>'),
    "value with comment": sheet('<row r="1"><c r="Z1"><v><!-- --></v></c></row>'),
    "value outside cells": sheet('<row r="1"><v>1</v><c r="B1"/></row>'),
    "formula without value": sheet(
        '<row r="1"><c r="B1"><f>SUM(A1)</f></c><c r="C1"><f>1</f><v>3</v></c><c r="D1"><f/></c></row>'
    ),
    "many formulas": sheet(FORMULAS),
    "formula outside cells": sheet('<row r="1"><f>1</f><c r="B1"/></row>'),
    "dimension": sheet("", head='<dimension ref="A1:XFD1048576"/>'),
    "dimension odd": sheet("", head="<dimension ref='B$3:$c9'/><dimension/><dimension ref=\"x\"/>"),
    "dimension with entity": sheet("", head='<dimension ref="A1:&#67;9"/>'),
    "dimension in a cell": sheet(
        '<row r="1"><c r="B1"><dimension ref="A1:Z99"/><v>1</v></c></row>'
    ),
    "truncated": sheet('<row r="1"><c r="A1"><v>1</v></c></row>')[:-30],
    "far cell then damage": sheet('<row r="1"><c r="XFD1"><v>1</v></c></row><bad'),
    "damage then far cell": sheet(
        '<row r="1"><c r="A1"><v>1</v></c></row><x></y><row r="2"><c r="XFD1"><v>1</v></c></row>'
    ),
    "not xml": b"\x00\x01garbage",
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(ODD_SHEETS))
def test_odd_and_hostile_sheet_xml_is_judged_as_before(name: str) -> None:
    for rows, cols in LIMITS:
        both(ODD_SHEETS[name], rows, cols)


EXCEL_LIKE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    f'<worksheet xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
    'mc:Ignorable="x14ac"><dimension ref="A1:D3"/><sheetData>'
    '<row r="1" spans="1:4" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c>'
    '<c r="B1" s="2"/><c r="D1" t="s"><v>1</v></c></row>'
    '<row r="2" spans="1:4" s="3" customFormat="1"/>'
    '<row r="3" spans="1:4"><c r="A3"><f>SUM(B3:C3)</f><v>7</v></c><c r="B3"><v>3</v></c>'
    '<c r="C3" t="str"><f t="shared" ref="C3:C3" si="0">B3&amp;"x"</f><v>3x</v></c></row>'
    '</sheetData><extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14="http:'
    '//schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:dataValidations count="1" '
    'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:dataValidation '
    'type="list"><x14:formula1><xm:f>daftar!$A$1:$A$9</xm:f></x14:formula1><xm:sqref>D2:D9'
    "</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst></worksheet>"
).encode()


def test_a_sheet_as_excel_writes_it_takes_the_fast_scan() -> None:
    assert is_plain(EXCEL_LIKE)
    for rows, cols in LIMITS:
        both(EXCEL_LIKE, rows, cols)


def test_only_plain_sheets_take_the_fast_scan() -> None:
    assert is_plain(ODD_SHEETS["xml declaration"]) and is_plain(ODD_SHEETS["formula without value"])
    for name in (
        "comment hiding a cell",
        "nested cell",
        "gt in attribute",
        "utf-16",
        "prefixed cell",
    ):
        assert not is_plain(ODD_SHEETS[name]), name


def test_entities_are_refused_as_damaged(tmp_path: Path) -> None:
    for name in ("entity declared", "billion laughs", "external entity", "undefined entity"):
        with pytest.raises(XlsxRefused) as refused:
            inspect(workbook(tmp_path / f"{name}.xlsx", ODD_SHEETS[name]))
        assert refused.value.kind == "damaged", name


def test_a_far_cell_hidden_behind_styled_blank_rows_is_still_found(tmp_path: Path) -> None:
    blank = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{c}{r}" s="3"/>' for c in "ABCDEFGHIJKL") + "</row>"
        for r in range(2, 3000)
    )
    xml = sheet(blank + '<row r="3000"><c r="A3000" s="3"/><c r="CW3000"><v>1</v></c></row>')
    assert len(xml) > 20 * 16 * 1024 and is_plain(sheet(blank))  # many chunks, fast path
    for rows, cols in LIMITS:
        both(xml, rows, cols)
    with pytest.raises(XlsxRefused) as refused:
        inspect(workbook(tmp_path / "a.xlsx", xml), cols=100)
    assert refused.value.details == {"rows": 3000, "cols": 101, "cell": "CW3000"}


def test_a_cell_longer_than_the_carry_limit_is_scanned_element_by_element() -> None:
    long_text = "x" * 2 * xlsx_scan._CARRY_MAX
    xml = sheet(f'<row r="1"><c r="B1" t="inlineStr"><is><t>{long_text}</t></is></c></row>')
    assert not is_plain(xml)
    both(xml)


def test_a_cell_cut_at_every_chunk_boundary_is_judged_whole() -> None:
    """Cells of every length so that each boundary of the 16 KiB reads falls inside one."""
    for pad in range(0, 64, 7):
        cells = "".join(
            f'<row r="{r}"><c r="A{r}" s="1"/><c r="B{r}" t="inlineStr"><is><t>{"y" * (r % 97 + pad)}'
            f'</t></is></c><c r="C{r}"><f>1</f></c><c r="D{r}" s="2"></c></row>'
            for r in range(1, 700)
        )
        for rows, cols in LIMITS:
            both(sheet(cells), rows, cols)


# ---------------------------------------------------------------- the workbook's sheets


def reference_member(book: zipfile.ZipFile, sheet: str) -> tuple[str | None, list[str]]:
    """sheet_member before issue 16 (defusedxml's ElementTree): the oracle."""
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    strict = "http://purl.oclc.org/ooxml/officeDocument/relationships"
    workbook = SafeET.fromstring(book.read("xl/workbook.xml"))
    rels = SafeET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    local = lambda tag: tag.rsplit("}", 1)[-1]  # noqa: E731
    targets = {r.get("Id"): r.get("Target", "") for r in rels if local(r.tag) == "Relationship"}
    names, member = [], None
    for element in workbook.iter():
        if local(element.tag) != "sheet":
            continue
        names.append(element.get("name", ""))
        rid = element.get(f"{{{office}}}id") or element.get(f"{{{strict}}}id")
        target = targets.get(rid, "")
        if element.get("name", "").strip().lower() == sheet and target:
            member = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
    return member, names


def member_outcome(
    find: Callable[[zipfile.ZipFile, str], tuple[str | None, list[str]]],
    book: zipfile.ZipFile,
    sheet: str,
) -> Outcome:
    try:
        return ("found", find(book, sheet))
    except Exception:
        return ("damaged",)


REL = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKBOOKS = {
    "strict": (
        '<workbook xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main" xmlns:r="http://purl.oclc'
        '.org/ooxml/officeDocument/relationships"><sheets><sheet name=" Realisasi " r:id="a"/>'
        '<sheet name="skm" r:id="b"/></sheets></workbook>',
        f'<Relationships xmlns="{REL}"><Relationship Id="a" Target="/xl/w/s1.xml"/>'
        '<Relationship Id="b" Target="../x/s2.xml"/></Relationships>',
    ),
    "prefixed, nested, unknown id": (
        f'<x:workbook xmlns:x="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships"><x:sheets><x:sheet name="realisasi" r:id="a"/><x:sheet name="akip" '
        'r:id="zz"/><x:sheet/></x:sheets></x:workbook>',
        f'<Relationships xmlns="{REL}"><Relationship Id="a" Target="worksheets/sheet1.xml"/>'
        '<Group><Relationship Id="zz" Target="nested.xml"/></Group></Relationships>',
    ),
    "entity": (
        '<!DOCTYPE w [<!ENTITY e "realisasi">]><workbook><sheet name="&e;"/></workbook>',
        f'<Relationships xmlns="{REL}"/>',
    ),
    "not xml": ("<workbook>", f'<Relationships xmlns="{REL}"/>'),
}


@pytest.mark.parametrize("name", sorted(WORKBOOKS))
def test_sheets_of_a_workbook_are_found_as_before(name: str) -> None:
    workbook_xml, rels_xml = WORKBOOKS[name]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("xl/workbook.xml", workbook_xml)
        book.writestr("xl/_rels/workbook.xml.rels", rels_xml)
    with zipfile.ZipFile(buffer) as book:
        for sheet in ("realisasi", "skm", "akip"):
            new = member_outcome(lambda b, s: sheet_member(b, s, 1 << 20), book, sheet)
            assert new == member_outcome(reference_member, book, sheet)


def test_sheets_of_every_sample_workbook_are_found_as_before() -> None:
    for path in SAMPLE_FILES:
        with zipfile.ZipFile(path) as book:
            for sheet in ("realisasi", "skm", "akip", "zona_k3", "petunjuk", "x"):
                assert sheet_member(book, sheet, 1 << 20) == reference_member(book, sheet)


# ---------------------------------------------------------------- random XML

NAMES = ["c", "v", "is", "t", "f", "row", "x:c", "x:v", "dimension", "extLst", "r"]
ATTRS = ['r="A1"', 'r="XFD9"', 'r="b2"', 'r="C99999"', 'r="7"', 'r="&#65;3"', 's="1"', "r='D4'",
         'x="a>b"', 'ref="A1:Z9"', 'ref="Q7"', 'r="²"', 't="n"']  # fmt: skip
TEXTS = ["", "1", " ", "&amp;", "<!-- c -->", "<![CDATA[]]>", "<![CDATA[x]]>", "<?p?>", "a>b"]


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(st.sampled_from(NAMES))
    attrs = " ".join(draw(st.lists(st.sampled_from(ATTRS), max_size=2, unique=True)))
    head = f"<{name}{' ' if attrs else ''}{attrs}"
    if depth > 3 or draw(st.booleans()) and draw(st.booleans()):
        return head + "/>"
    children = draw(st.lists(st.one_of(st.sampled_from(TEXTS), elements(depth + 1)), max_size=4))
    return f"{head}>{''.join(children)}</{name}>"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.lists(elements(), max_size=8),
    cut=st.integers(min_value=0, max_value=400),
    limit=st.sampled_from(LIMITS),
    padding=st.sampled_from([0, 16 * 1024 - 90, 16 * 1024 - 60]),
)
def test_random_sheet_xml_is_judged_as_before(
    body: list[str], cut: int, limit: tuple[int, int], padding: int
) -> None:
    xml = sheet("".join(body), head=f'<sheetPr a="{"p" * padding}"/>').replace(
        b"<worksheet ", b'<worksheet xmlns:x="urn:x" '
    )
    both(xml, *limit)
    both(xml[: len(xml) - cut], *limit)  # damaged: cut short
