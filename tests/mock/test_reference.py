"""The scenario language's reference and editor schema are generated from its registries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from taskmock._reference import editor_schema
from tests.support import API_NAMES, scenario_path


def test_the_generated_files_are_current() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "taskmock._reference", "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("api", API_NAMES)
def test_every_bundled_scenario_file_is_valid_for_editors(api: str) -> None:
    schema = editor_schema()
    Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(scenario_path(api).read_text())
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"body": {"x": {"$": "progres", "state": 1}}}, "is not one of"),
        ({"body": {"x": {"$": "input"}}}, "'key' is a required property"),
        ({"body": {"x": {"$": "input", "key": "k", "dflt": 1}}}, "Additional properties"),
        ({"operations": {"op": {"role": "poll"}}}, "'param' is a required property"),
        ({"operations": {"op": {"role": "poll", "param": "id", "resource": "v"}}}, "Additional"),
    ],
)
def test_the_editor_schema_types_templates_and_roles(
    change: dict[str, object], fragment: str
) -> None:
    data = {**yaml.safe_load(scenario_path(API_NAMES[0]).read_text()), **change}
    errors = list(Draft202012Validator(editor_schema()).iter_errors(data))
    assert errors  # an editor flags it; the nearest reason is among the alternatives it tried
    messages = json.dumps([e.message for e in _all(errors)])
    assert fragment in messages


def _all(errors: list[ValidationError]) -> list[ValidationError]:
    return [e for error in errors for e in [error, *_all(list(error.context or []))]]
