"""A year's installed reference data in words (`triwulan referensi lihat`): what a secretariat
checks after installing a year, without opening a CSV."""

from __future__ import annotations

import pandas as pd

from triwulan.tasks.core.fmt import angka, rupiah
from triwulan.tasks.core.period import ROMAN
from triwulan.tasks.core.reference import Reference


def _budget(ref: Reference) -> pd.DataFrame:
    """The budget in force at the year's end: per sub-kegiatan its latest version."""
    frame = ref.anggaran.sort_values("berlaku_mulai_tw")
    return frame.drop_duplicates(["unit", "kode_sub_kegiatan"], keep="last")


def _number(value: float) -> str:
    """77,8 and 81 as Indonesian text: a comma for decimals, no trailing zeros."""
    return angka(value, 2).rstrip("0").rstrip(",") if "," in angka(value, 2) else angka(value)


def reference_lines(ref: Reference) -> list[str]:
    """Units with their pagu, programs with their pagu, IKU targets, signatories."""
    budget = _budget(ref).merge(
        ref.sub_kegiatan[["unit", "kode_sub_kegiatan"]], on=["unit", "kode_sub_kegiatan"]
    )
    versions = sorted(set(ref.anggaran["versi"]))
    lines = [
        f"Data referensi {ref.tahun} — {ref.kecamatan_name}",
        f"Anggaran: versi {', '.join(versions)}; pagu seluruhnya "
        f"{rupiah(int(budget['pagu'].sum()))} untuk {len(budget)} sub kegiatan.",
        "",
        f"Unit ({len(ref.units)}):",
    ]
    per_unit = budget.groupby("unit")["pagu"].agg(["sum", "count"])
    for unit, nama, jenis in zip(
        ref.units["unit"], ref.units["nama"], ref.units["jenis"], strict=True
    ):
        total, count = per_unit.loc[unit] if unit in per_unit.index else (0, 0)
        lines.append(
            f"  {unit:<18} {nama} ({jenis}): {int(count)} sub kegiatan, {rupiah(int(total))}"
        )
    lines += ["", f"Program ({len(ref.programs)}):"]
    program = budget["kode_sub_kegiatan"].str.rsplit(".", n=3).str[0]
    per_program = budget.groupby(program)["pagu"].sum()
    for kode, nama in zip(ref.programs["kode_program"], ref.programs["nama_program"], strict=True):
        lines.append(f"  {kode}  {nama}: {rupiah(int(per_program.get(kode, 0)))}")
    lines += ["", f"IKU ({len(ref.iku)}):"]
    for row in ref.iku.itertuples(index=False):
        quarters = ", ".join(
            f"TW {ROMAN[q]}: {_number(getattr(row, f'target_tw{q}'))}"
            for q in range(1, 5)
            if pd.notna(getattr(row, f"target_tw{q}"))
        )
        lines.append(
            f"  {row.kode}: {row.nama} — target {_number(row.target_tahunan)} {row.satuan} "
            f"({row.arah})" + (f"; {quarters}" if quarters else "")
        )
    lines += ["", "Pejabat:"]
    if ref.pejabat.empty:
        lines.append("  (pejabat.csv kosong: tanda tangan hanya jabatan)")
    for row in ref.pejabat.itertuples(index=False):
        who = row.nama or "(nama belum diisi)"
        nip = f", NIP {row.nip}" if row.nip else ""
        lines.append(f"  {row.peran}: {row.jabatan} — {who}{nip}")
    return lines
