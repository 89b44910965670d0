"""Read submission files (xlsx sheet `realisasi` or UTF-8 CSV) into one text frame.

Cells stay text here: typing happens in validation, so a bad cell becomes a named problem instead
of a crash. Each row keeps `_file` (name as received), `_row` (row number as the user sees it in
Excel) and `_kolom` (the file's own header joined by "|"): read_quarter fills a column absent from
one file with "" when another file has it, so only `_kolom` tells "absent" from "left empty".
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import select
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from triwulan.tasks.errors import TriwulanError
from triwulan.tasks.limits import Limits, load_limits
from triwulan.tasks.xlsx_check import XlsxRefused, inspect_xlsx
from triwulan.tasks.xlsx_child import cell_text

SHEET = "realisasi"
SUPPORTED = (".xlsx", ".csv")
META_COLS = ["_file", "_row", "_kolom"]
HEADER_SEP = "|"
# Files the operating system drops into folders by itself (hidden on Windows, but not by name).
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini"})
# Excel's owner file (~$x.xlsx) and LibreOffice's lock file (.~lock.x.xlsx#)
LOCK_PREFIXES = ("~$", ".~lock.")
RESEND = "Simpan ulang sebagai .xlsx (Excel Workbook) lalu kirim lagi."


@dataclass(frozen=True)
class FileProblem:
    """A file that could not be read at all (it yields no rows)."""

    file: str
    message: str


def check_inbox(inbox: Path) -> None:
    """An inbox that is not there is a setup mistake, not 'every unit is missing'."""
    try:
        with os.scandir(inbox):
            pass
    except OSError as exc:  # absent, not a folder, no permission
        raise TriwulanError(f"Folder inbox '{inbox}' tidak ada atau tidak dapat dibaca.") from exc


def _ignored(path: Path) -> bool:
    """Only files the operating system drops into folders by itself are not submissions.

    Everything else, hidden names and editor lock files included, is kept and judged: a unit
    whose file was skipped silently would be shown as 'belum mengirim' and never told why.
    """
    return path.name.lower() in SYSTEM_FILES


def find_submissions(folder: Path) -> list[Path]:
    """Every file a unit put in one quarter folder, supported format or not.

    Unsupported files are returned too, so read_submission reports them: skipping them silently
    would show the unit as 'belum mengirim' while it did send something. Sub-folders are ignored.
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found = []
    for entry in entries:
        try:
            if entry.is_file() and not _ignored(Path(entry.path)):
                found.append(Path(entry.path))
        except OSError:  # vanished or unreadable entry: a file problem later, not a crash here
            found.append(Path(entry.path))
    return sorted(found)


def _column_letter(index: int) -> str:
    """0 -> 'A', 27 -> 'AB': how Excel (and a CSV opened in Excel) names the column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=META_COLS)


def _duplicated(named: list[tuple[int, str]]) -> dict[str, list[int]]:
    """Header name -> its column positions, for names that occur more than once."""
    where: dict[str, list[int]] = defaultdict(list)
    for i, h in named:
        where[h].append(i)
    return {h: cols for h, cols in where.items() if len(cols) > 1}


def _rows_to_frame(rows: list[list[object]], name: str) -> tuple[pd.DataFrame, FileProblem | None]:
    """Text frame of a sheet's rows; the header is the first non-empty row.

    Columns with an empty header are dropped, and so are rows empty in every named column
    (trailing rows Excel keeps after content was deleted).
    """
    texts = [[cell_text(v) for v in raw] for raw in rows]
    start = next((i for i, cells in enumerate(texts) if any(cells)), None)
    if start is None:
        return _empty(), FileProblem(name, f"Berkas {name} kosong (tidak ada judul kolom).")
    header = [h.lower() for h in texts[start]]
    named = [(i, h) for i, h in enumerate(header) if h and h not in META_COLS]
    repeated = _duplicated(named)
    if repeated:
        listed = ", ".join(
            f"'{h}' (kolom {' dan '.join(_column_letter(i) for i in cols)})"
            for h, cols in repeated.items()
        )
        return _empty(), FileProblem(
            name,
            f"Berkas {name} memuat judul kolom ganda: {listed}. Setiap kolom hanya boleh ada "
            "satu kali; hapus kolom yang ganda (gunakan templat triwulan ini) lalu kirim lagi.",
        )
    kolom = HEADER_SEP.join(h for _, h in named)
    body = []
    for number, cells in enumerate(texts[start + 1 :], start=start + 2):  # Excel row numbers
        values = [cells[i] if i < len(cells) else "" for i, _ in named]
        if any(values):
            body.append([*values, name, number, kolom])
    frame = pd.DataFrame(body, columns=[*(h for _, h in named), *META_COLS])
    frame["_row"] = frame["_row"].astype("int64")
    if frame.empty:
        return frame, FileProblem(name, f"Berkas {name} tidak berisi baris data.")
    return frame, None


def _unsupported(name: str, suffix: str) -> FileProblem:
    if not suffix and not name.startswith(LOCK_PREFIXES):
        return FileProblem(
            name, f"Berkas {name} tidak berekstensi sehingga formatnya tidak dikenali. {RESEND}"
        )
    if name.startswith(LOCK_PREFIXES):
        return FileProblem(
            name,
            f"Berkas {name} adalah berkas kunci sementara Excel/LibreOffice, bukan laporan: "
            "tandanya laporan aslinya masih terbuka saat disalin. Tutup berkas di Excel, "
            "hapus berkas kunci ini, lalu kirim laporan aslinya.",
        )
    return FileProblem(name, f"Berkas {name} berformat {suffix} yang tidak didukung. {RESEND}")


def _delimiter(text: str) -> str:
    """',' by contract; ';' when the header says so (Excel in an Indonesian locale saves that)."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _mb(size: int) -> str:
    return f"{size / (1 << 20):.1f}".replace(".", ",") + " MB"


