"""validasi.html (per rule: files and rows passed or failed), GX Data Docs, 'Catatan validasi'."""

from __future__ import annotations

import copy
import os
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.tasks.check.test_validate import PERIOD, frame, unit_rows
from tests.tasks.publish.test_report import make_detail, make_levels, make_summary
from triwulan.tasks.check.validate import Validation, load_suite, validate_quarter
from triwulan.tasks.core.limits import ENV_PREFIX
from triwulan.tasks.core.reference import Reference, load_reference, plan_for_quarter
from triwulan.tasks.publish import report_full
from triwulan.tasks.publish import validation_report as vr

BAD_FILE = "perwira <script>alert(1)</script>.xlsx"
VOID = {"meta", "br", "img", "input", "link", "hr", "wbr", "col", "source"}


class Balanced(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def parsed(html: str) -> Balanced:
    parser = Balanced()
    parser.feed(html)
    parser.close()
    assert parser.stack == [], parser.stack
    return parser


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference(PERIOD.tahun)


def quarter(ref: Reference, negative: int = 2) -> tuple[pd.DataFrame, Validation]:
    """perwira: `negative` rows with negative money (from row 2), pagu changed in the next row;
    harapan-jaya clean. The unit name cell of perwira's file is its own."""
    plan = plan_for_quarter(ref, PERIOD.triwulan)
    perwira = unit_rows(plan, "perwira", BAD_FILE)
    width = len(perwira)
    perwira = [dict(perwira[i % width], _row=i + 2) for i in range(max(negative + 1, width))]
    for row in perwira[:negative]:
        row["realisasi_keuangan"] = "-5"
    perwira[negative]["pagu"] = "1"
    clean = unit_rows(plan, "harapan-jaya", "harapan-jaya.xlsx")
    raw = frame(perwira + clean)
    return raw, validate_quarter(raw, ref, PERIOD)


def summary_for(validation: Validation, ref: Reference) -> dict[str, Any]:
    names = dict(zip(ref.units["unit"], ref.units["nama"], strict=True))
    names["perwira"] = "Kelurahan <b>Perwira</b>"
    units = []
    for unit in ref.units["unit"]:
        problems = validation.problems[validation.problems["unit"] == unit]
        units.append(
            {
                "unit": unit,
                "nama": names[unit],
                "status": validation.status.get(unit, "missing"),
                "file": validation.files.get(unit),
                "problems": [
                    {k: (None if pd.isna(r[k]) else r[k]) for k in ("row", "column", "rule",
                     "severity", "message")} for r in problems.to_dict("records")
                ],
            }
        )  # fmt: skip
    return {
        "period": PERIOD.label,
        "version": 2,
        "kecamatan": "Kecamatan Bekasi Utara",
        "generated_at": "2024-07-10T08:15:00+07:00",
        "units": units,
        "unreadable_files": [{"file": "x<img src=y>.xls", "message": "Format .xls <b>"}],
    }


def by_rule(rules: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["rule"]: r for r in rules}


# --- reading messages back ---------------------------------------------------------------------


def test_message_fields() -> None:
    template = "Pagu {value} berbeda dengan data referensi {expected}. Jangan diubah."
    message = "Pagu Rp 1 berbeda dengan data referensi Rp 40.000.000. Jangan diubah."
    assert vr.message_fields(template, message) == {"value": "Rp 1", "expected": "Rp 40.000.000"}
    assert vr.message_fields(template, "Pesan lain.") is None
    assert vr.message_fields("{a} dan {a}", "x dan x") == {"a": "x"}
    assert vr.message_fields("{a} dan {a}", "x dan y") is None
    rest = "… dan 37 baris lain dengan masalah yang sama (baris 5–41)."
    assert vr.message_fields("{value}", rest) is None


# --- per rule ------------------------------------------------------------------------------------


def test_rule_counts_and_failing_rows(ref: Reference) -> None:
    raw, validation = quarter(ref)
    summary = summary_for(validation, ref)
    rows = raw.groupby("_file").size().to_dict()
    suite = load_suite()
    rules = by_rule(vr.rule_summaries(summary, suite, validation.problems, rows))

    # every rule id of the suite, in file order, before anything else
    ids = list(dict.fromkeys(e.rule.rule for e in vr.suite_entries(suite)))
    assert list(rules)[: len(ids)] == ids
    total = len(raw)

    negative = rules["realisasi_keuangan_negatif"]
    files = (negative["files_checked"], negative["files_failed"], negative["files_passed"])
    assert files == (2, 1, 1)
    assert (negative["rows_failed"], negative["rows_checked"]) == (2, total)
    assert negative["rows_passed"] == total - 2
    assert [p["row"] for p in negative["shown"]] == [2, 3]
    assert {p["file"] for p in negative["shown"]} == {BAD_FILE}
    assert negative["shown"][0]["nama"] == "Kelurahan <b>Perwira</b>"

    pagu = rules["pagu_referensi"]
    assert (pagu["files_failed"], pagu["rows_failed"], pagu["rows_passed"]) == (1, 1, total - 1)
    assert [p["row"] for p in pagu["shown"]] == [4]

    clean = rules["tahun_periode"]
    assert (clean["files_passed"], clean["files_failed"], clean["rows_failed"]) == (2, 0, 0)
    assert clean["shown"] == [] and clean["rows_passed"] == total

    # pandas checks name no rows: files only
    assert rules["kolom_wajib"]["rows_failed"] is None
    assert rules["kolom_wajib"]["level_text"] == "per berkas"

    # without row counts: failing rows still counted, passing ones unknown
    plain = by_rule(vr.rule_summaries(summary, suite, validation.problems))
    assert plain["realisasi_keuangan_negatif"]["rows_failed"] == 2
    assert plain["realisasi_keuangan_negatif"]["rows_passed"] is None
    # from summary.json alone (no problem frame): the same counts
    alone = by_rule(vr.rule_summaries(summary, suite, None, rows))
    assert alone["realisasi_keuangan_negatif"]["rows_failed"] == 2


def test_rows_left_out_of_the_list_are_counted(
    ref: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validation lists 3 rows and counts the rest in one line; the report counts all 10."""
    monkeypatch.setenv(ENV_PREFIX + "BARIS_PER_MASALAH", "3")
    raw, validation = quarter(ref, negative=10)
    summary = summary_for(validation, ref)
    rows = raw.groupby("_file").size().to_dict()
    rules = by_rule(vr.rule_summaries(summary, load_suite(), validation.problems, rows, listed=2))
    negative = rules["realisasi_keuangan_negatif"]
    assert negative["rows_failed"] == 10
    assert negative["problem_count"] == 4  # 3 rows and the line counting 7 more
    assert len(negative["shown"]) == 2
    assert negative["more"] == "… dan 2 masalah lain tidak ditampilkan."


def test_problems_of_no_suite_rule_are_kept(ref: Reference) -> None:
    """An unreadable file attached to a unit: listed under its own rule, never 'checked'."""
    _, validation = quarter(ref)
    summary = summary_for(validation, ref)
    perwira = next(u for u in summary["units"] if u["unit"] == "perwira")
    perwira["file"] += ", kedua.xls"
    perwira["problems"].append(
        {"row": None, "column": None, "rule": "berkas_tidak_terbaca", "severity": "warning",
         "message": "Berkas kedua tidak dapat dibaca."}
    )  # fmt: skip
    rules = by_rule(vr.rule_summaries(summary, load_suite()))
    extra = rules["berkas_tidak_terbaca"]
    assert not extra["in_suite"] and extra["rows_failed"] is None
    assert extra["files_passed"] is None  # no file 'passes' a problem found before the rules
    assert extra["problem_count"] == 1 and extra["shown"][0]["nama"] == "Kelurahan <b>Perwira</b>"
    # from summary.json the problem names the unit's whole file cell: kedua.xls counts as seen
    assert rules["tahun_periode"]["files_checked"] == 3
    problems = [{**p, "unit": "perwira", "file": BAD_FILE} for p in perwira["problems"][:-1]]
    problems.append({**perwira["problems"][-1], "unit": "perwira", "file": "kedua.xls"})
    rules = by_rule(vr.rule_summaries(summary, load_suite(), problems))
    assert rules["tahun_periode"]["files_checked"] == 2  # kedua.xls never reached the rules
    assert rules["berkas_tidak_terbaca"]["files_failed"] == 1


# --- validasi.html -------------------------------------------------------------------------------


def test_validation_report_html(ref: Reference, tmp_path: Path) -> None:
    raw, validation = quarter(ref)
    summary = summary_for(validation, ref)
    rows = raw.groupby("_file").size().to_dict()
    docs = tmp_path / "v2" / "data-docs" / "index.html"
    path = vr.write_validation_report(
        tmp_path / "v2", summary, load_suite(), validation.problems, rows, docs
    )
    assert path == tmp_path / "v2" / "validasi.html"
    html = path.read_text(encoding="utf-8")
    assert parsed(html).scripts == 0  # no script at all: nothing a unit typed runs
    # GX's Data Docs are English and blank offline (CDN styles): named for a technician, not linked
    assert 'href="data-docs' not in html and "folder data-docs/" in html
    assert "Pemeriksaan Validasi Berkas Unit" in html and "Triwulan II Tahun 2024" in html
    assert f"{len(raw)} baris data" in html and "2 berkas diperiksa" in html
    assert "perwira &lt;script&gt;alert(1)&lt;/script&gt;.xlsx" in html
    assert "Kelurahan &lt;b&gt;Perwira&lt;/b&gt;" in html and "<b>Perwira" not in html
    assert "x&lt;img src=y&gt;.xls" in html and "<img" not in html
    assert "Realisasi keuangan Rp -5 tidak boleh negatif." in html
    # the summary row of the negative-money rule: 1 of 2 files and 2 rows failed
    at = html.index('<tr data-aturan="realisasi_keuangan_negatif">')
    row = html[at : html.index("</tr>", at)]
    assert "Realisasi keuangan tidak negatif." in row  # the rule in words, not its id
    assert '<span class="bad">1</span>' in row and '<span class="bad">2</span>' in row
    assert f'<span class="ok">{len(raw) - 2}</span>' in row
    assert "Semua berkas lolos aturan ini." in html


def test_validation_report_without_rows_or_docs(ref: Reference) -> None:
    _, validation = quarter(ref)
    html = vr.render_validation_report(summary_for(validation, ref))
    parsed(html)
    assert "data-docs" not in html and "baris data" not in html


# --- GX Data Docs --------------------------------------------------------------------------------


def gx_result() -> Any:
    """A real ExpectationSuiteValidationResult of a tiny frame; failing values carry markup."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    rows = 300
    df = pd.DataFrame(
        {
            "_idx": range(rows),
            "_file": ["<img src=x onerror=alert(1)>.xlsx"] * rows,
            "_row": range(2, rows + 2),
            "realisasi_keuangan": [-5] * (rows - 1) + [10],
            "kendala": ["<script>alert(2)</script>"] * rows,
        }
    )
    batch = (
        context.data_sources.add_pandas("p")
        .add_dataframe_asset("triwulan")
        .add_batch_definition_whole_dataframe("semua")
        .get_batch(batch_parameters={"dataframe": df})
    )
    suite = gx.ExpectationSuite(
        name="pengajuan_uji",
        expectations=[
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="realisasi_keuangan", min_value=0, meta={"rule": "negatif"}
            ),
            gx.expectations.ExpectColumnValuesToBeInSet(column="kendala", value_set=["", "-"]),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="_row"),
        ],
    )
    return batch.validate(
        suite,
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": ["_idx", "_file", "_row"],
        },
    )


