"""The pure builders of reminders, the secretariat's list and acknowledgements."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from pathlib import Path

import pandas as pd
import pytest

from triwulan.tasks.check.validate import PROBLEM_COLUMNS
from triwulan.tasks.core.period import WIB, Period
from triwulan.tasks.core.reference import Reference, load_reference
from triwulan.tasks.core.schedule import Schedule
from triwulan.tasks.send.acknowledgement import acknowledgement_mails
from triwulan.tasks.send.notices import (
    REMINDER_PROBLEMS,
    UnitState,
    addresses,
    deadline,
    deadline_text,
    fill_columns,
    reminder_mail,
    secretariat_mail,
    unit_states,
)

TW2 = Period(2024, 2)
SCHEDULE = Schedule(day=10, hour=8, minute=0, reminder_days=3)
DUE = deadline(TW2, SCHEDULE)
SEKRETARIAT = ["sekretariat.bekasiutara@example.go.id"]


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference(2024)


def problems(*rows: tuple[str, str, int | None, str, str]) -> pd.DataFrame:
    """(unit, file, row, severity, message) rows as validate_quarter reports them."""
    return pd.DataFrame(
        [[u, f, r, "realisasi_keuangan", "aturan", s, m] for u, f, r, s, m in rows],
        columns=PROBLEM_COLUMNS,
        dtype=object,
    )


def states_by_unit(states: list[UnitState]) -> dict[str, UnitState]:
    return {s.unit: s for s in states}


def reminder(ref: Reference, state: UnitState, **overrides) -> object:
    kwargs = {"due": DUE, "late": False, "send_to": SEKRETARIAT, "attachment": None}
    return reminder_mail(ref, TW2, state, **(kwargs | overrides))


# --- who is reminded ---------------------------------------------------------------------------


def test_stored_or_passing_inbox_file_is_accepted_everyone_else_is_reminded(ref):
    stored = {"perwira": {"file": "lama.xlsx", "versi": 2}}
    checked = {"kecamatan": "accepted", "harapan-baru": "rejected", "perwira": "rejected"}
    files = {"kecamatan": "kec.xlsx", "harapan-baru": "hb.xlsx", "perwira": "baru.xlsx"}
    found = problems(
        ("harapan-baru", "hb.xlsx", 5, "error", "Realisasi melebihi pagu."),
        ("harapan-baru", "hb.xlsx", 6, "warning", "Fisik 100% tetapi keuangan 0."),
    )

    states = states_by_unit(unit_states(ref, stored, checked, files, found))

    assert list(states) == list(ref.units["unit"])  # reference order, every unit
    # stored rows count even when a newer file in the inbox does not pass
    assert states["perwira"].status == "accepted" and states["perwira"].stored
    assert states["perwira"].file == "lama.xlsx"
    assert states["kecamatan"].status == "accepted" and not states["kecamatan"].stored
    assert states["harapan-baru"].status == "rejected"
    assert [p["message"] for p in states["harapan-baru"].errors] == ["Realisasi melebihi pagu."]
    assert len(states["harapan-baru"].warnings) == 1
    reminded = {u for u, s in states.items() if s.reminded}
    assert reminded == {
        "harapan-jaya",
        "marga-mulya",
        "harapan-baru",
        "teluk-pucung",
        "kaliabang-tengah",
    }
    assert states["marga-mulya"].status == "missing" and states["marga-mulya"].file is None
    assert states["marga-mulya"].to == ("kel.margamulya@example.go.id",)


def test_nothing_anywhere_reminds_every_unit_and_units_can_be_limited(ref):
    everyone = unit_states(ref, {}, {}, {}, None)
    assert all(s.status == "missing" for s in everyone)
    some = unit_states(ref, {}, {}, {}, None, units=["perwira", "kecamatan"])
    assert [s.unit for s in some] == ["kecamatan", "perwira"]


def test_addresses_split_on_comma_and_semicolon_and_drop_what_cannot_be_sent_to():
    assert addresses("a@x.go.id; b@y.go.id,c@z.id") == ["a@x.go.id", "b@y.go.id", "c@z.id"]
    assert addresses("bukan alamat; <x@y.id>; d@e.id") == ["d@e.id"]
    assert addresses("") == [] and addresses(None) == [] and addresses(float("nan")) == []


# --- the deadline ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (Period(2025, 1), "10 April 2025 pukul 08.00 WIB"),
        (Period(2025, 2), "10 Juli 2025 pukul 08.00 WIB"),
        (Period(2025, 3), "10 Oktober 2025 pukul 08.00 WIB"),
        (Period(2025, 4), "10 Januari 2026 pukul 08.00 WIB"),
    ],
)
def test_deadline_is_the_configured_day_of_the_month_after_the_quarter(period, expected):
    due = deadline(period, SCHEDULE)
    assert deadline_text(due) == expected
    assert due.tzinfo is not None and due.utcoffset() == dt.timedelta(hours=7)


def test_deadline_follows_the_schedule_and_is_shown_in_wib():
    due = deadline(Period(2024, 4), Schedule(day=5, hour=14, minute=30, reminder_days=2))
    assert due == dt.datetime(2025, 1, 5, 14, 30, tzinfo=WIB)
    assert deadline_text(due.astimezone(dt.UTC)) == "5 Januari 2025 pukul 14.30 WIB"


# --- the reminder ------------------------------------------------------------------------------


def test_reminder_to_a_missing_unit_says_deadline_where_to_send_and_what_to_fill(ref, tmp_path):
    template = tmp_path / "realisasi-2024-TW2-perwira.xlsx"
    template.write_bytes(b"xlsx")
    state = UnitState("perwira", "Kelurahan Perwira", "missing", ("kel.perwira@example.go.id",))

    mail = reminder(ref, state, attachment=template)

    assert mail.key.startswith("2024-TW2/pengingat/perwira/")
    assert mail.to == ["kel.perwira@example.go.id"]
    assert mail.attachments == [template]
    assert "10 Juli 2024 pukul 08.00 WIB" in mail.subject
    for part in (mail.text, mail.html):
        assert "10 Juli 2024 pukul 08.00 WIB" in part
        assert "sekretariat.bekasiutara@example.go.id" in part
        assert "realisasi-2024-TW2-perwira.xlsx" in part
        for column in (
            "Kolom K — Realisasi Keuangan TW (Rp)",
            "Kolom L — Realisasi Fisik Kumulatif (%)",
            "Kolom M — Realisasi Keluaran TW",
            "Kolom N — Kendala/Permasalahan (boleh kosong)",
        ):
            assert column in visible(part)
        assert "realisasi_keuangan" not in part  # the key is data, not what a unit reads
    assert "belum menerima" in mail.text
    assert "\n" not in mail.html  # yagmail would turn newlines into <br>


def visible(part: str) -> str:
    """What a reader sees of a mail part: tags out, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", part)).split())


