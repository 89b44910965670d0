"""Indonesian for the built-in texts of click and Typer (help headings, usage errors).

click and Typer mark these strings with gettext but ship no Indonesian catalog; we route their
module-level `_` through a small table instead. Unlisted strings fall back to the original.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import re

TEKS = {
    "Show this message and exit.": "Tampilkan bantuan ini lalu keluar.",
    "Usage:": "Cara pakai:",
    "Error": "Kesalahan",
    "Error: {message}": "Kesalahan: {message}",
    "Arguments": "Argumen",
    "Options": "Opsi",
    "Commands": "Perintah",
    "[required]": "[wajib]",
    "[default: {}]": "[bawaan: {}]",
    "Aborted.": "Dibatalkan.",
    "Try [blue]'{command_path} {help_option}'[/] for help.": (
        "Lihat [blue]'{command_path} {help_option}'[/] untuk bantuan."
    ),
    "Try '{command} {option}' for help.": "Lihat '{command} {option}' untuk bantuan.",
    "Missing argument": "Argumen belum diisi",
    "Missing option": "Opsi belum diisi",
    "Missing parameter": "Parameter belum diisi",
    "Missing parameter: {param_name}": "Parameter belum diisi: {param_name}",
    "No such option {name!r}.": "Tidak ada opsi {name!r}.",
    "No such option: {name}": "Tidak ada opsi: {name}",
    "No such command {name!r}.": "Tidak ada perintah {name!r}.",
    "Invalid value: {message}": "Nilai tidak sah: {message}",
    "Invalid value for {param_hint}: {message}": "Nilai tidak sah untuk {param_hint}: {message}",
    "Got unexpected extra argument ({args})": "Ada argumen tambahan yang tidak dikenal ({args})",
    "Got unexpected extra arguments ({args})": "Ada argumen tambahan yang tidak dikenal ({args})",
    "Option {name!r} requires an argument.": "Opsi {name!r} memerlukan nilai.",
    "{value!r} is not a valid integer.": "{value!r} bukan bilangan bulat.",
    "Did you mean {possibility}?": "Mungkin maksudnya {possibility}?",
}
_RICH_CONSTANTS = {
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "ERRORS_PANEL_TITLE": "Error",
    "REQUIRED_LONG_STRING": "[required]",
    "DEFAULT_STRING": "[default: {}]",
    "ABORTED_TEXT": "Aborted.",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}


# Typer vendors its own click with literal English f-strings: translate the finished messages.
_POLA = [
    (re.compile(r"^Missing argument"), "Argumen belum diisi:"),
    (re.compile(r"^Missing option"), "Opsi belum diisi:"),
    (re.compile(r"^Missing parameter"), "Parameter belum diisi"),
    (re.compile(r"^Invalid value for "), "Nilai tidak sah untuk "),
    (re.compile(r"^Got unexpected extra argument\(s\)"), "Ada argumen tambahan yang tidak dikenal"),
    (re.compile(r"^No such option:? "), "Tidak ada opsi "),
    (re.compile(r"Input should be a valid integer.*$"), "harus bilangan bulat."),
    (re.compile(r"^Option '(.+)' requires an argument\."), r"Opsi '\1' memerlukan nilai."),
]


def _with_subclasses(cls: type) -> list[type]:
    found = [cls]
    for sub in cls.__subclasses__():
        found += _with_subclasses(sub)
    return found


def terjemah(message: str) -> str:
    return TEKS.get(message, message)


def terjemah_pesan(message: str) -> str:
    for pola, ganti in _POLA:
        message = pola.sub(ganti, message)
    return message


def _indonesian_help_option(original):  # type: ignore[no-untyped-def]
    @functools.wraps(original)
    def help_option(param_decls):  # type: ignore[no-untyped-def]
        decorator = original(param_decls)

        def apply(command):  # type: ignore[no-untyped-def]
            command = decorator(command)
            for param in command.params:
                if getattr(param, "help", None) == "Show this message and exit.":
                    param.help = TEKS["Show this message and exit."]
            return command

        return apply

    return help_option


def pasang() -> None:
    """Install the table into click and Typer; call before the app parses anything.

    Best effort: should a Typer release move these internals, the CLI keeps working in English.
    """
    with contextlib.suppress(ImportError, AttributeError):
        _pasang()


def _pasang() -> None:
    for name in (
        "click.core",
        "click.exceptions",
        "click.decorators",
        "click.parser",
        "click.types",
        "click.formatting",
        "typer.core",
        "typer.main",
    ):
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = terjemah
    vendored = importlib.import_module("typer._click.decorators")
    if not getattr(vendored.help_option, "__wrapped__", None):
        vendored.help_option = _indonesian_help_option(vendored.help_option)
    exceptions = importlib.import_module("typer._click.exceptions")
    if not getattr(exceptions.UsageError.format_message, "_indonesia", False):
        original = exceptions.UsageError.format_message
        for cls in _with_subclasses(exceptions.UsageError):
            base = cls.format_message

            def translated(self, _base=base):  # type: ignore[no-untyped-def]
                return terjemah_pesan(_base(self))

            translated._indonesia = True  # type: ignore[attr-defined]
            cls.format_message = translated
        del original
    rich_utils = importlib.import_module("typer.rich_utils")
    for constant, english in _RICH_CONSTANTS.items():
        setattr(rich_utils, constant, terjemah(english))
