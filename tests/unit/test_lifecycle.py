"""x-lifecycle parsing and well-formedness."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from taskmock._core.lifecycle import (
    conditional_entries,
    parse_lifecycle,
    rule_atoms,
    rule_schemas,
    schema_lifecycle,
    schema_rule_atoms,
)
from taskmock._core.spec import load_api
from tests.support import API_NAMES

_ABSENT = object()  # a member not there at all


def _machine(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "status": "s",
        "states": [
            {"value": "a", "initial": True},
            {"value": "b"},
            {"value": "c", "terminal": True},
        ],
        "transitions": [{"from": "a", "to": ["b"]}, {"from": "b", "to": ["c"]}],
        "field-rules": [{"states": ["c"], "set": ["out"], "source": "seed"}],
    }
    raw.update(overrides)
    return raw


@pytest.mark.parametrize("api", API_NAMES)
def test_bundled_lifecycles_are_well_formed(api: str) -> None:
    for lifecycle in load_api(api).lifecycles.values():
        assert lifecycle.problems() == []
        reachable = set().union(*(lifecycle.reachable(s) for s in lifecycle.initial))
        assert reachable == set(lifecycle.states)
        for state in lifecycle.terminal:
            assert lifecycle.successors(state) == ()


def test_a_sound_machine_has_no_problems() -> None:
    lifecycle, problems = parse_lifecycle(_machine())
    assert problems == []
    assert lifecycle is not None
    assert lifecycle.reachable("a") == {"a", "b", "c"}


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"transitions": [{"from": "a", "to": ["c"]}]}, "state 'b' is unreachable"),
        (
            {
                "transitions": [
                    {"from": "a", "to": ["b"]},
                    {"from": "b", "to": ["c"]},
                    {"from": "c", "to": ["a"]},
                ]
            },
            "terminal state 'c' has transitions out",
        ),
        (
            {"transitions": [{"from": "a", "to": ["b", "zz"]}, {"from": "b", "to": ["c"]}]},
            "undeclared state 'zz'",
        ),
        (
            {
                "states": [{"value": "a"}, {"value": "c", "terminal": True}],
                "transitions": [{"from": "a", "to": ["c"]}],
            },
            "no state is marked initial",
        ),
        ({"field-rules": [{"states": ["nope"], "set": ["x"]}]}, "undeclared state 'nope'"),
        ({"field-rules": [{"states": ["a"], "maybe": ["x"]}]}, "needs one of set, null, empty"),
        (
            {
                "states": [
                    {"value": "a", "initial": True},
                    {"value": "b"},
                    {"value": "c", "terminal": True},
                ],
                "transitions": [{"from": "a", "to": ["b", "c"]}],
            },
            "non-terminal state 'b' has no way out",
        ),
    ],
)
def test_broken_machines_are_named(overrides: dict[str, Any], fragment: str) -> None:
    _, problems = parse_lifecycle(_machine(**overrides))
    assert any(fragment in message for _, message in problems), problems


def test_missing_keys_are_reported() -> None:
    _, problems = parse_lifecycle({"states": [{"value": "a"}]})
    assert ("", "missing required key 'transitions'") in problems
    _, problems = parse_lifecycle({"states": [{"value": "a"}], "transitions": []})
    assert ("", "missing required key 'status' (only states with `when` need none)") in problems


def test_aliases_resolve_to_their_state() -> None:
    lifecycle = load_api("hailuo").lifecycles["VideoTask"]
    assert lifecycle.canonical("Failed") == "Fail"
    assert lifecycle.is_state("Failed")
    assert not lifecycle.is_state("Done")


def test_integer_states_do_not_accept_booleans() -> None:
    lifecycle = load_api("tensorpix").lifecycles["Job"]
    assert lifecycle.is_state(1)
    assert not lifecycle.is_state(True)
    assert lifecycle.label(-2) == "-2 (Canceled)"


@pytest.mark.parametrize(
    ("body", "state"),
    [
        ({"status": "Failed"}, "Fail"),
        ({"status": "Success"}, "Success"),
        ({"status": "Done"}, None),
        ({"status": ["Success"]}, None),
        ({"status": {"Success": 1}}, None),
        ({}, None),
        ("Success", None),
        (None, None),
    ],
)
def test_state_of_a_body(body: object, state: object) -> None:
    assert load_api("hailuo").lifecycles["VideoTask"].state_of(body) == state


def test_rule_schemas_round_trip_to_the_same_atoms() -> None:
    lifecycle, _ = parse_lifecycle(_machine())
    assert lifecycle is not None
    schema = {"allOf": rule_schemas(lifecycle)}
    atoms, odd = schema_rule_atoms(schema, lifecycle)
    assert odd == []
    assert atoms == rule_atoms(lifecycle) == {("'c'", "out", "set")}


def test_field_rule_semantics() -> None:
    lifecycle = load_api("hailuo").lifecycles["VideoTask"]
    set_rule = next(r for r in lifecycle.rules if r.kind == "set")
    empty_rule = next(r for r in lifecycle.rules if r.kind == "empty")
    assert set_rule.holds({"file_id": "314"}, "file_id")
    assert not set_rule.holds({"file_id": ""}, "file_id")
    assert not set_rule.holds({}, "file_id")
    assert empty_rule.holds({"video_width": 0}, "video_width")
    assert empty_rule.holds({}, "video_width")
    assert not empty_rule.holds({"video_width": 768}, "video_width")


def test_rule_entries_name_the_required_properties_and_still_round_trip() -> None:
    lifecycle, _ = parse_lifecycle(_machine())
    assert lifecycle is not None
    entries = rule_schemas(lifecycle, required=["id", "s"])
    assert [entry["properties"] for entry in entries] == [{"id": {}, "s": {}}]
    atoms, odd = schema_rule_atoms({"allOf": entries}, lifecycle)
    assert odd == []
    assert atoms == rule_atoms(lifecycle)


def test_a_rule_entry_may_name_properties_but_not_constrain_them() -> None:
    lifecycle, _ = parse_lifecycle(_machine())
    assert lifecycle is not None
    (entry,) = rule_schemas(lifecycle, required=["id"])
    entry["properties"]["id"] = {"type": "integer"}  # would narrow the task outside the rule
    _, odd = schema_rule_atoms({"allOf": [entry]}, lifecycle)
    assert odd == ["allOf/0/properties: a rule entry names properties with {} only"]


def _every_kind() -> Any:
    lifecycle, problems = parse_lifecycle(
        _machine(
            **{
                "field-rules": [
                    {"states": ["a"], kind: [f"f_{kind}"]}
                    for kind in ("set", "null", "empty", "absent", "present")
                ]
            }
        )
    )
    assert problems == []
    return lifecycle


def test_every_rule_kind_round_trips_through_its_schema_form() -> None:
    lifecycle = _every_kind()
    atoms, odd = schema_rule_atoms({"allOf": rule_schemas(lifecycle, ["s"])}, lifecycle)
    assert odd == []
    assert atoms == rule_atoms(lifecycle)
    assert {kind for _, _, kind in atoms} == {"set", "null", "empty", "absent", "present"}


@pytest.mark.parametrize(
    ("kind", "holds_for", "fails_for"),
    [
        ("absent", [_ABSENT], [None, 0, "", False, "x"]),
        ("present", [None, 0, "", False, "x", {}], [_ABSENT]),
        ("set", [False, "x", 1], [_ABSENT, None, 0, ""]),
        ("null", [_ABSENT, None], [0, "", "x"]),
        ("empty", [_ABSENT, None, 0, ""], [False, "x"]),
    ],
)
def test_a_rule_kind_and_its_schema_agree(
    kind: str, holds_for: list[Any], fails_for: list[Any]
) -> None:
    """`absent`: the key is not there; `present`: it is, whatever the value (0 and null too)."""
    lifecycle = _every_kind()
    (rule,) = [r for r in lifecycle.rules if r.kind == kind]
    (entry,) = [e for e in rule_schemas(lifecycle) if f"f_{kind}" in e["then"]["properties"]]
    validator = Draft202012Validator({"allOf": [entry]})
    for value, expected in [*((v, True) for v in holds_for), *((v, False) for v in fails_for)]:
        body = {"s": "a"} if value is _ABSENT else {"s": "a", f"f_{kind}": value}
        assert rule.holds(body, f"f_{kind}") is expected, (kind, value)
        assert validator.is_valid(body) is expected, (kind, value)
        assert validator.is_valid({**body, "s": "b"})  # the rule says nothing of other states


def test_a_present_rule_without_required_is_not_a_rule() -> None:
    lifecycle = _every_kind()
    entry = {
        "if": {"required": ["s"], "properties": {"s": {"const": "a"}}},
        "then": {"properties": {"f": {}}},
    }
    _, odd = schema_rule_atoms({"allOf": [entry]}, lifecycle)
    assert odd == ["allOf/0/then/properties/f: not a set, null, empty, absent or present rule"]


_SET_OUT = {"required": ["out"], "properties": {"out": {"not": {"enum": [None, "", 0]}}}}


def _state_test(value: Any) -> dict[str, Any]:
    return {"required": ["s"], "properties": {"s": {"const": value}}}


@pytest.mark.parametrize(
    ("test", "tested"),
    [
        # another member only (a request's model): no rule, whatever the lifecycle
        ({"required": ["model"], "properties": {"model": {"const": "m1"}}}, ("model",)),
        # a state and another member: the state `c` with an error is not every `c`
        ({"allOf": [_state_test("c"), {"properties": {"err": {"type": "null"}}}]}, ("s", "err")),
        # one alternative is a state, the other a state and more: no rule either
        (
            {"anyOf": [_state_test("b"), {"allOf": [_state_test("c"), {"required": ["err"]}]}]},
            ("s", "err"),
        ),
        # the status and another member in one `properties`
        (
            {"required": ["s"], "properties": {"s": {"const": "c"}, "err": {"const": 1}}},
            ("s", "err"),
        ),
    ],
)
def test_an_if_that_tests_more_than_states_is_plain_json_schema_not_a_rule(
    test: dict[str, Any], tested: tuple[str, ...]
) -> None:
    """Such an entry is neither read as a rule nor reported: every validator enforces it."""
    lifecycle, _ = parse_lifecycle(_machine())
    assert lifecycle is not None
    schema = {"allOf": [{"if": _state_test("c"), "then": _SET_OUT}, {"if": test, "then": {}}]}
    assert schema_rule_atoms(schema, lifecycle) == ({("'c'", "out", "set")}, [])
    assert conditional_entries(schema, lifecycle) == [(1, tested)]


@pytest.mark.parametrize(
    ("test", "message"),
    [
        ({"properties": {"s": {"pattern": "^c"}}}, "'if' does not test 's' with const or enum"),
        (_state_test("cc"), "'if' names 'cc', not a state of x-lifecycle"),
        (
            {"required": ["s"], "properties": {"s": {"enum": ["c", "x"]}}},
            "'if' names 'x', not a state of x-lifecycle",
        ),
    ],
)
def test_an_if_on_the_status_alone_that_names_no_state_is_a_rule_written_wrong(
    test: dict[str, Any], message: str
) -> None:
    """A typo in a rule's state is reported, and reading the rules does not crash on it."""
    raw = _machine()
    del raw["field-rules"]  # the rules are read from the schema
    schema = {"x-lifecycle": raw, "allOf": [{"if": test, "then": _SET_OUT}]}
    lifecycle, problems = schema_lifecycle(schema)
    assert lifecycle is not None
    assert problems == []
    assert lifecycle.rules == ()
    assert schema_rule_atoms(schema, lifecycle) == (set(), [f"allOf/0: {message}"])
    assert conditional_entries(schema, lifecycle) == []


def test_the_lifecycle_check_finds_a_member_that_should_be_absent_or_present() -> None:
    from taskmock._checks.lifecycle import Poll, lifecycle_findings

    lifecycle, _ = parse_lifecycle(
        _machine(
            **{
                "field-rules": [
                    {"states": ["a", "c"], "absent": ["progress"], "source": "vendor-docs"},
                    {"states": ["b"], "present": ["progress"], "source": "vendor-docs"},
                ]
            }
        )
    )
    assert lifecycle is not None
    good = [Poll(0, {"s": "a"}), Poll(1, {"s": "b", "progress": 0}), Poll(2, {"s": "c"})]
    assert lifecycle_findings(lifecycle, 1, good) == []
    bad = [Poll(0, {"s": "a", "progress": None}), Poll(1, {"s": "b"}), Poll(2, {"s": "c"})]
    found = [(f.rule, f.path, f.expected) for f in lifecycle_findings(lifecycle, 1, bad)]
    assert found == [("field-rule", "/progress", "absent"), ("field-rule", "/progress", "present")]
