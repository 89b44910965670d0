"""Screenshots of one version folder: the report and the leadership mail at phone and desktop
width (headless Chromium), and the rekap printed to PDF by LibreOffice with a PNG per page.

For reviewing how people will see the output (a phone is 390 CSS px wide) without sending mail.
Needs chromium, soffice (LibreOffice) and, for the page PNGs, pdftoppm (poppler-utils).
Run: .venv/bin/python scripts/screenshots.py out/2024/TW4/v2 --keluar screenshots/
"""

from __future__ import annotations

import argparse
import email
import email.policy
import html
import re
import shutil
import subprocess
import sys
import tempfile
from email.message import EmailMessage
from pathlib import Path

WIDTHS = (390, 1280)
MAX_HEIGHT = 32000  # px of the browser window; the screenshot is cut to the page's content
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
MARGIN = 24  # px kept below the last non-background row


class _Bantuan(argparse.HelpFormatter):
    """argparse's help in Indonesian where it writes its own words."""

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, prefix="penggunaan: ")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="screenshots.py",
        formatter_class=_Bantuan,
        add_help=False,
        description=(
            "Membuat tangkapan layar satu folder versi (misalnya out/2024/TW4/v2): laporan.html "
            "dan email pimpinan pada lebar 390 px (ponsel) dan 1280 px (desktop), serta rekap.xlsx "
            "yang dicetak ke PDF oleh LibreOffice dengan satu PNG per halaman."
        ),
    )
    parser._positionals.title = "argumen"
    parser._optionals.title = "pilihan"
    parser.add_argument("-h", "--help", action="help", help="tampilkan bantuan ini lalu keluar")
    parser.add_argument(
        "folder",
        type=Path,
        help="folder versi yang berisi laporan.html, rekap.xlsx dan outbox/*.eml",
    )
    parser.add_argument(
        "--keluar",
        type=Path,
        default=Path("screenshots"),
        help="folder hasil (bawaan: screenshots/)",
    )
    parser.add_argument(
        "--surel",
        default="*pimpinan*.eml",
        help="pola nama berkas .eml yang difoto (bawaan: *pimpinan*.eml, email untuk pimpinan)",
    )
    parser.add_argument(
        "--lebar",
        type=int,
        nargs="+",
        default=list(WIDTHS),
        help="lebar jendela dalam px (bawaan: 390 1280)",
    )
    parser.add_argument(
        "--tinggi-maks",
        type=int,
        default=MAX_HEIGHT,
        help=f"tinggi jendela dalam px; halaman yang lebih panjang terpotong "
        f"(bawaan: {MAX_HEIGHT})",
    )
    parser.add_argument(
        "--dpi", type=int, default=80, help="resolusi PNG halaman rekap (bawaan: 80)"
    )
    return parser.parse_args(argv)


# --- browser -------------------------------------------------------------------------------------


def browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def screenshot(binary: str, page: Path, out: Path, width: int, height: int) -> Path:
    """A full-page PNG of `page` at `width` CSS px: a tall window, then cut below the content."""
    with tempfile.TemporaryDirectory(prefix="screenshots-chromium-") as profile:
        subprocess.run(
            [
                binary,
                "--headless",
                "--no-sandbox",  # root in a container has no user namespace sandbox
                "--disable-gpu",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=5000",  # let images and fonts load
                f"--window-size={width},{height}",
                f"--screenshot={out}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    if trim(out) >= height:
        print(f"  peringatan: {out.name} mungkin terpotong; naikkan --tinggi-maks", file=sys.stderr)
    return out


def trim(path: Path) -> int:
    """Cut the window's empty bottom (the page's background colour); returns the content height."""
    try:
        from PIL import Image, ImageChops
    except ImportError:  # Pillow comes with matplotlib; without it the PNG keeps its height
        return 0
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    background = Image.new("RGB", rgb.size, rgb.getpixel((0, rgb.height - 1)))
    box = ImageChops.difference(rgb, background).getbbox()
    bottom = box[3] if box else 1
    if bottom + MARGIN < rgb.height:
        rgb.crop((0, 0, rgb.width, bottom + MARGIN)).save(path, optimize=True)
    return bottom


# --- mail ----------------------------------------------------------------------------------------


def _cid(value: str) -> str:
    return value.strip().strip("<>")


def mail_page(eml: Path, folder: Path) -> Path:
    """The mail's HTML part as a page in `folder`, inline images saved beside it.

    A mail client shows <img src="cid:..."> from the message's related parts; a browser cannot,
    so each cid: reference becomes the saved file's name.
    """
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("html",))
    if body is None:
        raise SystemExit(f"{eml.name} tidak memiliki bagian HTML")
    page = body.get_content()
    names: dict[str, str] = {}
    for number, part in enumerate(message.walk(), start=1):
        content_id = part.get("Content-ID")
        if not content_id or part.get_content_maintype() != "image":
            continue
        filename = Path(part.get_filename() or "").name
        name = f"{eml.stem}-{filename or f'gambar-{number}.{part.get_content_subtype()}'}"
        (folder / name).write_bytes(part.get_payload(decode=True))
        names[_cid(content_id)] = name
    for content_id, name in names.items():
        page = re.sub(r"cid:" + re.escape(content_id) + r"(?=[\"')\s>])", html.escape(name), page)
    target = folder / f"{eml.stem}.html"
    target.write_text(page, encoding="utf-8")
    return target


# --- rekap ---------------------------------------------------------------------------------------


def rekap_pages(rekap: Path, out: Path, dpi: int) -> list[Path]:
    """rekap.pdf printed by LibreOffice (its page setup), and a PNG per page with pdftoppm."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        print("  LibreOffice (soffice) tidak ditemukan: rekap dilewati", file=sys.stderr)
        return []
    with tempfile.TemporaryDirectory(prefix="screenshots-lo-") as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                str(rekap),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    pdf = out / f"{rekap.stem}.pdf"
    written = [pdf]
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        print(
            "  pdftoppm tidak ditemukan (paket poppler-utils): PNG per halaman dilewati",
            file=sys.stderr,
        )
        return written
    for old in out.glob(f"{rekap.stem}-halaman-*.png"):
        old.unlink()
    subprocess.run(
        [pdftoppm, "-r", str(dpi), "-png", str(pdf), str(out / f"{rekap.stem}-halaman")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return written + sorted(out.glob(f"{rekap.stem}-halaman-*.png"))


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder: Path = args.folder
    if not folder.is_dir():
        raise SystemExit(f"Folder {folder} tidak ada")
    out: Path = args.keluar
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    binary = browser()
    pages: list[Path] = []
    laporan = folder / "laporan.html"
    if laporan.is_file():
        pages.append(laporan)
    else:
        print(f"  {laporan} tidak ada: laporan dilewati", file=sys.stderr)
    mails = sorted(folder.glob(f"outbox/{args.surel}")) or sorted(folder.glob(args.surel))
    if not mails:
        print(f"  tidak ada email {args.surel} di {folder}/outbox", file=sys.stderr)
    mail_dir = out / "surel"
    for eml in mails:
        mail_dir.mkdir(exist_ok=True)
        pages.append(mail_page(eml, mail_dir))
    if binary is None:
        print("  chromium tidak ditemukan: tangkapan layar HTML dilewati", file=sys.stderr)
    else:
        for page in pages:
            stem = "laporan" if page == laporan else page.stem
            for width in args.lebar:
                target = out / f"{stem}-{width}.png"
                written.append(screenshot(binary, page, target, width, args.tinggi_maks))

    rekap = folder / "rekap.xlsx"
    if rekap.is_file():
        written += rekap_pages(rekap, out, args.dpi)
    else:
        print(f"  {rekap} tidak ada: rekap dilewati", file=sys.stderr)

    for path in written:
        print(path)
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
