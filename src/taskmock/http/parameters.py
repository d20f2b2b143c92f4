"""Path and query parameters: read them as the spec types them, and check them against it."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema.protocols import Validator

from taskmock.core.spec import Operation, Spec
from taskmock.http.messages import Request

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
    """A parameter the spec does not allow; `location` is path or query."""

    def __init__(self, name: str, location: str, detail: str) -> None:
        super().__init__(detail)
        self.name, self.location, self.detail = name, location, detail


@dataclass(frozen=True)
class ParameterRule:
    """One declared path or query parameter."""

    name: str
    location: str
    required: bool
    kind: Any
    validator: Validator
    type_only: bool = False  # the schema says nothing but its type: a plain check will do
    spanning: bool = False  # a path parameter marked `x-multi-segment: true`: `a/b/c` is one value


_PLAIN: dict[str, type | tuple[type, ...]] = {"string": str, "integer": int}


def parameter_rules(spec: Spec, operation: Operation) -> tuple[ParameterRule, ...]:
    """The path and query parameters of an operation (path-item level ones included)."""
    item = spec.document.get("paths", {}).get(operation.path, {})
    declared = [
        spec.resolve(p) for p in (*item.get("parameters", []), *operation.raw.get("parameters", []))
    ]
    rules: dict[tuple[str, str], ParameterRule] = {}
    for parameter in declared:  # operation-level entries override path-level ones
        if parameter.get("in") not in ("path", "query"):
            continue
        schema = parameter.get("schema", {})
        rules[(parameter["name"], parameter["in"])] = ParameterRule(
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
        raw = (
            path_params.get(rule.name)
            if rule.location == "path"
            else next(iter(query.get(rule.name, [])), None)
        )
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
    return values
