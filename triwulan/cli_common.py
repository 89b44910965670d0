"""What the commands of `triwulan` share: exit codes, options, the Indonesian error shell.

Split from triwulan/cli.py, which defines the commands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from triwulan.paths import reference_root
from triwulan.tasks.core.errors import TriwulanError

EXIT_USER_ERROR = 2

# Options shared by the commands that work on what runs left behind.
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", help="Folder hasil. Bawaan: $TRIWULAN_OUT, lalu ./out.", show_default=False
    ),
]
InboxOption = Annotated[
    Path | None,
    typer.Option(
        "--inbox",
        help="Folder berkas masuk. Bawaan: $TRIWULAN_INBOX, lalu ./inbox.",
        show_default=False,
    ),
]
PeriodeArg = Annotated[
    str,
    typer.Argument(metavar="PERIODE", help="Periode, misalnya 2024-TW2.", show_default=False),
]


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn a TriwulanError into its message on stderr and exit code 2, without a traceback."""
    try:
        yield
    except TriwulanError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=getattr(error, "exit_code", EXIT_USER_ERROR)) from None


def latest_tahun() -> int:
    """The newest year folder under the reference root: the year people mean when they omit it."""
    from triwulan.tasks.core.reference_folder import years_in

    root = reference_root()
    years = years_in(root)
    if not years:
        raise TriwulanError(f"Tidak ada folder tahun (misalnya 2024) di data referensi {root}.")
    return years[-1]
