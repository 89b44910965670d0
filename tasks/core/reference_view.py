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
    frame = frame.drop_duplicates(["unit", "kode_sub_kegiatan"], keep="last")
    zero = frame[["pagu", "tw1", "tw2", "tw3", "tw4"]].sum(axis=1) == 0
    removed = (frame["versi"] == "perubahan") & zero  # a revision removed it
    return frame[~removed]


def budget_version(anggaran: pd.DataFrame, triwulan: int) -> str:
    """Which budget a quarter uses, in words: 'APBD murni' or 'APBD Perubahan (mulai TW III)'."""
    starts = sorted(
        {int(s) for v, s in zip(anggaran["versi"], anggaran["berlaku_mulai_tw"], strict=True)
         if v == "perubahan" and int(s) <= triwulan}
    )  # fmt: skip
    if not starts:
        return "APBD murni"
    return "APBD Perubahan (mulai " + ", ".join(f"TW {ROMAN[s]}" for s in starts) + ")"


def _number(value: float) -> str:
    """77,8 and 81 as Indonesian text: a comma for decimals, no trailing zeros."""
    return angka(value, 2).rstrip("0").rstrip(",") if "," in angka(value, 2) else angka(value)


def reference_lines(ref: Reference) -> list[str]:
    """Units with their pagu, programs with their pagu, IKU targets, signatories."""
    budget = _budget(ref).merge(
        ref.sub_kegiatan[["unit", "kode_sub_kegiatan"]], on=["unit", "kode_sub_kegiatan"]
    )
    lines = [
        f"Data referensi {ref.tahun} — {ref.kecamatan_name}",
        f"Anggaran {budget_version(ref.anggaran, 4)}; pagu seluruhnya "
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


def _rp(value: object) -> str:
    return rupiah(int(value)).removeprefix("Rp ")  # type: ignore[call-overload]


def change_lines(changes: pd.DataFrame, mulai: int) -> list[str]:
    """A revision's change table in words: per sub-kegiatan, pagu and allocation before → after."""
    lines = [f"Perubahan anggaran berlaku mulai TW {ROMAN[mulai]} ({len(changes)} sub kegiatan):"]
    for row in changes.to_dict("records"):
        lines.append(
            f"  {row['unit']} {row['kode_sub_kegiatan']} {row['nama_sub_kegiatan']} — "
            f"{row['status']}: pagu {_rp(row['pagu_lama'])} → {_rp(row['pagu_baru'])}"
        )
        quarters = [
            f"TW {ROMAN[q]} {_rp(row[f'tw{q}_lama'])} → {_rp(row[f'tw{q}_baru'])}"
            for q in range(1, 5)
            if row[f"tw{q}_lama"] != row[f"tw{q}_baru"]
        ]
        if quarters:
            lines.append("      " + "; ".join(quarters))
    before = int(changes["pagu_lama"].sum())
    after = int(changes["pagu_baru"].sum())
    lines.append(
        f"  Jumlah pagu yang berubah: {rupiah(before)} → {rupiah(after)} "
        f"(selisih {rupiah(after - before)})."
    )
    return lines


def install_lines(history: pd.DataFrame) -> list[str]:
    """Who installed the year's reference data, when, from which workbook."""
    if history.empty:
        return ["Riwayat pemasangan: belum ada (data dipasang tanpa triwulan referensi pasang)."]
    lines = ["Riwayat pemasangan:"]
    for row in history.to_dict("records"):
        what = {"pasang": "dipasang", "ganti": "diganti"}.get(
            row["jenis"], f"perubahan anggaran mulai TW {ROMAN.get(row['mulai_tw'], '?')}"
        )
        when = pd.Timestamp(row["pada"]).to_pydatetime().astimezone().strftime("%d-%m-%Y %H:%M")
        lines.append(f"  {when} {what} oleh {row['oleh']} dari {row['berkas']}")
    return lines
