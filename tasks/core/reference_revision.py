"""The mid-year budget revision (APBD Perubahan) as a pure function of frames.

Input: the installed year's files as text, the revision workbook's sheets (read_book), the
quarter the revision applies from, and the realisation already accepted per sub-kegiatan. Output:
the year's files with one `perubahan` row per sub-kegiatan whose budget changed (added, or
removed with every amount 0), the table of what changed, and every reason to refuse, each at
its sheet, row and column. Quarters before the revision keep the version they were reported
under, so their reports do not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from triwulan.tasks.core.fmt import rupiah
from triwulan.tasks.core.period import ROMAN
from triwulan.tasks.core.reference_checks import MONEY_COLS, SUB_KEY, TW_COLS, whole_rupiah

CHANGE_COLUMNS = [
    "unit",
    "kode_sub_kegiatan",
    "nama_sub_kegiatan",
    "status",
    *[f"{c}_lama" for c in MONEY_COLS],
    *[f"{c}_baru" for c in MONEY_COLS],
]


@dataclass
class Revision:
    """A revision's outcome: the new files (empty when refused), what changed, what is wrong."""

    files: dict[str, pd.DataFrame] = field(default_factory=dict)
    changes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CHANGE_COLUMNS))
    problems: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def in_force_before(anggaran: pd.DataFrame, mulai: int) -> pd.DataFrame:
    """Per sub-kegiatan the budget row in force in the quarter before `mulai` (text frame)."""
    start = whole_rupiah(anggaran["berlaku_mulai_tw"])[1]
    earlier = anggaran[start < mulai].assign(_mulai=start[start < mulai])
    earlier = earlier.sort_values("_mulai", kind="stable")
    return earlier.drop_duplicates(SUB_KEY, keep="last").drop(columns="_mulai")


def removed(anggaran: pd.DataFrame) -> pd.Series:
    """Rows by which a revision removed a sub-kegiatan: a perubahan with every amount 0."""
    zero = sum(whole_rupiah(anggaran[c].fillna(""))[1] for c in MONEY_COLS) == 0
    return (anggaran["versi"] == "perubahan") & pd.Series(zero, index=anggaran.index)


def _amounts(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {c: whole_rupiah(frame[c].fillna(""))[1] for c in MONEY_COLS}, index=frame.index
    )


def _problem(baris: object, kolom: str, pesan: str, lembar: str = "anggaran") -> dict[str, Any]:
    return {"lembar": lembar, "baris": baris, "kolom": kolom, "huruf": "", "pesan": pesan}


