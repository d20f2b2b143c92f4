"""The control plane's document for the loaded catalog (_http/control_spec.py)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from taskmock._core.clock import ManualClock
from taskmock._core.source import SourceDocument
from taskmock._core.spec import Spec
from taskmock._core.tasks import TaskService
from taskmock._core.validation import validate_spec
from taskmock._http.control_spec import control_openapi

TASK = "/__taskmock/tasks/{api}/{id}"


def _document(**options: Any) -> dict[str, Any]:
    return control_openapi(TaskService(ManualClock(), **options))


def _body_schema(document: dict[str, Any], path: str) -> Any:
    return document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]


def test_it_is_a_valid_contract() -> None:
    assert validate_spec(Spec(SourceDocument("control.json", _document()), "control")) == []


def test_task_creation_allows_each_api_with_its_own_scenarios_only() -> None:
    schema = _body_schema(_document(), "/__taskmock/tasks")
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"api": "kokoon", "scenario": "preview"})
    assert validator.is_valid({"api": "hailuo", "scenario": "failure", "owner": None})
    assert not validator.is_valid({"api": "hailuo", "scenario": "preview"})  # no such scenario
    assert not validator.is_valid({"api": "acme"})
    assert not validator.is_valid({"api": "kokoon", "colour": "red"})


def test_faults_only_for_apis_that_document_rate_limiting() -> None:
    validator = Draft202012Validator(_body_schema(_document(), "/__taskmock/faults"))
    assert validator.is_valid({"api": "tensorpix", "operation": "jobs_retrieve", "count": 2})
    assert validator.is_valid({"api": "hailuo", "operation": None})
    assert not validator.is_valid({"api": "kokoon"})  # Kokoon documents no rate limiting
    assert not validator.is_valid({"api": "tensorpix", "operation": "vapi_task_get"})
    only_kokoon = _body_schema(_document(apis=("kokoon",)), "/__taskmock/faults")
    assert not Draft202012Validator(only_kokoon).is_valid({"api": "kokoon"})


def test_api_parameters_are_the_loaded_apis() -> None:
    document = _document(apis=("tensorpix", "hailuo"))
    api = document["components"]["parameters"]["Api"]["schema"]
    assert api["enum"] == ["tensorpix", "hailuo"]


def test_task_routes_name_example_tasks_the_route_can_act_on() -> None:
    service = TaskService(ManualClock())
    document = control_openapi(service)
    named = {}
    for suffix in ("", "/fail", "/cancel", "/transition"):
        item = document["paths"][TASK + suffix]
        operation = item.get("get") or item["post"]
        values = {
            p["name"]: next(iter(p["examples"].values()))["value"] for p in operation["parameters"]
        }
        named[suffix] = (values["api"], values["id"])
    assert len(set(named.values())) == 4, named  # each route its own task
    for suffix, (api, task_id) in named.items():
        record = service.find(api, task_id)
        assert record is not None, (suffix, api, task_id)
        state = service.view(record).observation.state
        lifecycle = service.behaviour(api).lifecycle
        if suffix == "":
            continue
        if suffix == "/transition":
            wanted = _body_schema(document, TASK + suffix)
            assert wanted["properties"]["state"]["enum"]
            example = document["paths"][TASK + suffix]["post"]["requestBody"]["content"][
                "application/json"
            ]["examples"]["transition"]["value"]["state"]
            assert example in lifecycle.successors(state)
        else:
            kind = "failed" if suffix == "/fail" else "cancelled"
            assert service.forced_state(api, kind) in lifecycle.successors(state)


def test_without_example_tasks_no_route_names_one() -> None:
    document = _document(example_tasks=False)
    assert "examples" not in str(document["paths"][TASK])
