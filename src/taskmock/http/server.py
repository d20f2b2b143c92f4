"""The HTTP/1.1 server `taskmock serve` runs: httptools parses, uvloop drives, a handler answers.

The mock's `MockApp.handle` is synchronous and pure of I/O, so this server calls it straight from
the parser's message-complete callback and writes the answer: no task, queue or event per request.
Under an ASGI server (uvicorn) that per-request machinery cost more than the mock itself; see
ARCHITECTURE.md for the figures. Connection handling stays with well-kept parts: the llhttp parser
(httptools), the event loop (uvloop, asyncio where it is missing) and asyncio's transports.

What it does: keep-alive and HTTP/1.0, pipelining in order, chunked request bodies,
`Expect: 100-continue`, HEAD, back-pressure (stops reading while a client does not read), limits on
header and body size (431, 413), an idle timeout, and a 400 for anything that is not HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import logging
import signal
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import cast

import httptools

from taskmock.http.messages import Request, Response, problem

__all__ = ["HttpServer", "Limits"]

log = logging.getLogger("taskmock")

Handler = Callable[[Request], Response]  # what the server calls for each request


@dataclass(frozen=True)
class Limits:
    """What a client may send, and how long an idle connection stays open."""

    max_body: int = 16 * 1024 * 1024  # uploads to a mock need not be real videos
    max_head: int = 64 * 1024  # request line and headers together
    idle_timeout: float = 5.0  # a connection silent for one to two of these is closed


_STATUS_LINES: dict[int, bytes] = {
    status.value: f"HTTP/1.1 {status.value} {status.phrase}\r\n".encode()
    for status in http.HTTPStatus
}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# The Connection header line of an answer: none (HTTP/1.1 persists), keep-alive, or close.
_PERSISTENT, _KEEP_ALIVE, _CLOSE = b"", b"connection: keep-alive\r\n", b"connection: close\r\n"


def _status_line(status: int) -> bytes:
    line = _STATUS_LINES.get(status)
    return line if line is not None else f"HTTP/1.1 {status} \r\n".encode()


class _Dates:
    """The Date header, formatted once a second."""

    def __init__(self) -> None:
        self.second = 0
        self.header = b""

    def current(self) -> bytes:
        now = int(time.time())
        if now != self.second:
            self.second = now
            self.header = f"date: {formatdate(now, usegmt=True)}\r\n".encode()
        return self.header


class _Connection(asyncio.Protocol):
    """One client connection: parse requests, answer each in order."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.handle = server.handle
        self.limits = server.limits
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.base_url = ""
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.head_size = 0
        self.body_size = 0
        self.closing = False
        # Requests received while the client was not reading our answers, answered on resume.
        self.waiting: deque[tuple[Request, bytes]] | None = None
        # Bumped on every read; the idle sweep closes a connection it sees unchanged twice running.
        self.activity = 0
        self.swept_at = -1

    # --- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        local = transport.get_extra_info("sockname")
        if isinstance(local, tuple):
            host = f"[{local[0]}]" if ":" in str(local[0]) else str(local[0])
            self.base_url = f"http://{host}:{local[1]}"
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        self.closing = True

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return  # dropped unread (see `close`); the activity count stays, so the sweep ends it
        self.activity += 1
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.close()  # the request was answered; what follows is not HTTP/1.1
        except httptools.HttpParserError as exc:  # also wraps _Refused from our callbacks
            if not self.closing:
                self.refuse(400, "bad-request", "Malformed HTTP request", str(exc))

    def pause_writing(self) -> None:
        # The client stopped reading: hold the requests already received, read no more.
        if self.waiting is None:
            self.waiting = deque()
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        waiting, self.waiting = self.waiting, None
        while waiting and not self.closing:
            self.answer(*waiting.popleft())
            if self.held_back():  # fell behind again: the rest keeps waiting, in order
                self.waiting = waiting  # (nothing newer: reading is paused)
                return
        if self.transport is not None and not self.closing:
            self.transport.resume_reading()

    def held_back(self) -> bool:
        """Whether requests are being held until the client reads what it was sent."""
        return self.waiting is not None

    # --- httptools callbacks -----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = {}
        self.body = []
        self.head_size = 0
        self.body_size = 0

    def on_url(self, url: bytes) -> None:
        self.url += url
        self._grow_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._grow_head(len(name) + len(value) + 4)
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        declared = self.headers.get("content-length", "")
        if declared.isdigit():
            self._check_body(int(declared))
        if self.headers.get("expect", "").lower() == "100-continue" and self.transport:
            self.transport.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        self.body_size += len(body)
        self._check_body(self.body_size)
        self.body.append(body)

    def on_message_complete(self) -> None:
        request = self._request()
        self.url = b""  # a refusal before the next request begins names no stale target
        if not self.parser.should_keep_alive():
            connection = _CLOSE
        elif "connection" in self.headers and self.parser.get_http_version() == "1.0":
            connection = _KEEP_ALIVE  # an HTTP/1.0 client asked; it must hear the answer
        else:
            connection = _PERSISTENT
        if self.waiting is not None:
            self.waiting.append((request, connection))
        else:
            self.answer(request, connection)

    # --- answering ---------------------------------------------------------------------------

    def answer(self, request: Request, connection: bytes) -> None:
        """Call the handler and write its response; close afterwards if `connection` says so."""
        try:
            response = self.handle(request)
        except Exception:  # the handler's own guard failed: still answer, never drop the client
            log.exception("taskmock: internal error on %s %s", request.method, request.path)
            response = problem(500, "internal", "Internal error in taskmock", "see its log")
        self.respond(response, connection, head_only=request.method == "HEAD")
        if connection is _CLOSE:
            self.close()

    def _request(self) -> Request:
        url = self.url
        if url[:1] == b"/":
            path, _, query = url.partition(b"?")
            path = path.partition(b"#")[0]
            query = query.partition(b"#")[0]
        else:  # absolute form (a proxy-style request) or '*'
            try:
                parsed = httptools.parse_url(url)
            except httptools.HttpParserInvalidURLError:
                parsed = None
            path = (parsed.path if parsed else None) or b"/"
            query = (parsed.query if parsed else None) or b""
        # Still percent-encoded: the router decodes each parameter once its segment matched.
        text = path.decode("utf-8", "replace")
        host = self.headers.get("host")
        return Request(
            self.parser.get_method().decode("ascii", "replace"),
            text,
            query.decode("latin-1"),
            self.headers,
            b"".join(self.body),
            f"http://{host}" if host else self.base_url,
        )

    def respond(
        self, response: Response, connection: bytes = _PERSISTENT, head_only: bool = False
    ) -> None:
        """Write one response with a Connection header line (or none); HEAD: without its body."""
        if self.transport is None or self.transport.is_closing():
            return
        body = response.body
        head = b"".join(
            (
                _status_line(response.status),
                self.server.dates.current(),
                self.server.header_block(response.headers),
                connection,
                b"content-length: %d\r\n\r\n" % len(body),
            )
        )
        self.transport.write(head if head_only else head + body)

    def refuse(self, status: int, slug: str, title: str, detail: str = "") -> None:
        """Answer a request that never reached the handler, then close the connection.

        Requests held back before it are answered first: answers keep the order of requests.
        """
        held, self.waiting = self.waiting, None
        while held and not self.closing:
            self.answer(*held.popleft())
        self.respond(problem(status, slug, title, detail), _CLOSE)
        self.close()
        if self.server.on_refusal is not None:
            target = self.url.decode("latin-1", "replace")[:200] or "-"
            self.server.on_refusal(f"refused {target} {status} {title}: {detail}")

    def close(self) -> None:
        """Answer no more: end our side once what was written is sent, then read and drop what
        the client still sends until it closes (the idle sweep ends it otherwise). Closing at once
        with unread input would reset the connection, and the client could lose the answer."""
        if self.closing:
            return
        self.closing = True
        if self.transport is None:
            return
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.transport.resume_reading()  # drain, even if back-pressure had paused reading
        else:  # pragma: no cover - every TCP transport can half-close
            self.transport.close()

    def drop(self) -> None:
        """Close now (after sending what was written): for idle connections and shutdown."""
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    def _grow_head(self, size: int) -> None:
        self.head_size += size
        if self.head_size > self.limits.max_head:
            title = "Request header fields too large"
            self._over_limit(431, "headers-too-large", title, self.limits.max_head)

    def _check_body(self, size: int) -> None:
        if size > self.limits.max_body:
            self._over_limit(413, "too-large", "Request body too large", self.limits.max_body)

    def _over_limit(self, status: int, slug: str, title: str, limit: int) -> None:
        self.refuse(status, slug, title, f"the limit is {limit} bytes")
        raise _Refused


