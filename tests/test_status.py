"""The status views over a real SQLite record, filled through the functions the flow uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from triwulan.status import quarter_lines, year_lines, year_state
from triwulan.tasks.core.reference import Reference, load_reference
from triwulan.tasks.record import database, store
from triwulan.tasks.record import runs as record
from triwulan.tasks.record.lock import quarter_lock
from triwulan.tasks.record.mail import DbLedger

CASCADE_CAUSE = (
    "Versi ini dibuat ulang karena data TW I 2024 dikoreksi (versi 2); angka s.d. TW II ikut "
    "berubah."
)


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference(2024)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every recorded time one minute after the previous, from 30-11-2026 08.15 WIB."""
    moments = (
        dt.datetime(2026, 11, 30, 1, 15, tzinfo=dt.UTC) + dt.timedelta(minutes=i)
        for i in range(10_000)
    )
    monkeypatch.setattr(store, "now", lambda: next(moments))
    monkeypatch.setattr(record, "now", lambda: next(moments))
    yield


def rows(unit: str, file: str, sha: str, amount: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit": [unit],
            "kode_sub_kegiatan": ["7.01.01.2.02.0001"],
            "realisasi_keuangan": [amount],
            "realisasi_fisik": [50.0],
            "realisasi_keluaran": [1.0],
            "kendala": [""],
            "tindak_lanjut": [""],
            "_file": [file],
            "_row": [2],
            "sha256": [sha],
        }
    )


class Quarter:
    """One run of a quarter as the flow records it: files kept, rows saved, verdicts, finish."""

    def __init__(self, engine: Engine, tmp: Path, periode: str) -> None:
        self.engine, self.tmp, self.periode = engine, tmp, periode
        self.tw = int(periode[-1])

    def run(
        self,
        versi: int,
        pemicu: str,
        files: dict[str, tuple[str | None, str, int, bytes]],
        status: str = "selesai",
        pesan: str | None = None,
        sidik: str | None = None,
        during: Callable[[int], object] | None = None,
    ) -> int:
        """`during(run_id)`: what the flow does before it finishes the run (cascade, mails)."""
        run_id = record.start_run(
            self.engine,
            self.periode,
            versi,
            None,
            pemicu=pemicu,
            parameter={"periode": self.periode},
            sidik=sidik,
        )
        shas = {}
        for name, (unit, verdict, _problems, content) in files.items():
            path = self.tmp / "inbox" / self.periode / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            shas[name] = store.keep_raw(self.engine, path, self.tmp / "raw")
            if verdict == "accepted":
                store.save_accepted(
                    self.engine, 2024, self.tw, rows(unit, name, shas[name], len(content)), versi
                )
        verdicts = {name: (unit, verdict, n) for name, (unit, verdict, n, _c) in files.items()}
        if files:
            record.record_submissions(self.engine, self.periode, run_id, shas, verdicts)
        accepted = sum(1 for u, v, _n, _c in files.values() if v == "accepted")
        counts = {
            "accepted": accepted,
            "rejected": len(files) - accepted,
            "missing": 7 - len(files),
        }
        folder = Path("/keluaran/2024") / f"TW{self.tw}" / f"v{versi}"
        if during is not None:
            during(run_id)
        if status == "selesai":
            record.finish_run(self.engine, run_id, status, counts, folder=folder)
        else:
            record.finish_run(self.engine, run_id, status, pesan=pesan)
        return run_id

    def cascade(self, versi: int, corrected: str) -> int:
        run_id = record.start_run(
            self.engine,
            self.periode,
            versi,
            None,
            pemicu="cascade",
            parameter={"periode": self.periode, "koreksi": corrected},
            sebab=CASCADE_CAUSE,
        )
        counts = {"accepted": 2, "rejected": 0, "missing": 5}
        folder = Path("/keluaran/2024") / f"TW{self.tw}" / f"v{versi}"
        record.finish_run(self.engine, run_id, "selesai", counts, folder=folder)
        return run_id

    def mail(self, versi: int, run_id: int | None, kind: str, status: str, to: list[str]) -> None:
        ledger = DbLedger(
            self.engine,
            self.periode,
            self.tmp / self.periode / "terkirim.json",
            versi=versi,
            run_id=run_id,
        )
        key = f"{self.periode}/{kind}/{versi}-{status}"
        if status == "gagal":
            ledger.note_failure(key, to, "SMTP 550: kotak surat penuh")
        else:
            entry = {
                "status": status,
                "kepada": to,
                "message_id": f"<{versi}@contoh>",
                "versi": versi,
            }
            ledger.record(key, entry)


