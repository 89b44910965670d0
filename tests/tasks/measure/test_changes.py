"""'Perubahan sejak versi sebelumnya' on two versions of 2024 TW II built from the sample."""

from __future__ import annotations

import importlib.util
import json
import sys

import pandas as pd
import pytest

from triwulan.paths import SAMPLE_DIR
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.reference import Reference, load_reference, plan_for_quarter
from triwulan.tasks.measure.changes import changes_since
from triwulan.tasks.measure.compute import quarter_detail
from triwulan.tasks.measure.summary import build_summary, read_detail, write_detail

PERIOD = Period(2024, 2)
UNIT = "teluk-pucung"
SARPRAS, POKMAS, BANGUN = "7.01.02.2.03.0001", "7.01.03.2.02.0003", "7.01.03.2.02.0002"


def _load_generator():
    spec = importlib.util.spec_from_file_location("sample_generate", SAMPLE_DIR / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference(PERIOD.tahun)


@pytest.fixture(scope="module")
def correct(ref) -> dict[tuple[str, int], pd.DataFrame]:
    gen = _load_generator()
    return gen.build_sample(ref, gen.load_seed()).correct


def _stored(frames: dict[tuple[str, int], pd.DataFrame]) -> pd.DataFrame:
    return pd.concat([f for (_, q), f in frames.items() if q <= PERIOD.triwulan], ignore_index=True)


def version(ref, frames, number: int, status: dict[str, str]) -> tuple[dict, pd.DataFrame]:
    """summary.json dict and detail frame of one run, as the flow builds them."""
    counted = [u for u, s in status.items() if s == "accepted"]
    names = dict(zip(ref.units["unit"], ref.units["nama"], strict=True))
    plan = plan_for_quarter(ref, PERIOD.triwulan)
    detail = quarter_detail(plan, _stored(frames), counted, PERIOD.triwulan, names, ref.predikat)
    problems = pd.DataFrame(columns=["unit", "row", "column", "rule", "severity", "message"])
    files = {u: f"{u}.xlsx" for u in counted}
    summary = build_summary(ref, PERIOD, number, status, files, problems, [], detail)
    return summary, detail


def _value(frame: pd.DataFrame, kode: str, column: str) -> object:
    return frame.loc[frame["kode_sub_kegiatan"] == kode, column].iloc[0]


def _edit(frame: pd.DataFrame, kode: str, column: str, value: object) -> pd.DataFrame:
    out = frame.copy()
    out.loc[out["kode_sub_kegiatan"] == kode, column] = value
    return out


@pytest.fixture(scope="module")
def all_accepted(ref) -> dict[str, str]:
    return dict.fromkeys(ref.units["unit"], "accepted")


def test_corrected_file_names_the_unit_and_exactly_the_changed_figures(ref, correct, all_accepted):
    before_summary, before_detail = version(ref, correct, 1, all_accepted)
    tw1, tw2 = correct[(UNIT, 1)], correct[(UNIT, 2)]
    pokmas, sarpras = (
        int(_value(tw2, POKMAS, "realisasi_keuangan")),
        int(_value(tw2, SARPRAS, "realisasi_keuangan")),
    )
    fisik = float(_value(tw2, BANGUN, "realisasi_fisik"))
    fixed = _edit(tw2, POKMAS, "realisasi_keuangan", pokmas + 1_000_000)
    fixed = _edit(fixed, SARPRAS, "realisasi_keuangan", sarpras - 250_000)
    fixed = _edit(fixed, BANGUN, "realisasi_fisik", fisik + 5)
    after_summary, after_detail = version(ref, {**correct, (UNIT, 2): fixed}, 2, all_accepted)

    result = changes_since(before_summary, before_detail, after_summary, after_detail)

    pokmas_sd = int(_value(tw1, POKMAS, "realisasi_keuangan")) + pokmas
    sarpras_sd = int(_value(tw1, SARPRAS, "realisasi_keuangan")) + sarpras
    names = {
        POKMAS: "Pemberdayaan Masyarakat di Kelurahan",
        SARPRAS: str(_value(tw2, SARPRAS, "nama_sub_kegiatan")),
        BANGUN: str(_value(tw2, BANGUN, "nama_sub_kegiatan")),
    }
    assert _value(tw2, POKMAS, "nama_sub_kegiatan") == names[POKMAS]

    def entry(kode, kolom, judul, sebelum, sesudah, selisih):
        return {
            "unit": UNIT,
            "nama_unit": "Kelurahan Teluk Pucung",
            "kode_sub_kegiatan": kode,
            "nama_sub_kegiatan": names[kode],
            "jenis": "berubah",
            "kolom": kolom,
            "judul": judul,
            "sebelum": sebelum,
            "sesudah": sesudah,
            "selisih_rupiah": selisih,
        }

    # "TW II" moved exactly like "s.d. TW II": only the latter is listed
    assert pokmas and sarpras
    assert result["angka_berubah"] == [
        entry(POKMAS, "realisasi_keuangan_sd_tw", "Realisasi keuangan s.d. TW II", pokmas_sd,
              pokmas_sd + 1_000_000, 1_000_000),
        entry(SARPRAS, "realisasi_keuangan_sd_tw", "Realisasi keuangan s.d. TW II", sarpras_sd,
              sarpras_sd - 250_000, -250_000),
        entry(BANGUN, "realisasi_fisik_persen", "Realisasi fisik (%)", fisik, fisik + 5, None),
    ]  # fmt: skip
    assert result["unit_berubah"] == []
    assert result["versi_sebelumnya"] == 1
    assert result["total_sesudah"] - result["total_sebelum"] == 750_000
    assert result["total_sebelum"] == before_summary["totals"]["realisasi_keuangan_sd_tw"]
    assert (result["jumlah_angka_berubah"], result["angka_lainnya"]) == (3, 0)
    assert result["ada_perubahan"] is True
    json.dumps(result, allow_nan=False)  # JSON-safe: plain ints, floats, strings, None
    assert all(type(e["sebelum"]) is int for e in result["angka_berubah"][:2])


def test_same_figures_read_back_from_rincian_json_are_no_change(
    ref, correct, all_accepted, tmp_path
):
    summary, detail = version(ref, correct, 1, all_accepted)
    detail = detail.copy()
    detail.loc[0, "realisasi_fisik_persen"] = 100 / 3  # JSON keeps 10 digits of it
    write_detail(tmp_path, detail)
    result = changes_since(summary, read_detail(tmp_path), {**summary, "version": 2}, detail)
    assert result["unit_berubah"] == [] and result["angka_berubah"] == []
    assert result["ada_perubahan"] is False
    assert result["total_sebelum"] == result["total_sesudah"] > 0


def test_rejected_then_accepted_unit_and_its_rows_appearing(ref, correct, all_accepted):
    rejected = {**all_accepted, "harapan-baru": "rejected"}
    before_summary, before_detail = version(ref, correct, 3, rejected)
    after_summary, after_detail = version(ref, correct, 4, all_accepted)

    result = changes_since(before_summary, before_detail, after_summary, after_detail, limit=5)

    rows = after_detail[after_detail["unit"] == "harapan-baru"]
    appearing = int(rows["realisasi_keuangan_sd_tw"].sum())
    # a unit counted in one version only is told once, with its rupiah, not figure by figure
    assert result["unit_berubah"] == [
        {
            "unit": "harapan-baru",
            "nama": "Kelurahan Harapan Baru",
            "sebelum": "ditolak",
            "sesudah": "diterima",
            "rupiah_sebelum": None,
            "rupiah_sesudah": appearing,
        }
    ]
    assert result["total_sesudah"] - result["total_sebelum"] == appearing
    assert result["angka_berubah"] == [] and result["jumlah_angka_berubah"] == 0
    assert result["ada_perubahan"]

    back = changes_since(after_summary, after_detail, before_summary, before_detail)
    assert back["unit_berubah"][0]["sebelum"] == "diterima"
    assert back["unit_berubah"][0]["sesudah"] == "ditolak"
    assert back["unit_berubah"][0]["rupiah_sebelum"] == appearing
    assert back["unit_berubah"][0]["rupiah_sesudah"] is None
    assert back["angka_berubah"] == []


def test_missing_unit_status_label_and_order(ref, correct, all_accepted):
    missing = {**all_accepted, "perwira": "missing", "marga-mulya": "rejected"}
    before_summary, before_detail = version(ref, correct, 1, missing)
    after_summary, after_detail = version(ref, correct, 2, all_accepted)
    result = changes_since(before_summary, before_detail, after_summary, after_detail, limit=0)
    assert [(u["unit"], u["sebelum"], u["sesudah"]) for u in result["unit_berubah"]] == [
        ("perwira", "belum mengirim", "diterima"),  # units.csv order
        ("marga-mulya", "ditolak", "diterima"),
    ]
    assert result["angka_berubah"] == [] and result["angka_lainnya"] == 0
    with pytest.raises(ValueError):
        changes_since(before_summary, before_detail, after_summary, after_detail, limit=-1)


def test_a_late_survey_or_a_kendala_correction_is_a_change_without_money_moving(
    ref, correct, all_accepted
):
    summary, detail = version(ref, correct, 1, all_accepted)
    ikm = {"kode": "ikm", "nama": "IKM", "realisasi_tw": None, "realisasi_sd_tw": None}
    before = {**summary, "iku": [ikm]}
    after = {
        **summary,
        "version": 2,
        "iku": [{**ikm, "realisasi_tw": 80.72, "realisasi_sd_tw": 80.72}],
    }
    edited = detail.copy()
    edited.loc[0, "kendala"] = "Pencairan menunggu SP2D"
    result = changes_since(before, detail, after, edited)
    assert result["angka_berubah"] == [] and result["total_sebelum"] == result["total_sesudah"]
    assert [(c["judul"], c["sebelum"], c["sesudah"]) for c in result["iku_berubah"]] == [
        ("Realisasi TW II", None, 80.72),
        ("Realisasi s.d. TW II", None, 80.72),
    ]
    assert result["keterangan_berubah"] == 1
    assert result["ada_perubahan"] is True
