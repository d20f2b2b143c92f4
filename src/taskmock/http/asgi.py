"""ASGI adapter: serve a `MockApp` with any ASGI server (taskmock serve uses one)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from taskmock.http.app import MockApp
from taskmock.http.messages import Request, problem

__all__ = ["MAX_BODY", "asgi_app"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

#: Request bodies larger than this are refused with 413 (uploads to a mock need not be real videos).
MAX_BODY = 16 * 1024 * 1024


def asgi_app(app: MockApp) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """An ASGI 3 application answering with `app`."""

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY:
                response = problem(
                    413, "too-large", "Request body too large", f"the limit is {MAX_BODY} bytes"
                )
                break
        else:
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
            }
            host = headers.get("host") or "{}:{}".format(
                *(scope.get("server") or ("127.0.0.1", 80))
            )
            request = Request(
                scope["method"],
                scope["path"],
                scope.get("query_string", b"").decode("latin-1"),
                headers,
                body,
                f"{scope.get('scheme', 'http')}://{host}",
            )
            response = app.handle(request)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers
                ],
            }
        )
        await send({"type": "http.response.body", "body": response.body})

    return application
