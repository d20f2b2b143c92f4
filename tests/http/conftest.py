"""A real mock server for the HTTP tests: one per module, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import LiveMock, start_live_mock


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveMock]:
    server = start_live_mock()
    yield server
    server.stop()


@pytest.fixture
def mock(live_server: LiveMock) -> LiveMock:
    live_server.app.tasks.reset()
    live_server.app.journal.clear()
    return live_server
