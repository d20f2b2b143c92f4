"""Run the checks against a target over HTTP: poll tasks within a budget, probe the protocol.

The same runner serves a live vendor API and the mock; `sleep` and `now` are injectable so tests
can run it on the mock's virtual clock.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from taskmock.checks.lifecycle import ERROR, WARNING, Finding, Poll, lifecycle_findings
from taskmock.checks.protocol import refused_findings, unknown_id_findings
from taskmock.checks.schema import response_violations
from taskmock.core import roles
from taskmock.core.scenario import Behaviour
from taskmock.errors import TaskmockError

__all__ = [
    "Budget",
    "CheckRun",
    "Exchange",
    "HttpTarget",
    "Unreachable",
    "credential_header",
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


@dataclass
class HttpTarget:
    """A base URL reached with urllib, within a request budget, honouring 429 and Retry-After."""

    base_url: str
    max_requests: int = 200
    sleep: Callable[[float], Any] = time.sleep
    timeout: float = 30.0
    sent: int = 0
    throttled: int = 0

    def get(self, path: str, headers: dict[str, str]) -> Exchange:
        """GET a path; a 429 (or MiniMax's code 1002) is retried after the wait the server asks."""
        while True:
            exchange = self._send(path, headers)
            wait = _throttle_wait(exchange)
            if wait is None:
                return exchange
            self.throttled += 1
            self.sleep(wait)

    def _send(self, path: str, headers: dict[str, str]) -> Exchange:
        if self.sent >= self.max_requests:
            raise Budget(f"stopped after {self.sent} requests (--max-requests)")
        self.sent += 1
        request = urllib.request.Request(self.base_url.rstrip("/") + path, headers=headers)
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


def _throttle_wait(exchange: Exchange) -> float | None:
    if exchange.status == 429:
        return exchange.retry_after if exchange.retry_after is not None else 1.0
    if exchange.status == 200 and b'"status_code":1002' in exchange.body.replace(b" ", b""):
        return 1.0  # MiniMax: rate limit, delivered as a business error
    return None


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


def credential_header(behaviour: Behaviour, token: str) -> str:
    """The header value for a token given bare (`abc`) or whole (`Token abc`)."""
    if behaviour.auth.owner(token) is not None:
        return token
    prefix = behaviour.auth.credentials[0][0]
    return prefix + token


def _poll_op(behaviour: Behaviour) -> roles.Poll:
    return behaviour.poll


def run_checks(
    behaviour: Behaviour,
    target: HttpTarget,
    token: str,
    task_ids: list[str],
    *,
    poll_interval: float = 5.0,
    max_wait: float = 600.0,
    now: Callable[[], float] = time.monotonic,
    probes: bool = True,
) -> CheckRun:
    """Poll each task until it is terminal (and once more, to see it stay so) or `max_wait` passes,
    checking every answer; then probe the protocol."""
    run = CheckRun(behaviour.api, target.base_url)
    poll = _poll_op(behaviour)
    spec, lifecycle = behaviour.spec, behaviour.lifecycle
    headers = {behaviour.auth.header: credential_header(behaviour, token)}
    histories: dict[str, list[Poll]] = {task_id: [] for task_id in task_ids}
    pending = list(task_ids)
    confirming: set[str] = set()  # terminal once: poll one more time to see that it stays terminal
    deadline = now() + max_wait
    try:
        while pending:
            for task_id in list(pending):
                exchange = target.get(poll.path_for(task_id), headers)
                for v in response_violations(
                    spec, poll.operation, exchange.status, exchange.content_type, exchange.body
                ):
                    severity = (
                        WARNING if v.rule == "status-code" and _inferred_codes(behaviour) else ERROR
                    )
                    run.findings.append(
                        Finding(
                            "schema",
                            severity,
                            v.message,
                            task_id,
                            None,
                            v.pointer,
                            v.expected,
                            v.actual,
                            len(histories[task_id]) + 1,
                        )
                    )
                body = _decode(exchange.body)
                if (
                    exchange.status != 200
                    or not isinstance(body, dict)
                    or lifecycle.status_field not in body
                ):
                    run.findings.append(
                        Finding(
                            "poll",
                            ERROR,
                            f"poll answered {exchange.status}, not the task",
                            task_id,
                            actual=exchange.body[:200].decode("utf-8", "replace"),
                        )
                    )
                    pending.remove(task_id)
                    continue
                histories[task_id].append(Poll(now(), body))
                if task_id in confirming:
                    pending.remove(task_id)
                elif lifecycle.canonical(body[lifecycle.status_field]) in lifecycle.terminal:
                    confirming.add(task_id)
            if pending:
                if now() + poll_interval > deadline:
                    run.notes.append(f"--max-wait passed; not terminal: {', '.join(pending)}")
                    break
                target.sleep(poll_interval)
        if probes:
            _probe(behaviour, target, headers, task_ids, run)
    except Budget as exc:
        run.notes.append(str(exc))
    for task_id, history in histories.items():
        run.polls[task_id] = len(history)
        if history:
            run.final_states[task_id] = history[-1].body.get(lifecycle.status_field)
            run.checks += [("schema", task_id), ("lifecycle", task_id)]
            run.findings += lifecycle_findings(lifecycle, task_id, history)
    if target.throttled:
        run.notes.append(f"throttled {target.throttled} time(s); waited as Retry-After asked")
    run.requests = target.sent
    return run


def _probe(
    behaviour: Behaviour,
    target: HttpTarget,
    headers: dict[str, str],
    task_ids: list[str],
    run: CheckRun,
) -> None:
    poll = _poll_op(behaviour)
    spec = behaviour.spec
    known = task_ids[0] if task_ids else "1"
    for rule, sent in (
        ("credential-required", {}),
        ("credential-checked", {behaviour.auth.header: "%%% not a credential"}),
    ):
        exchange = target.get(poll.path_for(known), sent)
        run.checks.append((rule, known))
        run.findings += [
            replace(f, task_id=known)
            for f in refused_findings(
                rule, spec, poll.operation, exchange.status, exchange.content_type, exchange.body
            )
        ]
    unknown = "999999999" if behaviour.id_kind == "integer" else "taskmock-probe-unknown-id"
    exchange = target.get(poll.path_for(unknown), headers)
    run.checks.append(("unknown-id", unknown))
    run.findings += [
        replace(f, task_id=unknown)
        for f in unknown_id_findings(
            spec,
            poll.operation,
            behaviour.lifecycle.status_field,
            exchange.status,
            exchange.content_type,
            exchange.body,
        )
    ]


def _inferred_codes(behaviour: Behaviour) -> bool:
    return bool(behaviour.spec.document.get("info", {}).get("x-status-codes") == "inferred")


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
