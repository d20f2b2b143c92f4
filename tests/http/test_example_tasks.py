"""Over HTTP: the ids the specs' examples name answer, and the control plane serves its document."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from taskmock._core.clock import ManualClock
from taskmock._core.extensions import required_headers
from taskmock._core.spec import load_api
from taskmock._http.app import MockConfig
from tests.support import API_NAMES, LiveMock, assert_conforms, start_live_mock

AUTH = {
    "kokoon": {"Authorization": "eyJhbGci.eyJzdWIi.c2ln"},
    "tensorpix": {"Authorization": "Token abc123"},
    "hailuo": {"Authorization": "Bearer sk-test"},
}


@pytest.fixture(scope="module")
def live() -> Iterator[LiveMock]:
    server = start_live_mock(MockConfig(clock=ManualClock()))  # example tasks: on by default
    yield server
    server.stop()


@pytest.fixture
def mock(live: LiveMock) -> LiveMock:
    live.request("POST", "/__taskmock/reset")
    return live


@pytest.mark.parametrize("api", API_NAMES)
def test_every_example_id_answers_in_its_state_for_any_token(mock: LiveMock, api: str) -> None:
    examples = mock.app.tasks.examples[api].tasks
    assert examples
    for example in examples:
        record = mock.app.tasks.store.get(api, example.id)
        assert record is not None, example.name
        behaviour = mock.app.tasks.behaviour_of(record)  # the example's kind of task
        method, path, body = mock.app.tasks.poll_request(record)
        headers = {
            behaviour.auth.header: behaviour.auth.example,
            **required_headers(behaviour.spec, behaviour.poll.operation),  # a version header
        }
        reply = mock.request(method, path, body, headers)
        assert 200 <= reply.status < 300, (example.name, reply.body)
        assert_conforms(api, behaviour.poll.operation.operation_id, reply)
        assert behaviour.lifecycle.state_of(reply.json()) == example.state, example.name


def test_the_ids_example_resources_and_outputs_name_answer(mock: LiveMock) -> None:
    for path, operation in [
        ("/api/videos/8801/", "videos_retrieve"),
        ("/api/restored-videos/9901/", "restored_videos_retrieve"),  # the finished job's output
    ]:
        reply = mock.request("GET", path, headers=AUTH["tensorpix"])
        assert reply.status == 200, (path, reply.body)
        assert_conforms("tensorpix", operation, reply)
    reply = mock.request(
        "GET",
        "/kokoon/api/sr/v4/video/a600c7e0-b5d3-11ee-8bc1-e3593f7b2d5c",
        headers=AUTH["kokoon"],
    )
    assert reply.status == 200
    assert_conforms("kokoon", "kokoon_video_get", reply)


def test_stopping_an_example_job_then_reset_brings_it_back(mock: LiveMock) -> None:
    headers = AUTH["tensorpix"]
    assert mock.request("DELETE", "/api/jobs/5013/", headers=headers).status == 204
    stopped = mock.request("GET", "/api/jobs/5013/", headers=headers)
    assert stopped.json()["status"] == -2
    assert_conforms("tensorpix", "jobs_retrieve", stopped)
    assert mock.request("DELETE", "/api/jobs/5013/", headers=headers).status == 409
    assert mock.request("POST", "/__taskmock/reset").status == 204
    assert mock.request("GET", "/api/jobs/5013/", headers=headers).json()["status"] == 1


def test_turned_off_no_example_id_answers() -> None:
    server = start_live_mock(MockConfig(clock=ManualClock(), example_tasks=False))
    try:
        reply = server.request("GET", "/api/jobs/5012/", headers=AUTH["tensorpix"])
        assert reply.status == 404
    finally:
        server.stop()


def test_the_kokoon_list_shows_the_documented_summary_of_each_task(mock: LiveMock) -> None:
    reply = mock.request("GET", "/kokoon/api/sr/v4/task", headers=AUTH["kokoon"])
    assert_conforms("kokoon", "kokoon_task_list", reply)
    summary = set(load_api("kokoon").schemas["TaskSummary"]["properties"])
    items = reply.json()["sr_tasks"]
    assert items
    assert all(set(item) <= summary for item in items)  # no request_body, fps, preview_*...
    assert {"tid", "step", "progress"} <= set(items[0])


def test_the_control_plane_serves_its_document_for_the_loaded_catalog(mock: LiveMock) -> None:
    reply = mock.request("GET", "/__taskmock/openapi.json")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    document = reply.json()
    assert sorted(document["components"]["parameters"]["Api"]["schema"]["enum"]) == sorted(
        API_NAMES
    )
    assert mock.request("GET", "/__taskmock/openapi.json").body == reply.body


def test_the_document_needs_the_admin_token_when_one_is_set() -> None:
    server = start_live_mock(MockConfig(clock=ManualClock(), admin_token="s3cret"))
    try:
        assert server.request("GET", "/__taskmock/openapi.json").status == 401
        headers = {"X-Taskmock-Admin-Token": "s3cret"}
        assert server.request("GET", "/__taskmock/openapi.json", headers=headers).status == 200
    finally:
        server.stop()


@pytest.mark.parametrize("operation", [{}, ["jobs_retrieve"]])
def test_a_fault_operation_that_is_no_name_is_422(mock: LiveMock, operation: object) -> None:
    reply = mock.request("POST", "/__taskmock/faults", {"api": "tensorpix", "operation": operation})
    assert reply.status == 422
    assert mock.request("GET", "/__taskmock/faults").json() == {"faults": []}
