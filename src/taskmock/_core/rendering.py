"""Rendering a template: the context it sees and the registry of expressions it may use.

A template is any JSON-like value. A mapping with a `$` key is an expression, evaluated against
the observed task by its registry entry (`_core/expressions.py` holds them all); everything else
is copied, with its children rendered. A member or item whose value renders to `OMIT` is left
out, so a template can say "this field is absent in this state".
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

from taskmock._core.clock import LATEST
from taskmock._core.engine import Observation
from taskmock._core.registry import Option, Registry

__all__ = [
    "EXPRESSIONS",
    "INSTANT",
    "OMIT",
    "RECORD",
    "STEP",
    "TIME_FORMATS",
    "Expression",
    "RenderContext",
    "RequestFacts",
    "expression",
    "format_time",
    "render",
]

TIME_FORMATS = ("iso", "iso-ms", "unix", "unix-ms")

# How long a rendered value holds: for the task's whole life, while the task stays in one step of
# its timeline, or only for the instant it is rendered at (see `template.volatility`).
RECORD, STEP, INSTANT = 0, 1, 2


class _Omit:
    """The value of a member that is left out of what it belongs to."""

    _instance: _Omit | None = None

    def __new__(cls) -> _Omit:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "OMIT"


OMIT: Any = _Omit()


@lru_cache(maxsize=8192)
def format_time(seconds: float, fmt: str) -> Any:
    """A timestamp in one of the vendor formats."""
    if fmt == "unix":
        return int(seconds)
    if fmt == "unix-ms":
        return round(seconds * 1000)
    # A planned step can lie past what a timestamp can show (a long dwell near the clock's end).
    moment = datetime.fromtimestamp(min(max(seconds, 0.0), LATEST), tz=UTC)
    if fmt == "iso-ms":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What a template may read of the request being answered: its path parameters (decoded) and
    its query string. Rendering without a request (the control plane, lists of stored tasks)
    passes none, and expressions reading it take their fallback."""

    params: Mapping[str, str]
    query_string: str = ""

    def query(self, name: str) -> str | None:
        """The first value of a query parameter, as sent (decoded), or None."""
        if not self.query_string:
            return None
        values = parse_qs(self.query_string, keep_blank_values=True).get(name)
        return values[0] if values else None


@dataclass(slots=True)
class RenderContext:
    """What a template can see: the observed task and the request's surroundings."""

    observation: Observation
    time_format: str = "iso"
    base_url: str = ""
    templates: Mapping[str, Any] | None = None
    items: list[Any] | None = None
    total: int | None = None  # list responses: all matching tasks, when items is one page
    links: Mapping[str, str | None] | None = None  # list responses: next and previous page URLs
    base_path: str = ""  # where the API's paths start on the mock ("" or "/<api>")
    request: RequestFacts | None = None  # the request being answered, when there is one
    task_body: Any = None  # the task's body template (its scenario's), for `{$: task}`
    page: Any = None  # list responses: the page asked for (its `offset` and `limit`)

    @property
    def record(self) -> Any:
        """The task record being rendered."""
        return self.observation.record

    def rng(self, salt: str, per: str = "task") -> random.Random:
        """A random generator that gives the same values for the same task (or owner) and salt."""
        if per == "owner":
            return random.Random(f"owner:{self.record.owner}:{salt}")
        return random.Random(f"{self.record.seed}:{self.record.id}:{salt}")


Renderer = Callable[[Mapping[str, Any], RenderContext], Any]
Holds = int | Callable[[Mapping[str, Any], Mapping[str, Any]], int]
Check = Callable[[Mapping[str, Any], Mapping[str, Any]], list[tuple[str, str]]]


@dataclass(frozen=True)
class Expression:
    """A template expression: its name, what it renders, its options, how long its value holds
    (RECORD, STEP or INSTANT, or a function of the template and the named templates), checks a
    schema cannot make (pointer relative to the expression, message), and an optional faster
    renderer built once for a template, for the poll path."""

    name: str
    summary: str
    render: Renderer
    options: tuple[Option, ...] = ()
    holds: Holds = INSTANT
    check: Check | None = None
    compile: Callable[[Mapping[str, Any]], Renderer | None] | None = None

    @property
    def option_names(self) -> dict[str, str]:
        """Every accepted option name (aliases too), with the name it stands for."""
        names = {option.name: option.name for option in self.options}
        for option in self.options:
            names.update(dict.fromkeys(option.aliases, option.name))
        return names


EXPRESSIONS: Registry[Expression] = Registry("expression")
_RENDERERS: dict[str, Renderer] = {}  # name -> render, for the one lookup per expression


def expression(
    name: str,
    summary: str,
    *options: Option,
    holds: Holds = INSTANT,
    check: Check | None = None,
    compile: Callable[[Mapping[str, Any]], Renderer | None] | None = None,
) -> Callable[[Renderer], Renderer]:
    """Register the decorated function as the expression `name`."""

    def register(render_function: Renderer) -> Renderer:
        EXPRESSIONS.add(Expression(name, summary, render_function, options, holds, check, compile))
        _RENDERERS[name] = render_function
        return render_function

    return register


def render(template: Any, ctx: RenderContext) -> Any:
    """Render a template against a context (members and items rendering to OMIT are left out)."""
    if isinstance(template, dict):
        if "$" in template:
            return _RENDERERS[template["$"]](template, ctx)
        rendered = {}
        for key, value in template.items():
            value = render(value, ctx)
            if value is not OMIT:
                rendered[key] = value
        return rendered
    if isinstance(template, list):
        return [v for v in (render(value, ctx) for value in template) if v is not OMIT]
    return template
