"""The one HTTP helper the example clients share (standard library only, like many real clients)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class HTTPStatusError(Exception):
    """A response outside 2xx."""

    def __init__(self, status: int, body: Any, retry_after: str | None = None) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status, self.body, self.retry_after = status, body, retry_after


def call(method: str, url: str, headers: dict[str, str], body: Any = None) -> Any:
    """Send a JSON request; return the decoded JSON answer (None for an empty one)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={**headers, **({"Content-Type": "application/json"} if data else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        with error:  # an HTTPError holds the response socket: close it
            raw = error.read()
        body = json.loads(raw) if raw else None
        raise HTTPStatusError(error.code, body, error.headers.get("Retry-After")) from None
    return json.loads(raw) if raw else None


def download(url: str, headers: dict[str, str] | None = None) -> bytes:
    """The bytes at `url`."""
    with urllib.request.urlopen(
        urllib.request.Request(url, headers=headers or {}), timeout=30
    ) as response:
        return bytes(response.read())
