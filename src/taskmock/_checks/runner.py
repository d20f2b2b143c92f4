"""Run the checks against a target over HTTP: poll tasks within a budget, probe the protocol.

The same runner serves a live API and the mock; all it knows of the API is its spec (read through
`Contract`). `sleep` and `now` are injectable so tests can run it on the mock's virtual clock.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from taskmock._checks.lifecycle import ERROR, WARNING, Finding, Poll, lifecycle_findings
from taskmock._checks.protocol import refused_findings, unknown_id_findings
from taskmock._checks.schema import response_violations
from taskmock._checks.severity import TASK, violation_severity
from taskmock._core.contract import Contract
from taskmock._core.spec import Spec
from taskmock.errors import TaskmockError

__all__ = [
    "Budget",
    "CheckRun",
    "Exchange",
    "HttpTarget",
    "Unreachable",
    "credential_headers",
    "poll_headers",
    "rate_limited",
    "run_checks",
]


class Unreachable(TaskmockError):
    """The target could not be reached at all."""


class Budget(TaskmockError):
    """The request budget (--max-requests) is spent."""


@dataclass(frozen=True)
class Exchange:
    """One request and its answer."""

    status: int
    content_type: str
    body: bytes
    retry_after: float | None = None


def _http_429(exchange: Exchange) -> bool:
    return exchange.status == 429


@dataclass
class HttpTarget:
    """A base URL reached with urllib, within a request budget, honouring rate limits."""

    base_url: str
    max_requests: int = 200
    sleep: Callable[[float], Any] = time.sleep
    timeout: float = 30.0
    sent: int = 0
    throttled: int = 0

    def get(
        self,
        path: str,
        headers: dict[str, str],
        limited: Callable[[Exchange], bool] = _http_429,
    ) -> Exchange:
        """GET a path; an answer `limited` calls a rate limit (429 by default) is retried after
        the wait the server asks (Retry-After), or a second."""
        return self.call(("GET", path, None), headers, limited)

    def call(
        self,
        request: tuple[str, str, bytes | None],
        headers: dict[str, str],
        limited: Callable[[Exchange], bool] = _http_429,
    ) -> Exchange:
        """Send (method, path, JSON body or None), retried like `get` while rate-limited."""
        method, path, body = request
        if body is not None:
            headers = {**headers, "Content-Type": "application/json"}
        while True:
            exchange = self.send(method, path, headers, body)
            if not limited(exchange):
                return exchange
            self.throttled += 1
            self.sleep(exchange.retry_after if exchange.retry_after is not None else 1.0)

    def send(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> Exchange:
        """One request, counted against the budget."""
        if self.sent >= self.max_requests:
            raise Budget(f"stopped after {self.sent} requests (--max-requests)")
        self.sent += 1
        request = urllib.request.Request(
            self.base_url.rstrip("/") + path, data=body, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Exchange(
                    response.status,
                    response.headers.get("Content-Type", ""),
                    response.read(),
                    _seconds(response.headers.get("Retry-After")),
                )
        except urllib.error.HTTPError as error:
            with error:
                return Exchange(
                    error.code,
                    error.headers.get("Content-Type", ""),
                    error.read(),
                    _seconds(error.headers.get("Retry-After")),
                )
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise Unreachable(f"cannot reach {self.base_url}: {reason}") from None


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def rate_limited(contract: Contract) -> Callable[[Exchange], bool]:
    """Whether an answer is a rate limit: HTTP 429, or a business code the spec says means one."""
    business = contract.business
    if business is None or not business.codes.get("rate-limited"):
        return _http_429
    return lambda exchange: (
        exchange.status == 429 or business.means(_decode(exchange.body), "rate-limited")
    )


def credential_headers(contract: Contract, token: str | None) -> dict[str, str]:
    """The headers that carry a token (bare, or as the whole header value) to the API."""
    if contract.credential is None or not token:
        return {}
    return {contract.credential.header: contract.credential.value(token)}


def poll_headers(contract: Contract, token: str | None) -> dict[str, str]:
    """What every poll sends: the required header parameters (a version header), the token."""
    return {**contract.poll_headers, **credential_headers(contract, token)}


@dataclass
class CheckRun:
    """Everything a run found, and what it did."""

    api: str
    base_url: str
    findings: list[Finding] = field(default_factory=list)
    polls: dict[str, int] = field(default_factory=dict)
    final_states: dict[str, Any] = field(default_factory=dict)
    checks: list[tuple[str, str]] = field(default_factory=list)  # (check, subject) that ran
    notes: list[str] = field(default_factory=list)
    requests: int = 0

    def failed(self, strict: bool = False) -> bool:
        """Whether any finding fails the run (warnings too, when strict)."""
        return any(f.severity == ERROR or (strict and f.severity == WARNING) for f in self.findings)


def run_checks(
    spec: Spec | Contract,
    target: HttpTarget,
    token: str | None,
    task_ids: list[str],
    *,
    poll_interval: float = 5.0,
    max_wait: float = 600.0,
    now: Callable[[], float] = time.monotonic,
    probes: bool = True,
) -> CheckRun:
    """Poll each task until it is terminal (and once more, to see it stay so) or `max_wait` passes,
    checking every answer against the spec; then probe the protocol."""
    contract = spec if isinstance(spec, Contract) else Contract.from_spec(spec)
    run = CheckRun(contract.api, target.base_url)
    lifecycle = contract.lifecycle
    headers = poll_headers(contract, token)
    limited = rate_limited(contract)
    histories: dict[str, list[Poll]] = {task_id: [] for task_id in task_ids}
    pending = list(task_ids)
    confirming: set[str] = set()  # terminal once: poll one more time to see that it stays terminal
    deadline = now() + max_wait
    try:
        while pending:
            for task_id in list(pending):
                exchange = target.call(contract.request_for(task_id), headers, limited)
                number = len(histories[task_id]) + 1
                run.findings += _schema_findings(contract, exchange, task_id, number)
                body = _decode(exchange.body)
                trouble = _not_a_task(contract, exchange, body)
                if trouble:
                    run.findings.append(
                        Finding(
                            "poll",
                            ERROR,
                            trouble,
                            task_id,
                            actual=exchange.body[:200].decode("utf-8", "replace"),
                            poll=number,
                        )
                    )
                    pending.remove(task_id)
                    continue
                histories[task_id].append(Poll(now(), body))
                state = lifecycle.state_of(body)
                if state is None:
                    run.notes.append(f"stopped following {task_id}: it shows no declared state")
                    pending.remove(task_id)
                elif task_id in confirming:
                    pending.remove(task_id)
                elif state in lifecycle.terminal:
                    confirming.add(task_id)
            if pending:
                if now() + poll_interval > deadline:
                    run.notes.append(f"--max-wait passed; not terminal: {', '.join(pending)}")
                    break
                target.sleep(poll_interval)
        if probes:
            _probe(contract, target, token, headers, limited, task_ids, run)
    except Budget as exc:
        run.notes.append(str(exc))
    for task_id, history in histories.items():
        run.polls[task_id] = len(history)
        if history:
            run.final_states[task_id] = lifecycle.state_of(history[-1].body)
            run.checks += [("schema", task_id), ("lifecycle", task_id)]
            run.findings += lifecycle_findings(lifecycle, task_id, history)
    if target.throttled:
        run.notes.append(f"throttled {target.throttled} time(s); waited as the server asked")
    run.requests = target.sent
    return run


def _schema_findings(
    contract: Contract, exchange: Exchange, task_id: str, number: int
) -> list[Finding]:
    return [
        Finding(
            "schema",
            violation_severity(contract, v, exchange.status, TASK),
            v.message,
            task_id,
            None,
            v.pointer,
            v.expected,
            v.actual,
            number,
        )
        for v in response_violations(
            contract.spec, contract.poll, exchange.status, exchange.content_type, exchange.body
        )
    ]


def _not_a_task(contract: Contract, exchange: Exchange, body: Any) -> str:
    """Why a poll's answer is not the task ("" when it is one)."""
    if not 200 <= exchange.status < 300 or not isinstance(body, dict):
        return f"poll answered {exchange.status}, not the task"
    business = contract.business
    # A failed task whose body carries its reason as a business code is still the task.
    failed_task = (
        business is not None
        and business.means(body, "task-failure")
        and contract.lifecycle.state_of(body) in contract.lifecycle.terminal
    )
    if business is not None and business.is_error(body) and not failed_task:
        meaning = next((m for m in business.codes if business.means(body, m)), "an error")
        return (
            f"poll answered {exchange.status} with business code {business.code(body)!r} "
            f"({meaning}), not the task"
        )
    return ""


