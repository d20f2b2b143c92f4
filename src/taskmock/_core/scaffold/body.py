"""The task body template: what a poll answers, field by field, in every state.

The status is `{$: state}` and the id `{$: id}`. A field the schema's `if`/`then` rules tie to
states follows them (`switch`, or `entered` for a timestamp). Without rules, a field is guessed
from its name and type: a progress number rises through the working state, a finish time appears
at the end, a nullable output (`video_url`, `result`) appears on success and a nullable error on
failure. The rest are values from the examples, or made for their type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from taskmock._core.lifecycle import RULE_KINDS
from taskmock._core.scaffold.discover import Located, parts, properties
from taskmock._core.scaffold.skeleton import LifecycleGuess
from taskmock._core.scaffold.values import (
    MISSING,
    Values,
    is_empty,
    kinds_of,
    looks_like,
    unix_format,
)

__all__ = ["TaskBody", "envelope_template", "task_template"]

State = Any


@dataclass
class TaskBody:
    """The task's template, what each guessed field was guessed from, and the progress field."""

    template: dict[str, Any]
    guessed: dict[str, str] = field(default_factory=dict)
    progress: str | None = None


def task_template(
    values: Values,
    holder: Located,
    guess: LifecycleGuess,
    status_field: str,
    id_field: str | None,
    rules: Sequence[Mapping[str, Any]],
    examples: Sequence[Mapping[str, Any]],
    echo: Mapping[str, Located],
) -> TaskBody:
    """The template of the object that carries the status."""
    body = TaskBody({})
    by_field = _rules_by_field(rules)
    for name, prop in properties(values.document, holder).items():
        if isinstance(prop.node, dict) and prop.node.get("writeOnly"):
            continue
        example = _example(values, prop, name, examples, non_empty=True)
        if name == status_field:
            body.template[name] = {"$": "state"}
        elif name == id_field:
            body.template[name] = {"$": "id"}
        elif name in by_field:
            body.template[name] = _ruled(values, prop, name, example, guess, by_field[name])
        else:
            made = _guessed(values, prop, name, example, guess, body)
            body.template[name] = (
                made if made is not None else values.template(prop, name, example, echo=echo)
            )
    _shown(values, holder, guess, status_field, body.template, examples)
    return body


def _shown(
    values: Values,
    holder: Located,
    guess: LifecycleGuess,
    status_field: str,
    template: dict[str, Any],
    examples: Sequence[Mapping[str, Any]],
) -> None:
    """Make each state with a `when` show as its condition says: the status value it shares,
    and the members the condition fixes (a value, set, null or absent), ahead of the rest."""
    if not guess.when:
        return
    props = properties(values.document, holder)
    cases: dict[str, list[dict[str, Any]]] = {}
    for state, condition in guess.when.items():
        for path, predicate in condition.items():
            if "." in path or path not in props:
                continue
            if path == status_field:
                if state in guess.shows:
                    cases.setdefault(path, []).append({"states": [state], "value": predicate})
                continue
            prop = props[path]
            example = _example(values, prop, path, examples, non_empty=True)
            kind = predicate.get("is") if isinstance(predicate, dict) else None
            if not isinstance(predicate, dict):
                value: Any = predicate
            elif "in" in predicate:
                value = predicate["in"][0]
            elif (
                kind in ("set", "present")
                and state in guess.failure
                and values.valid(prop, "the task failed")
            ):
                value = "the task failed"  # not an example's text, which may tell of another end
            elif kind in ("set", "present"):
                value = _set_value(values, prop, path, example)
            elif kind == "absent":
                value = {"$": "omit"}
            elif kind in ("null", "empty"):
                value = values.empty(prop, null_only=kind == "null")
            else:
                continue
            cases.setdefault(path, []).append({"states": [state], "value": value})
    for path, found in cases.items():
        template[path] = _ahead(template.get(path, {"$": "omit"}), found)
    # A state must not show as another that shares its status value (a failure's `error_type`
    # taken from an example that says `request_cancelled`), nor meet the `if` of its rules.
    for state in guess.states:
        for other in guess.states:
            if (
                other == state
                or other not in guess.when
                or _base(guess, other) != _base(guess, state)
            ):
                continue
            for path, predicate in guess.when[other].items():
                if path == status_field or path in guess.when.get(state, {}):
                    continue
                if isinstance(predicate, dict) or path not in template or path not in props:
                    continue
                if _value_at(template[path], state) == predicate:
                    success = state in guess.success
                    instead = _other(values, props[path], path, predicate, success)
                    template[path] = _ahead(template[path], [{"states": [state], "value": instead}])


