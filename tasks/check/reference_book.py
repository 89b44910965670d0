"""Check a reference workbook before anything is installed: every problem at its sheet, row, column.

The rules are data (expectations/referensi.json), run by Great Expectations: one ephemeral
context, one batch per sheet, over the sheet's rows as text (empty cells null). What needs
another sheet (a sub-kegiatan's kegiatan exists, TW I–IV add up to the pagu) is computed once
over whole columns as a flag column here; GX then states it as an ordinary column check.
Missing sheets and columns are found before GX, since its rules would only fail on them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from triwulan.paths import EXPECTATIONS_DIR
from triwulan.tasks.check.gx_sheets import validate_sheets
from triwulan.tasks.core.fmt import rupiah
from triwulan.tasks.core.reference_book import Column, labels
from triwulan.tasks.core.reference_checks import FILES, MONEY_COLS, TW_COLS, whole_rupiah

SUITE_PATH = EXPECTATIONS_DIR / "referensi.json"
INDEX = ["_idx", "_baris"]
PROBLEM_COLUMNS = [
    "lembar",
    "baris",
    "kolom",
    "huruf",
    "judul",
    "nilai",
    "tingkat",
    "aturan",
    "pesan",
]
SHOW_MAX = 80


@lru_cache(maxsize=1)
def load_book_suite() -> dict[str, Any]:
    """expectations/referensi.json: the rules, each naming its sheet (`lembar`)."""
    return json.loads(SUITE_PATH.read_text(encoding="utf-8"))


def _problem(
    lembar: str,
    baris: int | None,
    kolom: str | None,
    nilai: str,
    tingkat: str,
    aturan: str,
    pesan: str,
    spec: dict[str, tuple[str, list[Column]]],
    huruf: dict[str, str],
) -> dict[str, Any]:
    titles = {c.key: c.judul for c in spec.get(lembar, ("", []))[1]}
    return {
        "lembar": lembar,
        "baris": baris,
        "kolom": kolom,
        "huruf": huruf.get(kolom or "", ""),
        "judul": titles.get(kolom or "", kolom or ""),
        "nilai": nilai,
        "tingkat": tingkat,
        "aturan": aturan,
        "pesan": pesan,
    }


def structure_problems(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """A required sheet missing or empty, a key column missing: nothing else can be judged there."""
    spec = labels()
    sheet_of = {file: sheet for sheet, (file, _) in spec.items()}
    out = []
    for name, columns in FILES.items():
        sheet = sheet_of[name]
        frame = frames.get(name)
        if frame is None:
            out.append(
                _problem(sheet, None, None, "", "error", "lembar_ada",
                         f"Lembar {sheet} tidak ada di buku kerja. Buat ulang dengan "
                         "triwulan referensi templat, jangan menghapus lembar.", spec, {})
            )  # fmt: skip
            continue
        missing = [c for c in columns if c not in frame.columns]
        for column in missing:
            out.append(
                _problem(sheet, 1, column, "", "error", "kolom_ada",
                         f"Kolom '{column}' tidak ada di baris 1 lembar {sheet}. Judul kolom "
                         "baris 1 jangan diubah atau dihapus.", spec, {})
            )  # fmt: skip
        if not missing and frame.empty:
            out.append(
                _problem(sheet, None, None, "", "error", "lembar_isi",
                         f"Lembar {sheet} kosong: isi paling sedikit satu baris.", spec, {})
            )  # fmt: skip
    for name, frame in frames.items():  # optional sheets: only the columns they have
        if name in FILES or frame.empty:
            continue
        sheet = sheet_of.get(name, name)
        wanted = [c.key for c in spec.get(sheet, ("", []))[1]]
        for column in (c for c in wanted if c not in frame.columns):
            out.append(
                _problem(sheet, 1, column, "", "error", "kolom_ada",
                         f"Kolom '{column}' tidak ada di baris 1 lembar {sheet}.", spec, {})
            )  # fmt: skip
    for name, frame in frames.items():  # what reading the sheet had to leave out or refuse
        sheet = sheet_of.get(name, name)
        letters = frame.attrs.get("huruf", {})
        for column in frame.attrs.get("ganda", []):
            out.append(
                _problem(sheet, 1, column, "", "error", "kolom_ganda",
                         f"Kolom '{column}' ada lebih dari sekali di baris 1 lembar {sheet}: "
                         "hapus salinannya.", spec, letters)
            )  # fmt: skip
        for column in frame.attrs.get("lain", []):
            out.append(
                _problem(sheet, 1, None, column, "warning", "kolom_lain",
                         f"Kolom '{column}' di lembar {sheet} tidak dikenal dan tidak ikut "
                         "dipasang.", spec, {})
            )  # fmt: skip
        for row, column in frame.attrs.get("panjang", []):
            out.append(
                _problem(sheet, row, column, "", "error", "angka_panjang",
                         "Angka lebih dari 15 digit dibulatkan Excel: tulis sebagai teks "
                         "(awali dengan tanda petik ' atau format sel Teks).", spec, letters)
            )  # fmt: skip
    return pd.DataFrame(out, columns=PROBLEM_COLUMNS)


def _null(frame: pd.DataFrame) -> pd.DataFrame:
    """Text with empty cells as None: GX's column rules skip nulls, `*_isi` rules judge them."""
    data = frame.drop(columns="_baris").astype(object)
    blank = data.apply(lambda column: column.astype(str).str.strip() == "")
    data = data.mask(blank, None)
    return data.assign(_idx=np.arange(len(frame)), _baris=frame["_baris"].astype(int))


