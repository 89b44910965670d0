"""Signature blocks: a DRAF is left to be signed by hand, a FINAL names and dates its signatories."""

from __future__ import annotations

from typing import Any

import pytest

from triwulan.tasks.core.signature import (
    DATE_DOTS,
    DOTS,
    is_final,
    place_and_date,
    signature_blocks,
)

BLANK_NIP = "NIP. " + DOTS

CAMAT = {
    "peran": "camat",
    "label": "Mengetahui",
    "jabatan": "Camat Bekasi Utara",
    "nama": "SUMPONO BRAMA, S.STP., M.Si",
    "pangkat": "Pembina Tk.I",
    "nip": "19800825 199912 1 001",
    "tempat": "Bekasi",
}
PENYUSUN = {
    "peran": "penyusun",
    "label": "Disusun oleh",
    "jabatan": "SEKRETARIS KECAMATAN BEKASI UTARA",
    "nama": "Rina Wati",
    "pangkat": "Penata",
    "nip": "19850101 201001 2 003",
    "tempat": "Bekasi",
}
EVALUATOR = {  # the office only: nobody named in pejabat.csv
    "peran": "evaluator",
    "label": "Dievaluasi oleh",
    "jabatan": "Kepala Bappelitbangda Kota Bekasi",
    "nama": "",
    "pangkat": "",
    "nip": "",
    "tempat": "Bekasi",
}


def summary(status: str | None, pejabat: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """A report summary as the forms get it (pengesahan = e81_form.pengesahan's block)."""
    out: dict[str, Any] = {
        "pengesahan": {"tempat": "Bekasi", "pejabat": pejabat or [PENYUSUN, CAMAT, EVALUATOR]},
        "tanggal_pengesahan": "2025-01-10",
    }
    if status is not None:
        out["status_laporan"] = status
    return out


@pytest.mark.parametrize("status", [None, "DRAF"])
def test_a_draft_keeps_names_nip_and_date_blank(status: str | None) -> None:
    """Not yet approved: offices printed, the rest filled in by hand after signing."""
    draft = summary(status)
    assert not is_final(draft)
    penyusun, camat = signature_blocks(draft)
    assert camat == {
        "peran": "camat",
        "tempat_tanggal": "",  # the date heads the first block only
        "label": "Mengetahui,",
        "jabatan": "CAMAT BEKASI UTARA,",
        "nama": DOTS,
        "pangkat": "",
        "nip": BLANK_NIP,
    }
    assert (penyusun["nama"], penyusun["nip"]) == ("." * 40, "NIP. " + "." * 40)
    assert penyusun["tempat_tanggal"] == place_and_date(draft) == "Bekasi, " + "." * 28


def test_a_final_report_names_its_signatories() -> None:
    """Names as pejabat.csv writes them: an academic degree keeps its case (M.Si, not M.SI)."""
    final = summary("FINAL")
    assert is_final(final)
    penyusun, camat = signature_blocks(final)
    assert camat == {
        "peran": "camat",
        "tempat_tanggal": "",
        "label": "Mengetahui,",
        "jabatan": "CAMAT BEKASI UTARA,",
        "nama": "SUMPONO BRAMA, S.STP., M.Si",
        "pangkat": "Pembina Tk.I",
        "nip": "NIP. 19800825 199912 1 001",
    }
    assert (penyusun["nama"], penyusun["nip"]) == ("Rina Wati", "NIP. 19850101 201001 2 003")
    assert penyusun["tempat_tanggal"] == place_and_date(final) == "Bekasi, 10 Januari 2025"


def test_a_final_block_without_a_name_stays_blank() -> None:
    """The evaluator's name is not in pejabat.csv: dots to fill by hand, not 'NIP. '."""
    (evaluator,) = signature_blocks(summary("FINAL"), roles=("evaluator",))
    assert evaluator == {
        "peran": "evaluator",
        "tempat_tanggal": "Bekasi, 10 Januari 2025",
        "label": "Dievaluasi oleh,",
        "jabatan": "KEPALA BAPPELITBANGDA KOTA BEKASI,",
        "nama": DOTS,
        "pangkat": "",
        "nip": BLANK_NIP,
    }


def test_blocks_follow_roles_and_skip_the_absent() -> None:
    only_two = summary("FINAL", pejabat=[EVALUATOR, CAMAT])  # no penyusun
    blocks = signature_blocks(only_two, roles=("evaluator", "penyusun", "camat"))
    assert [b["peran"] for b in blocks] == ["evaluator", "camat"]
    default = signature_blocks(summary("FINAL"))
    assert [b["peran"] for b in default] == ["penyusun", "camat"]  # evaluator only when asked
    assert signature_blocks({"status_laporan": "FINAL"}) == []  # no pejabat.csv at all


def test_place_and_date_without_place_or_day() -> None:
    no_place = summary("FINAL") | {"pengesahan": {"tempat": "", "pejabat": []}}
    assert place_and_date(no_place) == "10 Januari 2025"
    no_day = summary("FINAL") | {"tanggal_pengesahan": None}
    assert place_and_date(no_day) == "Bekasi, " + DATE_DOTS
    assert place_and_date(summary("FINAL") | {"tanggal_pengesahan": "kemarin"}) == (
        "Bekasi, " + DATE_DOTS
    )
