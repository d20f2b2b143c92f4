"""Render response bodies from templates in a scenario file.

A template is any JSON-like value. A mapping with a `$` key is an expression, evaluated against
the observed task; everything else is copied, with its children rendered. The expressions:

- `{$: id}`, `{$: state}`, `{$: owner}`: the task id, its current status value, its owner token.
- `{$: input, key: K, default: D}`: a field of the create request, or D when absent or null.
- `{$: time, of: created|now, format: iso|iso-ms|unix}`: a timestamp.
- `{$: entered, states: [...], else: E}`: when the task first entered one of the states, else E.
- `{$: progress, state: S, from: A, to: B, as: number|integer|string, round: N}`: A before S,
  rising linearly to B through S (a task cut short keeps the value it reached).
- `{$: remaining, state: S, round: N}`: seconds left in S.
- `{$: switch, cases: [{states: [...], value: V}, ...], else: E}`: the first matching case.
- `{$: after, seconds: N, then: V, else: E}`: V once N seconds have passed since creation, else E.
- `{$: given, key: K, then: V, else: E}`: V when the create request has K (not null), else E.
- `{$: digits, length: N, salt: S}`, `{$: uuid, salt: S, per: task|owner}`,
  `{$: integer, min: A, max: B, salt: S}`: stable pseudo-random values from the task's seed;
  with `unique: true`, digits and integers differ between any two tasks of the API (the n-th task
  takes the n-th value of a fixed permutation of the range), so they can serve as resource ids.
- `{$: format, template: "{base_url}/x/{id}"}`: a string with id, state, api, base_url (the
  mock's) and api_url (where the API's paths start: base_url, or base_url/<api>).
- `{$: ref, name: N}`: a named template from the file's `templates`.
- `{$: items}`, `{$: count}`: in list responses, the rendered tasks and how many there are.
- `{$: page-link, which: next|previous}`: in list responses, the URL of the next or previous page
  (null when there is none), with the request's own query and the page moved.

Unknown expressions are rejected when the scenario file is loaded, not when a request comes in.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from taskmock.core.clock import LATEST
from taskmock.core.engine import Observation

__all__ = [
    "EXPRESSIONS",
    "CompiledBody",
    "RenderContext",
    "dumps",
    "format_time",
    "leaf_templates",
    "render",
    "render_path",
    "template_problems",
    "volatility",
]

TIME_FORMATS = ("iso", "iso-ms", "unix")


@lru_cache(maxsize=8192)
def format_time(seconds: float, fmt: str) -> Any:
    """A timestamp in one of the vendor formats."""
    if fmt == "unix":
        return int(seconds)
    # A planned step can lie past what a timestamp can show (a long dwell near the clock's end).
    moment = datetime.fromtimestamp(min(max(seconds, 0.0), LATEST), tz=UTC)
    if fmt == "iso-ms":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RenderContext:
    """What a template can see: the observed task and the request's surroundings."""

    observation: Observation
    time_format: str = "iso"
    base_url: str = ""
    templates: Mapping[str, Any] = field(default_factory=dict)
    items: list[Any] | None = None
    total: int | None = None  # list responses: all matching tasks, when items is one page
    links: Mapping[str, str | None] | None = None  # list responses: next and previous page URLs
    base_path: str = ""  # where the API's paths start on the mock ("" or "/<api>")

    @property
    def record(self) -> Any:
        """The task record being rendered."""
        return self.observation.record

    def rng(self, salt: str, per: str = "task") -> random.Random:
        """A random generator that gives the same values for the same task (or owner) and salt."""
        if per == "owner":
            return random.Random(f"owner:{self.record.owner}:{salt}")
        return random.Random(f"{self.record.seed}:{self.record.id}:{salt}")


def render(template: Any, ctx: RenderContext) -> Any:
    """Render a template against a context."""
    if isinstance(template, dict):
        if "$" in template:
            return EXPRESSIONS[template["$"]](template, ctx)
        return {key: render(value, ctx) for key, value in template.items()}
    if isinstance(template, list):
        return [render(value, ctx) for value in template]
    return template


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
            node = ctx.templates[node["name"]]
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


