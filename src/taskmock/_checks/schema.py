"""Schema check: is a response one the spec allows (status, content type, body)?"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError

from taskmock._core.source import pointer_of
from taskmock._core.spec import Operation, Spec

__all__ = ["Violation", "response_violations"]


@dataclass(frozen=True)
class Violation:
    """One way a response breaks the spec: where (JSON pointer), what was expected, what came."""

    rule: str
    pointer: str
    message: str
    expected: Any = None
    actual: Any = None

    def __str__(self) -> str:
        return f"[{self.rule}] {self.pointer or '/'}: {self.message}"


def response_violations(
    spec: Spec, operation: Operation, status: int, content_type: str, body: bytes
) -> list[Violation]:
    """Every way a response to `operation` breaks the spec; empty when it conforms."""
    responses = operation.raw.get("responses", {})
    declared = (
        responses.get(str(status))
        or responses.get(f"{str(status)[0]}XX")
        or responses.get("default")
    )
    if declared is None:
        return [
            Violation(
                "status-code",
                "",
                f"status {status} is not documented for {operation.operation_id}",
                sorted(responses),
                status,
            )
        ]
    declared = spec.resolve(declared)
    content = declared.get("content") or {}
    media = content_type.split(";", 1)[0].strip().lower()
    if not content:
        if body:
            return [
                Violation(
                    "body",
                    "",
                    f"status {status} documents no body, got {len(body)} bytes",
                    None,
                    len(body),
                )
            ]
        return []
    if media not in content:
        return [
            Violation(
                "content-type",
                "",
                f"content type {media or 'none'!r} is not documented",
                sorted(content),
                media,
            )
        ]
    schema = content[media].get("schema")
    if schema is None or not media.endswith("json"):
        return []
    try:
        data = json.loads(body)
    except ValueError as exc:
        return [Violation("body", "", f"body is not JSON: {exc}", "JSON", body[:80])]
    errors = sorted(spec.validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    return [_violation(error) for error in errors]


def _violation(error: ValidationError) -> Violation:
    # For anyOf/oneOf, report the branch that came closest (fewest errors, then the deepest one)
    # rather than "not valid under any of the given schemas".
    while error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        closest = min(branches.values(), key=len)
        error = max(closest, key=lambda e: len(e.absolute_path))
    return Violation(
        "schema",
        pointer_of(error.absolute_path),
        error.message,
        error.validator_value,
        error.instance,
    )
