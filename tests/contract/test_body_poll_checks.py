"""The checks on made-up APIs (tests/fixtures/mechanisms): a poll that POSTs the task's name in its
body (`x-task-id: {in: body, at, pattern}`), a create whose path has parameters, and two kinds of
task whose creates pair with their own polls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from taskmock._checks.lifecycle import ERROR
from taskmock._checks.runner import HttpTarget, run_checks
from taskmock._core.clock import ManualClock
from taskmock._core.contract import Contract
from taskmock._core.extensions import read_contract
from taskmock._core.spec import Spec, load_spec
from taskmock._http.app import MockConfig
from tests.conftest import FIXTURES
from tests.support import LiveMock, start_live_mock

CATALOG = FIXTURES / "mechanisms"
COURIER = CATALOG / "specs" / "courier.yaml"
FORGE = CATALOG / "specs" / "forge.yaml"
NAME = "projects/123456/models/clip-1/operations/abc123"


@pytest.fixture(scope="module")
def live() -> Iterator[LiveMock]:
    server = start_live_mock(
        MockConfig(apis=("courier",), catalogs=(CATALOG,), clock=ManualClock(), example_tasks=False)
    )
    yield server
    server.stop()


def test_a_post_poll_sends_the_name_in_its_body_and_its_parts_in_the_path() -> None:
    contract = Contract.from_spec(load_spec(COURIER))
    method, path, body = contract.request_for(NAME)
    assert (method, path) == ("POST", "/v1/projects/123456/models/clip-1:fetch")
    assert body == b'{"name": "' + NAME.encode() + b'"}'
    unknown = contract.unknown_id()
    assert unknown == "projects/123456/models/clip-1/operations/taskmockprobe0unknown"
    # The create's path parameter comes from its example, so --create can send it.
    assert contract.create is not None
    assert contract.filled_path(contract.create.operation) == "/v1/models/clip-1:generate"


def test_the_runner_follows_a_post_poll_to_its_end(live: LiveMock) -> None:
    live.app.tasks.reset()
    live.app.journal.clear()
    record = live.app.tasks.create("courier", owner="rk-alice01")
    name = live.app.tasks.poll_request(record).body["name"]
    target = HttpTarget(live.base_url + "/courier", sleep=live.clock.advance)
    run = run_checks(
        load_spec(COURIER), target, "rk-alice01", [name], poll_interval=10, now=live.clock.now
    )
    assert [f for f in run.findings if f.severity == ERROR] == []
    assert run.final_states == {name: "succeeded"}
    assert {rule for rule, _ in run.checks} >= {"credential-required", "unknown-id", "lifecycle"}
    fetches = [e for e in live.app.journal if e.operation == "fetch_operation"]
    assert fetches
    assert all(e.method == "POST" for e in fetches)
    project = name.split("/")[1]
    assert {e.path for e in fetches if e.task_id == str(record.id)} == {
        f"/courier/v1/projects/{project}/models/clip-1:fetch"
    }


def test_the_runner_catches_a_post_poll_that_answers_another_operation(
    live: LiveMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that answers every fetch with another task's name breaks id-echo."""
    live.app.tasks.reset()
    record = live.app.tasks.create("courier", owner="rk-alice01")
    other = live.app.tasks.create("courier", owner="rk-alice01")
    name = live.app.tasks.poll_request(record).body["name"]
    wrong = live.app.tasks.poll_request(other).body["name"]
    target = HttpTarget(live.base_url + "/courier", sleep=live.clock.advance)
    original = target.send

    def send(method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> Any:
        if body is not None and name.encode() in body:
            body = body.replace(name.encode(), wrong.encode())
        return original(method, path, headers, body)

    monkeypatch.setattr(target, "send", send)
    run = run_checks(load_spec(COURIER), target, "rk-alice01", [name], now=live.clock.now)
    assert "id-echo" in {f.rule for f in run.findings if f.severity == ERROR}


def _problems(spec_file: Path, edit: Any, tmp_path: Path) -> list[str]:
    document = yaml.safe_load(spec_file.read_text())
    edit(document)
    path = tmp_path / spec_file.name
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    _, problems = read_contract(load_spec(path))
    return [message for _, message in problems]


FETCH = "/v1/projects/{project}/models/{model}:fetch"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["paths"][FETCH]["post"].pop("x-task-id"),
            "a poll operation is a GET, or says where its body carries the id",
        ),
        (
            lambda d: d["paths"][FETCH]["post"]["x-task-id"].update(
                pattern="^projects/(?P<project>[^/]+)/operations/(?P<id>.+)$"
            ),
            "no named group fills the path parameter(s) model",
        ),
        (
            lambda d: d["paths"][FETCH]["post"]["x-task-id"].update(at="/operation"),
            "'/operation' is not a property of the request body",
        ),
        (
            lambda d: d["paths"][FETCH]["post"]["x-task-id"].update({"in": "query"}),
            "on a poll, x-task-id is {in: body, at: /POINTER, pattern: REGEX}",
        ),
        (
            lambda d: d["paths"]["/v1/models/{model}:generate"]["post"]["parameters"][0].pop(
                "example"
            ),
            "path parameter 'model' has no example for check --create to send",
        ),
    ],
    ids=[
        "no x-task-id",
        "a path parameter unfilled",
        "not in the body",
        "not a body",
        "no example",
    ],
)
def test_a_post_poll_that_does_not_say_enough_is_a_spec_problem(
    tmp_path: Path, edit: Any, message: str
) -> None:
    found = _problems(COURIER, edit, tmp_path)
    assert any(message in problem for problem in found), found


def test_each_kind_s_poll_pairs_with_its_own_create() -> None:
    spec: Spec = load_spec(FORGE)
    renders = Contract.from_spec(spec)
    exports = Contract.from_spec(spec, "get_export")
    assert renders.create is not None
    assert exports.create is not None
    assert renders.create.operation.operation_id == "create_render"
    assert (renders.create.task_id, exports.create.task_id) == ("/id", "/export_id")
    assert exports.create.operation.operation_id == "create_export"
