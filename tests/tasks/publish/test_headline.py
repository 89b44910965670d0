"""The words beside the figures: the fisik weighting said once, capaian = serapan at TW IV."""

from __future__ import annotations

from triwulan.tasks.publish.headline import capaian_is_serapan, column_label, fisik_note


def test_fisik_note_gives_the_plain_mean_beside_the_weighted_figure() -> None:
    """The seed prints 97,34 (a plain mean of rows); the report 97,61 (weighted by pagu)."""
    assert fisik_note({"fisik_rata_biasa_persen": 97.34}) == (
        "Rata-rata tertimbang pagu (rata-rata biasa per sub kegiatan: 97,34%)"
    )
    assert fisik_note({}) == "Rata-rata tertimbang pagu"  # an older summary: no plain mean


def test_capaian_is_serapan_only_when_the_target_to_date_is_the_whole_pagu() -> None:
    assert capaian_is_serapan({"target_keuangan_sd_tw": 46_754_089_520, "pagu": 46_754_089_520})
    assert not capaian_is_serapan({"target_keuangan_sd_tw": 30_000_000_000, "pagu": 46_754_089_520})
    assert not capaian_is_serapan({"pagu": 1})  # unknown target: two cards, not one


def test_a_problem_column_is_the_label_of_the_template() -> None:
    assert column_label({"kolom": "Kode Sub Kegiatan (D)", "column": "kode_sub_kegiatan"}) == (
        "Kode Sub Kegiatan (D)"
    )
    shown = column_label({"column": "realisasi_keuangan"})
    assert "_" not in shown and shown.startswith("Realisasi Keuangan")
    assert column_label({"column": "kolom_lama"}) == "kolom lama"  # unknown key: never snake_case
