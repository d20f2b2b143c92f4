"""Conditions over a task body: how a lifecycle state shows on the wire when one status field
does not say it (a boolean `done` plus the presence of `error` or `response`; COMPLETED with or
without `error`; one state spelled several ways).

A condition maps dotted field paths (`response.videos`) to predicates; every one must hold::

    when: { done: true, error: { is: absent }, response.videos: { schema: { minItems: 1 } } }

Predicates: a scalar (the field is there and equals it; `true` is not `1`); `{in: [...]}`;
`{is: set | null | empty | absent | present}` (set: there and not null, "" or 0; null: absent
or null; empty: absent, null, "" or 0); `{schema: {...}}` (there, and valid against the JSON
Schema); `{any-of: [predicate, ...]}`. A condition is checked against bodies by `matches` and
written as JSON Schema by `condition_schema` (for the spec's `if`/`then` rules).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator

__all__ = [
    "EMPTY_VALUES",
    "IS_KINDS",
    "condition_problems",
    "condition_schema",
    "matches",
    "schema_condition",
]

#: Values that count as "not set" (some APIs answer `file_id: ""`, `video_width: 0` before success).
EMPTY_VALUES: tuple[Any, ...] = (None, "", 0)
IS_KINDS = ("set", "null", "empty", "absent", "present")
_FORMS = ("in", "is", "schema", "any-of")
_MISSING = object()


def _empty(value: Any) -> bool:
    # bool is an int in Python; False is a value, not emptiness.
    return value is None or (not isinstance(value, bool) and value in ("", 0))


def _same(a: Any, b: Any) -> bool:
    return a == b and type(a) is type(b) if isinstance(a, bool) or isinstance(b, bool) else a == b


def _at(body: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(body, Mapping) or key not in body:
            return _MISSING
        body = body[key]
    return body


def holds(predicate: Any, value: Any) -> bool:
    """Whether one field's value (`_MISSING` when absent) satisfies a predicate."""
    if isinstance(predicate, Mapping):
        if "in" in predicate:
            return value is not _MISSING and any(_same(value, v) for v in predicate["in"])
        if "is" in predicate:
            kind = predicate["is"]
            if kind == "absent":
                return value is _MISSING
            if kind == "present":
                return value is not _MISSING
            if kind == "null":
                return value is _MISSING or value is None
            empty = value is _MISSING or _empty(value)
            return empty if kind == "empty" else not empty
        if "schema" in predicate:
            return value is not _MISSING and Draft202012Validator(predicate["schema"]).is_valid(
                value
            )
        return any(holds(p, value) for p in predicate["any-of"])
    return value is not _MISSING and _same(value, predicate)


def matches(condition: Mapping[str, Any], body: Any) -> bool:
    """Whether a body satisfies every predicate of a condition."""
    return all(holds(predicate, _at(body, path)) for path, predicate in condition.items())