def test_columns_to_fill_come_from_the_contract(ref):
    columns = {c["kolom"]: c for c in fill_columns(ref)}
    assert list(columns) == [
        "realisasi_keuangan",
        "realisasi_fisik",
        "realisasi_keluaran",
        "kendala",
        "tindak_lanjut",
    ]
    assert not columns["realisasi_keuangan"]["penjelasan"].startswith("DIISI")
    assert columns["kendala"]["judul"].endswith("(boleh kosong)")


def test_reminder_to_a_rejected_unit_lists_at_most_ten_errors(ref):
    found = [
        {"row": n, "column": "pagu", "severity": "error", "message": f"Kesalahan nomor {n}."}
        for n in range(2, 16)
    ] + [{"row": 3, "column": "kendala", "severity": "warning", "message": "Peringatan saja."}]
    state = UnitState(
        "harapan-baru",
        "Kelurahan Harapan Baru",
        "rejected",
        ("kel.harapanbaru@example.go.id",),
        "hb.xlsx",
        problems=tuple(found),
    )

    mail = reminder(ref, state)

    assert "belum dapat diterima" in mail.subject
    shown = [n for n in range(2, 16) if f"Kesalahan nomor {n}." in mail.text]
    assert shown == list(range(2, 2 + REMINDER_PROBLEMS))
    assert "Kesalahan nomor 12." not in mail.html
    assert "4 kesalahan lain" in mail.text and "4 kesalahan lain" in mail.html
    assert "14 kesalahan" in mail.text and "umpan balik" in mail.text
    assert "1 peringatan" in mail.text and "Peringatan saja." not in mail.text
    assert "hb.xlsx" in mail.html


