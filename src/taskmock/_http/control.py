"""The control plane under /__taskmock/: a thin HTTP mapping onto the one control API (`Admin`).

Its routes are `specs/control.yaml`'s operations, one handler per operationId; request bodies and
parameters are checked against that document by the code that checks vendor requests
(`_http/bodies.py`, `_http/parameters.py`), so no handler checks a body by hand. Errors are RFC 9457
problem documents: the typed errors of the control API each have their status here.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from taskmock._core.clock import ClockRangeError
from taskmock._core.spec import Operation, load_api
from taskmock._core.tasks import TaskService
from taskmock._http.admin import Admin
from taskmock._http.bodies import BodyError, read_body
from taskmock._http.control_spec import control_openapi
from taskmock._http.messages import Request, Response, json_response, problem
from taskmock._http.paging import DEFAULT_PAGE, page_of
from taskmock._http.parameters import ParameterError, parameter_rules, read_parameters
from taskmock._http.routing import Route, Router
from taskmock._resources import sample_file
from taskmock.errors import (
    CapacityError,
    ClockError,
    InvalidTransition,
    NoSuchTask,
    NotDocumented,
    TaskmockError,
    UnknownNameError,
)

__all__ = ["ADMIN_HEADER", "PREFIX", "ControlPlane"]

PREFIX = "/__taskmock"
ADMIN_HEADER = "x-taskmock-admin-token"
# A handler gets the request, the checked body and the checked parameters (path and query).
Handler = Callable[[Request, dict[str, Any], dict[str, Any]], Response]


class _Bound:
    """A route's target: the spec's operation and the handler of its operationId."""

    def __init__(self, spec: Any, operation: Operation, handler: Handler) -> None:
        self.operation = operation
        self.handler = handler
        self.rules = parameter_rules(spec, operation)


class ControlPlane:
    """Handlers for every /__taskmock/ route, one per operation of specs/control.yaml."""

    def __init__(self, admin: Admin, tasks: TaskService, admin_token: str | None = None) -> None:
        self.admin = admin
        self._tasks = tasks  # only to fill the served document with the loaded catalog
        # Compared as bytes: headers arrive as latin-1 text of their bytes, the token as UTF-8.
        self._admin_key = admin_token.encode() if admin_token is not None else None
        self._sample = sample_file().read_bytes()
        self._openapi: bytes | None = None  # the document for the loaded catalog, built once
        self.spec = load_api("control")
        handlers: dict[str, Handler] = {
            "openapi_get": self._openapi_json,
            "health": lambda r, b, p: json_response(200, admin.health()),
            "clock_get": lambda r, b, p: json_response(200, admin.clock().as_dict()),
            "clock_advance": lambda r, b, p: json_response(
                200, admin.advance(b["seconds"]).as_dict()
            ),
            "task_create": self._create,
            "task_list": self._list,
            "task_inspect": lambda r, b, p: self._task(r, admin.task(p["api"], p["id"])),
            "task_fail": lambda r, b, p: self._task(r, admin.fail(p["api"], p["id"])),
            "task_cancel": lambda r, b, p: self._task(r, admin.cancel(p["api"], p["id"])),
            "task_transition": lambda r, b, p: self._task(
                r, admin.transition(p["api"], p["id"], b["state"])
            ),
            "reset": lambda r, b, p: _done(admin.reset),
            "requests_list": lambda r, b, p: json_response(
                200, {"requests": [e.as_dict() for e in admin.requests()]}
            ),
            "requests_clear": lambda r, b, p: _done(admin.clear_requests),
            "fault_add": self._add_fault,
            "fault_list": lambda r, b, p: json_response(
                200, {"faults": [f.as_dict() for f in admin.faults()]}
            ),
            "fault_clear": lambda r, b, p: _done(admin.clear_faults),
            "file_get": self._file,
        }
        operations = list(self.spec.operations())
        unhandled = {op.operation_id for op in operations} ^ set(handlers)
        if unhandled:  # a route of the document without a handler, or the reverse: a bug
            raise RuntimeError(f"control plane and specs/control.yaml differ: {unhandled}")
        self.router: Router[_Bound] = Router(
            Route(op.method, op.path, _Bound(self.spec, op, handlers[op.operation_id]))
            for op in operations
        )

    def handle(self, request: Request) -> Response:
        """Answer a request whose path starts with /__taskmock."""
        match = self.router.match(request.method, request.path)
        if match is None:
            return self._unmatched(request)
        bound = match.route.target
        if self._admin_key is not None and bound.operation.raw.get("security") != []:
            given = request.headers.get(ADMIN_HEADER, "").encode("latin-1", "replace")
            if not hmac.compare_digest(given, self._admin_key):
                return problem(
                    401,
                    "admin-token",
                    "Admin token required",
                    f"send the control-plane token in the {ADMIN_HEADER} header",
                )
        try:
            # Bodies are JSON whatever the client declares (curl -d says a form).
            body = read_body(self.spec, bound.operation.raw, request, media="application/json")
            values = read_parameters(bound.rules, request, match.params)
            return bound.handler(request, body, values)
        except BodyError as exc:
            if exc.malformed:
                return problem(400, "malformed-json", "Malformed JSON", exc.detail)
            return problem(422, "invalid-body", "Invalid body", exc.detail)
        except ParameterError as exc:  # a path that fits no resource is none (404)
            if exc.location == "path":
                return problem(404, "not-found", "No such resource", exc.detail)
            return problem(422, "invalid-query", "Invalid parameter", exc.detail)
        except TaskmockError as exc:
            return _problem_for(exc, in_path="api" in match.params)

    def _unmatched(self, request: Request) -> Response:
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

    # --- handlers ----------------------------------------------------------------------------

    def _openapi_json(self, request: Request, body: Any, values: Any) -> Response:
        if self._openapi is None:
            self._openapi = json_response(200, control_openapi(self._tasks)).body
        return Response(200, self._openapi, [("content-type", "application/json")])

    def _create(self, request: Request, body: dict[str, Any], values: Any) -> Response:
        record = self.admin.create(
            body["api"],
            body.get("scenario"),
            owner=body.get("owner"),
            input=body.get("input"),
            fields=body.get("fields"),
            kind=body.get("kind"),
        )
        return json_response(
            201,
            self.admin.describe(record, request.base_url, detail=True),
            headers=[("location", f"{PREFIX}/tasks/{record.api}/{record.id}")],
        )

    def _list(self, request: Request, body: Any, values: dict[str, Any]) -> Response:
        page = page_of(values, ("limit", "offset"), DEFAULT_PAGE)
        records, total = self.admin.tasks(values.get("api"), offset=page.offset, limit=page.limit)
        links = page.links(request.base_url + request.path, request.query_string, total)
        return json_response(
            200,
            {
                "tasks": [self.admin.describe(r, request.base_url) for r in records],
                "count": total,
                "next": links["next"],
                "previous": links["previous"],
            },
        )

    def _task(self, request: Request, record: Any) -> Response:
        return json_response(200, self.admin.describe(record, request.base_url, detail=True))

    def _add_fault(self, request: Request, body: dict[str, Any], values: Any) -> Response:
        fault = self.admin.throttle(
            body["api"],
            body.get("count", 1),
            body.get("retry_after", 1),
            body.get("operation"),
        )
        return json_response(201, fault.as_dict())

    def _file(self, request: Request, body: Any, values: dict[str, Any]) -> Response:
        # The document's pattern admits only letters, digits, '.', '_' and '-': nothing that
        # could end the header's quoted name or carry a control character.
        return Response(
            200,
            self._sample,
            [
                ("content-type", "video/mp4"),
                ("content-disposition", f'attachment; filename="{values["name"]}"'),
            ],
        )


def _done(action: Callable[[], None]) -> Response:
    action()
    return Response(204)


def _problem_for(exc: TaskmockError, in_path: bool) -> Response:
    """The problem answer of a typed error of the control API."""
    if isinstance(exc, UnknownNameError):
        # An unknown API in the path is no resource (404); a name in a body is invalid (422).
        status = 404 if in_path and exc.kind.startswith("API") else 422
        return problem(status, "unknown-name", "Unknown name", str(exc))
    if isinstance(exc, NoSuchTask):
        return problem(404, "no-task", "No such task", str(exc))
    if isinstance(exc, InvalidTransition):
        return problem(409, "invalid-transition", "Transition not allowed", str(exc))
    if isinstance(exc, ClockRangeError):
        return problem(422, "clock-range", "Past the end of time", str(exc))
    if isinstance(exc, ClockError):
        return problem(409, "clock-not-manual", "The clock is not manual", str(exc))
    if isinstance(exc, NotDocumented):
        return problem(422, "no-rate-limit", "Not documented", str(exc))
    if isinstance(exc, CapacityError):
        return problem(exc.status, "capacity", "Over a taskmock limit", str(exc))
    return problem(422, "invalid", "Invalid request", str(exc))
