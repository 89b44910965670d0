"""`triwulan referensi`: a budget year's reference data as a workbook, and read back in words.

Split from triwulan/cli.py for size; cli.py registers the group. (Checking and installing a
workbook, and the mid-year revision, come next: issue 20.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from triwulan.cli_common import friendly_errors, latest_tahun
from triwulan.paths import reference_dir
from triwulan.tasks.core.errors import TriwulanError

referensi = typer.Typer(
    help=(
        "Data referensi tahun anggaran (unit, program, kegiatan, sub kegiatan, anggaran, IKU, "
        "pejabat, zona K3) sebagai satu buku kerja Excel, tanpa menyunting CSV."
    ),
    no_args_is_help=True,
)

TahunArg = Annotated[
    int, typer.Argument(metavar="TAHUN", help="Tahun anggaran, misalnya 2025.", show_default=False)
]


@referensi.command(
    "templat",
    help=(
        "Tulis buku kerja data referensi untuk tahun anggaran baru, terisi dari tahun terakhir "
        "yang ada (APBD murni) sebagai titik awal. Contoh: triwulan referensi templat 2025 "
        "-o referensi-2025.xlsx"
    ),
)
def templat(
    tahun: TahunArg,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Berkas tujuan. Bawaan: referensi-TAHUN.xlsx di folder saat ini.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    dari: Annotated[
        int | None,
        typer.Option(
            "--dari", help="Tahun sumber. Bawaan: tahun terbaru yang ada.", show_default=False
        ),
    ] = None,
) -> None:
    from triwulan.tasks.core.reference_book import read_year_text, starting_point, write_book

    with friendly_errors():
        source = dari if dari is not None else latest_tahun()
        folder = reference_dir(source)
        if not folder.is_dir():
            raise TriwulanError(f"Tidak ada data referensi tahun {source} di {folder}.")
        target = output if output is not None else Path(f"referensi-{tahun}.xlsx")
        written = write_book(starting_point(read_year_text(folder)), tahun, target)
    typer.echo(
        f"Buku kerja data referensi {tahun} (diisi dari {source}) disimpan di {written.resolve()}"
    )


@referensi.command(
    "lihat",
    help=(
        "Tampilkan data referensi yang terpasang untuk satu tahun: unit, pagu per unit dan "
        "program, target IKU dan pejabat. Contoh: triwulan referensi lihat 2024"
    ),
)
def lihat(tahun: TahunArg) -> None:
    from triwulan.tasks.core.reference import load_reference
    from triwulan.tasks.core.reference_view import reference_lines

    with friendly_errors():
        lines = reference_lines(load_reference(tahun))
    typer.echo("\n".join(lines))
