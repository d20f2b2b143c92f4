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
    return body


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
