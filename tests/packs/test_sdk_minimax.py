"""MiniMax's official Python client (PyPI `minimax-mcp`, unchanged) against the `minimax` pack, and
the v2 kind of task (MiniMax-H3) over plain HTTP: no official Python client speaks v2.

The client is pointed at the mock the way its README says: MINIMAX_API_HOST (a full URL; plain
http is fine, a path prefix too) and MINIMAX_API_KEY, read when `minimax_mcp.server` is imported,
so the module is imported once, with the fixture's server. Each test runs against the `taskmock`
fixture and against `taskmock serve` in a subprocess: the client the module built at import,
`MinimaxAPIClient(MINIMAX_API_KEY, MINIMAX_API_HOST)`, is built again with the target's URL and
key (what importing it with that target's settings does). Its wait loop sleeps 20 s between polls
through the module's `time`; the tests swap that for one whose `sleep` advances the mock's manual
clock, so a ten-minute generation takes milliseconds. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from taskmock._core.scenario import load_behaviour
from taskmock.testing import MockServer
from tests.packs.served import PackMock, Served, pack_mock, served

pytestmark = pytest.mark.taskmock(apis=["minimax"])

KEY = "sk-taskmock-minimax-0123456789"
V2_BODY = {
    "model": "MiniMax-H3",
    "content": [{"type": "text", "text": "A boy plays basketball by the sea"}],
    "resolution": "2K",
    "duration": 5,
    "ratio": "16:9",
}


@pytest.fixture(scope="module")
def client_module(taskmock_server: MockServer) -> Iterator[ModuleType]:
    """`minimax_mcp.server`, imported with the settings `taskmock serve` prints for the pack
    (MINIMAX_API_HOST, MINIMAX_API_KEY), for the session's server."""
    behaviour = load_behaviour("minimax")
    printed = [s.line(taskmock_server.url, behaviour.base_path) for s in behaviour.sdk]
    settings = dict(line.split("=", 1) for line in printed)
    assert settings == {
        "MINIMAX_API_HOST": taskmock_server.url + "/minimax",
        "MINIMAX_API_KEY": KEY,
    }
    settings["MINIMAX_API_RESOURCE_MODE"] = "local"  # download the MP4, not just its URL
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        module = sys.modules.get("minimax_mcp.server")
        yield importlib.reload(module) if module else importlib.import_module("minimax_mcp.server")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="module")
def minimax_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = served(("minimax",), tmp_path_factory.mktemp("minimax"))
    yield server
    server.stop()


@pytest.fixture(params=["fixture", "serve"])
def mock(request: pytest.FixtureRequest) -> Iterator[PackMock]:
    yield from pack_mock(request, "minimax")


