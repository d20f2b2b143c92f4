"""A hypothesis state machine over the mock: create tasks, poll, advance time, cancel and fail them;
after every step, every task's polls so far satisfy every lifecycle rule and the spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from taskmock._checks.lifecycle import Poll, lifecycle_findings
from taskmock._checks.schema import response_violations
from taskmock._core.catalog import Catalog
from taskmock._core.clock import ManualClock
from taskmock._core.extensions import required_headers
from taskmock._core.scenario import load_behaviour
from taskmock._core.tasks import InvalidTransition
from taskmock._http.app import MockApp, MockConfig
from taskmock._http.messages import Request
from tests.support import API_NAMES, scenario_path, spec_path

BEHAVIOURS = {api: load_behaviour(api) for api in API_NAMES}


class TaskLifecycles(RuleBasedStateMachine):
    """Random interleavings of creation, polling, time and interventions."""

    tasks = Bundle("tasks")
    apis: tuple[str, ...] = API_NAMES
    catalogs: tuple[Path, ...] = ()

    @initialize(data=st.data(), seed=st.integers(0, 2**16))
    def start(self, data: st.DataObject, seed: int) -> None:
        # One API per run keeps the polls dense enough to see a state from the inside.
        api = data.draw(st.sampled_from(self.apis))
        self.api = api
        self.app = MockApp(
            MockConfig(apis=(api,), catalogs=self.catalogs, clock=ManualClock(), seed=seed)
        )
        self.clock = self.app.tasks.clock
        self.histories: dict[tuple[str, str], list[Poll]] = {}
        self.names: dict[tuple[str, str], str] = {}

    @rule(target=tasks, data=st.data())
    def create(self, data: st.DataObject) -> tuple[str, str]:
        api = self.api
        scenario = data.draw(st.sampled_from(sorted(BEHAVIOURS[api].scenarios)))
        record = self.app.tasks.create(api, scenario)
        self.histories[(api, str(record.id))] = []
        return api, str(record.id)

    @rule(seconds=st.sampled_from([0.5, 2, 5, 10, 30, 120]) | st.floats(0, 600, allow_nan=False))
    def advance(self, seconds: float) -> None:
        assert isinstance(self.clock, ManualClock)
        self.clock.advance(seconds)

    @rule(task=tasks)
    def poll(self, task: tuple[str, str]) -> None:
        api, task_id = task
        behaviour = BEHAVIOURS[api]
        op = behaviour.poll
        record = self.app.tasks.store.get(api, task_id)
        assert record is not None
        method, target, body = self.app.tasks.poll_request(record)
        path, _, query = target.partition("?")
        headers = {behaviour.auth.header.lower(): behaviour.auth.example}
        for name, value in required_headers(behaviour.spec, op.operation).items():
            headers[name.lower()] = value  # a version header every request carries
        raw = b""
        if body is not None:  # a poll that sends the task's name in its body
            raw = json.dumps(body).encode()
            headers["content-type"] = "application/json"
            self.names[task] = _sent(body)
        response = self.app.handle(Request(method, path, query, headers, raw))
        assert (
            response_violations(
                behaviour.spec, op.operation, response.status, response.content_type, response.body
            )
            == []
        )
        self.histories[task].append(Poll(self.clock.now(), json.loads(response.body)))

    @rule(task=tasks, kind=st.sampled_from(["failed", "cancelled"]))
    def intervene(self, task: tuple[str, str], kind: str) -> None:
        api, task_id = task
        state = BEHAVIOURS[api].forced_states.get(kind)
        record = self.app.tasks.store.get(api, task_id)
        assert record is not None
        if state is None:
            return
        try:
            self.app.tasks.force(record, state)
        except InvalidTransition:
            current = self.app.tasks.view(record).observation.state
            lifecycle = BEHAVIOURS[api].lifecycle
            assert current in lifecycle.terminal or state not in lifecycle.successors(current)

    @invariant()
    def every_history_keeps_the_lifecycle(self) -> None:
        for (api, task_id), polls in getattr(self, "histories", {}).items():
            # The checks know a task by what its poll sends: its id, or its name.
            name = self.names.get((api, task_id), task_id)
            findings: list[Any] = lifecycle_findings(BEHAVIOURS[api].lifecycle, name, polls)
            assert findings == [], [str(f) for f in findings]


def _sent(body: Any) -> str:
    """The one value a poll's JSON body carries (the task's name)."""
    while isinstance(body, dict):
        (body,) = body.values()
    return str(body)


TestTaskLifecycles = TaskLifecycles.TestCase
# Interleavings are a large space: give the machine four times the profile's examples (deterministic
# in the ci profile), enough to catch e.g. progress that runs backwards within a state.
TestTaskLifecycles.settings = settings(
    settings.default, max_examples=settings.default.max_examples * 4, stateful_step_count=40
)


def test_the_machine_catches_a_mock_whose_progress_runs_backwards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The machine is not a test that cannot fail: break one scenario and it must complain."""
    text = scenario_path("tensorpix").read_text()
    forward = "{ $: progress, state: 1, from: 0, to: 1, round: 4 }"
    assert forward in text
    # A catalog of its own: a copy of TensorPix whose progress runs backwards.
    (tmp_path / "specs").mkdir()
    (tmp_path / "mocks").mkdir()
    (tmp_path / "specs" / "brokenpix.yaml").write_text(spec_path("tensorpix").read_text())
    (tmp_path / "mocks" / "brokenpix.yaml").write_text(
        text.replace(forward, "{ $: progress, state: 1, from: 1, to: 0, round: 4 }").replace(
            "api: tensorpix", "api: brokenpix"
        )
    )
    monkeypatch.setitem(BEHAVIOURS, "brokenpix", Catalog([tmp_path]).behaviour("brokenpix"))

    class OnlyTensorpix(TaskLifecycles):
        apis = ("brokenpix",)
        catalogs = (tmp_path,)

    # No shrinking: the failure is expected, its smallest form is not the point.
    quick = settings(TestTaskLifecycles.settings, phases=[Phase.generate], database=None)
    with pytest.raises(AssertionError, match="progress-monotone"):
        run_state_machine_as_test(OnlyTensorpix, settings=quick)
