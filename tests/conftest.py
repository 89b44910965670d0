"""Shared fixtures."""

from tests.smtp_server import smtp_server  # noqa: F401
