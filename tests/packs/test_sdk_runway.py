"""The official Runway SDK (`runwayml`), unchanged, against the `runway` pack.

Only the base URL and the key differ from production (`RunwayML(base_url=…/runway)`). Each test
runs against the `taskmock` fixture and against `taskmock serve` in a subprocess. Time is
virtual: the SDK's waiting helper sleeps through `runwayml.lib.polling.time.sleep` (6 s ± 1.5 s)
and measures its timeout with `…time.time`; the tests swap that module's `time` for one whose
`sleep` advances the mock's manual clock, so `wait_for_task_output` returns at once and the mock
sees the virtual time the SDK thinks has passed (through the fixture's handle, or the control plane
of `taskmock serve`). Every answer is read with the SDK's strict
response validation. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from runwayml import (
    AsyncRunwayML,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    RateLimitError,
    RunwayML,
)
from runwayml._types import Omit
from runwayml.lib import polling
from runwayml.lib.polling import TaskFailedError, TaskTimeoutError

from tests.packs.served import PackMock, Served, pack_mock, served

pytestmark = pytest.mark.taskmock(apis=["runway"])

IMAGE = "https://example.com/cat.jpg"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def runway_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = served(("runway",), tmp_path_factory.mktemp("runway"))
    yield server
    server.stop()


@pytest.fixture(params=["fixture", "serve"])
def mock(request: pytest.FixtureRequest) -> Iterator[PackMock]:
    yield from pack_mock(request, "runway")


@pytest.fixture
def client(mock: PackMock) -> Iterator[RunwayML]:
    # max_retries=0: a 429 must surface, not be retried with real sleeps.
    with RunwayML(
        api_key=mock.key, base_url=mock.base_url, max_retries=0, _strict_response_validation=True
    ) as runway:
        yield runway


class VirtualTime:
    """Stands in for the `time` module inside runwayml.lib.polling: sleeping advances the mock."""

    def __init__(self, mock: PackMock) -> None:
        self.mock, self.elapsed, self.sleeps = mock, 0.0, list[float]()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds
        self.mock.advance(seconds)

    def time(self) -> float:
        return self.elapsed


@pytest.fixture
def virtual_time(mock: PackMock, monkeypatch: pytest.MonkeyPatch) -> VirtualTime:
    fake = VirtualTime(mock)
    monkeypatch.setattr(polling, "time", fake)
    return fake


def scenario(name: str) -> dict[str, Any]:
    """Per-request options that pick a mock scenario (the SDK passes extra headers through)."""
    return {"extra_headers": {"X-Taskmock-Scenario": name}}


def start(client: RunwayML, name: str | None = None) -> Any:
    return client.image_to_video.create(
        model="gen4.5",
        prompt_image=IMAGE,
        prompt_text="A cat surfing a wave at sunset",
        ratio="1280:720",
        duration=5,
        **(scenario(name) if name else {}),
    )


def test_create_wait_and_download(
    client: RunwayML, mock: PackMock, virtual_time: VirtualTime
) -> None:
    created = start(client)
    assert created.estimated_cost is not None
    assert created.estimated_cost.credits > 0
    first = client.tasks.retrieve(created.id)
    assert first.status == "PENDING"
    assert type(first).__name__.endswith("Pending")  # the SDK's union member for the state
    task = created.wait_for_task_output()
    assert task.status == "SUCCEEDED"
    assert virtual_time.sleeps
    assert all(4.5 <= s <= 7.5 for s in virtual_time.sleeps)
    video = httpx.get(task.output[0], timeout=5)
    assert video.status_code == 200
    assert video.content[4:8] == b"ftyp"
    assert [t["state"] for t in mock.tasks()] == ["SUCCEEDED"]
    assert mock.problems() == []


def test_each_state_has_only_its_own_members(client: RunwayML, mock: PackMock) -> None:
    created = client.text_to_video.create(
        model="gen4.5", prompt_text="A lighthouse in a storm", ratio="1280:720", duration=5
    )
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(30):
        raw = client.tasks.with_raw_response.retrieve(created.id)
        body = raw.http_response.json()
        raw.parse()  # the SDK's own (strict) reading of it
        seen.setdefault(body["status"], body)
        if body["status"] == "SUCCEEDED":
            break
        mock.advance(2)
    assert list(seen) == ["PENDING", "RUNNING", "SUCCEEDED"]
    assert set(seen["PENDING"]) == {"id", "status", "createdAt", "estimatedCost"}
    assert set(seen["RUNNING"]) == {"id", "status", "createdAt", "estimatedCost", "progress"}
    assert 0 <= seen["RUNNING"]["progress"] <= 1
    assert set(seen["SUCCEEDED"]) == {"id", "status", "createdAt", "output", "cost"}


def test_a_failed_task_raises_the_sdk_error(client: RunwayML, virtual_time: VirtualTime) -> None:
    created = start(client, "failure")
    with pytest.raises(TaskFailedError) as raised:
        created.wait_for_task_output()
    details = raised.value.task_details
    assert details.status == "FAILED"
    assert details.failure
    assert details.failure_code == "INTERNAL.BAD_OUTPUT.CODE01"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("failure-safety-input", "SAFETY.INPUT.TEXT"),
        ("failure-safety-output", "SAFETY.OUTPUT.VIDEO"),
        ("failure-preprocessing", "INPUT_PREPROCESSING.SAFETY.TEXT"),
    ],
)
def test_failure_codes(client: RunwayML, virtual_time: VirtualTime, name: str, code: str) -> None:
    with pytest.raises(TaskFailedError) as raised:
        start(client, name).wait_for_task_output()
    assert raised.value.task_details.failure_code == code


def test_throttled_then_runs(client: RunwayML, virtual_time: VirtualTime) -> None:
    created = start(client, "throttled")
    assert client.tasks.retrieve(created.id).status == "THROTTLED"
    assert created.wait_for_task_output(timeout=None).status == "SUCCEEDED"


def test_a_slow_queue_still_ends(client: RunwayML, virtual_time: VirtualTime) -> None:
    created = start(client, "slow-queue")
    assert created.wait_for_task_output(timeout=None).status == "SUCCEEDED"
    assert virtual_time.elapsed >= 120


def test_delete_cancels_a_running_task(client: RunwayML, mock: PackMock) -> None:
    created = start(client)
    mock.advance(10)
    assert client.tasks.retrieve(created.id).status == "RUNNING"
    assert client.tasks.delete(created.id) is None
    cancelled = client.tasks.retrieve(created.id)
    assert cancelled.status == "CANCELLED"
    assert cancelled.cost.credits == 0


def test_delete_removes_a_finished_task(client: RunwayML, virtual_time: VirtualTime) -> None:
    created = start(client)
    created.wait_for_task_output()
    assert client.tasks.delete(created.id) is None
    with pytest.raises(NotFoundError):
        client.tasks.retrieve(created.id)
    with pytest.raises(NotFoundError):
        client.tasks.delete(created.id)


def test_the_sync_wait_does_not_stop_on_cancelled(
    client: RunwayML, virtual_time: VirtualTime
) -> None:
    """The SDK's quirk: the sync helper raises only on FAILED, so a CANCELLED task times out."""
    created = start(client, "cancel")
    with pytest.raises(TaskTimeoutError) as raised:
        created.wait_for_task_output(timeout=120)
    assert raised.value.task_details.status == "CANCELLED"


