"""The mock as an ASGI application, for any ASGI server or a Starlette/FastAPI mount.

    # app.py, run with `uvicorn app:app`
    import taskmock
    app = taskmock.asgi_app()

The body limit is the server's (413, then the connection closes), and so is the head limit (431);
the mock builds its URLs from the request's scheme, `Host` and `root_path`, so a mount under
`/mock` hands out links under `/mock`. Lifespan events are acknowledged; a WebSocket is refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote

from taskmock._http.app import MockApp
from taskmock._http.messages import Request, Response
from taskmock._http.server import Limits
from taskmock._transports._exchange import (
    Exchange,
    answer_headers,
    body_refusal,
    decode_path,
    lower_headers,
)

__all__ = ["AsgiApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class AsgiApp:
    """An ASGI 3 application answering from `mock` (a `MockApp`)."""

    def __init__(self, mock: MockApp, limits: Limits | None = None) -> None:
        self.mock = mock
        self._exchange = Exchange(mock.handle, limits)

    @property
    def limits(self) -> Limits:
        """The request limits applied, the server's by default."""
        return self._exchange.limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)
        elif kind == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})  # the server answers 403

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        pairs: list[tuple[bytes, bytes]] = list(scope["headers"])
        query: bytes = scope.get("query_string", b"")
        target = scope.get("raw_path") or scope["path"].encode("utf-8")
        if query:
            target += b"?" + query
        headers = lower_headers(pairs)
        refused = self._exchange.refuse_head(target, pairs) or self._exchange.refuse_declared(
            headers
        )
        if refused is not None:
            await _send(send, refused, close=True)
            return
        body = self._exchange.body()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left: nobody to answer
            more = message.get("more_body", False)
            if not body.add(message.get("body", b"")):
                await _send(send, body_refusal(self.limits), close=True)
                return
        root = scope.get("root_path", "")
        raw_path = scope.get("raw_path")
        # As sent, still percent-encoded (the router decodes parameters); `path` is decoded.
        sent = decode_path(raw_path) if raw_path else quote(scope["path"], safe=_PATH_SAFE)
        request = Request(
            scope["method"],
            _route_path(sent, quote(root, safe=_PATH_SAFE)),
            query.decode("latin-1"),
            headers,
            body.bytes(),
            _base_url(scope, headers) + root,
        )
        answer = self._exchange.answer(request)
        await _send(send, answer, head_only=request.method == "HEAD")


# What `quote` leaves as it is in a path: RFC 3986 pchar and "/".
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _route_path(path: str, root: str) -> str:
    """The path below the mount point: ASGI's `path` includes `root_path`."""
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :] or "/"
    return path


def _base_url(scope: Scope, headers: dict[str, str]) -> str:
    scheme = scope.get("scheme", "http")
    host = headers.get("host")
    if host:
        return f"{scheme}://{host}"
    server = scope.get("server")
    if server and server[1] is not None:
        name = f"[{server[0]}]" if ":" in str(server[0]) else str(server[0])
        return f"{scheme}://{name}:{server[1]}"
    return f"{scheme}://{server[0]}" if server else f"{scheme}://127.0.0.1"


async def _send(
    send: Send, answer: Response, *, close: bool = False, head_only: bool = False
) -> None:
    headers = [
        (name.encode("latin-1", "replace"), value.encode("latin-1", "replace"))
        for name, value in answer_headers(answer, close=close)
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head_only else answer.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
