"""Protocol checks: a request without a credential, or with a malformed one, is refused; an unknown
id gets the documented error shape. Pure functions of (spec, response)."""

from __future__ import annotations

import json
from typing import Any

from taskmock.checks.lifecycle import ERROR, WARNING, Finding
from taskmock.checks.schema import response_violations
from taskmock.core.spec import Operation, Spec

__all__ = ["refused_findings", "unknown_id_findings"]


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _business_error(data: Any) -> bool:
    """MiniMax-style refusal: HTTP 200 with a non-zero base_resp.status_code."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("base_resp"), dict)
        and data["base_resp"].get("status_code") not in (0, None)
    )


def refused_findings(
    rule: str, spec: Spec, operation: Operation, status: int, content_type: str, body: bytes
) -> list[Finding]:
    """A request with a missing or malformed credential must be refused, in a documented shape."""
    refused = status in (401, 403) or (200 <= status < 300 and _business_error(_json(body)))
    if not refused:
        return [
            Finding(
                rule,
                ERROR,
                "the request was not refused",
                path="",
                expected="401 or 403",
                actual=status,
            )
        ]
    return _shape_findings(rule, "refusal", spec, operation, status, content_type, body)


def unknown_id_findings(
    spec: Spec, operation: Operation, status_field: str, status: int, content_type: str, body: bytes
) -> list[Finding]:
    """An unknown id must get the documented error answer, not a task."""
    data = _json(body)
    if status in (401, 403) or (
        isinstance(data, dict) and (data.get("base_resp") or {}).get("status_code") == 1004
    ):
        return [
            Finding(
                "unknown-id",
                ERROR,
                "the credential was refused, so the unknown id could not be probed (check --token)",
                expected="the not-found answer",
                actual=status,
            )
        ]
    answered_a_task = isinstance(data, dict) and status_field in data
    if 200 <= status < 300 and not _business_error(data) and answered_a_task:
        return [
            Finding(
                "unknown-id",
                ERROR,
                "an unknown id answered a task",
                expected="an error",
                actual=status,
            )
        ]
    return _shape_findings("unknown-id", "error", spec, operation, status, content_type, body)


def _shape_findings(
    rule: str,
    what: str,
    spec: Spec,
    operation: Operation,
    status: int,
    content_type: str,
    body: bytes,
) -> list[Finding]:
    """The answer's schema violations, reported under `rule`."""
    return [
        Finding(
            rule,
            _severity(spec, v.rule),
            f"{what} not in the documented shape: {v.message}",
            path=v.pointer,
            expected=v.expected,
            actual=v.actual,
        )
        for v in response_violations(spec, operation, status, content_type, body)
    ]


def _severity(spec: Spec, violation_rule: str) -> str:
    inferred_codes = spec.document.get("info", {}).get("x-status-codes") == "inferred"
    return WARNING if violation_rule == "status-code" and inferred_codes else ERROR
