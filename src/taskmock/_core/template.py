"""Templates in a scenario file: checking them, knowing how long their values hold, and rendering
them fast on the poll path.

A template is any JSON-like value; a mapping with a `$` key is an expression (`_core/expressions.py`
holds every one, `mocks/REFERENCE.md` documents them). This module re-exports `render` and
`RenderContext` from `_core/rendering.py`, so it is the one place the rest of taskmock imports from.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

import taskmock._core.expressions  # noqa: F401  (registers every expression)
from taskmock._core.registry import Option
from taskmock._core.rendering import (
    EXPRESSIONS,
    INSTANT,
    OMIT,
    RECORD,
    STEP,
    TIME_FORMATS,
    RenderContext,
    RequestFacts,
    format_time,
    render,
)
from taskmock.errors import did_you_mean

__all__ = [
    "EXPRESSIONS",
    "INSTANT",
    "OMIT",
    "RECORD",
    "STEP",
    "TIME_FORMATS",
    "CompiledBody",
    "RenderContext",
    "RequestFacts",
    "dumps",
    "format_time",
    "leaf_templates",
    "normalize",
    "reads_request",
    "render",
    "render_path",
    "template_problems",
    "uses_expression",
    "volatility",
]


def render_path(template: Any, path: tuple[str, ...], ctx: RenderContext) -> Any:
    """The value at `path` (keys) in what `template` renders to, rendering only what leads there.

    A `switch` or `ref` on the way is followed; a plain mapping is entered by key; any other
    expression is rendered whole and the rest of the path read from its value.
    """
    node = template
    for index, key in enumerate(path):
        node = _settle(node, ctx)
        if isinstance(node, dict) and "$" in node:
            return _dig(render(node, ctx), path[index:])
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return render(node, ctx)


def _settle(node: Any, ctx: RenderContext) -> Any:
    """Follow `switch` and `ref` expressions to the template they choose now."""
    while isinstance(node, dict) and node.get("$") in ("switch", "ref"):
        if node["$"] == "ref":
            node = (ctx.templates or {})[node["name"]]
            continue
        state = ctx.observation.state
        node = next(
            (case["value"] for case in node["cases"] if state in case["states"]), node.get("else")
        )
    return node


def _dig(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def leaf_templates(template: Any, path: tuple[str, ...], templates: Mapping[str, Any]) -> list[Any]:
    """Every template that can produce the value at `path`, whatever the state (the cases of a
    `switch` on the way are all followed). Empty when an expression other than `switch` or `ref`
    stands on the path, so the value cannot be known without rendering."""
    found: list[Any] = []
    pending: list[tuple[Any, int]] = [(template, 0)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict) and node.get("$") == "ref":
            pending.append((templates.get(str(node.get("name"))), depth))
        elif isinstance(node, dict) and node.get("$") == "switch":
            pending.extend((case.get("value"), depth) for case in node.get("cases", []))
            pending.append((node.get("else"), depth))
        elif depth == len(path):
            found.append(node)
        elif isinstance(node, dict) and "$" in node:
            return []
        elif isinstance(node, dict):
            pending.append((node.get(path[depth]), depth + 1))
    return found


def normalize(template: Any) -> Any:
    """The template with every option alias written under its name (`default` becomes `else`
    in `input`), so rendering reads one spelling. Unknown expressions are left as they are."""
    if isinstance(template, list):
        return [normalize(value) for value in template]
    if not isinstance(template, dict):
        return template
    names = EXPRESSIONS[template["$"]].option_names if template.get("$") in EXPRESSIONS else {}
    return {names.get(key, key): normalize(value) for key, value in template.items()}


def template_problems(
    template: Any, templates: Mapping[str, Any], pointer: str = ""
) -> list[tuple[str, str]]:
    """Problems in a template as (pointer, message): unknown expressions or options, missing
    options, what each expression checks itself (a `ref` to no template, a bad time format)."""
    found: list[tuple[str, str]] = []
    if isinstance(template, dict):
        if "$" in template:
            name = template["$"]
            if name not in EXPRESSIONS:
                found.append(
                    (
                        pointer + "/$",
                        f"unknown expression {name!r}{did_you_mean(str(name), EXPRESSIONS)}",
                    )
                )
                return found
            entry = EXPRESSIONS[name]
            known = entry.option_names
            for key in template:
                if key != "$" and key not in known:
                    found.append(
                        (
                            f"{pointer}/{key}",
                            f"{name!r} has no option {key!r}{did_you_mean(str(key), known)}",
                        )
                    )
            for option in entry.options:
                spellings = (option.name, *option.aliases)
                if option.required and not any(s in template for s in spellings):
                    found.append((pointer, f"expression {name!r} needs {option.name!r}"))
                found.extend(_option_value_problems(option, template, pointer))
            if entry.check is not None:
                found.extend(
                    (pointer + where, message)
                    for where, message in entry.check(template, templates)
                )
        for key, value in template.items():
            if key != "$":
                found.extend(template_problems(value, templates, f"{pointer}/{key}"))
    elif isinstance(template, list):
        for index, value in enumerate(template):
            found.extend(template_problems(value, templates, f"{pointer}/{index}"))
    return found


def _option_value_problems(
    option: Option, template: Mapping[str, Any], pointer: str
) -> Iterator[tuple[str, str]]:
    """A value its option's schema refuses (a template given for it is checked as a template)."""
    schema = option.schema
    if schema is None or "$ref" in json.dumps(schema):
        return
    for spelling in (option.name, *option.aliases):
        value = template.get(spelling, _ABSENT)
        if value is _ABSENT or (isinstance(value, dict) and "$" in value):
            continue
        error = best_match(Draft202012Validator(schema).iter_errors(value))
        if error is not None:
            yield f"{pointer}/{spelling}", f"{spelling}: {error.message}"


