"""A TensorPix client: start a job, wait for it with backoff and a timeout, download the result.

`sleep` and `now` are injectable so tests can run it on the mock's virtual clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from examples._http import HTTPStatusError, call, download

IN_QUEUE, PROCESSING, FINISHED, FAILED, CANCELED = 0, 1, 2, -1, -2


class JobFailed(Exception):
    """The job ended as Failed (-1) or Canceled (-2)."""


class TensorPixClient:
    """Enhance videos with TensorPix and fetch the results."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        sleep: Callable[[float], Any] = time.sleep,
        now: Callable[[], float] = time.monotonic,
        timeout: float = 1800.0,
        first_delay: float = 2.0,
        max_delay: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Token {api_key}"}
        self.sleep, self.now, self.timeout = sleep, now, timeout
        self.first_delay, self.max_delay = first_delay, max_delay

    def enhance(self, input_video: int, ml_models: list[int], *, preview: bool = False) -> int:
        """Start a job on an uploaded video; returns its id."""
        body = {"input_video": input_video, "ml_models": ml_models, "preview": preview}
        return int(call("POST", f"{self.base_url}/api/jobs/", self.headers, body)["id"])

    def job(self, job_id: int) -> dict[str, Any]:
        """The job as it is now; a 429 is retried after the Retry-After the server asks for."""
        for _ in range(10):
            try:
                return dict(call("GET", f"{self.base_url}/api/jobs/{job_id}/", self.headers))
            except HTTPStatusError as error:
                if error.status != 429:
                    raise
                self.sleep(float(error.retry_after or self.first_delay))
        raise TimeoutError(f"job {job_id}: still throttled after 10 tries")

    def wait(self, job_id: int) -> dict[str, Any]:
        """Poll until the job is finished; JobFailed if it fails, TimeoutError past the timeout.

        The delay doubles from `first_delay` up to `max_delay`; jobs can sit In Queue for minutes.
        """
        deadline = self.now() + self.timeout
        delay = self.first_delay
        while True:
            job = self.job(job_id)
            if job["status"] == FINISHED:
                return job
            if job["status"] in (FAILED, CANCELED):
                raise JobFailed(f"job {job_id} ended with status {job['status']}")
            if self.now() + delay > deadline:
                raise TimeoutError(
                    f"job {job_id} still has status {job['status']} after {self.timeout} s"
                )
            self.sleep(delay)
            delay = min(delay * 2, self.max_delay)

    def cancel(self, job_id: int) -> None:
        """Stop the job (it becomes Canceled)."""
        call("DELETE", f"{self.base_url}/api/jobs/{job_id}/", self.headers)

    def download(self, job: dict[str, Any], destination: Path) -> Path:
        """Save the finished job's enhanced video."""
        destination.write_bytes(download(job["output_video"]["file"]))
        return destination
