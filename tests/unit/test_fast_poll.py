"""The poll fast path is taken where it answers exactly as the general one, and nowhere else."""

from __future__ import annotations

from taskmock._core.clock import ManualClock
from taskmock._core.roles import Poll
from taskmock._http.app import MockApp, MockConfig
from taskmock._http.messages import Request


def _poll_routes(app: MockApp) -> dict[str, object]:
    return {
        route.target.operation.operation.operation_id: route.target
        for route in app.vendor.router.routes
        if isinstance(route.target.operation, Poll)
    }


def test_plain_polls_take_the_fast_path_and_the_others_do_not() -> None:
    app = MockApp(MockConfig(clock=ManualClock(), example_tasks=False))
    routes = _poll_routes(app)
    assert routes["kokoon_task_get"].plain_poll  # type: ignore[attr-defined]
    assert routes["jobs_retrieve"].plain_poll  # type: ignore[attr-defined]
    assert not routes["queue_result"].plain_poll  # type: ignore[attr-defined]  # its own answer
    assert not routes["queue_status"].plain_poll  # type: ignore[attr-defined]  # reads ?logs=1
    assert not routes["vertex_fetch_predict_operation"].plain_poll  # type: ignore[attr-defined]


def test_the_fast_path_answers_as_the_general_one() -> None:
    app = MockApp(MockConfig(clock=ManualClock(), apis=("kokoon",), example_tasks=False))
    record = app.tasks.create("kokoon", owner=None)
    app.tasks.clock.advance(30)  # type: ignore[attr-defined]
    path = f"/kokoon/api/sr/v4/task/{record.id}"
    headers = {"authorization": "eyJhbGci.eyJzdWIi.c2ln"}
    fast = app.handle(Request("GET", path, "", headers, b"", "http://h:1"))
    (route,) = list(_poll_routes(app).values())
    object.__setattr__(route, "plain_poll", False)  # the cached property, overridden
    general = app.handle(Request("GET", path, "", headers, b"", "http://h:1"))
    assert (fast.status, fast.headers, fast.body) == (general.status, general.headers, general.body)
    assert fast.status == 200
