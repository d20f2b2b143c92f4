"""Test helpers: a real mock server on 127.0.0.1 in a thread, and a tiny HTTP client."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taskmock._cli.serve_cmd import _listen
from taskmock._core.catalog import bundled_catalog
from taskmock._core.clock import ManualClock
from taskmock._http.app import MockApp, MockConfig
from taskmock._http.server import HttpServer, Limits


@dataclass
class Reply:
    """An HTTP answer as the tests see it."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LiveMock:
    """A MockApp served over real HTTP on 127.0.0.1."""

    app: MockApp
    base_url: str
    _server: HttpServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def clock(self) -> ManualClock:
        clock = self.app.tasks.clock
        assert isinstance(clock, ManualClock)
        return clock

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Reply:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        all_headers = dict(headers or {})
        if body is not None:
            all_headers.setdefault("content-type", "application/json")
        req = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return Reply(
                    resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
                )
        except urllib.error.HTTPError as err:
            with err:  # close its socket now, not whenever the garbage collector runs
                return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())

    def stop(self) -> None:
        self._server.stop()
        self._thread.join(timeout=10)


def start_live_mock(
    config: MockConfig | None = None, app: MockApp | None = None, limits: Limits | None = None
) -> LiveMock:
    """Start a mock (or `app`) on a free port of 127.0.0.1.

    Unless configured otherwise: a manual clock, and no example tasks (tests count their own tasks).
    """
    app = app or MockApp(config or MockConfig(clock=ManualClock(), example_tasks=False))
    sock = _listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = HttpServer(app.handle, sock, limits)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()  # the socket already listens: early requests wait in its backlog, no polling
    return LiveMock(app, f"http://127.0.0.1:{port}", server, thread)


def assert_conforms(api: str, operation_id: str, reply: Reply) -> None:
    """Assert that a reply is one the spec of `api` allows for `operation_id`."""
    from taskmock._checks.schema import response_violations
    from taskmock._core.spec import load_api

    spec = load_api(api)
    found = response_violations(
        spec,
        spec.operation(operation_id),
        reply.status,
        reply.headers.get("content-type", ""),
        reply.body,
    )
    assert found == [], [str(v) for v in found]


# The bundled catalog, as the tests name its files.
API_NAMES: tuple[str, ...] = bundled_catalog().names


def spec_path(name: str) -> Path:
    """The bundled spec of an API, or the control plane's (`control`)."""
    if name == "control":
        return bundled_catalog().control_spec()
    return bundled_catalog().entry(name).spec


def scenario_path(name: str) -> Path:
    """The bundled scenario file of an API."""
    scenario = bundled_catalog().entry(name).scenario
    assert scenario is not None
    return scenario
