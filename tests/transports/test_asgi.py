"""`taskmock.asgi_app`: mounts, root paths, lifespan, and what an ASGI server may hand it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import taskmock
from taskmock._http.server import Limits
from tests.transports.conftest import UvicornThread, listening_socket

Message = dict[str, Any]


def mount(prefix: str, app: Any) -> Any:
    """What a Starlette/FastAPI `Mount(prefix, app)` hands the app: the whole path, with the
    mount point in `root_path` (Starlette >= 0.33; earlier ones also cut it from `path`)."""

    async def parent(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(prefix + "/"):
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"not mounted"})
            return
        if scope["type"] == "http":
            scope = {**scope, "root_path": scope.get("root_path", "") + prefix}
        await app(scope, receive, send)

    return parent


@pytest.fixture(scope="module")
def mounted() -> Iterator[str]:
    sock = listening_socket()
    server = UvicornThread(mount("/mock", taskmock.asgi_app()), sock)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.stop()


def test_under_a_mount_the_mock_answers_below_it_and_links_there(mounted: str) -> None:
    with httpx.Client(base_url=mounted) as client:
        created = client.post("/mock/__taskmock/tasks", json={"api": "tensorpix"})
        poll_url = created.json()["poll_url"]
        polled = client.get(poll_url, headers={"Authorization": "Token abc"})
        outside = client.get("/__taskmock/health")
    assert poll_url == f"{mounted}/mock/api/jobs/5000/"
    assert polled.json()["id"] == 5000
    assert outside.status_code == 404  # the parent app's answer, not the mock's


def test_behind_a_proxy_root_path_the_links_carry_the_prefix() -> None:
    """uvicorn --root-path /prefix: a proxy stripped it, so the mock adds it back to its links."""
    sock = listening_socket()
    config_app = taskmock.asgi_app()
    server = UvicornThread(config_app, sock, root_path="/prefix")
    try:
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        created = httpx.post(base + "/__taskmock/tasks", json={"api": "tensorpix"})
    finally:
        server.stop()
    assert created.json()["poll_url"] == f"{base}/prefix/api/jobs/5000/"


def run(app: Any, scope: dict[str, Any], incoming: list[Message]) -> list[Message]:
    """Call the app once as an ASGI server would; return what it sent."""
    sent: list[Message] = []

    async def receive() -> Message:
        assert incoming, "the app read past the request"
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def http_scope(**extra: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": "/__taskmock/tasks",
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        **extra,
    }


def test_lifespan_startup_and_shutdown_are_acknowledged() -> None:
    sent = run(
        taskmock.asgi_app(),
        {"type": "lifespan"},
        [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}],
    )
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read() -> None:
    app = taskmock.asgi_app(limits=Limits(max_body=10))
    sent = run(app, http_scope(headers=[(b"content-length", b"11")]), [])  # nothing to read
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]
    assert list(app.mock.journal) == []


def test_a_client_gone_mid_body_gets_no_answer_and_changes_nothing() -> None:
    app = taskmock.asgi_app()
    incoming = [
        {"type": "http.request", "body": b'{"api":', "more_body": True},
        {"type": "http.disconnect"},
    ]
    before = len(app.mock.tasks.store)  # the specs' example tasks, as serve has them
    assert run(app, http_scope(), incoming) == []
    assert len(app.mock.tasks.store) == before


def test_without_a_host_header_the_server_address_is_the_base_url() -> None:
    sent = run(
        taskmock.asgi_app(),
        http_scope(server=("::1", 9000), scheme="https"),
        [{"type": "http.request", "body": b'{"api": "tensorpix"}'}],
    )
    assert b'"poll_url":"https://[::1]:9000/api/jobs/5000/"' in sent[1]["body"]


def test_a_websocket_is_refused() -> None:
    sent = run(taskmock.asgi_app(), {"type": "websocket"}, [{"type": "websocket.connect"}])
    assert sent == [{"type": "websocket.close", "code": 1008}]