@pytest.fixture
def year(tmp_path: Path, clock: None) -> Engine:
    """TW I v1, TW II v1, TW III v1 (FINAL), TW I corrected as v2 with TW II rebuilt, TW IV failed."""
    engine = database.open_store(f"sqlite:///{tmp_path / 'triwulan.sqlite'}")
    tw1, tw2, tw3, tw4 = (Quarter(engine, tmp_path, f"2024-TW{q}") for q in range(1, 5))
    tw1_files = {
        "Realisasi TW1 Perwira.xlsx": ("perwira", "accepted", 0, b"perwira tw1"),
        "kecamatan-tw1.csv": ("kecamatan", "accepted", 0, b"kecamatan tw1"),
        "harapan jaya.xlsx": ("harapan-jaya", "rejected", 2, b"harapan jaya salah"),
        "rusak.xlsx": (None, "tidak_terbaca", 1, b"bukan xlsx"),
    }
    r = tw1.run(1, "jadwal", tw1_files)
    tw1.mail(1, r, "pimpinan", "terkirim", ["camat@contoh.go.id", "sekcam@contoh.go.id"])
    tw1.mail(1, r, "unit", "gagal", ["kel.harapanjaya@contoh.go.id"])
    r = tw2.run(
        1,
        "jadwal",
        {
            "perwira tw2.xlsx": ("perwira", "accepted", 0, b"perwira tw2"),
            "kecamatan tw2.xlsx": ("kecamatan", "accepted", 0, b"kecamatan tw2"),
        },
    )
    tw2.mail(1, r, "pimpinan", "terkirim", ["camat@contoh.go.id"])
    tw3.run(1, "jadwal", {"perwira tw3.xlsx": ("perwira", "accepted", 0, b"perwira tw3")})
    record.mark(engine, "2024-TW3", 1, "final")
    # TW I corrected: perwira's new file; TW II is rebuilt (cascade), TW III is FINAL and left alone
    corrected = {
        **tw1_files,
        "Realisasi TW1 Perwira (koreksi).xlsx": ("perwira", "accepted", 0, b"koreksi"),
    }
    del corrected["Realisasi TW1 Perwira.xlsx"]

    def correct(run_id: int) -> None:
        tw2.cascade(2, "2024-TW1")
        tw1.mail(2, run_id, "pimpinan", "terkirim", ["camat@contoh.go.id"])
        tw2.mail(2, None, "pimpinan", "terkirim", [])  # steps.mark_covered

    tw1.run(2, "manual", corrected, during=correct)
    tw4.run(1, "manual", {}, status="gagal", pesan="Folder keluaran tidak dapat ditulis")
    return engine


def cells(lines: list[str], first: str) -> list[str]:
    """The words of the table row that starts with `first` (names have spaces: take the tail)."""
    row = next(line for line in lines if line.startswith(first + " "))
    return row.split()[-4:]


def test_year_table(year: Engine, ref: Reference) -> None:
    lines = year_lines(year, ref, 2024)
    assert lines[0] == "Status tahun 2024 — Kecamatan Bekasi Utara"
    assert lines[2].split() == [
        "Unit",
        "Nama",
        "Jenis",
        "TW",
        "I",
        "TW",
        "II",
        "TW",
        "III",
        "TW",
        "IV",
    ]
    assert cells(lines, "kecamatan") == ["diterima", "diterima", "belum", "belum"]
    # perwira's TW I changed after TW III v1 was made; TW II was rebuilt after the change
    assert cells(lines, "perwira") == ["diterima", "diterima", "basi", "belum"]
    assert cells(lines, "harapan-jaya") == ["ditolak", "belum", "belum", "belum"]
    assert cells(lines, "teluk-pucung") == ["belum"] * 4
    assert cells(lines, "Versi terakhir") == ["v2", "v2", "v1", "-"]
    assert cells(lines, "Laporan") == ["DRAF", "DRAF", "FINAL", "-"]
    assert cells(lines, "Pimpinan") == ["sudah", "sudah", "belum", "-"]
    assert cells(lines, "Data") == ["mutakhir", "mutakhir", "basi", "-"]
    assert max(len(line) for line in lines) <= 100
    notes = "\n".join(lines)
    assert (
        "TW III: laporan v1 basi karena TW I v2 (30-11-2026 08.39) mengubah data perwira setelah "
        "versi itu dibuat; sudah FINAL" in " ".join(notes.split())
    )
    assert "sudah FINAL" in notes
    assert (
        "TW IV: run terakhir (v1, " in notes
        and "gagal: Folder keluaran tidak dapat ditulis." in notes
    )