def condition_problems(condition: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """What is wrong with a condition, as (pointer, message)."""
    if not isinstance(condition, Mapping) or not condition:
        yield pointer, "a condition maps field paths to predicates"
        return
    for path, predicate in condition.items():
        yield from _predicate_problems(predicate, f"{pointer}/{path}")


def _predicate_problems(predicate: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(predicate, list):
        yield pointer, "a predicate is a value or one of {in, is, schema, any-of}"
        return
    if not isinstance(predicate, Mapping):
        return
    forms = [key for key in predicate if key in _FORMS]
    if len(forms) != 1 or len(predicate) != 1:
        yield (
            pointer,
            f"a predicate has exactly one of {', '.join(_FORMS)}, not {sorted(predicate)}",
        )
        return
    form, argument = forms[0], predicate[forms[0]]
    if form == "in" and not (isinstance(argument, list) and argument):
        yield pointer + "/in", "'in' lists the values"
    elif form == "is" and argument not in IS_KINDS:
        yield pointer + "/is", f"'is' is one of {', '.join(IS_KINDS)}"
    elif form == "schema" and not isinstance(argument, Mapping):
        yield pointer + "/schema", "'schema' is a JSON Schema (a mapping)"
    elif form == "any-of":
        if not (isinstance(argument, list) and argument):
            yield pointer + "/any-of", "'any-of' lists predicates"
            return
        for index, inner in enumerate(argument):
            yield from _predicate_problems(inner, f"{pointer}/any-of/{index}")


def condition_schema(condition: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a body that satisfies a condition (for `if`/`then` field rules)."""
    parts = [_path_schema(path.split("."), predicate) for path, predicate in condition.items()]
    return parts[0] if len(parts) == 1 else {"allOf": parts}


def _path_schema(keys: list[str], predicate: Any) -> dict[str, Any]:
    """A schema of the object holding `keys[0]`, saying the predicate of the value at `keys`.

    An object that is not there, or not an object, has none of its fields: a predicate that
    absence satisfies (absent, null, empty) holds of it.
    """
    head, rest = keys[0], keys[1:]
    if isinstance(predicate, Mapping) and "any-of" in predicate:
        return {"anyOf": [_path_schema(keys, inner) for inner in predicate["any-of"]]}
    if rest:
        below = {"properties": {head: _path_schema(rest, predicate)}}
        if _absence_satisfies(predicate):
            return below  # head absent or not an object: the field below is absent too
        return {
            "required": [head],
            "properties": {head: {"type": "object", **_path_schema(rest, predicate)}},
        }
    if not isinstance(predicate, Mapping):
        return {"required": [head], "properties": {head: {"const": predicate}}}
    if "in" in predicate:
        return {"required": [head], "properties": {head: {"enum": list(predicate["in"])}}}
    if "schema" in predicate:
        return {"required": [head], "properties": {head: dict(predicate["schema"])}}
    kind = predicate["is"]
    if kind == "absent":
        return {"anyOf": [{"not": {"type": "object"}}, {"not": {"required": [head]}}]}
    if kind == "present":
        return {"type": "object", "required": [head]}
    if kind == "null":
        return {"properties": {head: {"type": "null"}}}
    if kind == "empty":
        return {"properties": {head: {"enum": list(EMPTY_VALUES)}}}
    return {
        "type": "object",
        "required": [head],
        "properties": {head: {"not": {"enum": list(EMPTY_VALUES)}}},
    }


def _absence_satisfies(predicate: Any) -> bool:
    return isinstance(predicate, Mapping) and predicate.get("is") in ("absent", "null", "empty")


def schema_condition(schema: Any) -> dict[str, Any] | None:
    """The condition a JSON Schema says, when it is one `condition_schema` writes (the inverse:
    `{allOf: [{required: [status], properties: {status: {const: COMPLETED}}}, {properties:
    {error: {type: 'null'}}}]}` is `{status: COMPLETED, error: {is: null}}`); None otherwise."""
    if not isinstance(schema, Mapping):
        return None
    pieces = schema["allOf"] if list(schema) == ["allOf"] else [schema]
    if not isinstance(pieces, list) or not pieces:
        return None
    condition: dict[str, Any] = {}
    for piece in pieces:
        found = _piece_predicate(piece)
        if found is None or found[0] in condition:
            return None
        condition[found[0]] = found[1]
    try:
        written = condition_schema(condition)
    except (KeyError, TypeError, AttributeError):
        return None
    return condition if written == dict(schema) else None


def _piece_predicate(piece: Any) -> tuple[str, Any] | None:
    """The (path, predicate) one `_path_schema` part says, read loosely (the caller checks it
    by writing the condition back)."""
    if not isinstance(piece, Mapping):
        return None
    if list(piece) == ["anyOf"] and isinstance(piece["anyOf"], list) and len(piece["anyOf"]) == 2:
        last = piece["anyOf"][1]
        required = last.get("not", {}).get("required") if isinstance(last, Mapping) else None
        if isinstance(required, list) and len(required) == 1:
            return str(required[0]), {"is": "absent"}
        return None
    props = piece.get("properties")
    required = piece.get("required")
    if not isinstance(props, Mapping) or len(props) != 1:
        if props is None and isinstance(required, list) and len(required) == 1:
            return str(required[0]), {"is": "present"}
        return None
    head, inner = next(iter(props.items()))
    if not isinstance(inner, Mapping):
        return None
    if inner.get("type") == "object" and "properties" in inner:  # a nested path, set
        below = _piece_predicate({k: v for k, v in inner.items() if k != "type"})
        return None if below is None else (f"{head}.{below[0]}", below[1])
    if required is None and "properties" in inner:  # a nested path absence satisfies
        below = _piece_predicate(inner)
        return None if below is None else (f"{head}.{below[0]}", below[1])
    if inner == {"type": "null"}:
        return str(head), {"is": "null"}
    if inner == {"enum": list(EMPTY_VALUES)}:
        return str(head), {"is": "empty"}
    if inner == {"not": {"enum": list(EMPTY_VALUES)}}:
        return str(head), {"is": "set"}
    if list(inner) == ["const"]:
        return str(head), inner["const"]
    if list(inner) == ["enum"] and isinstance(inner["enum"], list):
        return str(head), {"in": list(inner["enum"])}
    return str(head), {"schema": dict(inner)}