def test_after_the_deadline_the_reminder_says_it_has_passed(ref):
    state = UnitState("perwira", "Kelurahan Perwira", "missing", ("kel.perwira@example.go.id",))
    mail = reminder(ref, state, late=True)
    assert mail.subject.startswith("Batas pengiriman sudah lewat")
    assert "sudah lewat" in mail.text and "sudah lewat" in mail.html


def test_reminder_keys_are_stable_and_follow_what_the_mail_says(ref, tmp_path):
    state = UnitState("perwira", "Kelurahan Perwira", "missing", ("kel.perwira@example.go.id",))
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, data in ((first, b"one"), (second, b"two, other timestamps")):
        folder.mkdir()
        (folder / "realisasi-2024-TW2-perwira.xlsx").write_bytes(data)

    key = reminder(ref, state, attachment=first / "realisasi-2024-TW2-perwira.xlsx").key
    # same content, another copy of the template with other bytes: the same key
    assert reminder(ref, state, attachment=second / "realisasi-2024-TW2-perwira.xlsx").key == key
    assert reminder(ref, state, attachment=first / "realisasi-2024-TW2-perwira.xlsx").key == key

    rejected = dataclasses.replace(
        state,
        status="rejected",
        file="x.xlsx",
        problems=({"row": 2, "column": "pagu", "severity": "error", "message": "Salah."},),
    )
    other_problem = dataclasses.replace(
        rejected,
        problems=({"row": 3, "column": "pagu", "severity": "error", "message": "Salah."},),
    )
    later = deadline(TW2, Schedule(day=15, hour=8, minute=0, reminder_days=3))
    changed = {
        reminder(ref, state, attachment=first / "realisasi-2024-TW2-perwira.xlsx", late=True).key,
        reminder(ref, rejected).key,
        reminder(ref, other_problem).key,
        reminder(ref, state, due=later).key,
        reminder(ref, state, send_to=["lain@example.go.id"]).key,
    }
    assert key not in changed and len(changed) == 5
    group = key.rsplit("/", 1)[0]
    assert all(k.rsplit("/", 1)[0] == group for k in changed)  # one ledger group per unit


def test_what_a_unit_typed_never_runs_in_the_html(ref):
    hostile = "<script>alert('x')</script>"
    units = ref.units.copy()
    units.loc[units["unit"] == "perwira", "nama"] = f"Kelurahan {hostile}"
    evil = dataclasses.replace(ref, units=units)
    state = unit_states(
        evil,
        {},
        {"perwira": "rejected"},
        {"perwira": f"{hostile}.xlsx"},
        problems(("perwira", "x", 2, "error", f"nilai {hostile}")),
    )
    perwira = states_by_unit(state)["perwira"]

    mails = [
        reminder(evil, perwira),
        secretariat_mail(
            evil,
            TW2,
            state,
            due=DUE,
            late=False,
            to=SEKRETARIAT,
            unattributed=[{"file": hostile, "message": hostile}],
        ),
    ]
    summary = {
        "units": [
            {
                "unit": "perwira",
                "nama": f"Kelurahan {hostile}",
                "status": "accepted",
                "file": f"{hostile}.xlsx",
                "problems": [
                    {"row": 4, "column": "kendala", "severity": "warning", "message": hostile}
                ],
                "totals": None,
            }
        ]
    }
    mails += acknowledgement_mails(evil, TW2, summary, {})
    assert len(mails) == 3
    for mail in mails:
        assert "<script>" not in mail.html
        assert "&lt;script&gt;" in mail.html
        assert hostile in mail.text  # plain text is shown as text, never run


