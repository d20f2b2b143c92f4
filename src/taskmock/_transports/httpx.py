"""An httpx transport that hands every request to a mock in this process: no socket, no server.

One object serves `httpx.Client(transport=...)` and `httpx.AsyncClient(transport=...)` alike.
Whatever the URL's scheme and host, the request goes to the mock, the control plane included, and
the mock builds its URLs (download links, `poll_url`) from the request's `scheme://host[:port]`.
The server's limits apply (413 over the body limit, 431 over the head limit), request bodies are
read as streams, and HEAD is answered without a body, as `taskmock serve` answers.
"""

from __future__ import annotations

from http import HTTPStatus

import httpx

from taskmock._http.app import MockApp
from taskmock._http.messages import Request, Response
from taskmock._http.server import Limits
from taskmock._transports._exchange import (
    Exchange,
    answer_headers,
    body_refusal,
    decode_path,
    http_date,
    lower_headers,
)

__all__ = ["InProcessTransport"]


class InProcessTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Send httpx requests, sync or async, straight to `mock` (a `MockApp`)."""

    def __init__(self, mock: MockApp, limits: Limits | None = None) -> None:
        self.mock = mock
        self._exchange = Exchange(mock.handle, limits)

    @property
    def limits(self) -> Limits:
        """The request limits applied, the server's by default."""
        return self._exchange.limits

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer a request from `httpx.Client`."""
        refused = self._refuse_head(request)
        if refused is not None:
            return _response(request, refused)
        stream = request.stream
        if not isinstance(stream, httpx.SyncByteStream):
            raise TypeError("an async request body was sent with a sync httpx.Client")
        body = self._exchange.body()
        for chunk in stream:
            if not body.add(chunk):
                return _response(request, body_refusal(self.limits))
        return _response(request, self._exchange.answer(_request(request, body.bytes())))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer a request from `httpx.AsyncClient`."""
        refused = self._refuse_head(request)
        if refused is not None:
            return _response(request, refused)
        stream = request.stream
        if not isinstance(stream, httpx.AsyncByteStream):
            raise TypeError("a sync request body was sent with an httpx.AsyncClient")
        body = self._exchange.body()
        async for chunk in stream:
            if not body.add(chunk):
                return _response(request, body_refusal(self.limits))
        return _response(request, self._exchange.answer(_request(request, body.bytes())))

    def _refuse_head(self, request: httpx.Request) -> Response | None:
        refused = self._exchange.refuse_head(request.url.raw_path, request.headers.raw)
        return refused or self._exchange.refuse_declared(lower_headers(request.headers.raw))


def _request(request: httpx.Request, body: bytes) -> Request:
    url = request.url
    path, _, query = url.raw_path.partition(b"?")
    return Request(
        request.method,
        decode_path(path),
        query.decode("latin-1"),
        lower_headers(request.headers.raw),
        body,
        f"{url.scheme}://{url.netloc.decode('ascii')}",
    )


def _response(request: httpx.Request, answer: Response) -> httpx.Response:
    try:
        phrase = HTTPStatus(answer.status).phrase
    except ValueError:
        phrase = ""
    return httpx.Response(
        answer.status,
        headers=[("date", http_date()), *answer_headers(answer)],
        content=b"" if request.method == "HEAD" else answer.body,
        extensions={"http_version": b"HTTP/1.1", "reason_phrase": phrase.encode("ascii")},
    )
