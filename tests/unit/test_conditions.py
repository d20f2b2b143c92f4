"""Lifecycle states declared by conditions over several fields (a boolean `done` plus `error` or
`response`; COMPLETED with or without `error`; one state spelled several ways)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from taskmock._core.conditions import condition_schema, matches, schema_condition
from taskmock._core.lifecycle import parse_lifecycle, rule_atoms, rule_schemas, schema_rule_atoms

OPERATION = {
    "id": "name",
    "states": [
        {
            "value": "running",
            "initial": True,
            "when": {"done": {"any-of": [False, {"is": "absent"}]}},
        },
        {
            "value": "succeeded",
            "terminal": True,
            "when": {
                "done": True,
                "error": {"is": "absent"},
                "response.videos": {"schema": {"minItems": 1}},
            },
        },
        {
            "value": "filtered",
            "terminal": True,
            "when": {
                "done": True,
                "error": {"is": "absent"},
                "response.raiMediaFilteredCount": {"schema": {"minimum": 1}},
            },
        },
        {"value": "failed", "terminal": True, "when": {"done": True, "error": {"is": "set"}}},
    ],
    "transitions": [{"from": "running", "to": ["succeeded", "filtered", "failed"]}],
    "field-rules": [{"states": ["failed"], "null": ["response"], "source": "vendor-docs"}],
}


def lifecycle(raw: dict[str, Any]) -> Any:
    parsed, problems = parse_lifecycle(raw)
    assert problems == []
    return parsed


@pytest.mark.parametrize(
    ("body", "state"),
    [
        ({"name": "op"}, "running"),
        ({"name": "op", "done": False}, "running"),
        ({"done": True, "response": {"videos": [{"gcsUri": "gs://x"}]}}, "succeeded"),
        ({"done": True, "response": {"videos": [], "raiMediaFilteredCount": 1}}, "filtered"),
        ({"done": True, "error": {"code": 13, "message": "x"}}, "failed"),
        ({"done": True, "response": {"videos": []}}, None),  # done, but no outcome at all
        ({"done": "yes"}, None),
        ([1, 2], None),
    ],
)
def test_a_body_is_in_the_first_state_whose_condition_holds(body: Any, state: Any) -> None:
    assert lifecycle(OPERATION).state_of(body) == state


def test_one_status_field_with_a_state_decided_by_another_field() -> None:
    queue = lifecycle(
        {
            "status": "status",
            "states": [
                {"value": "IN_QUEUE", "initial": True},
                {"value": "IN_PROGRESS"},
                {
                    "value": "COMPLETED",
                    "terminal": True,
                    "when": {"status": "COMPLETED", "error": {"is": "null"}},
                },
                {
                    "value": "failed",
                    "terminal": True,
                    "when": {"status": "COMPLETED", "error": {"is": "set"}},
                },
            ],
            "transitions": [
                {"from": "IN_QUEUE", "to": ["IN_PROGRESS", "COMPLETED", "failed"]},
                {"from": "IN_PROGRESS", "to": ["COMPLETED", "failed"]},
            ],
        }
    )
    assert queue.state_of({"status": "IN_QUEUE", "queue_position": 0}) == "IN_QUEUE"
    assert queue.state_of({"status": "COMPLETED"}) == "COMPLETED"
    assert queue.state_of({"status": "COMPLETED", "error": "boom"}) == "failed"
    spellings = lifecycle(
        {
            "status": "status",
            "aliases": {"Failed": "Fail", "failed": "Fail"},
            "states": [
                {"value": "Processing", "initial": True},
                {"value": "Fail", "terminal": True},
            ],
            "transitions": [{"from": "Processing", "to": ["Fail"]}],
        }
    )
    assert [spellings.state_of({"status": s}) for s in ("Fail", "Failed", "failed", "FAIL")] == [
        "Fail",
        "Fail",
        "Fail",
        None,
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"when": {"done": {"is": "maybe"}}}, "'is' is one of"),
        ({"when": {"done": {"in": []}}}, "'in' lists the values"),
        ({"when": {"done": {"in": [1], "is": "set"}}}, "exactly one of"),
        ({"when": {"done": [True]}}, "a predicate is a value or one of"),
        ({"when": {}}, "a condition maps field paths"),
    ],
)
def test_a_malformed_condition_is_named(change: dict[str, Any], message: str) -> None:
    raw = {**OPERATION, "states": [{**OPERATION["states"][0], **change}, *OPERATION["states"][1:]]}
    _, problems = parse_lifecycle(raw)
    assert any(
        pointer.startswith("/states/0/when") and message in text for pointer, text in problems
    ), problems


def test_status_may_be_left_out_only_when_every_state_has_a_condition() -> None:
    raw = {**OPERATION, "states": [{"value": "running", "initial": True}, *OPERATION["states"][1:]]}
    _, problems = parse_lifecycle(raw)
    assert ("", "missing required key 'status' (only states with `when` need none)") in problems


def test_field_rules_round_trip_through_their_schema_form() -> None:
    operation = lifecycle(OPERATION)
    schema = {"allOf": rule_schemas(operation)}
    atoms, odd = schema_rule_atoms(schema, operation)
    assert odd == []
    assert atoms == rule_atoms(operation)
    validator = Draft202012Validator(schema)
    assert not validator.is_valid({"done": True, "error": {"code": 13}, "response": {}})
    assert validator.is_valid({"done": True, "error": {"code": 13}})
    assert validator.is_valid({"done": True, "response": {"videos": [1]}})  # not failed


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(["", "a", "b"]))
_BODY = st.recursive(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), _VALUES, max_size=3),
    lambda inner: st.dictionaries(st.sampled_from(["a", "b", "c"]), _VALUES | inner, max_size=3),
    max_leaves=6,
)
_PREDICATE = st.recursive(
    _VALUES
    | st.builds(lambda v: {"in": v}, st.lists(_VALUES, min_size=1, max_size=3))
    | st.builds(lambda k: {"is": k}, st.sampled_from(["set", "null", "empty", "absent", "present"]))
    | st.builds(lambda n: {"schema": {"type": "integer", "minimum": n}}, st.integers(-1, 1)),
    lambda inner: st.builds(lambda ps: {"any-of": ps}, st.lists(inner, min_size=1, max_size=2)),
    max_leaves=4,
)
_CONDITION = st.dictionaries(
    st.sampled_from(["a", "b", "a.b", "a.c", "c.a.b"]), _PREDICATE, min_size=1, max_size=3
)


@given(_CONDITION, _BODY)
def test_a_condition_and_its_schema_agree_on_every_body(condition: Any, body: Any) -> None:
    """What the checks decide (`matches`) is what the spec's if/then says (`condition_schema`)."""
    assert matches(condition, body) == Draft202012Validator(condition_schema(condition)).is_valid(
        body
    )


@pytest.mark.parametrize(
    "condition",
    [
        {"status": "COMPLETED", "error": {"is": "null"}},
        {"status": "COMPLETED", "error": {"is": "set"}},
        {"status": "COMPLETED", "error_type": "request_cancelled"},
        {"a": {"is": "absent"}, "b": {"is": "present"}, "c": {"is": "empty"}},
        {"d": {"in": [1, 2]}, "e": {"schema": {"minItems": 1}}},
        {"response.videos": {"is": "set"}},
        {"response.videos": {"is": "null"}},
        {"done": True},
    ],
)
def test_a_condition_is_read_back_from_the_schema_it_is_written_as(condition: Any) -> None:
    assert schema_condition(condition_schema(condition)) == condition


@pytest.mark.parametrize(
    "schema",
    [
        {"required": ["x"], "properties": {"x": {"const": 1}}, "type": "object"},  # more than that
        {"anyOf": [{"required": ["x"]}, {"required": ["y"]}]},
        {"allOf": []},
        [1],
    ],
)
def test_a_schema_that_is_no_condition_reads_as_none(schema: Any) -> None:
    assert schema_condition(schema) is None
