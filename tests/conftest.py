"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser import browser  # noqa: F401
from tests.postgres import postgres_url  # noqa: F401
from tests.smtp_server import smtp_server  # noqa: F401


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """One temporary Prefect server for the whole session (starting one costs ~10 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(autouse=True)
def _prefect_console_outlives_clirunner() -> Iterator[None]:
    """Prefect binds its console log handler to the stdout it finds at set-up; set up inside
    typer's CliRunner, that stream is closed after the invocation and a later flow's log line
    would fail on it. Point such a handler back at the real stderr (test isolation only)."""
    yield
    import logging
    import sys

    for handler in logging.getLogger().handlers:
        console = getattr(handler, "console", None)
        stream = getattr(console, "file", None)
        if stream is not None and getattr(stream, "closed", False):
            console.file = sys.__stderr__
