"""HTTP behaviour, the same over every transport: status, headers, bodies, errors, HEAD, chunked
bodies and limits. A transport that frames, decodes or refuses differently fails here."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from taskmock._checks.schema import response_violations
from taskmock._core.clock import ManualClock
from taskmock._core.spec import load_api
from taskmock._http.app import MockApp, MockConfig
from taskmock._http.journal import JournalEntry
from taskmock._http.messages import Request
from taskmock._transports._exchange import answer_headers
from tests.transports.conftest import LIMITS, Transport

TOKEN = {"Authorization": "Token abc123"}
JOB = {"ml_models": [44], "input_video": 8801}
# Header lines that belong to the connection or the moment, not to the answer.
FRAMING = {"date", "server", "connection", "content-length"}


def conforms(api: str, operation_id: str, reply: httpx.Response) -> None:
    spec = load_api(api)
    found = response_violations(
        spec,
        spec.operation(operation_id),
        reply.status_code,
        reply.headers.get("content-type", ""),
        reply.content,
    )
    assert found == [], [str(v) for v in found]


def test_a_job_is_created_polled_advanced_and_downloaded(transport: Transport) -> None:
    client = transport.client
    created = client.post("/api/jobs/", json=JOB, headers=TOKEN)
    assert created.status_code == 201
    conforms("tensorpix", "jobs_create", created)
    job = f"/api/jobs/{created.json()['id']}/"
    queued = client.get(job, headers=TOKEN)
    assert (queued.status_code, queued.json()["status"]) == (200, 0)
    conforms("tensorpix", "jobs_retrieve", queued)
    advanced = client.post("/__taskmock/clock/advance", json={"seconds": 3600})
    assert advanced.status_code == 200
    done = client.get(job, headers=TOKEN)
    assert done.json()["status"] == 2
    conforms("tensorpix", "jobs_retrieve", done)
    video_url = done.json()["output_video"]["file"]
    assert video_url.startswith(transport.base_url + "/")  # built from the request's own URL
    video = client.get(video_url)
    assert (video.status_code, video.headers["content-type"]) == (200, "video/mp4")
    assert video.content[4:8] == b"ftyp"
    assert int(video.headers["content-length"]) == len(video.content)
    listed = client.get("/api/jobs/", headers=TOKEN)
    assert [job["id"] for job in listed.json()["results"]] == [created.json()["id"]]


def test_vendor_errors_keep_the_vendor_shape(transport: Transport) -> None:
    client = transport.client
    anonymous = client.post("/api/jobs/", json=JOB)
    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": "Authentication credentials were not provided."}
    invalid = client.post("/api/jobs/", json={"ml_models": "x"}, headers=TOKEN)
    assert invalid.status_code == 400
    assert invalid.json()["errors"]["ml_models"] == ["/ml_models: 'x' is not of type 'array'"]
    unknown = client.get("/api/jobs/999/", headers=TOKEN)
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Not found."})
    assert all(r.headers["content-type"] == "application/json" for r in (anonymous, unknown))


def test_an_unmatched_route_is_a_404_problem_naming_the_nearest(transport: Transport) -> None:
    reply = transport.client.get("/api/jobz/5000/", headers=TOKEN)
    assert reply.status_code == 404
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["nearest"] == "GET /api/jobs/{id}/"


def test_a_wrong_method_is_a_405_with_allow(transport: Transport) -> None:
    reply = transport.client.put("/api/jobs/5000/", headers=TOKEN)
    assert reply.status_code == 405
    assert reply.headers["allow"] == "DELETE, GET, HEAD"
    assert reply.json()["type"] == "urn:taskmock:problem:method-not-allowed"


def test_head_gets_the_length_of_the_answer_without_its_body(transport: Transport) -> None:
    reply = transport.client.head("/__taskmock/health")
    answer = transport.app.handle(Request("HEAD", "/__taskmock/health"))  # what it did not send
    assert reply.status_code == answer.status == 200  # HEAD wherever GET (RFC 9110 §9.3.2)
    assert reply.content == b""
    assert int(reply.headers["content-length"]) == len(answer.body) > 0
    assert reply.headers["content-type"] == "application/json"


def chunks(*parts: bytes) -> Iterator[bytes]:
    yield from parts  # httpx sends an iterator as a chunked body


def test_a_chunked_body_arrives_whole(transport: Transport) -> None:
    reply = transport.client.post(
        "/__taskmock/tasks",
        content=chunks(b'{"api": "hai', b'luo", "scena', b'rio": "failure"}'),
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 201, reply.text
    assert (reply.json()["api"], reply.json()["scenario"]) == ("hailuo", "failure")
    assert reply.headers["location"] == f"/__taskmock/tasks/hailuo/{reply.json()['id']}"


@pytest.mark.parametrize(
    "body",
    [lambda: b"x" * (LIMITS.max_body + 1), lambda: chunks(b"x" * 600, b"x" * 600)],
    ids=["declared", "chunked"],
)
def test_a_body_over_the_limit_is_a_413_problem(
    transport: Transport, body: Callable[[], Any]
) -> None:
    reply = transport.client.post("/__taskmock/tasks", content=body())
    assert reply.status_code == 413
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json() == {
        "type": "urn:taskmock:problem:too-large",
        "title": "Request body too large",
        "status": 413,
        "detail": f"the limit is {LIMITS.max_body} bytes",
    }
    if transport.over_socket:
        assert reply.headers["connection"] == "close"
    assert list(transport.app.journal) == []  # refused before the mock saw it


def test_a_body_at_the_limit_reaches_the_mock(transport: Transport) -> None:
    body = json.dumps({"api": "hailuo", "pad": "x" * LIMITS.max_body}).encode()[: LIMITS.max_body]
    reply = transport.client.post("/__taskmock/tasks", content=body)
    assert reply.status_code == 400  # cut JSON: the mock's own answer, not the transport's 413
    assert reply.json()["type"] == "urn:taskmock:problem:malformed-json"


def test_a_request_head_over_the_limit_is_a_431_problem(transport: Transport) -> None:
    reply = transport.client.get("/__taskmock/health", headers={"x-big": "y" * LIMITS.max_head})
    assert reply.status_code == 431
    assert reply.json()["detail"] == f"the limit is {LIMITS.max_head} bytes"


def test_the_mock_builds_urls_from_the_request(transport: Transport) -> None:
    created = transport.client.post("/__taskmock/tasks", json={"api": "tensorpix"})
    assert created.json()["poll_url"] == f"{transport.base_url}/api/jobs/5000/"


JSON_HEADERS = {"content-type": "application/json"}


@dataclass(frozen=True)
class Step:
    """One request of SCRIPT: a body in parts, sent chunked when `chunked`."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    parts: tuple[bytes, ...] = ()
    chunked: bool = False

    def send(self, client: httpx.Client) -> httpx.Response:
        body: Any = chunks(*self.parts) if self.chunked else b"".join(self.parts)
        return client.request(self.method, self.url, headers=self.headers, content=body)