def test_data_docs(tmp_path: Path) -> None:
    result = gx_result()
    assert type(result).__name__ == "ExpectationSuiteValidationResult" and not result.success
    index = vr.write_data_docs(tmp_path / "v1", result, "2024-TW2 v1")
    assert index == tmp_path / "v1" / "data-docs" / "index.html"
    assert index.is_file()
    assert "pengajuan_uji" in index.read_text(encoding="utf-8")
    (page,) = (tmp_path / "v1" / "data-docs" / "validations").rglob("*.html")
    text = page.read_text(encoding="utf-8")
    for name in ("realisasi_keuangan", "kendala", "_row"):
        assert name in text
    assert "2024-TW2-v1" in text  # the run, named
    suite_page = tmp_path / "v1" / "data-docs" / "expectations" / "pengajuan_uji.html"
    assert suite_page.is_file() and "realisasi_keuangan" in suite_page.read_text()
    # values a unit typed appear only escaped, and only a bounded sample of the failing rows
    for html in (index.read_text(encoding="utf-8"), text):
        assert "<img src=x" not in html and "<script>alert(2)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.xlsx" in text
    assert "299 unexpected values found" in text
    assert text.count("&lt;img src=x") <= 2 * vr.DOCS_EXAMPLES
    # GX's fonts and images are dropped unless a page uses them
    static = {p.relative_to(index.parent).as_posix() for p in index.parent.rglob("static/**/*")}
    assert {p for p in static if "." in p.rsplit("/", 1)[-1]} <= {"static/images/favicon.ico"}
    # the original result is left as it was
    assert result.results[0].result["unexpected_index_list"][0]["_file"].startswith("<img")