def refused_problem(name: str, refused: XlsxRefused, limits: Limits) -> FileProblem:
    """The Indonesian message for an xlsx that must not be parsed, naming what to do."""
    d = refused.details
    table = f"{limits.baris_maks:,} baris × {limits.kolom_maks} kolom".replace(",", ".")
    messages = {
        "encrypted": f"Berkas {name} dilindungi kata sandi (terenkripsi) sehingga tidak dapat "
        "dibaca. Buka di Excel, hapus kata sandinya (File > Info > Protect Workbook > Encrypt "
        "with Password, kosongkan), simpan, lalu kirim lagi.",
        "old_xls": f"Berkas {name} berformat Excel lama (.xls) walau namanya .xlsx. {RESEND}",
        "damaged": f"Berkas {name} rusak atau bukan berkas Excel .xlsx sehingga tidak dapat "
        f"dibaca. {RESEND}",
        "unpacked_too_large": f"Berkas {name} terlalu besar setelah diurai (batas "
        f"{limits.ukuran_terurai_mb} MB isi). Kirim hanya sheet '{SHEET}' dari templat triwulan "
        "ini, tanpa gambar atau lampiran.",
        "ratio": f"Berkas {name} tidak wajar: bagian {d.get('member')} mengembang "
        f"{d.get('ratio')} kali saat diurai (batas {limits.rasio_kompresi} kali). Simpan ulang "
        "dari templat triwulan ini lalu kirim lagi.",
        "extent": f"Sheet '{SHEET}' berkas {name} berisi sel terisi sampai {d.get('cell')}, di "
        f"luar batas tabel ({table}). Hapus isi di luar tabel (sering tanpa sengaja terketik di "
        "sel paling bawah/kanan), simpan, lalu kirim lagi.",
        "declared_extent": f"Sheet '{SHEET}' berkas {name} tercatat memakai area sampai "
        f"{d.get('cell')}, di luar batas tabel ({table}). Pilih baris dan kolom kosong di luar "
        "tabel, hapus (Delete rows/columns), simpan, lalu kirim lagi.",
    }
    return FileProblem(name, messages[refused.kind])


def _too_large(name: str, size: int, limits: Limits) -> FileProblem:
    return FileProblem(
        name,
        f"Berkas {name} berukuran {_mb(size)}, melebihi batas {limits.ukuran_berkas_mb} MB. "
        "Kirim hanya sheet isian dari templat triwulan ini, tanpa gambar atau lampiran.",
    )


