"""Severity follows provenance: an answer that contradicts a documented fact is an error; one that
only differs from what the spec marks inferred (an HTTP status nobody documented, an error shape we
guessed) is a warning, which fails a run only with `--strict`."""

from __future__ import annotations

from taskmock._checks.lifecycle import ERROR, WARNING
from taskmock._checks.schema import Violation
from taskmock._core.contract import Contract

__all__ = ["NOT_FOUND", "REFUSAL", "TASK", "expected_sources", "of_source", "violation_severity"]

#: What a request expects back: the task, a refusal of its credential, or "no such task".
TASK, REFUSAL, NOT_FOUND = "task", "refusal", "not-found"

_STATUSES = {REFUSAL: (401, 403), NOT_FOUND: (404, 410)}
_MEANINGS = {REFUSAL: "unauthorized", NOT_FOUND: "not-found"}


def of_source(source: str | None) -> str:
    """The severity of breaking an expectation of this provenance."""
    return WARNING if source == "inferred" else ERROR


def expected_sources(contract: Contract, expecting: str) -> list[str]:
    """The provenance of every answer the spec documents for what a request expects."""
    statuses = contract.declared_statuses()
    if expecting == TASK:
        wanted = [s for s in statuses if 200 <= s < 300]
    else:
        wanted = [s for s in statuses if s in _STATUSES[expecting]]
    sources = [contract.response_source(s) or "?" for s in wanted]
    meaning = _MEANINGS.get(expecting)
    business = contract.business
    if meaning is not None and business is not None and business.codes.get(meaning):
        sources.append(business.source)
    return sources


def violation_severity(
    contract: Contract, violation: Violation, status: int, expecting: str
) -> str:
    """How serious a schema violation of an answer is, given what the spec says and how it knows.

    An undocumented status is a warning when the spec's status codes are inferred, or when every
    answer it documents for this kind of request is; any other violation is a warning when the
    response documented for that status is inferred.
    """
    if violation.rule == "status-code":
        sources = expected_sources(contract, expecting)
        guessed = contract.status_codes_inferred or (
            bool(sources) and all(s == "inferred" for s in sources)
        )
        return WARNING if guessed else ERROR
    return of_source(contract.response_source(status))
