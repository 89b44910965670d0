"""`triwulan lkip`: the annual LKIP draft (Bab III and IV) as a Word document and its tables.

Split from triwulan/cli.py for size; cli.py registers the command. The work is in
tasks/publish/lkip.py (reading the year, the document) and tasks/measure/lkip*.py (the tables).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from triwulan.cli_common import OutOption, friendly_errors


def lkip(
    tahun: Annotated[
        int,
        typer.Argument(metavar="TAHUN", help="Tahun laporan, misalnya 2024.", show_default=False),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Berkas .docx tujuan. Bawaan: lkip-TAHUN.docx di folder saat ini.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    versi: Annotated[
        int | None,
        typer.Option(
            "--versi", help="Versi TW IV yang dipakai. Bawaan: versi terakhir.", show_default=False
        ),
    ] = None,
    draf: Annotated[
        bool,
        typer.Option(
            "--draf", help="Buat rancangan walau belum semua triwulan dilaporkan (ditandai DRAF)."
        ),
    ] = False,
    templat: Annotated[
        Path | None,
        typer.Option(
            "--templat",
            help="Templat Word sendiri (salinan templat bawaan yang gayanya diubah). Bawaan: "
            "templat bawaan paket.",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    out: OutOption = None,
) -> None:
    from triwulan.paths import out_dir
    from triwulan.tasks.core.reference import load_reference
    from triwulan.tasks.publish.lkip import TEMPLATE, read_year, write_lkip

    with friendly_errors():
        ref = load_reference(tahun)
        year = read_year(out_dir(out), tahun, versi)
        target = output if output is not None else Path(f"lkip-{tahun}.docx")
        written = write_lkip(year, ref, target, draf, template=templat or TEMPLATE)
    typer.echo(f"LKIP {tahun} (Bab III dan Bab IV) disimpan di {written.docx.resolve()}")
    typer.echo(f"Tabel-tabelnya (satu lembar per tabel): {written.xlsx.resolve()}")
    if written.missing:
        typer.echo("DRAF: belum dilaporkan " + ", ".join(f"TW {q}" for q in written.missing))
    for note in written.notes:
        typer.echo(note)
