"""Runway's official SDK (`runwayml`) on the mock in this process: no server, no socket, and
virtual time.

`taskmock.httpx_transport()` is an httpx transport; the SDK takes it through the client it is
handed (`http_client=httpx.Client(transport=...)`). The SDK's base URL only has to carry the
API's prefix (`/runway`): its host is never looked up. The video's link names the same host, so
the same client downloads it. Time is the mock's manual clock: `sleep` advances it.

    transport = taskmock.httpx_transport()
    http = httpx.Client(transport=transport)
    runway = RunwayML(api_key=KEY, base_url="https://api.dev.runwayml.com/runway", http_client=http)
    video = image_to_video(runway, http, "https://example.com/cat.jpg", sleep=advance)
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from runwayml import RunwayML
from runwayml.types import TaskRetrieveResponse

__all__ = ["GenerationFailed", "image_to_video", "wait_for"]

#: The SDK's own waiting helper polls every 6 seconds (with jitter); so do we.
POLL_EVERY = 6.0
ENDED = ("SUCCEEDED", "FAILED", "CANCELLED")


class GenerationFailed(Exception):
    """The task ended without a video: FAILED (with its failure code) or CANCELLED."""


def wait_for(
    runway: RunwayML,
    task_id: str,
    sleep: Callable[[float], object],
    timeout: float = 600.0,
) -> TaskRetrieveResponse:
    """Poll a task until it ends; `sleep` is injected, so time can be virtual."""
    waited = 0.0
    task = runway.tasks.retrieve(task_id)
    while task.status not in ENDED:
        if waited >= timeout:
            raise GenerationFailed(f"task {task_id} still {task.status} after {timeout:g} s")
        sleep(POLL_EVERY)
        waited += POLL_EVERY
        task = runway.tasks.retrieve(task_id)
    return task


def image_to_video(
    runway: RunwayML,
    http: httpx.Client,
    image_url: str,
    sleep: Callable[[float], object],
    prompt: str = "A cat surfing a wave at sunset",
) -> bytes:
    """Start a 5-second gen4_turbo video from an image, wait for it, and download it."""
    created = runway.image_to_video.create(
        model="gen4_turbo",
        prompt_image=image_url,
        prompt_text=prompt,
        ratio="1280:720",
        duration=5,
    )
    task = wait_for(runway, created.id, sleep)
    if task.status == "FAILED":
        raise GenerationFailed(f"{task.failure_code}: {task.failure}")
    if task.status != "SUCCEEDED":
        raise GenerationFailed(f"task {task.id} was {task.status}")
    return http.get(task.output[0]).raise_for_status().content
