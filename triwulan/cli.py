"""The `triwulan` command: thin shells over tasks/, every message in Indonesian.

A TriwulanError is meant for the person at the keyboard: its message goes to stderr as-is and the
exit code is 2, never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from triwulan import bahasa
from triwulan.cli_common import (
    EXIT_USER_ERROR,
    InboxOption,
    OutOption,
    PeriodeArg,
    friendly_errors,
    latest_tahun,
)
from triwulan.cli_lkip import lkip
from triwulan.cli_portal import PORTAL_HELP, akses, portal
from triwulan.cli_referensi import referensi
from triwulan.cli_run import RUN_HELP, run
from triwulan.tasks.collect.template import (
    FORMATS,
    default_filename,
    iku_csv_path,
    slug,
    write_template,
)
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.iku_input import sheets_for
from triwulan.tasks.core.period import parse_period
from triwulan.tasks.core.reference import load_reference

bahasa.pasang()

app = typer.Typer(
    help=(
        "Pelaporan realisasi triwulan kecamatan: daftar unit pelapor, berkas isian realisasi "
        "per unit per triwulan, dan konsolidasi laporan DRAF triwulan."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


# Commands that may send mail: only they read the SMTP password from a Prefect Secret block.
MAILING_COMMANDS = frozenset({"run", "ingatkan", "final", "kirim-ulang", "serve", "demo", "portal"})


@app.callback()
def main(ctx: typer.Context) -> None:
    """Every command reads the same configuration (triwulan.toml, then the environment)."""
    from triwulan.config import apply_config

    with friendly_errors():
        apply_config(load_secret=ctx.invoked_subcommand in MAILING_COMMANDS)


@app.command(
    "units", help="Tampilkan daftar unit pelapor (kode unit dan nama) dari data referensi."
)
def units(
    tahun: Annotated[
        int | None,
        typer.Option(
            "--tahun",
            help="Tahun anggaran data referensi. Bawaan: tahun terbaru yang tersedia.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """List the reporting units, so people know which --unit codes exist."""
    with friendly_errors():
        ref = load_reference(tahun if tahun is not None else latest_tahun())
    width = max(len(str(u)) for u in ref.units["unit"])
    typer.echo(f"Unit pelapor tahun {ref.tahun}:")
    for code, nama in zip(ref.units["unit"], ref.units["nama"], strict=True):
        typer.echo(f"  {code:<{width}}  {nama}")


@app.command(
    "template",
    help=(
        "Buat berkas isian realisasi untuk satu unit dan satu triwulan, sudah terisi data "
        "referensi (sub kegiatan, pagu, target). Contoh: triwulan template 2024-TW2 --unit perwira"
    ),
)
def template(
    periode: Annotated[
        str,
        typer.Argument(
            metavar="PERIODE",
            help="Periode laporan, ditulis TAHUN-TWn, misalnya 2024-TW2.",
            show_default=False,
        ),
    ],
    unit: Annotated[
        str,
        typer.Option(
            "--unit",
            "-u",
            help="Kode unit pelapor, misalnya perwira (lihat: triwulan units).",
            show_default=False,
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help=(
                "Format berkas: xlsx (untuk diisi di Excel) atau csv. Bawaan: mengikuti akhiran "
                "--output, selain itu xlsx."
            ),
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Berkas tujuan. Bawaan: realisasi-PERIODE-UNIT.xlsx di folder saat ini.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write the pre-filled submission a unit fills in and sends back."""
    with friendly_errors():
        period = parse_period(periode)
        ref = load_reference(period.tahun)
        if fmt is None:
            suffix = output.suffix.lower().lstrip(".") if output else ""
            fmt = suffix if suffix in FORMATS else "xlsx"
        target = output if output is not None else Path(default_filename(period, unit, fmt))
        written = write_template(ref, period, unit, target, fmt)
    typer.echo(
        f"Berkas isian {ref.unit_name(slug(unit))} untuk {period.long} disimpan di "
        f"{written.resolve()}"
    )
    if written.suffix.lower() == ".csv":
        for sheet in sheets_for(ref, slug(unit)):
            typer.echo(f"Lembar {sheet} (CSV terpisah): {iku_csv_path(written, sheet).resolve()}")


app.command("run", help=RUN_HELP)(run)
app.command("portal", help=PORTAL_HELP)(portal)
app.add_typer(akses, name="akses")
app.add_typer(referensi, name="referensi")
app.command(
    "lkip",
    help=(
        "Susun rancangan LKIP tahunan (Bab III dan Bab IV) sebagai dokumen Word dari keempat "
        "triwulan, ditambah tabel-tabelnya dalam xlsx. Contoh: triwulan lkip 2024 -o lkip-2024.docx"
    ),
)(lkip)