def test_data_docs_none(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert vr.write_data_docs(tmp_path, None) is None
    assert not (tmp_path / "data-docs").exists()
    assert vr.write_data_docs(tmp_path, object()) is None  # not a result: logged, no docs
    assert "Data Docs Great Expectations tidak dibuat" in caplog.text


# --- laporan.html: 'Catatan validasi' and the link to validasi.html ------------------------------


@pytest.fixture
def data() -> dict[str, Any]:
    detail = make_detail()
    return {
        "summary": make_summary(detail),
        "detail": detail,
        "levels": make_levels(detail),
    }


def test_report_validation_notes(data: dict[str, Any]) -> None:
    summary = copy.deepcopy(data["summary"])
    summary["units"][0]["problems"] = [
        {"row": 12, "column": "kendala", "rule": "x", "severity": "warning",
         "message": "Kendala <i>kosong</i> padahal capaian rendah."},
        {"row": 3, "column": "pagu", "rule": "y", "severity": "error", "message": "Tidak tampil."},
    ]  # fmt: skip
    html = report_full.render_full_report(
        summary, data["detail"], data["levels"], validation_report="validasi.html"
    )
    parsed(html)
    start = html.index('id="catatan-validasi"')
    notes = html[start : html.index("<h2", start + 1)]
    # accepted units with warnings only, each warning with its row
    assert "Kecamatan Bekasi Utara" in notes and "Kelurahan Perwira" in notes
    assert "Kendala &lt;i&gt;kosong&lt;/i&gt; padahal capaian rendah." in notes
    assert '<td class="num" data-label="Baris">12</td>' in notes
    assert '<td class="num" data-label="Baris">9</td>' in notes
    assert "Kendala kosong padahal capaian di bawah 50%." in notes
    assert "Tidak tampil." not in notes  # an error is not a note (and the unit is accepted)
    assert "Harapan Jaya" not in notes and "Teluk Pucung" not in notes  # rejected: elsewhere
    assert "lebih rendah dari triwulan lalu" not in notes  # a rejected unit's warning
    assert 'href="validasi.html"' in notes


def test_report_validation_notes_bounded_and_empty(
    data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_full, "REPORT_PROBLEMS", 2)
    summary = copy.deepcopy(data["summary"])
    summary["units"][1]["problems"] = [
        {"row": r, "column": "kendala", "rule": "x", "severity": "warning", "message": f"W{r}."}
        for r in range(2, 12)
    ]
    html = report_full.render_full_report(summary, data["detail"], data["levels"])
    notes = html[html.index('id="catatan-validasi"') :]
    assert "W3." in notes and "W4." not in notes.split("<h2>")[0]
    assert "… dan 8 peringatan lain tidak ditampilkan." in notes
    assert "validasi.html" not in html  # no link unless the run wrote one
    summary["validation_report"] = "validasi.html"
    for unit in summary["units"]:
        unit["problems"] = [p for p in unit["problems"] if p["severity"] != "warning"]
    html = report_full.render_full_report(summary, data["detail"], data["levels"])
    assert "Tidak ada peringatan pada berkas unit yang diterima." in html
    assert 'href="validasi.html"' in html
