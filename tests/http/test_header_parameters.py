"""Header parameters of the spec (a version header every request must carry), on a made-up API
(tests/fixtures/catalogs/printshop): the mock refuses a request without a required one, or with a
value its schema does not allow, in the API's own error shape; the checks send it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from taskmock._checks.create import create_task
from taskmock._checks.runner import HttpTarget, run_checks
from taskmock._core.clock import ManualClock
from taskmock._core.contract import Contract
from taskmock._core.extensions import read_contract, required_headers
from taskmock._core.source import load_document
from taskmock._core.spec import Spec, load_spec
from taskmock._http.app import MockConfig
from tests.support import LiveMock, start_live_mock

FIXTURE = Path(__file__).parents[1] / "fixtures" / "catalogs" / "printshop"
SPEC = FIXTURE / "specs" / "printshop.yaml"
KEY = {"Authorization": "Bearer ps_alice"}
VERSION = {"Printshop-Version": "2025-01-01"}


@pytest.fixture(scope="module")
def mock() -> Iterator[LiveMock]:
    config = MockConfig(
        catalogs=(FIXTURE,), apis=("printshop",), clock=ManualClock(), example_tasks=False
    )
    server = start_live_mock(config)
    yield server
    server.stop()


def _create(mock: LiveMock, headers: dict[str, str]) -> Any:
    return mock.request("POST", "/printshop/v1/prints", {"document": "a.pdf"}, headers)


def test_a_request_with_the_required_header_is_served(mock: LiveMock) -> None:
    created = _create(mock, {**KEY, **VERSION})
    assert created.status == 201
    task = f"/printshop/v1/prints/{created.json()['id']}"
    assert mock.request("GET", task, headers={**KEY, "printshop-version": "2025-01-01"}).status == (
        200
    )  # header names are not case-sensitive


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "header parameter 'Printshop-Version' is required"),
        ({"Printshop-Version": "2024-01-01"}, "header parameter 'Printshop-Version': '2024-01-01'"),
    ],
)
def test_without_it_or_with_a_value_it_does_not_allow_the_answer_is_the_api_s_400(
    mock: LiveMock, headers: dict[str, str], message: str
) -> None:
    before = len(mock.app.tasks.store)
    for method, path in [
        ("POST", "/printshop/v1/prints"),
        ("GET", "/printshop/v1/prints/p_00000000"),
        ("GET", "/printshop/v1/prints"),
        ("DELETE", "/printshop/v1/prints/p_00000000"),
    ]:
        body = {"document": "a.pdf"} if method == "POST" else None
        reply = mock.request(method, path, body, {**KEY, **headers})
        assert reply.status == 400, (method, path, reply.body)
        assert message in reply.json()["message"]
    assert len(mock.app.tasks.store) == before  # nothing was created


def test_credentials_are_checked_first(mock: LiveMock) -> None:
    assert _create(mock, {}).status == 401


def test_the_checks_send_the_required_headers_the_spec_declares(mock: LiveMock) -> None:
    mock.app.journal.clear()
    contract = Contract.from_spec(load_spec(SPEC))
    assert contract.poll_headers == VERSION
    assert contract.create is not None
    assert contract.create.headers == VERSION
    target = HttpTarget(mock.base_url + "/printshop", sleep=lambda s: mock.clock.advance(s))
    task_id = create_task(contract, target, "ps_alice")
    run = run_checks(contract, target, "ps_alice", [task_id], poll_interval=5)
    assert run.findings == [], [str(f) for f in run.findings]
    assert run.final_states == {task_id: "completed"}
    # Without the header the requests would have been refused: the mock refused none.
    assert [e.problem for e in mock.app.journal if "bad-request" in str(e.problem)] == []


def _spec_with_header(tmp_path: Path, parameter: dict[str, Any]) -> Spec:
    document = yaml.safe_load(SPEC.read_text())
    document["components"]["parameters"]["Version"] = {
        "name": "Printshop-Version",
        "in": "header",
        "required": True,
        **parameter,
    }
    path = tmp_path / "printshop.yaml"
    path.write_text(yaml.safe_dump(document))
    return Spec(load_document(path))


@pytest.mark.parametrize(
    ("parameter", "sent"),
    [
        ({"example": "2025-02-02", "schema": {"type": "string", "enum": ["x"]}}, "2025-02-02"),
        (
            {"examples": {"now": {"value": "2025-03-03"}}, "schema": {"type": "string"}},
            "2025-03-03",
        ),
        ({"schema": {"const": "v4"}}, "v4"),
        ({"schema": {"type": "integer", "default": 2}}, "2"),
        ({"schema": {"type": "boolean", "enum": [True]}}, "true"),
        ({"schema": {"type": "string", "examples": ["beta"]}}, "beta"),
    ],
)
def test_the_value_sent_is_the_parameter_s_example_or_its_schema_s(
    tmp_path: Path, parameter: dict[str, Any], sent: str
) -> None:
    spec = _spec_with_header(tmp_path, parameter)
    assert required_headers(spec, spec.operation("get_print")) == {"Printshop-Version": sent}


def test_a_required_header_with_no_value_to_send_is_a_spec_problem(tmp_path: Path) -> None:
    spec = _spec_with_header(tmp_path, {"schema": {"type": "string"}})
    _, problems = read_contract(spec)
    assert (
        "/paths/~1v1~1prints~1{print_id}/get/parameters",
        "required header 'Printshop-Version' gives no value to send: add an example (or a "
        "const, default or enum) to it",
    ) in problems


def test_headers_openapi_says_to_ignore_are_neither_enforced_nor_sent(tmp_path: Path) -> None:
    spec = _spec_with_header(tmp_path, {"schema": {"const": "v4"}})
    spec.document["components"]["parameters"]["Version"]["name"] = "Accept"
    assert required_headers(spec, spec.operation("get_print")) == {}


def test_the_serve_banner_s_commands_carry_the_required_headers(mock: LiveMock) -> None:
    from taskmock._cli.serve_cmd import _banner

    curls = [line for line in _banner(mock.app, mock.base_url).splitlines() if "curl" in line]
    assert len(curls) == 2
    assert all("-H 'Printshop-Version: 2025-01-01'" in line for line in curls)
