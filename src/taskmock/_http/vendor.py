"""The vendor routes: every operation of every loaded spec, played as its scenario file says."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import islice
from typing import Any, cast

from taskmock._core.engine import Observation, TaskRecord, observe
from taskmock._core.roles import (
    KEEP,
    Answer,
    Cancel,
    Catalog,
    Collect,
    Create,
    Delete,
    Download,
    Fetch,
    Find,
    Forget,
    Listing,
    Poll,
    Remove,
    Role,
    Static,
    Upload,
)
from taskmock._core.scenario import Behaviour
from taskmock._core.source import resolve_ref
from taskmock._core.tasks import CapacityError, InvalidTransition, TaskService
from taskmock._core.template import RequestFacts, reads_request
from taskmock._http.admin import Admin
from taskmock._http.bodies import BodyError, read_body
from taskmock._http.faults import FaultPlan
from taskmock._http.journal import Journal
from taskmock._http.messages import JSON, Request, Response, json_response, problem
from taskmock._http.paging import DEFAULT_PAGE, Page, page_of
from taskmock._http.parameters import (
    ParameterError,
    ParameterRule,
    parameter_rules,
    read_parameters,
)
from taskmock._http.routing import Match, Route, Router
from taskmock._resources import sample_file
from taskmock.errors import (
    CatalogError,
    ClockError,
    MissingExtraError,
    NoSuchTask,
    Problem,
    UnknownNameError,
)

__all__ = ["Outcome", "VendorSurface"]

SCENARIO_HEADER = "x-taskmock-scenario"
Handler = Callable[[Request, "VendorRoute", dict[str, Any], str, Mapping[str, str]], "Outcome"]
_PARAMETER = re.compile(r"\{[^}/]+\}")


@dataclass(frozen=True)
class VendorRoute:
    """What a vendor route leads to."""

    behaviour: Behaviour
    operation: Role
    parameters: tuple[ParameterRule, ...] = ()

    @cached_property
    def refuses_bad_input(self) -> bool:
        """Whether the spec lets this operation refuse its input (400 or 422); else bad query
        values are ignored, as DRF's paginators ignore a bad `offset`."""
        return not {"400", "422"}.isdisjoint(self.operation.operation.raw.get("responses", {}))

    @cached_property
    def param(self) -> str:
        """The parameter that carries the id (roles that address one task or resource)."""
        return str(getattr(self.operation, "param", ""))

    @cached_property
    def reads_request(self) -> bool:
        """Whether this operation's templates read the request being answered (its query or
        path parameters), so rendering needs them."""
        behaviour, op = self.behaviour, self.operation
        templates = [
            getattr(op, "response", None),
            *(answer.body for answer in op.answers if answer.body is not KEEP),
            *(value for answer in op.answers for _, value in answer.headers),
        ]
        if isinstance(op, Poll | Cancel | Create | Find):
            templates.extend(behaviour.task_body(s) for s in behaviour.scenarios.values())
        return any(reads_request(t, behaviour.templates) for t in templates)

    @cached_property
    def answers_own_way(self) -> bool:
        """Whether a poll answers other than its task's body with 200 (`answers`, `response`)."""
        return bool(self.operation.answers) or getattr(self.operation, "response", None) is not None

    @cached_property
    def plain_poll(self) -> bool:
        """Whether this is a poll that reads the id from the path or query as it is and answers
        the task's own body, reading nothing else of the request (the fast path)."""
        op = self.operation
        return (
            isinstance(op, Poll)
            and op.param_in != "body"
            and op.pattern is None
            and op.body is None
            and not self.reads_request
            and not self.answers_own_way
        )

    @cached_property
    def throttles(self) -> bool:
        """Whether the API's scenario file has a `rate-limited` error (faults can throttle it)."""
        return "rate-limited" in self.behaviour.errors

    @cached_property
    def api(self) -> str:
        """The API's name (for the journal)."""
        return self.behaviour.api

    @cached_property
    def kind(self) -> str:
        """The kind of task the route's operation belongs to."""
        return self.behaviour.kind

    @cached_property
    def operation_id(self) -> str:
        """The spec's operationId (for the journal)."""
        return self.operation.operation.operation_id

    @cached_property
    def parameter_names(self) -> frozenset[str]:
        """The names of the declared path and query parameters."""
        return frozenset(rule.name for rule in self.parameters if rule.location != "header")


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
        admin: Admin | None = None,
    ) -> None:
        self.tasks = tasks
        self.tokens = tokens
        self.faults = faults or FaultPlan()
        # Cancelling is a control operation: the routes that cancel call the one control API.
        self.admin = admin or Admin(tasks, Journal(), self.faults)
        self.router: Router[VendorRoute] = Router(_routes(tasks.behaviours.values()))
        self._sample: bytes | None = None  # the video `download` serves, read once
        self._roles: dict[str, Handler] = {
            "create": self._create,
            "poll": self._poll,
            "list": self._list,
            "cancel": self._cancel,
            "delete": self._delete,
            "static": self._static,
            "upload": self._upload,
            "fetch": self._fetch,
            "remove": self._remove,
            "catalog": self._catalog,
            "find": self._find,
            "forget": self._forget,
            "collect": self._collect,
            "download": self._download,
        }

    def match(self, request: Request) -> Match[VendorRoute] | None:
        """The vendor route of a request, if any."""
        return self.router.match(request.method, request.path)

    def handle(self, request: Request, match: Match[VendorRoute]) -> Outcome:
        """Answer a matched vendor request: authenticate, then play the operation's role."""
        route = match.route.target
        behaviour = route.behaviour
        try:
            credential = behaviour.auth.authenticate(request.headers)
            if credential is None:
                return self._error(route, *behaviour.auth.refusal(request.headers))
        except MissingExtraError as exc:  # a signed auth without PyJWT installed
            return Outcome(
                problem(501, "missing-extra", "Not available", str(exc)),
                behaviour.api,
                route.operation.operation.operation_id,
                problem=f"missing-extra: {exc}",
            )
        if self.tokens is not None and credential[1] not in self.tokens:
            return self._error(route, "unauthorized", "missing, malformed or unknown credentials")
        owner = credential[0]
        fault = (
            self.faults.take(route.api, route.operation_id)
            if route.throttles  # a kind without a rate-limited error cannot be throttled
            else None
        )
        if fault is not None:
            return self._throttled(route, fault.retry_after)
        try:
            values = read_parameters(
                route.parameters,
                request,
                match.params,
                drop_invalid_query=not route.refuses_bad_input,
            )
        except ParameterError as exc:
            # A path that does not fit the spec's type is no resource (DRF's <int:id> answers 404).
            kind = "not-found" if exc.location == "path" else "bad-request"
            return self._error(route, kind, exc.detail, exc.name)
        return self._roles[route.operation.role](request, route, values, owner, match.params)

    # --- roles -------------------------------------------------------------------------------

    def _create(
        self,
        request: Request,
        route: VendorRoute,
        values: dict[str, Any],
        owner: str,
        params: Mapping[str, str],
    ) -> Outcome:
        behaviour = route.behaviour
        op = cast(Create, route.operation)
        deadline = None
        if op.deadline is not None:
            given = request.headers.get(op.deadline.header.lower())
            if given is not None:
                seconds = op.deadline.seconds_in(given)
                if seconds is None:
                    return self._error(
                        route,
                        "bad-request",
                        f"{op.deadline.header}: {given!r} is not a {op.deadline.format} value",
                        op.deadline.header,
                    )
                deadline = (seconds, op.deadline.outcomes)
        try:
            data = read_body(behaviour.spec, op.operation.raw, request)
            record = self.tasks.create(
                behaviour.api,
                request.headers.get(SCENARIO_HEADER),
                owner,
                data,
                params=params,
                deadline=deadline,
                kind=behaviour.kind,
            )
        except BodyError as exc:
            return self._error(route, "bad-request", exc.detail, exc.field)
        except UnknownNameError as exc:
            return self._error(route, "bad-request", f"{SCENARIO_HEADER}: {exc}", SCENARIO_HEADER)
        except CapacityError as exc:
            return self._full(route, exc)
        if op.hold is not None:
            self._hold(record, op.hold.seconds_asked(request.headers.get(op.hold.header.lower())))
        observation = self.tasks.view(record, request.base_url).observation
        return self._about_task(request, route, params, observation, op.response)

    def _hold(self, record: TaskRecord, seconds: float | None) -> None:
        """Let the time a held request asks for pass, on a clock tests drive: until the task
        ends or the time is up. A wall or scaled clock cannot be moved: the answer comes at once,
        as when the time is up."""
        if not seconds or self.tasks.clock.kind != "manual":
            return
        now = self.tasks.clock.now()
        terminal = self.tasks.behaviour(record.api).lifecycle.terminal
        ends = next((step.at for step in record.timeline() if step.state in terminal), None)
        until = now + seconds if ends is None else min(now + seconds, max(ends, now))
        with contextlib.suppress(ClockError):  # past the clock's last instant: answer now
            self.admin.advance(until - now)

    def _poll(
        self,
        request: Request,
        route: VendorRoute,
        values: dict[str, Any],
        owner: str,
        params: Mapping[str, str],
    ) -> Outcome:
        if route.plain_poll:  # most polls: the id in the path or query, the task's own body
            task_id = values.get(route.param)
            found = (
                None if task_id is None else self.tasks.find(route.api, task_id, owner, route.kind)
            )
            if found is not None:
                text = self.tasks.answers.poll_json(found, request.base_url)
                return Outcome(
                    Response(200, text.encode(), [("content-type", JSON)]),
                    route.api,
                    route.operation_id,
                    str(found.id),
                )
        op: Poll = route.operation  # type: ignore[assignment]  # no cast(): a call per poll
        if op.param_in == "body":
            try:
                data = read_body(route.behaviour.spec, op.operation.raw, request)
            except BodyError as exc:
                return self._error(route, "bad-request", exc.detail, exc.field)
            sent = _at(data, op.param)
        else:
            sent = values.get(route.param)
        task_id = sent if op.pattern is None or sent is None else op.task_id(sent)
        record = (
            self.tasks.find(route.behaviour.api, task_id, owner, route.behaviour.kind)
            if task_id is not None
            else None
        )
        if record is None:
            shown = task_id if task_id is not None else sent
            return self._error(route, "not-found", f"no task {shown!r}", task_id=task_id)
        facts = RequestFacts(params, request.query_string) if route.reads_request else None
        if route.answers_own_way:
            observation = observe(record, self.tasks.clock.now())
            return self._about_task(request, route, params, observation, op.response, facts)
        body = self.tasks.answers.poll_json(record, request.base_url, facts, None, op).encode()
        response = Response(200, body, [("content-type", JSON)])
        return Outcome(
            response, route.behaviour.api, route.operation.operation.operation_id, str(record.id)
        )

    def _list(
        self,
        request: Request,
        route: VendorRoute,
        values: dict[str, Any],
        owner: str,
        params: Mapping[str, str],
    ) -> Outcome:
        api, kind = route.behaviour.api, route.behaviour.kind
        page = self._page(route, values)
        records = _slice(self.tasks.visible(api, owner, kind), page)
        items = [self.tasks.view(r, request.base_url).body for r in records]
        summary = cast(Listing, route.operation).summary
        if summary:  # the vendor lists a summary of each task
            items = [{k: item[k] for k in summary if k in item} for item in items]
        total = self.tasks.count(api, owner, kind)
        return self._listing(request, route, owner, items, total, page)

    def _cancel(
        self,
        request: Request,
        route: VendorRoute,
        values: dict[str, Any],
        owner: str,
        params: Mapping[str, str],
    ) -> Outcome:
        op = cast(Cancel, route.operation)
        api, task_id = route.behaviour.api, values.get(route.param)
        try:
            record = self.admin.task(api, task_id, owner, route.behaviour.kind)
            before = self.admin.state(record)
            answer = op.answer_for(before)
            finished = before in route.behaviour.lifecycle.terminal
            if finished and answer is None and op.finished != "conflict":
                outcome = self._task_answer(request, route, params, record, op.response)
                if op.finished == "delete":
                    self.admin.delete(api, task_id, owner)
                return outcome
            if answer is None or not finished:
                record = self.admin.cancel(api, task_id, owner, route.behaviour.kind)
        except NoSuchTask:
            return self._error(route, "not-found", f"no task {task_id!r}", task_id=task_id)
        except InvalidTransition as exc:
            return self._error(route, "conflict", str(exc), task_id=str(task_id))
        if answer is None:
            return self._task_answer(request, route, params, record, op.response)
        observation = observe(record, self.tasks.clock.now())
        return self._about_task(request, route, params, observation, op.response, answer=answer)

    def _delete(
        self,
        request: Request,
        route: VendorRoute,
        values: dict[str, Any],
        owner: str,
        params: Mapping[str, str],
    ) -> Outcome:
        api, task_id = route.behaviour.api, values.get(route.param)
        try:
            record = self.admin.task(api, task_id, owner, route.behaviour.kind)
        except NoSuchTask:
            return self._error(route, "not-found", f"no task {task_id!r}", task_id=task_id)
        template = cast(Delete, route.operation).response
        outcome = self._task_answer(request, route, params, record, template)
        self.admin.delete(api, task_id, owner)
        return outcome

    def _task_answer(
        self,
        request: Request,
        route: VendorRoute,
        params: Mapping[str, str],
        record: TaskRecord,
        template: Any,
    ) -> Outcome:
        """The operation's status with `template` rendered for the task now, or no body."""
        if template is None:
            return self._empty(route, str(record.id))
        observation = observe(record, self.tasks.clock.now())
        return self._about_task(request, route, params, observation, template, match_answers=False)

    def _static(
        self,
        request: Request,
        route: VendorRoute,
        values: dict[str, Any],
        owner: str,
        params: Mapping[str, str],
    ) -> Outcome:
        op = cast(Static, route.operation)
        if op.validate_request:
            try:
                read_body(route.behaviour.spec, op.operation.raw, request)
            except BodyError as exc:
                return self._error(route, "bad-request", exc.detail, exc.field)
        if op.response is None:
            return self._empty(route)
        stand_in = self.tasks.answers.without_task(
            route.behaviour.api, owner, route.behaviour.kind, "0"
        )
        body = self.tasks.answers.about(stand_in, op.response, request.base_url)
        return self._answer(route, op.status, body)

    # --- stored resources (uploads) ----------------------------------------------------------

    def _upload(
        self,
        request: Request,
        route: VendorRoute,
        values: dict[str, Any],
        owner: str,
        params: Mapping[str, str],
    ) -> Outcome:
        op = cast(Upload, route.operation)
        try:
            data = read_body(route.behaviour.spec, op.operation.raw, request)
            record = self.tasks.create_resource(route.behaviour.api, str(op.resource), owner, data)
        except BodyError as exc:
            return self._error(route, "bad-request", exc.detail, exc.field)
        except CapacityError as exc:
            return self._full(route, exc)
        return self._render_for(request, route, record, op.response)

    def _fetch(
        self,
        request: Request,
        route: VendorRoute,
        values: dict[str, Any],
        owner: str,
        params: Mapping[str, str],
    ) -> Outcome:
        op = cast(Fetch, route.operation)
        record = self._resource(route, values, owner)
        if record is None:
            return self._error(route, "not-found", f"no {op.resource} {values}")
        return self._render_for(request, route, record, op.response)

    def _remove(
        self,
        request: Request,
        route: VendorRoute,
        values: dict[str, Any],
        owner: str,
        params: Mapping[str, str],
    ) -> Outcome:
        op = cast(Remove, route.operation)
        record = self._resource(route, values, owner)
        if record is None:
            return self._error(route, "not-found", f"no {op.resource} {values}")
        busy = self._used_by_active_task(route, record.id, owner)
        if busy is not None:
            return self._error(route, "conflict", f"used by task {busy}, which has not ended")
        self.tasks.drop_resource(record.api, op.resource, record.id)
        return self._empty(route)

    def _used_by_active_task(self, route: VendorRoute, resource_id: Any, owner: str) -> Any:
        field_name = cast(Remove, route.operation).in_use_by
        if not field_name:
            return None
        terminal = route.behaviour.lifecycle.terminal
        now = self.tasks.clock.now()
        for record in self.tasks.users(route.behaviour.api, field_name, resource_id):
            if self.tasks.sees(owner, record) and observe(record, now).state not in terminal:
                return record.id
        return None

    def _catalog(
        self,
        request: Request,
        route: VendorRoute,
        values: dict[str, Any],
        owner: str,
        params: Mapping[str, str],
    ) -> Outcome:
        op = cast(Catalog, route.operation)
        api, kind = route.behaviour.api, op.resource
        page = self._page(route, values)
        records = _slice(self.tasks.visible_resources(api, kind, owner), page)
        items = [self._render_item(request, record, op.item) for record in records]
        total = self.tasks.count_resources(api, kind, owner)
        return self._listing(request, route, owner, items, total, page)

    def _resource(self, route: VendorRoute, values: dict[str, Any], owner: str) -> Any:
        op = cast(Fetch | Remove, route.operation)
        wanted = values.get(op.param)
        return self.tasks.find_resource(route.behaviour.api, op.resource, wanted, owner)

    # --- derived from tasks by a body field (restored videos, files) -------------------------

    def _find(
        self,
        request: Request,
        route: VendorRoute,
        values: dict[str, Any],
        owner: str,
        params: Mapping[str, str],
    ) -> Outcome:
        op = cast(Find, route.operation)
        found = self._derived(route, values, owner)
        if found is None:
            return self._error(route, "not-found", f"no {op.field} {values}")
        observation = observe(found, self.tasks.clock.now())
        return self._about_task(request, route, params, observation, op.response)

    def _forget(
        self,
        request: Request,
        route: VendorRoute,
        values: dict[str, Any],
        owner: str,
        params: Mapping[str, str],
    ) -> Outcome:
        op = cast(Forget, route.operation)
        found = self._derived(route, values, owner)
        if found is None:
            return self._error(route, "not-found", f"no {op.field} {values}")
        self.tasks.forget(route.behaviour.api, op.field, values.get(op.param), owner)
        return self._empty(route, str(found.id))

    def _collect(
        self,
        request: Request,
        route: VendorRoute,
        values: dict[str, Any],
        owner: str,
        params: Mapping[str, str],
    ) -> Outcome:
        op = cast(Collect, route.operation)
        page = self._page(route, values)
        carrying = list(
            self.tasks.carrying(route.behaviour.api, op.field, owner, route.behaviour.kind)
        )
        records = _slice(iter(carrying), page)
        items = [self._render_item(request, record, op.item) for record in records]
        return self._listing(request, route, owner, items, len(carrying), page)

    def _download(
        self,
        request: Request,
        route: VendorRoute,
        values: dict[str, Any],
        owner: str,
        params: Mapping[str, str],
    ) -> Outcome:
        op = cast(Download, route.operation)
        task_id = values.get(route.param)
        record = (
            self.tasks.find(route.behaviour.api, task_id, owner, route.behaviour.kind)
            if task_id is not None
            else None
        )
        if record is not None and op.states:
            state = observe(record, self.tasks.clock.now()).state
            record = record if state in op.states else None
        if record is None:
            return self._error(route, "not-found", f"no file {task_id!r}", task_id=task_id)
        if self._sample is None:
            self._sample = sample_file().read_bytes()
        response = Response(op.status, self._sample, [("content-type", "video/mp4")])
        return Outcome(response, route.behaviour.api, op.operation.operation_id, str(record.id))

    def _derived(self, route: VendorRoute, values: dict[str, Any], owner: str) -> TaskRecord | None:
        op = cast(Find | Forget, route.operation)
        return self.tasks.find_derived(route.behaviour.api, op.field, values.get(op.param), owner)

    # --- rendering ---------------------------------------------------------------------------

    def _about_task(
        self,
        request: Request,
        route: VendorRoute,
        params: Mapping[str, str],
        observation: Observation,
        template: Any,
        facts: RequestFacts | None = None,
        answer: Answer | None = None,
        match_answers: bool = True,
    ) -> Outcome:
        """The answer about one observed task: the role's (its status; `template`, or the poll
        body when None), or what `answer` (by default the entry of its `answers` for the task's
        state) changes."""
        if facts is None and route.reads_request:
            facts = RequestFacts(params, request.query_string)
        rendered = self.tasks.answers.reply(
            route.operation,
            observation,
            template,
            request.base_url,
            facts,
            answer,
            match_answers=match_answers,
        )
        headers = list(rendered.headers)
        if rendered.text is None:
            response = Response(rendered.status, b"", headers)
        else:
            headers.insert(0, ("content-type", rendered.content_type))
            response = Response(rendered.status, rendered.text.encode(), headers)
        return Outcome(
            response,
            route.behaviour.api,
            route.operation.operation.operation_id,
            str(observation.record.id),
        )

    def _render_for(
        self, request: Request, route: VendorRoute, record: Any, template: Any
    ) -> Outcome:
        body = self._render_item(request, record, template)
        return self._answer(route, route.operation.status, body, str(record.id))

    def _render_item(self, request: Request, record: Any, template: Any) -> Any:
        observation = observe(record, self.tasks.clock.now())
        return self.tasks.answers.about(observation, template, request.base_url)

    def _page(self, route: VendorRoute, values: dict[str, Any]) -> Page:
        op = cast(Listing | Catalog | Collect, route.operation)
        return page_of(values, route.parameter_names, op.page_size or DEFAULT_PAGE, op.paging)

    def _listing(
        self,
        request: Request,
        route: VendorRoute,
        owner: str,
        items: list[Any],
        total: int,
        page: Page,
    ) -> Outcome:
        links = page.links(request.base_url + request.path, request.query_string, total)
        op = cast(Listing | Catalog | Collect, route.operation)
        body = self.tasks.answers.page(
            route.behaviour.api,
            owner,
            route.behaviour.kind,
            op.response,
            request.base_url,
            items=items,
            total=total,
            links=links,
            page=page,
        )
        return self._answer(route, op.status, body)

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
            json_response(answer.status, answer.render(detail, field), answer.content_type),
            route.behaviour.api,
            route.operation.operation.operation_id,
            None if task_id is None else str(task_id),
            problem=f"{kind}: {detail}",
        )

    def _full(self, route: VendorRoute, exc: CapacityError) -> Outcome:
        """A limit of the mock itself (not the vendor's): an RFC 9457 problem says which."""
        return Outcome(
            problem(exc.status, "capacity", "Over a taskmock limit", str(exc)),
            route.behaviour.api,
            route.operation.operation.operation_id,
            problem=f"capacity: {exc}",
        )

    def _throttled(self, route: VendorRoute, retry_after: int) -> Outcome:
        answer = route.behaviour.errors["rate-limited"]
        response = json_response(
            answer.status, answer.render(retry_after=retry_after), answer.content_type
        )
        if answer.status == 429:
            response.headers.append(("retry-after", str(retry_after)))
        op = route.operation.operation.operation_id
        return Outcome(
            response, route.behaviour.api, op, problem=f"rate-limited: retry after {retry_after} s"
        )


