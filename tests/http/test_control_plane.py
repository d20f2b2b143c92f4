"""The control plane over real HTTP: every answer conforms to specs/control.yaml."""

from __future__ import annotations

from typing import Any

import pytest

from taskmock._core.clock import ManualClock, WallClock
from taskmock._http.app import MockConfig
from tests.http.test_vendor_lifecycles import AUTH
from tests.support import LiveMock, Reply, assert_conforms, start_live_mock


def call(
    mock: LiveMock,
    operation_id: str,
    method: str,
    path: str,
    body: Any = None,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    reply = mock.request(method, path, body, headers=headers, raw=raw)
    assert_conforms("control", operation_id, reply)  # every answer, as specs/control.yaml says
    return reply


def test_create_inspect_and_list(mock: LiveMock) -> None:
    created = call(
        mock, "task_create", "POST", "/__taskmock/tasks", {"api": "hailuo", "scenario": "failure"}
    )
    assert created.status == 201
    task = created.json()
    assert created.headers["location"] == f"/__taskmock/tasks/hailuo/{task['id']}"
    assert (task["state"], task["scenario"], task["terminal"]) == ("Preparing", "failure", False)
    assert [step["state"] for step in task["timeline"]] == [
        "Preparing",
        "Queueing",
        "Processing",
        "Fail",
    ]
    assert task["poll_url"] == mock.base_url + task["poll_path"]
    inspected = call(mock, "task_inspect", "GET", f"/__taskmock/tasks/hailuo/{task['id']}").json()
    assert inspected["body"]["task_id"] == task["id"]
    listed = call(mock, "task_list", "GET", "/__taskmock/tasks?api=hailuo").json()["tasks"]
    assert [t["id"] for t in listed] == [task["id"]]


def test_fields_override_the_poll_body(mock: LiveMock) -> None:
    task = call(
        mock,
        "task_create",
        "POST",
        "/__taskmock/tasks",
        {"api": "kokoon", "fields": {"filename": "mine.mp4"}},
    ).json()
    body = mock.request("GET", task["poll_path"], headers=AUTH["kokoon"]).json()
    assert body["filename"] == "mine.mp4"


def test_clock_advance_moves_tasks(mock: LiveMock) -> None:
    before = call(mock, "clock_get", "GET", "/__taskmock/clock").json()
    assert before["kind"] == "manual"
    task = call(mock, "task_create", "POST", "/__taskmock/tasks", {"api": "tensorpix"}).json()
    after = call(
        mock, "clock_advance", "POST", "/__taskmock/clock/advance", {"seconds": 3600}
    ).json()
    assert after["now"] == before["now"] + 3600
    assert mock.request("GET", task["poll_path"], headers=AUTH["tensorpix"]).json()["status"] == 2


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"seconds": -1}, 422),
        ({"seconds": "ten"}, 422),
        ({"seconds": True}, 422),
        ([1], 422),
        (None, 422),
    ],
)
def test_bad_clock_advance_changes_nothing(mock: LiveMock, body: Any, status: int) -> None:
    before = mock.clock.now()
    raw = b"" if body is None else None
    reply = call(mock, "clock_advance", "POST", "/__taskmock/clock/advance", body, raw=raw)
    assert reply.status == status
    assert mock.clock.now() == before


def test_malformed_json_is_400(mock: LiveMock) -> None:
    reply = call(
        mock,
        "task_create",
        "POST",
        "/__taskmock/tasks",
        raw=b"{nope",
        headers={"content-type": "application/json"},
    )
    assert reply.status == 400


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"api": "tensorpics"}, "did you mean 'tensorpix'?"),
        ({"api": "kokoon", "scenario": "sucess"}, "did you mean 'success'?"),
        ({"api": "kokoon", "colour": "red"}, "('colour' was unexpected)"),
        ({"scenario": "success"}, "'api' is a required property"),
        ({"api": "kokoon", "fields": [1]}, "/fields: [1] is not of type 'object'"),
        ({"api": "kokoon", "fields": None}, "/fields: None is not of type 'object'"),
        ({"api": "kokoon", "scenario": None}, "/scenario: None is not of type 'string'"),
    ],
)
def test_bad_task_creation_is_422_and_creates_nothing(
    mock: LiveMock, body: Any, fragment: str
) -> None:
    reply = call(mock, "task_create", "POST", "/__taskmock/tasks", body)
    assert reply.status == 422
    assert fragment in reply.json()["detail"]
    assert len(mock.app.tasks.store) == 0


