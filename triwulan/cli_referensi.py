"""`triwulan referensi`: a budget year's reference data as a workbook, and read back in words.

Split from triwulan/cli.py for size; cli.py registers the group. Each command is a thin shell:
the work is in tasks/core/reference_book.py (the workbook), tasks/check/reference_book.py (its
checks), tasks/core/reference_revision.py (a revision) and tasks/record/reference_install.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from triwulan.cli_common import OutOption, friendly_errors, latest_tahun
from triwulan.paths import reference_root
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
            "--dari",
            help=(
                "Tahun sumber. Bawaan: tahun terbaru yang ada. Sama dengan TAHUN: anggaran yang "
                "sedang berlaku, sebagai titik awal perubahan anggaran."
            ),
            show_default=False,
        ),
    ] = None,
) -> None:
    from triwulan.paths import PACKAGED_REFERENCE
    from triwulan.tasks.core.reference_book import read_year_text, starting_point, write_book
    from triwulan.tasks.core.reference_folder import years_in

    with friendly_errors():
        # a new reference folder (nothing installed yet) starts from the data shipped with us
        root = reference_root() if years_in(reference_root()) else PACKAGED_REFERENCE
        source = dari if dari is not None else (years_in(root) or [latest_tahun()])[-1]
        folder = root / str(source)
        if not folder.is_dir():
            raise TriwulanError(f"Tidak ada data referensi tahun {source} di {folder}.")
        target = output if output is not None else Path(f"referensi-{tahun}.xlsx")
        revision = source == tahun
        written = write_book(starting_point(read_year_text(folder), revision), tahun, target)
    what = "anggaran yang berlaku, untuk perubahan" if revision else f"diisi dari {source}"
    typer.echo(f"Buku kerja data referensi {tahun} ({what}) disimpan di {written.resolve()}")


@referensi.command(
    "lihat",
    help=(
        "Tampilkan data referensi yang terpasang untuk satu tahun: unit, pagu per unit dan "
        "program, target IKU dan pejabat. Contoh: triwulan referensi lihat 2024"
    ),
)
def lihat(tahun: TahunArg, out: OutOption = None) -> None:
    from triwulan.paths import out_dir
    from triwulan.tasks.core.reference import load_reference
    from triwulan.tasks.core.reference_view import install_lines, reference_lines

    with friendly_errors():
        lines = reference_lines(load_reference(tahun))
        if out_dir(out).is_dir() or os.environ.get("TRIWULAN_DB_URL"):
            from triwulan.tasks.core.reference_view import change_lines
            from triwulan.tasks.record.reference_log import changes_of, installs
            from triwulan.tasks.setup import open_record

            _, engine = open_record(out)
            try:
                history = installs(engine, tahun)
                lines += ["", *install_lines(history)]
                for row in history[history["jenis"] == "perubahan"].to_dict("records"):
                    changed = changes_of(engine, int(row["id"]))
                    if not changed.empty:
                        lines += ["", *change_lines(changed, int(row["mulai_tw"]))]
            finally:
                engine.dispose()
    typer.echo("\n".join(lines))


BookArg = Annotated[
    Path,
    typer.Argument(
        metavar="BERKAS",
        help="Buku kerja data referensi (.xlsx) dari triwulan referensi templat.",
        exists=True,
        dir_okay=False,
        show_default=False,
    ),
]
YearOption = Annotated[
    int | None,
    typer.Option(
        "--tahun",
        help="Tahun anggaran buku kerja. Bawaan: dari lembar petunjuk, lalu dari nama berkas.",
        show_default=False,
    ),
]


def _print_problems(problems) -> None:  # type: ignore[no-untyped-def]
    from triwulan.tasks.check.reference_book import problem_line

    for row in problems.to_dict("records"):
        typer.echo(f"- {problem_line(row)}")


def _verdict(outcome, done: str) -> None:  # type: ignore[no-untyped-def]
    """Print the problems; exit 1 when any is an error (nothing was installed)."""
    errors = len(outcome.errors)
    notes = len(outcome.problems) - errors
    if errors:
        typer.echo(
            f"Buku kerja data referensi {outcome.tahun}: {errors} kesalahan"
            + (f" dan {notes} catatan" if notes else "")
            + ". Tidak ada yang dipasang; perbaiki lalu ulangi."
        )
        _print_problems(outcome.problems)
        raise typer.Exit(code=1)
    typer.echo(done + (f" ({notes} catatan)" if notes else ""))
    _print_problems(outcome.problems)


@referensi.command(
    "periksa",
    help=(
        "Periksa buku kerja data referensi tanpa memasangnya: setiap masalah dengan lembar, "
        "baris dan kolomnya. Contoh: triwulan referensi periksa referensi-2025.xlsx"
    ),
)
def periksa(berkas: BookArg, tahun: YearOption = None) -> None:
    from triwulan.tasks.record.reference_install import check_workbook

    with friendly_errors():
        outcome, _ = check_workbook(berkas, tahun)
    _verdict(outcome, f"Buku kerja data referensi {outcome.tahun} lolos pemeriksaan.")


def _engine(out: Path | None):  # type: ignore[no-untyped-def]
    from triwulan.paths import out_dir
    from triwulan.tasks.setup import check_writable, open_database

    folder = out_dir(out)
    check_writable(folder, "Folder hasil")
    return open_database(folder)


@referensi.command(
    "pasang",
    help=(
        "Periksa lalu pasang buku kerja data referensi sebagai satu tahun anggaran di folder "
        "data referensi ([folder] referensi). Contoh: triwulan referensi pasang "
        "referensi-2025.xlsx"
    ),
)
def pasang(
    berkas: BookArg,
    ganti: Annotated[
        bool,
        typer.Option(
            "--ganti",
            help="Ganti tahun yang sudah terpasang; yang lama disimpan di _arsip/<tahun>-<waktu>.",
        ),
    ] = False,
    tahun: YearOption = None,
    out: OutOption = None,
) -> None:
    from triwulan.tasks.record.reference_install import install_book
    from triwulan.tasks.record.runs import person

    with friendly_errors():
        engine = _engine(out)
        try:
            outcome = install_book(berkas, engine, person(), tahun=tahun, ganti=ganti)
        finally:
            engine.dispose()
    if outcome.seeded:
        typer.echo(
            "Folder data referensi baru: disalin dari data bawaan paket: "
            + ", ".join(outcome.seeded)
        )
    for note in outcome.notes:
        typer.echo(note)
    done = f"Data referensi {outcome.tahun} terpasang di {outcome.installed}"
    if outcome.archived:
        done += f"; yang lama disimpan di {outcome.archived}"
    _verdict(outcome, done + ".")
    typer.echo(
        f"Lanjutkan: triwulan referensi lihat {outcome.tahun}, lalu triwulan template "
        f"{outcome.tahun}-TW1 untuk templat unit."
    )


@referensi.command(
    "perubahan",
    help=(
        "Pasang perubahan anggaran (APBD Perubahan) yang berlaku mulai satu triwulan. Buat buku "
        "kerjanya dengan: triwulan referensi templat TAHUN --dari TAHUN. Contoh: triwulan "
        "referensi perubahan 2025 --mulai-tw 3 perubahan.xlsx"
    ),
)
def perubahan(
    tahun: TahunArg,
    berkas: BookArg,
    mulai_tw: Annotated[
        int,
        typer.Option(
            "--mulai-tw",
            min=2,
            max=4,
            help="Triwulan pertama yang memakai anggaran perubahan (2 sampai 4).",
            show_default=False,
        ),
    ],
    out: OutOption = None,
) -> None:
    from triwulan.tasks.core.reference_view import change_lines
    from triwulan.tasks.record.reference_install import revise_year
    from triwulan.tasks.record.runs import person

    with friendly_errors():
        engine = _engine(out)
        try:
            outcome = revise_year(berkas, tahun, mulai_tw, engine, person())
        finally:
            engine.dispose()
    for note in outcome.notes:
        typer.echo(note)
    if not outcome.changes.empty:
        typer.echo("\n".join(change_lines(outcome.changes, mulai_tw)))
    _verdict(
        outcome,
        f"Perubahan anggaran {tahun} berlaku mulai TW {mulai_tw} terpasang di "
        f"{outcome.installed}; yang sebelumnya disimpan di {outcome.archived}.",
    )