def test_leadership_needs_the_latest_version(year: Engine, ref: Reference, tmp_path: Path) -> None:
    """A mail of an older version does not count; an 'unknown' send reads 'tak pasti'."""
    tw2 = Quarter(year, tmp_path, "2024-TW2")
    tw2.run(3, "manual", {"perwira tw2 v3.xlsx": ("perwira", "accepted", 0, b"perwira tw2 v3")})
    assert year_state(year, ref, 2024)[1].pimpinan == "belum"
    tw2.mail(3, None, "pimpinan", "unknown", ["camat@contoh.go.id"])
    assert year_state(year, ref, 2024)[1].pimpinan == "tak pasti"
    tw2.mail(3, None, "pimpinan", "terkirim", ["camat@contoh.go.id"])
    assert year_state(year, ref, 2024)[1].pimpinan == "sudah"


@pytest.mark.parametrize(("combined", "pimpinan"), [("terkirim", "sudah"), ("gagal", "belum")])
def test_cascade_draft_goes_with_the_combined_mail(
    tmp_path: Path, clock: None, ref: Reference, combined: str, pimpinan: str
) -> None:
    """A rebuilt draft identical to one sent gets no row; the correcting run's mail carries it."""
    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    tw1, tw2 = Quarter(engine, tmp_path, "2024-TW1"), Quarter(engine, tmp_path, "2024-TW2")
    tw1.run(1, "jadwal", {"a.xlsx": ("perwira", "accepted", 0, b"a")})
    tw2.run(1, "jadwal", {"b.xlsx": ("perwira", "accepted", 0, b"b")})
    tw2.mail(1, None, "pimpinan", "terkirim", ["camat@contoh.go.id"])

    def correct(run_id: int) -> None:
        tw2.cascade(2, "2024-TW1")
        tw1.mail(2, run_id, "pimpinan", combined, ["camat@contoh.go.id"])

    tw1.run(2, "manual", {"a2.xlsx": ("perwira", "accepted", 0, b"a2")}, during=correct)
    state = year_state(engine, ref, 2024)[1]
    assert (state.version_text, state.pimpinan, state.data_text) == ("v2", pimpinan, "mutakhir")


def test_forced_rerun_of_the_same_inputs_was_already_sent(
    tmp_path: Path, clock: None, ref: Reference
) -> None:
    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    tw1 = Quarter(engine, tmp_path, "2024-TW1")
    files = {"a.xlsx": ("perwira", "accepted", 0, b"a")}
    tw1.run(1, "jadwal", files, sidik="s1")
    tw1.mail(1, None, "pimpinan", "terkirim", ["camat@contoh.go.id"])
    tw1.run(2, "manual", files, sidik="s1")  # paksa: same draft, the ledger sends nothing
    assert year_state(engine, ref, 2024)[0].pimpinan == "sudah"
    tw1.run(3, "manual", {"b.xlsx": ("perwira", "accepted", 0, b"b")}, sidik="s2")
    assert year_state(engine, ref, 2024)[0].pimpinan == "belum"


def test_quarter_history(year: Engine, ref: Reference) -> None:
    lines = quarter_lines(year, ref, "2024-TW1")
    text = "\n".join(lines)
    assert lines[0] == "Riwayat 2024-TW1 (Triwulan I Tahun 2024) — Kecamatan Bekasi Utara"
    assert lines[1] == "Versi terakhir v2 (DRAF); pimpinan: sudah; data: mutakhir."
    # who sent which file when, and its verdict in each run
    assert "  30-11-2026 08.20  perwira       Realisasi TW1 Perwira.xlsx" in lines
    assert "  30-11-2026 08.22  harapan-jaya  harapan jaya.xlsx" in lines
    assert "  30-11-2026 08.23  tanpa unit    rusak.xlsx" in lines
    i = lines.index("  30-11-2026 08.22  harapan-jaya  harapan jaya.xlsx")
    assert lines[i + 1].endswith("— v1 ditolak (2 masalah); v2 ditolak (2 masalah)")
    j = lines.index("  30-11-2026 08.20  perwira       Realisasi TW1 Perwira.xlsx")
    assert lines[j + 1].endswith("— v1 diterima")
    assert "tidak terbaca (1 masalah)" in text
    # versions
    assert lines[lines.index("Versi dan run (2):") + 2].split() == [
        "v1",
        "jadwal",
        "30-11-2026",
        "08.15",
        "30-11-2026",
        "08.24",
        "selesai",
        "2/2/3",
    ]
    assert "         folder: /keluaran/2024/TW1/v2" in lines
    # mails: recipients, status, errors
    assert any(
        line.split()[:6]
        == ["30-11-2026", "08.25", "pimpinan", "v1", "terkirim", "camat@contoh.go.id,"]
        for line in lines
    )
    unit_mail = next(line for line in lines if " unit " in line and "gagal" in line)
    assert unit_mail.split()[2:] == ["unit", "v1", "gagal", "kel.harapanjaya@contoh.go.id"]
    assert "galat: SMTP 550: kotak surat penuh" in text
    assert "Message-ID: <1@contoh>" in text
    assert "Belum pernah ditetapkan FINAL." in lines


