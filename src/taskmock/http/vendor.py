"""The vendor routes: every operation of every loaded spec, played as its scenario file says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from taskmock.core.scenario import Behaviour, OperationBehaviour
from taskmock.core.tasks import InvalidTransition, TaskService
from taskmock.core.template import render
from taskmock.errors import UnknownNameError
from taskmock.http.bodies import BodyError, read_body
from taskmock.http.messages import JSON, Request, Response, json_response
from taskmock.http.parameters import ParameterError, ParameterRule, parameter_rules, read_parameters
from taskmock.http.routing import Match, Route, Router

__all__ = ["Outcome", "VendorSurface"]

SCENARIO_HEADER = "x-taskmock-scenario"


@dataclass(frozen=True)
class VendorRoute:
    """What a vendor route leads to."""

    behaviour: Behaviour
    operation: OperationBehaviour
    parameters: tuple[ParameterRule, ...] = ()

    @property
    def documents_400(self) -> bool:
        """Whether the spec lets this operation answer 400 (else bad query values are ignored)."""
        return "400" in self.operation.operation.raw.get("responses", {})


@dataclass
class Outcome:
    """A vendor answer plus what the journal should know about it."""

    response: Response
    api: str
    operation: str
    task_id: str | None = None
    problem: str | None = None


class VendorSurface:
    """Routes every vendor request to its operation's role."""

    def __init__(self, tasks: TaskService, tokens: frozenset[str] | None = None) -> None:
        self.tasks = tasks
        self.tokens = tokens
        routes = [
            Route(
                op.operation.method,
                op.operation.path,
                VendorRoute(behaviour, op, parameter_rules(behaviour.spec, op.operation)),
            )
            for behaviour in tasks.behaviours.values()
            for op in behaviour.operations.values()
        ]
        self.router: Router[VendorRoute] = Router(routes)
        self._roles: dict[str, Callable[[Request, VendorRoute, dict[str, Any], str], Outcome]] = {
            "create": self._create,
            "poll": self._poll,
            "list": self._list,
            "cancel": self._cancel,
            "upload": self._static,
            "static": self._static,
            "file": self._file,
        }

    def match(self, request: Request) -> Match[VendorRoute] | None:
        """The vendor route of a request, if any."""
        return self.router.match(request.method, request.path)

    def handle(self, request: Request, match: Match[VendorRoute]) -> Outcome:
        """Answer a matched vendor request: authenticate, then play the operation's role."""
        route = match.route.target
        behaviour = route.behaviour
        owner = behaviour.auth.owner(request.headers.get(behaviour.auth.header.lower()))
        if owner is None or (self.tokens is not None and owner not in self.tokens):
            return self._error(route, "unauthorized", "missing, malformed or unknown credentials")
        try:
            values = read_parameters(
                route.parameters, request, match.params, drop_invalid_query=not route.documents_400
            )
        except ParameterError as exc:
            # A path that does not fit the spec's type is no resource (DRF's <int:id> answers 404).
            kind = "not-found" if exc.location == "path" else "bad-request"
            return self._error(route, kind, exc.detail, exc.name)
        return self._roles[route.operation.role](request, route, values, owner)

    # --- roles -------------------------------------------------------------------------------

    def _create(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Outcome:
        behaviour = route.behaviour
        try:
            data = read_body(behaviour.spec, route.operation.operation.raw, request)
            record = self.tasks.create(
                behaviour.api, request.headers.get(SCENARIO_HEADER), owner, data
            )
        except BodyError as exc:
            return self._error(route, "bad-request", exc.detail, exc.field)
        except UnknownNameError as exc:
            return self._error(route, "bad-request", f"{SCENARIO_HEADER}: {exc}", SCENARIO_HEADER)
        view = self.tasks.view(record, request.base_url)
        body = render(
            route.operation.response, self.tasks.context(view.observation, request.base_url)
        )
        return self._answer(route, route.operation.status, body, str(record.id))

    def _poll(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Outcome:
        task_id = values.get(route.operation.param or "")
        record = (
            self.tasks.find(route.behaviour.api, task_id, owner) if task_id is not None else None
        )
        if record is None:
            return self._error(route, "not-found", f"no task {task_id!r}", task_id=task_id)
        body = self.tasks.poll_json(record, request.base_url).encode()
        response = Response(200, body, [("content-type", JSON)])
        return Outcome(
            response, route.behaviour.api, route.operation.operation.operation_id, str(record.id)
        )

    def _list(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Outcome:
        records = list(self.tasks.visible(route.behaviour.api, owner))
        offset, limit = (
            _int(request.query_value("offset"), 0),
            _int(request.query_value("limit"), None),
        )
        page = records[offset : offset + limit] if limit is not None else records[offset:]
        items = [self.tasks.view(r, request.base_url).body for r in page]
        stand_in = self.tasks.ephemeral(route.behaviour.api, "list", owner)
        context = self.tasks.context(stand_in, request.base_url, items=items, total=len(records))
        return self._answer(
            route, route.operation.status, render(route.operation.response, context)
        )

    def _cancel(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Outcome:
        api = route.behaviour.api
        task_id = values.get(route.operation.param or "")
        record = self.tasks.find(api, task_id, owner) if task_id is not None else None
        if record is None:
            return self._error(route, "not-found", f"no task {task_id!r}", task_id=task_id)
        try:
            self.tasks.force(record, self.tasks.forced_state(api, "cancelled"))
        except InvalidTransition as exc:
            return self._error(route, "conflict", str(exc), task_id=str(record.id))
        return Outcome(
            Response(route.operation.status),
            api,
            route.operation.operation.operation_id,
            str(record.id),
        )

    def _static(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Outcome:
        op = route.operation
        if op.validate_request or op.role == "upload":
            try:
                read_body(route.behaviour.spec, op.operation.raw, request)
            except BodyError as exc:
                return self._error(route, "bad-request", exc.detail, exc.field)
        if op.response is None:
            return Outcome(Response(op.status), route.behaviour.api, op.operation.operation_id)
        path_values = [
            values[r.name] for r in route.parameters if r.location == "path" and r.name in values
        ]
        key = values.get(op.param) if op.param else next(iter(path_values), "0")
        stand_in = self.tasks.ephemeral(route.behaviour.api, key, owner)
        body = render(op.response, self.tasks.context(stand_in, request.base_url))
        return self._answer(route, op.status, body)

    def _file(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Outcome:
        wanted = values.get(route.operation.param or "")
        field_name = route.operation.field or "file_id"
        for record in self.tasks.visible(route.behaviour.api, owner):
            view = self.tasks.view(record, request.base_url)
            if (
                wanted
                and isinstance(view.body, dict)
                and str(view.body.get(field_name)) == str(wanted)
            ):
                body = render(
                    route.operation.response, self.tasks.context(view.observation, request.base_url)
                )
                return self._answer(route, route.operation.status, body, str(record.id))
        return self._error(route, "not-found", f"no file {wanted!r}")

    # --- helpers -----------------------------------------------------------------------------

    def _answer(
        self, route: VendorRoute, status: int, body: Any, task_id: str | None = None
    ) -> Outcome:
        return Outcome(
            json_response(status, body),
            route.behaviour.api,
            route.operation.operation.operation_id,
            task_id,
        )

    def _error(
        self,
        route: VendorRoute,
        kind: str,
        detail: str,
        field: str = "non_field_errors",
        task_id: Any = None,
    ) -> Outcome:
        answer = route.behaviour.errors[kind]
        return Outcome(
            json_response(answer.status, answer.render(detail, field)),
            route.behaviour.api,
            route.operation.operation.operation_id,
            None if task_id is None else str(task_id),
            problem=f"{kind}: {detail}",
        )


def _int(text: str | None, default: int | None) -> Any:
    try:
        return max(0, int(text)) if text is not None else default
    except ValueError:
        return default
