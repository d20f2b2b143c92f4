"""The mock as one transport-neutral function: `MockApp.handle(Request) -> Response`.

Adapters (ASGI for `taskmock serve`, pytest-httpserver for the plugin) translate their own request
objects into `Request` and send back the `Response`. Nothing here knows about sockets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from taskmock.core.clock import Clock, ManualClock
from taskmock.core.tasks import TaskService
from taskmock.http.control import PREFIX, ControlPlane
from taskmock.http.faults import FaultPlan
from taskmock.http.journal import Journal
from taskmock.http.messages import Request, Response, problem
from taskmock.http.vendor import Outcome, VendorSurface

__all__ = ["MockApp", "MockConfig"]

log = logging.getLogger("taskmock")
_CONTROL_PATHS = PREFIX + "/"


@dataclass(frozen=True)
class MockConfig:
    """How to build a mock: which APIs, which clock, which seed, an optional admin token."""

    apis: tuple[str, ...] | None = None
    clock: Clock | None = None
    seed: int = 0
    admin_token: str | None = None
    tokens: frozenset[str] | None = (
        None  # accept only these credentials (default: any well-formed one)
    )
    journal_limit: int = 10_000
    example_tasks: bool = True  # the ids the specs' examples name exist (core/examples.py)


class MockApp:
    """The whole mock: vendor routes of every loaded API plus the control plane."""

    def __init__(self, config: MockConfig | None = None) -> None:
        config = config or MockConfig()
        self.config = config
        self.tasks = TaskService(
            config.clock or ManualClock(), config.seed, config.apis, config.example_tasks
        )
        self.journal = Journal(config.journal_limit)
        self.faults = FaultPlan()
        self.vendor = VendorSurface(self.tasks, config.tokens, self.faults)
        self.control = ControlPlane(self.tasks, self.journal, config.admin_token, self.faults)

    def handle(self, request: Request) -> Response:
        """Answer one request. Never raises: an unexpected error becomes a 500 problem, logged."""
        outcome: Outcome | None = None
        try:
            if request.path == PREFIX or request.path.startswith(_CONTROL_PATHS):
                response = self.control.handle(request)
            else:
                match = self.vendor.match(request)
                if match is None:
                    response = self._unmatched(request)
                else:
                    outcome = self.vendor.handle(request, match)
                    response = outcome.response
        except Exception:  # the last line of defence: a bug must not kill the server
            log.exception("taskmock: internal error on %s %s", request.method, request.path)
            response = problem(
                500, "internal", "Internal error in taskmock", "this is a taskmock bug; see its log"
            )
        if not request.path.startswith(PREFIX):
            self.journal.record(
                time=self.tasks.clock.now(),
                method=request.method,
                path=request.path,
                query=request.query_string,
                status=response.status,
                api=outcome.api if outcome else None,
                operation=outcome.operation if outcome else None,
                task_id=outcome.task_id if outcome else None,
                problem=outcome.problem if outcome else _problem_text(response),
            )
        return response

    def _unmatched(self, request: Request) -> Response:
        allowed = self.vendor.router.methods_for(request.path)
        if allowed:
            response = problem(
                405,
                "method-not-allowed",
                "Method not allowed",
                f"{request.method} {request.path} is not in the specs; "
                f"allowed: {', '.join(allowed)}",
            )
            response.headers.append(("allow", ", ".join(allowed)))
            return response
        nearest = self.vendor.router.nearest(request.method, request.path)
        return problem(
            404,
            "no-route",
            "No route in the specs",
            f"{request.method} {request.path} matches no operation; nearest: {nearest}",
            nearest=nearest,
        )


def _problem_text(response: Response) -> str | None:
    if response.status < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status}"
    return (
        str(body.get("detail") or body.get("title") or response.status)
        if isinstance(body, dict)
        else None
    )
