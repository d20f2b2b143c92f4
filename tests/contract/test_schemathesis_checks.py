"""schemathesis over each spec against the mock, with our lifecycle rules registered as a check.

Poll operations are pointed at real tasks (in every state, as the clock moves) so the lifecycle rules
see task bodies, not only 404s; every other operation gets what schemathesis generates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from taskmock._checks.lifecycle import ERROR, Poll, lifecycle_findings
from taskmock._core.clock import ManualClock
from taskmock._core.scenario import load_behaviour
from taskmock._http.app import MockConfig
from tests.support import LiveMock, spec_path, start_live_mock

pytestmark = pytest.mark.slow

BEHAVIOURS = {api: load_behaviour(api) for api in ("kokoon", "tensorpix", "hailuo")}
POLLS = {
    op.operation.operation_id: (api, op)
    for api, b in BEHAVIOURS.items()
    for op in b.operations.values()
    if op.role == "poll"
}


def lifecycle_rules(api: str, requested_id: str, body: Any) -> list[str]:
    """The single-response lifecycle rules: declared state, per-state field rules, id echo."""
    lifecycle = BEHAVIOURS[api].lifecycle
    if not isinstance(body, dict) or lifecycle.status_field not in body:
        return []  # not a task (an error answer): the schema checks judge it
    findings = lifecycle_findings(lifecycle, requested_id, [Poll(0.0, body)])
    return [str(f) for f in findings if f.severity == ERROR]


@schemathesis.check
def taskmock_lifecycle(ctx: Any, response: Any, case: Any) -> None:
    """A poll answer obeys the task lifecycle of its spec."""
    operation_id = case.operation.definition.raw.get("operationId")
    if operation_id not in POLLS or response.status_code != 200:
        return
    api, poll = POLLS[operation_id]
    params = case.query if poll.param_in == "query" else case.path_parameters
    broken = lifecycle_rules(api, str((params or {}).get(poll.param)), json.loads(response.content))
    if broken:
        raise AssertionError("; ".join(broken))


@pytest.fixture(scope="module")
def server() -> Iterator[LiveMock]:
    live = start_live_mock(MockConfig(clock=ManualClock()))
    yield live
    live.stop()


SCHEMAS = {api: schemathesis.openapi.from_path(spec_path(api)) for api in BEHAVIOURS}


def _run(server: LiveMock, api: str, case: Any) -> None:
    behaviour = BEHAVIOURS[api]
    operation_id = case.operation.definition.raw.get("operationId")
    if operation_id in POLLS:
        # a real task, somewhere in its lifecycle: scenarios and times vary with the test cases
        scenario = sorted(behaviour.scenarios)[
            len(server.app.tasks.store) % len(behaviour.scenarios)
        ]
        record = server.app.tasks.create(api, scenario)
        server.clock.advance(7.0)
        poll = POLLS[operation_id][1]
        target = case.query if poll.param_in == "query" else case.path_parameters
        if target is not None:
            target[poll.param] = str(record.id)
    case.call_and_validate(
        base_url=server.base_url,
        headers={behaviour.auth.header: behaviour.auth.example},
        checks=[taskmock_lifecycle],
    )


QUICK = settings(
    max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


@SCHEMAS["kokoon"].parametrize()
@QUICK
def test_kokoon(server: LiveMock, case: Any) -> None:
    _run(server, "kokoon", case)


@SCHEMAS["tensorpix"].parametrize()
@QUICK
def test_tensorpix(server: LiveMock, case: Any) -> None:
    _run(server, "tensorpix", case)


@SCHEMAS["hailuo"].parametrize()
@QUICK
def test_hailuo(server: LiveMock, case: Any) -> None:
    _run(server, "hailuo", case)


def test_the_registered_check_catches_a_broken_body() -> None:
    done = {
        "tid": "t1",
        "uid": "u",
        "in_vid": "i",
        "out_vid": "o",
        "task_type": "SR",
        "step": "done",
        "finish_time": None,
        "start_time": "2024-01-01T00:00:00.000Z",
        "result_message": "success",
    }
    assert lifecycle_rules("kokoon", "t1", done) == [
        "[error] field-rule: task t1 poll 1 state 'done' /finish_time: finish_time should be set at 'done' (seed)"
    ]
    assert lifecycle_rules("kokoon", "t2", {**done, "finish_time": "2024-01-01T00:01:00.000Z"})[
        0
    ].startswith("[error] id-echo")