@pytest.mark.parametrize(
    ("api", "action", "state"),
    [
        ("kokoon", "fail", "error"),
        ("kokoon", "cancel", "cancel"),
        ("tensorpix", "fail", -1),
        ("tensorpix", "cancel", -2),
        ("hailuo", "fail", "Fail"),
    ],
)
def test_force_fail_or_cancel_now(mock: LiveMock, api: str, action: str, state: Any) -> None:
    task = call(mock, "task_create", "POST", "/__taskmock/tasks", {"api": api}).json()
    path = f"/__taskmock/tasks/{api}/{task['id']}/{action}"
    forced = call(mock, f"task_{action}", "POST", path).json()
    assert (forced["state"], forced["terminal"]) == (state, True)
    assert call(mock, f"task_{action}", "POST", path).status == 409
    mock.clock.advance(10_000)
    assert mock.request("GET", task["poll_path"], headers=AUTH[api]).status == 200
    assert (
        call(mock, "task_inspect", "GET", f"/__taskmock/tasks/{api}/{task['id']}").json()["state"]
        == state
    )


def test_hailuo_has_no_cancelled_state(mock: LiveMock) -> None:
    task = call(mock, "task_create", "POST", "/__taskmock/tasks", {"api": "hailuo"}).json()
    reply = call(mock, "task_cancel", "POST", f"/__taskmock/tasks/hailuo/{task['id']}/cancel")
    assert reply.status == 409


def test_transition_follows_the_lifecycle(mock: LiveMock) -> None:
    task = call(mock, "task_create", "POST", "/__taskmock/tasks", {"api": "kokoon"}).json()
    path = f"/__taskmock/tasks/kokoon/{task['id']}/transition"
    assert (
        call(mock, "task_transition", "POST", path, {"state": "preparing"}).json()["state"]
        == "preparing"
    )
    assert (
        call(mock, "task_transition", "POST", path, {"state": "done"}).status == 409
    )  # not an edge
    assert call(mock, "task_transition", "POST", path, {"state": "ready"}).status == 409
    assert call(mock, "task_transition", "POST", path, {"state": "exploded"}).status == 409
    assert call(mock, "task_transition", "POST", path, {}).status == 422
    assert (
        call(mock, "task_transition", "POST", path, {"state": {"a": 1}}).status == 422
    )  # was a 500
    assert call(mock, "task_transition", "POST", path, {"state": True}).status == 422


def test_unknown_task_and_api(mock: LiveMock) -> None:
    assert call(mock, "task_inspect", "GET", "/__taskmock/tasks/kokoon/nope").status == 404
    assert call(mock, "task_inspect", "GET", "/__taskmock/tasks/kokon/nope").status == 404
    assert call(mock, "task_fail", "POST", "/__taskmock/tasks/tensorpix/1/fail").status == 404


def test_reset_forgets_tasks_and_journal(mock: LiveMock) -> None:
    task = call(mock, "task_create", "POST", "/__taskmock/tasks", {"api": "kokoon"}).json()
    mock.request("GET", task["poll_path"], headers=AUTH["kokoon"])
    assert len(call(mock, "requests_list", "GET", "/__taskmock/requests").json()["requests"]) == 1
    assert call(mock, "reset", "POST", "/__taskmock/reset").status == 204
    assert call(mock, "task_list", "GET", "/__taskmock/tasks").json()["tasks"] == []
    assert call(mock, "requests_list", "GET", "/__taskmock/requests").json() == {"requests": []}


def test_journal_records_vendor_requests_only(mock: LiveMock) -> None:
    task = call(mock, "task_create", "POST", "/__taskmock/tasks", {"api": "tensorpix"}).json()
    for _ in range(3):
        mock.request("GET", task["poll_path"], headers=AUTH["tensorpix"])
    entries = call(mock, "requests_list", "GET", "/__taskmock/requests").json()["requests"]
    assert [(e["method"], e["operation"], e["task_id"], e["status"]) for e in entries] == [
        ("GET", "jobs_retrieve", str(task["id"]), 200)
    ] * 3
    assert call(mock, "requests_clear", "DELETE", "/__taskmock/requests").status == 204