_ABSENT = object()


def volatility(template: Any, templates: Mapping[str, Any]) -> int:
    """How often a template's value can change: RECORD (never), STEP or INSTANT (any time).

    Each expression says how long its own value holds (`Expression.holds`); a template holds
    as long as the shortest-lived expression in it.
    """
    if isinstance(template, list):
        return max((volatility(v, templates) for v in template), default=RECORD)
    if not isinstance(template, dict):
        return RECORD
    own = RECORD
    if "$" in template:
        holds = EXPRESSIONS[template["$"]].holds if template["$"] in EXPRESSIONS else INSTANT
        own = holds if isinstance(holds, int) else holds(template, templates)
    return max([own, *(volatility(v, templates) for k, v in template.items() if k != "$")])


def uses_expression(
    template: Any, templates: Mapping[str, Any], *names: str, of: str | None = None
) -> bool:
    """Whether `template` holds one of the expressions `names` (with `of` set to that value,
    when given), through named templates too."""
    pending, seen = [template], set()
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            kind = node.get("$")
            if kind in names and (of is None or node.get("of") == of):
                return True
            if kind == "ref" and str(node.get("name")) not in seen:
                seen.add(str(node.get("name")))
                pending.append(templates.get(str(node.get("name"))))
            pending.extend(v for k, v in node.items() if k != "$")
    return False


def reads_request(template: Any, templates: Mapping[str, Any]) -> bool:
    """Whether rendering `template` may read the request being answered (`query`, or `param`
    of the request), through named templates too."""
    return uses_expression(template, templates, "query") or uses_expression(
        template, templates, "param", of="request"
    )


# allow_nan=False: NaN and Infinity are not JSON (input carrying them is refused before storing).
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_ENCODE_STR: Any = json.encoder.encode_basestring  # the C escaper json uses with ensure_ascii=False
_SCALARS: dict[Any, str] = {None: "null", True: "true", False: "false"}


def dumps(data: Any) -> str:
    """JSON text as the mock sends it: compact, UTF-8; scalars (most poll values) go straight."""
    kind = type(data)
    if kind is str:
        return str(_ENCODE_STR(data))
    if kind is int:
        return int.__repr__(data)
    if kind is float and math.isfinite(data):
        return float.__repr__(data)
    if data is None or kind is bool:
        return _SCALARS[data]
    return _ENCODE(data)


class CompiledBody:
    """A mapping template split by how long each member's value holds (see `volatility`).

    `step_fragments` encodes the members that hold while a task stays in one step of its timeline;
    the caller keeps them, and `render_json` adds only the members that change from instant to
    instant. The result is byte-identical to encoding `render(template, ctx)`.
    """

    def __init__(self, template: Mapping[str, Any], templates: Mapping[str, Any]) -> None:
        self.members = [
            (dumps(key) + ":", value, volatility(value, templates))
            for key, value in template.items()
        ]
        # The per-poll members, with the function that renders each (expressions called directly).
        self.instant = [
            (index, prefix, _renderer(value), value)
            for index, (prefix, value, level) in enumerate(self.members)
            if level == INSTANT
        ]
        self.may_omit = _may_omit(dict(template), templates)

    def step_fragments(self, ctx: RenderContext) -> list[str | None]:
        """The encoded members that hold for the task's current step (None for the others, ""
        for one left out now)."""
        return [
            _member(prefix, render(value, ctx)) if level < INSTANT else None
            for prefix, value, level in self.members
        ]

    def render_json(self, ctx: RenderContext, fragments: list[str | None]) -> str:
        """The body as JSON text, from a step's fragments and this instant's values."""
        parts = list(fragments)
        for index, prefix, renderer, template in self.instant:
            value = renderer(template, ctx)  # (inline, not _member: this runs on every poll)
            parts[index] = "" if value is OMIT else prefix + dumps(value)
        if self.may_omit:
            parts = [part for part in parts if part]
        return "{" + ",".join(parts) + "}"  # type: ignore[arg-type]  # every None was filled


def _member(prefix: str, value: Any) -> str:
    return "" if value is OMIT else prefix + dumps(value)


def _may_omit(
    template: Any, templates: Mapping[str, Any], seen: frozenset[str] = frozenset()
) -> bool:
    """Whether rendering a member can leave it out (an `omit` it can reach, through refs too)."""
    if isinstance(template, list):
        return any(_may_omit(v, templates, seen) for v in template)
    if not isinstance(template, dict):
        return False
    if template.get("$") == "omit":
        return True
    if template.get("$") == "ref":
        name = str(template.get("name"))
        return name not in seen and _may_omit(templates.get(name), templates, seen | {name})
    return any(_may_omit(v, templates, seen) for v in template.values())


def _renderer(template: Any) -> Callable[[Any, RenderContext], Any]:
    """The function that renders `template`: its expression's own (or the faster one it compiles
    for this template), or the general `render`."""
    if isinstance(template, dict) and template.get("$") in EXPRESSIONS:
        entry = EXPRESSIONS[template["$"]]
        compiled = entry.compile(template) if entry.compile is not None else None
        return compiled or entry.render
    return render
