"""triwulan: quarterly reporting workflows for a kecamatan secretariat."""

import os

# Project defaults: no telemetry or analytics calls from Prefect (there is no network here).
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Log lines of triwulan's own modules (tasks/, delivery) reach the Prefect run's logs.
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "triwulan")
# Outside a flow run (status, kirim-ulang, reminders from the terminal) those lines stay local.
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