def _read_csv(path: Path, name: str, limits: Limits) -> list[list[object]] | FileProblem:
    data = path.read_bytes()
    text = data.decode("utf-8-sig")
    lines = text.count("\n") + 1
    if lines > limits.baris_maks + 1:
        return FileProblem(
            name,
            f"Berkas {name} berisi {lines:,} baris, melebihi batas {limits.baris_maks:,} baris "
            "per berkas. Kirim hanya baris sub kegiatan unit Anda.".replace(",", "."),
        )
    rows: list[list[object]] = list(
        csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    )
    widest = max((len(r) for r in rows), default=0)
    if widest > limits.kolom_maks:
        return FileProblem(
            name,
            f"Berkas {name} berisi {widest} kolom, melebihi batas {limits.kolom_maks} kolom. "
            "Gunakan templat triwulan ini.",
        )
    return rows


def _read_xlsx(
    path: Path, name: str, limits: Limits, reader: XlsxReader
) -> list[list[object]] | FileProblem:
    try:
        scan, sheets = inspect_xlsx(
            path,
            SHEET,
            max_total=limits.ukuran_terurai,
            max_ratio=limits.rasio_kompresi,
            max_rows=limits.baris_maks,
            max_cols=limits.kolom_maks,
        )
    except XlsxRefused as refused:
        return refused_problem(name, refused, limits)
    if scan is None:
        return FileProblem(
            name,
            f"Berkas {name} tidak punya sheet '{SHEET}' (ada: {', '.join(sheets) or '-'}). "
            "Gunakan templat triwulan ini.",
        )
    if scan.formulas_without_value:
        cells = ", ".join(scan.formulas_without_value)
        return FileProblem(
            name,
            f"Sel {cells} pada sheet '{SHEET}' berkas {name} berisi rumus tanpa nilai tersimpan: "
            "isi nilai, bukan rumus. Salin sel lalu Tempel Nilai (Paste Values), simpan di "
            "Excel, lalu kirim lagi.",
        )
    rows, failure = reader.read(path)
    if failure:
        return FileProblem(name, _reader_message(name, failure, limits))
    return rows  # type: ignore[return-value]


def _reader_message(name: str, failure: str, limits: Limits) -> str:
    if failure == "timeout":
        return (
            f"Berkas {name} terlalu lama dibaca (lebih dari {limits.waktu_baca_detik} detik) "
            f"dan dilewati. {RESEND}"
        )
    if failure == "crashed":
        return (
            f"Berkas {name} tidak dapat dibaca: pembaca Excel berhenti (berkas rusak atau terlalu "
            f"besar, batas memori {limits.memori_pembaca_mb} MB). {RESEND}"
        )
    return (
        f"Berkas {name} rusak atau bukan berkas Excel .xlsx sehingga tidak dapat dibaca. {RESEND}"
    )


def unreadable_problem(name: str, exc: OSError) -> FileProblem:
    """A file the run could not open or copy: permissions, a lock, or gone mid-run."""
    if isinstance(exc, FileNotFoundError):
        why = "hilang dari folder saat dibaca (dipindah atau dihapus)"
    elif isinstance(exc, PermissionError):
        why = "tidak boleh dibaca (izin berkas) atau sedang dikunci program lain"
    else:
        why = f"tidak dapat dibaca ({exc.strerror or type(exc).__name__})"
    return FileProblem(
        name,
        f"Berkas {name} {why}. Pastikan berkas sudah selesai disalin dan tidak sedang dibuka, "
        "lalu jalankan ulang.",
    )


def read_submission(
    path: Path,
    name: str | None = None,
    limits: Limits | None = None,
    reader: XlsxReader | None = None,
) -> tuple[pd.DataFrame, FileProblem | None]:
    """Rows of one file as text; a problem instead when the file cannot be read (then no rows).

    `path` may be the raw-store copy; `name` is the file name as received (what people see).
    Every check that bounds memory runs before a parser sees the file.
    """
    name = name or path.name
    limits = limits or load_limits()
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED or name.startswith(LOCK_PREFIXES):
        return _empty(), _unsupported(name, suffix)
    try:
        size = path.stat().st_size
        if size > limits.ukuran_berkas:
            return _empty(), _too_large(name, size, limits)
        if suffix == ".csv":
            result = _read_csv(path, name, limits)
        elif reader is None:
            with XlsxReader(limits) as own:
                result = _read_xlsx(path, name, limits, own)
        else:
            result = _read_xlsx(path, name, limits, reader)
    except UnicodeDecodeError:
        return _empty(), FileProblem(
            name,
            f"Berkas {name} bukan CSV UTF-8. Simpan ulang sebagai 'CSV UTF-8 (Comma delimited)' "
            "atau sebagai .xlsx (Excel Workbook) lalu kirim lagi.",
        )
    except OSError as exc:
        return _empty(), unreadable_problem(name, exc)
    except Exception:  # any parser failure: the user needs what to do, not the exception class
        what = "CSV" if suffix == ".csv" else "Excel .xlsx"
        return _empty(), FileProblem(
            name,
            f"Berkas {name} rusak atau bukan berkas {what} sehingga tidak dapat dibaca. {RESEND}",
        )
    if isinstance(result, FileProblem):
        return _empty(), result
    return _rows_to_frame(result, name)


