"""A small client for the official Kling API (v1 video endpoints), written from its documents.

Kling ships no official SDK, so this client stands in for one. It does what the "General
Information" page says a caller must do: sign a JWT for every request with PyJWT (header
{"alg": "HS256", "typ": "JWT"}, payload {"iss": access key, "exp": now + 1800, "nbf": now - 5},
signed with the secret key) and send it as `Authorization: Bearer <token>`. Every answer is the
envelope {code, message, request_id, data}; a non-zero `code` is an error (the service codes of
the error table), and a task ends in `succeed` or `failed` (with `task_status_msg`).

Time and waiting are injectable (`clock`, and `sleep` on `wait`) so a test can drive a mock's
virtual clock instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import httpx
import jwt

__all__ = [
    "ACTIONS",
    "KlingAPIError",
    "KlingAuthError",
    "KlingClient",
    "KlingRateLimitError",
    "KlingTaskFailed",
    "encode_jwt_token",
]

#: The task families of the v1 video endpoints (`/v1/videos/{action}`).
ACTIONS = ("text2video", "image2video")
DEFAULT_BASE_URL = "https://api-singapore.klingai.com"
TERMINAL = frozenset({"succeed", "failed"})


class KlingAPIError(Exception):
    """A non-zero service code (or a non-JSON answer), with the HTTP status and request id."""

    def __init__(self, http_status: int, code: int | None, message: str, request_id: str | None):
        super().__init__(f"HTTP {http_status}, code {code}: {message} (request_id {request_id})")
        self.http_status = http_status
        self.code = code
        self.message = message
        self.request_id = request_id


class KlingAuthError(KlingAPIError):
    """401: 1000 failed, 1001 empty, 1002 invalid, 1003 not yet valid, 1004 expired."""


class KlingRateLimitError(KlingAPIError):
    """429: account (1100-1102) or policy (1302 too many requests, 1303 parallel-task limit)."""


class KlingTaskFailed(Exception):
    """A task that ended `failed`; `reason` is its `task_status_msg`."""

    def __init__(self, task: Mapping[str, Any]):
        self.task = dict(task)
        self.reason = str(task.get("task_status_msg") or "")
        super().__init__(f"task {task.get('task_id')} failed: {self.reason}")


def encode_jwt_token(access_key: str, secret_key: str, now: float, ttl: int = 1800) -> str:
    """The API token exactly as the documents' Python sample makes it."""
    headers = {"alg": "HS256", "typ": "JWT"}
    payload = {"iss": access_key, "exp": int(now) + ttl, "nbf": int(now) - 5}
    return jwt.encode(payload, secret_key, headers=headers)


class KlingClient:
    """Create, query, list and wait for Kling video tasks; download their videos."""

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        clock: Callable[[], float] = time.time,
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.clock = clock
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            headers=dict(headers or {}),
            transport=transport,
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> KlingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the API -------------------------------------------------------------------------

    def create_text2video(self, prompt: str, **params: Any) -> dict[str, Any]:
        """POST /v1/videos/text2video; returns `data` (task_id, task_status submitted, ...)."""
        data = self._call("POST", "/v1/videos/text2video", json={"prompt": prompt, **params})
        return cast(dict[str, Any], data)

    def create_image2video(self, image: str, **params: Any) -> dict[str, Any]:
        """POST /v1/videos/image2video; `image` is a URL or raw Base64 (no data: prefix)."""
        data = self._call("POST", "/v1/videos/image2video", json={"image": image, **params})
        return cast(dict[str, Any], data)

    def get_task(self, action: str, task_id: str) -> dict[str, Any]:
        """GET /v1/videos/{action}/{task_id}; returns the task object (`data`)."""
        return cast(dict[str, Any], self._call("GET", f"/v1/videos/{_action(action)}/{task_id}"))

    def list_tasks(self, action: str, page_num: int = 1, page_size: int = 30) -> list[Any]:
        """GET /v1/videos/{action}?pageNum=&pageSize=; returns the tasks of one page."""
        params = {"pageNum": page_num, "pageSize": page_size}
        return cast(list[Any], self._call("GET", f"/v1/videos/{_action(action)}", params=params))

    def wait(
        self,
        action: str,
        task_id: str,
        *,
        interval: float = 10.0,
        timeout: float = 1800.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> dict[str, Any]:
        """Poll until the task ends. Returns it at `succeed`; raises KlingTaskFailed at `failed`.

        `timeout` counts the seconds slept, so a test's fake `sleep` bounds it too.
        """
        waited = 0.0
        while True:
            task = self.get_task(action, task_id)
            status = task.get("task_status")
            if status == "succeed":
                return task
            if status == "failed":
                raise KlingTaskFailed(task)
            if waited >= timeout:
                raise TimeoutError(f"task {task_id} still {status} after {waited:.0f} s")
            sleep(interval)
            waited += interval

    def download(self, task: Mapping[str, Any], path: str | Path, index: int = 0) -> Path:
        """Save the task's `index`-th video (task_result.videos[index].url) to `path`."""
        url = task["task_result"]["videos"][index]["url"]
        target = Path(path)
        with httpx.stream("GET", url, timeout=self._http.timeout, follow_redirects=True) as answer:
            answer.raise_for_status()
            with target.open("wb") as out:
                for chunk in answer.iter_bytes():
                    out.write(chunk)
        return target

    # --- plumbing ------------------------------------------------------------------------

    def token(self) -> str:
        """A fresh API token: the documents ask for one per request."""
        return encode_jwt_token(self.access_key, self.secret_key, self.clock())

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"}
        answer = self._http.request(method, path, headers=headers, **kwargs)
        try:
            body = answer.json()
        except ValueError:
            raise KlingAPIError(answer.status_code, None, answer.text[:200], None) from None
        code = body.get("code") if isinstance(body, dict) else None
        if answer.status_code != 200 or code != 0:
            error = {401: KlingAuthError, 429: KlingRateLimitError}.get(
                answer.status_code, KlingAPIError
            )
            raise error(
                answer.status_code,
                code,
                str(body.get("message", "")) if isinstance(body, dict) else str(body),
                body.get("request_id") if isinstance(body, dict) else None,
            )
        return body.get("data")


def _action(action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
    return action