# --- the secretariat's list --------------------------------------------------------------------


def test_secretariat_mail_lists_every_unit_by_state(ref):
    states = unit_states(
        ref,
        {"perwira": {"file": "perwira.xlsx", "versi": 1}},
        {"kecamatan": "accepted", "harapan-baru": "rejected"},
        {"kecamatan": "kec.xlsx", "harapan-baru": "hb.xlsx"},
        problems(("harapan-baru", "hb.xlsx", 7, "error", "Pagu berubah.")),
    )
    states = [dataclasses.replace(s, to=()) if s.unit == "teluk-pucung" else s for s in states]

    mail = secretariat_mail(
        ref,
        TW2,
        states,
        due=DUE,
        late=False,
        to=SEKRETARIAT,
        unattributed=[{"file": "scan.pdf", "message": "Format tidak didukung."}],
    )

    assert mail.key.startswith("2024-TW2/pengingat-sekretariat/")
    assert mail.to == SEKRETARIAT
    assert "4 unit belum mengirim, 1 ditolak" in mail.subject
    text = mail.text
    missing = text[text.index("BELUM MENGIRIM (4)") : text.index("BERKAS DITOLAK")]
    for name in ("Harapan Jaya", "Marga Mulya", "Teluk Pucung", "Kaliabang Tengah"):
        assert name in missing and name in mail.html
    assert "kel.margamulya@example.go.id" in missing
    assert "TIDAK ADA alamat email" in missing  # teluk-pucung cannot be mailed
    rejected = text[text.index("BERKAS DITOLAK (1)") : text.index("SUDAH DITERIMA")]
    assert "Harapan Baru" in rejected and "hb.xlsx" in rejected and "Pagu berubah." in rejected
    accepted = text[text.index("SUDAH DITERIMA (2)") :]
    assert "perwira.xlsx sudah diolah" in accepted and "kec.xlsx ada di inbox" in accepted
    assert "scan.pdf" in text and "scan.pdf" in mail.html
    assert "10 Juli 2024 pukul 08.00 WIB" in mail.html

    again = secretariat_mail(
        ref,
        TW2,
        states,
        due=DUE,
        late=False,
        to=SEKRETARIAT,
        unattributed=[{"file": "scan.pdf", "message": "Format tidak didukung."}],
    )
    assert again.key == mail.key
    fewer = [s for s in states if s.unit != "marga-mulya"]
    assert secretariat_mail(ref, TW2, fewer, due=DUE, late=False, to=SEKRETARIAT).key != mail.key


def test_secretariat_mail_when_everyone_is_in(ref):
    stored = {u: {"file": f"{u}.xlsx", "versi": 1} for u in ref.units["unit"]}
    states = unit_states(ref, stored, {}, {}, None)
    mail = secretariat_mail(ref, TW2, states, due=DUE, late=False, to=SEKRETARIAT)
    assert "semua unit sudah diterima" in mail.subject
    assert "Tidak ada unit yang perlu diingatkan." in mail.text


# --- acknowledgements --------------------------------------------------------------------------

TOTALS = {
    "pagu": 1948243200,
    "target_keuangan_tw": 424480800,
    "realisasi_keuangan_tw": 462715332,
    "target_keuangan_sd_tw": 424480800,
    "realisasi_keuangan_sd_tw": 462715332,
    "capaian_keuangan_tw_persen": 109.01,
    "capaian_keuangan_sd_tw_persen": 109.01,
    "serapan_pagu_persen": 23.75,
    "realisasi_fisik_persen": 21.78,
    "deviasi_persen": -1.96,
    "predikat_keuangan_sd_tw": "Sangat Tinggi",
}


def summary_of(*units: dict) -> dict:
    return {"period": "2024-TW2", "units": list(units)}


def unit(code: str, status: str = "accepted", problems: list | None = None, **extra) -> dict:
    return {
        "unit": code,
        "nama": f"Unit {code}",
        "status": status,
        "file": f"{code}.xlsx",
        "problems": problems or [],
        "totals": TOTALS if status == "accepted" else None,
        **extra,
    }


