"""The mail to a rejected unit, as built and archived for real: problems, attachments, address."""

from __future__ import annotations

import email
import hashlib
import io
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from tests.tasks.check.test_validate import PERIOD, frame, unit_rows
from triwulan.tasks.check.problem_details import with_details
from triwulan.tasks.check.validate import load_suite, validate_quarter
from triwulan.tasks.collect.ingest import SHEET
from triwulan.tasks.core.reference import Reference, load_reference, plan_for_quarter
from triwulan.tasks.record.store import raw_path
from triwulan.tasks.send import mails
from triwulan.tasks.send.deliver import deliver
from triwulan.tasks.send.mails import content_key, secretariat_address, unit_feedback_mails

UNIT = "perwira"
FILE = "Realisasi TW2 Kel Perwira.xlsx"
ORIGINAL = b"PK\x03\x04 bytes exactly as the unit sent them \x00\xff" * 50
HOSTILE_NAME = "Kelurahan <script>alert('x')</script> Perwira"


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference(PERIOD.tahun)


@pytest.fixture(scope="module")
def problems(ref: Reference) -> list[dict[str, Any]]:
    """Real problem records of one faulty file: errors and a warning, in validation's order."""
    plan = plan_for_quarter(ref, PERIOD.triwulan)
    rows = unit_rows(plan, UNIT, FILE)
    rows[0]["realisasi_fisik"] = "0"  # row 2: money spent, fisik 0 -> warning
    rows[1]["realisasi_keuangan"] = "-5"  # row 3: negative -> error
    rows[2]["pagu"] = "1"  # row 4: pagu changed -> error, reference value expected
    rows[3]["realisasi_fisik"] = "<b>delapan</b>"  # row 5: not a number -> error
    found = validate_quarter(frame(rows), ref, PERIOD).problems
    records = found[found["unit"] == UNIT].to_dict("records")
    assert {p["severity"] for p in records} == {"error", "warning"}
    return [{k: p[k] for k in ("row", "column", "rule", "severity", "message")} for p in records]


def summary_of(problems: list[dict[str, Any]], name: str = HOSTILE_NAME) -> dict[str, Any]:
    # the warning first: the mail must still list errors before it
    ordered = sorted(problems, key=lambda p: p["severity"] != "warning")
    return {
        "period": PERIOD.label,
        "version": 1,
        "kecamatan": "Kecamatan Bekasi Utara",
        "units": [
            {"unit": "kecamatan", "nama": "Kecamatan", "status": "accepted", "file": "k.xlsx",
             "problems": []},
            {"unit": UNIT, "nama": name, "status": "rejected", "file": FILE, "problems": ordered},
            {"unit": "marga-mulya", "nama": "Kelurahan Marga Mulya", "status": "missing",
             "file": None, "problems": []},
        ],
    }  # fmt: skip


