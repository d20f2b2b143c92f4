"""The `x-lifecycle` skeleton guessed from a status enum, and the field rules a schema states.

States keep the enum's order. Initial: the first state that is not finished, and any whose name
reads as waiting (queued, pending, submitted, ...). Terminal: those whose name reads as finished
well or badly (succeeded, done, failed, cancelled, expired, ...). Transitions: each working state
to the next, the last one to every successful end, and every working state to each failure; an
"unknown" state can be entered from any working state and left for any other state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from taskmock.core.lifecycle import parse_lifecycle, schema_rule_atoms
from taskmock.core.scaffold import words
from taskmock.core.scaffold.discover import StatusField

__all__ = ["LifecycleGuess", "field_rules", "guess_lifecycle", "x_lifecycle"]

State = Any


@dataclass(frozen=True)
class LifecycleGuess:
    """The states of a status enum, sorted by what they seem to mean."""

    states: tuple[State, ...]
    names: Mapping[State, str]
    chain: tuple[State, ...]  # the states before the end, in the enum's order
    initial: tuple[State, ...]
    success: tuple[State, ...]
    failure: tuple[State, ...]  # failed, error, expired, ...
    cancel: tuple[State, ...]
    unknown: tuple[State, ...]

    @property
    def terminal(self) -> tuple[State, ...]:
        """Every finished state, in the enum's order."""
        done = {*self.success, *self.failure, *self.cancel}
        return tuple(s for s in self.states if s in done)

    @property
    def working(self) -> State:
        """The state the work happens in: the last one before the end."""
        return self.chain[-1]

    def transitions(self) -> dict[State, list[State]]:
        """Every state's successors (terminal states have none)."""
        bad = [s for s in self.states if s in self.failure or s in self.cancel]
        found: dict[State, list[State]] = {}
        for index, state in enumerate(self.chain):
            following = [self.chain[index + 1]] if index + 1 < len(self.chain) else []
            ends = list(self.success) if not following else []
            found[state] = [*following, *ends, *bad, *self.unknown]
        for state in self.unknown:
            found[state] = [s for s in self.states if s != state]
        return found

    def label(self, state: State) -> str:
        """A state as the review list shows it."""
        return f"{state!r} ({self.names[state]})" if state in self.names else repr(state)


def guess_lifecycle(status: StatusField) -> LifecycleGuess:
    """Sort a status enum's values into initial, working, finished and unknown states."""
    meaning = {value: status.meaning(value) for value in status.values}

    def having(*kinds: str) -> tuple[State, ...]:
        return tuple(v for v in status.values if meaning[v] in kinds)

    chain = having(words.INITIAL, words.WORKING)
    initial = tuple(dict.fromkeys((chain[0], *having(words.INITIAL))))
    return LifecycleGuess(
        states=status.values,
        names=dict(status.names),
        chain=chain,
        initial=initial,
        success=having(words.SUCCESS),
        failure=having(words.FAILURE),
        cancel=having(words.CANCEL),
        unknown=having(words.UNKNOWN),
    )


def x_lifecycle(
    guess: LifecycleGuess,
    status_field: str,
    id_field: str | None,
    progress_field: str | None,
    rules: list[dict[str, Any]],
) -> dict[str, Any]:
    """The `x-lifecycle` value: everything guessed is marked `inferred`."""
    states = []
    for state in guess.states:
        entry: dict[str, Any] = {"value": state}
        if state in guess.names:
            entry["name"] = guess.names[state]
        if state in guess.initial:
            entry["initial"] = True
        if state in guess.terminal:
            entry["terminal"] = True
        states.append(entry)
    lifecycle: dict[str, Any] = {"status": status_field}
    if id_field:
        lifecycle["id"] = id_field
    if progress_field:
        lifecycle["progress"] = progress_field
    lifecycle["source"] = {"states": "inferred", "transitions": "inferred"}
    lifecycle["states"] = states
    lifecycle["transitions"] = [
        {"from": state, "to": targets} for state, targets in guess.transitions().items()
    ]
    if rules:
        lifecycle["field-rules"] = rules
    return lifecycle


def field_rules(
    schema: Mapping[str, Any], guess: LifecycleGuess, status_field: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """The schema's own `allOf` `if`/`then` state rules as `field-rules`, and the entries that
    are not in that form (`specs validate` will name those)."""
    provisional, _ = parse_lifecycle(
        {
            "status": status_field,
            "states": [{"value": s, "initial": True} for s in guess.states],
            "transitions": [],
        }
    )
    if provisional is None or not schema.get("allOf"):
        return [], []
    atoms, odd = schema_rule_atoms(schema, provisional)
    by_text = {repr(state): state for state in guess.states}
    order = {state: index for index, state in enumerate(guess.states)}
    states_of: dict[tuple[str, str], list[State]] = {}
    for text, name, kind in atoms:
        if text in by_text:
            states_of.setdefault((name, kind), []).append(by_text[text])
    grouped: dict[tuple[str, tuple[State, ...]], list[str]] = {}
    for (name, kind), states in states_of.items():
        key = (kind, tuple(sorted(states, key=order.__getitem__)))
        grouped.setdefault(key, []).append(name)
    rules = [
        {"states": list(states), kind: sorted(names), "source": "vendor-docs"}
        for (kind, states), names in sorted(
            grouped.items(), key=lambda item: (order[item[0][1][0]], item[0][0])
        )
    ]
    return rules, odd