def _flag(holds: np.ndarray | pd.Series, applies: np.ndarray | pd.Series) -> pd.Series:
    """True/False where the rule applies, None elsewhere (not applicable: GX skips it)."""
    holds = np.asarray(holds, dtype=bool)
    applies = np.asarray(applies, dtype=bool)
    return pd.Series(np.where(applies, holds, None), dtype=object)


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series([None] * len(frame), dtype=object)


def prepare_sheets(
    frames: dict[str, pd.DataFrame], broken: frozenset[str] = frozenset()
) -> dict[str, pd.DataFrame]:
    """Each sheet (by sheet name) as GX reads it: text or None, `_idx`, `_baris`, flag columns.

    A rule that looks something up in a `broken` sheet (a key column missing: already reported)
    does not apply: it would call every row wrong for a reason that is not theirs.
    """
    spec = labels()
    sheet_of = {file: sheet for sheet, (file, _) in spec.items()}
    works = {sheet_of.get(name, name): _null(frame) for name, frame in frames.items()}
    empty = pd.DataFrame(columns=["_idx", "_baris"])
    units = works.get("unit", empty)
    programs = set(_col(works.get("program", empty), "kode_program").dropna())
    kegiatan = set(_col(works.get("kegiatan", empty), "kode_kegiatan").dropna())
    iku = set(_col(works.get("iku", empty), "kode").dropna())
    known_units = set(_col(units, "unit").dropna())
    sub = works.get("sub_kegiatan", empty)
    ang = works.get("anggaran", empty)
    ok = {sheet: sheet not in broken for sheet in spec}

    if "unit" in works:
        jenis = _col(units, "jenis")
        is_kec = (jenis == "kecamatan").to_numpy()
        first = units["_baris"][is_kec].min() if is_kec.any() else None
        units["kecamatan_satu"] = _flag(units["_baris"] == first, is_kec)
        units["baris_kecamatan"] = str(first)
        with_sub = set(_col(sub, "unit").dropna())
        code = _col(units, "unit")
        units["punya_sub_kegiatan"] = _flag(code.isin(with_sub), code.notna() & ok["sub_kegiatan"])
    if "kegiatan" in works:
        code = _col(works["kegiatan"], "kode_kegiatan")
        works["kegiatan"]["kode_program"] = code.str[:7]
        works["kegiatan"]["program_ada"] = _flag(
            code.str[:7].isin(programs), (code.str.len() == 12) & ok["program"]
        )
    if "sub_kegiatan" in works:
        code = _col(sub, "kode_sub_kegiatan")
        shaped = code.str.len() == 17
        sub["kode_program"], sub["kode_kegiatan"] = code.str[:7], code.str[:12]
        sub["unit_ada"] = _flag(
            _col(sub, "unit").isin(known_units), _col(sub, "unit").notna() & ok["unit"]
        )
        sub["program_ada"] = _flag(code.str[:7].isin(programs), shaped & ok["program"])
        sub["kegiatan_ada"] = _flag(code.str[:12].isin(kegiatan), shaped & ok["kegiatan"])
        budgeted = set(zip(_col(ang, "unit"), _col(ang, "kode_sub_kegiatan"), strict=True))
        pairs = pd.Series(list(zip(_col(sub, "unit"), code, strict=True)), dtype=object)
        sub["anggaran_ada"] = _flag(
            pairs.isin(budgeted), code.notna() & _col(sub, "unit").notna() & ok["anggaran"]
        )
    if "anggaran" in works:
        listed = set(zip(_col(sub, "unit"), _col(sub, "kode_sub_kegiatan"), strict=True))
        code = _col(ang, "kode_sub_kegiatan")
        pairs = pd.Series(list(zip(_col(ang, "unit"), code, strict=True)), dtype=object)
        ang["sub_ada"] = _flag(
            pairs.isin(listed), code.notna() & _col(ang, "unit").notna() & ok["sub_kegiatan"]
        )
        _money_flags(ang)
        versi = _col(ang, "versi")
        start = _col(ang, "berlaku_mulai_tw")
        ang["murni_tw1"] = _flag(start == "1", (versi == "murni") & start.notna())
    if "zona_k3" in works:
        kel = set(_col(units, "unit")[(_col(units, "jenis") == "kelurahan").to_numpy()].dropna())
        where = _col(works["zona_k3"], "kelurahan")
        works["zona_k3"]["kelurahan_ada"] = _flag(where.isin(kel), where.notna() & ok["unit"])
    for sheet, column, flag, known, sources in (
        ("sasaran", "iku", "iku_ada", iku, ("iku",)),
        ("sasaran", "kode_program", "program_ada", programs, ("program",)),
        ("iku_tahunan", "kode", "iku_ada", iku, ("iku",)),
        ("renstra", "kode", "kode_ada", iku | programs | kegiatan, ("iku", "program", "kegiatan")),
    ):
        if sheet in works:
            values = _col(works[sheet], column)
            judged = values.notna() & all(ok[s] for s in sources)
            works[sheet][flag] = _flag(values.isin(known), judged)
    return works


