"""Lifecycle checks over the sequence of polls of one task: pure functions of (spec, history).

Rules and their names (used in reports and in `--strict`):

- `declared-state`: every status is a declared state (or an accepted alias);
- `allowed-transition`: every change of state can happen in the lifecycle (polls are sparse, so a
  change must be a path through the transitions, not necessarily one edge);
- `terminal-final`: a terminal state never changes;
- `progress-monotone`: the progress field never decreases;
- `timestamp-order`: timestamps that are set appear in their declared order;
- `timestamp-stable`: a timestamp never changes once set;
- `field-rule`: per-state rules of x-lifecycle (`set`, `null`, `empty`);
- `id-echo`: the body's id is the id asked for.

What the documents state is an error; a rule the spec marks `inferred` gives a warning (field rules
by their `source`, states and transitions by `x-lifecycle.source`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from taskmock.core.lifecycle import Lifecycle, field_value

__all__ = ["ERROR", "WARNING", "Finding", "Poll", "lifecycle_findings"]

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


def lifecycle_findings(lifecycle: Lifecycle, task_id: Any, polls: Sequence[Poll]) -> list[Finding]:
    """Every way the polls of one task break its lifecycle."""
    found: list[Finding] = []
    inferred_transitions = lifecycle.source.get("transitions") == "inferred"
    inferred_states = lifecycle.source.get("states") == "inferred"
    previous: Any = None
    progress: float | None = None
    stamps: dict[str, Any] = {}
    tid = str(task_id)
    for index, poll in enumerate(polls, 1):
        body = poll.body if isinstance(poll.body, dict) else {}
        state = lifecycle.state_of(body)
        raw = _shown(lifecycle, body) if state is None else state

        def add(
            rule: str,
            message: str,
            severity: str = ERROR,
            path: str = "",
            expected: Any = None,
            actual: Any = None,
            *,
            _state: Any = raw,
            _index: int = index,
        ) -> None:
            found.append(
                Finding(rule, severity, message, tid, _state, path, expected, actual, _index)
            )

        if lifecycle.id_field and str(field_value(body, lifecycle.id_field)) != tid:
            add(
                "id-echo",
                "the body's id is not the id asked for",
                path=f"/{lifecycle.id_field}",
                expected=tid,
                actual=field_value(body, lifecycle.id_field),
            )
        if state is None:
            add(
                "declared-state",
                "not a declared state",
                WARNING if inferred_states else ERROR,
                path=f"/{lifecycle.status_field or ''}",
                expected=list(lifecycle.states),
                actual=raw,
            )
            continue
        if previous is not None and state != previous:
            if previous in lifecycle.terminal:
                add(
                    "terminal-final",
                    f"left the terminal state {previous!r}",
                    expected=previous,
                    actual=raw,
                )
            elif state not in lifecycle.reachable(previous):
                add(
                    "allowed-transition",
                    f"{previous!r} -> {raw!r} is not a path in the lifecycle",
                    WARNING if inferred_transitions else ERROR,
                    expected=list(lifecycle.reachable(previous)),
                    actual=raw,
                )
        if lifecycle.progress_field:
            value = _number(field_value(body, lifecycle.progress_field))
            if value is not None and progress is not None and value < progress:
                add(
                    "progress-monotone",
                    "progress went down",
                    path=f"/{lifecycle.progress_field}",
                    expected=f">= {progress:g}",
                    actual=field_value(body, lifecycle.progress_field),
                )
            if value is not None:
                progress = value if progress is None else max(progress, value)
        set_times = []
        for name in lifecycle.timestamps:
            value = field_value(body, name)
            if value in (None, ""):
                if name in stamps:
                    add(
                        "timestamp-stable",
                        "a timestamp disappeared once set",
                        path=f"/{name}",
                        expected=stamps[name],
                        actual=value,
                    )
                continue
            if name in stamps and stamps[name] != value:
                add(
                    "timestamp-stable",
                    "a timestamp changed once set",
                    path=f"/{name}",
                    expected=stamps[name],
                    actual=value,
                )
            stamps.setdefault(name, value)
            moment = _moment(value)
            if moment is not None:
                set_times.append((name, moment))
        for (first, t1), (second, t2) in itertools.pairwise(set_times):
            if t2 < t1:
                add(
                    "timestamp-order",
                    f"{second} is before {first}",
                    path=f"/{second}",
                    expected=f">= {field_value(body, first)}",
                    actual=field_value(body, second),
                )
        for rule in lifecycle.rules:
            if state not in rule.states:
                continue
            for field_name in rule.fields:
                if not rule.holds(body, field_name):
                    severity = WARNING if rule.source == "inferred" else ERROR
                    add(
                        "field-rule",
                        f"{field_name} should be {rule.kind} at {raw!r} ({rule.source})",
                        severity,
                        f"/{field_name}",
                        rule.kind,
                        body.get(field_name, "<absent>"),
                    )
        previous = state
    return found
