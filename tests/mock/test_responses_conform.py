"""Property: every answer the mock gives, in every state of every scenario, conforms to the spec."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from taskmock._checks.schema import response_violations
from taskmock._core.clock import ManualClock
from taskmock._core.extensions import required_headers
from taskmock._core.roles import Poll
from taskmock._core.scenario import Behaviour, load_behaviour
from taskmock._core.spec import Operation
from taskmock._http.app import MockApp, MockConfig
from taskmock._http.messages import Request, Response
from tests.support import API_NAMES

BEHAVIOURS = {api: load_behaviour(api) for api in API_NAMES}
# (api, kind of task, scenario): every scenario of every kind of every bundled API.
SCENARIOS = [
    (api, kind.kind, name)
    for api, b in BEHAVIOURS.items()
    for kind in b.every_kind
    for name in kind.scenarios
]


def _call(
    app: MockApp, method: str, path: str, headers: dict[str, str], body: Any = None
) -> Response:
    path, _, query = path.partition("?")
    raw = json.dumps(body).encode() if body is not None else b""
    all_headers = {**headers, **({"content-type": "application/json"} if body is not None else {})}
    return app.handle(Request(method, path, query, all_headers, raw, "http://127.0.0.1:8080"))


def _assert_conforms(api: str, operation_id: str, response: Response) -> None:
    spec = BEHAVIOURS[api].spec
    found = response_violations(
        spec, spec.operation(operation_id), response.status, response.content_type, response.body
    )
    assert found == [], f"{api} {operation_id} {response.status}: {[str(v) for v in found]}"


def _headers(behaviour: Behaviour, operation: Operation, **more: str) -> dict[str, str]:
    """A credential the API accepts now (a signed auth signs a fresh token), the operation's
    required headers (a version header), and `more`."""
    required = required_headers(behaviour.spec, operation)
    return {
        behaviour.auth.header.lower(): behaviour.auth.example,
        **{name.lower(): value for name, value in required.items()},
        **more,
    }


def _path(behaviour: Behaviour, operation: Operation, task_id: Any = None) -> str:
    """Where the mock serves an operation: under the API's prefix unless at its root, its task id
    filled in, its other path parameters (a model's name) from the spec's examples."""
    path = operation.path
    for name, example in behaviour.spec.path_examples(operation).items():
        path = path.replace("{" + name + "}", example)
    return behaviour.base_path + re.sub(r"\{[^}/]+\}", str(task_id), path)


@given(
    case=st.sampled_from(SCENARIOS),
    seed=st.integers(min_value=0, max_value=2**31),
    steps=st.lists(st.floats(min_value=0, max_value=400, allow_nan=False), min_size=1, max_size=12),
    vendor_create=st.booleans(),
)
def test_every_poll_in_every_state_conforms(
    case: tuple[str, str, str], seed: int, steps: list[float], vendor_create: bool
) -> None:
    api, kind, scenario = case
    behaviour = BEHAVIOURS[api].of_kind(kind)
    app = MockApp(MockConfig(apis=(api,), clock=ManualClock(), seed=seed, example_tasks=False))
    create = next(op for op in behaviour.operations.values() if op.role == "create" and op.example)
    if vendor_create:
        created = _call(
            app,
            "POST",
            _path(behaviour, create.operation),
            _headers(behaviour, create.operation, **{"x-taskmock-scenario": scenario}),
            create.example,
        )
        _assert_conforms(api, create.operation.operation_id, created)
    else:
        app.tasks.create(api, scenario, kind=kind)
    (record,) = app.tasks.store.all(api)
    polls = [op for op in behaviour.operations.values() if isinstance(op, Poll)]
    lists = [op for op in behaviour.operations.values() if op.role == "list"]
    clock = app.tasks.clock
    assert isinstance(clock, ManualClock)
    for step in [0.0, *steps, 10_000.0]:
        clock.advance(step)
        for poll in polls:
            method, path, body = app.tasks.poll_request(record, poll)
            reply = _call(app, method, path, _headers(behaviour, poll.operation), body)
            _assert_conforms(api, poll.operation.operation_id, reply)
            if poll.body is not None:
                continue  # its own representation: another schema, no lifecycle of its own
            if poll.response is not None:
                continue  # it answers something else about the task (a result), not its body
            # The body shows the state the task is in, as the spec's lifecycle reads states
            # (a status value, or a state's `when` over several fields).
            lifecycle, state = behaviour.lifecycle, app.admin.state(record)
            shown = lifecycle.state_of(reply.json())
            assert shown is not None, reply.body
            assert lifecycle.condition(shown) == lifecycle.condition(state), (shown, state)
        for listing in lists:
            _assert_conforms(
                api,
                listing.operation.operation_id,
                _call(
                    app,
                    "GET",
                    _path(behaviour, listing.operation),
                    _headers(behaviour, listing.operation),
                ),
            )


@given(case=st.sampled_from(SCENARIOS), at=st.floats(min_value=0, max_value=600, allow_nan=False))
def test_forced_fail_and_cancel_conform(case: tuple[str, str, str], at: float) -> None:
    api, kind, scenario = case
    behaviour = BEHAVIOURS[api].of_kind(kind)
    app = MockApp(MockConfig(apis=(api,), clock=ManualClock()))
    record = app.tasks.create(api, scenario, kind=kind)
    app.tasks.clock.advance(at)  # type: ignore[attr-defined]
    for which in ("failed", "cancelled"):
        state = behaviour.forced_states.get(which)
        current = app.tasks.view(app.tasks.store.get(api, record.id)).observation.state  # type: ignore[arg-type]
        if state is not None and state in behaviour.lifecycle.successors(current):
            app.tasks.force(app.tasks.store.get(api, record.id), state)  # type: ignore[arg-type]
    record = app.tasks.store.get(api, record.id)  # type: ignore[assignment]
    method, path, body = app.tasks.poll_request(record)
    _assert_conforms(
        api,
        behaviour.poll.operation.operation_id,
        _call(app, method, path, _headers(behaviour, behaviour.poll.operation), body),
    )


@given(
    case=st.sampled_from(SCENARIOS),
    at=st.floats(min_value=0, max_value=700, allow_nan=False),
    again=st.booleans(),
)
def test_every_cancel_answer_conforms(case: tuple[str, str, str], at: float, again: bool) -> None:
    """A vendor cancel, in whatever state it finds the task (and once more after), answers as the
    spec says: its body, or its error."""
    api, kind, scenario = case
    behaviour = BEHAVIOURS[api].of_kind(kind)
    cancels = [op for op in behaviour.operations.values() if op.role == "cancel"]
    if not cancels:
        return
    app = MockApp(MockConfig(apis=(api,), clock=ManualClock(), example_tasks=False))
    owner = behaviour.auth.owner_of(behaviour.auth.example)
    record = app.tasks.create(api, scenario, owner=owner, kind=kind)
    app.tasks.clock.advance(at)  # type: ignore[attr-defined]
    for cancel in cancels[:1] * (2 if again else 1):
        headers = _headers(behaviour, cancel.operation)
        path = _path(behaviour, cancel.operation, record.id)
        answer = _call(app, cancel.operation.method, path, headers)
        _assert_conforms(api, cancel.operation.operation_id, answer)


def test_static_and_upload_operations_conform() -> None:
    for api, api_behaviour in BEHAVIOURS.items():
        app = MockApp(MockConfig(apis=(api,), clock=ManualClock()))
        for behaviour in api_behaviour.every_kind:
            for op in behaviour.operations.values():
                if op.role != "static" or op.validate_request or "{" in op.operation.path:
                    continue
                _assert_conforms(
                    api,
                    op.operation.operation_id,
                    _call(
                        app,
                        op.operation.method,
                        _path(behaviour, op.operation),
                        _headers(behaviour, op.operation),
                    ),
                )


def test_same_seed_same_ids_and_bodies() -> None:
    def run(seed: int) -> list[bytes]:
        app = MockApp(MockConfig(clock=ManualClock(), seed=seed))
        out = []
        for api, api_behaviour in BEHAVIOURS.items():
            for behaviour in api_behaviour.every_kind:
                record = app.tasks.create(api, kind=behaviour.kind)
                method, path, body = app.tasks.poll_request(record)
                headers = _headers(behaviour, behaviour.poll.operation)
                for _ in range(5):
                    answer = _call(app, method, path, headers, body)
                    assert 200 <= answer.status < 300, (api, answer.body)
                    out.append(answer.body)
                    app.tasks.clock.advance(17)  # type: ignore[attr-defined]
        return out

    assert run(7) == run(7)
    assert run(7) != run(8)


@given(
    case=st.sampled_from(SCENARIOS),
    times=st.lists(st.floats(min_value=0, max_value=500), max_size=8),
    forced_at=st.none() | st.integers(min_value=0, max_value=8),
    forced=st.sampled_from(["failed", "cancelled"]),
)
def test_fast_poll_body_is_byte_identical_to_the_plain_render(
    case: tuple[str, str, str], times: list[float], forced_at: int | None, forced: str
) -> None:
    """The hot path (fragments cached per step) never drifts from rendering the template afresh:
    not across steps, not on repeated polls at one instant, not after a forced transition, not
    for a poll that answers its own representation of the task."""
    from taskmock._core.tasks import InvalidTransition
    from taskmock._core.template import dumps

    api, kind, scenario = case
    app = MockApp(MockConfig(apis=(api,), clock=ManualClock()))
    record = app.tasks.create(
        api,
        scenario,
        owner="tok",
        input={"preview": True} if api == "tensorpix" else None,
        kind=kind,
    )
    neighbour = app.tasks.create(api, scenario, owner="tok", kind=kind)  # cached beside it
    own = [
        None,
        *(
            op
            for op in BEHAVIOURS[api].of_kind(kind).operations.values()
            if isinstance(op, Poll) and op.body is not None
        ),
    ]
    for index, step in enumerate([0.0, *times, 10_000.0]):
        app.tasks.clock.advance(step)  # type: ignore[attr-defined]
        if index == forced_at:
            with contextlib.suppress(InvalidTransition):  # already terminal
                record = app.tasks.force(record, app.tasks.forced_state(api, forced, kind))
        for task, base in [
            (record, "http://h:1"),
            (neighbour, "http://h:1"),
            (record, "http://o:2"),
        ]:
            for poll in own:
                fast = app.tasks.answers.poll_json(task, base, poll=poll)
                assert fast == dumps(app.tasks.view(task, base, poll=poll).body)


def test_a_poll_survives_its_cache_entry_evicted_by_another_thread() -> None:
    """The plugin's server is threaded: an eviction can land between lookup and LRU refresh."""
    from collections import OrderedDict

    from taskmock._core.template import dumps

    class EvictedMeanwhile(OrderedDict[Any, Any]):
        def move_to_end(self, key: Any, last: bool = True) -> None:
            self.pop(key)  # what the other thread did
            super().move_to_end(key, last)

    app = MockApp(MockConfig(apis=("kokoon",), clock=ManualClock()))
    record = app.tasks.create("kokoon", None, owner="tok")
    app.tasks.clock.advance(10)  # type: ignore[attr-defined]
    first = app.tasks.answers.poll_json(record, "http://h:1")
    app.tasks.answers._fragments = EvictedMeanwhile(app.tasks.answers._fragments)
    assert (
        app.tasks.answers.poll_json(record, "http://h:1")
        == first
        == dumps(app.tasks.view(record, "http://h:1").body)
    )
