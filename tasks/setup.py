"""Everything a run needs, checked before any work starts, with Indonesian messages.

Called by the CLI before Prefect starts (a typo answers at once) and by the flow itself (a
deployment run gets the same checks). Nothing here imports Prefect or Great Expectations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from tasks import store
from tasks.deliver import SmtpConfig
from tasks.errors import TriwulanError
from tasks.fmt import WIB
from tasks.ingest import check_inbox, find_submissions
from tasks.period import Period, last_completed_quarter, parse_period
from tasks.reference import Reference, load_reference
from triwulan.paths import inbox_dir, out_dir, quarter_inbox


@dataclass(frozen=True)
class Setup:
    period: Period
    ref: Reference
    inbox: Path
    out: Path
    smtp: SmtpConfig | None
    engine: Engine


def check_setup(periode: str | None, inbox: Path | None, out: Path | None) -> Setup:
    """Period, reference data, inbox, out folder, SMTP settings and database, in that order."""
    period = (
        parse_period(periode) if periode else last_completed_quarter(dt.datetime.now(WIB).date())
    )
    ref = load_reference(period.tahun)
    inbox_path, out_path = inbox_dir(inbox), out_dir(out)
    check_inbox(inbox_path)
    quarter = quarter_inbox(inbox_path, period.tahun, period.triwulan)
    if not find_submissions(quarter):
        raise TriwulanError(
            f"Belum ada berkas masuk untuk {period.label}: folder '{quarter}' tidak ada atau kosong."
        )
    try:
        out_path.mkdir(parents=True, exist_ok=True)
        probe = out_path / ".tulis-uji"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise TriwulanError(
            f"Folder hasil '{out_path}' tidak dapat dibuat atau ditulisi ({exc.strerror})."
        ) from exc
    smtp = SmtpConfig.from_env()
    url = store.db_url(out_path)
    try:
        engine = store.open_store(url)
    except ImportError as exc:
        raise TriwulanError(
            f"Driver basis data untuk TRIWULAN_DB_URL belum terpasang ({exc.name}); untuk "
            "PostgreSQL pasang dengan: pip install -e '.[postgres]'."
        ) from exc
    except SQLAlchemyError as exc:
        try:
            shown = make_url(url).render_as_string(hide_password=True)
        except SQLAlchemyError:
            shown = "TRIWULAN_DB_URL"
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
        raise TriwulanError(f"Basis data '{shown}' tidak dapat dibuka: {reason}") from exc
    return Setup(period, ref, inbox_path, out_path, smtp, engine)