def _other(values: Values, prop: Located, name: str, value: Any, empty_first: bool) -> Any:
    """A valid value of a field that is not `value`: set if it can be, else empty (empty first
    for a success, which has no reason to stop)."""
    listed = [v for part in parts(values.document, prop) for v in part.node.get("enum") or []]
    candidates = [
        *(v for v in listed if not is_empty(v)),
        values.sample(prop, name, non_empty=True),
        values.sample(prop, f"{name}_", non_empty=True),
        values.empty(prop),
    ]
    if empty_first:
        candidates.insert(0, values.empty(prop))
    return next((c for c in candidates if c != value and values.valid(prop, c)), values.empty(prop))


def _base(guess: LifecycleGuess, state: State) -> State:
    return guess.shows.get(state, state)


def _ahead(before: Any, cases: list[dict[str, Any]]) -> dict[str, Any]:
    """A switch with `cases` first, the states they name taken out of the cases after them."""
    if not (isinstance(before, dict) and before.get("$") == "switch"):
        return {"$": "switch", "cases": cases, "else": before}
    named = [state for case in cases for state in case["states"]]
    rest = []
    for case in before["cases"]:
        states = [s for s in case["states"] if s not in named]
        if states:
            rest.append({**case, "states": states})
    return {**before, "cases": [*cases, *rest]}


def _value_at(node: Any, state: State) -> Any:
    """What a template shows in a state, as far as a `switch` says (else the node itself)."""
    if isinstance(node, dict) and node.get("$") == "switch":
        for case in node.get("cases", []):
            if state in case.get("states", []):
                return _value_at(case.get("value"), state)
        return _value_at(node.get("else"), state)
    return node


def envelope_template(
    values: Values,
    root: Located,
    envelope: tuple[str, ...],
    inner: Any,
    examples: Sequence[Mapping[str, Any]],
) -> Any:
    """The whole answer when the task sits under `envelope` keys (`{code: 0, data: <task>}`)."""
    if not envelope:
        return inner
    key = envelope[0]
    for part in parts(values.document, root):
        props = properties(values.document, part)
        if key not in props:
            continue
        answer: dict[str, Any] = {}
        for name, prop in props.items():
            if name == key:
                below = [e[key] for e in examples if isinstance(e.get(key), dict)]
                answer[name] = envelope_template(values, prop, envelope[1:], inner, below)
            else:
                example = _example(values, prop, name, examples)
                answer[name] = values.template(prop, name, example)
        return answer
    return inner


def _rules_by_field(rules: Sequence[Mapping[str, Any]]) -> dict[str, dict[State, str]]:
    found: dict[str, dict[State, str]] = {}
    for rule in rules:
        for kind in RULE_KINDS:
            for name in rule.get(kind, []):
                for state in rule["states"]:
                    found.setdefault(name, {})[state] = kind
    return found


def _example(
    values: Values,
    prop: Located,
    name: str,
    examples: Sequence[Mapping[str, Any]],
    *,
    non_empty: bool = False,
) -> Any:
    """The first example value of a field that is valid (and set, when asked), else MISSING."""
    fallback = MISSING
    for example in examples:
        if name in example and values.valid(prop, example[name]):
            if not (non_empty and is_empty(example[name])):
                return example[name]
            fallback = example[name] if fallback is MISSING else fallback
    return fallback


def _is_time(values: Values, prop: Located, name: str, example: Any) -> str | None:
    """`iso` for a date-time string; `unix` (or `unix-ms`, as the examples show) for a number
    named like a time; else None."""
    kinds, _ = kinds_of(values.document, prop)
    formats = {p.node.get("format") for p in parts(values.document, prop)}
    if "string" in kinds and "date-time" in formats:
        return "iso"
    if kinds and kinds <= {"integer", "number"} and looks_like(name, "time"):
        return unix_format(example)
    return None


def _time(expression: dict[str, Any], fmt: str) -> dict[str, Any]:
    return expression if fmt == "iso" else {**expression, "format": fmt}


def _set_value(values: Values, prop: Located, name: str, example: Any) -> Any:
    made = values.template(prop, name, example)
    if isinstance(made, dict) and "$" in made:
        return made
    if isinstance(made, dict | list) and made:
        return made
    return values.sample(prop, name, example, non_empty=True)