def test_acknowledgement_goes_to_each_accepted_unit_with_its_figures(ref):
    summary = summary_of(
        unit("perwira"), unit("kaliabang-tengah", "rejected"), unit("kecamatan", "missing")
    )
    mails = acknowledgement_mails(ref, TW2, summary, {"perwira.xlsx": "a" * 64})

    assert [m.to for m in mails] == [["kel.perwira@example.go.id"]]
    mail = mails[0]
    assert mail.key.startswith("2024-TW2/diterima/perwira/")
    assert mail.subject.startswith("Berkas diterima: ")
    assert "perwira.xlsx" in mail.text and "perwira.xlsx" in mail.html
    for shown in ("Rp 462.715.332", "Rp 424.480.800", "109,01%", "23,75%", "21,78%"):
        assert shown in mail.text and shown in mail.html
    assert "dengan catatan" not in mail.subject
    assert "\n" not in mail.html


def test_acknowledgement_with_warnings_is_accepted_with_notes(ref):
    warning = {
        "row": 9,
        "column": "kendala",
        "rule": "r",
        "severity": "warning",
        "message": "Kendala kosong padahal fisik rendah.",
    }
    mails = acknowledgement_mails(ref, TW2, summary_of(unit("perwira", problems=[warning])), {})
    mail = mails[0]
    assert "dengan catatan" in mail.subject
    assert "Kendala kosong padahal fisik rendah." in mail.text
    assert "Kendala kosong padahal fisik rendah." in mail.html
    assert "1 catatan" in mail.text


def test_acknowledgement_keys_follow_the_file_figures_and_warnings(ref):
    shas = {"perwira.xlsx": "a" * 64}
    key = acknowledgement_mails(ref, TW2, summary_of(unit("perwira")), shas)[0].key
    assert acknowledgement_mails(ref, TW2, summary_of(unit("perwira")), shas)[0].key == key
    # a run folder, version or time never matter, only the file and what it says
    assert (
        acknowledgement_mails(ref, TW2, summary_of(unit("perwira", version=9)), shas)[0].key == key
    )

    other_file = acknowledgement_mails(
        ref, TW2, summary_of(unit("perwira")), {"perwira.xlsx": "b" * 64}
    )
    other_totals = unit("perwira")
    other_totals["totals"] = TOTALS | {"realisasi_keuangan_tw": 1}
    warned = unit(
        "perwira", problems=[{"row": 2, "column": "x", "severity": "warning", "message": "m"}]
    )
    changed = {
        other_file[0].key,
        acknowledgement_mails(ref, TW2, summary_of(other_totals), shas)[0].key,
        acknowledgement_mails(ref, TW2, summary_of(warned), shas)[0].key,
    }
    assert key not in changed and len(changed) == 3


def test_acknowledgement_skips_a_unit_without_a_usable_address(ref):
    units = ref.units.copy()
    units.loc[units["unit"] == "perwira", "email"] = "belum ada"
    no_address = dataclasses.replace(ref, units=units)
    summary = summary_of(unit("perwira"), unit("kecamatan"))
    mails = acknowledgement_mails(no_address, TW2, summary, {})
    assert [m.key.split("/")[2] for m in mails] == ["kecamatan"]


def test_acknowledgement_of_a_unit_without_figures_shows_dashes(ref):
    mails = acknowledgement_mails(ref, TW2, summary_of(unit("perwira", totals=None)), {})
    assert "Realisasi keuangan TW II: -" in mails[0].text


def test_builders_need_no_files(ref, tmp_path: Path):
    """Keys and bodies are built without touching the attachment (deliver checks it later)."""
    state = UnitState("perwira", "Kelurahan Perwira", "missing", ("kel.perwira@example.go.id",))
    mail = reminder(ref, state, attachment=tmp_path / "belum-ada.xlsx")
    assert mail.attachments == [tmp_path / "belum-ada.xlsx"]
