"""The vendor routes: every operation of every loaded spec, played as its scenario file says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from taskmock.core.scenario import Behaviour, OperationBehaviour
from taskmock.core.tasks import InvalidTransition, TaskService
from taskmock.core.template import render
from taskmock.errors import UnknownNameError
from taskmock.http.bodies import BodyError, read_body
from taskmock.http.faults import FaultPlan
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

    @cached_property
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

    def __init__(
        self,
        tasks: TaskService,
        tokens: frozenset[str] | None = None,
        faults: FaultPlan | None = None,
    ) -> None:
        self.tasks = tasks
        self.tokens = tokens
        self.faults = faults or FaultPlan()
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
            "static": self._static,
            "upload": self._upload,
            "fetch": self._fetch,
            "remove": self._remove,
            "catalog": self._catalog,
            "find": self._find,
            "forget": self._forget,
            "collect": self._collect,
        }

    def match(self, request: Request) -> Match[VendorRoute] | None:
        """The vendor route of a request, if any."""
        return self.router.match(request.method, request.path)

    def handle(self, request: Request, match: Match[VendorRoute]) -> Outcome:
        """Answer a matched vendor request: authenticate, then play the operation's role."""
        route = match.route.target
        behaviour = route.behaviour
        owner = behaviour.auth.owner(request.headers.get(behaviour.auth.header_key))
        if owner is None or (self.tokens is not None and owner not in self.tokens):
            return self._error(route, "unauthorized", "missing, malformed or unknown credentials")
        fault = self.faults.take(behaviour.api, route.operation.operation.operation_id)
        if fault is not None:
            return self._throttled(route, fault.retry_after)
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
        page = _page(records, values)
        items = [self.tasks.view(r, request.base_url).body for r in page]
        if route.operation.summary:  # the vendor lists a summary of each task
            items = [{k: item[k] for k in route.operation.summary if k in item} for item in items]
        return self._listing(request, route, owner, items, len(records))

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
        return self._empty(route, str(record.id))

    def _static(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Outcome:
        op = route.operation
        if op.validate_request:
            try:
                read_body(route.behaviour.spec, op.operation.raw, request)
            except BodyError as exc:
                return self._error(route, "bad-request", exc.detail, exc.field)
        if op.response is None:
            return self._empty(route)
        stand_in = self.tasks.ephemeral(route.behaviour.api, "0", owner)
        body = render(op.response, self.tasks.context(stand_in, request.base_url))
        return self._answer(route, op.status, body)

    # --- stored resources (uploads) ----------------------------------------------------------

    def _upload(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Outcome:
        op = route.operation
        try:
            data = read_body(route.behaviour.spec, op.operation.raw, request)
        except BodyError as exc:
            return self._error(route, "bad-request", exc.detail, exc.field)
        record = self.tasks.create_resource(route.behaviour.api, str(op.resource), owner, data)
        return self._render_for(request, route, record, op.response)

    def _fetch(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Outcome:
        record = self._resource(route, values, owner)
        if record is None:
            return self._error(route, "not-found", f"no {route.operation.resource} {values}")
        return self._render_for(request, route, record, route.operation.response)

    def _remove(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Outcome:
        record = self._resource(route, values, owner)
        if record is None:
            return self._error(route, "not-found", f"no {route.operation.resource} {values}")
        busy = self._used_by_active_task(route, record.id, owner)
        if busy is not None:
            return self._error(route, "conflict", f"used by task {busy}, which has not ended")
        self.tasks.store.drop_resource(record.api, str(route.operation.resource), record.id)
        return self._empty(route)

    def _used_by_active_task(self, route: VendorRoute, resource_id: Any, owner: str) -> Any:
        field_name = route.operation.in_use_by
        if not field_name:
            return None
        terminal = route.behaviour.lifecycle.terminal
        for record in self.tasks.visible(route.behaviour.api, owner):
            uses_it = str(record.input.get(field_name)) == str(resource_id)
            if uses_it and self.tasks.view(record).observation.state not in terminal:
                return record.id
        return None

    def _catalog(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Outcome:
        op = route.operation
        records = list(self.tasks.visible_resources(route.behaviour.api, str(op.resource), owner))
        items = [self._render_item(request, record, op.item) for record in _page(records, values)]
        return self._listing(request, route, owner, items, len(records))

    def _resource(self, route: VendorRoute, values: dict[str, Any], owner: str) -> Any:
        wanted = values.get(route.operation.param or "")
        kind = str(route.operation.resource)
        return self.tasks.find_resource(route.behaviour.api, kind, wanted, owner)

    # --- derived from tasks by a body field (restored videos, files) -------------------------

    def _find(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Outcome:
        found = self._derived(request, route, values, owner)
        if found is None:
            return self._error(route, "not-found", f"no {route.operation.field} {values}")
        return self._render_for(request, route, found, route.operation.response)

    def _forget(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Outcome:
        found = self._derived(request, route, values, owner)
        if found is None:
            return self._error(route, "not-found", f"no {route.operation.field} {values}")
        wanted = values.get(route.operation.param or "")
        self.tasks.store.forget(route.behaviour.api, str(route.operation.field), wanted)
        return self._empty(route, str(found.id))

    def _collect(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Outcome:
        op = route.operation
        api, field_path = route.behaviour.api, str(op.field)
        records = []
        for record in self.tasks.visible(api, owner):
            value = _dig(self.tasks.view(record, request.base_url).body, field_path)
            if value not in (None, "", 0) and not self.tasks.store.forgotten(
                api, field_path, value
            ):
                records.append(record)
        items = [self._render_item(request, record, op.item) for record in _page(records, values)]
        return self._listing(request, route, owner, items, len(records))

    def _derived(
        self, request: Request, route: VendorRoute, values: dict[str, Any], owner: str
    ) -> Any:
        api, field_path = route.behaviour.api, str(route.operation.field)
        wanted = values.get(route.operation.param or "")
        if wanted in (None, "") or self.tasks.store.forgotten(api, field_path, wanted):
            return None
        for record in self.tasks.visible(api, owner):
            if str(_dig(self.tasks.view(record, request.base_url).body, field_path)) == str(wanted):
                return record
        return None

    # --- rendering ---------------------------------------------------------------------------

    def _render_for(
        self, request: Request, route: VendorRoute, record: Any, template: Any
    ) -> Outcome:
        observation = self.tasks.view(record, request.base_url).observation
        body = render(template, self.tasks.context(observation, request.base_url))
        return self._answer(route, route.operation.status, body, str(record.id))

    def _render_item(self, request: Request, record: Any, template: Any) -> Any:
        observation = self.tasks.view(record, request.base_url).observation
        return render(template, self.tasks.context(observation, request.base_url))

    def _listing(
        self, request: Request, route: VendorRoute, owner: str, items: list[Any], total: int
    ) -> Outcome:
        stand_in = self.tasks.ephemeral(route.behaviour.api, "list", owner)
        context = self.tasks.context(stand_in, request.base_url, items=items, total=total)
        return self._answer(
            route, route.operation.status, render(route.operation.response, context)
        )

    def _empty(self, route: VendorRoute, task_id: str | None = None) -> Outcome:
        op = route.operation
        return Outcome(Response(op.status), route.behaviour.api, op.operation.operation_id, task_id)

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

    def _throttled(self, route: VendorRoute, retry_after: int) -> Outcome:
        answer = route.behaviour.errors["rate-limited"]
        response = json_response(answer.status, answer.render(retry_after=retry_after))
        if answer.status == 429:
            response.headers.append(("retry-after", str(retry_after)))
        op = route.operation.operation.operation_id
        return Outcome(
            response, route.behaviour.api, op, problem=f"rate-limited: retry after {retry_after} s"
        )


def _page(records: list[Any], values: dict[str, Any]) -> list[Any]:
    """One page by the spec's limit/offset or page/page_size parameters, when given."""
    if "limit" in values or "offset" in values:
        offset = int(values.get("offset", 0))
        limit = values.get("limit")
        return records[offset : offset + int(limit)] if limit is not None else records[offset:]
    size = values.get("page_size")
    if size is not None:
        page = int(values.get("page", values.get("page_num", 0)))
        first = (page - 1) * int(size) if "page" in values else page * int(size)  # page is 1-based
        return records[max(first, 0) : max(first, 0) + int(size)]
    return records


def _dig(body: Any, dotted: str) -> Any:
    """The value at a dotted path (`output_video.id`) in a rendered body, or None."""
    for key in dotted.split("."):
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body
