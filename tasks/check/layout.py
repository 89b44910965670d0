"""How people reshape a submission sheet: sum rows typed under the table, mistyped headers.

Pure functions over the quarter's text frame (tasks.collect.ingest.read_quarter); validation turns what
they find into problem records.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

import pandas as pd

# Words of a sum row (JUMLAH, TOTAL, Jumlah Total …); the suite may give its own list.
SUM_WORDS = (
    "jumlah",
    "total",
    "jumlah total",
    "total jumlah",
    "grand total",
    "sub total",
    "subtotal",
    "jumlah seluruhnya",
    "jumlah keseluruhan",
    "total keseluruhan",
)
SIMILAR = 0.8  # difflib ratio from which a header is taken for a mistyped contract column


def _normal_words(text: pd.Series) -> pd.Series:
    """'  JUMLAH  Total : ' -> 'jumlah total': case, inner spaces and trailing ':' ignored."""
    return (
        text.astype(str)
        .str.lower()
        .str.replace(r"[\s:.*=\-]+$", "", regex=True)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    )


def sum_rows(raw: pd.DataFrame, words: Iterable[str] = SUM_WORDS) -> pd.Series:
    """Per row: the cell text that makes it a sum row ('JUMLAH'), else None.

    A sum row has an empty kode_sub_kegiatan and a text cell that is one of `words`. A file made
    only of such rows keeps them (they are then what the file says, and judged as rows), so
    a file never vanishes from validation.
    """
    found = pd.Series([None] * len(raw), index=raw.index, dtype=object)
    if raw.empty:
        return found
    code = raw["kode_sub_kegiatan"] if "kode_sub_kegiatan" in raw.columns else None
    empty_code = (
        pd.Series(True, index=raw.index)
        if code is None
        else code.fillna("").astype(str).str.strip().eq("")
    )
    if not empty_code.any():
        return found
    wanted = {" ".join(w.lower().split()) for w in words}
    candidates = raw.loc[empty_code, [c for c in raw.columns if not str(c).startswith("_")]]
    for column in candidates.columns:
        cells = candidates[column].fillna("").astype(str)
        hit = _normal_words(cells).isin(wanted) & found.loc[candidates.index].isna()
        found.loc[hit[hit].index] = cells[hit].str.strip()
    files = raw["_file"].astype(str)
    data_rows = files[found.isna()].value_counts()
    only_sums = ~files.map(data_rows).fillna(0).gt(0)
    found[only_sums] = None
    return found


def _key_form(text: str) -> str:
    """'Realisasi Keuangan TW (Rp)' -> 'realisasi_keuangan_tw_rp': headers compared as keys."""
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


def suggest_columns(
    lacking: Iterable[str], header: Iterable[str], titles: Mapping[str, str]
) -> dict[str, str]:
    """Missing contract column -> the header the file probably meant by it.

    Candidates are the file's headers that are no contract column ('realisasi_keungan'),
    compared with the key and with its title ('Realisasi Keuangan TW (Rp)'); each header is
    suggested for one column at most.
    """
    free = [h for h in dict.fromkeys(header) if h and h not in titles and not h.startswith("_")]
    out: dict[str, str] = {}
    for column in lacking:
        forms = {_key_form(column), _key_form(titles.get(column, column))}
        best, score = None, SIMILAR
        for h in free:
            ratio = max(difflib.SequenceMatcher(None, _key_form(h), f).ratio() for f in forms)
            if ratio >= score:
                best, score = h, ratio
        if best is not None:
            out[column] = best
            free.remove(best)
    return out