@pytest.fixture
def sdk(
    client_module: ModuleType, mock: PackMock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[ModuleType]:
    """The client pointed at `mock` and on virtual time: each of its sleeps advances the mock's
    clock (and is noted)."""
    from minimax_mcp.client import MinimaxAPIClient

    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        mock.advance(seconds)

    made = MinimaxAPIClient(mock.key, mock.base_url)
    monkeypatch.setattr(client_module, "api_key", mock.key)
    monkeypatch.setattr(client_module, "api_host", mock.base_url)
    monkeypatch.setattr(client_module, "api_client", made)
    monkeypatch.setattr(client_module, "time", SimpleNamespace(sleep=sleep))
    monkeypatch.setattr(client_module, "base_path", str(tmp_path))
    monkeypatch.setattr(client_module, "sleeps", sleeps, raising=False)
    yield client_module
    made.session.close()


def only_task(mock: PackMock) -> dict[str, Any]:
    (task,) = mock.tasks()
    return task


def scenario(sdk: ModuleType, name: str) -> None:
    """Pick the mock's scenario: the client's public requests.Session carries the header."""
    sdk.api_client.session.headers["x-taskmock-scenario"] = name


def paths(mock: PackMock) -> list[str]:
    return [path for _, path in mock.requests()]


# --- v1: the official client ---------------------------------------------------------------------


def test_generate_video_waits_retrieves_and_downloads_a_real_mp4(
    sdk: ModuleType, mock: PackMock, tmp_path: Path
) -> None:
    result = sdk.generate_video(
        prompt="A cat surfing a wave at sunset", output_directory=str(tmp_path)
    )
    assert result.text.startswith("Success. Video saved as: "), result.text
    saved = Path(result.text.removeprefix("Success. Video saved as: "))
    assert saved.read_bytes()[4:8] == b"ftyp"
    assert saved.stat().st_size > 1000
    assert sdk.sleeps
    assert set(sdk.sleeps) == {20}  # its own interval, spent on the mock's clock
    seen = paths(mock)
    assert seen[0] == "/minimax/v1/video_generation"
    assert seen.count("/minimax/v1/query/video_generation") == len(sdk.sleeps) + 1
    assert seen[-1] == "/minimax/v1/files/retrieve"  # then the MP4, on the mock's file route
    task = only_task(mock)
    assert (task["state"], task["kind"]) == ("Success", "v1")
    assert mock.problems() == []


def test_url_mode_returns_the_download_url(
    sdk: ModuleType, mock: PackMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sdk, "resource_mode", "url")
    result = sdk.generate_video(
        prompt="A cat", model="MiniMax-Hailuo-02", duration=6, resolution="768P"
    )
    assert result.text.startswith(f"Success. Video URL: {mock.root_url}/__taskmock/files/"), (
        result.text
    )


def test_a_failed_task_ends_in_the_clients_own_error(sdk: ModuleType, mock: PackMock) -> None:
    scenario(sdk, "failure")
    result = sdk.generate_video(prompt="this one fails")
    # generate_video raises its MinimaxRequestError on status Fail and answers it as text.
    assert result.text.startswith(
        "Failed to generate video: Video generation failed for task_id: "
    ), result.text
    assert only_task(mock)["state"] == "Fail"


def test_a_sensitive_output_is_a_base_resp_error(sdk: ModuleType) -> None:
    scenario(sdk, "output-sensitive")
    result = sdk.generate_video(prompt="this one is judged sensitive")
    assert "API Error: 1027-output video sensitive" in result.text, result.text


def test_a_slow_queue_keeps_the_client_polling(
    sdk: ModuleType, mock: PackMock, request: pytest.FixtureRequest
) -> None:
    scenario(sdk, "slow-queue")
    result = sdk.generate_video(prompt="a busy day")
    assert result.text.startswith("Success. Video saved as: "), result.text
    assert sum(sdk.sleeps) >= 300  # five minutes or more in the queue, on the mock's clock
    if mock.how == "serve":
        return
    (task,) = request.getfixturevalue("taskmock").tasks("minimax")
    queued = next(step for step in task.record.plan if step.state == "Queueing").dwell
    assert queued is not None
    assert queued >= 300
    # Every poll 20 s apart until it ends (here within the client's 30 polls), none wasted after.
    assert len(sdk.sleeps) == -(-(task.record.timeline()[-1].at - task.record.created_at) // 20)


def test_async_mode_then_the_query_tool(sdk: ModuleType, mock: PackMock, tmp_path: Path) -> None:
    submitted = sdk.generate_video(prompt="later", async_mode=True)
    task_id = submitted.text.split("Task ID: ")[1].split(".")[0]
    early = sdk.query_video_generation(task_id, output_directory=str(tmp_path))
    assert early.text.startswith("Video generation task is still processing"), early.text
    mock.advance(3600)
    done = sdk.query_video_generation(task_id, output_directory=str(tmp_path))
    assert done.text.startswith("Success. Video saved as: "), done.text


def test_client_errors_are_its_own_types(sdk: ModuleType, mock: PackMock) -> None:
    from minimax_mcp.client import MinimaxAPIClient
    from minimax_mcp.exceptions import MinimaxAuthError, MinimaxRequestError

    host = mock.base_url
    with pytest.raises(MinimaxAuthError):  # HTTP 200 + base_resp 1004, as the client expects
        MinimaxAPIClient("", host).get("/v1/query/video_generation?task_id=1")
    with pytest.raises(MinimaxRequestError, match="2013"):  # an unknown task
        sdk.api_client.get("/v1/query/video_generation?task_id=123456789012345")
    created = sdk.api_client.post(
        "/v1/video_generation", json={"model": "MiniMax-Hailuo-2.3", "prompt": "x"}
    )
    mock.throttle("minimax_query_video_generation", 1)
    with pytest.raises(MinimaxRequestError, match="1002"):  # throttled: 200 + base_resp 1002
        sdk.api_client.get(f"/v1/query/video_generation?task_id={created['task_id']}")


# --- v2: the MiniMax-H3 kind of task over HTTP ---------------------------------------------------


def call(
    mock: PackMock,
    method: str,
    path: str,
    body: Any = None,
    key: str | None = "",
    scenario: str | None = None,
) -> tuple[int, Any]:
    """A JSON request to the pack; returns (status, body)."""
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["authorization"] = f"Bearer {key or mock.key}"
    if scenario is not None:
        headers["x-taskmock-scenario"] = scenario
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        mock.base_url + path, data=data, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, text = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        with error:
            status, text = error.code, error.read()
    return status, (json.loads(text) if text else None)


def create_v2(mock: PackMock, scenario: str | None = None) -> str:
    status, body = call(mock, "POST", "/v2/video_generation", V2_BODY, scenario=scenario)
    assert status == 200, body
    return str(body["task_id"])


def task_after(mock: PackMock, task_id: str, seconds: float) -> dict[str, Any]:
    mock.advance(seconds)
    status, body = call(mock, "GET", f"/v2/query/video_generation/{task_id}")
    assert status == 200, body
    return dict(body["task"])


def test_v2_succeeds_with_content_url_and_a_real_mp4(mock: PackMock) -> None:
    task_id = create_v2(mock)
    first = task_after(mock, task_id, 0)
    assert first["status"] == "queued"
    assert "content" not in first
    assert "error" not in first
    task = task_after(mock, task_id, 3600)
    assert task["status"] == "succeeded"
    assert "error" not in task
    assert task["usage"]["output_seconds"] == 5
    with urllib.request.urlopen(task["content"]["url"], timeout=10) as answer:
        assert answer.read()[4:8] == b"ftyp"


def test_v1_and_v2_tasks_are_two_kinds(mock: PackMock) -> None:
    """A v2 task is not a v1 task: each query finds only its own kind's."""
    v2 = create_v2(mock)
    status, v1_answer = call(mock, "GET", f"/v1/query/video_generation?task_id={v2}")
    assert (status, v1_answer["base_resp"]["status_code"]) == (200, 2013)
    v1 = call(mock, "POST", "/v1/video_generation", {"model": "T2V-01", "prompt": "x"})[1]
    status, v2_answer = call(mock, "GET", f"/v2/query/video_generation/{v1['task_id']}")
    assert (status, v2_answer["error"]["message"]) == (400, "invalid task_id (2013)")


def test_v2_failures_carry_error_code_and_message(mock: PackMock) -> None:
    failed = task_after(mock, create_v2(mock, "failure"), 3600)
    assert failed["status"] == "failed"
    assert "content" not in failed
    assert failed["error"]["code"] == "1027"
    refused = task_after(mock, create_v2(mock, "input-sensitive"), 3600)
    assert refused["error"] == {
        "code": "1026",
        "message": "video description contains sensitive content",
    }


def test_v2_expired_special_path(mock: PackMock) -> None:
    task_id = create_v2(mock, "expired")
    assert task_after(mock, task_id, 3599)["status"] == "queued"
    assert task_after(mock, task_id, 1)["status"] == "expired"


def test_v2_list_is_items_and_total(mock: PackMock) -> None:
    ids = [create_v2(mock) for _ in range(3)]
    status, page = call(mock, "GET", "/v2/query/video_generation")
    assert status == 200
    assert page["total"] == 3
    assert [t["id"] for t in page["items"]] == ids
    # Pages count from 1 (documented).
    first = call(mock, "GET", "/v2/query/video_generation?page_num=1&page_size=2")[1]
    second = call(mock, "GET", "/v2/query/video_generation?page_num=2&page_size=2")[1]
    assert [t["id"] for t in first["items"]] == ids[:2]
    assert [t["id"] for t in second["items"]] == ids[2:]
    assert second["total"] == 3


def test_v2_delete_cancels_a_queued_task_and_says_so(mock: PackMock) -> None:
    task_id = create_v2(mock)
    status, body = call(mock, "DELETE", f"/v2/video_generation/{task_id}")
    assert (status, body) == (
        200,
        {"task_id": task_id, "action": "cancelled", "status": "cancelled"},
    )
    assert task_after(mock, task_id, 0)["status"] == "cancelled"


def test_v2_delete_refuses_a_running_task(mock: PackMock) -> None:
    task_id = create_v2(mock)
    assert task_after(mock, task_id, 60)["status"] == "running"
    status, body = call(mock, "DELETE", f"/v2/video_generation/{task_id}")
    assert status == 400
    assert body["error"]["type"] == "bad_request_error"


def test_v2_errors_are_openai_style_on_real_status_codes(mock: PackMock) -> None:
    status, body = call(mock, "GET", "/v2/query/video_generation/123", key=None)
    assert status == 401
    assert body["error"]["type"] == "authorized_error"
    status, body = call(mock, "GET", "/v2/query/video_generation/123")
    assert status == 400
    assert body["error"]["message"].startswith("invalid task_id")
