"""Lifecycle checks over the sequence of polls of one task: pure functions of (spec, history).

Each rule is one entry of `LIFECYCLE_RULES` (its name, used in reports and in `--strict`, what it
checks, and the function that checks one poll given what the earlier polls showed); the rule list
in mocks/REFERENCE.md is generated from it. What the documents state is an error; a rule the spec
marks `inferred` gives a warning (field rules by their `source`, states and transitions by
`x-lifecycle.source`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from taskmock._core.lifecycle import Lifecycle, field_value
from taskmock._core.registry import Registry

__all__ = [
    "ERROR",
    "LIFECYCLE_RULES",
    "WARNING",
    "Finding",
    "LifecycleRule",
    "Poll",
    "lifecycle_findings",
]

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Poll:
    """One observation of a task: when (seconds), and the body it returned."""

    at: float
    body: Any


@dataclass(frozen=True)
class Finding:
    """One rule broken by one observation: what, where, expected versus actual, how serious."""

    rule: str
    severity: str
    message: str
    task_id: str = ""
    state: Any = None
    path: str = ""
    expected: Any = None
    actual: Any = None
    poll: int = 0

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        return (
            f"[{self.severity}] {self.rule}: task {self.task_id} poll {self.poll} "
            f"state {self.state!r}"
            f"{where}: {self.message}"
        )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None


def _shown(lifecycle: Lifecycle, body: dict[str, Any]) -> Any:
    """What a body that shows no declared state says instead, for the report: its status field,
    or (when states are conditions over several fields) the fields those conditions read."""
    if lifecycle.status_field is not None:
        return body.get(lifecycle.status_field)
    read = dict.fromkeys(p.split(".")[0] for c in lifecycle.when.values() for p in c)
    return {name: body[name] for name in read if name in body}


@dataclass
class _Seen:
    """What the earlier polls of the task showed."""

    state: Any = None
    progress: float | None = None
    stamps: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PollView:
    """One poll as a rule sees it: the body, the state it shows, and what came before."""

    lifecycle: Lifecycle
    task_id: str
    index: int
    body: dict[str, Any]
    state: Any  # the declared state the body shows, or None
    shown: Any  # what the body says instead, when it shows none (for the report)
    seen: _Seen

    def finding(
        self,
        rule: str,
        message: str,
        severity: str = ERROR,
        path: str = "",
        expected: Any = None,
        actual: Any = None,
    ) -> Finding:
        """A finding about this poll."""
        state = self.shown if self.state is None else self.state
        return Finding(
            rule, severity, message, self.task_id, state, path, expected, actual, self.index
        )


@dataclass(frozen=True)
class LifecycleRule:
    """A rule over the polls of one task: its name, what it checks, its check of one poll, and
    whether it needs the poll to show a declared state."""

    name: str
    summary: str
    check: Callable[[PollView], Iterator[Finding]]
    needs_state: bool = True


LIFECYCLE_RULES: Registry[LifecycleRule] = Registry("lifecycle rule")


def _rule(
    name: str, summary: str, needs_state: bool = True
) -> Callable[[Callable[[PollView], Iterator[Finding]]], Callable[[PollView], Iterator[Finding]]]:
    def register(
        check: Callable[[PollView], Iterator[Finding]],
    ) -> Callable[[PollView], Iterator[Finding]]:
        LIFECYCLE_RULES.add(LifecycleRule(name, summary, check, needs_state))
        return check

    return register


@_rule("id-echo", "The body's id is the id asked for.", needs_state=False)
def _id_echo(view: PollView) -> Iterator[Finding]:
    lifecycle = view.lifecycle
    if lifecycle.id_field and str(field_value(view.body, lifecycle.id_field)) != view.task_id:
        yield view.finding(
            "id-echo",
            "the body's id is not the id asked for",
            path=f"/{lifecycle.id_field}",
            expected=view.task_id,
            actual=field_value(view.body, lifecycle.id_field),
        )


@_rule(
    "declared-state",
    "Every body shows a declared state (its status value, an alias, or a state's `when`).",
    needs_state=False,
)
def _declared_state(view: PollView) -> Iterator[Finding]:
    if view.state is None:
        inferred = view.lifecycle.source.get("states") == "inferred"
        yield view.finding(
            "declared-state",
            "not a declared state",
            WARNING if inferred else ERROR,
            path=f"/{view.lifecycle.status_field or ''}",
            expected=list(view.lifecycle.states),
            actual=view.shown,
        )


@_rule("terminal-final", "A terminal state never changes.")
def _terminal_final(view: PollView) -> Iterator[Finding]:
    previous = view.seen.state
    if previous is not None and view.state != previous and previous in view.lifecycle.terminal:
        yield view.finding(
            "terminal-final",
            f"left the terminal state {previous!r}",
            expected=previous,
            actual=view.state,
        )


@_rule(
    "allowed-transition",
    "Every change of state can happen in the lifecycle (polls are sparse: a change must be a "
    "path through the transitions, not necessarily one edge).",
)
def _allowed_transition(view: PollView) -> Iterator[Finding]:
    lifecycle, previous = view.lifecycle, view.seen.state
    if previous is None or view.state == previous or previous in lifecycle.terminal:
        return
    if view.state not in lifecycle.reachable(previous):
        inferred = lifecycle.source.get("transitions") == "inferred"
        yield view.finding(
            "allowed-transition",
            f"{previous!r} -> {view.state!r} is not a path in the lifecycle",
            WARNING if inferred else ERROR,
            expected=list(lifecycle.reachable(previous)),
            actual=view.state,
        )


@_rule("progress-monotone", "The progress field never decreases.")
def _progress_monotone(view: PollView) -> Iterator[Finding]:
    name = view.lifecycle.progress_field
    if not name:
        return
    value = _number(field_value(view.body, name))
    before = view.seen.progress
    if value is not None and before is not None and value < before:
        yield view.finding(
            "progress-monotone",
            "progress went down",
            path=f"/{name}",
            expected=f">= {before:g}",
            actual=field_value(view.body, name),
        )


@_rule("timestamp-stable", "A timestamp never changes (nor disappears) once set.")
def _timestamp_stable(view: PollView) -> Iterator[Finding]:
    for name in view.lifecycle.timestamps:
        value, before = field_value(view.body, name), view.seen.stamps.get(name)
        if name not in view.seen.stamps or value == before:
            continue
        gone = value in (None, "")
        yield view.finding(
            "timestamp-stable",
            "a timestamp disappeared once set" if gone else "a timestamp changed once set",
            path=f"/{name}",
            expected=before,
            actual=value,
        )


@_rule("timestamp-order", "Timestamps that are set appear in their declared order.")
def _timestamp_order(view: PollView) -> Iterator[Finding]:
    set_times = []
    for name in view.lifecycle.timestamps:
        moment = _moment(field_value(view.body, name))
        if moment is not None:
            set_times.append((name, moment))
    for (first, t1), (second, t2) in itertools.pairwise(set_times):
        if t2 < t1:
            yield view.finding(
                "timestamp-order",
                f"{second} is before {first}",
                path=f"/{second}",
                expected=f">= {field_value(view.body, first)}",
                actual=field_value(view.body, second),
            )


@_rule(
    "field-rule",
    "The per-state field rules (`set`, `null`, `empty`, `absent`, `present`): the spec's "
    "`if`/`then` entries.",
)
def _field_rules(view: PollView) -> Iterator[Finding]:
    for rule in view.lifecycle.rules:
        if view.state not in rule.states:
            continue
        for field_name in rule.fields:
            if not rule.holds(view.body, field_name):
                yield view.finding(
                    "field-rule",
                    f"{field_name} should be {rule.kind} at {view.state!r} ({rule.source})",
                    WARNING if rule.source == "inferred" else ERROR,
                    f"/{field_name}",
                    rule.kind,
                    view.body.get(field_name, "<absent>"),
                )


def lifecycle_findings(lifecycle: Lifecycle, task_id: Any, polls: Sequence[Poll]) -> list[Finding]:
    """Every way the polls of one task break its lifecycle: each rule of LIFECYCLE_RULES on
    each poll, in order."""
    found: list[Finding] = []
    seen = _Seen()
    rules = LIFECYCLE_RULES.entries()
    for index, poll in enumerate(polls, 1):
        body = poll.body if isinstance(poll.body, dict) else {}
        state = lifecycle.state_of(body)
        shown = _shown(lifecycle, body) if state is None else state
        view = PollView(lifecycle, str(task_id), index, body, state, shown, seen)
        for rule in rules:
            if state is not None or not rule.needs_state:
                found.extend(rule.check(view))
        if state is None:
            continue
        _remember(view)
    return found


def _remember(view: PollView) -> None:
    """What later polls compare with: the state, the highest progress, the timestamps set."""
    seen = view.seen
    seen.state = view.state
    if view.lifecycle.progress_field:
        value = _number(field_value(view.body, view.lifecycle.progress_field))
        if value is not None:
            seen.progress = value if seen.progress is None else max(seen.progress, value)
    for name in view.lifecycle.timestamps:
        value = field_value(view.body, name)
        if value not in (None, ""):
            seen.stamps.setdefault(name, value)
