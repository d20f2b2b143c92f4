"""Every template expression, one registry entry each (see `_core/rendering.py`).

An entry says what the expression renders, its options (with their JSON Schema, for editors),
how long its value holds (so the poll path knows what it may encode once per lifecycle step),
and any check a schema cannot make. `mocks/REFERENCE.md` is generated from these entries.

Option names are the same across expressions: `else` is the value when nothing else applies
(`default` is still accepted for `input`), `then` the value when the condition holds, `states` a
list of lifecycle states, `salt` what makes two pseudo-random values of one task differ.
"""

from __future__ import annotations

import base64
import math
import random
import re
import string
import uuid
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from taskmock._core.registry import Option
from taskmock._core.rendering import (
    INSTANT,
    OMIT,
    RECORD,
    STEP,
    TIME_FORMATS,
    RenderContext,
    Renderer,
    expression,
    format_time,
    render,
)
from taskmock.errors import did_you_mean

__all__: list[str] = []  # the entries register themselves; nothing here is called by name

_STATES = {"type": "array", "minItems": 1, "items": {"type": ["string", "integer", "boolean"]}}
_SALT = Option(
    "salt",
    "Makes this value differ from the task's other pseudo-random values.",
    {"type": "string"},
)
_PER = Option(
    "per",
    "task (default): stable per task; owner: the same for every task of one owner.",
    {"enum": ["task", "owner"]},
)
_ELSE = Option("else", "The value when nothing else applies (default null).")
_THEN = Option("then", "The value when the condition holds (default null).")
_TIME_FORMAT = Option(
    "format",
    "iso (default: the file's time-format), iso-ms, unix (seconds) or unix-ms.",
    {"enum": list(TIME_FORMATS)},
)
_ROUND = Option("round", "Decimal places of a number.", {"type": "integer", "minimum": 0})


def _format_check(t: Mapping[str, Any], templates: Mapping[str, Any]) -> list[tuple[str, str]]:
    fmt = t.get("format", "iso")
    if fmt not in TIME_FORMATS:
        return [("/format", f"time format must be one of {', '.join(TIME_FORMATS)}")]
    return []


# --- the task itself -----------------------------------------------------------------------------


