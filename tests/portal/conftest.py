"""A portal per test file (module scope): its own folders, so files do not see each other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.portal_server import PortalServer, running_portal


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    with running_portal(tmp_path_factory.mktemp("portal")) as server:
        yield server
