"""The LKIP's per-IKU analysis (section 3.2) as document tables, numbered as the seed numbers them.

Per IKU, in the order of iku.csv: for the AKIP its components of last year and this year first
(3.4, 3.5), then its capaian table (3.2 / 3.6 / 3.8) and its comparison with the Renstra and RPD
(3.3 / 3.7 / 3.9); after the wilayah tertib its zones per kelurahan (3.10); after the IKM its
unsur and jenis layanan. Numbers run on from 3.2 whatever IKU a kecamatan has. The figures come
from tasks/measure/lkip_iku.py; here they are only worded and formatted.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from triwulan.tasks.core.fmt import angka, persen
from triwulan.tasks.core.reference import Reference
from triwulan.tasks.measure import lkip_iku as m
from triwulan.tasks.publish.lkip_docx import Table


def _num(value: Any, satuan: str = "") -> str:
    if value is None or pd.isna(value):
        return "-"
    text = angka(float(value), 2)
    text = text[:-3] if text.endswith(",00") else text
    return text + ("%" if str(satuan).lower().startswith("persen") else "")


def _pc(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else persen(float(value))


class Counter:
    """Table numbers of chapter III: 3.2, 3.3, … and sub-tables of the last one (3.3.1)."""

    def __init__(self, first: int = 2) -> None:
        self.n, self.sub = first - 1, 0

    def next(self) -> str:
        self.n, self.sub = self.n + 1, 0
        return f"3.{self.n}"

    def below(self) -> str:
        self.sub += 1
        return f"3.{self.n}.{self.sub}"


def iku_tables(
    iku: list[dict[str, Any]], ref: Reference, tahun: int, number: Counter
) -> list[Table]:
    """Every per-IKU table of section 3.2, numbered on from `number` (3.2 first)."""
    out: list[Table] = []
    for item in iku:
        kode, nama = item["kode"], item["nama"]
        if kode == "akip":
            out += _akip_tables(iku, ref, tahun, number)
        capaian = m.capaian_iku(iku, ref, tahun, kode)
        out.append(_capaian_table(capaian, nama, tahun, number.next()))
        renstra = m.perbandingan_renstra(iku, ref, tahun, kode)
        if not renstra.empty:
            out.append(_renstra_table(renstra, nama, number.next()))
        if item.get("zona"):
            out.append(_zona_table(m.zona_per_kelurahan(iku, ref), nama, number.next()))
        if kode == "ikm":
            out += _ikm_tables(iku, tahun, number)
    return out


def _capaian_table(frame: pd.DataFrame, nama: str, tahun: int, nomor: str) -> Table:
    rows = [
        [str(i), r["iku"], r["satuan"], _num(r["target"], r["satuan"]),
         _num(r["realisasi"], r["satuan"]), _pc(r["capaian_persen"])]
        for i, r in enumerate(frame.to_dict("records"), start=1)
    ]  # fmt: skip
    return Table(
        nomor, f"Analisis Capaian Indikator Kinerja Utama {nama}",
        ["No", "Indikator Kinerja Utama (IKU)", "Satuan", f"Target Tahun {tahun}",
         f"Realisasi Tahun {tahun}", f"Capaian Kinerja Tahun {tahun}"],
        rows, numeric={3, 4, 5}, widths_cm=(0.8, 6.6, 1.8, 2.6, 2.6, 2.6),
    )  # fmt: skip


def _renstra_table(frame: pd.DataFrame, nama: str, nomor: str) -> Table:
    years = sorted(int(c.split("_")[1]) for c in frame.columns if c.startswith("target_2"))
    header = ["No", "Indikator Kinerja", "Target RPD"]
    header += [f"T\n{y}" for y in years] + [f"R\n{y}" for y in years]
    header += [f"%\n{y}" for y in years]
    rows = []
    for i, r in enumerate(frame.to_dict("records"), start=1):
        satuan = r.get("satuan", "")
        rows.append(
            [str(i), r["iku"], _num(r.get("target_rpd"), satuan)]
            + [_num(r.get(f"target_{y}"), satuan) for y in years]
            + [_num(r.get(f"realisasi_{y}"), satuan) for y in years]
            + [_num(r.get(f"rasio_{y}")) for y in years]
        )
    rest = (17.0 - 0.8 - 4.2 - 1.6) / max(3 * len(years), 1)
    return Table(
        nomor, f"Perbandingan Capaian Indikator Kinerja Utama {nama} terhadap Target Akhir RPD",
        header, rows, numeric=set(range(2, len(header))),
        widths_cm=(0.8, 4.2, 1.6, *([rest] * (3 * len(years)))),
        sumber="T = target Renstra, R = realisasi, % = rasio capaian (R/T × 100); "
        "tahun-tahun lalu dari data referensi iku_tahunan",
    )  # fmt: skip


def _akip_tables(
    iku: list[dict[str, Any]], ref: Reference, tahun: int, number: Counter
) -> list[Table]:
    out = []
    for year in m.komponen_akip(iku, ref, tahun):
        rows = [
            [str(r["no"]), r["judul"], _num(r["bobot"]), _num(r["nilai"])]
            for r in year.komponen.to_dict("records")
        ]
        rows.append(["", "Nilai Hasil Evaluasi", _num(year.bobot), _num(year.nilai)])
        rows.append(["", "Tingkat Akuntabilitas Kinerja", "", str(year.predikat or "-")])
        out.append(
            Table(
                number.next(), f"Data Capaian Komponen Nilai AKIP Tahun {year.tahun}",
                ["No", "Komponen yang Dinilai", "Bobot", "Nilai"], rows,
                bold={len(rows) - 2, len(rows) - 1}, numeric={2, 3},
                widths_cm=(0.8, 10.2, 3.0, 3.0),
            )
        )  # fmt: skip
    return out


def _zona_table(frame: pd.DataFrame, nama: str, nomor: str) -> Table:
    rows = [
        [r["nama_kelurahan"], angka(r["zona"]), angka(r["tertib"]), angka(r["belum_tertib"]),
         angka(r["belum_dilaporkan"]), _pc(r["persen_tertib"])]
        for r in frame.to_dict("records")
    ]  # fmt: skip
    return Table(
        nomor, f"Zona K3 per Kelurahan: {nama}",
        ["Kelurahan", "Zona", "Tertib", "Belum Tertib", "Belum Dilaporkan", "Tertib (%)"],
        rows, bold={len(rows) - 1}, numeric={1, 2, 3, 4, 5},
        widths_cm=(5.0, 2.0, 2.0, 2.4, 3.0, 2.6),
    )  # fmt: skip


def _ikm_tables(iku: list[dict[str, Any]], tahun: int, number: Counter) -> list[Table]:
    ikm = m.ikm_tahun(iku)
    if ikm is None:
        return []
    unsur = [
        [str(r["no"]), r["nama"], _num(r["nrr"]), _num(r["nrr_tertimbang"])]
        for r in ikm.unsur.to_dict("records")
    ]
    unsur.append(["", f"IKM (mutu {ikm.mutu}, {ikm.mutu_keterangan})", "", _num(ikm.ikm)])
    layanan = [
        [str(r["no"]), r["jenis_layanan"], angka(r["responden"]), _num(r["ikm"]),
         f"{r['mutu']} ({r['mutu_keterangan']})"]
        for r in ikm.layanan.to_dict("records")
    ]  # fmt: skip
    return [
        Table(number.below(), f"Nilai Rata-rata per Unsur Pelayanan Tahun {tahun}",
              ["No", "Unsur Pelayanan", "NRR", "NRR Tertimbang"], unsur,
              bold={len(unsur) - 1}, numeric={2, 3}, widths_cm=(0.8, 10.2, 3.0, 3.0)),
        Table(number.below(), f"Indeks Kepuasan Masyarakat per Jenis Layanan Tahun {tahun}",
              ["No", "Jenis Layanan", "Responden", "IKM", "Mutu"], layanan,
              numeric={2, 3}, widths_cm=(0.8, 8.2, 2.4, 2.2, 3.4)),
    ]  # fmt: skip


def iku_sentences(iku: list[dict[str, Any]], ref: Reference, tahun: int) -> list[str]:
    """The seed's hand-written sentence per IKU, from the figures."""
    frame = m.capaian_iku(iku, ref, tahun)
    return [m.iku_sentence(row) for row in frame.to_dict("records")]