def _at(data: Any, pointer: str) -> Any:
    """The value at a JSON pointer in request data, or None."""
    try:
        value = resolve_ref(data, "#" + pointer)
    except (KeyError, IndexError, ValueError, TypeError):
        return None
    return None if isinstance(value, dict | list) else value


def _routes(behaviours: Iterable[Behaviour]) -> list[Route[VendorRoute]]:
    """Every operation under its API's prefix (`/<api>/…`), and at its own path for the APIs
    served at the root; two APIs answering the same root route is a CatalogError."""
    prefixed: list[Route[VendorRoute]] = []
    rooted: dict[tuple[str, str], Route[VendorRoute]] = {}
    problems = []
    every_kind = [kind for api in behaviours for kind in api.every_kind]
    for behaviour in every_kind:
        for op in behaviour.operations.values():
            target = VendorRoute(behaviour, op, parameter_rules(behaviour.spec, op.operation))
            method, path = op.operation.method, op.operation.path
            spanning = frozenset(rule.name for rule in target.parameters if rule.spanning)
            prefixed.append(Route(method, f"/{behaviour.api}{path}", target, spanning))
            if not behaviour.root:
                continue
            key = (method, _PARAMETER.sub("{}", path))
            if key in rooted:
                other = rooted[key].target.behaviour.api
                problems.append(
                    Problem(
                        str(behaviour.spec.source.file),
                        op.operation.pointer,
                        f"{method} {path} is served at the root by {other} too; "
                        f"set `root: false` in mocks/{behaviour.api}.yaml (it stays at "
                        f"/{behaviour.api}{path})",
                    )
                )
            rooted[key] = Route(method, path, target, spanning)
    if problems:
        raise CatalogError(problems)
    return [*rooted.values(), *prefixed]


def _slice(records: Iterator[TaskRecord], page: Page) -> list[TaskRecord]:
    return list(islice(records, page.offset, page.offset + page.limit))
