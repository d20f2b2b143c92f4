"""`taskmock specs`: listing, validation and schema export, with their exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from taskmock._cli.main import main
from tests.support import API_NAMES, spec_path


def test_list_shows_apis_operations_and_lifecycles(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["specs"]) == 0
    out = capsys.readouterr().out
    assert "GET    /kokoon/api/sr/v4/task/{tid}" in out
    assert "DELETE /api/jobs/{id}/" in out
    assert (
        "lifecycle Job.status: 0 (In Queue) 1 (Processing) 2 (Finished) -1 (Failed) -2 (Canceled)"
        in out
    )
    assert "Processing -> Success, Fail" in out


def test_validate_defaults_to_every_document_of_the_bundled_catalog(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["specs", "validate"]) == 0
    out = capsys.readouterr().out
    assert [line.rsplit("/", 2)[-2:] for line in out.splitlines()] == [
        ["specs", "control.yaml: ok"],
        *([folder, f"{api}.yaml: ok"] for api in API_NAMES for folder in ("specs", "mocks")),
    ]


def test_validate_a_broken_file_prints_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        spec_path("hailuo")
        .read_text()
        .replace(
            '$ref: "#/components/schemas/VideoTask"', '$ref: "#/components/schemas/VideoTusk"', 1
        )
    )
    assert main(["specs", "validate", str(spec_path("kokoon")), str(broken)]) == 1
    captured = capsys.readouterr()
    assert "kokoon.yaml: ok" in captured.out
    (line,) = captured.err.splitlines()
    assert line.startswith(f"{broken}:")
    assert "/schema/anyOf/0/$ref: $ref '#/components/schemas/VideoTusk' points to nothing" in line


def test_schema_prints_a_standalone_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["specs", "schema", "tensorpix", "Job"]) == 0
    schema = json.loads(capsys.readouterr().out)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["$defs"]) >= {"RestoredVideo", "StatusEnum", "Video"}
    assert "#/components/" not in json.dumps(schema)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (
            ["specs", "schema", "kokoon", "Tsk"],
            "unknown component of kokoon 'Tsk'; did you mean 'Task'?",
        ),
        (
            ["specs", "schema", "tensorpics", "Job"],
            "unknown API 'tensorpics'; did you mean 'tensorpix'?",
        ),
    ],
)
def test_unknown_names_are_usage_errors(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert fragment in capsys.readouterr().err


def test_wrong_flags_exit_2_without_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "taskmock", "specs", "--bogus"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_spec_exits_1_from_the_console(tmp_path: Path) -> None:
    broken = tmp_path / "k.yaml"
    broken.write_text(spec_path("kokoon").read_text().replace('progress: "120"', "progress: 120"))
    result = subprocess.run(
        [sys.executable, "-m", "taskmock", "specs", "validate", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert "/examples/running/value/progress: example 'running' does not match its schema" in line


def test_validate_reports_a_malformed_paths_object_instead_of_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # openapi-spec-validator raised KeyError('paths') after reporting the shape (found by the
    # `taskmock new` bad-input tests).
    broken = tmp_path / "broken.yaml"
    broken.write_text('openapi: 3.1.0\ninfo: {title: x, version: "1"}\npaths: 5\n')
    assert main(["specs", "validate", str(broken)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line == f'{broken}:3: /paths: 5 is not of type "object"'
