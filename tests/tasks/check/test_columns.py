"""A problem's column as the unit finds it: the template's label and letter, never a key."""

from __future__ import annotations

from triwulan.tasks.check.columns import labelled, shared_labels


def test_a_realisasi_column_is_its_label_and_letter() -> None:
    assert labelled({"column": "kode_sub_kegiatan"}, shared_labels())["kolom"] == (
        "Kode Sub Kegiatan (D)"
    )


def test_an_iku_column_has_the_xlsx_letter_only_for_an_xlsx_file() -> None:
    """A CSV puts tahun, triwulan and unit first: the xlsx letter would point three columns off."""
    labels = shared_labels()
    problem = {"column": "status_tertib (sheet zona_k3)", "file": "Perwira TW2.xlsx"}
    assert labelled(problem, labels)["kolom"] == "Status Tertib (ya/tidak) (C) di sheet zona_k3"
    from_csv = labelled({**problem, "file": "Perwira TW2.CSV"}, labels)["kolom"]
    assert from_csv == "Status Tertib (ya/tidak) di sheet zona_k3"
