"""The Hailuo client against the taskmock fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from examples.hailuo_client import GenerationFailed, HailuoClient
from taskmock.testing import Taskmock


@pytest.fixture
def client(taskmock: Taskmock) -> HailuoClient:
    return HailuoClient(
        taskmock.base_url("hailuo"),
        taskmock.key("hailuo"),
        sleep=taskmock.advance,
        now=lambda: taskmock.now,
    )


def test_generate_wait_download(client: HailuoClient, tmp_path: Path, taskmock: Taskmock) -> None:
    task_id = client.generate("A cat surfing a wave at sunset")
    task = client.wait(task_id)
    assert task["file_id"]
    assert client.download(task, tmp_path / "cat.mp4").read_bytes()[4:8] == b"ftyp"
    assert taskmock.task("hailuo", task_id).state == "Success"


def test_fail_is_reported(client: HailuoClient, taskmock: Taskmock) -> None:
    task = taskmock.create("hailuo", "failure")
    with pytest.raises(GenerationFailed, match="failed"):
        client.wait(str(task.id))


def test_an_unknown_task_is_a_business_error(client: HailuoClient) -> None:
    with pytest.raises(GenerationFailed, match="2013"):
        client.wait("000000000000000")


def test_forced_failure_mid_generation(client: HailuoClient, taskmock: Taskmock) -> None:
    task = taskmock.create("hailuo")
    taskmock.advance(30)
    taskmock.fail(task)
    with pytest.raises(GenerationFailed):
        client.wait(str(task.id))
