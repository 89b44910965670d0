"""The wilayah hierarchy as folders: read, checked with Indonesian lines, walked in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.wilayah import (
    kecamatan_below,
    levels_below,
    load_wilayah,
    schema_name,
)


def level(root: Path, kode: str, nama: str, tingkat: str, anak: list[str] | None = None) -> None:
    folder = root / kode
    folder.mkdir(parents=True)
    lines = [f'kode = "{kode}"', f'nama = "{nama}"', f'tingkat = "{tingkat}"']
    if anak is not None:
        lines.append("anak = [" + ", ".join(f'"{a}"' for a in anak) + "]")
    (folder / "wilayah.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def province(tmp_path: Path) -> Path:
    """Jawa Barat with two kota: Bekasi (two kecamatan) and Depok (one)."""
    level(tmp_path, "32", "Jawa Barat", "provinsi", ["32.75", "32.76"])
    level(tmp_path, "32.75", "Kota Bekasi", "kota", ["32.75.02", "32.75.01"])
    level(tmp_path, "32.76", "Kota Depok", "kota", ["32.76.01"])
    for kode in ("32.75.01", "32.75.02", "32.76.01"):
        level(tmp_path, kode, f"Kecamatan {kode}", "kecamatan")
    return tmp_path


def test_a_province_walks_to_its_kecamatan_and_builds_kota_first(province: Path) -> None:
    assert [k.kode for k in kecamatan_below(province, "32")] == [
        "32.75.01",
        "32.75.02",
        "32.76.01",
    ]
    assert [w.kode for w in levels_below(province, "32")] == ["32.75", "32.76", "32"]
    assert [k.kode for k in kecamatan_below(province, "32.75.01")] == ["32.75.01"]
    assert levels_below(province, "32.75.01") == []


@pytest.mark.parametrize(
    ("kode", "text", "message"),
    [
        (
            "32.75",
            'kode = "32.76"\nnama = "X"\ntingkat = "kota"\nanak = ["32.75.01"]',
            "tidak sama",
        ),
        ("32.75", 'kode = "32.75"\nnama = ""\ntingkat = "kota"\nanak = ["32.75.01"]', "nama belum"),
        ("32.75", 'kode = "32.75"\nnama = "X"\ntingkat = "desa"\nanak = ["32.75.01"]', "tingkat"),
        ("32.75", 'kode = "32.75"\nnama = "X"\ntingkat = "kecamatan"', "tidak cocok"),
        ("32.75", 'kode = "32.75"\nnama = "X"\ntingkat = "kota"', "anak belum diisi"),
        ("32.75", 'kode = "32.75"\nnama = "X"\ntingkat = "kota"\nanak = ["33.01.01"]', "di bawah"),
        (
            "32.75",
            'kode = "32.75"\nnama = "X"\ntingkat = "kota"\nanak = ["32.75.01", "32.75.01"]',
            "dua kali",
        ),
        ("32.75", 'kode = "32.75"\nnama = "X\ntingkat = "kota"', "tidak dapat dibaca"),
    ],
)
def test_every_mistake_in_a_wilayah_file_is_named(
    tmp_path: Path, kode: str, text: str, message: str
) -> None:
    (tmp_path / kode).mkdir()
    (tmp_path / kode / "wilayah.toml").write_text(text, encoding="utf-8")
    with pytest.raises(TriwulanError, match=message) as caught:
        load_wilayah(tmp_path, kode)
    assert "wilayah.toml" in str(caught.value)


def test_an_unknown_or_malformed_code_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TriwulanError, match="tidak dikenal"):
        load_wilayah(tmp_path, "32.75")
    for bad in ("../etc", "32.7", "32.75.01.0001", ""):
        with pytest.raises(TriwulanError, match="tidak sah"):
            load_wilayah(tmp_path, bad)


def test_a_child_that_is_not_below_its_parent(province: Path) -> None:
    level(province, "33", "Jawa Tengah", "provinsi", ["33.01"])
    level(province, "33.01", "Salah", "provinsi", None)  # wrong depth for its code
    with pytest.raises(TriwulanError, match="tidak cocok"):
        kecamatan_below(province, "33")


def test_schema_names_come_from_checked_codes() -> None:
    assert schema_name("32.75.01") == "w_32_75_01"
    with pytest.raises(TriwulanError):
        schema_name('32"; DROP SCHEMA public; --')
