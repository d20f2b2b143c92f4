"""The `x-lifecycle` skeleton guessed from a status enum, and the field rules a schema states.

States keep the enum's order. Initial: the first state that is not finished, and any whose name
reads as waiting (queued, pending, submitted, ...). Terminal: those whose name reads as finished
well or badly (succeeded, done, failed, cancelled, expired, ...). Transitions: each working state
to the next, the last one to every successful end, and every working state to each failure; an
"unknown" state can be entered from any working state and left for any other state.

States that share a finished status value, told apart by the schema's `allOf` `if` entries
(`COMPLETED` with or without an `error`), are read from those entries into states with `when`
(`derived_states`), so the entries are field rules of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from taskmock._core.conditions import schema_condition
from taskmock._core.lifecycle import (
    Lifecycle,
    conditional_entries,
    parse_lifecycle,
    schema_rule_atoms,
)
from taskmock._core.scaffold import words
from taskmock._core.scaffold.discover import StatusField

__all__ = [
    "Derived",
    "LifecycleGuess",
    "conditionals",
    "declared_lifecycle",
    "derived_states",
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
    # States that share a status value, told apart by a condition (`when`) the schema's if/then
    # entries test, and the status value each of the new ones shows.
    when: Mapping[State, Mapping[str, Any]] = field(default_factory=dict)
    shows: Mapping[State, State] = field(default_factory=dict)
    descriptions: Mapping[State, str] = field(default_factory=dict)

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


@dataclass(frozen=True)
class Derived:
    """A state read from the schema's `if` entries: a finished status value and a condition on
    other members (`COMPLETED` with an `error` set). `own`: it is the status value's own state
    (the condition reads as the value does: `COMPLETED` with no `error`), given a `when`."""

    value: State
    base: State
    kind: str
    when: Mapping[str, Any]
    text: str
    own: bool = False


# The more specific reading first: a cancelled body often has an error set as well.
_KIND_ORDER = (words.CANCEL, words.FAILURE, words.SUCCESS)
_KIND_WORD = {words.CANCEL: "cancelled", words.FAILURE: "failed", words.SUCCESS: "succeeded"}


def derived_states(schema: Mapping[str, Any], status: StatusField) -> tuple[Derived, ...]:
    """The states the schema's `allOf` `if` entries tell apart within one finished status value:
    each distinct condition an `if` (or one of its `anyOf` alternatives) states on the status
    value and other members, as `condition_schema` writes it, is a state with that `when`. It
    reads as cancelled or failed when a member it requires set is named so (`error`) or a value
    it requires is (`request_cancelled`), else as the status value does."""
    found: dict[str, tuple[State, dict[str, Any]]] = {}
    for entry in schema.get("allOf") or []:
        test = entry.get("if") if isinstance(entry, dict) else None
        if not isinstance(test, dict):
            continue
        alternatives = test["anyOf"] if list(test) == ["anyOf"] else [test]
        for alternative in alternatives if isinstance(alternatives, list) else []:
            condition = schema_condition(alternative)
            base = (condition or {}).get(status.name)
            if condition is None or len(condition) < 2 or isinstance(base, dict | list):
                continue
            if not any(base == v and type(base) is type(v) for v in status.values):
                continue
            if status.meaning(base) not in _KIND_ORDER:
                continue  # only finished states are told apart (see the docstring)
            found.setdefault(json.dumps(condition, sort_keys=True), (base, condition))
    derived: list[Derived] = []
    taken = {repr(v) for v in status.values}
    for base in status.values:
        mine = [(c, _condition_meaning(base, c, status)) for b, c in found.values() if b == base]
        mine.sort(key=lambda item: _KIND_ORDER.index(item[1]))
        own = [c for c, kind in mine if kind == status.meaning(base)]
        for condition, kind in mine:
            text = _describe(condition, status.name)
            if len(own) == 1 and condition is own[0]:
                derived.append(Derived(base, base, kind, condition, text, own=True))
                continue
            value = f"{base}, {text}"
            if words.meaning(value) != kind:
                value = f"{base}, {_KIND_WORD[kind]}"
            unique, number = value, 2
            while repr(unique) in taken:
                unique, number = f"{value} {number}", number + 1
            taken.add(repr(unique))
            derived.append(Derived(unique, base, kind, condition, text))
    return tuple(derived)


def _condition_meaning(base: State, condition: Mapping[str, Any], status: StatusField) -> str:
    bad: set[str] = set()
    for path, predicate in condition.items():
        if path == status.name:
            continue
        leaf = words.meaning(path.rsplit(".", 1)[-1])
        if isinstance(predicate, dict):
            listed = predicate.get("in", [])
            bad.update(words.meaning(v) for v in listed if isinstance(v, str))
            if predicate.get("is") in ("set", "present") or listed:
                bad.add(leaf)
        else:
            if isinstance(predicate, str):
                bad.add(words.meaning(predicate))
            if predicate not in (None, "", 0, False):
                bad.add(leaf)
    return next((k for k in (words.CANCEL, words.FAILURE) if k in bad), status.meaning(base))


def _describe(condition: Mapping[str, Any], status_field: str) -> str:
    parts = []
    for path, predicate in condition.items():
        if path == status_field:
            continue
        if not isinstance(predicate, dict):
            parts.append(f"{path} {predicate}")
        elif "in" in predicate:
            parts.append(f"{path} in {', '.join(map(str, predicate['in']))}")
        elif predicate.get("is") in ("set", "present"):
            parts.append(f"with {path}")
        elif "is" in predicate:
            parts.append(f"no {path}")
        else:
            parts.append(f"{path} as a schema says")
    return " and ".join(parts)


def guess_lifecycle(status: StatusField, derived: Sequence[Derived] = ()) -> LifecycleGuess:
    """Sort a status enum's values into initial, working, finished and unknown states, and
    guess the transitions (see the module's docstring). `derived`: states told apart within a
    status value (`derived_states`), placed beside it, the more specific first."""
    meaning = {value: status.meaning(value) for value in status.values}
    values: list[State] = []
    for value in status.values:
        mine = [d for d in derived if d.base == value and not d.own]
        own = any(d.own for d in derived if d.base == value)
        # A state with no `when` shows for any body of its value: after those that have one.
        values.extend(
            [value, *(d.value for d in mine)] if own else [*(d.value for d in mine), value]
        )
        meaning.update({d.value: d.kind for d in mine})

    def having(*kinds: str) -> tuple[State, ...]:
        return tuple(v for v in values if meaning[v] in kinds)

    chain = having(words.INITIAL, words.WORKING)
    success, bad = having(words.SUCCESS), having(words.FAILURE, words.CANCEL)
    unknown = having(words.UNKNOWN)
    transitions: dict[State, tuple[State, ...]] = {}
    for index, state in enumerate(chain):
        following = chain[index + 1 : index + 2] or success
        transitions[state] = (*following, *bad, *unknown)
    for state in unknown:
        transitions[state] = tuple(s for s in values if s != state)
    return LifecycleGuess(
        states=tuple(values),
        names=dict(status.names),
        initial=tuple(dict.fromkeys((chain[0], *having(words.INITIAL)))),
        terminal=having(words.SUCCESS, words.FAILURE, words.CANCEL),
        success=success,
        failure=having(words.FAILURE),
        cancel=having(words.CANCEL),
        unknown=unknown,
        transitions=transitions,
        when={d.value: d.when for d in derived},
        shows={d.value: d.base for d in derived if not d.own},
        descriptions={
            d.value: f"{d.base}, {d.text} (read from the schema's if/then entries)" for d in derived
        },
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
        if state in guess.descriptions:
            entry["description"] = guess.descriptions[state]
        if when is not None:
            entry["when"] = {when: state}
        elif state in guess.when:
            entry["when"] = dict(guess.when[state])
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
            "states": [
                {
                    "value": s,
                    "initial": True,
                    **({"when": guess.when[s]} if s in guess.when else {}),
                }
                for s in guess.states
            ],
            "transitions": [],
        }
    )
    return provisional
