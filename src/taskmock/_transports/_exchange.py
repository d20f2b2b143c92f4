"""What the in-process transports share with `_http/server.py`: limits, requests, answer headers.

`taskmock serve` parses bytes; the httpx transport and the ASGI app are handed requests already
parsed. Both must still present the mock the same `Request` and answer with the same refusals
(413 over the body limit, 431 over the head limit) and the same header lines, so that a client
cannot tell them apart. The parametrized tests in `tests/transports/` hold them to that.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from email.utils import formatdate

from taskmock._http.messages import Request, Response, problem
from taskmock._http.server import Limits

__all__ = [
    "Body",
    "Exchange",
    "answer_headers",
    "body_refusal",
    "decode_path",
    "head_refusal",
    "head_size",
    "http_date",
    "lower_headers",
]

log = logging.getLogger("taskmock")

Handler = Callable[[Request], Response]


def decode_path(raw: bytes) -> str:
    """A request path as the server passes it on: UTF-8 text, still percent-encoded (the router
    decodes each parameter once its segment is matched, so `%2F` in an id is no slash)."""
    return raw.decode("utf-8", "replace")


def lower_headers(pairs: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header names lower-cased; a repeated header keeps its last value, as the server does."""
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in pairs}


def head_size(target: bytes, pairs: Iterable[tuple[bytes, bytes]]) -> int:
    """The size of a request head, counted as the server counts it against `Limits.max_head`."""
    return len(target) + sum(len(name) + len(value) + 4 for name, value in pairs)


def head_refusal(limits: Limits) -> Response:
    """The server's answer to a request head over the limit."""
    return problem(
        431,
        "headers-too-large",
        "Request header fields too large",
        f"the limit is {limits.max_head} bytes",
    )


def body_refusal(limits: Limits) -> Response:
    """The server's answer to a request body over the limit."""
    return problem(
        413, "too-large", "Request body too large", f"the limit is {limits.max_body} bytes"
    )


def answer_headers(response: Response, *, close: bool = False) -> list[tuple[str, str]]:
    """The response's header lines as the server writes them after `date`: a value never
    spans lines, `connection: close` where the server would close, then `content-length`."""
    lines = []
    for name, value in response.headers:
        if "\n" in value or "\r" in value:  # never let a value split the header block
            value = value.replace("\r", " ").replace("\n", " ")
        lines.append((name, value))
    if close:
        lines.append(("connection", "close"))
    lines.append(("content-length", str(len(response.body))))
    return lines


def http_date() -> str:
    """The current time as a `Date` header value."""
    return formatdate(usegmt=True)


class Exchange:
    """Call the mock as the server does: one request at a time, and a 500 problem, logged,
    should its own guard ever fail.

    The server answers from one thread; in-process transports are called from any thread a
    client runs in, so calls are serialised here to give the mock the same one-at-a-time view.
    """

    def __init__(self, handle: Handler, limits: Limits | None = None) -> None:
        self.handle = handle
        self.limits = limits or Limits()
        self._lock = threading.Lock()

    def answer(self, request: Request) -> Response:
        """The mock's response to `request`."""
        try:
            with self._lock:
                return self.handle(request)
        except Exception:
            log.exception("taskmock: internal error on %s %s", request.method, request.path)
            return problem(500, "internal", "Internal error in taskmock", "see its log")

    def refuse_head(self, target: bytes, pairs: Iterable[tuple[bytes, bytes]]) -> Response | None:
        """The 431 answer if the request head is over the limit."""
        if head_size(target, pairs) > self.limits.max_head:
            return head_refusal(self.limits)
        return None

    def refuse_declared(self, headers: dict[str, str]) -> Response | None:
        """The 413 answer if the declared body length is over the limit (before reading it)."""
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limits.max_body:
            return body_refusal(self.limits)
        return None

    def body(self) -> Body:
        """A collector for one request body, under this exchange's limit."""
        return Body(self.limits.max_body)


class Body:
    """A request body read in pieces, up to a limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._chunks: list[bytes] = []

    def add(self, chunk: bytes) -> bool:
        """Keep a piece; False once the body is over the limit (stop reading then)."""
        self.size += len(chunk)
        if self.size > self.limit:
            return False
        self._chunks.append(chunk)
        return True

    def bytes(self) -> bytes:
        """The whole body."""
        return b"".join(self._chunks)
