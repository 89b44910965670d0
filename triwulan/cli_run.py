"""The `triwulan run` command: one kecamatan's quarter, or a roll-up with --wilayah."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from triwulan.cli_common import friendly_errors

RUN_HELP = (
    "Jalankan konsolidasi satu triwulan (flow Prefect quarterly-report): kumpulkan berkas, "
    "validasi, simpan, hitung, buat laporan DRAF dan kirim email. Contoh: triwulan run 2024-TW2. "
    "Kode keluar: 0 laporan dibuat (atau tidak ada perubahan sejak versi terakhir); 1 run gagal "
    "di tengah jalan (rincian di <out>/log); 2 tidak ada yang dibuat (periode, data "
    "referensi, inbox, folder hasil, basis data, SMTP, triwulan FINAL, atau run lain masih "
    "berjalan); 3 laporan dibuat tetapi email ke pimpinan gagal terkirim, atau pada run ini "
    "BELUM PASTI diterima (server memutus sambungan setelah isi terkirim: tanyakan ke "
    "pimpinan, lalu 'triwulan kirim-ulang' bila belum sampai; run berikutnya hanya "
    "mengingatkannya); 130 dibatalkan dengan Ctrl-C."
)


def run(
    periode: Annotated[
        str,
        typer.Argument(
            metavar="PERIODE", help="Periode laporan, misalnya 2024-TW2.", show_default=False
        ),
    ],
    inbox: Annotated[
        Path | None,
        typer.Option(
            "--inbox",
            help="Folder berkas masuk (<inbox>/<tahun>/TW<n>/). Bawaan: $TRIWULAN_INBOX, lalu ./inbox.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder hasil (laporan, basis data). Bawaan: $TRIWULAN_OUT, lalu ./out.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            "--paksa",
            help="Buat versi baru walaupun tidak ada yang berubah sejak versi terakhir.",
        ),
    ] = False,
    coba: Annotated[
        bool,
        typer.Option(
            "--coba",
            help=(
                "Pratinjau: validasi dan buat laporan di folder sementara saja; tidak menulis "
                "basis data, tidak membuat versi, tidak mengirim email."
            ),
        ),
    ] = False,
    buka_final: Annotated[
        str | None,
        typer.Option(
            "--buka-final",
            metavar="ALASAN",
            help="Buka kembali triwulan yang sudah FINAL; alasan dan siapa yang membuka dicatat.",
            show_default=False,
        ),
    ] = None,
    wilayah: Annotated[
        str | None,
        typer.Option(
            "--wilayah",
            metavar="KODE",
            help=(
                "Rekap kota, provinsi atau nasional (kode Kemendagri, misalnya 32.75): jalankan "
                "setiap kecamatan di bawahnya, lalu buat laporan wilayah itu. Berkas masuk dan "
                "hasil tiap kecamatan ada di <inbox>/<kode> dan <out>/<kode>."
            ),
            show_default=False,
        ),
    ] = None,
) -> None:
    """Consolidate one quarter; exit 0 whenever a report was produced or nothing changed."""
    from triwulan.run import describe, newly_unconfirmed, run_quarter
    from triwulan.tasks.core.errors import DeliveryFailed

    label = periode.strip().upper()
    try:
        if wilayah:
            _run_wilayah(periode, wilayah, inbox, out, force or coba or bool(buka_final))
            return
        if coba:
            from triwulan.actions import preview

            with friendly_errors():
                folder, found = preview(periode, inbox, out)
            heading = f"PRATINJAU {found['period']} (tidak disimpan, tidak dikirim)"
            typer.echo("\n".join(describe({**found, "folder": str(folder)}, heading)))
            typer.echo(f"  Ringkasan: {folder / 'summary.json'}")
            return
        with friendly_errors():
            try:
                summary = run_quarter(
                    periode, inbox, out, paksa=force, buka_final=buka_final, say=typer.echo
                )
            except DeliveryFailed as failed:  # the report exists: show it, then say what failed
                if failed.summary:
                    typer.echo("\n".join(describe(failed.summary)))
                raise
    except KeyboardInterrupt:
        typer.echo(
            f"Run {label} dibatalkan (Ctrl-C). Versi yang sedang dibuat (bila ada) disimpan "
            "sebagai folder v<nomor>.gagal; jalankan ulang kapan saja.",
            err=True,
        )
        raise typer.Exit(code=130) from None
    typer.echo("\n".join(describe(summary)))
    if newly_unconfirmed(summary):
        raise typer.Exit(code=3)


def _run_wilayah(
    periode: str, wilayah: str, inbox: Path | None, out: Path | None, other: bool
) -> None:
    """A roll-up; exit 3 when its report was made but its mail did not go out."""
    from triwulan.run_wilayah import describe_wilayah, run_wilayah
    from triwulan.tasks.core.errors import DeliveryFailed, TriwulanError

    with friendly_errors():
        if other:
            raise TriwulanError(
                "--wilayah tidak dapat digabung dengan --paksa, --coba atau --buka-final: "
                "jalankan kecamatan yang bersangkutan sendiri."
            )
        try:
            answer = run_wilayah(periode, wilayah, inbox, out, say=typer.echo)
        except DeliveryFailed as failed:
            if failed.summary:
                typer.echo("\n".join(describe_wilayah(failed.summary)))
            raise
    typer.echo("\n".join(describe_wilayah(answer)))