@expression("id", "The task id.", holds=RECORD)
def _id(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return ctx.record.id


@expression(
    "task",
    "The task's body as its poll answers it now (its scenario's fields and the control plane's "
    "overrides included): what a create, a cancel or an answer about the task shows of it. Not "
    "in the body itself.",
)
def _task(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    body = render(ctx.task_body, ctx)
    overrides = ctx.record.fields
    return {**body, **overrides} if overrides and isinstance(body, dict) else body


@expression("state", "The task's current state, as the spec's status field spells it.", holds=STEP)
def _state(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return ctx.observation.state


@expression("owner", "The credential that created the task (null for a public task).", holds=RECORD)
def _owner(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return ctx.record.owner


_KEY = Option(
    "key",
    "The field's name; a dotted path reads a nested field (parameters.storageUri).",
    {"type": "string"},
    required=True,
)


def _field(data: Mapping[str, Any], key: str) -> Any:
    """A create-request field by name, or by dotted path when no field has the whole name."""
    if key in data or "." not in key:
        return data.get(key)
    value: Any = data
    for part in key.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


@expression(
    "input",
    "A field of the create request, or `else` when it is absent or null.",
    _KEY,
    Option("else", "The value when the request has no such field.", aliases=("default",)),
    holds=RECORD,
)
def _input(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    value = _field(ctx.record.input, t["key"])  # absent and explicit null take the fallback
    return render(t.get("else"), ctx) if value is None else value


@expression(
    "given",
    "`then` when the create request has the field (not null), else `else`.",
    _KEY,
    _THEN,
    _ELSE,
    holds=RECORD,
)
def _given(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    present = _field(ctx.record.input, t["key"]) is not None
    return render(t.get("then") if present else t.get("else"), ctx)


# --- the request ---------------------------------------------------------------------------------


def _param_holds(t: Mapping[str, Any], templates: Mapping[str, Any]) -> int:
    # The create request's parameters are the task's for life; the current request's vary.
    return INSTANT if t.get("of", "task") == "request" else RECORD


@expression(
    "param",
    "A path parameter (decoded, as sent): of the request that created the task (`of: task`, "
    "kept with it), or of the request being answered (`of: request`); `else` when there is none.",
    Option(
        "name",
        "The parameter's name, as the spec's path names it.",
        {"type": "string"},
        required=True,
    ),
    Option(
        "of",
        "task (default): the create request's; request: this request's.",
        {"enum": ["task", "request"]},
    ),
    Option(
        "as",
        "text (default: decoded) or path (percent-encoded again, `/` kept: for a URL).",
        {"enum": ["text", "path"]},
    ),
    _ELSE,
    holds=_param_holds,
)
def _param(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    if t.get("of", "task") == "request":
        params = ctx.request.params if ctx.request is not None else {}
    else:
        params = ctx.record.params
    value = params.get(t["name"])
    if value is None:
        return render(t.get("else"), ctx)
    return quote(value, safe="/") if t.get("as") == "path" else value


@expression(
    "query",
    "A query parameter of the request being answered (its first value, as sent); with `in`, "
    "`then` when the value is one of them. `else` when the request has no such parameter (or its "
    "value is not in `in`).",
    Option("name", "The parameter's name.", {"type": "string"}, required=True),
    Option(
        "in",
        'Values (as sent, e.g. "1", "true") that choose `then`.',
        {"type": "array", "minItems": 1, "items": {"type": "string"}},
    ),
    Option("then", "The value when the parameter is one of `in` (default null)."),
    _ELSE,
)
def _query(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    value = ctx.request.query(t["name"]) if ctx.request is not None else None
    if "in" not in t:
        return render(t.get("else"), ctx) if value is None else value
    return render(t.get("then") if value in t["in"] else t.get("else"), ctx)


# --- time ----------------------------------------------------------------------------------------


def _time_holds(t: Mapping[str, Any], templates: Mapping[str, Any]) -> int:
    return INSTANT if t.get("of", "created") == "now" else RECORD


@expression(
    "time",
    "A timestamp: when the task was created, or now.",
    Option("of", "created (default) or now.", {"enum": ["created", "now"]}),
    _TIME_FORMAT,
    holds=_time_holds,
    check=_format_check,
)
def _time(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    at = ctx.observation.now if t.get("of", "created") == "now" else ctx.record.created_at
    return format_time(at, t.get("format", ctx.time_format))


@expression(
    "entered",
    "When the task first entered one of the states, else `else`.",
    Option("states", "The states.", _STATES, required=True),
    _TIME_FORMAT,
    _ELSE,
    holds=STEP,
    check=_format_check,
)
def _entered(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    at = ctx.observation.entered(t["states"])
    if at is None:
        return render(t.get("else"), ctx)
    return format_time(at, t.get("format", ctx.time_format))


@expression(
    "after",
    "`then` once `seconds` have passed since the task was created, else `else`.",
    Option("seconds", "Seconds after creation.", {"type": "number", "minimum": 0}, required=True),
    _THEN,
    _ELSE,
)
def _after(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    elapsed = ctx.observation.now - ctx.record.created_at
    return render(t.get("then") if elapsed >= float(t["seconds"]) else t.get("else"), ctx)


@expression(
    "deadline",
    "When the deadline the create request set falls (a create role's `deadline` option), else "
    "`else`.",
    _TIME_FORMAT,
    _ELSE,
    holds=RECORD,
    check=_format_check,
)
def _deadline(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    at = ctx.record.deadline
    if at is None:
        return render(t.get("else"), ctx)
    return format_time(at, t.get("format", ctx.time_format))


@expression(
    "elapsed",
    "Seconds from when the task first entered one of `from` to when it first entered one of "
    "`to` (a duration such as a run's predict time), else `else` until both happened.",
    Option("from", "The states it starts with.", _STATES, required=True),
    Option("to", "The states it ends with.", _STATES, required=True),
    Option("round", "Decimal places (default 3).", {"type": "integer", "minimum": 0}),
    _ELSE,
    holds=STEP,
)
def _elapsed(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    start, end = ctx.observation.entered(t["from"]), ctx.observation.entered(t["to"])
    if start is None or end is None:
        return render(t.get("else"), ctx)
    return round(max(end - start, 0.0), int(t.get("round", 3)))


# --- progress through a state --------------------------------------------------------------------


def _shape_number(value: float, t: Mapping[str, Any]) -> Any:
    kind = t.get("as", "number")
    if kind in ("integer", "string"):
        whole = int(value + 1e-9)  # floor, but 0.99999... of 300 frames is 300, not 299
        return str(whole) if kind == "string" else whole
    return round(value, int(t.get("round", 4)))


@expression(
    "progress",
    "`from` before the state, rising linearly to `to` through it (a task cut short keeps the "
    "value it reached).",
    Option("state", "The state progress runs through.", required=True),
    Option("from", "The value before the state (a number, or a template of one; default 0)."),
    Option("to", "The value at its end (a number, or a template of one; default 1)."),
    Option("as", "number (default), integer or string.", {"enum": ["number", "integer", "string"]}),
    _ROUND,
    compile=lambda t: (
        _numeric_progress(t)
        if all(type(t.get(bound, 0)) in (int, float) for bound in ("from", "to"))
        else None
    ),
)
def _progress(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    start = float(render(t.get("from", 0), ctx))
    end = float(render(t.get("to", 1), ctx))
    return _shape_number(start + (end - start) * ctx.observation.fraction(t["state"]), t)


def _numeric_progress(t: Mapping[str, Any]) -> Renderer:
    """`progress` between two numbers, its options read once: the member running polls render."""
    state = t["state"]
    start = float(t.get("from", 0))
    span = float(t.get("to", 1)) - start

    def progress(_: Any, ctx: RenderContext) -> Any:
        return _shape_number(start + span * ctx.observation.fraction(state), t)

    return progress


@expression(
    "remaining",
    "Seconds left in the state (its whole dwell before it, 0 after it).",
    Option("state", "The state.", required=True),
    Option("round", "Decimal places (default 1).", {"type": "integer", "minimum": 0}),
)
def _remaining(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return round(ctx.observation.remaining(t["state"]), int(t.get("round", 1)))


# --- choosing ------------------------------------------------------------------------------------


@expression(
    "switch",
    "The value of the first case naming the current state, else `else`.",
    Option(
        "cases",
        "A list of {states: [...], value: V}.",
        {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["states", "value"],
                "properties": {"states": _STATES, "value": {"$ref": "#/$defs/template"}},
                "additionalProperties": False,
            },
        },
        required=True,
    ),
    _ELSE,
    holds=STEP,
)
def _switch(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    state = ctx.observation.state
    for case in t["cases"]:
        if state in case["states"]:
            return render(case["value"], ctx)
    return render(t.get("else"), ctx)


@expression(
    "omit", "Leaves its member out of the mapping (or its item out of the list).", holds=RECORD
)
def _omit(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return OMIT


def _ref_holds(t: Mapping[str, Any], templates: Mapping[str, Any]) -> int:
    from taskmock._core.template import volatility  # the walk over the named template

    return volatility(templates.get(str(t.get("name"))), templates)


def _ref_check(t: Mapping[str, Any], templates: Mapping[str, Any]) -> list[tuple[str, str]]:
    from taskmock.errors import did_you_mean

    name = t.get("name")
    if name not in templates:
        return [("/name", f"no template named {name!r}{did_you_mean(str(name), templates)}")]
    return []


@expression(
    "ref",
    "A named template from the file's `templates`.",
    Option("name", "The template's name.", {"type": "string"}, required=True),
    holds=_ref_holds,
    check=_ref_check,
)
def _ref(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return render((ctx.templates or {})[t["name"]], ctx)


# --- stable pseudo-random values -----------------------------------------------------------------

_UNIQUE = Option(
    "unique",
    "true: no two tasks of the API share the value (the n-th task takes the n-th value of a "
    "fixed permutation of the range), so it can serve as a resource id.",
    {"type": "boolean"},
)


@expression(
    "digits",
    "A string of digits, stable for the task.",
    Option("length", "How many (default 15).", {"type": "integer", "minimum": 1, "maximum": 40}),
    _SALT,
    _PER,
    _UNIQUE,
    holds=RECORD,
)
def _digits(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    length = int(t.get("length", 15))
    if t.get("unique"):
        return str(_unique(ctx, str(t.get("salt", "digits")), 10 ** (length - 1), 10**length - 1))
    rng = ctx.rng(str(t.get("salt", "digits")), t.get("per", "task"))
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(length - 1))


@expression("uuid", "A UUID (version 4), stable for the task.", _SALT, _PER, holds=RECORD)
def _uuid(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    rng = ctx.rng(str(t.get("salt", "uuid")), t.get("per", "task"))
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@expression(
    "integer",
    "An integer in [min, max], stable for the task.",
    Option("min", "The smallest (default 1).", {"type": "integer"}),
    Option("max", "The largest (default 1000000).", {"type": "integer"}),
    _SALT,
    _PER,
    _UNIQUE,
    holds=RECORD,
)
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


# --- text ----------------------------------------------------------------------------------------


def _format_holds(t: Mapping[str, Any], templates: Mapping[str, Any]) -> int:
    from taskmock._core.template import volatility  # the walk over the named values

    own = STEP if "{state}" in str(t.get("template", "")) else RECORD
    return max(own, volatility(list((t.get("values") or {}).values()), templates))


def _text_check(t: Mapping[str, Any], templates: Mapping[str, Any]) -> list[tuple[str, str]]:
    given = t.get("values") or {}
    clash = sorted(set(given) & set(_FORMAT_NAMES))
    if clash:
        return [(f"/values/{clash[0]}", f"{{{clash[0]}}} is already given; choose another name")]
    names = {*_FORMAT_NAMES, *given}
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(str(t.get("template", "")))]
    except ValueError as exc:
        return [("/template", f"not a format string: {exc}")]
    for name in fields:
        if name is None:
            continue
        base = re.split(r"[.\[]", name, maxsplit=1)[0]
        if base not in names:
            return [("/template", f"no value {{{base}}}{did_you_mean(base, sorted(names))}")]
    return []


_FORMAT_NAMES = ("id", "state", "api", "base_url", "api_url")


@expression(
    "format",
    "A string with {id}, {state}, {api}, {base_url} (the mock's), {api_url} (where the API's "
    "paths start: base_url, or base_url/<api>) and the names of `values`; Python format specs "
    "apply (`{pct:3d}`).",
    Option("template", "The text, with {placeholders}.", {"type": "string"}, required=True),
    Option(
        "values",
        "More placeholders: names mapped to templates (e.g. `{owner: {$: param, name: owner}}`).",
        {"type": "object", "additionalProperties": {"$ref": "#/$defs/template"}},
    ),
    holds=_format_holds,
    check=_text_check,
)
def _format(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    values = {
        "id": ctx.record.id,
        "state": ctx.observation.state,
        "api": ctx.record.api,
        "base_url": ctx.base_url,
        "api_url": ctx.base_url + ctx.base_path,
    }
    extra = t.get("values")
    if extra:
        values = {**{k: render(v, ctx) for k, v in extra.items()}, **values}
    return str(t["template"]).format_map(values)


@expression(
    "file",
    "The video every download serves (mocks/files/sample.mp4), inline in the body: for APIs that "
    "answer the bytes themselves.",
    Option("encoding", "base64 (standard alphabet, padded).", {"enum": ["base64"]}, required=True),
    holds=RECORD,
)
def _file(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return _sample_base64()


@lru_cache(maxsize=1)
def _sample_base64() -> str:
    from taskmock._resources import sample_file

    return base64.b64encode(sample_file().read_bytes()).decode("ascii")


# --- list answers --------------------------------------------------------------------------------


@expression("items", "In a list answer: the rendered items of this page.")
def _items(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return list(ctx.items or [])


@expression("count", "In a list answer: how many items there are on every page together.")
def _count(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return ctx.total if ctx.total is not None else len(ctx.items or [])


_PAGE_FACTS = ("size", "limit", "offset", "more")


@expression(
    "page",
    "In a list answer: a fact of this page: its size (the items on it), limit (the most it may "
    "hold: the request's, or the default), offset (the items before it) or more (whether items "
    "follow it).",
    Option("of", "size, limit, offset or more.", {"enum": list(_PAGE_FACTS)}, required=True),
)
def _page(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    size = len(ctx.items or [])
    fact = str(t["of"])
    if fact == "size" or ctx.page is None:  # not a list answer: one page of what there is
        return {"size": size, "limit": size, "offset": 0, "more": False}[fact]
    if fact == "more":
        total = ctx.total if ctx.total is not None else size
        return int(ctx.page.offset) + size < total
    return int(getattr(ctx.page, fact))


@expression(
    "page-link",
    "In a list answer: the URL of the next or previous page (null when there is none), with the "
    "request's own query and the page moved.",
    Option("which", "next or previous.", {"enum": ["next", "previous"]}, required=True),
)
def _page_link(t: Mapping[str, Any], ctx: RenderContext) -> Any:
    return (ctx.links or {}).get(str(t["which"]))