class _Refused(Exception):
    """Raised inside a parser callback to stop parsing a request already answered."""


class HttpServer:
    """Serve a handler over HTTP/1.1 on a listening socket until `stop()` (or a signal, `run`)."""

    def __init__(
        self,
        handle: Handler,
        sock: socket.socket,
        limits: Limits | None = None,
        on_refusal: Callable[[str], None] | None = None,
        tls: ssl.SSLContext | None = None,  # HTTPS (transports.tls: the CA, and https URLs)
    ) -> None:
        """`on_refusal` hears, one line each, of the requests refused before reaching `handle`."""
        self.tls = tls
        self.handle = handle
        self.on_refusal = on_refusal
        self.sock = sock
        self.limits = limits or Limits()
        self.connections: set[_Connection] = set()
        self.dates = _Dates()
        self._header_blocks: dict[tuple[tuple[str, str], ...], bytes] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._stop_requested = False

    async def serve(self) -> None:
        """Accept connections until `stop()`; then close them all (written answers are sent)."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stopped = asyncio.Event()
        if self._stop_requested:  # stop() came before the loop existed
            self._stopped.set()
        server = await loop.create_server(lambda: _Connection(self), sock=self.sock, ssl=self.tls)
        sweep = loop.call_later(self.limits.idle_timeout, self._sweep)
        try:
            await self._stopped.wait()
        finally:
            sweep.cancel()
            server.close()
            for connection in list(self.connections):
                connection.drop()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(server.wait_closed(), timeout=5)

    def stop(self) -> None:
        """Ask `serve` to finish; safe from any thread, also before `serve` started."""
        self._stop_requested = True
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is already gone
                loop.call_soon_threadsafe(stopped.set)

    def run(self) -> None:
        """Serve on a new event loop (uvloop where installed) until SIGINT or SIGTERM."""

        async def main() -> None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                # Only the main thread can take signals (a server in a test's thread cannot).
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(sig, self.stop)
            await self.serve()

        new_loop = _loop_factory()
        with asyncio.Runner(loop_factory=new_loop) as runner:
            runner.run(main())

    def header_block(self, headers: list[tuple[str, str]]) -> bytes:
        """Response headers as bytes, kept for the next response with the same ones."""
        key = tuple(headers)
        block = self._header_blocks.get(key)
        if block is None:
            lines = []
            for name, value in headers:
                if "\n" in value or "\r" in value:  # never let a value split the header block
                    value = value.replace("\r", " ").replace("\n", " ")
                lines.append(f"{name}: {value}\r\n")
            block = "".join(lines).encode("latin-1", "replace")
            if len(self._header_blocks) >= 1024:  # headers that vary (ids, Retry-After) churn
                self._header_blocks.clear()
            self._header_blocks[key] = block
        return block

    def _sweep(self) -> None:
        """Close connections that sent nothing since the last sweep (idle or stalled)."""
        assert self._loop is not None
        for connection in list(self.connections):
            if connection.swept_at == connection.activity:
                connection.drop()
            connection.swept_at = connection.activity
        self._loop.call_later(self.limits.idle_timeout, self._sweep)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is absent on Windows
        return None
    return uvloop.new_event_loop
