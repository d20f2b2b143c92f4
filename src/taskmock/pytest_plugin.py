"""The taskmock pytest plugin: the mock as a fixture (registered under `pytest11`: install it).

    def test_my_client_downloads_the_output(taskmock):
        job = taskmock.create("tensorpix")
        client = MyClient(taskmock.base_url(), taskmock.key("tensorpix"), sleep=taskmock.advance)
        client.wait(job.id)               # polls over real HTTP; time is virtual
        assert job.state == 2

Configure with a marker, `@pytest.mark.taskmock(seed=7, clock="wall", speed=60,
apis=["hailuo"], tokens=["abc"], example_tasks=True, allow_problems=True, tls=True,
catalogs=["my-catalog"], jwt_keys={"ak": "sk"})`, or by overriding the `taskmock_config` fixture;
the ini option `taskmock_catalog` adds catalog folders to every test. One server per test
session (so per pytest-xdist worker), and one HTTPS server once a test asks for `tls=True` (its CA
bundle is `taskmock.ca_bundle`); every test gets a fresh mock, so tests never share tasks or
clocks, and starts without the specs' example tasks unless `example_tasks=True`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from taskmock._core.clock import ManualClock, make_clock
from taskmock._http.app import MockApp, MockConfig
from taskmock._transports.tls import throwaway_ca
from taskmock.errors import TaskmockError
from taskmock.testing import MockServer, Taskmock

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "taskmock",
    "taskmock_config",
    "taskmock_server",
    "taskmock_tls_server",
]

_MARKER_KEYS = {
    "seed",
    "clock",
    "speed",
    "apis",
    "tokens",
    "example_tasks",
    "allow_problems",
    "tls",
    "catalogs",
    "jwt_keys",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ini option `taskmock_catalog`: catalog folders of your APIs, one per line."""
    parser.addini(
        "taskmock_catalog",
        "taskmock catalog folders (specs/<api>.yaml, mocks/<api>.yaml), one per line, relative "
        "to the ini file",
        type="paths",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the `taskmock` marker."""
    config.addinivalue_line(
        "markers",
        "taskmock(seed=0, clock='manual', speed=1.0, apis=None, tokens=None, allow_problems=False,"
        " tls=False, catalogs=None, jwt_keys=None, example_tasks=False): configure the taskmock"
        " fixture for this test",
    )


@pytest.fixture(scope="session")
def taskmock_server() -> Iterator[MockServer]:
    """The session's HTTP server on 127.0.0.1 (the one `taskmock serve` runs, in a thread)."""
    server = MockServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def taskmock_tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """The session's HTTPS server, started for the first test marked `tls=True`: a throw-away CA
    (needs taskmock[tls]) signed its certificate for localhost and 127.0.0.1."""
    ca_bundle = Path(tmp_path_factory.mktemp("taskmock-tls")) / "ca.pem"
    server = MockServer(tls=throwaway_ca(ca_bundle)).start()
    yield server
    server.stop()


@pytest.fixture
def taskmock_config(pytestconfig: pytest.Config) -> MockConfig:
    """How to build each test's mock; override it in a conftest.py to change the default.

    Its catalogs are the ini option `taskmock_catalog`'s folders (and `TASKMOCK_CATALOG`'s). A
    test's mock starts empty: the specs' example tasks are planted only on request
    (`@pytest.mark.taskmock(example_tasks=True)`), so a client's lists show its own tasks.
    """
    catalogs = tuple(pytestconfig.getini("taskmock_catalog"))
    return MockConfig(clock=ManualClock(), seed=0, catalogs=catalogs, example_tasks=False)


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
    if options.get("jwt_keys"):
        config = replace(config, jwt_keys={**config.jwt_keys, **dict(options["jwt_keys"])})
    if "example_tasks" in options:
        config = replace(config, example_tasks=bool(options["example_tasks"]))
    if options.get("catalogs"):
        root = request.config.rootpath
        extra = tuple(root / folder for folder in options["catalogs"])
        config = replace(config, catalogs=(*config.catalogs, *extra))
    server = taskmock_server
    if options.get("tls"):
        server = request.getfixturevalue("taskmock_tls_server")
    try:
        app = MockApp(config)
    except TaskmockError as exc:  # a broken catalog, an unknown API: the message, no traceback
        problem = str(exc)
    else:
        problem = ""
    if problem:
        pytest.fail(f"taskmock: {problem}", pytrace=False)
    mock = server.host(app)
    if options.get("allow_problems"):
        mock.allow_problems()
    yield mock
    server.release()
    mock.check()
