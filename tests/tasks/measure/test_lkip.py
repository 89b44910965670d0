"""The LKIP's tables as pure functions over small frames, and the document's template."""

from __future__ import annotations

from pathlib import Path

import docx
import pandas as pd
import pytest
from num2words import num2words

from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.measure import lkip
from triwulan.tasks.publish.lkip import TEMPLATE
from triwulan.tasks.publish.lkip_docx import SECTIONS, Table, build_template, render


def _detail() -> pd.DataFrame:
    rows = [
        ("kecamatan", "Kecamatan X", "7.01.01", "Program A", "7.01.01.2.01", "Keg A",
         "7.01.01.2.01.0001", "Sub 1", 100, 0, 100.0, "dana belum cair", ""),
        ("kecamatan", "Kecamatan X", "7.01.01", "Program A", "7.01.01.2.01", "Keg A",
         "7.01.01.2.01.0002", "Sub 2", 200, 100, 40.0, "", "dipercepat"),
        ("perwira", "Kelurahan P", "7.01.03", "Program C", "7.01.03.2.02", "Keg C",
         "7.01.03.2.02.0003", "Sub 3", 300, 151, 100.0, "", ""),
    ]  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["unit", "nama_unit", "kode_program", "nama_program", "kode_kegiatan",
                 "nama_kegiatan", "kode_sub_kegiatan", "nama_sub_kegiatan", "pagu",
                 "realisasi_keuangan_sd_tw", "capaian_keluaran_persen", "kendala",
                 "tindak_lanjut"],
    )  # fmt: skip


def test_per_program_derives_its_total_from_the_rows():
    table = lkip.per_program(_detail())
    assert table["nama_program"].tolist() == ["Program A", "Program C", "TOTAL"]
    assert table.iloc[-1][["pagu", "realisasi"]].tolist() == [600, 251]
    assert table.iloc[-1]["persen"] == 41.83 and table.iloc[0]["persen"] == 33.33


def test_shortfalls_take_money_or_output_under_the_threshold():
    detail = _detail()
    found = lkip.shortfalls(detail, {1: detail, 2: detail.assign(kendala="lagi")}, 50.0)
    assert [s.kode for s in found] == ["7.01.01.2.01.0001", "7.01.01.2.01.0002"]
    assert found[0].kendala == ["dana belum cair", "lagi"]  # each text once, in quarter order
    assert found[1].kinerja_persen == 40.0 and found[1].tindak_lanjut == ["dipercepat"]
    # exactly at the threshold is not under it: 151/300 = 50,33 keuangan stays out at 50
    assert [s.kode for s in lkip.shortfalls(detail, {}, 50.33)] == [
        "7.01.01.2.01.0001", "7.01.01.2.01.0002"
    ]  # fmt: skip
    assert "7.01.03.2.02.0003" in [s.kode for s in lkip.shortfalls(detail, {}, 50.34)]


def test_the_threshold_is_data(tmp_path, monkeypatch):
    assert lkip.bab_iv_threshold() == 50.0  # reference/lkip.toml as shipped
    monkeypatch.setenv("TRIWULAN_REFERENCE", str(tmp_path))
    (tmp_path / "lkip.toml").write_text("ambang_bab_iv_persen = 62.5\n")
    assert lkip.bab_iv_threshold() == 62.5
    (tmp_path / "lkip.toml").write_text("ambang_bab_iv_persen = 150\n")
    with pytest.raises(TriwulanError, match="0 sampai 100"):
        lkip.bab_iv_threshold()


def test_amounts_in_words_are_num2words():
    assert lkip.rupiah_words(44_704_453_656) == num2words(44_704_453_656, lang="id") + " rupiah"


def test_the_shipped_template_is_the_one_the_code_builds(tmp_path):
    """Every placeholder of SECTIONS is in templates/lkip.docx, in order (rebuild it with
    scripts/lkip_template.py after changing them)."""
    shipped = [p.text for p in docx.Document(str(TEMPLATE)).paragraphs]
    built = [p.text for p in docx.Document(str(build_template(tmp_path / "t.docx"))).paragraphs]
    assert shipped == built == [text for text, _ in SECTIONS]


def test_typed_text_is_text_in_the_document(tmp_path):
    table = Table("3.11", "Uji", ["A", "B"], [["<b>&", "{{ x }}"]])
    texts = {"draf_mark": "", "instansi": "KEC <X> & Y", "tahun": 2024, "kalimat_3_1": "{% x %}",
             "kalimat_iku": [], "kalimat_anggaran": "", "kalimat_realisasi": "",
             "kalimat_kesimpulan": "", "kalimat_bab_iv": "", "bab_iv": [],
             "iku_tidak_tercapai": [], "catatan": []}  # fmt: skip
    tables = {
        k: table for k in ("tabel_3_1", "tabel_3_11", "tabel_3_12", "tabel_3_13", "tabel_3_14")
    }
    out = render(TEMPLATE, tmp_path / "x.docx", texts, {**tables, "analisis_iku": []}, {})
    document = docx.Document(str(out))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "KEC <X> & Y TAHUN 2024" in text and "{% x %}" in text
    assert document.tables[0].rows[1].cells[0].text == "<b>&"
    assert document.tables[0].rows[1].cells[1].text == "{{ x }}"
    assert Path(out).stat().st_size > 0
