"""`taskmock.httpx_transport`: sync and async httpx clients reach the mock with no socket at all."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

import taskmock
from taskmock._http.server import Limits
from taskmock.errors import MissingExtraError
from tests.support import API_NAMES

TOKEN = {"Authorization": "Token abc123"}
JOB = {"ml_models": [44], "input_video": 8801}


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to connect a socket fails the test (an event loop's own socketpair is fine)."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a socket was connected")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_one_object_serves_sync_and_async_clients() -> None:
    transport = taskmock.httpx_transport()
    assert isinstance(transport, httpx.BaseTransport)
    assert isinstance(transport, httpx.AsyncBaseTransport)


@pytest.mark.usefixtures("no_sockets")
def test_a_sync_client_runs_a_job_from_create_to_download_on_virtual_time() -> None:
    transport = taskmock.httpx_transport()
    with httpx.Client(transport=transport, base_url="https://backend.example.test") as client:
        created = client.post("/api/jobs/", json=JOB, headers=TOKEN)
        job_url = f"/api/jobs/{created.json()['id']}/"
        assert client.get(job_url, headers=TOKEN).json()["status"] == 0
        advanced = client.post("/__taskmock/clock/advance", json={"seconds": 3600})
        assert advanced.json()["now"] == transport.mock.tasks.clock.now()
        job = client.get(job_url, headers=TOKEN).json()
        assert job["status"] == 2
        video = client.get(job["output_video"]["file"])
    assert job["output_video"]["file"].startswith("https://backend.example.test/")
    assert video.content[4:8] == b"ftyp"


@pytest.mark.usefixtures("no_sockets")
def test_an_async_client_runs_a_job_from_create_to_download_on_virtual_time() -> None:
    transport = taskmock.httpx_transport()

    async def scenario() -> tuple[Any, bytes]:
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            created = await client.post("/api/jobs/", json=JOB, headers=TOKEN)
            job_url = f"/api/jobs/{created.json()['id']}/"
            transport.mock.tasks.clock.advance(3600)  # type: ignore[attr-defined]
            job = (await client.get(job_url, headers=TOKEN)).json()
            video = await client.get(job["output_video"]["file"])
            return job, video.content

    job, video = asyncio.run(scenario())
    assert job["status"] == 2
    assert video[4:8] == b"ftyp"


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("http://localhost/", "http://localhost"),
        ("https://queue.example.test/", "https://queue.example.test"),
        ("https://127.0.0.1:8443/", "https://127.0.0.1:8443"),
        ("http://[::1]:9000/", "http://[::1]:9000"),
    ],
)
def test_any_host_and_scheme_reach_the_mock_which_links_back_to_it(url: str, base: str) -> None:
    with httpx.Client(transport=taskmock.httpx_transport()) as client:
        created = client.post(url + "__taskmock/tasks", json={"api": "tensorpix"})
    assert created.json()["poll_url"] == f"{base}/api/jobs/5000/"


def test_with_no_argument_it_builds_every_api_on_a_manual_clock_as_serve_does() -> None:
    mock = taskmock.httpx_transport().mock
    assert list(mock.tasks.behaviours) == list(API_NAMES)
    assert (mock.tasks.clock.kind, mock.tasks.seed) == ("manual", 0)
    assert taskmock.asgi_app().mock.tasks.clock.kind == "manual"


def test_a_given_mock_is_the_one_served() -> None:
    first = taskmock.httpx_transport()
    second = taskmock.httpx_transport(first.mock)
    before = len(first.mock.tasks.store)  # the specs' example tasks, as serve has them
    with httpx.Client(transport=second, base_url="http://x") as client:
        client.post("/__taskmock/tasks", json={"api": "hailuo"})
    assert len(first.mock.tasks.store) == before + 1


def test_a_streamed_body_is_read_and_an_endless_one_stops_at_the_limit() -> None:
    pulled = 0

    def endless() -> Iterator[bytes]:
        nonlocal pulled
        while True:
            pulled += 1
            yield b"x" * 1024

    transport = taskmock.httpx_transport(limits=Limits(max_body=10_000))
    with httpx.Client(transport=transport, base_url="http://x") as client:
        streamed = client.post("/__taskmock/tasks", content=iter([b'{"api":', b'"kokoon"}']))
        refused = client.post("/__taskmock/tasks", content=endless())
    assert streamed.status_code == 201
    assert refused.status_code == 413
    assert pulled == 10  # the tenth KiB crossed the limit: nothing more was read


def test_an_async_streamed_body_is_read() -> None:
    async def parts() -> AsyncIterator[bytes]:
        yield b'{"api":'
        yield b'"kokoon"}'

    async def send() -> httpx.Response:
        transport = taskmock.httpx_transport()
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            return await client.post("/__taskmock/tasks", content=parts())

    assert asyncio.run(send()).json()["api"] == "kokoon"


def test_without_httpx_the_transport_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "taskmock._transports.httpx")
    with pytest.raises(MissingExtraError, match=r"pip install 'taskmock\[httpx\]'"):
        taskmock.httpx_transport()
