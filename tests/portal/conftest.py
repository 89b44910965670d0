"""A portal per test file (module scope): its own folders, so files do not see each other.

The security tests' access codes and filled files (tests/portal/security_helpers.py) are per
test file too: the log test looks for every code made in its own file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.portal.security_helpers import Codes, Files
from tests.portal_server import PortalServer, running_portal


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    with running_portal(tmp_path_factory.mktemp("portal")) as server:
        yield server


@pytest.fixture(scope="module")
def codes(portal: PortalServer) -> Codes:
    return Codes(portal)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    return Files(tmp_path_factory.mktemp("berkas"))
