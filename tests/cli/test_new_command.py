"""`taskmock new NAME --from-spec SPEC`: a catalog entry from a user's OpenAPI document.

Each bundled spec with its `x-` extensions stripped (every API of the catalog), a hand-written
OpenAPI 3.0 document of a made-up API (also as JSON) and a spec whose status sits in an envelope
must give an entry that `specs validate` accepts, that loads, and that a mock plays over real HTTP
from create to a terminal state with every poll answer allowed by the spec; a bundled API whose
state is no status enum (`REFUSED`) is refused with what to do. Every bad input exits 2 with a
clear message, no traceback and no file written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from taskmock._checks.lifecycle import Poll as PollSeen
from taskmock._checks.lifecycle import lifecycle_findings
from taskmock._checks.schema import response_violations
from taskmock._cli.main import main
from taskmock._core.catalog import bundled_catalog
from taskmock._core.clock import ManualClock
from taskmock._core.extensions import required_headers
from taskmock._core.lifecycle import Lifecycle, rule_atoms
from taskmock._core.scaffold.build import root_route
from taskmock._core.scenario import Behaviour, load_behaviour_file
from taskmock._core.validation import validate_file
from taskmock._http.app import MockApp, MockConfig
from taskmock._reference import editor_schema
from tests.conftest import FIXTURES, REPO_ROOT
from tests.support import API_NAMES, LiveMock, spec_path, start_live_mock

SCAFFOLD = FIXTURES / "scaffold"
# Bundled APIs whose spec, stripped of its `x-` extensions, `taskmock new` refuses by design,
# with why: their state is no status enum. Every other bundled API must give an entry that serves.
REFUSED = {
    "veo": "done is a boolean (a long-running operation): taskmock new needs a status enum, so "
    "write this API's x-lifecycle by hand",
}
# The task schema's `allOf` entries the copy leaves out (their `if` tests a status value and
# another member in a way no `when` state is read from); no API loses any today: fal's entries
# (COMPLETED with or without an `error`) are read into `when` states and kept as their rules.
LEFT_OUT: dict[str, list[int]] = {}


def _strip(node: Any) -> Any:
    """A document without any `x-` extension (x-lifecycle, x-source, x-placeholder, ...), as
    the vendor wrote it: an example we keep apart as a placeholder is an example again."""
    if isinstance(node, dict):
        placeholders = node.get("x-placeholder-examples") or {}
        if placeholders:  # beside an OpenAPI `examples` map, never a JSON Schema `examples` list
            node = {**node, "examples": {**(node.get("examples") or {}), **placeholders}}
        return {k: _strip(v) for k, v in node.items() if not str(k).startswith("x-")}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _stripped(api: str, folder: Path) -> Path:
    path = folder / f"{api}-stripped.yaml"
    path.write_text(yaml.safe_dump(_strip(yaml.safe_load(spec_path(api).read_text()))))
    return path


def _new(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["new", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def serve() -> Iterator[Any]:
    """Serve a written entry from its catalog folder, over real HTTP on 127.0.0.1 (manual clock)."""
    started: list[LiveMock] = []

    def start(name: str, into: Path) -> tuple[LiveMock, Behaviour]:
        config = MockConfig(apis=(name,), catalogs=(into,), clock=ManualClock())
        live = start_live_mock(app=MockApp(config))
        started.append(live)
        return live, live.app.tasks.behaviour(name)

    yield start
    for live in started:
        live.stop()


def _play(
    live: LiveMock, behaviour: Behaviour, scenario: str, bodies: list[Any] | None = None
) -> list[Any]:
    """Create a task in `scenario` on the vendor route and poll it as it enters each planned
    step, then halfway through it; every answer must conform to the spec. Returns the states
    the polls saw, in order (and the poll bodies into `bodies`, when given)."""
    auth = {behaviour.auth.header: behaviour.auth.example, "x-taskmock-scenario": scenario}
    auth.update(required_headers(behaviour.spec, behaviour.poll.operation))  # a version header
    create = next(op for op in behaviour.operations.values() if op.role == "create")
    reply = live.request(
        create.operation.method,
        behaviour.base_path + create.operation.path,
        create.example,
        {**auth, **required_headers(behaviour.spec, create.operation)},
    )
    assert reply.status == create.status, reply.body
    _conforms(behaviour, create.operation, reply)
    *_, record = live.app.tasks.visible(behaviour.api, None)  # the newest
    seen: list[Any] = []
    history: list[PollSeen] = []
    for step in record.plan:
        for moment in (step.at, step.at + (step.dwell or 60) / 2):
            live.clock.advance(moment - live.clock.now())
            answer = live.request("GET", behaviour.poll_path(record.id), headers=auth)
            assert answer.status == 200, answer.body
            _conforms(behaviour, behaviour.poll.operation, answer)
            history.append(PollSeen(moment, answer.json()))
            if bodies is not None:
                bodies.append(answer.json())
            state = behaviour.lifecycle.state_of(answer.json())  # as the contract checks read it
            if not seen or seen[-1] != state:
                seen.append(state)
    assert seen[-1] in behaviour.lifecycle.terminal
    # The contract checks judge the polls by the written lifecycle and find nothing wrong.
    assert lifecycle_findings(behaviour.lifecycle, record.id, history) == []
    return seen


def _conforms(behaviour: Behaviour, operation: Any, reply: Any) -> None:
    found = response_violations(
        behaviour.spec, operation, reply.status, reply.headers["content-type"], reply.body
    )
    assert found == [], (reply.body, [str(v) for v in found])


def _check_entry(
    name: str, into: Path, serve: Any, capsys: pytest.CaptureFixture[str]
) -> Behaviour:
    """The written entry validates, loads and plays success and failure to their ends."""
    spec_file = into / "specs" / f"{name}.yaml"
    assert validate_file(spec_file) == []
    written = yaml.safe_load((into / "mocks" / f"{name}.yaml").read_text())
    assert [e.message for e in Draft202012Validator(editor_schema()).iter_errors(written)] == []
    assert main(["specs", "validate", str(spec_file)]) == 0
    capsys.readouterr()
    live, behaviour = serve(name, into)
    for scenario in behaviour.scenarios.values():
        path = [step["state"] for step in scenario.path]
        assert _play(live, behaviour, scenario.name) == path
    return behaviour


# --- it works ------------------------------------------------------------------------------------


def _wire_values(lifecycle: Lifecycle, states: Any) -> set[Any]:
    """The status values `states` show as: a state with a `when` shows as the value its condition
    puts on the status (`COMPLETED` with an error is `COMPLETED`), an alias's too."""
    values: set[Any] = set()
    for state in states:
        condition = lifecycle.condition(state)
        key = lifecycle.status_field or next(iter(condition))  # a `when` on one nested field
        value = condition.get(key, state)
        values.update(value["in"] if isinstance(value, dict) and "in" in value else [value])
    return values


