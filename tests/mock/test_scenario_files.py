"""Scenario files: the bundled ones load; a broken one fails at load with file, line, key, suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskmock._core.catalog import Catalog
from taskmock._core.clock import ManualClock
from taskmock._core.scenario import load_behaviour, load_behaviour_file
from taskmock._http.app import MockApp, MockConfig
from taskmock._http.messages import Request
from taskmock.errors import ScenarioError, UnknownNameError
from tests.support import API_NAMES, scenario_path, spec_path


@pytest.mark.parametrize("api", API_NAMES)
def test_bundled_scenarios_load_with_the_required_set(api: str) -> None:
    for behaviour in load_behaviour(api).every_kind:
        roles = {op.role for op in behaviour.operations.values()}
        assert {"create", "poll"} <= roles
        # `cancel` where the vendor can cancel (a cancel operation, or a cancelled state).
        cancels = "cancel" in roles or "cancelled" in behaviour.forced_states
        required = {"success", "failure", "slow-queue"} | ({"cancel"} if cancels else set())
        assert required <= set(behaviour.scenarios), behaviour.kind
        assert behaviour.default_scenario == "success"


def test_preview_variants_exist_where_the_vendor_has_one() -> None:
    assert load_behaviour("kokoon").scenario_for_input({"task_type": "SR_PREVIEW"}) == "preview"
    assert load_behaviour("tensorpix").scenario_for_input({"preview": True}) == "preview"
    assert load_behaviour("tensorpix").scenario_for_input({"preview": False}) == "success"


def test_every_spec_operation_is_played() -> None:
    for api in API_NAMES:
        behaviour = load_behaviour(api)
        played = {op for kind in behaviour.every_kind for op in kind.operations}
        assert {op.operation_id for op in behaviour.spec.operations()} == played


def _broken(tmp_path: Path, api: str, old: str, new: str) -> Path:
    text = scenario_path(api).read_text()
    assert old in text, f"fixture drifted: {old!r}"
    path = tmp_path / f"{api}.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("api", "old", "new", "pointer", "fragment"),
    [
        (
            "kokoon",
            "scenarios:\n",
            "scenarois:\n",
            "/scenarois",
            "unknown key 'scenarois'; did you mean 'scenarios'?",
        ),
        (
            "kokoon",
            "      - { state: running, dwell: { uniform: [20, 30] } }",
            "      - { state: runing, dwell: { uniform: [20, 30] } }",
            "/scenarios/success/path/3/state",
            "'runing' is not a state of this lifecycle; did you mean 'running'?",
        ),
        (
            "tensorpix",
            "      - { state: 0, dwell: { uniform: [3, 8] } }\n      - { state: 1, dwell: { uniform: [45, 75] } }",
            "      - { state: 0, dwell: { uniform: [3, 8] } }\n      - { state: 2, dwell: { uniform: [45, 75] } }",
            "/scenarios/success/path/1/state",
            "0 -> 2 is not an allowed transition",
        ),
        (
            "hailuo",
            "  vapi_task_get: { role: poll",
            "  vapi_task_gett: { role: poll",
            "/operations/vapi_task_gett",
            "did you mean 'vapi_task_get'?",
        ),
        (
            "hailuo",
            "role: poll, param: task_id }",
            "role: pole, param: task_id }",
            "/operations/vapi_task_get/role",
            "unknown role 'pole'; did you mean 'poll'?",
        ),
        (
            "kokoon",
            "progress: { $: progress, state: running",
            "progress: { $: progres, state: running",
            "/body/progress/$",
            "unknown expression 'progres'; did you mean 'progress'?",
        ),
        (
            "tensorpix",
            "{ $: ref, name: input_video }",
            "{ $: ref, name: inputvideo }",
            "/body/input_video/name",
            "no template named 'inputvideo'; did you mean 'input_video'?",
        ),
        (
            "kokoon",
            "      - { state: ready, dwell: 2 }\n      - { state: preparing, dwell: { uniform: [1, 3] } }",
            "      - { state: ready, dwell: -2 }\n      - { state: preparing, dwell: { uniform: [1, 3] } }",
            "/scenarios/success/path/0/dwell",
            "is not valid",
        ),
        ("kokoon", "task: Task\n", "task: Tusk\n", "/task", "did you mean 'Task'?"),
        (
            "hailuo",
            "  rate-limited:",
            "  rate-limted:",
            "/errors/rate-limted",
            "no refusal answers with 'rate-limted'; did you mean 'rate-limited'?",
        ),
        (
            "kokoon",
            "  failed: error\n",
            "  failed: broken\n",
            "/states/failed",
            "'broken' is not a state of Task",
        ),
    ],
)
def test_broken_scenario_file_is_named_precisely(
    tmp_path: Path, api: str, old: str, new: str, pointer: str, fragment: str
) -> None:
    path = _broken(tmp_path, api, old, new)
    with pytest.raises(ScenarioError) as caught:
        load_behaviour_file(path, spec_path(api))
    problems = caught.value.problems
    match = [p for p in problems if p.pointer == pointer]
    assert match, [str(p) for p in problems]
    assert fragment in match[0].message
    assert match[0].file == str(path)
    assert match[0].line is not None


def test_unparseable_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("api: [unclosed\n")
    with pytest.raises(ScenarioError, match=r"x\.yaml:2: /: not valid YAML"):
        load_behaviour_file(path)


def test_unknown_api_and_scenario_names() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'hailuo'"):
        load_behaviour("hailou")
    with pytest.raises(UnknownNameError, match="did you mean 'slow-queue'"):
        load_behaviour("tensorpix").scenario("slow_queue")


def test_a_fourth_api_needs_only_a_spec_and_a_scenario_file(tmp_path: Path) -> None:
    specs, mocks = tmp_path / "specs", tmp_path / "mocks"
    specs.mkdir()
    mocks.mkdir()
    (specs / "acme.yaml").write_text(
        spec_path("hailuo").read_text().replace("title: Hailuo video", "title: Acme")
    )
    (mocks / "acme.yaml").write_text(
        scenario_path("hailuo").read_text().replace("api: hailuo", "api: acme")
    )
    catalog = Catalog([tmp_path])
    assert "acme" in catalog.names
    assert catalog.behaviour("acme").spec.title.startswith("Acme")
    # Its paths are hailuo's: served under /acme only, unless hailuo is not loaded.
    app = MockApp(MockConfig(apis=("acme",), catalogs=(tmp_path,), clock=ManualClock()))
    record = app.tasks.create("acme")
    reply = app.handle(Request("GET", f"/task/{record.id}", "", {"authorization": "Bearer t"}))
    assert reply.status == 200
    assert reply.json()["status"] == "Preparing"
    prefixed = app.handle(
        Request("GET", f"/acme/task/{record.id}", "", {"authorization": "Bearer t"})
    )
    assert prefixed.body == reply.body
