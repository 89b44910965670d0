"""`triwulan portal` and `triwulan akses`: the upload portal and its access codes.

Split from triwulan/cli.py for size; cli.py registers these commands.
"""

from __future__ import annotations

from typing import Annotated

import typer

from triwulan.cli_common import InboxOption, OutOption, friendly_errors
from triwulan.tasks.core.errors import TriwulanError

akses = typer.Typer(
    help=(
        "Kode akses portal unggah: buat kode (dan tautan masuk sekali pakai) untuk satu unit "
        "atau untuk sekretariat, atau cabut kode yang bocor."
    ),
    no_args_is_help=True,
)

UnitArg = Annotated[
    str | None,
    typer.Argument(
        metavar="UNIT",
        help="Kode unit, misalnya perwira (lihat: triwulan units). Kosongkan bila --admin.",
        show_default=False,
    ),
]
AdminOption = Annotated[
    bool, typer.Option("--admin", help="Untuk sekretariat: papan, jalankan ulang, kirim pengingat.")
]


def _who(unit: str | None, admin: bool) -> str | None:
    if admin == (unit is not None):
        raise TriwulanError(
            "Sebutkan kode unit (misalnya perwira) atau --admin untuk sekretariat, salah satu saja."
        )
    return None if admin else unit.strip().lower()  # type: ignore[union-attr]


@akses.command(
    "buat",
    help=(
        "Buat kode akses dan tautan masuk sekali pakai. Kode dicetak sendirian di baris "
        "terakhir dan tidak ditampilkan lagi; basis data hanya menyimpan hash-nya (tidak dapat "
        "dikembalikan menjadi kode). "
        "Contoh: triwulan akses buat perwira"
    ),
)
def buat(unit: UnitArg = None, admin: AdminOption = False, out: OutOption = None) -> None:
    from triwulan.portal.server import make_access

    with friendly_errors():
        lines = make_access(_who(unit, admin), out)
    typer.echo("\n".join(lines))


@akses.command(
    "cabut",
    help=(
        "Cabut semua kode akses aktif satu unit (atau sekretariat dengan --admin); sesi yang "
        "masuk dengan kode itu langsung berakhir. Contoh: triwulan akses cabut perwira"
    ),
)
def cabut(unit: UnitArg = None, admin: AdminOption = False, out: OutOption = None) -> None:
    from triwulan.portal.server import revoke_access

    with friendly_errors():
        line = revoke_access(_who(unit, admin), out)
    typer.echo(line)


def portal(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Alamat IP tempat portal menerima koneksi; 0.0.0.0 agar PC dan HP lain di LAN "
            "dapat membuka.",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Nomor port portal.")] = 8080,
    inbox: InboxOption = None,
    out: OutOption = None,
) -> None:
    """Serve the upload portal until Ctrl+C."""
    from triwulan.portal.server import serve_portal

    with friendly_errors():
        serve_portal(host, port, inbox, out)


PORTAL_HELP = (
    "Jalankan portal unggah: unit masuk dengan kode aksesnya, mengunduh berkas isian, "
    "mengunggah dan langsung melihat hasil pemeriksaan; sekretariat melihat papan unit × "
    "triwulan, menjalankan ulang laporan dan mengirim pengingat. Butuh kunci rahasia sesi "
    "(TRIWULAN_PORTAL_RAHASIA atau [portal] rahasia). Contoh: triwulan portal --port 8080"
)