def _bundled_root_routes() -> dict[tuple[str, str], str]:
    """The routes the bundled APIs serve at the root, by API name."""
    catalog = bundled_catalog()
    routes: dict[tuple[str, str], str] = {}
    for name in catalog.names:
        behaviour = catalog.behaviour(name)
        if behaviour.root:
            for op in behaviour.operations.values():
                routes[root_route(op.operation.method, op.operation.path)] = name
    return routes


def test_every_bundled_api_is_either_played_or_refused_by_design() -> None:
    assert set(REFUSED) < set(API_NAMES)
    assert set(LEFT_OUT) <= set(API_NAMES) - set(REFUSED)


@pytest.mark.parametrize("api", [a for a in API_NAMES if a not in REFUSED])
def test_each_bundled_spec_stripped_of_its_extensions_gives_an_entry_that_serves(
    api: str, tmp_path: Path, serve: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _stripped(api, tmp_path)
    code, out, err = _new(
        capsys, f"{api}-copy", "--from-spec", str(source), "--into", str(tmp_path)
    )
    assert (code, err) == (0, ""), out
    assert f"wrote {tmp_path / 'specs' / f'{api}-copy.yaml'}" in out
    assert "Review" in out
    assert "guessed from the names" in out
    assert f"Serve it: taskmock serve --catalog {tmp_path}" in out
    if (
        api == "tensorpix"
    ):  # its seed example is a generated placeholder (`processing_progress: 123`)
        assert "example 'seed_placeholder'" in out
        assert "marked x-placeholder (checked by shape only)" in out
    behaviour = _check_entry(f"{api}-copy", tmp_path, serve, capsys)
    bundled = load_behaviour_file(REPO_ROOT / "mocks" / f"{api}.yaml")
    # A route an API of the catalog serves at the root (its own, the bundled API's, or another's
    # of the same path) is served under the copy's prefix only.
    taken = _bundled_root_routes()
    owners = {
        taken[route]
        for op in behaviour.operations.values()
        if (route := root_route(op.operation.method, op.operation.path)) in taken
    }
    assert (api in owners) is bundled.root
    assert behaviour.root is not owners
    for owner in owners:
        assert f"is served at the root by {owner}, so this API is served under /{api}-copy " in out
    if api == "tensorpix":  # `Token <key>`, from the scheme's description, for the checks
        schemes = behaviour.spec.document["components"]["securitySchemes"]
        assert schemes["tokenAuth"]["x-credential-prefix"] == "Token "
    if api == "tensorpix":  # create-request fields are echoed at the top of the body only
        assert behaviour.body["codec"] == {"$": "input", "key": "codec", "else": "libx264"}
        assert behaviour.body["input_video"]["chroma_subsampling"] == "4:2:0"
    # The guess names the same status field and, as the status shows them on the wire, the same
    # states, terminal states and an initial state as the hand-made spec.
    guessed, made = behaviour.lifecycle, bundled.lifecycle
    assert guessed.status_field == made.status_field
    assert set(guessed.states) >= _wire_values(made, made.states)
    assert _wire_values(made, made.terminal) <= guessed.terminal
    assert guessed.initial & _wire_values(made, made.initial)
    # The task schema's conditionals the guess cannot read are left out, and the review says so.
    component = behaviour.task_component
    before = yaml.safe_load(source.read_text())["components"]["schemas"][component]
    after = behaviour.spec.document["components"]["schemas"][component]
    left_out = [i for i, e in enumerate(before.get("allOf", [])) if e not in after.get("allOf", [])]
    assert left_out == LEFT_OUT.get(api, [])
    if left_out:
        entries = ", ".join(f"allOf/{i}" for i in left_out)
        assert f"spec: {component} {entries} left out of the copy: each `if` tests a" in out
        assert "Declare those states with `when` in x-lifecycle" in out
    if api == "fal":  # COMPLETED with or without an error: states with `when`, read from the if's
        _assert_fal_ends_are_told_apart(behaviour, tmp_path, serve, out)


def _assert_fal_ends_are_told_apart(behaviour: Behaviour, into: Path, serve: Any, out: str) -> None:
    failed, cancelled = "COMPLETED, with error", "COMPLETED, error_type request_cancelled"
    lifecycle = behaviour.lifecycle
    assert lifecycle.states == ("IN_QUEUE", "IN_PROGRESS", "COMPLETED", cancelled, failed)
    assert lifecycle.when == {
        "COMPLETED": {"status": "COMPLETED", "error": {"is": "null"}},
        cancelled: {"status": "COMPLETED", "error_type": "request_cancelled"},
        failed: {"status": "COMPLETED", "error": {"is": "set"}},
    }
    assert lifecycle.terminal == {"COMPLETED", cancelled, failed}
    assert behaviour.forced_states == {"failed": failed, "cancelled": cancelled}
    assert [s["state"] for s in behaviour.scenarios["failure"].path][-1] == failed
    assert [s["state"] for s in behaviour.scenarios["cancel"].path][-1] == cancelled
    assert f"is state '{failed}', failure (a `when` read from QueueStatus's" in out
    # The entries stay in the copy as the rules of those states.
    assert {(state, name, kind) for state, name, kind in rule_atoms(lifecycle)} >= {
        (repr(failed), "error", "set"),
        (repr(failed), "error_type", "set"),
        (repr(cancelled), "error", "set"),
        ("'COMPLETED'", "error", "null"),
    }
    # A served task of the failure scenario ends failed: COMPLETED, with its error set.
    live, served = serve("fal-copy", into)
    bodies: list[Any] = []
    assert _play(live, served, "failure", bodies)[-1] == failed
    assert bodies[-1]["status"] == "COMPLETED"
    assert bodies[-1]["error"]
    assert bodies[-1]["error_type"] != "request_cancelled"
    bodies.clear()
    assert _play(live, served, "cancel", bodies)[-1] == cancelled
    assert (bodies[-1]["status"], bodies[-1]["error_type"]) == ("COMPLETED", "request_cancelled")


@pytest.mark.parametrize("api", sorted(REFUSED))
def test_a_bundled_spec_whose_state_is_no_status_enum_is_refused_with_what_to_do(
    api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _stripped(api, tmp_path)
    out_dir = tmp_path / "out"
    code, out, err = _new(capsys, f"{api}-copy", "--from-spec", str(source), "--into", str(out_dir))
    _assert_refused(code, out, err, REFUSED[api], out_dir)


def test_strip_keeps_a_json_schema_examples_list_and_restores_placeholder_examples() -> None:
    document = {
        "schema": {"type": "string", "examples": ["a", "b"], "x-source": "seed"},
        "media": {"examples": {"one": {"value": 1}}, "x-placeholder-examples": {"two": {}}},
    }
    assert _strip(document) == {
        "schema": {"type": "string", "examples": ["a", "b"]},
        "media": {"examples": {"one": {"value": 1}, "two": {}}},
    }


def test_members_a_state_has_not_are_left_out_where_the_rules_say_absent(
    tmp_path: Path, serve: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The made-up print shop's `progress` is there (any value) while printing, absent else."""
    source = tmp_path / "printshop-stripped.yaml"
    spec = FIXTURES / "catalogs" / "printshop" / "specs" / "printshop.yaml"
    source.write_text(yaml.safe_dump(_strip(yaml.safe_load(spec.read_text()))))
    code, out, _ = _new(capsys, "prints", "--from-spec", str(source), "--into", str(tmp_path))
    assert code == 0, out
    behaviour = _check_entry("prints", tmp_path, serve, capsys)
    assert behaviour.body["progress"]["else"] == {"$": "omit"}
    assert {(kind, name) for _, name, kind in rule_atoms(behaviour.lifecycle)} >= {
        ("present", "progress"),
        ("absent", "progress"),
    }


def test_a_spec_with_its_own_x_lifecycle_keeps_it_and_the_scenarios_follow_it(
    tmp_path: Path, serve: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    source = spec_path("hailuo")
    code, out, _ = _new(capsys, "hailuo-mine", "--from-spec", str(source), "--into", str(tmp_path))
    assert code == 0, out
    assert "lifecycle VideoTask.status: the spec's own" in out
    written = yaml.safe_load((tmp_path / "specs" / "hailuo-mine.yaml").read_text())
    original = yaml.safe_load(source.read_text())
    lifecycle = written["components"]["schemas"]["VideoTask"]["x-lifecycle"]
    assert lifecycle == original["components"]["schemas"]["VideoTask"]["x-lifecycle"]
    behaviour = _check_entry("hailuo-mine", tmp_path, serve, capsys)
    assert [s["state"] for s in behaviour.scenarios["success"].path] == [
        "Preparing",
        "Queueing",
        "Processing",
        "Success",
    ]


def test_a_made_up_openapi_3_0_api_is_upgraded_and_guessed_sensibly(
    tmp_path: Path, serve: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    source = SCAFFOLD / "render-farm.yaml"
    code, out, _ = _new(capsys, "render-farm", "--from-spec", str(source), "--into", str(tmp_path))
    assert code == 0, out
    assert "OpenAPI 3.0.3 upgraded to 3.1.0" in out
    behaviour = _check_entry("render-farm", tmp_path, serve, capsys)
    lifecycle = behaviour.lifecycle
    assert lifecycle.initial == {"QUEUED"}
    assert lifecycle.terminal == {"SUCCEEDED", "FAILED", "CANCELLED"}
    assert lifecycle.successors("RENDERING") == ("ENCODING", "FAILED", "CANCELLED")
    assert lifecycle.source == {"states": "inferred", "transitions": "inferred"}
    assert behaviour.auth.header == "X-Api-Key"
    assert behaviour.errors["not-found"].body == {
        "error": {"code": "not_found", "message": "No render with that id."}
    }
    assert {op.role for op in behaviour.operations.values()} == {"create", "poll", "list", "cancel"}
    body = behaviour.body
    assert body["renderId"] == {"$": "id"}
    assert body["status"] == {"$": "state"}
    assert body["progress"]["$"] == "progress"
    assert body["videoUrl"]["cases"][0]["states"] == ["SUCCEEDED"]
    assert body["failureReason"]["cases"][0]["states"] == ["FAILED"]
    written = (tmp_path / "mocks" / "render-farm.yaml").read_text()
    assert "# inferred: set at 'SUCCEEDED' only (from its name)" in written
    assert "id: { kind: uuid }" in written  # short mappings in flow style
    spec = yaml.safe_load((tmp_path / "specs" / "render-farm.yaml").read_text())
    assert spec["openapi"] == "3.1.0"
    assert spec["paths"]["/v2/renders/{renderId}"]["get"]["x-task-role"] == "poll"
    assert spec["paths"]["/v2/renders"]["post"]["x-task-role"] == "create"
    assert "x-task-id" not in spec["paths"]["/v2/renders"]["post"]  # the lifecycle's id field
    # The folder is a catalog the commands take beside the bundled one, at the root too.
    assert main(["specs", "validate", "--catalog", str(tmp_path)]) == 0
    assert f"{tmp_path / 'mocks' / 'render-farm.yaml'}: ok" in capsys.readouterr().out
    assert "render-farm" in MockApp(MockConfig(catalogs=(tmp_path,))).tasks.behaviours
    assert spec["components"]["schemas"]["Render"]["properties"]["videoUrl"]["type"] == [
        "string",
        "null",
    ]


def test_a_json_spec_works_as_well_and_the_output_is_deterministic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "render-farm.json"
    source.write_text(json.dumps(yaml.safe_load((SCAFFOLD / "render-farm.yaml").read_text())))
    outputs = []
    for folder in ("a", "b"):
        code, out, _ = _new(
            capsys, "render-farm", "--from-spec", str(source), "--into", str(tmp_path / folder)
        )
        assert code == 0, out
        outputs.append(
            [
                (tmp_path / folder / kind / "render-farm.yaml").read_bytes()
                for kind in ("specs", "mocks")
            ]
        )
    assert outputs[0] == outputs[1]


def test_states_that_share_a_status_value_are_read_from_the_if_entries_into_when_states(
    tmp_path: Path, serve: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """A made-up API whose jobs end `finished` whether they worked, failed or were stopped."""
    source = SCAFFOLD / "dub-desk.yaml"
    code, out, _ = _new(capsys, "dubs", "--from-spec", str(source), "--into", str(tmp_path))
    assert code == 0, out
    assert "left out of the copy" not in out
    behaviour = _check_entry("dubs", tmp_path, serve, capsys)
    failed, stopped = "finished, with error_message", "finished, stop_reason user_abort"
    assert behaviour.lifecycle.states == ("waiting", "dubbing", "finished", stopped, failed)
    assert behaviour.lifecycle.when[failed] == {"state": "finished", "error_message": {"is": "set"}}
    assert behaviour.lifecycle.when[stopped] == {"state": "finished", "stop_reason": "user_abort"}
    assert list(behaviour.scenarios) == ["success", "failure", "cancel"]
    written = yaml.safe_load(source.read_text())["components"]["schemas"]["Job"]["allOf"]
    assert behaviour.spec.document["components"]["schemas"]["Job"]["allOf"] == written
    live, served = serve("dubs", tmp_path)
    bodies: list[Any] = []
    assert _play(live, served, "success", bodies)[-1] == "finished"
    assert bodies[-1]["stop_reason"] is None  # not the example's user_abort: that is stopped
    bodies.clear()
    assert _play(live, served, "failure", bodies)[-1] == failed
    assert bodies[-1]["state"] == "finished"
    assert bodies[-1]["error_message"]


def test_a_status_in_an_envelope_is_played_from_an_inline_schema_moved_to_components(
    tmp_path: Path, serve: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    source = SCAFFOLD / "clip-envelope.yaml"
    code, out, _ = _new(capsys, "clips", "--from-spec", str(source), "--into", str(tmp_path))
    assert code == 0, out
    assert "the status is nested at data.task_status, so each state of Task is a `when`" in out
    assert "the answer's schema, inline in query_clip's answer.data, moved to" in out
    behaviour = _check_entry("clips", tmp_path, serve, capsys)
    assert behaviour.task_component == "Task"
    assert behaviour.lifecycle.status_field is None
    assert behaviour.lifecycle.when["finished"] == {"data.task_status": "finished"}
    create = behaviour.spec.operation("submit_clip").raw
    assert (create["x-task-role"], create["x-task-id"]) == ("create", "/data/task_id")
    assert behaviour.body["data"]["task_status"] == {"$": "state"}
    # The example's time is in milliseconds, so the mock's is too.
    assert behaviour.body["data"]["created_at"] == {
        "$": "time",
        "of": "created",
        "format": "unix-ms",
    }
    assert behaviour.body["code"] == 0


def test_an_entry_that_does_not_check_out_is_written_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _render_farm()
    doc["components"]["schemas"]["Render"]["properties"]["renderId"] = {
        "type": "string",
        "pattern": "^r_[a-z0-9]{8}$",
    }
    source = tmp_path / "spec.yaml"
    source.write_text(yaml.safe_dump(doc))
    code, out, err = _new(capsys, "acme", "--from-spec", str(source), "--into", str(tmp_path))
    assert (code, err) == (1, "")
    assert "ids: the spec's id does not accept a UUID" in out
    assert "The entry does not check out yet:" in out
    assert "! success at 'QUEUED': getRender /renderId: " in out
    assert (tmp_path / "mocks" / "acme.yaml").is_file()


def test_a_second_entry_in_the_same_folder_keeps_off_the_first_ones_root_routes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = str(SCAFFOLD / "render-farm.yaml")
    assert _new(capsys, "first", "--from-spec", source, "--into", str(tmp_path))[0] == 0
    code, out, _ = _new(capsys, "second", "--from-spec", source, "--into", str(tmp_path))
    assert code == 0, out
    assert "is served at the root by first, so this API is served under /second only" in out
    app = MockApp(MockConfig(catalogs=(tmp_path,)))  # no clash: both are served
    assert app.tasks.behaviour("first").root
    assert not app.tasks.behaviour("second").root


def test_force_overwrites_an_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["acme", "--from-spec", str(SCAFFOLD / "render-farm.yaml"), "--into", str(tmp_path)]
    assert _new(capsys, *args)[0] == 0
    (tmp_path / "mocks" / "acme.yaml").write_text("edited")
    assert _new(capsys, *args, "--force")[0] == 0
    text = (tmp_path / "mocks" / "acme.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=/")  # the installed editor schema
    assert "\n# How the mock plays acme" in text


@pytest.mark.slow
def test_as_a_subprocess_it_writes_into_the_current_folder(tmp_path: Path) -> None:
    source = SCAFFOLD / "render-farm.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "taskmock", "new", "render-farm", "--from-spec", str(source)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert done.returncode == 0, done.stderr
    assert "wrote specs/render-farm.yaml" in done.stdout
    assert (tmp_path / "mocks" / "render-farm.yaml").is_file()
    assert validate_file(tmp_path / "specs" / "render-farm.yaml") == []


# --- bad input -----------------------------------------------------------------------------------


def _render_farm() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((SCAFFOLD / "render-farm.yaml").read_text())
    return data


def _without_poll() -> dict[str, Any]:
    doc = _render_farm()
    del doc["paths"]["/v2/renders/{renderId}"]["get"]
    return doc


def _status_schema(schema: dict[str, Any]) -> dict[str, Any]:
    doc = _render_farm()
    doc["components"]["schemas"]["Render"]["properties"]["status"] = schema
    return doc


def _without_create() -> dict[str, Any]:
    doc = _render_farm()
    del doc["paths"]["/v2/renders"]["post"]
    return doc


def _long_running() -> dict[str, Any]:
    doc = _render_farm()
    doc["components"]["schemas"]["Render"]["properties"]["status"] = {"type": "boolean"}
    doc["components"]["schemas"]["Render"]["properties"]["done"] = {"type": "boolean"}
    return doc


BAD_DOCUMENTS: dict[str, tuple[Any, str]] = {
    "a list": (["openapi", "3.1.0"], "is not an OpenAPI document: it has no 'openapi' version"),
    "no openapi field": ({"info": {"title": "x"}}, "is not an OpenAPI document"),
    "swagger 2.0": ({"swagger": "2.0", "info": {}}, "is Swagger 2.0; taskmock reads OpenAPI 3.0"),
    "openapi 4": ({"openapi": "4.0.0"}, "is OpenAPI 4.0.0; taskmock reads 3.0 and 3.1"),
    "invalid structure": (
        {"openapi": "3.1.0", "info": {"title": "x"}, "paths": 5},
        "is not a valid OpenAPI document",
    ),
    "dangling ref": (
        {
            **_render_farm(),
            "paths": {"/x/{id}": {"get": {"responses": {"200": {"$ref": "#/nope"}}}}},
        },
        "'#/nope' points to nothing",
    ),
    "no poll operation": (
        _without_poll(),
        "no poll operation: no GET operation names one resource",
    ),
    "status without enum": (
        _status_schema({"type": "string"}),
        "status is a plain string (add `enum: [...]` listing its values)",
    ),
    "no finished value": (
        _status_schema({"type": "string", "enum": ["QUEUED", "RUNNING"]}),
        "has no value that reads as finished",
    ),
    "integers without names": (
        _status_schema({"type": "integer", "enum": [0, 1, 2]}),
        "has no names for its values",
    ),
    "nothing before the end": (
        _status_schema({"type": "string", "enum": ["SUCCEEDED", "FAILED"]}),
        "reads as finished: a task has states before that",
    ),
    "no create operation": (_without_create(), "no create operation: no POST operation"),
    "long-running operation": (_long_running(), "done is a boolean (a long-running operation)"),
}


def _assert_refused(
    code: int, out: str, err: str, fragment: str, folder: Path, *, written: bool = False
) -> None:
    assert code == 2, out
    assert err.startswith("taskmock: error: "), err
    assert fragment in err, err
    assert "Traceback" not in out + err
    if not written:
        assert not (folder / "specs").exists()
        assert not (folder / "mocks").exists()


@pytest.mark.parametrize("case", sorted(BAD_DOCUMENTS))
def test_a_document_that_is_not_a_task_api_is_refused(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document, fragment = BAD_DOCUMENTS[case]
    source = tmp_path / "spec.yaml"
    source.write_text(yaml.safe_dump(document))
    out_dir = tmp_path / "out"
    code, out, err = _new(capsys, "acme", "--from-spec", str(source), "--into", str(out_dir))
    _assert_refused(code, out, err, fragment, out_dir)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"openapi: [unclosed\n", "spec.yaml:2: /: not valid YAML"),
        (None, "cannot read file"),  # no such file
        (b"\xff\xfe\x00junk", "not UTF-8 text"),
    ],
)
def test_an_unreadable_spec_is_refused(
    content: bytes | None, fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "spec.yaml"
    if content is not None:
        source.write_bytes(content)
    code, out, err = _new(capsys, "acme", "--from-spec", str(source), "--into", str(tmp_path))
    _assert_refused(code, out, err, "cannot read the spec: " + str(tmp_path), tmp_path)
    assert fragment in err


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("Render_Farm", "'Render_Farm' is not a valid API name"),
        ("9lives", "'9lives' is not a valid API name"),
        ("", "'' is not a valid API name"),
        ("control", "'control' is reserved (the control plane's)"),
        ("kokoon", f"'kokoon' is already an API ({spec_path('kokoon')})"),
    ],
)
def test_a_name_that_cannot_name_an_api_is_refused(
    name: str, fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = SCAFFOLD / "render-farm.yaml"
    code, out, err = _new(capsys, name, "--from-spec", str(source), "--into", str(tmp_path))
    _assert_refused(code, out, err, fragment, tmp_path)


def test_a_name_another_catalog_defines_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "theirs"
    source = SCAFFOLD / "render-farm.yaml"
    assert _new(capsys, "acme", "--from-spec", str(source), "--into", str(other))[0] == 0
    mine = tmp_path / "mine"
    args = ["acme", "--from-spec", str(source), "--into", str(mine), "--catalog", str(other)]
    code, out, err = _new(capsys, *args)
    _assert_refused(
        code, out, err, f"'acme' is already an API ({other / 'specs' / 'acme.yaml'})", mine
    )


@pytest.mark.parametrize("kind", ["specs", "mocks"])
def test_files_already_there_are_kept_without_force(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / kind).mkdir()
    (tmp_path / kind / "acme.yaml").write_text("mine")
    source = SCAFFOLD / "render-farm.yaml"
    code, out, err = _new(capsys, "acme", "--from-spec", str(source), "--into", str(tmp_path))
    _assert_refused(code, out, err, "already there; --force overwrites", tmp_path, written=True)
    assert (tmp_path / kind / "acme.yaml").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.rglob("*.yaml")) == ["acme.yaml"]


def test_a_folder_that_cannot_be_written_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "catalog"
    blocker.write_text("a file, not a folder")
    source = SCAFFOLD / "render-farm.yaml"
    code, out, err = _new(capsys, "acme", "--from-spec", str(source), "--into", str(blocker))
    _assert_refused(code, out, err, "cannot write the entry", blocker)


def test_a_missing_from_spec_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["new", "acme"])
    assert exited.value.code == 2
    assert "--from-spec" in capsys.readouterr().err


@pytest.mark.slow
def test_as_a_subprocess_bad_input_exits_2_without_a_traceback(tmp_path: Path) -> None:
    source = tmp_path / "spec.yaml"
    source.write_text(yaml.safe_dump(_without_poll()))
    done = subprocess.run(
        [sys.executable, "-m", "taskmock", "new", "acme", "--from-spec", str(source)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("taskmock: error: no poll operation")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "specs").exists()
