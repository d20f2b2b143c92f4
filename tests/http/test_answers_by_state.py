"""What a scenario file can make an answer depend on, over real HTTP, with a made-up API
(tests/fixtures/relay): the task's state (`answers`), the request's path and query (`param`,
`query`), a header that holds the answer (`hold`) or sets a deadline (`deadline`), a parameter that
spans path segments (`x-multi-segment`), and errors with their own content type."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from taskmock._core.clock import ManualClock, WallClock
from taskmock._http.app import MockApp, MockConfig
from tests.support import LiveMock, start_live_mock

RELAY = Path(__file__).resolve().parent.parent / "fixtures" / "relay"
KEY = {"authorization": "Relay k-1"}
SCENE = {"scene": "teapot"}


@pytest.fixture
def relay() -> Iterator[LiveMock]:
    live = start_live_mock(
        MockConfig(catalogs=(RELAY,), apis=("relay",), clock=ManualClock(), example_tasks=False)
    )
    yield live
    live.stop()


def submit(relay: LiveMock, route: str = "stills", **headers: str) -> dict[str, object]:
    reply = relay.request("POST", f"/relay/queues/main/{route}", SCENE, {**KEY, **headers})
    assert reply.status == 200, reply.body
    body = reply.json()
    assert isinstance(body, dict)
    return body


def test_errors_carry_their_own_content_type(relay: LiveMock) -> None:
    reply = relay.request("POST", "/relay/queues/main/stills", SCENE)
    assert reply.status == 401
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json() == {"title": "Unauthorized", "status": 401}
    missing = relay.request("GET", "/relay/queues/main/jobs/nope", headers=KEY)
    assert (missing.status, missing.headers["content-type"]) == (404, "application/problem+json")


def test_a_route_parameter_spans_segments_and_the_task_keeps_it(relay: LiveMock) -> None:
    job = submit(relay, "stills/hd/4k")
    assert job["route"] == "stills/hd/4k"
    assert job["queue"] == "main"
    assert submit(relay, "stills")["route"] == "stills"
    assert relay.request("POST", "/relay/queues/main/stills//hd", SCENE, KEY).status == 404


def test_the_poll_status_follows_the_state(relay: LiveMock) -> None:
    job = submit(relay)
    path = f"/relay/queues/main/jobs/{job['job_id']}"
    assert relay.request("GET", path, headers=KEY).status == 202
    relay.clock.advance(20)
    working = relay.request("GET", path, headers=KEY)
    assert (working.status, working.json()["state"]) == (202, "working")
    relay.clock.advance(100)
    done = relay.request("GET", path, headers=KEY)
    assert (done.status, done.json()["state"]) == (200, "done")


def test_a_result_refuses_until_done_and_a_failure_answers_its_error(relay: LiveMock) -> None:
    job = submit(relay)
    result = f"/relay/queues/main/jobs/{job['job_id']}/result"
    early = relay.request("GET", result, headers=KEY)
    assert (early.status, early.json()) == (409, {"message": "not done yet"})
    relay.clock.advance(60)
    done = relay.request("GET", result, headers=KEY)
    assert done.status == 200
    assert done.json() == {"url": f"{relay.base_url}/__taskmock/files/{job['job_id']}.mp4"}
    assert done.headers["content-type"] == "application/json"

    failed = submit(relay, **{"x-taskmock-scenario": "failure"})
    relay.clock.advance(60)
    reply = relay.request("GET", f"/relay/queues/main/jobs/{failed['job_id']}/result", headers=KEY)
    assert (reply.status, reply.json()) == (502, {"message": "the render failed"})
    assert reply.headers["x-relay-error"] == "render_failed"


def test_a_cancel_answers_by_the_state_it_found(relay: LiveMock) -> None:
    waiting, working, done = submit(relay), submit(relay), submit(relay)
    cancel = "/relay/queues/main/jobs/{}/cancel"
    removed = relay.request("PUT", cancel.format(waiting["job_id"]), headers=KEY)
    assert (removed.status, removed.json()) == (200, {"result": "removed"})
    relay.clock.advance(20)
    stopping = relay.request("PUT", cancel.format(working["job_id"]), headers=KEY)
    assert (stopping.status, stopping.json()) == (202, {"result": "stopping"})
    relay.clock.advance(60)
    finished = relay.request("PUT", cancel.format(done["job_id"]), headers=KEY)
    assert (finished.status, finished.json()) == (400, {"result": "finished"})
    states = [state(relay, job) for job in (waiting, working, done)]
    # Cancelled where it could be; an ended job is answered and left as it was.
    assert states == ["stopped", "stopped", "done"]


def state(relay: LiveMock, job: dict[str, object]) -> object:
    reply = relay.request("GET", f"/relay/queues/main/jobs/{job['job_id']}", headers=KEY)
    return reply.json()["state"]


def test_templates_read_the_request_path_and_query(relay: LiveMock) -> None:
    job = submit(relay)
    relay.clock.advance(20)
    via_other = relay.request("GET", f"/relay/queues/other/jobs/{job['job_id']}", headers=KEY)
    body = via_other.json()
    assert body["asked_via"] == "other"  # {$: param, of: request}
    assert body["queue"] == "main"  # {$: param}: the create request's, kept with the task
    assert body["status_url"] == f"{relay.base_url}/relay/queues/main/jobs/{job['job_id']}"
    assert body["notes"] is None
    assert body["progress"] == " 25%"  # {$: format, values} with a format spec
    noted = relay.request("GET", f"/relay/queues/main/jobs/{job['job_id']}?notes=1", headers=KEY)
    assert noted.json()["notes"] == ["warming up", "rendering"]
    assert noted.json()["asked_via"] == "main"
    zero = relay.request("GET", f"/relay/queues/main/jobs/{job['job_id']}?notes=0", headers=KEY)
    assert zero.json()["notes"] is None


def test_without_a_request_templates_take_their_fallbacks(relay: LiveMock) -> None:
    record = relay.app.tasks.create("relay")  # the control plane's way: no request, no params
    body = relay.app.tasks.view(record).body
    assert (body["queue"], body["route"], body["asked_via"], body["notes"]) == (
        "main",
        "stills",
        None,
        None,
    )


def test_the_fast_poll_path_equals_a_plain_render_whatever_the_request(relay: LiveMock) -> None:
    from taskmock._core.engine import observe
    from taskmock._core.template import RequestFacts, dumps

    tasks = relay.app.tasks
    first = tasks.create("relay", owner="o", params={"queue": "main", "route": "stills"})
    second = tasks.create("relay", owner="o", params={"queue": "spare", "route": "a/b"})
    asks = [
        RequestFacts({"queue": "main"}, "notes=1"),
        RequestFacts({"queue": "other"}, ""),
        RequestFacts({"queue": "main"}, "notes=0&x=1"),
        None,
    ]
    for step in (0, 5, 6, 30, 0, 100):
        relay.clock.advance(step)
        for record in (first, second, first):
            for facts in asks:  # the same step, cached, asked by different requests in turn
                now = observe(record, relay.clock.now())
                plain = dumps(tasks.answers.render_body(now, "http://h", facts))
                assert tasks.answers.poll_json(record, "http://h", facts) == plain


def test_a_held_create_lets_the_time_pass_on_a_manual_clock(relay: LiveMock) -> None:
    start = relay.clock.now()
    short = submit(relay, hold="5")
    assert short["state"] == "waiting"
    assert relay.clock.now() == start + 5
    long = submit(relay, hold="25")  # waiting 10 s, then working
    assert long["state"] == "working"
    assert relay.clock.now() == start + 30
    capped = submit(relay, hold="300", **{"x-taskmock-scenario": "failure"})
    assert capped["state"] == "failed"  # ends after 15 s: the hold ends with it
    assert relay.clock.now() == start + 45
    assert submit(relay)["state"] == "waiting"  # no header: no hold
    assert submit(relay, hold="soon")["state"] == "waiting"  # not what the pattern asks: ignored
    assert relay.clock.now() == start + 45


def test_a_held_create_on_a_wall_clock_answers_at_once() -> None:
    app = MockApp(MockConfig(catalogs=(RELAY,), apis=("relay",), clock=WallClock()))
    live = start_live_mock(app=app)
    try:
        reply = live.request("POST", "/relay/queues/main/stills", SCENE, {**KEY, "hold": "30"})
        assert reply.json()["state"] == "waiting"
    finally:
        live.stop()


def test_a_deadline_ends_the_task_by_the_state_it_finds(relay: LiveMock) -> None:
    early = submit(relay, **{"stop-after": "5s"})
    late = submit(relay, **{"stop-after": "1m"})
    running = submit(relay, **{"stop-after": "20s"})
    never = submit(relay)
    assert early["deadline"] == "2024-01-01T00:00:05Z"
    assert never["deadline"] is None
    relay.clock.advance(4)
    assert state(relay, early) == "waiting"
    relay.clock.advance(1)
    assert state(relay, early) == "expired"
    relay.clock.advance(15)
    assert state(relay, running) == "stopped"
    relay.clock.advance(100)
    assert state(relay, late) == "done"


def test_a_cancel_before_the_deadline_wins(relay: LiveMock) -> None:
    job = submit(relay, **{"stop-after": "30s"})
    relay.clock.advance(12)
    path = f"/relay/queues/main/jobs/{job['job_id']}/cancel"
    assert relay.request("PUT", path, headers=KEY).status == 202
    relay.clock.advance(100)
    record = relay.app.tasks.store.get("relay", job["job_id"])
    assert record is not None
    timeline = relay.app.tasks.timeline(record)
    assert [step["state"] for step in timeline] == ["waiting", "working", "stopped"]
    assert timeline[-1]["seconds"] == 12


def test_a_malformed_deadline_is_refused_and_creates_nothing(relay: LiveMock) -> None:
    headers = {**KEY, "stop-after": "soon"}
    reply = relay.request("POST", "/relay/queues/main/stills", SCENE, headers)
    assert reply.status == 422
    assert reply.headers["content-type"] == "application/problem+json"
    assert "Stop-After" in reply.json()["detail"]
    assert list(relay.app.tasks.store.all("relay")) == []


def test_query_values_are_checked_where_the_spec_documents_a_refusal(relay: LiveMock) -> None:
    # submit_job documents 422: a bad value is refused; get_job documents none: it is ignored.
    refused = relay.request("POST", "/relay/queues/main/stills?copies=none", SCENE, KEY)
    assert refused.status == 422
    assert "copies" in refused.json()["detail"]
    job = submit(relay)
    ignored = relay.request("GET", f"/relay/queues/main/jobs/{job['job_id']}?notes=2", headers=KEY)
    assert ignored.status == 202


def test_a_post_to_a_jobs_url_is_no_route_name(relay: LiveMock) -> None:
    job = submit(relay)
    reply = relay.request("POST", f"/relay/queues/main/jobs/{job['job_id']}", SCENE, KEY)
    assert reply.status == 405
    assert reply.headers["allow"] == "GET, HEAD"
    assert len(list(relay.app.tasks.store.all("relay"))) == 1
