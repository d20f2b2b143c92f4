"""Protocol checks: a request without a credential, with a malformed one, or with a bare token
where the spec documents a prefix, is refused; an unknown id gets the documented not-found answer.
Pure functions of (contract, response)."""

from __future__ import annotations

import json
from typing import Any

from taskmock._checks.lifecycle import ERROR, Finding
from taskmock._checks.schema import response_violations
from taskmock._checks.severity import NOT_FOUND, REFUSAL, of_source, violation_severity
from taskmock._core.contract import Contract

__all__ = ["refused_findings", "unknown_id_findings"]


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def refused_findings(
    rule: str, contract: Contract, status: int, content_type: str, body: bytes
) -> list[Finding]:
    """A request with a missing or malformed credential must be refused, in a documented shape."""
    data = _json(body)
    business = contract.business
    in_body = business is not None and business.is_error(data)
    if not (status in (401, 403) or (200 <= status < 300 and in_body)):
        expected = "401 or 403" + (" or a business error" if business is not None else "")
        source = contract.credential.source if contract.credential else None
        return [
            Finding(
                rule,
                of_source(source),
                "the request was not refused",
                expected=expected,
                actual=status,
            )
        ]
    found = []
    if business is not None and business.is_error(data):
        codes = business.codes.get("unauthorized")
        if codes and not business.means(data, "unauthorized"):
            found.append(
                Finding(
                    rule,
                    of_source(business.source),
                    "refused with a code that does not mean unauthorized",
                    path=business.at,
                    expected=list(codes),
                    actual=business.code(data),
                )
            )
    return found + _shape_findings(rule, "refusal", REFUSAL, contract, status, content_type, body)


def unknown_id_findings(
    contract: Contract, status: int, content_type: str, body: bytes
) -> list[Finding]:
    """An unknown id must get the documented not-found answer, not a task."""
    data = _json(body)
    business = contract.business
    if status in (401, 403) or (business is not None and business.means(data, "unauthorized")):
        return [
            Finding(
                "unknown-id",
                ERROR,
                "the credential was refused, so the unknown id could not be probed (check --token)",
                expected="the not-found answer",
                actual=status,
            )
        ]
    in_body = business is not None and business.is_error(data)
    if 200 <= status < 300 and not in_body and contract.lifecycle.state_of(data) is not None:
        return [
            Finding(
                "unknown-id",
                ERROR,
                "an unknown id answered a task",
                expected="an error",
                actual=status,
            )
        ]
    found = []
    if business is not None and in_body:
        codes = business.codes.get("not-found")
        if codes and not business.means(data, "not-found"):
            found.append(
                Finding(
                    "unknown-id",
                    of_source(business.source),
                    "an unknown id answered a code that does not mean not-found",
                    path=business.at,
                    expected=list(codes),
                    actual=business.code(data),
                )
            )
    return found + _shape_findings(
        "unknown-id", "error", NOT_FOUND, contract, status, content_type, body
    )


def _shape_findings(
    rule: str,
    what: str,
    expecting: str,
    contract: Contract,
    status: int,
    content_type: str,
    body: bytes,
) -> list[Finding]:
    """The answer's schema violations, reported under `rule`, as serious as their provenance."""
    return [
        Finding(
            rule,
            violation_severity(contract, v, status, expecting),
            f"{what} not in the documented shape: {v.message}",
            path=v.pointer,
            expected=v.expected,
            actual=v.actual,
        )
        for v in response_violations(contract.spec, contract.poll, status, content_type, body)
    ]