def revise(
    installed: dict[str, pd.DataFrame],
    book: dict[str, pd.DataFrame],
    mulai: int,
    realised: pd.DataFrame,
) -> Revision:
    """The year's files with a revision from TW `mulai`, or the problems that refuse it.

    `realised`: unit, kode_sub_kegiatan, triwulan, realisasi_keuangan (the year's accepted).
    A row of the workbook with every amount 0 removes its sub-kegiatan, as leaving it out does.
    """
    out = Revision()
    ang = installed["anggaran.csv"]
    starts = whole_rupiah(ang["berlaku_mulai_tw"])[1]
    if mulai not in (2, 3, 4):
        out.problems.append(_problem(None, "", "Perubahan anggaran berlaku mulai TW 2, 3 atau 4."))
        return out
    if (starts >= mulai).any():
        latest = int(starts.max())
        out.problems.append(
            _problem(None, "", f"Sudah ada versi anggaran yang berlaku mulai TW {ROMAN[latest]}; "
                     f"perubahan baru harus berlaku sesudahnya (--mulai-tw {latest + 1} atau lebih).")
        )  # fmt: skip
        return out
    before = in_force_before(ang, mulai)
    before = before[~removed(before)].reset_index(drop=True)
    sheet = book["anggaran.csv"]
    twice = sheet.duplicated(SUB_KEY, keep="first")
    for row in sheet[twice].to_dict("records"):
        out.problems.append(
            _problem(int(row["_baris"]), "kode_sub_kegiatan", f"Sub kegiatan "
                     f"{row['kode_sub_kegiatan']} unit {row['unit']} tercatat lebih dari sekali "
                     "di lembar anggaran: satu baris per sub kegiatan dalam perubahan.")
        )  # fmt: skip
    if out.problems:
        return _with_letters(out, sheet)
    new = sheet[~_zero(sheet)].reset_index(drop=True)
    names = _names(installed, book)
    merged = before.merge(
        new[[*SUB_KEY, *MONEY_COLS, "_baris"]],
        on=SUB_KEY,
        how="outer",
        suffixes=("_lama", "_baru"),
        indicator=True,
    )
    old_amounts = _amounts(merged.rename(columns={f"{c}_lama": c for c in MONEY_COLS}))
    new_amounts = _amounts(merged.rename(columns={f"{c}_baru": c for c in MONEY_COLS}))
    gone = (merged["_merge"] == "left_only").to_numpy()
    added = (merged["_merge"] == "right_only").to_numpy()
    old_amounts[added] = 0
    new_amounts[gone] = 0
    changed = (old_amounts != new_amounts).any(axis=1).to_numpy() | gone | added
    _note_reported(out, realised, mulai)
    spent = merged[SUB_KEY].merge(
        realised.groupby(SUB_KEY, as_index=False)["realisasi_keuangan"].sum(),
        on=SUB_KEY,
        how="left",
    )["realisasi_keuangan"]
    spent = spent.fillna(0).astype("int64").to_numpy()

    for i in range(len(merged)):
        if not changed[i]:
            continue
        row = merged.iloc[i]
        key = f"'{names.get((row['unit'], row['kode_sub_kegiatan']), row['kode_sub_kegiatan'])}' " \
              f"({row['kode_sub_kegiatan']}, unit {row['unit']})"  # fmt: skip
        baris = None if gone[i] else int(row["_baris"])
        if gone[i]:
            if spent[i] > 0:
                out.problems.append(
                    _problem(None, "kode_sub_kegiatan", f"Sub kegiatan {key} tidak ada lagi di "
                             f"lembar anggaran, padahal sudah ada realisasi {rupiah(int(spent[i]))}"
                             ": sub kegiatan yang sudah direalisasikan tidak boleh dihapus.")
                )  # fmt: skip
            continue
        for q, col in enumerate(TW_COLS, start=1):
            if q < mulai and old_amounts.at[i, col] != new_amounts.at[i, col]:
                was = (
                    "tidak ada (sub kegiatan baru)"
                    if added[i]
                    else rupiah(int(old_amounts.at[i, col]))
                )
                out.problems.append(
                    _problem(baris, col, f"Alokasi TW {ROMAN[q]} sub kegiatan {key} sudah lewat "
                             f"dan tidak boleh berubah: sebelumnya {was}, di sini "
                             f"{rupiah(int(new_amounts.at[i, col]))}.")
                )  # fmt: skip
        if new_amounts.at[i, "pagu"] < spent[i]:
            out.problems.append(
                _problem(baris, "pagu", f"Pagu baru {rupiah(int(new_amounts.at[i, 'pagu']))} "
                         f"untuk sub kegiatan {key} di bawah realisasi yang sudah diterima "
                         f"{rupiah(int(spent[i]))}.")
            )  # fmt: skip
    _with_letters(out, sheet)
    out.changes = _change_table(merged, old_amounts, new_amounts, changed, gone, added, names)
    if out.problems:
        return out
    if not changed.any():
        out.notes.append(
            "Tidak ada pagu atau alokasi yang berubah dibanding anggaran yang berlaku: tidak ada "
            "yang dipasang."
        )
        return out
    out.files = _revised_files(installed, book, merged, new_amounts, changed, mulai)
    return out


def _zero(sheet: pd.DataFrame) -> np.ndarray:
    return sum(whole_rupiah(sheet[c].fillna(""))[1] for c in MONEY_COLS) == 0


def _with_letters(out: Revision, sheet: pd.DataFrame) -> Revision:
    letters = sheet.attrs.get("huruf", {})
    for p in out.problems:
        p["huruf"] = letters.get(p["kolom"], "")
    return out


