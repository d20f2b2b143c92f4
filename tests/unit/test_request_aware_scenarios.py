"""The scenario language's request-aware parts, checked at load and run without HTTP, with the
made-up Relay API (tests/fixtures/relay): answers by state, holds, deadlines, `param`, `query`,
`format` values, and `x-multi-segment` in a spec."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from taskmock._core.catalog import Catalog
from taskmock._core.contract import Contract
from taskmock._core.engine import observe
from taskmock._core.roles import Deadline, Hold
from taskmock._core.spec import load_spec
from taskmock._core.validation import validate_spec
from taskmock.errors import ScenarioError

RELAY = Path(__file__).resolve().parent.parent / "fixtures" / "relay"


def edited(tmp_path: Path, old: str, new: str, file: str = "mocks/relay.yaml") -> Path:
    folder = tmp_path / "relay"
    shutil.copytree(RELAY, folder)
    target = folder / file
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new))
    return folder


@pytest.mark.parametrize(
    ("old", "new", "pointer", "message"),
    [
        (
            "{ states: [waiting, working], status: 202 }",
            "{ states: [waiting, wroking], status: 202 }",
            "/operations/get_job/answers/0/states/1",
            "'wroking' is not a state",
        ),
        (
            "to: { waiting: expired, working: stopped }",
            "to: { waiting: expired, working: expired }",
            "/operations/submit_job/deadline/to/working",
            "'working' -> 'expired' is not an allowed transition",
        ),
        (
            "hold: { header: Hold, max: 30 }",
            "hold: { header: Hold, max: 30, pattern: '(' }",
            "/operations/submit_job/hold/pattern",
            "not a regular expression",
        ),
        (
            'template: "{api_url}/queues/{queue}/jobs/{id}"',
            'template: "{api_url}/queues/{queu}/jobs/{id}"',
            "/body/status_url/template",
            "no value {queu}; did you mean 'queue'?",
        ),
        (
            "values: { queue: { $: param, name: queue, else: main } }",
            "values: { id: { $: param, name: queue, else: main } }",
            "/body/status_url/values/id",
            "{id} is already given",
        ),
        (
            "body: { message: not done yet }",
            "body: { message: { $: qeury, name: x } }",
            "/operations/get_result/answers/0/body/message/$",
            "did you mean 'query'",
        ),
    ],
)
def test_a_broken_entry_is_named_at_load(
    tmp_path: Path, old: str, new: str, pointer: str, message: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        Catalog([edited(tmp_path, old, new)]).behaviour("relay")
    found = [(p.pointer, p.message) for p in caught.value.problems]
    assert any(p == pointer and message in m for p, m in found), found


def test_a_multi_segment_mark_belongs_on_a_path_parameter(tmp_path: Path) -> None:
    folder = edited(
        tmp_path,
        "- { name: notes, in: query,",
        "- { name: notes, in: query, x-multi-segment: true,",
        "specs/relay.yaml",
    )
    problems = validate_spec(load_spec(folder / "specs" / "relay.yaml"))
    assert any(
        "x-multi-segment is true or false, on a path parameter" in p.message for p in problems
    )
    assert validate_spec(load_spec(RELAY / "specs" / "relay.yaml")) == []


def test_the_checks_fill_other_path_parameters_from_their_examples() -> None:
    from taskmock._checks.create import describe_create

    contract = Contract.from_spec(load_spec(RELAY / "specs" / "relay.yaml"))
    assert contract.task_id.name == "job_id"
    assert contract.path_for("abc") == "/queues/main/jobs/abc"
    assert "POST /queues/main/stills/hd " in describe_create(contract)  # check --create


def test_a_poll_path_names_the_tasks_own_parameters() -> None:
    behaviour = Catalog([RELAY]).behaviour("relay")
    assert behaviour.poll_path("abc") == "/relay/queues/main/jobs/abc"
    assert behaviour.poll_path("abc", {"queue": "spare", "route": "x"}) == (
        "/relay/queues/spare/jobs/abc"
    )


@pytest.mark.parametrize(
    ("given", "seconds"),
    [
        ("1m", 60.0),
        ("1m30s", 90.0),
        ("500ms", 0.5),
        ("1h", 3600.0),
        ("2.5s", 2.5),
        ("266m0h057061917h40757882ms", 1e10),  # valid, and further than any clock goes
    ],
)
def test_durations(given: str, seconds: float) -> None:
    assert Deadline("Stop-After", "duration", {}).seconds_in(given) == seconds


@pytest.mark.parametrize("given", ["", "soon", "1m soon", "m", "-1s", "1d", "1m 30s"])
def test_malformed_durations(given: str) -> None:
    assert Deadline("Stop-After", "duration", {}).seconds_in(given) is None


def test_seconds_and_holds() -> None:
    assert Deadline("X", "seconds", {}).seconds_in("12.5") == 12.5
    assert Deadline("X", "seconds", {}).seconds_in("-3") is None
    assert Deadline("X", "seconds", {}).seconds_in("nan") is None
    assert Deadline("X", "seconds", {}).seconds_in("1e300") == 1e10
    import re

    hold = Hold("Prefer", re.compile(r"wait(=(?P<seconds>[0-9]+))?"), 60.0, 60.0)
    assert hold.seconds_asked("wait") == 60.0
    assert hold.seconds_asked("wait=5") == 5.0
    assert hold.seconds_asked("wait=500") == 60.0
    assert hold.seconds_asked("respond-async") is None
    assert hold.seconds_asked(None) is None
    loose = Hold("X-Wait", re.compile(r"(?P<seconds>\S+)"), 10.0, 30.0)
    assert loose.seconds_asked("soon") == 10.0  # the group took no number: the default
    assert loose.seconds_asked("inf") == 10.0
    assert loose.seconds_asked("-5") == 10.0


def test_a_deadline_is_a_forced_step_planned_at_creation() -> None:
    from taskmock._core.clock import ManualClock
    from taskmock._core.tasks import TaskService

    tasks = TaskService(ManualClock(), catalog=Catalog([RELAY]), apis=("relay",))
    outcomes = {"waiting": "expired", "working": "stopped"}
    record = tasks.create("relay", deadline=(25.0, outcomes))
    start = record.created_at
    assert record.deadline == start + 25
    assert [s.state for s in record.timeline()] == ["waiting", "working", "stopped"]
    assert observe(record, start + 24.9).state == "working"
    # A deadline after the task ends changes nothing but the time it shows.
    done = tasks.create("relay", deadline=(500.0, outcomes))
    assert [s.state for s in done.timeline()] == ["waiting", "working", "done"]
    assert done.deadline == start + 500


def test_serve_prints_each_apis_base_url_and_sdk_settings() -> None:
    from taskmock._cli.serve_cmd import _banner
    from taskmock._core.clock import ManualClock
    from taskmock._http.app import MockApp, MockConfig

    mock = MockApp(MockConfig(catalogs=(RELAY,), apis=("relay",), clock=ManualClock()))
    banner = _banner(mock, "https://127.0.0.1:8443").splitlines()
    assert (
        "#   base URL https://127.0.0.1:8443/relay  SDK: "
        "RELAY_BASE_URL=https://127.0.0.1:8443/relay  RELAY_HOST=127.0.0.1:8443/relay"
    ) in banner
    assert "#   (the client speaks https only: serve with --tls)" in banner


def test_an_sdk_value_with_an_unknown_placeholder_is_named_at_load(tmp_path: Path) -> None:
    folder = edited(tmp_path, 'value: "{api_url}"', 'value: "{api_root}"')
    with pytest.raises(ScenarioError, match="placeholders are"):
        Catalog([folder]).behaviour("relay")


def test_elapsed_is_the_time_between_two_steps() -> None:
    from taskmock._core.clock import ManualClock
    from taskmock._core.template import RenderContext, render

    clock = ManualClock()
    tasks = Catalog([RELAY])
    from taskmock._core.tasks import TaskService

    service = TaskService(clock, catalog=tasks, apis=("relay",))
    record = service.create("relay")
    run = {"$": "elapsed", "from": ["working"], "to": ["done", "failed"], "else": "n/a"}
    clock.advance(20)
    assert render(run, RenderContext(observe(record, clock.now()))) == "n/a"
    clock.advance(100)
    assert render(run, RenderContext(observe(record, clock.now()))) == 40.0
    whole = {"$": "elapsed", "from": ["waiting"], "to": ["done"], "round": 0}
    assert render(whole, RenderContext(observe(record, clock.now()))) == 50.0


def test_task_renders_the_poll_body_with_its_overrides() -> None:
    from taskmock._core.clock import ManualClock
    from taskmock._core.tasks import TaskService
    from taskmock._core.template import render

    service = TaskService(ManualClock(), catalog=Catalog([RELAY]), apis=("relay",))
    record = service.create("relay", fields={"queue": "pinned"})
    service.clock.advance(20)  # type: ignore[attr-defined]
    view = service.view(record, "http://h")
    rendered = render({"$": "task"}, service.answers.context(view.observation, "http://h"))
    assert rendered == view.body
    assert rendered["queue"] == "pinned"
    assert rendered["state"] == "working"


def test_the_body_cannot_contain_itself(tmp_path: Path) -> None:
    folder = edited(tmp_path, "  deadline: { $: deadline }", "  deadline: { $: task }")
    with pytest.raises(ScenarioError, match=r"cannot contain \{\$: task\}"):
        Catalog([folder]).behaviour("relay")


def test_the_poll_id_is_the_last_path_parameter_only_when_the_others_give_examples(
    tmp_path: Path,
) -> None:
    folder = edited(
        tmp_path,
        "    Queue: { name: queue, in: path, required: true, example: main, schema: { type: string } }",
        "    Queue: { name: queue, in: path, required: true, schema: { type: string } }",
        "specs/relay.yaml",
    )
    problems = validate_spec(load_spec(folder / "specs" / "relay.yaml"))
    assert any("found: queue (path), job_id (path)" in p.message for p in problems), problems
