"""The HTTP/1.1 server `taskmock serve` runs: httptools parses, uvloop drives, a handler answers.

The mock's `MockApp.handle` is synchronous and pure of I/O, so this server calls it straight from
the parser's message-complete callback and writes the answer: no task, queue or event per request.
Under an ASGI server (uvicorn) that per-request machinery cost more than the mock itself; see
ARCHITECTURE.md for the figures. Connection handling stays with well-kept parts: the llhttp parser
(httptools), the event loop (uvloop, asyncio where it is missing) and asyncio's transports.
Each client is a `Connection` (`taskmock._http.connection`); this module accepts, sweeps and stops.

What it does: keep-alive and HTTP/1.0, pipelining in order, chunked request bodies (trailers are
read and ignored), `Expect: 100-continue` (HTTP/1.1 only), HEAD, and back-pressure: it stops reading
while a client does not read its answers, and answers held requests, or a refusal queued behind
them, only as the client reads. `Upgrade` is ignored (HTTP/1.1 only: the request and its body are
read and answered as usual). Every refusal is an RFC 9457 problem followed by a close: 400 for what
is not HTTP, a missing Host on HTTP/1.1 or a repeated one; 408 for a request that arrives too
slowly; 413 for a body, or one chunk's declared size, over the limit; 431 for a head over the limit;
501 for a transfer coding other than chunked; 505 for HTTP/0.9 and HTTP/2.0 request lines.

Time limits (`Limits`, checked by `HttpServer.sweep` once a second): a request head must arrive
within 10 s of its first byte; a body within 10 s plus a second per 16 KiB received, so a body
that keeps up 16 KiB/s is never cut (16 MB: about 17 minutes) and one byte every few seconds is;
a connection with no input and no output progress for 5 s is closed (a client reading a long
answer slowly is making progress). On `stop()` the listening socket closes, idle connections close
at once, answers already written are sent for up to 5 s, and requests not yet answered get a 503.
The listen backlog is 2048 (asyncio would listen again with 100). Header blocks of answers are
cached within 1 MiB. Log lines built here (`on_refusal`) have non-printable characters escaped.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate

from taskmock._http.connection import NEVER, Connection, printable
from taskmock._http.messages import Request, Response

__all__ = ["HttpServer", "Limits", "printable"]

Handler = Callable[[Request], Response]  # what the server calls for each request


@dataclass(frozen=True)
class Limits:
    """What a client may send, how fast, and how long a connection may do nothing."""

    max_body: int = 16 * 1024 * 1024  # uploads to a mock need not be real videos
    max_head: int = 64 * 1024  # request line, headers and trailers together
    idle_timeout: float = 5.0  # no input and no output progress for this long: closed
    head_timeout: float = 10.0  # a request's line and headers, from its first byte
    body_timeout: float = 10.0  # a body gets this long, plus a second per `min_body_rate` bytes
    min_body_rate: int = 16 * 1024  # bytes a second a body keeps up beyond `body_timeout`
    drain_timeout: float = 5.0  # on stop: how long clients get to read answers already written
    backlog: int = 2048  # connections the kernel queues before they are accepted

    def __post_init__(self) -> None:
        if min(self.max_body, self.max_head, self.min_body_rate, self.backlog) <= 0:
            raise ValueError("limits must be positive")
        if min(self.idle_timeout, self.head_timeout, self.body_timeout, self.drain_timeout) <= 0:
            raise ValueError("timeouts must be positive")


_HEADER_CACHE_BYTES = 1024 * 1024  # header blocks kept for reuse, about this much memory in all
_HEADER_BLOCK_CACHED = 2048  # longer blocks (a rare, long header) are built for each answer


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


class HttpServer:
    """Serve a handler over HTTP/1.1 on a listening socket until `stop()` (or a signal, `run`)."""

    def __init__(
        self,
        handle: Handler,
        sock: socket.socket,
        limits: Limits | None = None,
        on_refusal: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        tls: ssl.SSLContext | None = None,  # HTTPS (transports.tls: the CA, and https URLs)
    ) -> None:
        """`on_refusal` hears, one line each, of the requests refused before reaching `handle`.
        `clock` is the time the deadlines and the idle timeout are measured on (seconds)."""
        self.tls = tls
        self.handle = handle
        self.on_refusal = on_refusal
        self.sock = sock
        self.limits = limits = limits or Limits()
        self.clock = clock
        self.connections: set[Connection] = set()
        self.dates = _Dates()
        # How often `sweep` runs; deadlines get one tick of grace, as they are set from its clock.
        self.tick = min(1.0, limits.idle_timeout, limits.head_timeout, limits.body_timeout)
        self.now = clock()
        self.head_deadline = self.body_deadline = NEVER
        self._header_blocks: dict[tuple[tuple[str, str], ...], bytes] = {}
        self._header_bytes = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._stop_requested = False
        self._drained: asyncio.Event | None = None
        self._ticking: asyncio.TimerHandle | None = None
        self.sweep()

    async def serve(self) -> None:
        """Accept connections until `stop()`; then let written answers drain (see `Limits`)."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stopped = asyncio.Event()
        if self._stop_requested:  # stop() came before the loop existed
            self._stopped.set()
        listener = await loop.create_server(
            lambda: Connection(self), sock=self.sock, backlog=self.limits.backlog, ssl=self.tls
        )
        self.sweep()  # deadlines from now, not from when this server was made
        self._ticking = loop.call_later(self.tick, self._tick)
        try:
            await self._stopped.wait()
        finally:
            self._ticking.cancel()
            listener.close()
            await self._drain()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(listener.wait_closed(), timeout=5)

    async def _drain(self) -> None:
        self._drained = asyncio.Event()
        for connection in list(self.connections):
            connection.shutdown()
        if self.connections:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._drained.wait(), self.limits.drain_timeout)
        for connection in list(self.connections):
            connection.drop()

    def forget(self, connection: Connection) -> None:
        """A connection is gone."""
        self.connections.discard(connection)
        if self._drained is not None and not self.connections:
            self._drained.set()

    def stop(self) -> None:
        """Ask `serve` to finish; safe from any thread, also before `serve` started. Asked again
        while answers drain, it ends the drain."""
        again = self._stop_requested
        self._stop_requested = True
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is already gone
                loop.call_soon_threadsafe(stopped.set)
                if again and self._drained is not None:
                    loop.call_soon_threadsafe(self._drained.set)

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
            if len(block) <= _HEADER_BLOCK_CACHED:
                # Headers that vary (Location, Retry-After) churn: bound the memory, not the count.
                size = 2 * len(block) + 128 * (len(key) + 1)  # the block, the key and its tuples
                if self._header_bytes + size > _HEADER_CACHE_BYTES:
                    self._header_blocks.clear()
                    self._header_bytes = 0
                self._header_blocks[key] = block
                self._header_bytes += size
        return block

    def sweep(self) -> None:
        """Close connections that made no progress for the idle timeout, answer 408 to requests
        past their deadline, and set the deadlines of requests beginning until the next sweep.
        `serve` calls it every `tick` seconds; tests call it after moving `clock`."""
        now = self.clock()
        elapsed, self.now = now - self.now, now
        limits = self.limits
        self.head_deadline = now + limits.head_timeout + self.tick
        self.body_deadline = now + limits.body_timeout + self.tick
        for connection in list(self.connections):
            connection.sweep(now, elapsed)

    def _tick(self) -> None:
        assert self._loop is not None
        self.sweep()
        self._ticking = self._loop.call_later(self.tick, self._tick)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is absent on Windows
        return None
    return uvloop.new_event_loop
