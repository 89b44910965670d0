"""The Quarter context: one quarter's folders and parameters, derived in one place."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine

from triwulan.tasks.core.limits import load_limits
from triwulan.tasks.core.period import Period
from triwulan.tasks.core.quarter import Quarter
from triwulan.tasks.core.reference import load_reference, plan_for_quarter


def test_folders_params_plan_and_a_later_quarter(tmp_path: Path) -> None:
    ref = load_reference(2024)
    engine = create_engine("sqlite://")
    q = Quarter(
        Period(2024, 2), ref, engine, tmp_path / "in", tmp_path / "out", load_limits(), None
    )
    assert q.label == "2024-TW2"
    assert q.inbox_folder == tmp_path / "in" / "2024" / "TW2"
    assert q.folder == tmp_path / "out" / "2024" / "TW2"
    assert q.raw_dir == tmp_path / "out" / "store" / "raw"
    assert q.params == {
        "periode": "2024-TW2",
        "inbox": str(tmp_path / "in"),
        "out": str(tmp_path / "out"),
    }
    pd.testing.assert_frame_equal(q.plan, plan_for_quarter(ref, 2))
    later = q.later(4)
    assert (later.label, later.folder.name) == ("2024-TW4", "TW4")
    assert later.ref is ref and later.engine is engine and q.label == "2024-TW2"
