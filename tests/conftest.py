"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres import postgres_url  # noqa: F401
from tests.smtp_server import smtp_server  # noqa: F401


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """One temporary Prefect server for the whole session (starting one costs ~10 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
