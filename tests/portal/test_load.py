"""Fifty units uploading to a real portal at the same moment: every one gets its own verdict.

The data is bench/scale_data.py's (51 units: the kecamatan office and 50 kelurahan cloned from
the sample's, a few with planted faults listed in kesalahan.csv); the burst is the one of
bench/portal_load.py (one thread and connection per unit, released by a barrier). Latencies are
printed, not asserted: the bench reports them against the upload alone.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench.portal_load import OFFICE, PERIODE, burst, latencies, make_codes, prepare, upload
from tests.portal_server import running_portal

UNITS = 50


def test_fifty_units_uploading_at_once_each_get_their_own_verdict(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path_factory.mktemp("beban")
    data = prepare(UNITS, work / "data")
    assert len(data.files) == UNITS
    assert data.faulty and data.faulty < set(data.files), "generate plants faults in kelurahan"

    with running_portal(work / "portal", {"TRIWULAN_REFERENCE": str(data.reference)}) as server:
        codes = make_codes(server, [OFFICE, *data.files])
        http, answer, _ = upload(server.url, codes[OFFICE], data.office)  # the judge warms up
        assert http == 200 and answer["status"] != "ditolak", answer
        outcomes, wall = burst(server.url, codes, data.files)
        assert server.process is not None and server.process.poll() is None
        logs = server.logs()

    stats = latencies(outcomes)
    with capsys.disabled():
        print(
            f"\n{UNITS} unggahan serentak: p50 {stats['p50']:.2f} s, p95 {stats['p95']:.2f} s, "
            f"maks {stats['max']:.2f} s, seluruhnya {wall:.2f} s"
        )

    # every upload got a verdict, about its own unit and quarter
    no_verdict = [(o.unit, o.http, o.answer, o.error) for o in outcomes if o.http != 200]
    assert not no_verdict
    for o in outcomes:
        assert o.answer is not None
        assert o.status in ("diterima", "diterima_dengan_catatan", "ditolak"), o.answer
        assert (o.answer["unit"], o.answer["periode"]) == (o.unit, PERIODE)
    assert sorted(o.unit for o in outcomes) == sorted(data.files)

    # exactly the units with a planted fault were refused (every planted fault is an error)
    rejected = {o.unit for o in outcomes if o.status == "ditolak"}
    assert rejected == set(data.faulty)
    for o in outcomes:
        if o.unit in rejected:
            assert any(m["tingkat"] == "galat" for m in o.answer["masalah"]), o.answer

    # the ledger: one row per upload of the burst, the office's warm-up besides
    with sqlite3.connect(server.out / "triwulan.sqlite") as db:
        rows = db.execute("SELECT unit, periode, status, jalur FROM unggahan").fetchall()
    assert len(rows) == UNITS + 1
    burst_rows = {unit: (periode, status, jalur) for unit, periode, status, jalur in rows}
    assert len(burst_rows) == UNITS + 1  # one row per unit
    for o in outcomes:
        assert burst_rows[o.unit] == (PERIODE, o.status, "api")

    # the inbox: one portal-<unit>.xlsx per accepted unit, byte for byte the uploaded file
    quarter = server.inbox / "2024" / "TW2"
    placed = {path.name: path for path in quarter.iterdir()}
    accepted = [unit for unit in data.files if unit not in rejected]
    expected = {f"portal-{unit}.xlsx" for unit in [*accepted, OFFICE]}
    assert set(placed) == expected
    for unit in accepted:
        assert placed[f"portal-{unit}.xlsx"].read_bytes() == Path(data.files[unit]).read_bytes()

    assert "Traceback" not in logs