def _money_flags(ang: pd.DataFrame) -> None:
    """`jumlah_ok`: TW I–IV add up to the pagu, where all five are whole rupiah (else n/a)."""
    readable = np.ones(len(ang), dtype=bool)
    values = {}
    for col in MONEY_COLS:
        ok, value = whole_rupiah(_col(ang, col).fillna(""))
        readable &= ok
        values[col] = value
    total = sum(values[c] for c in TW_COLS)
    ang["jumlah_ok"] = _flag(total == values["pagu"], readable)
    ang["jumlah_tw"] = [rupiah(int(v)) for v in total]
    ang["pagu_rp"] = [rupiah(int(v)) for v in values["pagu"]]
    ang["selisih"] = [rupiah(int(v)) for v in total - values["pagu"]]


def run_book_expectations(works: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """One GX context, one batch per sheet that has rules; GX's validation result per sheet."""
    by_sheet: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in load_book_suite()["expectations"]:
        by_sheet[entry["lembar"]].append(entry)
    for sheet, work in works.items():
        lacking = {c for e in by_sheet.get(sheet, []) for c in _columns_of(e)} - set(work.columns)
        if lacking and not work.empty:  # a rule naming a column nobody computes never fires
            raise ValueError(f"referensi.json lembar {sheet}: kolom tidak ada: {sorted(lacking)}")
    return validate_sheets("referensi", works, by_sheet, INDEX)


def _columns_of(entry: dict[str, Any]) -> set[str]:
    kwargs = entry["kwargs"]
    return set(kwargs.get("column_list") or [kwargs["column"]])


class _Fields(dict):  # type: ignore[type-arg]
    """Placeholders of a message: a name the row lacks shows as '-' instead of failing."""

    def __missing__(self, key: str) -> str:
        return "-"


def _show(value: object) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return text if len(text) <= SHOW_MAX else text[: SHOW_MAX - 1] + "…"


def problems_from_results(
    results: dict[str, Any], works: dict[str, pd.DataFrame], huruf: dict[str, dict[str, str]]
) -> pd.DataFrame:
    """Problem rows from GX's results, matched by meta (GX returns them out of suite order)."""
    spec = labels()
    out = []
    for sheet, result in results.items():
        work = works[sheet]
        for item in result.results:
            if item.success:
                continue
            meta = item.expectation_config.meta
            column = meta["column"]
            failing = sorted(
                {int(i["_idx"]) for i in item.result.get("unexpected_index_list") or []}
            )
            if not failing:  # a rule on the whole sheet (the kecamatan is missing)
                out.append(
                    _problem(sheet, None, column, "", meta["severity"], meta["rule"],
                             meta["message"], spec, huruf.get(sheet, {}))
                )  # fmt: skip
                continue
            judul = {c.key: c.judul for c in spec.get(sheet, ("", []))[1]}
            for record in work.iloc[failing].to_dict("records"):
                value = _show(record.get(column))
                fields = _Fields({k: _show(v) for k, v in record.items()})
                fields.update(value=value, judul=judul.get(column, column), lembar=sheet)
                out.append(
                    _problem(sheet, int(record["_baris"]), column, value, meta["severity"],
                             meta["rule"], meta["message"].format_map(fields), spec,
                             huruf.get(sheet, {}))
                )  # fmt: skip
    return pd.DataFrame(out, columns=PROBLEM_COLUMNS)


def check_book(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every problem of a workbook read by read_book, sorted by sheet order, row, rule."""
    problems = structure_problems(frames)
    broken = set(problems.loc[problems["aturan"].isin(["kolom_ada", "kolom_ganda"]), "lembar"])
    spec = labels()
    sheet_of = {file: sheet for sheet, (file, _) in spec.items()}
    works = prepare_sheets(frames, frozenset(broken))
    judged = {sheet: work for sheet, work in works.items() if sheet not in broken}
    huruf = {sheet_of.get(n, n): dict(f.attrs.get("huruf", {})) for n, f in frames.items()}
    found = problems_from_results(run_book_expectations(judged), judged, huruf)
    return sort_problems(pd.concat([problems, found], ignore_index=True), list(spec))


def sort_problems(problems: pd.DataFrame, sheets: list[str]) -> pd.DataFrame:
    """In the workbook's order: sheet, then row (sheet-wide problems first), then column."""
    order = {s: i for i, s in enumerate(sheets)}
    keyed = problems.assign(
        _s=problems["lembar"].map(lambda s: order.get(s, len(order))),
        _r=problems["baris"].map(lambda r: -1 if r is None or pd.isna(r) else int(r)),
        _h=problems["huruf"].map(lambda h: (len(h), h)),
    )
    keyed = keyed.sort_values(["_s", "_r", "_h"], kind="stable")
    return keyed.drop(columns=["_s", "_r", "_h"]).reset_index(drop=True).astype(object)


def problem_line(row: dict[str, Any]) -> str:
    """'lembar anggaran, baris 7, kolom F (Pagu (Rp)): …' as the console prints a problem."""
    where = [f"lembar {row['lembar']}"]
    if row["baris"] is not None and not pd.isna(row["baris"]):
        where.append(f"baris {int(row['baris'])}")
    if row["kolom"]:
        letter = f"{row['huruf']} " if row["huruf"] else ""
        where.append(f"kolom {letter}({row['judul']})")
    mark = "" if row["tingkat"] == "error" else " [catatan]"
    return f"{', '.join(where)}: {row['pesan']}{mark}"
