"""Runway's official SDK through `taskmock.httpx_transport()`: from create to download, no server,
on virtual time (the transports issue's example with a real vendor SDK)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from runwayml import RunwayML

import taskmock
from examples.runway_in_process import GenerationFailed, image_to_video, wait_for
from taskmock._transports.httpx import InProcessTransport
from taskmock.testing import Taskmock

KEY = "key_" + "0123456789abcdef" * 8  # the documented shape: key_ and 128 hex digits
IMAGE = "https://example.com/cat.jpg"


@pytest.fixture
def transport() -> InProcessTransport:
    return taskmock.httpx_transport()  # every API, manual clock, seed 0


@pytest.fixture
def http(transport: InProcessTransport) -> Iterator[httpx.Client]:
    with httpx.Client(transport=transport) as client:
        yield client


@pytest.fixture
def runway(http: httpx.Client) -> RunwayML:
    # The vendor's host, with the mock's prefix for the API: nothing is looked up or dialled.
    return RunwayML(api_key=KEY, base_url="https://api.dev.runwayml.com/runway", http_client=http)


@pytest.fixture
def mock(transport: InProcessTransport) -> Taskmock:
    return Taskmock(transport.mock, "https://api.dev.runwayml.com")  # the fixture's test handle


def test_the_sdk_runs_a_task_from_create_to_download(
    runway: RunwayML, http: httpx.Client, mock: Taskmock
) -> None:
    started = mock.now
    video = image_to_video(runway, http, IMAGE, sleep=mock.advance)
    assert video[4:8] == b"ftyp"  # a real MP4
    assert 15 <= mock.now - started <= 60  # virtual seconds: the test took none of them
    # The SDK's task (the others are the spec's example tasks, public, planted by default).
    assert [t.state for t in mock.tasks("runway") if t.record.owner] == ["SUCCEEDED"]


def test_a_failed_task_says_its_failure_code(
    runway: RunwayML, http: httpx.Client, mock: Taskmock
) -> None:
    failing = runway.with_options(default_headers={"X-Taskmock-Scenario": "failure"})
    with pytest.raises(GenerationFailed, match=r"INTERNAL\.BAD_OUTPUT\.CODE01"):
        image_to_video(failing, http, IMAGE, sleep=mock.advance)


def test_the_control_plane_is_reached_through_the_same_transport(
    runway: RunwayML, http: httpx.Client
) -> None:
    created = runway.text_to_video.create(
        model="gen4.5", prompt_text="A lighthouse", ratio="1280:720", duration=5
    )
    advance = "https://api.dev.runwayml.com/__taskmock/clock/advance"
    task = wait_for(runway, created.id, sleep=lambda s: http.post(advance, json={"seconds": s}))
    assert task.status == "SUCCEEDED"