def test_unknown_control_route_and_method(mock: LiveMock) -> None:
    reply = mock.request("GET", "/__taskmock/taks")
    assert reply.status == 404
    assert "nearest: GET /__taskmock/tasks" in reply.json()["detail"]
    assert mock.request("DELETE", "/__taskmock/clock").status == 405


def test_files_are_real_mp4(mock: LiveMock) -> None:
    reply = call(mock, "file_get", "GET", "/__taskmock/files/anything.mp4")
    assert reply.headers["content-type"] == "video/mp4"
    assert reply.body[4:8] == b"ftyp"
    assert call(mock, "file_get", "GET", "/__taskmock/files/x.txt").status == 404


def test_advance_needs_a_manual_clock() -> None:
    server = start_live_mock(MockConfig(clock=WallClock()))
    try:
        reply = call(server, "clock_advance", "POST", "/__taskmock/clock/advance", {"seconds": 1})
        assert reply.status == 409
        assert "--clock manual" in reply.json()["detail"]
    finally:
        server.stop()


def test_admin_token_guards_the_control_plane_but_not_files() -> None:
    server = start_live_mock(MockConfig(clock=ManualClock(), admin_token="s3cret"))
    try:
        assert call(server, "health", "GET", "/__taskmock/health").status == 401
        wrong = {"X-Taskmock-Admin-Token": "nope"}
        assert call(server, "health", "GET", "/__taskmock/health", headers=wrong).status == 401
        right = {"X-Taskmock-Admin-Token": "s3cret"}
        assert call(server, "health", "GET", "/__taskmock/health", headers=right).status == 200
        assert call(server, "file_get", "GET", "/__taskmock/files/a.mp4").status == 200
    finally:
        server.stop()


def test_faults_throttle_the_next_requests_in_the_vendor_shape(mock: LiveMock) -> None:
    task = call(mock, "task_create", "POST", "/__taskmock/tasks", {"api": "tensorpix"}).json()
    planned = call(
        mock,
        "fault_add",
        "POST",
        "/__taskmock/faults",
        {"api": "tensorpix", "count": 2, "retry_after": 5},
    )
    assert planned.status == 201
    assert call(mock, "fault_list", "GET", "/__taskmock/faults").json()["faults"][0]["count"] == 2
    for _ in range(2):
        throttled = mock.request("GET", task["poll_path"], headers=AUTH["tensorpix"])
        assert throttled.status == 429
        assert throttled.headers["retry-after"] == "5"
        assert_conforms("tensorpix", "jobs_retrieve", throttled)
    assert mock.request("GET", task["poll_path"], headers=AUTH["tensorpix"]).status == 200
    assert call(mock, "fault_list", "GET", "/__taskmock/faults").json() == {"faults": []}


def test_hailuo_rate_limit_is_a_business_error_and_kokoon_has_none(mock: LiveMock) -> None:
    task = call(mock, "task_create", "POST", "/__taskmock/tasks", {"api": "hailuo"}).json()
    call(mock, "fault_add", "POST", "/__taskmock/faults", {"api": "hailuo"})
    reply = mock.request("GET", task["poll_path"], headers=AUTH["hailuo"])
    assert reply.status == 200
    assert reply.json()["base_resp"]["status_code"] == 1002
    assert_conforms("hailuo", "vapi_task_get", reply)
    refused = call(mock, "fault_add", "POST", "/__taskmock/faults", {"api": "kokoon"})
    assert refused.status == 422
    assert "documents no rate limiting" in refused.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"api": "tensorpix", "count": -1},
        {"api": "tensorpix", "retry_after": "soon"},
        {"count": 1},
        {"api": "tensorpix", "operation": "jobs_retreive"},
        {"api": "tensorpix", "kind": "outage"},
    ],
)
def test_bad_faults_are_422_and_plan_nothing(mock: LiveMock, body: Any) -> None:
    assert call(mock, "fault_add", "POST", "/__taskmock/faults", body).status == 422
    assert call(mock, "fault_list", "GET", "/__taskmock/faults").json() == {"faults": []}