@pytest.fixture
def raw_store(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A raw store holding the unit's file by its sha256, as keep_raw leaves it (read-only)."""
    raw_dir = tmp_path / "store" / "raw"
    sha = hashlib.sha256(ORIGINAL).hexdigest()
    kept = raw_path(raw_dir, sha, ".xlsx")
    kept.parent.mkdir(parents=True)
    kept.write_bytes(ORIGINAL)
    kept.chmod(0o444)
    return raw_dir, {FILE: sha}


@pytest.fixture(autouse=True)
def _no_configured_secretariat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIWULAN_SEKRETARIAT", raising=False)


def archived(mail: mails.Mail, outbox: Path) -> EmailMessage:
    """The mail as deliver() archives it offline (.eml), parsed back."""
    (result,) = deliver([mail], outbox, None)
    assert result.status == "disimpan"
    return email.message_from_bytes(result.eml.read_bytes(), policy=policy.default)


def attachments(message: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def test_feedback_mail_as_archived(
    ref: Reference,
    problems: list[dict[str, Any]],
    raw_store: tuple[Path, dict[str, str]],
    tmp_path: Path,
) -> None:
    raw_dir, shas = raw_store
    (mail,) = unit_feedback_mails(
        ref,
        PERIOD,
        summary_of(problems),
        shas,
        raw_dir=raw_dir,
        attachments_dir=tmp_path / "lampiran",
    )
    message = archived(mail, tmp_path / "outbox")
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()

    # two attachments: the unit's own bytes under its own name, and a fresh template
    files = attachments(message)
    template_name = f"realisasi-{PERIOD.label}-{UNIT}.xlsx"
    assert set(files) == {FILE, template_name}
    assert files[FILE] == ORIGINAL
    sheet = openpyxl.load_workbook(io.BytesIO(files[template_name]))[SHEET]
    header = [c.value for c in sheet[1]]
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if any(r)]
    plan = plan_for_quarter(ref, PERIOD.triwulan)
    codes = {r[header.index("kode_sub_kegiatan")] for r in rows}
    assert codes == set(plan.loc[plan["unit"] == UNIT, "kode_sub_kegiatan"])
    assert {r[header.index("unit")] for r in rows} == {UNIT}
    for name in (FILE, template_name):
        assert name in html and name in text

    # errors first, then warnings, each with row, column, value found and what is accepted
    errors_at = html.index("Kesalahan yang harus diperbaiki")
    warnings_at = html.index("Peringatan (tidak menyebabkan penolakan)")
    assert errors_at < warnings_at
    warning = next(p for p in problems if p["severity"] == "warning")
    assert html.index(warning["message"].split(" ")[0], warnings_at) > warnings_at
    for p in problems:
        if p["severity"] == "error" and p["row"] is not None:
            assert errors_at < html.index(f"Baris {p['row']} ") < warnings_at
    assert text.index("Kesalahan yang harus") < text.index("Peringatan (tidak")
    assert "Isian di berkas" in html and "Yang diterima" in html
    pagu = next(p for p in with_details(problems, load_suite()) if p["rule"] == "pagu_referensi")
    assert pagu["isian"] == "Rp 1" and pagu["diterima"].startswith("Rp ")
    assert f"isian: Rp 1; yang diterima: {pagu['diterima']}" in text

    # where the corrected file goes
    (address,) = secretariat_address(ref)
    assert address == "sekretariat.bekasiutara@example.go.id"
    assert f"mailto:{address}" in html and address in text
    assert "perbaiki berkas lalu kirim ulang ke sekretariat" in html

    # nothing a unit typed, nor a name from the reference, is markup
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>delapan" not in html and "&lt;b&gt;delapan" in html
    assert message["To"] == "kel.perwira@example.go.id"


def test_key_ignores_attachments(
    ref: Reference,
    problems: list[dict[str, Any]],
    raw_store: tuple[Path, dict[str, str]],
    tmp_path: Path,
) -> None:
    """Same file and problems, same key: with or without attachments, in any folder, any time."""
    raw_dir, shas = raw_store
    summary = summary_of(problems)
    plain = unit_feedback_mails(ref, PERIOD, summary, shas)
    first = unit_feedback_mails(
        ref, PERIOD, summary, shas, raw_dir=raw_dir, attachments_dir=tmp_path / "a"
    )
    again = unit_feedback_mails(
        ref, PERIOD, summary, shas, raw_dir=raw_dir, attachments_dir=tmp_path / "b"
    )
    assert plain[0].attachments == []
    assert len(first[0].attachments) == 2
    expected = content_key({"sha256": [shas[FILE]], "problems": summary["units"][1]["problems"]})
    assert plain[0].key == first[0].key == again[0].key == f"{PERIOD.label}/unit/{UNIT}/{expected}"
    changed = summary_of(problems[1:])
    assert unit_feedback_mails(ref, PERIOD, changed, shas)[0].key != plain[0].key


def test_too_large_original_is_named_not_attached(
    ref: Reference,
    problems: list[dict[str, Any]],
    raw_store: tuple[Path, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw_dir, shas = raw_store
    body = mails._encoded(("x", "x"))  # noqa: SLF001
    # room for the template (~12 KB) but not for the original as well
    monkeypatch.setattr(mails, "FEEDBACK_MAIL_BUDGET", 200_000 + body)
    big = raw_path(raw_dir, shas[FILE], ".xlsx")
    big.chmod(0o644)
    big.write_bytes(ORIGINAL * 1_000)  # ~2.4 MB
    (mail,) = unit_feedback_mails(
        ref, PERIOD, summary_of(problems), shas, raw_dir=raw_dir, attachments_dir=tmp_path / "l"
    )
    message = archived(mail, tmp_path / "outbox")
    assert set(attachments(message)) == {f"realisasi-{PERIOD.label}-{UNIT}.xlsx"}
    html = message.get_body(("html",)).get_content()
    assert f"{FILE}: berkas yang Bapak/Ibu kirim tidak dilampirkan karena terlalu besar" in html
    assert len(message.as_bytes()) < 2 << 20


def test_original_name_cannot_leave_the_folder(
    ref: Reference, problems: list[dict[str, Any]], tmp_path: Path
) -> None:
    """A file name is the unit's choice: it names the attachment, never a path outside."""
    raw_dir = tmp_path / "raw"
    sha = hashlib.sha256(ORIGINAL).hexdigest()
    kept = raw_path(raw_dir, sha, ".xlsx")
    kept.parent.mkdir(parents=True)
    kept.write_bytes(ORIGINAL)
    name = "../../keluar.xlsx"
    summary = summary_of(problems)
    summary["units"][1]["file"] = name
    target = tmp_path / "lampiran"
    (mail,) = unit_feedback_mails(
        ref, PERIOD, summary, {name: sha}, raw_dir=raw_dir, attachments_dir=target
    )
    assert not (tmp_path / "keluar.xlsx").exists()
    names = {p.name for p in mail.attachments}
    assert "keluar.xlsx" in names
    assert all(p.resolve().is_relative_to(target.resolve()) for p in mail.attachments)


def test_raw_dir_needs_attachments_dir(ref: Reference, problems: list[dict[str, Any]]) -> None:
    with pytest.raises(ValueError, match="attachments_dir"):
        unit_feedback_mails(ref, PERIOD, summary_of(problems), {}, raw_dir=Path("/nonexistent"))


def test_configured_secretariat_address(
    ref: Reference, problems: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIWULAN_SEKRETARIAT", "rfk@bekasiutara.example.go.id")
    (mail,) = unit_feedback_mails(ref, PERIOD, summary_of(problems), {})
    assert "mailto:rfk@bekasiutara.example.go.id" in mail.html
    assert "rfk@bekasiutara.example.go.id" in mail.text
    assert "sekretariat.bekasiutara@example.go.id" not in mail.html


def test_problems_not_from_a_rule_still_listed(ref: Reference) -> None:
    """A line counting further rows, or a file problem, has no value to read back: '-'."""
    problems = [
        {"row": None, "column": "realisasi_keuangan", "rule": "realisasi_keuangan_negatif",
         "severity": "error", "message": "… dan 37 baris lain dengan masalah yang sama (baris 5–41)."},
        {"row": None, "column": None, "rule": "berkas_tidak_terbaca", "severity": "error",
         "message": "Berkas rusak."},
    ]  # fmt: skip
    (mail,) = unit_feedback_mails(ref, PERIOD, summary_of(problems, "Kelurahan Perwira"), {})
    assert "… dan 37 baris lain" in mail.html and "Berkas rusak." in mail.html
    assert "Seluruh berkas" in mail.html
    assert "isian:" not in mail.text


def test_problem_frame_columns_unchanged(problems: list[dict[str, Any]]) -> None:
    """Details are derived for the mail only; problem records keep their fields."""
    detailed = with_details(problems, load_suite())
    assert all({"isian", "diterima"} <= set(p) for p in detailed)
    assert all(set(p) == {"row", "column", "rule", "severity", "message"} for p in problems)
    assert list(pd.DataFrame(problems).columns) == ["row", "column", "rule", "severity", "message"]
