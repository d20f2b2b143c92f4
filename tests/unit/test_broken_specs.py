"""A broken document gets one line per problem naming file, line and JSON pointer."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from taskmock.core.validation import validate_file
from tests.support import spec_path


def _write_variant(tmp_path: Path, api: str, old: str, new: str) -> Path:
    text = spec_path(api).read_text(encoding="utf-8")
    assert old in text, f"fixture drifted: {old!r} not in {api}.yaml"
    target = tmp_path / f"{api}.yaml"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_dangling_ref_names_file_pointer_and_line(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path,
        "kokoon",
        'schema: { $ref: "#/components/schemas/Task" }',
        'schema: { $ref: "#/components/schemas/Tusk" }',
    )
    (problem,) = validate_file(path)
    assert problem.file == str(path)
    assert problem.pointer.endswith("/content/application~1json/schema/$ref")
    assert "'#/components/schemas/Tusk' points to nothing" in problem.message
    assert problem.line is not None
    assert "Tusk" in path.read_text().splitlines()[problem.line - 1]
    assert "\n" not in str(problem)


def test_example_violating_its_schema_is_reported_at_the_value(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "kokoon", 'progress: "120"', "progress: 120")
    (problem,) = validate_file(path)
    assert problem.pointer.endswith("/examples/running/value/progress")
    assert "120 is not of type 'string'" in problem.message
    assert problem.line is not None
    assert "progress: 120" in path.read_text().splitlines()[problem.line - 1]


def test_per_state_rule_catches_an_example(tmp_path: Path) -> None:
    # A finished TensorPix example relabelled as queued: output_video is set while In Queue.
    path = _write_variant(tmp_path, "tensorpix", "status: 2\n", "status: 0\n")
    problems = validate_file(path)
    assert problems
    assert all("/examples/finished/value" in p.pointer for p in problems)


def test_placeholder_is_still_checked_for_shape(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path, "tensorpix", "processing_progress: 123\n", 'processing_progress: "high"\n'
    )
    (problem,) = validate_file(path)
    assert "placeholder example (shape only)" in problem.message
    assert problem.pointer.endswith("/seed_placeholder/value/processing_progress")


def test_lifecycle_and_schema_rules_must_agree(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path,
        "kokoon",
        '- { states: [ready], "null": [start_time], source: inferred }',
        '- { states: [ready], "null": [start_time, result_message], source: inferred }',
    )
    (problem,) = validate_file(path)
    assert "rule 'result_message null at 'ready'' has no if/then in the schema" in problem.message
    assert problem.pointer == "/components/schemas/Task/allOf"


def test_lifecycle_state_outside_the_status_enum(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path, "kokoon", "{ value: unknown, description", "{ value: unknwn, description"
    )
    messages = [p.message for p in validate_file(path)]
    assert any("state 'unknwn' is not a valid value of Task.step" in m for m in messages), messages


def test_unreachable_state_is_reported(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path,
        "kokoon",
        "{ from: ready, to: [preparing, cancel, error, unknown] }",
        "{ from: ready, to: [cancel, error] }",
    )
    messages = [p.message for p in validate_file(path)]
    assert any("unreachable" in m for m in messages), messages


def test_invalid_openapi_is_reported_with_pointer(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "hailuo", "  title: Hailuo video", "  titel: Hailuo video")
    problems = validate_file(path)
    assert problems[0].pointer == "/info"
    assert "title" in problems[0].message
    assert "is a required property" in problems[0].message
    assert "\n" not in problems[0].message


def test_wrong_openapi_version(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "hailuo", "openapi: 3.1.0", "openapi: 3.0.3")
    (problem,) = validate_file(path)
    assert "expected an OpenAPI 3.1 document" in problem.message


@pytest.mark.parametrize(
    ("content", "fragment", "line"),
    [
        ("openapi: 3.1.0\ninfo: {title: x\n", "not valid YAML", 3),
        ("- just\n- a list\n", "must be a mapping", 1),
    ],
)
def test_unreadable_documents(
    tmp_path: Path, content: str, fragment: str, line: int | None
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    (problem,) = validate_file(path)
    assert fragment in problem.message
    assert problem.line == line


def test_missing_file(tmp_path: Path) -> None:
    (problem,) = validate_file(tmp_path / "nope.yaml")
    assert "cannot read file" in problem.message


def test_yaml_round_trip_of_bundled_specs_is_json_safe() -> None:
    # Specs must survive a JSON round trip (schemathesis, users' tools): no integer keys.
    import json

    for name in ("kokoon", "tensorpix", "hailuo", "control"):
        data = yaml.safe_load(spec_path(name).read_text())
        assert json.loads(json.dumps(data)) == data
