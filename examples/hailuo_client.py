"""A Hailuo (MiniMax via V-API) client: generate a video, wait, turn the file_id into a download.

MiniMax reports business errors with HTTP 200 and a non-zero `base_resp.status_code`; the V-API page
says `Failed` where MiniMax says `Fail`, so both count as failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from examples._http import call, download

FAILED = {"Fail", "Failed"}


class GenerationFailed(Exception):
    """The task failed, or MiniMax answered with a business error."""


def _checked(answer: dict[str, Any]) -> dict[str, Any]:
    code = answer.get("base_resp", {}).get("status_code", 0)
    if code != 0:
        raise GenerationFailed(f"MiniMax error {code}: {answer['base_resp'].get('status_msg')}")
    return answer


class HailuoClient:
    """Text-to-video with MiniMax Hailuo through V-API."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        sleep: Callable[[float], Any] = time.sleep,
        now: Callable[[], float] = time.monotonic,
        timeout: float = 900.0,
        interval: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"}
        self.sleep, self.now, self.timeout, self.interval = sleep, now, timeout, interval

    def generate(self, prompt: str, *, model: str = "MiniMax-Hailuo-02", duration: int = 6) -> str:
        """Start a generation; returns the task id."""
        body = {"model": model, "prompt": prompt, "duration": duration, "resolution": "768P"}
        answer = _checked(
            call("POST", f"{self.base_url}/task/minimax/v1/video_generation", self.headers, body)
        )
        return str(answer["task_id"])

    def wait(self, task_id: str) -> dict[str, Any]:
        """Poll at a fixed interval until Success; GenerationFailed on Fail; TimeoutError late."""
        deadline = self.now() + self.timeout
        while True:
            task = _checked(call("GET", f"{self.base_url}/task/{task_id}", self.headers))
            if task["status"] == "Success":
                return task
            if task["status"] in FAILED:
                raise GenerationFailed(f"task {task_id} failed")
            if self.now() + self.interval > deadline:
                raise TimeoutError(f"task {task_id} still {task['status']} after {self.timeout} s")
            self.sleep(self.interval)

    def download(self, task: dict[str, Any], destination: Path) -> Path:
        """Resolve the task's file_id and save the video."""
        url = f"{self.base_url}/v1/files/retrieve?file_id={task['file_id']}"
        file = _checked(call("GET", url, self.headers))["file"]
        destination.write_bytes(download(file["download_url"]))
        return destination