@app.command(
    "ingatkan",
    help=(
        "Kirim pengingat sekarang: setiap unit yang belum punya berkas diterima untuk triwulan "
        "itu mendapat email dengan berkas isian terlampir, dan sekretariat mendapat daftar unit "
        "yang belum mengirim atau ditolak. Email yang sama tidak dikirim dua kali. "
        "Contoh: triwulan ingatkan 2024-TW2"
    ),
)
def ingatkan(
    periode: Annotated[
        str | None,
        typer.Argument(
            metavar="PERIODE",
            help="Periode, misalnya 2024-TW2. Bawaan: triwulan terakhir yang sudah berakhir.",
            show_default=False,
        ),
    ] = None,
    inbox: InboxOption = None,
    out: OutOption = None,
) -> None:
    """Remind the units without an accepted file, now."""
    from triwulan.reminders import remind

    with friendly_errors():
        outcome = remind(periode, inbox, out)
    typer.echo("\n".join(outcome.lines))
    if outcome.failed:
        raise typer.Exit(code=3)


@app.command(
    "config",
    help=(
        "Tampilkan pengaturan yang berlaku, asalnya (berkas triwulan.toml, variabel lingkungan, "
        "atau bawaan) dan penilaiannya: OK, atau apa yang salah dan nilai yang boleh. Nilai "
        "setiap batas berkas ditampilkan. Kata sandi disamarkan. Kode keluar: 0 semua "
        "pengaturan sah; 2 ada pengaturan yang tidak sah (run dan perintah lain yang bekerja "
        "menolak dimulai sampai diperbaiki)."
    ),
)
def config_command() -> None:
    """Print every setting, where it came from and its verdict; exit 2 if any is bad."""
    from triwulan.config import config_path, effective
    from triwulan.settings_check import check_settings

    with friendly_errors():
        path = config_path()
        rows = effective()
        verdicts = check_settings()
    typer.echo(
        f"Berkas konfigurasi: {path.resolve() if path else '(tidak ada; pakai lingkungan dan bawaan)'}"
    )
    judged = {v.variable: v for v in verdicts}
    shown = {r.variable for r in rows}
    width = max(len(r.variable) for r in rows)
    for r in rows:
        verdict = judged.get(r.variable)
        said = verdict.text if verdict else "OK"
        typer.echo(f"  {r.variable:<{width}}  {r.value}  [{r.origin}]  — {r.description} | {said}")
    for v in verdicts:
        if v.variable not in shown:
            typer.echo(f"  {v.variable:<{width}}  {v.value}  [lingkungan] | {v.text}")
    bad = [v for v in verdicts if not v.ok]
    if bad:
        typer.echo(
            f"{len(bad)} pengaturan tidak sah; run tidak dimulai sampai diperbaiki.", err=True
        )
        raise typer.Exit(code=EXIT_USER_ERROR)


@app.command(
    "serve",
    help=(
        "Proses tetap untuk PC kantor tanpa work pool: menjalankan deployment laporan triwulan "
        "(pada batas pengiriman) dan pengingat (beberapa hari sebelumnya) sesuai jadwal di "
        "triwulan.toml. Hentikan dengan Ctrl+C."
    ),
)
def serve_command() -> None:
    """Serve both deployments with their schedules (Prefect serve)."""
    from triwulan.serve import serve_all

    with friendly_errors():
        serve_all()


@app.command(
    "status",
    help=(
        "Lihat catatan laporan. 'triwulan status 2024': satu tahun sekilas (unit × triwulan, "
        "versi terakhir, sudah diterima pimpinan atau belum). 'triwulan status 2024-TW2': riwayat "
        "triwulan itu (berkas masuk, setiap versi, siapa menerima versi mana dan kapan)."
    ),
)
def status_command(
    target: Annotated[
        str,
        typer.Argument(
            metavar="TAHUN|PERIODE", help="Misalnya 2024 atau 2024-TW2.", show_default=False
        ),
    ],
    out: OutOption = None,
) -> None:
    """Read-only views of the record of a year or a quarter."""
    from triwulan.status import quarter_lines, year_lines
    from triwulan.tasks.setup import open_record

    with friendly_errors():
        if re.fullmatch(r"\d{4}", target.strip()):
            tahun = int(target)
            ref = load_reference(tahun)
            _, engine = open_record(out)
            lines = year_lines(engine, ref, tahun)
        else:
            period = parse_period(target)
            ref = load_reference(period.tahun)
            _, engine = open_record(out)
            lines = quarter_lines(engine, ref, period.label)
    typer.echo("\n".join(lines))


