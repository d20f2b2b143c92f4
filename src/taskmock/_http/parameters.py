"""Path, query and header parameters: read them as the spec types them, and check them against it.

A header parameter named Accept, Content-Type or Authorization is ignored, as OpenAPI says (the
body's media type and the security schemes say those).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema.protocols import Validator

from taskmock._core.spec import Operation, Spec
from taskmock._http.messages import Request

__all__ = [
    "MULTI_SEGMENT",
    "ParameterError",
    "ParameterRule",
    "parameter_rules",
    "read_parameters",
]

#: The extension that lets a path parameter span segments (`{model}` matching `a/b/c`).
MULTI_SEGMENT = "x-multi-segment"


class ParameterError(Exception):
    """A parameter the spec does not allow; `location` is path, query or header."""

    def __init__(self, name: str, location: str, detail: str) -> None:
        super().__init__(detail)
        self.name, self.location, self.detail = name, location, detail


@dataclass(frozen=True)
class ParameterRule:
    """One declared path, query or header parameter."""

    name: str
    location: str
    required: bool
    kind: Any
    validator: Validator
    type_only: bool = False  # the schema says nothing but its type: a plain check will do
    spanning: bool = False  # a path parameter marked `x-multi-segment: true`: `a/b/c` is one value
    # Header values already found valid (a version header repeats on every request), typed.
    accepted: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        """Where a request carries it: its name, in lower case for a header."""
        return self.name.lower() if self.location == "header" else self.name


_PLAIN: dict[str, type | tuple[type, ...]] = {"string": str, "integer": int}
_LOCATIONS = ("path", "query", "header")
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_ACCEPTED_HEADER_VALUES = 64


def parameter_rules(spec: Spec, operation: Operation) -> tuple[ParameterRule, ...]:
    """The path, query and header parameters of an operation (path-item level ones included)."""
    item = spec.document.get("paths", {}).get(operation.path, {})
    declared = [
        spec.resolve(p) for p in (*item.get("parameters", []), *operation.raw.get("parameters", []))
    ]
    rules: dict[tuple[str, str], ParameterRule] = {}
    for parameter in declared:  # operation-level entries override path-level ones
        where = parameter.get("in")
        if where not in _LOCATIONS:
            continue
        if where == "header" and str(parameter["name"]).lower() in _IGNORED_HEADERS:
            continue
        schema = parameter.get("schema", {})
        key = str(parameter["name"]).lower() if where == "header" else parameter["name"]
        rules[(key, where)] = ParameterRule(
            parameter["name"],
            parameter["in"],
            bool(parameter.get("required")),
            schema.get("type", "string"),
            spec.validator(schema),
            set(schema) <= {"type", "description"} and schema.get("type") in _PLAIN,
            parameter["in"] == "path" and parameter.get(MULTI_SEGMENT) is True,
        )
    return tuple(rules.values())


# Python's int() and float() also read "5_000", " 5000 ", "+5000" and other scripts' digits; a
# parameter is an integer only when written as one (what a route converter like `[0-9]+` takes).
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


def _typed(text: str, kind: Any) -> Any:
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds and _INTEGER.fullmatch(text) and len(text) < 300:
        return int(text)
    if "number" in kinds and _NUMBER.fullmatch(text) and len(text) < 300:
        number = float(text)
        if math.isfinite(number):
            return number
    if "boolean" in kinds and text in ("true", "false"):
        return text == "true"
    return text


def read_parameters(
    rules: tuple[ParameterRule, ...],
    request: Request,
    path_params: Mapping[str, str],
    *,
    drop_invalid_query: bool = False,
) -> dict[str, Any]:
    """The declared parameters, typed and valid; ParameterError on the first one that is not.

    With `drop_invalid_query`, an invalid optional query parameter is ignored instead (as DRF's
    paginators ignore a bad `offset`), for operations that document no 400 answer.
    """
    values: dict[str, Any] = {}
    query = request.query if request.query_string else {}
    for rule in rules:
        if rule.location == "path":
            raw = path_params.get(rule.name)
        elif rule.location == "query":
            raw = next(iter(query.get(rule.name, [])), None)
        else:
            raw = request.headers.get(rule.key)
            if raw is not None and raw in rule.accepted:
                values[rule.name] = rule.accepted[raw]
                continue
        if raw is None:
            if rule.required:
                raise ParameterError(
                    rule.name, rule.location, f"{rule.location} parameter {rule.name!r} is required"
                )
            continue
        if rule.type_only and rule.kind == "string":  # a poll's id, most often: nothing to check
            values[rule.name] = raw
            continue
        value = _typed(raw, rule.kind)
        if rule.type_only and isinstance(value, _PLAIN[rule.kind]) and not isinstance(value, bool):
            values[rule.name] = value
            continue
        error = next(iter(rule.validator.iter_errors(value)), None)
        if error is not None:
            if drop_invalid_query and rule.location == "query" and not rule.required:
                continue
            raise ParameterError(
                rule.name,
                rule.location,
                f"{rule.location} parameter {rule.name!r}: {error.message}",
            )
        values[rule.name] = value
        if rule.location == "header" and len(rule.accepted) < _ACCEPTED_HEADER_VALUES:
            rule.accepted[raw] = value
    return values
