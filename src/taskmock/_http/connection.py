"""One client connection of `HttpServer` (`taskmock._http.server`): requests parsed by httptools,
each answered from the parser's message-complete callback, in order.

Here is what a connection enforces: back-pressure (held requests, a refusal queued behind them),
the protocol rules (versions, Host, transfer codings, trailers, `Upgrade`, `Expect`), the size
limits, its request's deadline and its idle time (judged by `Connection.sweep`), and its part in
a shutdown (`Connection.shutdown`). Every refusal is an RFC 9457 problem, then a close.
"""

from __future__ import annotations

import asyncio
import http
import logging
import math
import re
import sys
from collections import deque
from typing import TYPE_CHECKING, cast

import httptools

from taskmock._http.messages import Request, Response, problem

try:
    import fcntl
    import termios
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from taskmock._http.server import HttpServer

__all__ = ["NEVER", "Connection", "printable"]

log = logging.getLogger("taskmock")

_STATUS_LINES: dict[int, bytes] = {
    status.value: f"HTTP/1.1 {status.value} {status.phrase}\r\n".encode()
    for status in http.HTTPStatus
}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# The Connection header line of an answer: none (HTTP/1.1 persists), keep-alive, or close.
_PERSISTENT, _KEEP_ALIVE, _CLOSE = b"", b"connection: keep-alive\r\n", b"connection: close\r\n"
NEVER = math.inf  # the deadline of a connection between requests
_HEX = re.compile(rb"[0-9A-Fa-f]+")


def _status_line(status: int) -> bytes:
    line = _STATUS_LINES.get(status)
    return line if line is not None else f"HTTP/1.1 {status} \r\n".encode()


