"""The portal writes into the inbox only regular files of its own making, never through a link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from triwulan.tasks.collect.inbox_write import open_folder, place, portal_name, set_aside
from triwulan.tasks.core.errors import TriwulanError


def test_a_planted_link_is_replaced_never_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "rahasia.txt"
    outside.write_bytes(b"jangan disentuh")
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "portal-perwira.xlsx").symlink_to(outside)
    upload = tmp_path / "kept.xlsx"
    upload.write_bytes(b"isi unggahan")

    fd = open_folder(tmp_path, "inbox")
    try:
        place(upload, fd, "portal-perwira.xlsx")
    finally:
        os.close(fd)

    placed = folder / "portal-perwira.xlsx"
    assert not placed.is_symlink() and placed.read_bytes() == b"isi unggahan"
    assert outside.read_bytes() == b"jangan disentuh"
    assert sorted(os.listdir(folder)) == ["portal-perwira.xlsx"]  # no temporary left


def test_folders_on_the_way_are_made_and_a_linked_one_is_refused(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    os.close(open_folder(inbox, "2024", "TW2"))
    made = inbox / "2024" / "TW2"
    assert made.is_dir() and not made.is_symlink()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (inbox / "2024" / "TW3").symlink_to(elsewhere)
    with pytest.raises(TriwulanError, match="bukan folder biasa"):
        open_folder(inbox, "2024", "TW3")
    assert os.listdir(elsewhere) == []
    (inbox / "2024" / "TW4").write_bytes(b"sebuah berkas")
    with pytest.raises(TriwulanError, match="bukan folder biasa"):
        open_folder(inbox, "2024", "TW4")
    with pytest.raises(ValueError):
        open_folder(inbox, "..", "TW3")


def test_names_come_from_the_unit_code_only() -> None:
    assert portal_name("perwira", ".xlsx") == "portal-perwira.xlsx"
    assert portal_name("kecamatan", ".csv", "skm") == "portal-kecamatan-skm.csv"
    for unit, suffix in [("../x", ".xlsx"), ("perwira", ".xlsm"), ("Perwira", ".csv")]:
        with pytest.raises(ValueError):
            portal_name(unit, suffix)


def test_a_units_other_files_are_set_aside_but_links_and_folders_stay(tmp_path: Path) -> None:
    folder = tmp_path / "TW2"
    folder.mkdir()
    (folder / "portal-perwira.xlsx").write_bytes(b"baru")
    (folder / "Perwira TW2.xlsx").write_bytes(b"lama")
    (folder / "portal-perwira.csv").write_bytes(b"lama csv")
    (folder / "tautan.xlsx").symlink_to(tmp_path / "nowhere")
    (folder / "map.xlsx").mkdir()
    os.mkfifo(folder / "pipa.xlsx")
    aside = tmp_path / "out" / "disisihkan"
    (aside).mkdir(parents=True)
    (aside / "Perwira TW2.xlsx").write_bytes(b"dari kemarin")

    fd = open_folder(tmp_path, "TW2")
    moved = set_aside(
        fd,
        [
            "Perwira TW2.xlsx",
            "portal-perwira.csv",
            "portal-perwira.xlsx",
            "tautan.xlsx",
            "map.xlsx",
            "pipa.xlsx",
            "hilang.xlsx",
        ],
        "portal-perwira.xlsx",
        aside,
    )
    os.close(fd)

    assert moved == ["Perwira TW2.xlsx", "portal-perwira.csv"]
    assert sorted(os.listdir(folder)) == [
        "map.xlsx",
        "pipa.xlsx",
        "portal-perwira.xlsx",
        "tautan.xlsx",
    ]
    assert (aside / "1-Perwira TW2.xlsx").read_bytes() == b"lama"
    assert (aside / "Perwira TW2.xlsx").read_bytes() == b"dari kemarin"


def test_a_folder_swapped_for_a_link_after_it_was_opened_is_not_followed(tmp_path: Path) -> None:
    """The race a local writer could try: our descriptor keeps pointing at the real folder."""
    inbox = tmp_path / "inbox"
    (inbox / "2024" / "TW2").mkdir(parents=True)
    outside = tmp_path / "luar"
    outside.mkdir()
    upload = tmp_path / "kept.xlsx"
    upload.write_bytes(b"isi")

    fd = open_folder(inbox, "2024", "TW2")
    try:
        (inbox / "2024" / "TW2").rename(inbox / "2024" / "TW2-asli")
        (inbox / "2024" / "TW2").symlink_to(outside)
        place(upload, fd, "portal-perwira.xlsx")
    finally:
        os.close(fd)

    assert os.listdir(outside) == []
    assert (inbox / "2024" / "TW2-asli" / "portal-perwira.xlsx").read_bytes() == b"isi"
