"""Starting the portal (`triwulan portal`) and handing out access codes (`triwulan akses`).

One uvicorn process on the office PC by default, listening on 127.0.0.1; on the LAN with
--host 0.0.0.0, or behind a reverse proxy with HTTPS (README). The portal's log goes to
<out>/log/portal.log and the console: requests without tokens, uploads with their verdicts.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from triwulan.portal.context import Portal
from triwulan.portal.settings import PortalSettings, portal_settings
from triwulan.settings_check import require_valid_settings
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.reference import load_reference
from triwulan.tasks.record import portal as ledger
from triwulan.tasks.record.runs import person
from triwulan.tasks.setup import check_writable, open_database


def open_portal(inbox: Path | None = None, out: Path | None = None) -> Portal:
    """Settings (the secret first), the store, and a writable inbox and out folder."""
    require_valid_settings()  # every bad setting, one line each, as a run refuses them
    settings = portal_settings(inbox=inbox, out=out)
    settings.out.mkdir(parents=True, exist_ok=True)
    check_writable(settings.out, "Folder hasil")
    settings.inbox.mkdir(parents=True, exist_ok=True)
    check_writable(settings.inbox, "Folder inbox")
    return Portal(settings, open_database(settings.out))


def _logging(settings: PortalSettings) -> None:
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    form = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    to_file = logging.FileHandler(settings.log_dir / "portal.log", encoding="utf-8")
    to_console = logging.StreamHandler()
    log = logging.getLogger("triwulan.portal")
    log.setLevel(logging.INFO)
    for handler in (to_file, to_console):
        handler.setFormatter(form)
        log.addHandler(handler)
    log.propagate = False


def serve_portal(host: str, port: int, inbox: Path | None, out: Path | None) -> None:
    """Until Ctrl+C; the judge warms up (imports GX) in the background meanwhile."""
    import uvicorn

    from triwulan.portal.app import create_app

    portal = open_portal(inbox, out)
    _logging(portal.settings)
    app = create_app(portal)
    logging.getLogger("triwulan.portal").info(
        "portal %s di http://%s:%d (alamat untuk unit: %s)",
        "siap",
        host,
        port,
        portal.settings.alamat,
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=False,  # AccessLog writes the lines, without sign-in tokens
        log_level="warning",
        proxy_headers=True,  # X-Forwarded-* from a proxy on this PC (127.0.0.1)
        server_header=False,
    )


def make_access(unit: str | None, out: Path | None) -> list[str]:
    """The lines `triwulan akses buat` prints; the code alone on the last one."""
    settings = portal_settings(out=out, need_secret=False)
    check_writable(settings.out, "Folder hasil")
    engine = open_database(settings.out)
    try:
        if unit is not None:
            from triwulan.cli_common import latest_tahun

            ref = load_reference(latest_tahun())
            if unit not in set(ref.units["unit"]):
                raise TriwulanError(
                    f"Unit '{unit}' tidak ada di data referensi {ref.tahun} (lihat: triwulan units)."
                )
            who = ref.unit_name(unit)
        else:
            who = "sekretariat (admin)"
        made = ledger.create_access(engine, unit, person())
    finally:
        engine.dispose()
    unset = (
        ""
        if os.environ.get("TRIWULAN_PORTAL_ALAMAT")
        else (
            " (alamat bawaan PC ini: isi [portal] alamat di triwulan.toml agar tautan dapat "
            "dibuka dari HP unit)"
        )
    )
    return [
        f"Kode akses {who} dibuat. Simpan dan serahkan; kode ini tidak ditampilkan lagi.",
        f"Tautan masuk sekali pakai: {settings.alamat}/masuk/{made.link_token}{unset}",
        "Cabut bila bocor: triwulan akses cabut " + (unit or "--admin"),
        "Kode akses:",
        made.code,
    ]


def revoke_access(unit: str | None, out: Path | None) -> str:
    """The line `triwulan akses cabut` prints."""
    settings = portal_settings(out=out, need_secret=False)
    check_writable(settings.out, "Folder hasil")
    engine = open_database(settings.out)
    try:
        count = ledger.revoke(engine, unit)
    finally:
        engine.dispose()
    who = unit or "sekretariat (admin)"
    if not count:
        return f"Tidak ada kode akses aktif untuk {who}."
    return f"{count} kode akses {who} dicabut; sesi yang masuk dengannya berakhir."