def _probe(
    contract: Contract,
    target: HttpTarget,
    token: str | None,
    headers: dict[str, str],
    limited: Callable[[Exchange], bool],
    task_ids: list[str],
    run: CheckRun,
) -> None:
    known = task_ids[0] if task_ids else "1"
    credential = contract.credential
    probes: list[tuple[str, dict[str, str]]] = []
    if credential is not None and credential.required:
        probes += [
            ("credential-required", {}),
            ("credential-checked", {credential.header: "%%% not a credential"}),
        ]
        if token and credential.prefix_required:
            probes.append(("credential-prefix", {credential.header: credential.bare(token)}))
    for rule, sent in probes:  # only the credential differs from a poll
        sent = {**contract.poll_headers, **sent}
        exchange = target.call(contract.request_for(known), sent, limited)
        run.checks.append((rule, known))
        run.findings += [
            replace(f, task_id=known)
            for f in refused_findings(
                rule, contract, exchange.status, exchange.content_type, exchange.body
            )
        ]
    unknown = contract.unknown_id()
    exchange = target.call(contract.request_for(unknown), headers, limited)
    run.checks.append(("unknown-id", unknown))
    run.findings += [
        replace(f, task_id=unknown)
        for f in unknown_id_findings(
            contract, exchange.status, exchange.content_type, exchange.body
        )
    ]


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
