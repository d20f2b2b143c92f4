"""A Kokoon SR v4 client: create an SR task, wait for `done`, report progress as frames.

The token is a raw JWT sent without a prefix. Kokoon documents no cancel endpoint and no HTTP
status codes; errors carry `{"message": ...}`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from examples._http import call

FAILED = {"error", "cancel"}


class TaskFailed(Exception):
    """The task ended in `error` or `cancel`."""


class KokoonClient:
    """Super-resolution tasks on Kokoon."""

    def __init__(
        self,
        base_url: str,
        jwt: str,
        *,
        sleep: Callable[[float], Any] = time.sleep,
        now: Callable[[], float] = time.monotonic,
        timeout: float = 3600.0,
        interval: float = 5.0,
        on_progress: Callable[[int, int], Any] | None = None,
    ) -> None:
        self.api = base_url.rstrip("/") + "/kokoon/api/sr/v4"
        self.headers = {"Authorization": jwt}
        self.sleep, self.now, self.timeout, self.interval = sleep, now, timeout, interval
        self.on_progress = on_progress

    def upscale(self, vid: str, width: int, height: int, *, preview: bool = False) -> str:
        """Start an SR (or SR_PREVIEW) task on an uploaded video; returns its tid."""
        body = {
            "task_type": "SR_PREVIEW" if preview else "SR",
            "ai_model_name": "bluewhale",
            "use_film_grain": False,
            "use_color_grading": False,
            "vid": vid,
            "width": width,
            "height": height,
        }
        return str(call("POST", f"{self.api}/task", self.headers, body)["tid"])

    def wait(self, tid: str) -> dict[str, Any]:
        """Poll until `done`; TaskFailed on error or cancel, TimeoutError past the timeout."""
        deadline = self.now() + self.timeout
        while True:
            task = call("GET", f"{self.api}/task/{tid}", self.headers)
            if self.on_progress and task["step"] == "running":
                self.on_progress(int(task["progress"]), int(task["sr_nb_frames"]))
            if task["step"] == "done":
                return dict(task)
            if task["step"] in FAILED:
                raise TaskFailed(f"task {tid}: {task['step']} ({task.get('result_message')})")
            if self.now() + self.interval > deadline:
                raise TimeoutError(f"task {tid} still {task['step']} after {self.timeout} s")
            self.sleep(self.interval)
