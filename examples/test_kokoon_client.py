"""The Kokoon client against the taskmock fixture."""

from __future__ import annotations

import pytest

from examples.kokoon_client import KokoonClient, TaskFailed
from taskmock.testing import Taskmock


def test_upscale_reports_progress_in_frames(taskmock: Taskmock) -> None:
    seen: list[tuple[int, int]] = []
    client = KokoonClient(
        taskmock.base_url("kokoon"),
        taskmock.token("kokoon"),
        sleep=taskmock.advance,
        now=lambda: taskmock.now,
        on_progress=lambda done, total: seen.append((done, total)),
    )
    tid = client.upscale("a600c7e0-b5d3-11ee-8bc1-e3593f7b2d5c", 1280, 720)
    task = client.wait(tid)
    assert task["step"] == "done"
    assert task["result_message"] == "success"
    assert seen
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert all(total == 300 for _, total in seen)


def test_preview_tasks_return_preview_urls(taskmock: Taskmock) -> None:
    client = KokoonClient(
        taskmock.base_url(),
        taskmock.token("kokoon"),
        sleep=taskmock.advance,
        now=lambda: taskmock.now,
    )
    task = client.wait(
        client.upscale("a600c7e0-b5d3-11ee-8bc1-e3593f7b2d5c", 1280, 720, preview=True)
    )
    assert task["task_type"] == "SR_PREVIEW"
    assert task["preview_sr_url"]


@pytest.mark.parametrize(("scenario", "step"), [("failure", "error"), ("cancel", "cancel")])
def test_error_and_cancel_raise(taskmock: Taskmock, scenario: str, step: str) -> None:
    client = KokoonClient(
        taskmock.base_url(),
        taskmock.token("kokoon"),
        sleep=taskmock.advance,
        now=lambda: taskmock.now,
    )
    task = taskmock.create("kokoon", scenario)
    with pytest.raises(TaskFailed, match=step):
        client.wait(str(task.id))
