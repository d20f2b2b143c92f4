"""Raw HTTP/1.1 over sockets on 127.0.0.1, for the tests of our server (`taskmock._http.server`).

`serving` runs a server in a thread; `Stepped` runs one on an event loop the test steps by hand,
with a clock the test moves, so deadlines and back-pressure are tested without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httptools
import uvloop

from taskmock._cli.serve_cmd import _listen
from taskmock._http.messages import Request, Response, json_response
from taskmock._http.server import HttpServer, Limits


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> dict[str, object]:
        return json.loads(self.body)  # type: ignore[no-any-return]


class Collector:
    """httptools response-parser callbacks: every complete response on the connection."""

    def __init__(self) -> None:
        self.done: list[Answer] = []
        self.current = Answer(0)
        self.parser = httptools.HttpResponseParser(self)

    def feed(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_message_begin(self) -> None:
        self.current = Answer(0)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.current.headers[name.decode().lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.current.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.current.body += body

    def on_message_complete(self) -> None:
        self.done.append(self.current)


def exchange(
    port: int, data: bytes, count: int = 1, head: bool = False
) -> tuple[list[Answer], bool]:
    """Send raw bytes; read `count` responses; say whether the server then closed the connection."""
    collector = Collector()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        closed = False
        while len(collector.done) < count:
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            if head:  # a response to HEAD has a length but no body: parse the head only
                collector.done.append(_head_only(chunk))
                continue
            collector.feed(chunk)
        if not closed:  # a server about to close does so at once; an open one stays quiet
            sock.settimeout(0.05)
            try:
                closed = sock.recv(1) == b""
            except TimeoutError:
                closed = False
    return collector.done, closed


def _head_only(data: bytes) -> Answer:
    lines = data.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return Answer(int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, b"")


def get(path: str, *headers: str, version: str = "1.1") -> bytes:
    lines = [f"GET {path} HTTP/{version}", "Host: example.test:9", *headers, "", ""]
    return "\r\n".join(lines).encode()


def echo(request: Request) -> Response:
    """What the server parsed, as JSON; `/boom` raises, `/inject` answers a header with CR LF."""
    if request.path == "/boom":
        raise RuntimeError("handler bug")
    if request.path == "/inject":
        return Response(200, b"", [("x-name", "a\r\nset-cookie: evil=1")])
    return json_response(
        200,
        {
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "headers": request.headers,
            "body": request.body.decode("latin-1"),
            "base_url": request.base_url,
        },
    )


class serving:
    """A server in a thread for the `with` block; the block gets its port."""

    def __init__(
        self,
        handler: Callable[[Request], Response],
        limits: Limits | None = None,
        on_refusal: Callable[[str], None] | None = None,
    ) -> None:
        sock = _listen("127.0.0.1", 0)
        self.port: int = sock.getsockname()[1]
        self.server = HttpServer(handler, sock, limits, on_refusal)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def __enter__(self) -> int:
        return self.port

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


class Stepped:
    """A server on an event loop run here, one iteration at a time, with a clock moved by hand."""

    def __init__(
        self, handler: Callable[[Request], Response], limits: Limits | None = None
    ) -> None:
        self.now = 1000.0
        self.loop = uvloop.new_event_loop()
        self.sock = _listen("127.0.0.1", 0)
        self.address = self.sock.getsockname()
        self.server = HttpServer(handler, self.sock, limits, clock=lambda: self.now)
        self.serving = self.loop.create_task(self.server.serve())
        self.clients: list[socket.socket] = []

    def connect(self, receive_buffer: int | None = None) -> socket.socket:
        client = socket.socket()
        if receive_buffer is not None:  # a slow reader
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        client.connect(self.address)
        client.setblocking(False)
        self.clients.append(client)
        self.step_until(lambda: len(self.server.connections) == len(self.clients))
        return client

    def step(self) -> None:
        self.loop.run_until_complete(asyncio.sleep(0))

    def step_until(self, done: Callable[[], bool], steps: int = 2000) -> None:
        for _ in range(steps):
            if done():
                return
            self.step()
        raise AssertionError("the server never got there")

    def advance(self, seconds: float) -> None:
        """Move the clock and let the server's sweep see it."""
        self.now += seconds
        self.server.sweep()
        for _ in range(5):
            self.step()

    def read(self, client: socket.socket, collector: Collector) -> bool:
        """Step once, then feed what `client` has; False once the server closed it."""
        self.step()
        with contextlib.suppress(BlockingIOError):
            data = client.recv(1 << 16)
            if not data:
                return False
            collector.feed(data)
        return True

    def close(self) -> None:
        for client in self.clients:
            client.close()
        if not self.serving.done():
            self.server.stop()
            self.loop.run_until_complete(self.serving)
        self.loop.close()
        self.sock.close()
