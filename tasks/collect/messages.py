"""What a person reads when a file cannot be read: one Indonesian message per kind of fault,
each naming the file and what to do (resave, remove the lock file, delete stray cells ...)."""

from __future__ import annotations

from dataclasses import dataclass

from triwulan.tasks.collect.xlsx_reader import SHEET
from triwulan.tasks.collect.xlsx_scan import XlsxRefused
from triwulan.tasks.core.fmt import megabytes
from triwulan.tasks.core.limits import Limits

RESEND = "Simpan ulang sebagai .xlsx (Excel Workbook) lalu kirim lagi."
LOCK_PREFIXES = ("~$", ".~lock.")  # Excel's owner file and LibreOffice's lock file


@dataclass(frozen=True)
class FileProblem:
    """A file that could not be read at all (it yields no rows)."""

    file: str
    message: str


def unsupported_problem(name: str, suffix: str) -> FileProblem:
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


def refused_problem(
    name: str, refused: XlsxRefused, limits: Limits, sheet: str = SHEET
) -> FileProblem:
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
        "extent": f"Sheet '{sheet}' berkas {name} berisi sel terisi sampai {d.get('cell')}, di "
        f"luar batas tabel ({table}). Hapus isi di luar tabel (sering tanpa sengaja terketik di "
        "sel paling bawah/kanan), simpan, lalu kirim lagi.",
        "declared_extent": f"Sheet '{sheet}' berkas {name} tercatat memakai area sampai "
        f"{d.get('cell')}, di luar batas tabel ({table}). Pilih baris dan kolom kosong di luar "
        "tabel, hapus (Delete rows/columns), simpan, lalu kirim lagi.",
    }
    return FileProblem(name, messages[refused.kind])


def too_large_problem(name: str, size: int, limits: Limits) -> FileProblem:
    return FileProblem(
        name,
        f"Berkas {name} berukuran {megabytes(size)}, melebihi batas {limits.ukuran_berkas_mb} MB. "
        "Kirim hanya sheet isian dari templat triwulan ini, tanpa gambar atau lampiran.",
    )


def reader_message(name: str, failure: str, limits: Limits) -> str:
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


_PUT_BACK = "Hapus, lalu simpan berkas laporannya langsung di folder {folder}."
_ENTRY_KINDS = {
    "symlink": "adalah tautan (symlink), bukan berkas biasa: tidak dibaca demi keamanan. "
    "Simpan berkas aslinya langsung di folder {folder}.",
    "folder": "adalah folder, bukan berkas: isi folder tidak dibaca. Simpan berkasnya langsung "
    "di folder {folder}, bukan di dalam sub-folder.",
    "fifo": "adalah pipa (FIFO/named pipe), bukan berkas biasa: tidak dibaca. " + _PUT_BACK,
    "device": "adalah berkas perangkat (device), bukan berkas biasa: tidak dibaca demi "
    "keamanan. " + _PUT_BACK,
    "socket": "adalah soket (socket), bukan berkas biasa: tidak dibaca. " + _PUT_BACK,
    "other": "bukan berkas biasa sehingga tidak dibaca. " + _PUT_BACK,
}


def entry_problem(name: str, kind: str, folder: str) -> FileProblem:
    """An inbox entry that is not a regular file (tasks.core.files.entry_kind), named with what it is.

    Never names where a link points: that is exactly what must not leak to the unit.
    """
    what = _ENTRY_KINDS.get(kind, _ENTRY_KINDS["other"])
    return FileProblem(name, f"'{name}' {what.format(folder=folder or 'triwulan ini')}")
