"""Transport-neutral HTTP messages, and the answers the mock builds from them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from taskmock._core.template import dumps

__all__ = ["JSON", "PROBLEM_JSON", "Request", "Response", "json_response", "problem"]

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"


@dataclass(slots=True)
class Request:
    """An HTTP request as every adapter hands it to the app. Header names are lower case."""

    method: str
    path: str
    query_string: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    base_url: str = "http://127.0.0.1"

    @property
    def query(self) -> dict[str, list[str]]:
        """The query parameters, each with all its values."""
        return parse_qs(self.query_string, keep_blank_values=True)

    def query_value(self, name: str) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def content_type(self) -> str:
        """The media type of the body, without parameters."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass(slots=True)
class Response:
    """An HTTP response: status, headers and a body of bytes."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        """The Content-Type header, if any."""
        return next((v for k, v in self.headers if k.lower() == "content-type"), "")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def _dumps(data: Any) -> bytes:
    return dumps(data).encode()


def json_response(
    status: int, data: Any, content_type: str = JSON, headers: list[tuple[str, str]] | None = None
) -> Response:
    """A JSON response."""
    return Response(status, _dumps(data), [("content-type", content_type), *(headers or [])])


def problem(status: int, slug: str, title: str, detail: str = "", **extra: Any) -> Response:
    """An RFC 9457 problem document (the control plane's error shape, and for unmatched routes)."""
    body: dict[str, Any] = {
        "type": f"urn:taskmock:problem:{slug}",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return json_response(status, body, PROBLEM_JSON)