def test_the_async_wait_raises_on_cancelled(
    mock: PackMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = {"now": 0.0}

    class VirtualAnyio:
        @staticmethod
        async def sleep(seconds: float) -> None:
            clock["now"] += seconds
            mock.advance(seconds)

        @staticmethod
        def current_time() -> float:
            return clock["now"]

    monkeypatch.setattr(polling, "anyio", VirtualAnyio)

    async def run() -> Any:
        async with AsyncRunwayML(
            api_key=mock.key,
            base_url=mock.base_url,
            max_retries=0,
            _strict_response_validation=True,
        ) as runway:
            created = await runway.image_to_video.create(
                model="gen4_turbo", prompt_image=IMAGE, ratio="1280:720", **scenario("cancel")
            )
            return await created.wait_for_task_output()

    with pytest.raises(TaskFailedError) as raised:
        asyncio.run(run())
    assert raised.value.task_details.status == "CANCELLED"


def test_an_unknown_task_is_not_found(client: RunwayML) -> None:
    with pytest.raises(NotFoundError) as raised:
        client.tasks.retrieve(UNKNOWN)
    assert isinstance(raised.value.body, dict)
    assert "error" in raised.value.body


def test_a_bad_key_is_unauthorized(mock: PackMock) -> None:
    with (
        RunwayML(api_key="key_not-hex", base_url=mock.base_url, max_retries=0) as bad,
        pytest.raises(AuthenticationError),
    ):
        bad.tasks.retrieve(UNKNOWN)


def test_a_bad_body_is_a_bad_request(client: RunwayML) -> None:
    with pytest.raises(BadRequestError) as raised:
        client.image_to_video.create(model="gen4.5", prompt_image=IMAGE)  # gen4.5 needs more
    assert "error" in raised.value.body


@pytest.mark.parametrize("version", [Omit(), "2023-01-01"])
def test_the_version_header_is_required(client: RunwayML, version: Any) -> None:
    with pytest.raises(BadRequestError) as raised:
        client.tasks.retrieve(UNKNOWN, extra_headers={"X-Runway-Version": version})
    assert "X-Runway-Version" in raised.value.body["error"]


def test_rate_limited(client: RunwayML, mock: PackMock) -> None:
    created = start(client)
    mock.throttle("tasks_retrieve", 1)
    with pytest.raises(RateLimitError):
        client.tasks.retrieve(created.id)
    assert client.tasks.retrieve(created.id).status == "PENDING"


def test_every_create_endpoint_starts_a_task(client: RunwayML) -> None:
    created = [
        client.video_upscale.create(
            model="magnific_video_upscaler_creative", video_uri="https://example.com/clip.mp4"
        ),
        client.video_to_video.create(
            model="aleph2", video_uri="https://example.com/clip.mp4", prompt_text="in snow"
        ),
        client.character_performance.create(
            model="act_two",
            character={"type": "image", "uri": IMAGE},
            reference={"type": "video", "uri": "https://example.com/act.mp4"},
        ),
    ]
    for task in created:
        assert client.tasks.retrieve(task.id).status == "PENDING"