def _input(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    value = ctx.record.input.get(t["key"])  # absent and explicit null both take the default
    return render(t.get("default"), ctx) if value is None else value


def _time(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    at = ctx.observation.now if t.get("of", "created") == "now" else ctx.record.created_at
    return format_time(at, t.get("format", ctx.time_format))


def _entered(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    at = ctx.observation.entered(t["states"])
    if at is None:
        return render(t.get("else"), ctx)
    return format_time(at, t.get("format", ctx.time_format))


def _shape_number(value: float, t: Mapping[str, Any]) -> Any:
    kind = t.get("as", "number")
    if kind in ("integer", "string"):
        whole = int(value + 1e-9)  # floor, but 0.99999... of 300 frames is 300, not 299
        return str(whole) if kind == "string" else whole
    return round(value, int(t.get("round", 4)))


def _progress(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    start = float(render(t.get("from", 0), ctx))
    end = float(render(t.get("to", 1), ctx))
    return _shape_number(start + (end - start) * ctx.observation.fraction(t["state"]), t)


def _remaining(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return round(ctx.observation.remaining(t["state"]), int(t.get("round", 1)))


def _switch(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    state = ctx.observation.state
    for case in t["cases"]:
        if state in case["states"]:
            return render(case["value"], ctx)
    return render(t.get("else"), ctx)


def _after(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    elapsed = ctx.observation.now - ctx.record.created_at
    return render(t.get("then") if elapsed >= float(t["seconds"]) else t.get("else"), ctx)


def _given(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    present = ctx.record.input.get(t["key"]) is not None
    return render(t.get("then") if present else t.get("else"), ctx)


def _digits(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    length = int(t.get("length", 15))
    if t.get("unique"):
        return str(_unique(ctx, str(t.get("salt", "digits")), 10 ** (length - 1), 10**length - 1))
    rng = ctx.rng(str(t.get("salt", "digits")), t.get("per", "task"))
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(length - 1))


def _uuid(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    rng = ctx.rng(str(t.get("salt", "uuid")), t.get("per", "task"))
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _integer(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    low, high = int(t.get("min", 1)), int(t.get("max", 1_000_000))
    if t.get("unique"):
        return _unique(ctx, str(t.get("salt", "integer")), low, high)
    rng = ctx.rng(str(t.get("salt", "integer")), t.get("per", "task"))
    return rng.randint(low, high)


def _unique(ctx: RenderContext, salt: str, low: int, high: int) -> int:
    """The record's serial mapped through a fixed permutation of [low, high]: no two records of
    an API share a value until the range is used up."""
    multiplier, offset = _permutation(ctx.record.api, salt, high - low + 1)
    return low + (multiplier * int(ctx.record.serial) + offset) % (high - low + 1)


@lru_cache(maxsize=256)
def _permutation(api: str, salt: str, size: int) -> tuple[int, int]:
    # x -> (a*x + b) mod size is a bijection when a and size are coprime.
    rng = random.Random(f"unique:{api}:{salt}")
    multiplier = rng.randrange(1, size) if size > 1 else 1
    while math.gcd(multiplier, size) != 1:
        multiplier = multiplier % (size - 1) + 1
    return multiplier, rng.randrange(size)


def _format(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    values = {
        "id": ctx.record.id,
        "state": ctx.observation.state,
        "api": ctx.record.api,
        "base_url": ctx.base_url,
        "api_url": ctx.base_url + ctx.base_path,
    }
    return str(t["template"]).format_map(values)


def _ref(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return render(ctx.templates[t["name"]], ctx)


def _items(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return list(ctx.items or [])


def _count(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return ctx.total if ctx.total is not None else len(ctx.items or [])


def _page_link(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return (ctx.links or {}).get(str(t["which"]))


EXPRESSIONS: dict[str, Callable[[Mapping[str, Any], RenderContext], Any]] = {
    "id": lambda t, ctx: ctx.record.id,
    "state": lambda t, ctx: ctx.observation.state,
    "owner": lambda t, ctx: ctx.record.owner,
    "input": _input,
    "time": _time,
    "entered": _entered,
    "progress": _progress,
    "remaining": _remaining,
    "switch": _switch,
    "after": _after,
    "given": _given,
    "digits": _digits,
    "uuid": _uuid,
    "integer": _integer,
    "format": _format,
    "ref": _ref,
    "items": _items,
    "count": _count,
    "page-link": _page_link,
}

# The keys each expression requires; checked at load so a typo never reaches a request.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "input": ("key",),
    "entered": ("states",),
    "progress": ("state",),
    "remaining": ("state",),
    "switch": ("cases",),
    "after": ("seconds",),
    "given": ("key",),
    "format": ("template",),
    "ref": ("name",),
    "page-link": ("which",),
}


def template_problems(
    template: Any, templates: Mapping[str, Any], pointer: str = ""
) -> list[tuple[str, str]]:
    """Problems in a template as (pointer, message): unknown expressions, missing keys, bad refs."""
    from taskmock.errors import did_you_mean

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
            for key in _REQUIRED.get(name, ()):
                if key not in template:
                    found.append((pointer, f"expression {name!r} needs {key!r}"))
            if name == "ref" and template.get("name") not in templates:
                found.append(
                    (
                        pointer + "/name",
                        f"no template named {template.get('name')!r}"
                        f"{did_you_mean(str(template.get('name')), templates)}",
                    )
                )
            if name in ("time", "entered") and template.get("format", "iso") not in TIME_FORMATS:
                found.append(
                    (pointer + "/format", f"time format must be one of {', '.join(TIME_FORMATS)}")
                )
        for key, value in template.items():
            if key != "$":
                found.extend(template_problems(value, templates, f"{pointer}/{key}"))
    elif isinstance(template, list):
        for index, value in enumerate(template):
            found.extend(template_problems(value, templates, f"{pointer}/{index}"))
    return found


# How long a rendered value holds: for the task's whole life, while the task stays in one step of
# its timeline, or only for the instant it is rendered at.
RECORD, STEP, INSTANT = 0, 1, 2

_BY_RECORD = frozenset({"id", "owner", "input", "digits", "uuid", "integer", "given"})
_BY_STEP = frozenset({"state", "entered", "switch"})


def volatility(template: Any, templates: Mapping[str, Any]) -> int:
    """How often a template's value can change: RECORD (never), STEP or INSTANT (any time).

    A value of the task record and the base URL alone is RECORD; one that also reads the current
    state or the steps entered so far is STEP; one that reads the time (progress, seconds
    remaining, `time of: now`, `after`) is INSTANT, and so is any expression not named here.
    """
    if isinstance(template, list):
        return max((volatility(v, templates) for v in template), default=RECORD)
    if not isinstance(template, dict):
        return RECORD
    own = RECORD
    if "$" in template:
        name = template["$"]
        if name == "time":
            own = INSTANT if template.get("of", "created") == "now" else RECORD
        elif name == "format":
            own = STEP if "{state}" in str(template.get("template", "")) else RECORD
        elif name == "ref":
            own = volatility(templates.get(str(template.get("name"))), templates)
        elif name in _BY_STEP:
            own = STEP
        elif name not in _BY_RECORD:
            own = INSTANT
    return max([own, *(volatility(v, templates) for k, v in template.items() if k != "$")])


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

    def step_fragments(self, ctx: RenderContext) -> list[str | None]:
        """The encoded members that hold for the task's current step (None for the others)."""
        return [
            prefix + dumps(render(value, ctx)) if level < INSTANT else None
            for prefix, value, level in self.members
        ]

    def render_json(self, ctx: RenderContext, fragments: list[str | None]) -> str:
        """The body as JSON text, from a step's fragments and this instant's values."""
        parts = list(fragments)
        for index, prefix, renderer, value in self.instant:
            parts[index] = prefix + dumps(renderer(value, ctx))
        return "{" + ",".join(parts) + "}"  # type: ignore[arg-type]  # every None was filled


def _renderer(template: Any) -> Callable[[Any, RenderContext], Any]:
    """The function that renders `template`: its expression's own, or the general `render`."""
    if isinstance(template, dict):
        name = template.get("$")
        if name == "progress" and all(
            type(template.get(bound, 0)) in (int, float) for bound in ("from", "to")
        ):
            return _numeric_progress(template)
        if name in EXPRESSIONS:
            return EXPRESSIONS[name]
    return render


def _numeric_progress(t: Mapping[str, Any]) -> Callable[[Any, RenderContext], Any]:
    """`progress` between two numbers, its options read once: the member running polls render."""
    state = t["state"]
    start = float(t.get("from", 0))
    span = float(t.get("to", 1)) - start

    def progress(_: Any, ctx: RenderContext) -> Any:
        return _shape_number(start + span * ctx.observation.fraction(state), t)

    return progress
