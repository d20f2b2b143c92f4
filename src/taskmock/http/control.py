"""The control plane under /__taskmock/: drive the mock (tasks, clock, reset, journal, files).

Described by specs/control.yaml; errors are RFC 9457 problem documents.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping
from itertools import islice
from typing import Any

from taskmock.core.clock import ClockRangeError, ManualClock
from taskmock.core.engine import TaskRecord, observe
from taskmock.core.tasks import CapacityError, InvalidTransition, TaskService
from taskmock.core.template import format_time
from taskmock.errors import UnknownNameError, did_you_mean
from taskmock.http.control_spec import control_openapi
from taskmock.http.faults import Fault, FaultPlan
from taskmock.http.journal import Journal
from taskmock.http.jsondata import parse_json
from taskmock.http.messages import Request, Response, json_response, problem
from taskmock.http.paging import DEFAULT_PAGE, page_of
from taskmock.http.routing import Route, Router
from taskmock.resources import sample_file

__all__ = ["PREFIX", "ControlPlane"]

PREFIX = "/__taskmock"
ADMIN_HEADER = "x-taskmock-admin-token"
Handler = Callable[[Request, Mapping[str, str]], Response]
# Names of files the control plane serves: no quote, control character or path in them.
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}\.mp4")


class ControlPlane:
    """Handlers for every /__taskmock/ route."""

    def __init__(
        self,
        tasks: TaskService,
        journal: Journal,
        admin_token: str | None = None,
        faults: FaultPlan | None = None,
    ) -> None:
        self.tasks = tasks
        self.journal = journal
        self.admin_token = admin_token
        # Compared as bytes: headers arrive as latin-1 text of their bytes, the token as UTF-8.
        self._admin_key = admin_token.encode() if admin_token is not None else None
        self.faults = faults or FaultPlan()
        self._sample = sample_file().read_bytes()
        self._openapi: bytes | None = None  # the document for the loaded catalog, built once
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/openapi.json", self._openapi_json),
            ("GET", "/health", self._health),
            ("GET", "/clock", self._clock),
            ("POST", "/clock/advance", self._advance),
            ("POST", "/tasks", self._create),
            ("GET", "/tasks", self._list),
            ("GET", "/tasks/{api}/{id}", self._inspect),
            ("POST", "/tasks/{api}/{id}/fail", self._fail),
            ("POST", "/tasks/{api}/{id}/cancel", self._cancel),
            ("POST", "/tasks/{api}/{id}/transition", self._transition),
            ("POST", "/reset", self._reset),
            ("GET", "/requests", self._requests),
            ("DELETE", "/requests", self._clear_requests),
            ("GET", "/files/{name}", self._file),
            ("POST", "/faults", self._add_fault),
            ("GET", "/faults", self._faults),
            ("DELETE", "/faults", self._clear_faults),
        ]
        self.router: Router[Handler] = Router(Route(m, PREFIX + p, h) for m, p, h in table)

    def handle(self, request: Request) -> Response:
        """Answer a request whose path starts with /__taskmock."""
        match = self.router.match(request.method, request.path)
        if match is None:
            allowed = self.router.methods_for(request.path)
            if allowed:
                response = problem(
                    405,
                    "method-not-allowed",
                    "Method not allowed",
                    f"{request.method} is not allowed here; use {', '.join(allowed)}",
                )
                response.headers.append(("allow", ", ".join(allowed)))
                return response
            nearest = self.router.nearest(request.method, request.path)
            return problem(
                404,
                "no-route",
                "No such control-plane route",
                f"no route for {request.method} {request.path}; nearest: {nearest}",
            )
        if self._admin_key is not None and not request.path.startswith(PREFIX + "/files/"):
            given = request.headers.get(ADMIN_HEADER, "").encode("latin-1", "replace")
            if not hmac.compare_digest(given, self._admin_key):
                return problem(
                    401,
                    "admin-token",
                    "Admin token required",
                    f"send the control-plane token in the {ADMIN_HEADER} header",
                )
        try:
            return match.route.target(request, match.params)
        except UnknownNameError as exc:
            return problem(
                404 if exc.kind.startswith("API") else 422, "unknown-name", "Unknown name", str(exc)
            )
        except InvalidTransition as exc:
            return problem(409, "invalid-transition", "Transition not allowed", str(exc))

    # --- handlers ----------------------------------------------------------------------------

    def _openapi_json(self, request: Request, params: Mapping[str, str]) -> Response:
        if self._openapi is None:
            self._openapi = json_response(200, control_openapi(self.tasks)).body
        return Response(200, self._openapi, [("content-type", "application/json")])

    def _health(self, request: Request, params: Mapping[str, str]) -> Response:
        return json_response(
            200,
            {"status": "ok", "apis": list(self.tasks.behaviours), "tasks": len(self.tasks.store)},
        )

    def _clock_body(self) -> dict[str, Any]:
        clock = self.tasks.clock
        now = clock.now()
        return {
            "kind": clock.kind,
            "now": now,
            "iso": format_time(now, "iso-ms"),
            "speed": getattr(clock, "speed", 1.0),
        }

    def _clock(self, request: Request, params: Mapping[str, str]) -> Response:
        return json_response(200, self._clock_body())

    def _advance(self, request: Request, params: Mapping[str, str]) -> Response:
        data, error = _json_object(request)
        if error:
            return error
        seconds = data.get("seconds")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 <= seconds <= 10**9
        ):
            return problem(
                422, "invalid-body", "Invalid body", "'seconds' must be a number from 0 to 1e9"
            )
        clock = self.tasks.clock
        if not isinstance(clock, ManualClock):
            return problem(
                409,
                "clock-not-manual",
                "The clock is not manual",
                f"the server runs a {clock.kind} clock; "
                "start it with --clock manual to advance time",
            )
        try:
            clock.advance(float(seconds))
        except ClockRangeError as exc:
            return problem(422, "clock-range", "Past the end of time", str(exc))
        return json_response(200, self._clock_body())

    def _api_body(
        self, request: Request, allowed: set[str]
    ) -> tuple[dict[str, Any], Response | None]:
        """A JSON object body with only `allowed` keys and a string `api`, or the problem answer."""
        data, error = _json_object(request)
        if error:
            return data, error
        unknown = set(data) - allowed
        if unknown:
            detail = f"unknown keys: {', '.join(sorted(unknown))}"
            return data, problem(422, "invalid-body", "Invalid body", detail)
        if not isinstance(data.get("api"), str):
            detail = f"'api' is required: one of {', '.join(self.tasks.behaviours)}"
            return data, problem(422, "invalid-body", "Invalid body", detail)
        return data, None

    def _create(self, request: Request, params: Mapping[str, str]) -> Response:
        data, error = self._api_body(request, {"api", "scenario", "owner", "fields", "input"})
        if error:
            return error
        api = data["api"]
        for key, kind in (("scenario", str), ("owner", str), ("fields", dict), ("input", dict)):
            nullable = key == "owner"  # as specs/control.yaml says: only owner may be null
            if (
                key in data
                and not (nullable and data[key] is None)
                and not isinstance(data[key], kind)
            ):
                return problem(
                    422, "invalid-body", "Invalid body", f"'{key}' must be a {kind.__name__}"
                )
        try:
            behaviour = self.tasks.behaviour(api)
        except UnknownNameError as exc:
            return problem(422, "unknown-name", "Unknown name", str(exc))
        try:
            record = self.tasks.create(
                api,
                data.get("scenario"),
                _owner(behaviour, data.get("owner")),
                data.get("input"),
                data.get("fields"),
            )
        except CapacityError as exc:
            return problem(exc.status, "capacity", "Over a taskmock limit", str(exc))
        return json_response(
            201,
            self._summary(record, request, detail=True),
            headers=[("location", f"{PREFIX}/tasks/{api}/{record.id}")],
        )

    def _list(self, request: Request, params: Mapping[str, str]) -> Response:
        api = request.query_value("api")
        apis = [api] if api is not None else list(self.tasks.behaviours)
        if api is not None:
            self.tasks.behaviour(api)
        numbers = {}
        for name in ("limit", "offset"):
            text = request.query_value(name)
            if text is not None and not (text.isascii() and text.isdigit() and len(text) < 10):
                return problem(
                    422, "invalid-query", "Invalid query", f"{name!r} must be an integer >= 0"
                )
            if text is not None:
                numbers[name] = int(text)
        page = page_of(numbers, ("limit", "offset"), DEFAULT_PAGE)
        total = sum(self.tasks.count(name, None) for name in apis)
        everything = (r for name in apis for r in self.tasks.visible(name, None))
        chosen = islice(everything, page.offset, page.offset + page.limit)
        links = page.links(request.base_url + request.path, request.query_string, total)
        return json_response(
            200,
            {
                "tasks": [self._summary(r, request) for r in chosen],
                "count": total,
                "next": links["next"],
                "previous": links["previous"],
            },
        )

    def _inspect(self, request: Request, params: Mapping[str, str]) -> Response:
        record = self._record(params)
        if record is None:
            return _no_task(params)
        return json_response(200, self._summary(record, request, detail=True))

    def _fail(self, request: Request, params: Mapping[str, str]) -> Response:
        return self._force_kind(request, params, "failed")

    def _cancel(self, request: Request, params: Mapping[str, str]) -> Response:
        return self._force_kind(request, params, "cancelled")

    def _force_kind(self, request: Request, params: Mapping[str, str], kind: str) -> Response:
        record = self._record(params)
        if record is None:
            return _no_task(params)
        updated = self.tasks.force(record, self.tasks.forced_state(record.api, kind))
        return json_response(200, self._summary(updated, request, detail=True))

    def _transition(self, request: Request, params: Mapping[str, str]) -> Response:
        data, error = _json_object(request)
        if error:
            return error
        record = self._record(params)
        if record is None:
            return _no_task(params)
        state = data.get("state")
        if isinstance(state, bool) or not isinstance(state, str | int):
            return problem(
                422, "invalid-body", "Invalid body", "'state' must be a string or an integer"
            )
        updated = self.tasks.force(record, state)
        return json_response(200, self._summary(updated, request, detail=True))

    def _reset(self, request: Request, params: Mapping[str, str]) -> Response:
        self.tasks.reset()
        self.journal.clear()
        self.faults.clear()
        return Response(204)

    def _requests(self, request: Request, params: Mapping[str, str]) -> Response:
        return json_response(200, {"requests": [e.as_dict() for e in self.journal]})

    def _clear_requests(self, request: Request, params: Mapping[str, str]) -> Response:
        self.journal.clear()
        return Response(204)

    def _file(self, request: Request, params: Mapping[str, str]) -> Response:
        if not _FILE_NAME.fullmatch(params["name"]):
            return problem(
                404,
                "no-file",
                "No such file",
                "files are served as <name>.mp4, the name of letters, digits, '.', '_' and '-'",
            )
        return Response(
            200,
            self._sample,
            [
                ("content-type", "video/mp4"),
                ("content-disposition", f'attachment; filename="{params["name"]}"'),
            ],
        )

    def _add_fault(self, request: Request, params: Mapping[str, str]) -> Response:
        data, error = self._api_body(request, {"api", "kind", "count", "retry_after", "operation"})
        if error:
            return error
        api = data["api"]
        behaviour = self.tasks.behaviour(api)
        if data.get("kind", "rate-limited") != "rate-limited":
            return problem(422, "invalid-body", "Invalid body", "'kind' must be rate-limited")
        if "rate-limited" not in behaviour.errors:
            return problem(
                422,
                "no-rate-limit",
                "Not documented",
                f"{api} documents no rate limiting, so the mock has no answer for it",
            )
        numbers = {"count": data.get("count", 1), "retry_after": data.get("retry_after", 1)}
        for name, value in numbers.items():
            if isinstance(value, float) and value.is_integer():
                numbers[name] = value = int(value)  # JSON Schema: 143.0 is the integer 143
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
                return problem(
                    422, "invalid-body", "Invalid body", f"'{name}' must be an integer >= 0"
                )
        count, retry_after = numbers["count"], numbers["retry_after"]
        operation = data.get("operation")
        if operation is not None and not isinstance(operation, str):
            return problem(
                422, "invalid-body", "Invalid body", "'operation' must be an operation id"
            )
        if operation is not None and operation not in behaviour.operations:
            return problem(
                422,
                "unknown-name",
                "Unknown name",
                f"no operation {operation!r} in {api}"
                f"{did_you_mean(str(operation), behaviour.operations)}",
            )
        fault = Fault(api, count, retry_after, operation)
        if count:
            self.faults.add(fault)
        return json_response(201, fault.as_dict())

    def _faults(self, request: Request, params: Mapping[str, str]) -> Response:
        return json_response(200, {"faults": [f.as_dict() for f in self.faults.pending()]})

    def _clear_faults(self, request: Request, params: Mapping[str, str]) -> Response:
        self.faults.clear()
        return Response(204)

    # --- helpers -----------------------------------------------------------------------------

    def _record(self, params: Mapping[str, str]) -> TaskRecord | None:
        self.tasks.behaviour(params["api"])
        return self.tasks.store.get(params["api"], params["id"])

    def _summary(
        self, record: TaskRecord, request: Request, detail: bool = False
    ) -> dict[str, Any]:
        behaviour = self.tasks.behaviour(record.api)
        state = observe(record, self.tasks.clock.now()).state
        path = behaviour.poll_path(record.id)
        summary: dict[str, Any] = {
            "api": record.api,
            "id": record.id,
            "scenario": record.scenario,
            "owner": record.owner,
            "state": state,
            "terminal": state in behaviour.lifecycle.terminal,
            "created_at": format_time(record.created_at, "iso-ms"),
            "poll_path": path,
            "poll_url": request.base_url + path,
        }
        if detail:
            summary["timeline"] = self.tasks.timeline(record)
            summary["body"] = self.tasks.view(record, request.base_url).body
        return summary


def _owner(behaviour: Any, owner: str | None) -> str | None:
    # A whole header value ("Token abc") or a bare token ("abc"): see AuthRule.owner_of.
    return behaviour.auth.owner_of(owner) if owner else None


def _no_task(params: Mapping[str, str]) -> Response:
    return problem(404, "no-task", "No such task", f"no {params['api']} task {params['id']!r}")


def _json_object(request: Request) -> tuple[dict[str, Any], Response | None]:
    if not request.body:
        return {}, None
    try:
        data = parse_json(request.body)
    except ValueError as exc:
        return {}, problem(400, "malformed-json", "Malformed JSON", str(exc))
    if not isinstance(data, dict):
        return {}, problem(422, "invalid-body", "Invalid body", "the body must be a JSON object")
    return data, None