def read_quarter(
    paths: list[Path], names: list[str] | None = None, limits: Limits | None = None
) -> tuple[pd.DataFrame, list[FileProblem]]:
    """All rows of all readable files of one quarter in one frame, and one problem per other file.

    Columns: the union of the headers, "" where a file lacks a column (its `_kolom` tells which).
    One reader process serves every xlsx of the quarter.
    """
    names = names or [p.name for p in paths]
    limits = limits or load_limits()
    frames, problems = [], []
    with XlsxReader(limits) as reader:
        for path, name in zip(paths, names, strict=True):
            frame, problem = read_submission(path, name, limits, reader)
            if problem:
                problems.append(problem)
            else:
                frames.append(frame)
    if not frames:
        return _empty(), problems
    combined = pd.concat(frames, ignore_index=True)
    data = [c for c in combined.columns if c not in META_COLS]
    combined[data] = combined[data].fillna("")
    return combined[[*data, *META_COLS]], problems


@dataclass(frozen=True)
class Received:
    """A quarter folder as received: rows of readable files, file problems, sha256 per file."""

    raw: pd.DataFrame
    file_problems: list[FileProblem]
    sha256: dict[str, str]  # file name as received -> sha256 of the bytes kept


def collect_quarter(
    paths: list[Path], keep: Callable[[Path], tuple[str, Path]], limits: Limits | None = None
) -> Received:
    """Keep each file (unless over the size limit), then read the kept copies, never the inbox.

    `keep(path) -> (sha256, kept_path)` copies into the raw store. Reading the kept copy means the
    parsed rows are exactly the bytes whose hash is recorded, whatever happens in the inbox later.
    A file that cannot be kept (permissions, a lock, gone) becomes a problem of that file.
    """
    limits = limits or load_limits()
    shas: dict[str, str] = {}
    kept: list[Path] = []
    names: list[str] = []
    problems: list[FileProblem] = []
    for path in paths:
        try:
            size = path.stat().st_size
            if size > limits.ukuran_berkas:
                problems.append(_too_large(path.name, size, limits))
                continue
            sha, copy = keep(path)
        except OSError as exc:
            if exc.filename is not None and Path(exc.filename) != path:
                raise  # writing the store failed: a fault of the run, not of this file
            problems.append(unreadable_problem(path.name, exc))
            continue
        shas[path.name] = sha
        kept.append(copy)
        names.append(path.name)
    raw, read_problems = read_quarter(kept, names, limits)
    return Received(raw=raw, file_problems=problems + read_problems, sha256=shas)


class XlsxReader:
    """Client of the reader process (tasks/xlsx_child.py): one per quarter, restarted on a crash.

    The child runs under a memory cap and dies with us; a file that kills it or runs past the
    time limit costs that file only.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> XlsxReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> subprocess.Popen[str]:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "triwulan.tasks.xlsx_child",
                    str(self.limits.memori_pembaca_mb),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
            )
        return self.proc

    def read(self, path: Path) -> tuple[list[list[str]] | None, str | None]:
        """(rows, None), or (None, 'crashed' | 'timeout' | 'error')."""
        proc = self._start()
        assert proc.stdin and proc.stdout
        try:
            proc.stdin.write(json.dumps({"path": str(path.resolve()), "sheet": SHEET}) + "\n")
            proc.stdin.flush()
        except OSError:
            self.close()
            return None, "crashed"
        ready, _, _ = select.select([proc.stdout], [], [], self.limits.waktu_baca_detik)
        if not ready:
            self.close()
            return None, "timeout"
        line = proc.stdout.readline()
        if not line:
            self.close()
            return None, "crashed"
        answer = json.loads(line)
        if "rows" in answer:
            return answer["rows"], None
        return None, "error"

    def close(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(OSError):
            if self.proc.stdin:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
