"""One httpx client per transport that speaks HTTP, so behaviour tests run over all of them.

- `server`: `_http/server.py` in a thread, as `taskmock serve` runs it;
- `fixture`: the pytest fixture's `MockServer` (the same server behind its hosting handler);
- `fixture-tls`: the same over HTTPS, with a throw-away CA (`tls=True`);
- `asgi`: `taskmock.asgi_app` under uvicorn;
- `httpx`: `taskmock.httpx_transport`, in-process, no socket (reached as https://api.example.test).

Each runs one mock for the module with small limits (LIMITS); every test starts with no tasks,
no journal and no faults. Tests about sockets (a closed connection) check `over_socket`.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

import taskmock
from taskmock._core.clock import ManualClock
from taskmock._http.app import MockApp, MockConfig
from taskmock._http.server import Limits
from taskmock._transports.tls import throwaway_ca
from taskmock.testing import MockServer
from tests.support import start_live_mock

LIMITS = Limits(max_body=1000, max_head=2000)
TRANSPORTS = ["server", "fixture", "fixture-tls", "asgi", "httpx"]
IN_PROCESS_BASE = "https://api.example.test"


@dataclass
class Transport:
    """A mock reached one way, and a client that reaches it that way."""

    name: str
    app: MockApp
    client: httpx.Client
    base_url: str  # what the mock should build its URLs from
    over_socket: bool

    @property
    def clock(self) -> ManualClock:
        clock = self.app.tasks.clock
        assert isinstance(clock, ManualClock)
        return clock


def listening_socket() -> socket.socket:
    sock = socket.create_server(("127.0.0.1", 0))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class UvicornThread:
    """uvicorn serving an ASGI app on a listening socket, in a thread (no signal handlers there).

    Requests sent before it runs wait in the socket's backlog: nothing polls for readiness."""

    def __init__(self, app: object, sock: socket.socket, **options: Any) -> None:
        config = uvicorn.Config(app, log_level="warning", lifespan="on", **options)  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.sock = sock
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]})
        self.thread.start()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def new_app() -> MockApp:
    return MockApp(MockConfig(clock=ManualClock(), example_tasks=False))


@pytest.fixture(scope="module", params=TRANSPORTS)
def running(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Transport]:
    name: str = request.param
    app = new_app()
    if name == "server":
        live = start_live_mock(app=app, limits=LIMITS)
        with httpx.Client(base_url=live.base_url) as client:
            yield Transport(name, app, client, live.base_url, True)
        live.stop()
    elif name in ("fixture", "fixture-tls"):
        tls = None
        if name == "fixture-tls":
            tls = throwaway_ca(Path(tmp_path_factory.mktemp("tls")) / "ca.pem")
        server = MockServer(tls=tls, limits=LIMITS).start()
        server.host(app)
        verify: ssl.SSLContext | bool = True
        if server.ca_bundle is not None:
            verify = ssl.create_default_context(cafile=str(server.ca_bundle))
        with httpx.Client(base_url=server.url, verify=verify) as client:
            yield Transport(name, app, client, server.url, True)
        server.stop()
    elif name == "asgi":
        sock = listening_socket()
        uvicorn_thread = UvicornThread(taskmock.asgi_app(app, LIMITS), sock)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        with httpx.Client(base_url=base) as client:
            yield Transport(name, app, client, base, True)
        uvicorn_thread.stop()
    else:
        transport = taskmock.httpx_transport(app, LIMITS)
        with httpx.Client(transport=transport, base_url=IN_PROCESS_BASE) as client:
            yield Transport(name, app, client, IN_PROCESS_BASE, False)


@pytest.fixture
def transport(running: Transport) -> Transport:
    running.app.tasks.reset()
    running.app.journal.clear()
    running.app.faults.clear()
    return running