def test_quarter_history_of_a_cascade_and_a_final(year: Engine, ref: Reference) -> None:
    tw2 = quarter_lines(year, ref, "2024-TW2")
    row = next(line for line in tw2 if line.startswith("  v2 "))
    assert row.split()[:2] == ["v2", "cascade"] and row.split()[-2:] == ["selesai", "2/0/5"]
    assert " ".join(" ".join(tw2).split()).count("sebab: " + CASCADE_CAUSE) == 1
    assert any("(tanpa daftar penerima: tercakup surat gabungan)" in line for line in tw2)
    tw3 = quarter_lines(year, ref, "2024-TW3")
    assert tw3[1] == "Versi terakhir v1 (FINAL); pimpinan: belum; data: basi."
    assert tw3[tw3.index("FINAL dan pembukaan (1):") + 1].startswith("  30-11-2026 ")
    assert "v1 ditetapkan FINAL oleh " in tw3[tw3.index("FINAL dan pembukaan (1):") + 1]
    assert "Belum ada surat untuk 2024-TW3." in tw3
    tw4 = quarter_lines(year, ref, "2024-TW4")
    assert tw4[1] == "Belum ada versi yang selesai."
    assert "Belum ada berkas masuk untuk 2024-TW4." in tw4
    assert "         pesan: Folder keluaran tidak dapat ditulis" in tw4


def test_reopened_final(year: Engine, ref: Reference) -> None:
    record.mark(year, "2024-TW3", 1, "buka", "koreksi TW I perlu masuk")
    assert year_state(year, ref, 2024)[2].report_text == "DRAF"
    lines = quarter_lines(year, ref, "2024-TW3")
    assert any(
        line.endswith(
            "v1 dibuka kembali oleh " + record.person() + "; alasan: koreksi TW I perlu masuk"
        )
        for line in lines
    )


def test_empty_database(tmp_path: Path, ref: Reference) -> None:
    engine = database.open_store(f"sqlite:///{tmp_path / 'kosong.sqlite'}")
    lines = year_lines(engine, ref, 2024)
    assert cells(lines, "perwira") == ["belum"] * 4
    assert cells(lines, "Versi terakhir") == ["-"] * 4
    assert cells(lines, "Pimpinan") == ["-"] * 4
    assert "Belum ada run untuk tahun 2024." in lines
    assert quarter_lines(engine, ref, "2024-TW2") == [
        "Riwayat 2024-TW2 (Triwulan II Tahun 2024) — Kecamatan Bekasi Utara",
        "Belum ada run untuk 2024-TW2.",
    ]


def test_reference_of_another_year(tmp_path: Path, ref: Reference) -> None:
    from triwulan.tasks.core.errors import TriwulanError

    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(TriwulanError, match="tidak cocok"):
        year_lines(engine, ref, 2025)


def test_unfinished_run_is_running_only_while_its_lock_is_held(
    tmp_path: Path, clock: None, ref: Reference
) -> None:
    engine = database.open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    record.start_run(engine, "2024-TW2", 1, None, pemicu="jadwal", parameter={})

    def status() -> str:
        row = next(
            line for line in quarter_lines(engine, ref, "2024-TW2") if line.startswith("  v1")
        )
        return row.split()[-2]

    with quarter_lock(engine, "2024-TW2", 0):
        assert status() == "berjalan"
    assert status() == "terhenti"  # the process that ran it is gone
    assert any(
        "TW II: ada run yang belum selesai" in line for line in year_lines(engine, ref, 2024)
    )