SCRIPT = [
    Step("POST", "/api/jobs/", {**TOKEN, **JSON_HEADERS}, (json.dumps(JOB).encode(),)),
    Step("GET", "/api/jobs/5000/?expand=1", TOKEN),
    Step("POST", "/__taskmock/clock/advance", JSON_HEADERS, (b'{"seconds": 40}',)),
    Step("GET", "/api/jobs/5000/", TOKEN),
    Step("GET", "/api/jobs/", TOKEN),
    Step("DELETE", "/api/jobs/5000/", TOKEN),
    Step("GET", "/api/jobs/5000/", {"Authorization": "Token other"}),
    Step("POST", "/api/jobs/", {**TOKEN, **JSON_HEADERS}, (b"{not json",)),
    Step("POST", "/__taskmock/tasks", {}, (b'{"api": "kokoon", "scenario": "cancel"}',)),
    Step("GET", "/__taskmock/tasks"),
    Step("GET", "/a%20b/%E2%9C%93"),
    Step("HEAD", "/api/jobs/5000/", TOKEN),
    Step("OPTIONS", "/__taskmock/health"),
    Step("POST", "/__taskmock/tasks", {}, (b'{"api":', b'"hailuo"}'), chunked=True),
]


def test_every_answer_is_what_the_mock_answers_for_that_request(transport: Transport) -> None:
    """Each transport hands the mock the request it was sent (path, query, headers, body, base
    URL) and frames the mock's answer unchanged: compared with a twin mock called directly."""
    twin = MockApp(MockConfig(clock=ManualClock(transport.clock.now()), example_tasks=False))
    for step in SCRIPT:
        reply = step.send(transport.client)
        url = reply.request.url
        expected = twin.handle(
            Request(
                step.method,
                url.raw_path.decode().partition("?")[0],  # as sent: still percent-encoded
                url.query.decode(),
                {k.lower(): v for k, v in reply.request.headers.items()},
                b"".join(step.parts),
                transport.base_url,
            )
        )
        label = f"{transport.name}: {step.method} {step.url}"
        assert reply.status_code == expected.status, label
        lines = [(k.lower(), v) for k, v in reply.headers.multi_items()]
        assert [h for h in lines if h[0] not in FRAMING] == [
            h for h in answer_headers(expected) if h[0] not in FRAMING
        ], label
        assert int(reply.headers["content-length"]) == len(expected.body), label
        assert reply.content == (b"" if step.method == "HEAD" else expected.body), label
    # What the mock saw: the same requests, down to the query string (sequence numbers aside).
    assert [_seen(e) for e in transport.app.journal] == [_seen(e) for e in twin.journal]


def _seen(entry: JournalEntry) -> dict[str, Any]:
    seen = entry.as_dict()
    del seen["seq"]  # the journal's counter runs on across resets
    return seen
