"""A broken document gets one line per problem naming file, line and JSON pointer."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from taskmock._core.validation import validate_file
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
    """Rules are written once (the schema's if/then); an x-lifecycle that also lists
    field-rules must say the same."""
    path = _write_variant(
        tmp_path,
        "kokoon",
        "          - { from: unknown, to: [ready, preparing, prepared, running, done, cancel, error] }\n",
        "          - { from: unknown, to: [ready, preparing, prepared, running, done, cancel, error] }\n"
        "        field-rules:\n"
        "          - { states: [done], set: [start_time, finish_time, result_message], source: seed }\n"
        "          - { states: [running], set: [start_time] }\n"
        '          - { states: [ready, preparing, prepared, running], "null": [finish_time] }\n'
        '          - { states: [ready], "null": [start_time, result_message] }\n',
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


# The extensions the contract checks read (_core/extensions.py): a missing or wrong one is a problem
# with file, line, pointer and a "did you mean".

TASK_GET = "/paths/~1kokoon~1api~1sr~1v4~1task~1{tid}/get"
TASK_POST = "/paths/~1kokoon~1api~1sr~1v4~1task/post"


def _only(path: Path) -> tuple[str, str, str]:
    (problem,) = validate_file(path)
    assert problem.line is not None
    return problem.pointer, problem.message, path.read_text().splitlines()[problem.line - 1]


def test_a_task_api_without_a_poll_operation_names_the_candidates(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path,
        "kokoon",
        "      x-source: seed\n      x-task-role: poll\n",
        "      x-source: seed\n",
    )
    pointer, message, _ = _only(path)
    assert pointer == "/paths"
    assert message == (
        "no operation has x-task-role: poll (the GET that reads a task); "
        "the operations that answer a task: kokoon_task_get"
    )


def test_a_misspelt_task_role(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "kokoon", "x-task-role: poll", "x-task-role: pol")
    pointer, message, line = _only(path)
    assert pointer == f"{TASK_GET}/x-task-role"
    assert message == "'pol' is not a task role; did you mean 'poll'?"
    assert "x-task-role: pol" in line


def test_a_poll_that_is_not_a_get(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "kokoon", "x-task-role: create", "x-task-role: poll")
    messages = [(p.pointer, p.message) for p in validate_file(path)]
    assert (
        f"{TASK_POST}/x-task-role",
        "a poll operation is a GET, or says where its body carries the id "
        "(x-task-id: {in: body, at: /POINTER})",
    ) in messages


def test_a_poll_needs_one_id_parameter(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path,
        "hailuo",
        "- { name: task_id, in: query, required: true, schema: { type: string } }",
        "- { name: task_id, in: query, required: true, schema: { type: string } }\n"
        "        - { name: group_id, in: query, required: true, schema: { type: string } }",
    )
    pointer, message, _ = _only(path)
    assert pointer == "/paths/~1v1~1query~1video_generation/get/parameters"
    assert message.endswith("found: task_id (query), group_id (query)")


def test_cheapest_create_names_a_missing_example(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path, "kokoon", "x-cheapest-create: preview", "x-cheapest-create: previw"
    )
    pointer, message, line = _only(path)
    assert pointer == f"{TASK_POST}/x-cheapest-create"
    assert "'previw' is not an example of the application/json request body" in message
    assert message.endswith("did you mean 'preview'?")
    assert "previw" in line


def test_cheapest_create_on_an_operation_that_is_not_a_create(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path,
        "kokoon",
        "      x-task-role: poll\n",
        "      x-task-role: poll\n      x-cheapest-create: preview\n",
    )
    pointer, message, _ = _only(path)
    assert pointer == f"{TASK_GET}/x-cheapest-create"
    assert message == "x-cheapest-create belongs on an x-task-role: create operation"


def test_a_task_id_pointer_that_names_no_property_of_the_answer(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path,
        "kokoon",
        "x-cheapest-create: preview\n",
        "x-cheapest-create: preview\n      x-task-id: /tidd\n",
    )
    pointer, message, _ = _only(path)
    assert pointer == f"{TASK_POST}/x-task-id"
    assert (
        message == "the task id '/tidd' is not a property of the create answer; did you mean 'tid'?"
    )


@pytest.mark.parametrize(
    ("old", "new", "pointer", "message"),
    [
        (
            "  rate-limited: [1002]",
            "  rate_limited: [1002]",
            "/x-business-errors/rate_limited",
            "unknown key 'rate_limited'; did you mean 'rate-limited'?",
        ),
        (
            "  at: /base_resp/status_code",
            "  at: base_resp.status_code",
            "/x-business-errors/at",
            "'at' is a JSON pointer into a body, e.g. /code",
        ),
        (
            "  success: [0]",
            "  success: 0",
            "/x-business-errors/success",
            "'success' is a list of codes (integers or strings)",
        ),
        (
            "  not-found: [2013]",
            "  not-found: [2013, 0]",
            "/x-business-errors/not-found",
            "[0] also listed as success",
        ),
    ],
)
def test_broken_business_errors(
    tmp_path: Path, old: str, new: str, pointer: str, message: str
) -> None:
    found_pointer, found_message, _ = _only(_write_variant(tmp_path, "hailuo", old, new))
    assert (found_pointer, found_message) == (pointer, message)


def test_a_credential_prefix_on_an_http_scheme(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path,
        "hailuo",
        '      x-credential-format: "Bearer <token>"\n',
        '      x-credential-format: "Bearer <token>"\n      x-credential-prefix: "Bearer "\n',
    )
    pointer, message, line = _only(path)
    assert pointer == "/components/securitySchemes/bearerAuth/x-credential-prefix"
    assert message.startswith("x-credential-prefix belongs on an apiKey scheme")
    assert "x-credential-prefix" in line


def test_a_misspelt_extension_is_a_near_miss(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "tensorpix", "x-credential-prefix:", "x-credential-prefx:")
    pointer, message, _ = _only(path)
    assert pointer == "/components/securitySchemes/tokenAuth/x-credential-prefx"
    assert message == "unknown extension 'x-credential-prefx'; did you mean 'x-credential-prefix'?"


def test_a_misspelt_provenance(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "kokoon", "x-status-codes: inferred", "x-status-codes: infered")
    pointer, message, _ = _only(path)
    assert (pointer, message) == (
        "/info/x-status-codes",
        "'infered' is not a provenance; did you mean 'inferred'?",
    )


def test_security_that_names_no_scheme(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "hailuo", "  - bearerAuth: []", "  - bearerAuht: []")
    messages = [(p.pointer, p.message) for p in validate_file(path)]
    assert (
        "/security/0",
        "no security scheme 'bearerAuht'; did you mean 'bearerAuth'?",
    ) in messages


def test_a_credential_that_cannot_travel_in_a_header(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path,
        "kokoon",
        "      type: apiKey\n      in: header\n      name: Authorization\n",
        "      type: apiKey\n      in: query\n      name: token\n",
    )
    pointer, message, _ = _only(path)
    assert pointer == "/security"
    assert message.startswith("taskmock sends a credential in a header")


def test_other_tools_extensions_are_not_taken_for_typos(tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path,
        "kokoon",
        "      x-task-role: poll\n",
        "      x-task-role: poll\n      x-deprecated: false\n      x-order: 1\n      x-state: beta\n",
    )
    assert validate_file(path) == []
