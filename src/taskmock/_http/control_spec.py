"""The control plane's OpenAPI document for the loaded catalog (`GET /__taskmock/openapi.json`).

specs/control.yaml describes the routes for any catalog, so it must accept any string as an API or
a scenario name, and a tool that sends a schema-valid request can get 404 or 422. This module fills
the loaded catalog in, so that what the document allows, the mock accepts:

- `POST /tasks`: one `oneOf` branch per API, its `api` a `const` and its `scenario` an enum of that
  API's scenarios (scenario names depend on the API);
- `POST /faults`: one branch per API that documents rate limiting (the others cannot be
  throttled), `operation` one of that API's operations or null;
- the `api` path and query parameters: an enum of the loaded APIs; `state` in a transition: an
  enum of every loaded lifecycle's states;
- the routes that act on one task: parameter (and body) examples naming example tasks
  (_core/examples.py) in states the operation can act on, each with a response example, so that
  example-driven tools (Specmatic) call tasks that exist.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from taskmock._core.scenario import Behaviour
from taskmock._core.spec import load_api
from taskmock._core.tasks import TaskService

__all__ = ["control_openapi"]

_TASK = "/__taskmock/tasks/{api}/{id}"
_JSON = "application/json"


def control_openapi(tasks: TaskService) -> dict[str, Any]:
    """specs/control.yaml, completed for the APIs and example tasks `tasks` has loaded."""
    document: dict[str, Any] = copy.deepcopy(load_api("control").document)
    behaviours = tasks.behaviours
    apis = list(behaviours)
    document["info"]["description"] += (
        f"\nThis copy is generated for the loaded catalog: {', '.join(apis)}.\n"
    )
    paths = document["paths"]
    components = document["components"]
    components["parameters"]["Api"]["schema"] = {"type": "string", "enum": apis}
    _body(paths["/__taskmock/tasks"]["post"])["schema"] = {
        "oneOf": [
            _task_create(name, kind, index == 0 and len(behaviour.every_kind) > 1)
            for name, behaviour in behaviours.items()
            for index, kind in enumerate(behaviour.every_kind)
        ]
    }
    for parameter in paths["/__taskmock/tasks"]["get"]["parameters"]:
        if parameter["name"] == "api":
            parameter["schema"] = {"type": "string", "enum": apis}
    throttled = [
        _fault(name, b)
        for name, b in behaviours.items()
        if any("rate-limited" in kind.errors for kind in b.every_kind)
    ]
    _body(paths["/__taskmock/faults"]["post"])["schema"] = (
        {"oneOf": throttled}
        if throttled
        else {"not": {}, "description": "No loaded API documents rate limiting."}
    )
    states = [
        state for b in behaviours.values() for k in b.every_kind for state in k.lifecycle.states
    ]
    transition = paths[f"{_TASK}/transition"]["post"]
    _body(transition)["schema"]["properties"]["state"] = {"enum": list(dict.fromkeys(states))}
    _task_examples(document, tasks)
    return document


def _body(operation: dict[str, Any]) -> dict[str, Any]:
    media: dict[str, Any] = operation["requestBody"]["content"][_JSON]
    return media


def _task_create(api: str, behaviour: Behaviour, first_of_several: bool) -> dict[str, Any]:
    """The create body of one kind of an API's tasks: `kind` names it (optional for the first
    of several, absent for an API of one kind)."""
    kind = {"kind": {"const": behaviour.kind}} if behaviour.kind else {}
    return {
        "type": "object",
        "required": ["api"] if first_of_several or not behaviour.kind else ["api", "kind"],
        "additionalProperties": False,
        "properties": {
            "api": {"const": api},
            **kind,
            "scenario": {"enum": list(behaviour.scenarios)},
            "owner": {"type": ["string", "null"]},
            "input": {"type": "object"},
            "fields": {"type": "object"},
        },
    }


def _fault(api: str, behaviour: Behaviour) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["api"],
        "additionalProperties": False,
        "properties": {
            "api": {"const": api},
            "kind": {"const": "rate-limited"},
            "count": {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 1},
            "retry_after": {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 1},
            "operation": {
                "type": ["string", "null"],
                "enum": [
                    *(
                        op
                        for kind in behaviour.every_kind
                        if "rate-limited" in kind.errors
                        for op in kind.operations
                    ),
                    None,
                ],
                "description": "Only this operationId.",
            },
        },
    }


def _task_examples(document: dict[str, Any], tasks: TaskService) -> None:
    """Name an example task, in a state the route can act on, on each route of one task."""
    paths = document["paths"]
    candidates = [
        (api, task.id, task.state, task.kind)
        for api, examples in tasks.examples.items()
        for task in examples.tasks
    ]
    taken: set[tuple[str, str]] = set()

    def take(wanted: Callable[[Behaviour, Any], Any]) -> tuple[str, Any, Any, Any] | None:
        """The first untaken example task for which `wanted` gives its next state (or None)."""
        for api, task_id, state, kind in candidates:
            after = wanted(tasks.behaviours[api].of_kind(kind), state)
            if after is not None and (api, str(task_id)) not in taken:
                taken.add((api, str(task_id)))
                return api, task_id, state, after
        return None

    def forced(kind: str) -> Callable[[Behaviour, Any], Any]:
        def target(behaviour: Behaviour, state: Any) -> Any:
            forced_state = behaviour.forced_states.get(kind)
            return forced_state if forced_state in behaviour.lifecycle.successors(state) else None

        return target

    routes: list[tuple[str, str, Callable[[Behaviour, Any], Any]]] = [
        ("", "inspect", lambda b, state: state if state in b.lifecycle.terminal else None),
        ("/fail", "fail", forced("failed")),
        ("/cancel", "cancel", forced("cancelled")),
        (
            "/transition",
            "transition",
            lambda b, state: next(iter(b.lifecycle.successors(state)), None),
        ),
    ]
    for suffix, name, wanted in routes:
        chosen = take(wanted)
        if chosen is None:
            continue
        operation = _name_task(paths[_TASK + suffix], tasks, chosen, name)
        if suffix == "/transition":
            _body(operation)["examples"] = {name: {"value": {"state": chosen[3]}}}


def _name_task(
    path_item: dict[str, Any], tasks: TaskService, chosen: tuple[str, Any, Any, Any], name: str
) -> dict[str, Any]:
    """Give the path item's operation `api`/`id` examples and a 200 example, named `name`."""
    api, task_id, _, after = chosen
    operation: dict[str, Any] = next(path_item[m] for m in ("get", "post") if m in path_item)
    # Operation-level copies of the path-level parameters, so that each route names its own task.
    operation["parameters"] = [
        _parameter("api", {"type": "string", "enum": list(tasks.behaviours)}, name, api),
        _parameter("id", {"type": "string"}, name, str(task_id)),
    ]
    operation["responses"]["200"] = {
        "description": "The task.",
        "content": {
            _JSON: {
                "schema": {"$ref": "#/components/schemas/TaskDetail"},
                "examples": {name: {"value": _detail(tasks, api, task_id, after)}},
            }
        },
    }
    return operation


def _parameter(name: str, schema: dict[str, Any], example: str, value: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "examples": {example: {"value": value}},
    }


def _detail(tasks: TaskService, api: str, task_id: Any, state: Any) -> dict[str, Any]:
    """An illustrative answer (tools check its shape, not its values)."""
    record = tasks.store.get(api, task_id)
    behaviour = tasks.behaviours[api] if record is None else tasks.behaviour_of(record)
    path = behaviour.poll_path(task_id) if record is None else tasks.poll_request(record).path
    return {
        "api": api,
        "id": task_id,
        "scenario": behaviour.default_scenario,
        "owner": None,
        "state": state,
        "terminal": state in behaviour.lifecycle.terminal,
        "created_at": "2024-01-01T00:00:00.000Z",
        "poll_path": path,
        "poll_url": "http://127.0.0.1:8080" + path,
        "timeline": [],
        "body": {},
    }
