"""The taskmock pytest plugin: the mock as a fixture (registered under `pytest11`: install it).

    def test_my_client_downloads_the_output(taskmock):
        job = taskmock.create("tensorpix")
        client = MyClient(taskmock.base_url(), taskmock.key("tensorpix"), sleep=taskmock.advance)
        client.wait(job.id)               # polls over real HTTP; time is virtual
        assert job.state == 2

Configure with a marker, `@pytest.mark.taskmock(seed=7, clock="wall", speed=60,
apis=["hailuo"], tokens=["abc"], allow_problems=True)`, or by overriding the `taskmock_config`
fixture. One server per
test session (so per pytest-xdist worker); every test gets a fresh mock on it, so tests never share
tasks or clocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from taskmock.core.clock import ManualClock, make_clock
from taskmock.http.app import MockApp, MockConfig
from taskmock.testing import MockServer, Taskmock

__all__ = ["pytest_configure", "taskmock", "taskmock_config", "taskmock_server"]

_MARKER_KEYS = {"seed", "clock", "speed", "apis", "tokens", "example_tasks", "allow_problems"}


def pytest_configure(config: pytest.Config) -> None:
    """Register the `taskmock` marker."""
    config.addinivalue_line(
        "markers",
        "taskmock(seed=0, clock='manual', speed=1.0, apis=None, tokens=None, allow_problems=False):"
        " "
        "configure the taskmock fixture for this test",
    )


@pytest.fixture(scope="session")
def taskmock_server() -> Iterator[MockServer]:
    """The session's HTTP server on 127.0.0.1 (pytest-httpserver, threaded)."""
    server = MockServer().start()
    yield server
    server.stop()


@pytest.fixture
def taskmock_config() -> MockConfig:
    """How to build each test's mock; override it in a conftest.py to change the default.

    A test's mock starts empty: the specs' example tasks are planted only on request
    (`@pytest.mark.taskmock(example_tasks=True)`), so a client's lists show its own tasks.
    """
    return MockConfig(clock=ManualClock(), seed=0, example_tasks=False)


@pytest.fixture
def taskmock(
    request: pytest.FixtureRequest, taskmock_server: MockServer, taskmock_config: MockConfig
) -> Iterator[Taskmock]:
    """A fresh mock of every API for this test, served over real HTTP; see `taskmock.testing`."""
    marker = request.node.get_closest_marker("taskmock")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    if marker and marker.args:
        raise pytest.UsageError("@pytest.mark.taskmock takes keyword arguments only")
    unknown = set(options) - _MARKER_KEYS
    if unknown:
        raise pytest.UsageError(
            f"@pytest.mark.taskmock: unknown option(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(_MARKER_KEYS))}"
        )
    config = taskmock_config
    if "clock" in options or "speed" in options:
        kind = options.get("clock", "scaled" if options.get("speed", 1.0) != 1.0 else "manual")
        config = replace(config, clock=make_clock(kind, float(options.get("speed", 1.0))))
    if "seed" in options:
        config = replace(config, seed=int(options["seed"]))
    if "apis" in options:
        config = replace(config, apis=tuple(options["apis"]))
    if "tokens" in options:
        config = replace(config, tokens=frozenset(options["tokens"]))
    if "example_tasks" in options:
        config = replace(config, example_tasks=bool(options["example_tasks"]))
    mock = taskmock_server.host(MockApp(config))
    if options.get("allow_problems"):
        mock.allow_problems()
    yield mock
    taskmock_server.release()
    mock.check()