def _note_reported(out: Revision, realised: pd.DataFrame, mulai: int) -> None:
    """Quarters from `mulai` already reported: their reports change on the next run."""
    quarters = realised["triwulan"] if "triwulan" in realised.columns else []
    reported = sorted({int(q) for q in quarters if int(q) >= mulai})
    if reported:
        named = ", ".join(f"TW {ROMAN[q]}" for q in reported)
        out.notes.append(
            f"{named} sudah punya realisasi yang diterima: jalankan ulang triwulan itu agar "
            "laporannya memakai anggaran perubahan."
        )


def _names(
    installed: dict[str, pd.DataFrame], book: dict[str, pd.DataFrame]
) -> dict[tuple[str, str], str]:
    names = {}
    for frame in (book.get("sub_kegiatan.csv"), installed["sub_kegiatan.csv"]):
        if frame is not None and "nama_sub_kegiatan" in frame.columns:
            names.update(
                zip(zip(frame["unit"], frame["kode_sub_kegiatan"], strict=True),
                    frame["nama_sub_kegiatan"], strict=True)
            )  # fmt: skip
    return names


def _change_table(
    merged: pd.DataFrame,
    old: pd.DataFrame,
    new: pd.DataFrame,
    changed: Any,
    gone: Any,
    added: Any,
    names: dict[tuple[str, str], str],
) -> pd.DataFrame:
    """One row per changed sub-kegiatan: status and every amount before and after."""
    status = pd.Series("alokasi berubah", index=merged.index)
    status[new["pagu"] > old["pagu"]] = "pagu naik"
    status[new["pagu"] < old["pagu"]] = "pagu turun"
    status[added] = "baru"
    status[gone] = "dihapus"
    table = pd.DataFrame(
        {
            "unit": merged["unit"],
            "kode_sub_kegiatan": merged["kode_sub_kegiatan"],
            "nama_sub_kegiatan": [
                names.get(k, "")
                for k in zip(merged["unit"], merged["kode_sub_kegiatan"], strict=True)
            ],
            "status": status,
            **{f"{c}_lama": old[c] for c in MONEY_COLS},
            **{f"{c}_baru": new[c] for c in MONEY_COLS},
        }
    )
    return table[changed].reset_index(drop=True)[CHANGE_COLUMNS]


def _revised_files(
    installed: dict[str, pd.DataFrame],
    book: dict[str, pd.DataFrame],
    merged: pd.DataFrame,
    new: pd.DataFrame,
    changed: Any,
    mulai: int,
) -> dict[str, pd.DataFrame]:
    """Installed files plus the perubahan rows, and the codes and sub-kegiatan the revision adds."""
    files = dict(installed)
    rows = pd.DataFrame(
        {
            "unit": merged["unit"][changed],
            "kode_sub_kegiatan": merged["kode_sub_kegiatan"][changed],
            "versi": "perubahan",
            "berlaku_mulai_tw": str(mulai),
            **{c: new[c][changed].astype(str) for c in MONEY_COLS},
        }
    )
    ang = installed["anggaran.csv"]
    files["anggaran.csv"] = pd.concat([ang, rows[ang.columns]], ignore_index=True)
    split = book.get("jenis_belanja.csv")
    if split is not None and not split.empty:  # the split of the revised pagu, from the workbook
        files["jenis_belanja.csv"] = split.drop(columns=["_baris"], errors="ignore")
    for name, key in (
        ("sub_kegiatan.csv", SUB_KEY),
        ("kegiatan.csv", ["kode_kegiatan"]),
        ("programs.csv", ["kode_program"]),
    ):
        old, extra = installed[name], book.get(name)
        if extra is None or extra.empty:
            continue
        known = pd.MultiIndex.from_frame(old[key])
        fresh = extra[~pd.MultiIndex.from_frame(extra[key]).isin(known)]
        files[name] = pd.concat(
            [old, fresh.reindex(columns=old.columns).fillna("")], ignore_index=True
        )
    return files
