"""Templates: how long a value holds (what the poll cache may keep), and the compiled progress."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskmock._core.engine import PlannedStep, TaskRecord, observe
from taskmock._core.template import (
    EXPRESSIONS,
    INSTANT,
    RECORD,
    STEP,
    RenderContext,
    _renderer,
    volatility,
)

TEMPLATES = {"by-state": {"$": "switch", "cases": [{"states": ["done"], "value": 1}]}}


@pytest.mark.parametrize(
    ("template", "level"),
    [
        ("plain", RECORD),
        ({"$": "id"}, RECORD),
        ({"$": "uuid", "salt": "x"}, RECORD),
        ({"$": "time"}, RECORD),
        ({"$": "format", "template": "{base_url}/{id}"}, RECORD),
        ({"$": "given", "key": "k", "then": {"$": "id"}, "else": None}, RECORD),
        ({"$": "state"}, STEP),
        ({"$": "entered", "states": ["done"]}, STEP),
        ({"$": "format", "template": "{id}:{state}"}, STEP),
        ({"$": "ref", "name": "by-state"}, STEP),
        ({"nested": [{"$": "id"}, {"$": "state"}]}, STEP),
        ({"$": "given", "key": "k", "then": {"$": "state"}}, STEP),
        ({"$": "time", "of": "now"}, INSTANT),
        ({"$": "progress", "state": "running"}, INSTANT),
        ({"$": "remaining", "state": "running"}, INSTANT),
        ({"$": "after", "seconds": 3, "then": 1}, INSTANT),
        (
            {"$": "switch", "cases": [{"states": ["a"], "value": {"$": "progress", "state": "a"}}]},
            INSTANT,
        ),
    ],
)
def test_volatility_names_how_long_a_value_holds(template: object, level: int) -> None:
    assert volatility(template, TEMPLATES) == level


def test_every_expression_has_a_volatility_and_unknown_ones_are_instant() -> None:
    for name in EXPRESSIONS:
        assert volatility({"$": name}, TEMPLATES) in (RECORD, STEP, INSTANT)
    assert volatility({"$": "some-future-expression"}, TEMPLATES) == INSTANT


RECORD_RUNNING = TaskRecord(
    "api",
    "t1",
    "success",
    0,
    100.0,
    (
        PlannedStep("queued", 100.0, 5.0),
        PlannedStep("running", 105.0, 30.0),
        PlannedStep("done", 135.0, None),
    ),
)


@given(
    at=st.floats(min_value=90, max_value=200),
    kind=st.sampled_from(["number", "integer", "string"]),
    bounds=st.tuples(st.integers(-5, 500), st.integers(-5, 500))
    | st.tuples(st.floats(0, 1), st.floats(0, 1)),
    digits=st.integers(0, 6),
)
def test_compiled_progress_equals_the_plain_expression(
    at: float, kind: str, bounds: tuple[float, float], digits: int
) -> None:
    template = {
        "$": "progress",
        "state": "running",
        "from": bounds[0],
        "to": bounds[1],
        "as": kind,
        "round": digits,
    }
    ctx = RenderContext(observe(RECORD_RUNNING, at))
    compiled = _renderer(template)
    assert compiled is not EXPRESSIONS["progress"].render
    assert compiled(template, ctx) == EXPRESSIONS["progress"].render(template, ctx)


def test_progress_with_templated_bounds_keeps_the_general_expression() -> None:
    template = {"$": "progress", "state": "running", "to": {"$": "input", "key": "n", "default": 9}}
    assert _renderer(template) is EXPRESSIONS["progress"].render