@app.command(
    "final",
    help=(
        "Tetapkan satu versi sebagai FINAL: laporan, rekap dan email bertanda FINAL dikirim ke "
        "pimpinan, dan run berikutnya tidak menggantikannya tanpa --buka-final. Bila di versi "
        "itu ada unit yang belum mengirim atau berkasnya ditolak, unit itu disebutkan dan "
        "ditanyakan dulu (--ya: tanpa bertanya, untuk skrip). Kode keluar: 0 ditetapkan FINAL; "
        "1 dibatalkan (dijawab tidak); 2 tidak ada yang ditetapkan (periode, versi, folder hasil, "
        "pengaturan, atau tanpa terminal dan tanpa --ya). "
        "Contoh: triwulan final 2024-TW2 --versi 3"
    ),
)
def final_command(
    periode: PeriodeArg,
    versi: Annotated[
        int | None,
        typer.Option(
            "--versi", help="Nomor versi. Bawaan: versi terakhir yang selesai.", show_default=False
        ),
    ] = None,
    ya: Annotated[
        bool,
        typer.Option(
            "--ya",
            help=(
                "Jangan bertanya: tetapkan FINAL walaupun ada unit yang belum mengirim atau "
                "ditolak (untuk skrip dan jadwal)."
            ),
        ),
    ] = False,
    out: OutOption = None,
) -> None:
    """Mark a version final and send it; a version with gaps is confirmed first."""
    from triwulan.actions import GAP_WORDS, final_gaps, finalize, interactive
    from triwulan.run import delivery_lines
    from triwulan.settings_check import require_valid_settings
    from triwulan.tasks.core.smtp_settings import SmtpConfig
    from triwulan.tasks.setup import open_record

    with friendly_errors():
        require_valid_settings()
        label = parse_period(periode).label
        smtp = SmtpConfig.from_env()
        out_path, engine = open_record(out)
        chosen, gaps = final_gaps(engine, label, versi)
        listed = "; ".join(f"{nama} ({GAP_WORDS[status]})" for nama, status in gaps)
        if gaps and not ya and not interactive():
            raise TriwulanError(
                f"{label} versi {chosen} belum lengkap: {len(gaps)} unit belum mengirim atau "
                f"ditolak ({listed}); tanpa terminal tidak dapat ditanyakan. Tambahkan --ya untuk "
                "tetap menetapkannya FINAL."
            )
    if gaps and not ya:
        typer.echo(f"{label} versi {chosen} belum lengkap: {len(gaps)} unit tanpa berkas diterima.")
        for nama, status in gaps:
            typer.echo(f"  - {nama}: {GAP_WORDS[status]}")
        question = f"Tetap tetapkan {label} versi {chosen} sebagai FINAL dan kirim ke pimpinan?"
        if not typer.confirm(question, default=False):
            typer.echo(f"Dibatalkan: {label} tidak ditetapkan FINAL.", err=True)
            raise typer.Exit(code=1)
    with friendly_errors():
        folder, results = finalize(engine, out_path, label, chosen, smtp)
    typer.echo(
        f"{label} versi {chosen} ditetapkan FINAL: {folder / 'laporan.html'} | "
        f"rekap: {folder / 'rekap.xlsx'}"
    )
    typer.echo("\n".join(delivery_lines(results, "Email pimpinan")))


@app.command(
    "kirim-ulang",
    help=(
        "Kirim ulang email versi terakhir suatu triwulan dan catat pengirimannya. "
        "Contoh: triwulan kirim-ulang 2024-TW2 --ke pimpinan"
    ),
)
def kirim_ulang(
    periode: PeriodeArg,
    ke: Annotated[
        str, typer.Option("--ke", help="Penerima: pimpinan, unit atau semua.")
    ] = "pimpinan",
    out: OutOption = None,
) -> None:
    """Resend the latest version's mails on purpose."""
    from triwulan.actions import resend_latest
    from triwulan.run import delivery_lines
    from triwulan.tasks.core.smtp_settings import SmtpConfig
    from triwulan.tasks.setup import open_record

    with friendly_errors():
        periode = parse_period(periode).label
        smtp = SmtpConfig.from_env()
        out_path, engine = open_record(out)
        versi, results = resend_latest(engine, out_path, periode, ke, smtp)
    typer.echo(f"{periode} versi {versi}: {len(results)} email dikirim ulang ({ke}).")
    typer.echo("\n".join(delivery_lines(results)))
    if any(r.status == "gagal" for r in results):
        raise typer.Exit(code=3)


@app.command(
    "demo",
    help=(
        "Demo dengan data contoh 2024: jalankan TW I sampai TW IV berurutan, terapkan berkas "
        "koreksi/terlambat dari data contoh lalu jalankan ulang, dan tampilkan hasilnya."
    ),
)
def demo(
    folder: Annotated[
        Path,
        typer.Option(
            "--folder", help="Folder kerja demo (dihapus dan dibuat ulang).", file_okay=False
        ),
    ] = Path("demo"),
) -> None:
    """The README's main command: the whole 2024 sample year through the real flow, then a kota."""
    from triwulan.run import run_demo
    from triwulan.run_wilayah import run_kota_demo

    with friendly_errors():
        lines = run_demo(folder)
        kota = run_kota_demo(folder / "kota")
    typer.echo("\n" + "=" * 72)
    typer.echo("RINGKASAN DEMO — data contoh Kecamatan Bekasi Utara 2024")
    typer.echo("=" * 72)
    typer.echo("\n".join(lines))
    typer.echo(f"\nSemua laporan ada di {(folder / 'out').resolve()}/2024/TW<n>/v<versi>/")
    typer.echo("\n" + "=" * 72)
    typer.echo("REKAP KOTA — tiga kecamatan sintetis (triwulan run PERIODE --wilayah 32.75)")
    typer.echo("=" * 72)
    typer.echo("\n".join(kota))
    typer.echo(
        f"\nLaporan kota dan kecamatannya ada di {(folder / 'kota' / 'out').resolve()}/<kode>/"
    )


if __name__ == "__main__":
    app()
