"""triwulan: quarterly reporting workflows for a kecamatan secretariat."""

import os

# Project defaults: no telemetry or analytics calls from Prefect (there is no network here).
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