def _ruled(
    values: Values,
    prop: Located,
    name: str,
    example: Any,
    guess: LifecycleGuess,
    kinds: Mapping[State, str],
) -> Any:
    set_states = [s for s in guess.states if kinds.get(s) in ("set", "present")] or [
        s for s in guess.success if s not in kinds
    ]
    if "absent" in kinds.values():
        empty: Any = {"$": "omit"}  # the member is left out where it is not set
    elif {"null", "empty"} & set(kinds.values()):
        empty = values.empty(prop, null_only="null" in kinds.values())
    else:
        # Only "set" is stated: before that, any valid value that is not set will do.
        empty = values.empty(prop)
        if not values.valid(prop, empty):
            empty = values.sample(prop, name)
    if not set_states:
        return empty
    fmt = _is_time(values, prop, name, example)
    if fmt:
        if all(s in guess.terminal for s in set_states):
            set_states += [s for s in guess.terminal if s not in kinds and s not in set_states]
        entered: dict[str, Any] = {"$": "entered", "states": set_states}
        if empty is not None:
            entered["else"] = empty
        return _time(entered, fmt)
    value = _set_value(values, prop, name, example)
    return {"$": "switch", "cases": [{"states": set_states, "value": value}], "else": empty}


def _guessed(
    values: Values,
    prop: Located,
    name: str,
    example: Any,
    guess: LifecycleGuess,
    body: TaskBody,
) -> Any:
    """A lifecycle-following template guessed from the field's name and type, or None."""
    kinds, nullable = kinds_of(values.document, prop)
    fmt = _is_time(values, prop, name, example)
    after_start = [*guess.chain[1:], *guess.terminal]
    if fmt:
        created: dict[str, Any] = {"$": "time", "of": "created"}
        if looks_like(name, "created") or not (
            looks_like(name, "started") or looks_like(name, "finished")
        ):
            return _time(created, fmt)
        if not nullable:
            return _time(created, fmt)  # always set: it cannot wait for a state
        states = list(guess.terminal) if looks_like(name, "finished") else after_start
        entered: dict[str, Any] = {"$": "entered", "states": states}
        body.guessed[name] = f"entered {_list(guess, states)} (from its name)"
        return _time(entered, fmt)
    if looks_like(name, "progress") and kinds and kinds <= {"integer", "number", "string"}:
        return _progress(values, prop, name, kinds, guess, body)
    if nullable and looks_like(name, "error") and guess.failure:
        value = (
            example
            if example is not MISSING and not is_empty(example)
            else "the task failed"
            if values.valid(prop, "the task failed")
            else _set_value(values, prop, name, example)
        )
        body.guessed[name] = f"set at {_list(guess, guess.failure)} only (from its name)"
        return {
            "$": "switch",
            "cases": [{"states": list(guess.failure), "value": value}],
            "else": None,
        }
    if nullable and looks_like(name, "output") and not looks_like(name, "input"):
        value = _set_value(values, prop, name, example)
        body.guessed[name] = f"set at {_list(guess, guess.success)} only (from its name)"
        return {
            "$": "switch",
            "cases": [{"states": list(guess.success), "value": value}],
            "else": None,
        }
    return None


def _progress(
    values: Values,
    prop: Located,
    name: str,
    kinds: set[str],
    guess: LifecycleGuess,
    body: TaskBody,
) -> dict[str, Any]:
    bounds = {k: v for p in parts(values.document, prop) for k, v in p.node.items()}
    low = bounds.get("minimum", 0)
    high = bounds.get("maximum")
    if not isinstance(high, int | float) or isinstance(high, bool):
        # A bare number is most often a ratio; an integer, a string or a "percent" is out of 100.
        percent = "percent" in name.lower() or "pct" in name.lower()
        high = 1 if kinds == {"number"} and not percent else 100
    expression: dict[str, Any] = {"$": "progress", "state": guess.working, "from": low, "to": high}
    if kinds == {"integer"}:
        expression["as"] = "integer"
    elif "string" in kinds:
        expression["as"] = "string"
    body.progress = name
    body.guessed[name] = (
        f"rises from {low} to {high} through {guess.label(guess.working)} (from its name)"
    )
    return expression


def _list(guess: LifecycleGuess, states: Sequence[State]) -> str:
    return ", ".join(guess.label(s) for s in states)