def printable(text: str) -> str:
    """`text` with each non-printable character (CR, LF, ESC, bidi controls…) written as its
    Python escape, so a log line stays one line and cannot drive a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _unavailable(request: Request | None = None) -> Response:
    return problem(503, "unavailable", "Server stopping", "taskmock is shutting down")


class Connection(asyncio.Protocol):
    """One client connection of an `HttpServer`: parse its requests, answer each in order."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.handle = server.handle
        self.limits = server.limits
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.base_url = ""
        self.url = b""
        self.headers: dict[str, str] = {}
        self.fields = self.headers  # where header lines go: the headers, or apart (trailers)
        self.body: list[bytes] = []
        self.head_size = 0
        self.body_size = 0
        self.connection = _PERSISTENT  # the Connection line of the answer to the current request
        self.keep_open = _PERSISTENT  # that line for HTTP/1.1 keep-alive: close once stopping
        self.parsing = True  # input is read; not once a refusal is queued or the connection closes
        self.closing = False  # no more answers are written
        # Requests received while the client was not reading our answers, answered on resume,
        # and a refusal to send after them.
        self.waiting: deque[tuple[Request, bytes]] | None = None
        self.refusal: Response | None = None
        # The head of a request that asked to upgrade, parsed again without `Upgrade`.
        self.replay: bytes | None = None
        # Where a chunk began in the body, while its size line may still be checked.
        self.chunk_start = 0
        self.chunk_open = False
        # The request in progress must have arrived by then (plus body_size / min_body_rate).
        self.deadline = NEVER
        # Bumped on every read and when a paused client reads again; the sweep compares.
        self.activity = 0
        self.seen_activity = 0
        self.seen_queued = -1
        self.quiet_since = server.now
        self.fd = -1  # the socket's, to ask the kernel how much of our output is still queued

    # --- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        sock = transport.get_extra_info("socket")
        if sock is not None and fcntl is not None:
            self.fd = sock.fileno()
        local = transport.get_extra_info("sockname")
        if isinstance(local, tuple):
            host = f"[{local[0]}]" if ":" in str(local[0]) else str(local[0])
            self.base_url = f"http://{host}:{local[1]}"
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.parsing = False
        self.server.forget(self)

    def data_received(self, data: bytes) -> None:
        if not self.parsing:
            return  # dropped unread (see `close`); the activity count stays, so the sweep ends it
        self.activity += 1
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:
            self._go_on_without_upgrade(memoryview(data)[exc.args[0] :])
        except httptools.HttpParserError as exc:  # also wraps _Refused from our callbacks
            self._malformed(exc)
        if self.chunk_open and self.parsing:
            self._check_chunk_size(data)

    def _go_on_without_upgrade(self, rest: memoryview) -> None:
        """After a request asking to upgrade: parse its head again without `Upgrade`, so its body
        is read and it is answered as usual (we speak only HTTP/1.1), then what follows it."""
        while True:  # a loop, not recursion: one read may hold many such requests
            replay, self.replay = self.replay, None
            if replay is None:  # CONNECT: answered; what follows is a tunnel we do not offer
                self.close()
                return
            try:
                self.parser.feed_data(replay)
                if self.parsing and rest:
                    self.parser.feed_data(rest)
                return
            except httptools.HttpParserUpgrade as exc:  # raised by the rest: the replay asks none
                rest = rest[exc.args[0] :]
            except httptools.HttpParserError as exc:
                self._malformed(exc)
                return

    def _malformed(self, exc: httptools.HttpParserError) -> None:
        if self.parsing:  # not when one of our callbacks refused already
            self.refuse(400, "bad-request", "Malformed HTTP request", str(exc))

    def pause_writing(self) -> None:
        # The client stopped reading: hold the requests already received, read no more.
        if self.waiting is None:
            self.waiting = deque()
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.activity += 1  # the client read
        waiting, self.waiting = self.waiting, None
        while waiting and not self.closing:
            self.answer(*waiting.popleft())
            if self.held_back():  # fell behind again: the rest keeps waiting, in order
                self.waiting = waiting  # (nothing newer: reading is paused)
                return
        if self.closing:
            return
        if self.refusal is not None:
            self.respond(self.refusal, _CLOSE)
            self.close()
        elif self.transport is not None:
            self.transport.resume_reading()

    def held_back(self) -> bool:
        """Whether requests are being held until the client reads what it was sent."""
        return self.waiting is not None

    # --- httptools callbacks -----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = self.fields = {}
        self.body = []
        self.head_size = 0
        self.body_size = 0
        self.deadline = self.server.head_deadline

    def on_url(self, url: bytes) -> None:
        self.url += url
        self._grow_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._grow_head(len(name) + len(value) + 4)
        key = name.decode("latin-1").lower()
        fields = self.fields
        if key in fields:
            self._repeated(key, value.decode("latin-1"))
        else:
            fields[key] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        headers = self.headers
        if self.parser.should_keep_alive() and "connection" not in headers:
            self.connection = self.keep_open  # plain HTTP/1.1: the only version that persists so
            if "host" not in headers:
                self._stop(400, "bad-host", "Bad Host header", "HTTP/1.1 requires a Host header")
        else:
            self._settle_connection()
        if "transfer-encoding" in headers:
            self._read_chunked(headers["transfer-encoding"])
            self.deadline = self.server.body_deadline
        elif "content-length" in headers:  # (llhttp refuses both together)
            declared = headers["content-length"]
            if declared.isdigit():
                self._check_body(int(declared))
            self.deadline = self.server.body_deadline
        if "expect" in headers:
            self._expect(headers["expect"])
        if "upgrade" in headers:
            self._ignore_upgrade()

    def on_body(self, body: bytes) -> None:
        self.body_size += len(body)
        self._check_body(self.body_size)
        self.body.append(body)

    def on_chunk_header(self) -> None:
        self.chunk_start = self.body_size
        self.chunk_open = True

    def on_chunk_complete(self) -> None:
        self.chunk_open = False

    def on_message_complete(self) -> None:
        self.deadline = NEVER
        if self.replay is not None:
            return  # its body is read when its head is parsed again (see `_go_on_without_upgrade`)
        request = self._request()
        self.url = b""  # a refusal before the next request begins names no stale target
        connection = self.connection
        if self.waiting is not None:
            self.waiting.append((request, connection))
        else:
            self.answer(request, connection)
            if connection is _CLOSE:
                raise _Refused  # read nothing after it (the parser would, once we are stopping)

    # --- what the head says ------------------------------------------------------------------

    def _settle_connection(self) -> None:
        """The Connection line for a request that is not plain HTTP/1.1 keep-alive; refuse the
        versions we do not speak, and HTTP/1.1 without a Host."""
        version = self.parser.get_http_version()
        if version not in ("1.1", "1.0"):
            detail = f"HTTP/{version}: this server speaks HTTP/1.1 and HTTP/1.0"
            self._stop(505, "version-not-supported", "HTTP version not supported", detail)
        if not self.parser.should_keep_alive():
            self.connection = _CLOSE
        elif version == "1.0":  # an HTTP/1.0 client asked to keep alive; it must hear the answer
            self.connection = _KEEP_ALIVE if self.keep_open is _PERSISTENT else _CLOSE
        else:
            self.connection = self.keep_open
        if version == "1.1" and "host" not in self.headers:
            self._stop(400, "bad-host", "Bad Host header", "HTTP/1.1 requires a Host header")

    def _repeated(self, name: str, value: str) -> None:
        """A header line whose name came before in this head (or its trailers)."""
        if self.fields is not self.headers:
            return  # a trailer: kept apart from the header fields, and never read
        if name == "host":
            self._stop(400, "bad-host", "Bad Host header", "a request has one Host header")
        elif name == "transfer-encoding":  # the codings add up (RFC 9112 §6.1)
            self.headers[name] += ", " + value
        else:
            self.headers[name] = value

    def _read_chunked(self, codings: str) -> None:
        # llhttp refuses codings that do not end with chunked; we decode no other.
        if codings.strip().lower() != "chunked":
            detail = f"only chunked request bodies are read, not {codings!r}"
            self._stop(501, "not-implemented", "Transfer coding not implemented", detail)
        self.fields = {}  # trailers go apart: they never replace a header field

    def _expect(self, expectation: str) -> None:
        # Only to HTTP/1.1 clients (RFC 9110 §10.1.1), and never ahead of answers still held.
        if (
            expectation.lower() == "100-continue"
            and self.waiting is None
            and self.transport is not None
            and self.parser.get_http_version() == "1.1"
        ):
            self.transport.write(_CONTINUE)

    def _ignore_upgrade(self) -> None:
        """llhttp treats a request with `Upgrade` as the last one, its body as the new protocol.
        We speak only HTTP/1.1 (RFC 9110 §7.8 lets a server ignore `Upgrade`): keep the head, to
        parse it again without `Upgrade` once the parser stops (see `_go_on_without_upgrade`)."""
        method = self.parser.get_method()
        if not self.parser.should_upgrade() or method == b"CONNECT":
            return
        version = self.parser.get_http_version().encode()
        lines = [b"%s %s HTTP/%s\r\n" % (method, self.url, version)]
        lines += [
            f"{name}: {value}\r\n".encode("latin-1")
            for name, value in self.headers.items()
            if name not in ("upgrade", "expect")  # 100 Continue, when due, was sent already
        ]
        self.replay = b"".join(lines) + b"\r\n"

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

        Nothing more is parsed. Requests held back before it keep their turn, and back-pressure
        holds: the refusal is queued behind them and sent once the client has read their answers.
        """
        self.parsing = False
        self.deadline = NEVER
        refusal = problem(status, slug, title, detail)
        if self.waiting is not None:
            self.refusal = refusal
        else:
            self.respond(refusal, _CLOSE)
            self.close()
        if self.server.on_refusal is not None:
            target = self.url.decode("latin-1", "replace")[:200] or "-"
            self.server.on_refusal(printable(f"refused {target} {status} {title}: {detail}"))

    def close(self) -> None:
        """Answer no more: end our side once what was written is sent, then read and drop what
        the client still sends until it closes (the idle sweep ends it otherwise). Closing at once
        with unread input would reset the connection, and the client could lose the answer."""
        if self.closing:
            return
        self.closing = True
        self.parsing = False
        self.deadline = NEVER
        if self.transport is None:
            return
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.transport.resume_reading()  # drain, even if back-pressure had paused reading
        else:  # pragma: no cover - every TCP transport can half-close
            self.transport.close()

    def drop(self) -> None:
        """Close now: for stalled connections and shutdown. What was written is still sent if
        the kernel takes it now; a buffer a stalled client never reads is discarded."""
        self.closing = True
        self.parsing = False
        if self.transport is None:
            return
        if self.unsent():
            self.transport.abort()  # close() would wait for the client to read it, forever
        else:
            self.transport.close()

    def shutdown(self) -> None:
        """The server stops: what was written is still sent; a request not yet answered gets a
        503 with `connection: close`; a connection between requests closes (at once if idle)."""
        if self.closing:
            return
        self.handle = _unavailable
        self.keep_open = self.connection = _CLOSE
        if self.waiting:  # none of the requests held is answered: the first hears why
            self.waiting.clear()
            self.parsing = False
            self.refusal = self.refusal or _unavailable()
        elif self.deadline != NEVER or self.refusal is not None:
            return  # a request on its way gets its 503 (or a refusal waits its turn), then a close
        elif self.unsent():
            self.close()  # once the client has read it
        else:
            self.drop()

    def unsent(self) -> int:
        """Bytes written but not yet taken by the kernel."""
        return self.transport.get_write_buffer_size() if self.transport is not None else 0

    def queued(self) -> int:
        """Bytes written but not yet received by the client: ours, and the kernel's send queue
        (which holds megabytes: a client reading one answer slowly only shrinks that one)."""
        unsent = self.unsent()
        if self.fd < 0 or (unsent == 0 and self.seen_queued == 0):
            return unsent  # nothing was written since all was received: no system call
        try:
            kernel = fcntl.ioctl(self.fd, termios.TIOCOUTQ, b"\0\0\0\0")
        except OSError:  # pragma: no cover - not a socket that tells (not Linux)
            return unsent
        return unsent + int.from_bytes(kernel, sys.byteorder, signed=True)

    def sweep(self, now: float, elapsed: float) -> None:
        """Close the connection if it made no progress for the idle timeout, reading or being
        read; answer 408 if its request is late. `elapsed`: the time since the last sweep."""
        if self.activity != self.seen_activity:
            self.seen_activity = self.activity
            self.quiet_since = now
            self.seen_queued = -1  # measured afresh at the next sweep
        else:
            queued = self.queued()
            if queued < self.seen_queued:
                self.quiet_since = now
            self.seen_queued = queued
        limits = self.limits
        if now - self.quiet_since >= limits.idle_timeout:
            self.drop()
        elif self.waiting is not None:
            self.deadline += elapsed  # we are not reading: the request's clock stops
        elif now > self.deadline + self.body_size / limits.min_body_rate:
            detail = (
                f"a request head must arrive within {limits.head_timeout:g} s, and its body "
                f"within {limits.body_timeout:g} s plus a second per {limits.min_body_rate} bytes"
            )
            self.refuse(408, "timeout", "Request timeout", detail)

    # --- limits ------------------------------------------------------------------------------

    def _grow_head(self, size: int) -> None:
        self.head_size += size
        if self.head_size > self.limits.max_head:
            detail = f"the limit is {self.limits.max_head} bytes"
            self._stop(431, "headers-too-large", "Request header fields too large", detail)

    def _check_body(self, size: int) -> None:
        if size > self.limits.max_body:
            detail = f"the limit is {self.limits.max_body} bytes"
            self._stop(413, "too-large", "Request body too large", detail)

    def _check_chunk_size(self, data: bytes) -> None:
        """Refuse a chunk declared larger than the body may be, without waiting for its bytes.

        httptools does not tell a chunk's size, so read its size line: what this read holds after
        that line is all chunk data, and `on_body` counted it. Once per chunk, and only when the
        line arrived whole in this read (never guess from a part)."""
        self.chunk_open = False
        end = len(data) - (self.body_size - self.chunk_start)
        start = data.rfind(b"\n", 0, max(end - 1, 0)) + 1
        if start == 0 or data[end - 1 : end] != b"\n":  # began earlier, or trailers follow
            return
        size = data[start:end].split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size):  # pragma: no cover - llhttp accepted the line
            return
        declared = int(size, 16)
        if self.chunk_start + declared > self.limits.max_body:
            detail = f"the limit is {self.limits.max_body} bytes"
            self.refuse(413, "too-large", "Request body too large", detail)

    def _stop(self, status: int, slug: str, title: str, detail: str) -> None:
        """Refuse from inside a parser callback, and stop the parser."""
        self.refuse(status, slug, title, detail)
        raise _Refused


class _Refused(Exception):
    """Raised inside a parser callback to stop parsing a request already answered."""
