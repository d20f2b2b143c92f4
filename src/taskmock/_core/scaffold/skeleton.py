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

from taskmock._core.lifecycle import (
    Lifecycle,
    conditional_entries,
    parse_lifecycle,
    schema_rule_atoms,
)
from taskmock._core.scaffold import words
from taskmock._core.scaffold.discover import StatusField

__all__ = [
    "LifecycleGuess",
    "conditionals",
    "declared_lifecycle",
    "field_rules",
    "guess_lifecycle",
    "x_lifecycle",
]

State = Any


@dataclass(frozen=True)
class LifecycleGuess:
    """The states of a task, sorted by what they seem to mean, and how they follow each other."""

    states: tuple[State, ...]
    names: Mapping[State, str]
    initial: tuple[State, ...]
    terminal: tuple[State, ...]
    success: tuple[State, ...]
    failure: tuple[State, ...]  # failed, error, expired, ...
    cancel: tuple[State, ...]
    unknown: tuple[State, ...]
    transitions: Mapping[State, tuple[State, ...]]
    declared: bool = False  # read from the spec's own x-lifecycle, not guessed

    def path_to(self, end: State) -> tuple[State, ...]:
        """The longest way from an initial state to `end` through working states (neither
        finished nor unknown), so a scenario shows every step; () when there is none."""
        best: tuple[State, ...] = ()
        pending: list[tuple[State, ...]] = [(s,) for s in self.initial if s not in self.terminal]
        budget = 10_000  # simple paths grow fast in a dense graph: the best found by then
        while pending and budget:
            budget -= 1
            path = pending.pop()
            if path[-1] == end:
                best = path if len(path) > len(best) else best
                continue
            for nxt in self.transitions.get(path[-1], ()):
                working = nxt not in self.terminal and nxt not in self.unknown
                if nxt not in path and (nxt == end or working):
                    pending.append((*path, nxt))
        return best

    @property
    def chain(self) -> tuple[State, ...]:
        """The working states a successful task goes through, in order."""
        return self.path_to(self.success[0])[:-1]

    @property
    def working(self) -> State:
        """The state the work happens in: the last one before success."""
        return self.chain[-1]

    def label(self, state: State) -> str:
        """A state as the review list shows it."""
        return f"{state!r} ({self.names[state]})" if state in self.names else repr(state)


def guess_lifecycle(status: StatusField) -> LifecycleGuess:
    """Sort a status enum's values into initial, working, finished and unknown states, and
    guess the transitions (see the module's docstring)."""
    meaning = {value: status.meaning(value) for value in status.values}

    def having(*kinds: str) -> tuple[State, ...]:
        return tuple(v for v in status.values if meaning[v] in kinds)

    chain = having(words.INITIAL, words.WORKING)
    success, bad = having(words.SUCCESS), having(words.FAILURE, words.CANCEL)
    unknown = having(words.UNKNOWN)
    transitions: dict[State, tuple[State, ...]] = {}
    for index, state in enumerate(chain):
        following = chain[index + 1 : index + 2] or success
        transitions[state] = (*following, *bad, *unknown)
    for state in unknown:
        transitions[state] = tuple(s for s in status.values if s != state)
    return LifecycleGuess(
        states=status.values,
        names=dict(status.names),
        initial=tuple(dict.fromkeys((chain[0], *having(words.INITIAL)))),
        terminal=having(words.SUCCESS, words.FAILURE, words.CANCEL),
        success=success,
        failure=having(words.FAILURE),
        cancel=having(words.CANCEL),
        unknown=unknown,
        transitions=transitions,
    )


def declared_lifecycle(lifecycle: Lifecycle, status: StatusField) -> LifecycleGuess | None:
    """The spec's own `x-lifecycle` in the same terms, its finished states sorted by their
    names; None when no state of it reads as a success reached from an initial state."""
    meaning = {value: status.meaning(value) for value in lifecycle.states}

    def having(*kinds: str) -> tuple[State, ...]:
        return tuple(v for v in lifecycle.states if meaning[v] in kinds)

    found = LifecycleGuess(
        states=lifecycle.states,
        names={**status.names, **lifecycle.names},
        initial=tuple(s for s in lifecycle.states if s in lifecycle.initial),
        terminal=tuple(s for s in lifecycle.states if s in lifecycle.terminal),
        success=tuple(s for s in having(words.SUCCESS) if s in lifecycle.terminal),
        failure=tuple(s for s in having(words.FAILURE) if s in lifecycle.terminal),
        cancel=tuple(s for s in having(words.CANCEL) if s in lifecycle.terminal),
        unknown=having(words.UNKNOWN),
        transitions=dict(lifecycle.transitions),
        declared=True,
    )
    if not found.success or len(found.path_to(found.success[0])) < 2:
        return None
    return found


def x_lifecycle(
    guess: LifecycleGuess,
    status_field: str,
    id_field: str | None,
    progress_field: str | None,
    rules: list[dict[str, Any]],
    *,
    when: str | None = None,
) -> dict[str, Any]:
    """The `x-lifecycle` value: everything guessed is marked `inferred`. With `when` (the dotted
    path of a status in an envelope), each state is a condition on that path instead of a value
    of a `status` field."""
    states = []
    for state in guess.states:
        entry: dict[str, Any] = {"value": state}
        if state in guess.names:
            entry["name"] = guess.names[state]
        if state in guess.initial:
            entry["initial"] = True
        if state in guess.terminal:
            entry["terminal"] = True
        if when is not None:
            entry["when"] = {when: state}
        states.append(entry)
    lifecycle: dict[str, Any] = {} if when is not None else {"status": status_field}
    if id_field:
        lifecycle["id"] = id_field
    if progress_field:
        lifecycle["progress"] = progress_field
    lifecycle["source"] = {"states": "inferred", "transitions": "inferred"}
    lifecycle["states"] = states
    lifecycle["transitions"] = [
        {"from": state, "to": list(targets)} for state, targets in guess.transitions.items()
    ]
    if rules:
        lifecycle["field-rules"] = rules
    return lifecycle


def field_rules(
    schema: Mapping[str, Any], guess: LifecycleGuess, status_field: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """The schema's own `allOf` `if`/`then` state rules as `field-rules`, and the entries that
    are rules written wrong (`specs validate` will name those)."""
    provisional = _provisional(guess, status_field)
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


def conditionals(
    schema: Mapping[str, Any], guess: LifecycleGuess, status_field: str
) -> list[tuple[int, tuple[str, ...]]]:
    """The schema's `allOf` `if`/`then` entries that are no field rule (their `if` tests more
    than the status: a state and an `error` member, a request's `model`), each with the members
    it tests. They stay in the spec as plain JSON Schema, which the mock's answers must meet."""
    provisional = _provisional(guess, status_field)
    return [] if provisional is None else conditional_entries(schema, provisional)


def _provisional(guess: LifecycleGuess, status_field: str) -> Lifecycle | None:
    """A lifecycle of the guessed states, enough to read the schema's `if` entries against."""
    provisional, _ = parse_lifecycle(
        {
            "status": status_field,
            "states": [{"value": s, "initial": True} for s in guess.states],
            "transitions": [],
        }
    )
    return provisional
