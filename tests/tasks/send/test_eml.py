"""tasks/send/eml.py writes the bytes EmailMessage would: compared byte for byte with the
standard library building the same mail (only the random MIME boundaries differ)."""

from __future__ import annotations

import mimetypes
import re
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import formataddr
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triwulan.tasks.core.smtp_settings import SmtpConfig
from triwulan.tasks.send import deliver, eml
from triwulan.tasks.send.smtp import Mail

BOUNDARY = re.compile(rb"={15}\d+==")
DATE = re.compile(rb"^Date: [^\r]*\r\n", re.M)


def stdlib_bytes(mail: Mail, config: SmtpConfig | None, date: str) -> bytes:
    """The message as deliver built it before eml.py, with EmailMessage (the oracle)."""
    name, address = (config.sender_name, config.mail_from) if config else deliver.OFFLINE_FROM
    # What goes to a server is 7bit; the offline archive keeps EmailMessage's own choice.
    message = EmailMessage(policy=default if config is None else default.clone(cte_type="7bit"))
    message["From"] = formataddr((name, address)) if name else address
    message["To"] = ", ".join(mail.to)
    if mail.cc:
        message["Cc"] = ", ".join(mail.cc)
    message["Subject"] = eml._Subject("Subject", mail.subject)
    message["Date"] = date
    message["Message-ID"] = deliver._message_id(mail.key, address)
    message["X-Triwulan-Key"] = mail.key
    if config is None:
        message["X-Unsent"] = "1"
    message.set_content(mail.text)
    message.add_alternative(deliver.strip_newlines(mail.html), subtype="html")
    if mail.inline:
        part = message.get_payload()[1]
        for path in mail.inline:
            part.add_related(path.read_bytes(), "image", "png", cid=f"<{path.stem}>")
    for path in mail.attachments:
        ctype, encoding = mimetypes.guess_type(path.name)
        if ctype is None or encoding is not None:
            ctype = "application/octet-stream"
        maintype, subtype = ctype.split("/", 1)
        message.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return message.as_bytes(policy=SMTP)


def normalised(data: bytes) -> bytes:
    """Boundaries numbered in order of appearance, the Date line dropped."""
    names: dict[bytes, bytes] = {}
    data = DATE.sub(b"", data)
    return BOUNDARY.sub(lambda m: names.setdefault(m.group(), b"B%d" % len(names)), data)


def assert_same(mail: Mail, config: SmtpConfig | None) -> None:
    built, _ = deliver._Builder([mail], config)(mail)
    date = re.search(rb"^Date: ([^\r]*)\r\n", built, re.M)
    assert date is not None
    assert normalised(built) == normalised(stdlib_bytes(mail, config, date.group(1).decode()))


CONFIG = SmtpConfig.from_env(
    {
        "TRIWULAN_SMTP_HOST": "127.0.0.1",
        "TRIWULAN_SMTP_PORT": "2525",
        "TRIWULAN_SMTP_USER": "sekretariat@bekasiutara.go.id",
        "TRIWULAN_SMTP_PASSWORD": "rahasia",
        "TRIWULAN_SMTP_FROM": "sekretariat@bekasiutara.go.id",
    }
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("lampiran")
    made = {
        "rekap.xlsx": bytes(range(256)) * 40,
        "laporan.html": "<p>Laporan — lengkap</p>\n".encode() * 300,
        "catatan.txt": b"baris\n" * 5,
        "Daftar Isian Kel. Perwira (TW II).xlsx": b"PK\x03\x04" + b"\x00" * 57,
        "arsip.csv.gz": b"\x1f\x8b" + b"\x01" * 100,
        "grafik-keuangan.png": b"\x89PNG\r\n\x1a\n" + b"\x07" * 3000,
        "grafik-iku.png": b"\x89PNG\r\n\x1a\n",
    }
    for name, data in made.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in made}


def make_mail(files: dict[str, Path], **values: object) -> Mail:
    base: dict[str, object] = {
        "key": "2024-TW2/pimpinan/3f9a0c",
        "to": ["camat@bekasiutara.go.id"],
        "cc": ["sekcam@bekasiutara.go.id", "sekretariat@bekasiutara.go.id"],
        "subject": "[DRAF] Laporan Realisasi TW II 2024 — Kecamatan Bekasi Utara (versi 1)",
        "html": "<h1>Realisasi TW II</h1>\n<p>Serapan <b>72,50%</b> — Rp 1.250.000</p>",
        "text": "Realisasi TW II\nSerapan 72,50% — Rp 1.250.000",
        "attachments": [files["rekap.xlsx"], files["laporan.html"]],
        "inline": [files["grafik-keuangan.png"]],
    }
    base.update(values)
    return Mail(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("config", [None, CONFIG], ids=["arsip", "smtp"])
@pytest.mark.parametrize(
    "values",
    [
        {},
        {"inline": [], "attachments": []},
        {"inline": [], "html": "<p>satu baris</p>", "text": "satu baris ASCII"},
        {"attachments": [], "inline": [Path("grafik-keuangan.png"), Path("grafik-iku.png")]},
        {"attachments": ["catatan.txt", "Daftar Isian Kel. Perwira (TW II).xlsx", "arsip.csv.gz"]},
        {"text": "x" * 200 + " — panjang\n" * 30, "html": "<p>" + "é" * 500 + "</p>"},
        {"text": "€" * 2000, "html": "\r\n".join(["<td>Rp 1.000</td>"] * 50)},
        {"subject": "Pengingat: kirim data TW II 2024 ke sekretariat"},
        {"subject": "Laporan — " + "sangat panjang sekali " * 60},
        {"subject": "=?utf-8?q?bukan_kata?= tersandi — uji"},
        {"subject": "Dua  spasi\tdan tab — uji"},
        {"to": ["Camat Bekasi Utara <camat@bekasiutara.go.id>"], "cc": []},
        {"cc": [f"kasi{i}@bekasiutara.go.id" for i in range(12)]},
        {"key": "2024-TW2/unit/kel. harapan baru/" + "a" * 80},
    ],
)
def test_same_bytes_as_the_standard_library(
    files: dict[str, Path], values: dict[str, object], config: SmtpConfig | None
) -> None:
    for field in ("attachments", "inline"):
        if field in values:
            values = {**values, field: [files[Path(p).name] for p in values[field]]}  # type: ignore[union-attr]
    assert_same(make_mail(files, **values), config)


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(subject=TEXT, text=TEXT, html=TEXT, key=st.text("abc/- .é", min_size=1, max_size=90))
def test_any_text_same_bytes_as_the_standard_library(
    files: dict[str, Path], subject: str, text: str, html: str, key: str
) -> None:
    for config in (None, CONFIG):
        assert_same(make_mail(files, subject=subject, text=text, html=html, key=key), config)
