"""The pieces behind `taskmock new`: status words, the lifecycle guess, the 3.0 upgrade, YAML out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from taskmock._core.lifecycle import (
    parse_lifecycle,
    rule_atoms,
    schema_lifecycle,
    schema_rule_atoms,
)
from taskmock._core.scaffold import words
from taskmock._core.scaffold.discover import Located, StatusField
from taskmock._core.scaffold.skeleton import (
    conditionals,
    declared_lifecycle,
    derived_states,
    field_rules,
    guess_lifecycle,
    x_lifecycle,
)
from taskmock._core.upgrade import as_json_data, upgrade_to_31
from taskmock._core.yamlout import dump_yaml
from tests.conftest import REPO_ROOT

# --- words -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "meaning"),
    [
        ("queued", words.INITIAL),
        ("IN_QUEUE", words.INITIAL),
        ("In Queue", words.INITIAL),
        ("inQueue", words.INITIAL),
        ("PENDING", words.INITIAL),
        ("submitted", words.INITIAL),
        ("starting", words.INITIAL),
        ("Processing", words.WORKING),
        ("ready", words.WORKING),  # Kokoon's first state; "ready" could mean either, so: neither
        ("SUCCEEDED", words.SUCCESS),
        ("succeed", words.SUCCESS),
        ("Success", words.SUCCESS),
        ("done", words.SUCCESS),
        ("TASK_STATUS_COMPLETED", words.SUCCESS),
        ("Fail", words.FAILURE),
        ("error", words.FAILURE),
        ("expired", words.FAILURE),
        ("cancel", words.CANCEL),
        ("Canceled", words.CANCEL),
        ("aborted", words.CANCEL),
        ("completed_with_errors", words.FAILURE),  # a failure word wins over a success word
        ("unknown", words.UNKNOWN),
    ],
)
def test_status_words(name: str, meaning: str) -> None:
    assert words.meaning(name) == meaning


def test_enum_names_from_a_drf_description_or_an_extension() -> None:
    described = {
        "description": "* `0` - In Queue (can last minutes)\n* `1` - Processing\n* `-1` - Failed"
    }
    assert words.enum_names(described, [0, 1, -1]) == {0: "In Queue", 1: "Processing", -1: "Failed"}
    listed = {"x-enum-varnames": ["QUEUED", "DONE"]}
    assert words.enum_names(listed, [0, 1]) == {0: "QUEUED", 1: "DONE"}
    assert words.enum_names({"x-enum-varnames": ["ONE"]}, [0, 1]) == {}  # lengths differ
    assert words.enum_names({"description": "Status of the job."}, [0, 1]) == {}


# --- the lifecycle guess ---------------------------------------------------------------------------


def _status(values: list[Any], names: dict[Any, str] | None = None) -> StatusField:
    return StatusField(
        "status", Located({}, "/components/schemas/T"), tuple(values), names or {}, ()
    )


def test_the_guess_follows_the_enum_order_and_every_working_state_can_fail() -> None:
    guess = guess_lifecycle(_status(["Preparing", "Queueing", "Processing", "Success", "Fail"]))
    assert guess.initial == (
        "Preparing",
        "Queueing",
    )  # the first one, and any that reads as waiting
    assert guess.transitions == {
        "Preparing": ("Queueing", "Fail"),
        "Queueing": ("Processing", "Fail"),
        "Processing": ("Success", "Fail"),
    }
    assert guess.chain == ("Preparing", "Queueing", "Processing")


def test_an_unknown_state_is_entered_and_left_from_anywhere_and_the_result_is_sound() -> None:
    guess = guess_lifecycle(_status(["ready", "running", "done", "cancel", "unknown", "error"]))
    lifecycle, problems = parse_lifecycle(x_lifecycle(guess, "status", None, None, []))
    assert problems == []
    assert lifecycle is not None
    assert lifecycle.successors("running") == ("done", "cancel", "error", "unknown")
    assert lifecycle.successors("unknown") == ("ready", "running", "done", "cancel", "error")
    assert lifecycle.terminal == {"done", "cancel", "error"}


@given(
    st.lists(
        st.sampled_from(
            [
                "queued",
                "pending",
                "running",
                "encoding",
                "ready",
                "unknown",
                "succeeded",
                "completed",
                "failed",
                "error",
                "cancelled",
                "expired",
            ]
        ),
        min_size=1,
        unique=True,
    )
)
def test_any_enum_with_a_working_and_a_finished_state_gives_a_sound_lifecycle(
    values: list[str],
) -> None:
    meanings = {words.meaning(v) for v in values}
    if words.SUCCESS not in meanings or not {words.INITIAL, words.WORKING} & meanings:
        return  # discovery refuses these before guessing
    guess = guess_lifecycle(_status(values))
    _, problems = parse_lifecycle(x_lifecycle(guess, "status", None, None, []))
    assert problems == []


def test_a_declared_lifecycle_is_walked_along_its_transitions() -> None:
    spec = yaml.safe_load((REPO_ROOT / "specs" / "kokoon.yaml").read_text())
    lifecycle, _ = parse_lifecycle(spec["components"]["schemas"]["Task"]["x-lifecycle"])
    assert lifecycle is not None
    values = list(lifecycle.states)
    declared = declared_lifecycle(lifecycle, _status(values))
    assert declared is not None
    assert declared.success == ("done",)
    assert declared.failure + declared.cancel == ("error", "cancel")
    # The longest way through working states; `unknown` leads anywhere, so it is no step.
    assert declared.path_to("done") == ("ready", "preparing", "prepared", "running", "done")
    assert declared.path_to("error") == ("ready", "preparing", "prepared", "running", "error")
    no_success, _ = parse_lifecycle(
        {
            "status": "s",
            "states": [{"value": "a", "initial": True}, {"value": "b", "terminal": True}],
            "transitions": [{"from": "a", "to": ["b"]}],
        }
    )
    assert no_success is not None
    assert declared_lifecycle(no_success, _status(["a", "b"])) is None


def test_field_rules_are_read_back_from_the_schema_as_written() -> None:
    spec = yaml.safe_load((REPO_ROOT / "specs" / "tensorpix.yaml").read_text())
    job = spec["components"]["schemas"]["Job"]
    names = {0: "In Queue", 1: "Processing", 2: "Finished", -1: "Failed", -2: "Canceled"}
    guess = guess_lifecycle(_status([0, 1, 2, -1, -2], names))
    rules, odd = field_rules(job, guess, "status")
    assert odd == []
    ours, _ = parse_lifecycle(x_lifecycle(guess, "status", "id", None, rules))
    theirs, _ = schema_lifecycle(job)  # the rules are the schema's if/then, written once
    assert ours is not None
    assert theirs is not None
    assert rule_atoms(ours) == rule_atoms(theirs) == schema_rule_atoms(job, ours)[0]


def test_states_sharing_a_status_value_are_read_from_the_if_entries() -> None:
    """A made-up job ends `finished` with no error (success), with an error_message (failed) or
    with stop_reason user_abort (cancelled): three states with `when`, the more specific first,
    and every if/then entry of the schema is a field rule of them."""
    spec = yaml.safe_load(
        (REPO_ROOT / "tests" / "fixtures" / "scaffold" / "dub-desk.yaml").read_text()
    )
    job = spec["components"]["schemas"]["Job"]
    status = StatusField(
        "state", Located(job, "/components/schemas/Job"), ("waiting", "dubbing", "finished"), {}, ()
    )
    derived = derived_states(job, status)
    assert [(d.value, d.kind, d.own) for d in derived] == [
        ("finished, stop_reason user_abort", words.CANCEL, False),
        ("finished, with error_message", words.FAILURE, False),
        ("finished", words.SUCCESS, True),
    ]
    guess = guess_lifecycle(status, derived)
    assert guess.states == (
        "waiting",
        "dubbing",
        "finished",
        "finished, stop_reason user_abort",
        "finished, with error_message",
    )
    assert (guess.success, guess.failure) == (("finished",), ("finished, with error_message",))
    assert guess.cancel == ("finished, stop_reason user_abort",)
    assert guess.when["finished"] == {"state": "finished", "error_message": {"is": "null"}}
    assert guess.shows == {
        "finished, stop_reason user_abort": "finished",
        "finished, with error_message": "finished",
    }
    rules, odd = field_rules(job, guess, "state")
    assert odd == []
    assert conditionals(job, guess, "state") == []  # nothing is left out of the copy
    written = x_lifecycle(guess, "state", "jobId", None, rules)
    assert written["states"][4]["when"] == {"state": "finished", "error_message": {"is": "set"}}
    ours, problems = parse_lifecycle(written)
    assert ours is not None
    assert problems == []
    assert ("'finished, with error_message'", "dubbed_url", "null") in rule_atoms(ours)
    assert rule_atoms(ours) == schema_rule_atoms(job, ours)[0]
    # A body is in the state its condition tells, the more specific first.
    assert ours.state_of(
        {"state": "finished", "error_message": "x", "stop_reason": "user_abort"}
    ) == ("finished, stop_reason user_abort")
    assert (
        ours.state_of({"state": "finished", "error_message": "x"}) == "finished, with error_message"
    )
    assert ours.state_of({"state": "finished", "error_message": None}) == "finished"


def test_a_status_value_that_is_not_finished_is_not_told_apart() -> None:
    job = {
        "allOf": [
            {
                "if": {
                    "allOf": [
                        {"required": ["status"], "properties": {"status": {"const": "running"}}},
                        {"type": "object", "required": ["eta"]},
                    ]
                },
                "then": {"required": ["progress"]},
            }
        ]
    }
    assert derived_states(job, _status(["queued", "running", "done"])) == ()


# --- OpenAPI 3.0 to 3.1 ----------------------------------------------------------------------------


def test_nullable_and_boolean_exclusive_bounds_become_3_1() -> None:
    document = {
        "openapi": "3.0.3",
        "components": {
            "schemas": {
                "A": {"type": "string", "nullable": True, "enum": ["x", "y"]},
                "B": {"$ref": "#/components/schemas/A", "nullable": True, "description": "b"},
                "C": {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
                "D": {"type": "integer", "maximum": 9, "exclusiveMaximum": False},
                "E": {"type": "string", "nullable": False},
            }
        },
    }
    upgraded, notes = upgrade_to_31(document)
    schemas = upgraded["components"]["schemas"]
    assert upgraded["openapi"] == "3.1.0"
    assert schemas["A"] == {"type": ["string", "null"], "enum": ["x", "y", None]}
    assert schemas["B"] == {
        "description": "b",
        "anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "null"}],
    }
    assert schemas["C"] == {"type": "integer", "exclusiveMinimum": 0}
    assert schemas["D"] == {"type": "integer", "maximum": 9}
    assert schemas["E"] == {"type": "string"}
    assert notes[0] == "OpenAPI 3.0.3 upgraded to 3.1.0"
    assert "nullable: true became a 'null' type (2x)" in notes
    assert document["components"]["schemas"]["A"]["nullable"] is True  # the input is untouched


def test_a_3_1_document_is_only_made_json() -> None:
    text = "openapi: 3.1.0\ninfo: {version: 1, released: 2024-05-02}\npaths: {200: {}}\n"
    upgraded, notes = upgrade_to_31(yaml.safe_load(text))
    assert notes == []
    assert upgraded == {
        "openapi": "3.1.0",
        "info": {"version": 1, "released": "2024-05-02"},
        "paths": {"200": {}},
    }
    assert as_json_data(yaml.safe_load("at: 2024-05-02T09:00:00Z")) == {
        "at": "2024-05-02T09:00:00Z"
    }


# --- YAML out --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    sorted([*(REPO_ROOT / "specs").glob("*.yaml"), *(REPO_ROOT / "mocks").glob("*.yaml")]),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_every_bundled_document_is_written_as_yaml_that_reads_back(path: Path) -> None:
    data = as_json_data(yaml.safe_load(path.read_text()))
    text = dump_yaml(data, {("info",): "a comment"} if "info" in data else {})
    assert yaml.safe_load(text) == data
    # The writer's own layout, not PyYAML's fallback: short mappings flow, comments stay.
    assert "{ " in text
    if "info" in data:
        assert "# a comment\ninfo:" in text


def test_layout_flow_literal_blocks_comments_and_spacing() -> None:
    data = {
        "id": {"kind": "uuid"},
        "description": "one\ntwo\n",
        "path": [{"state": "a", "dwell": {"uniform": [2, 5]}}, {"state": "b"}],
        "cases": [{"states": ["x"], "value": "{detail}"}],
        "empty": {},
        "quoted": ["yes", "200", "", None, True, 1.5],
    }
    text = dump_yaml(
        data, {("path", 1): "last step", ("id",): "guessed"}, header="Top", spaced=True
    )
    assert text == (
        "# Top\n"
        "# guessed\n"
        "id: { kind: uuid }\n"
        "\n"
        "description: |\n"
        "  one\n"
        "  two\n"
        "\n"
        "path:\n"
        "  - { state: a, dwell: { uniform: [2, 5] } }\n"
        "  # last step\n"
        "  - { state: b }\n"
        "\n"
        "cases: [{ states: [x], value: '{detail}' }]\n"
        "\n"
        "empty: {}\n"
        "\n"
        "quoted: ['yes', '200', '', null, true, 1.5]\n"
    )
    assert yaml.safe_load(text) == data


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_any_json_value_reads_back(value: Any) -> None:
    assert yaml.safe_load(dump_yaml(value)) == value
