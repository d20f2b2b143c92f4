"""The mock as one transport-neutral function: `MockApp.handle(Request) -> Response`.

Transports (the HTTP/1.1 server `taskmock serve` and the fixture run, the in-process httpx
transport, the ASGI app) translate their own request objects into `Request` and send back the
`Response`. Nothing here knows about sockets.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from taskmock._core.catalog import Catalog
from taskmock._core.clock import Clock, ManualClock
from taskmock._core.tasks import Capacity, TaskService
from taskmock._http.admin import Admin
from taskmock._http.control import PREFIX, ControlPlane
from taskmock._http.faults import FaultPlan
from taskmock._http.journal import Journal
from taskmock._http.messages import Request, Response, problem
from taskmock._http.routing import normalize_path
from taskmock._http.vendor import Outcome, VendorSurface

__all__ = ["MockApp", "MockConfig"]

log = logging.getLogger("taskmock")
_CONTROL_PATHS = PREFIX + "/"


@dataclass(frozen=True)
class MockConfig:
    """How to build a mock: which APIs, which clock, which seed, an optional admin token.

    `catalogs`: folders of users' APIs (`specs/<api>.yaml` and `mocks/<api>.yaml`), added to the
    bundled ones and to those named by `TASKMOCK_CATALOG`. `apis`: play only these.
    `tokens`: accept only these credentials on vendor routes (the bare tokens; default: any
    well-formed one). `capacity`: how many tasks and how much input the mock keeps.
    `jwt_keys`: key id -> secret, accepted by every API whose auth verifies signed tokens
    (besides the keys its scenario file names).
    """

    apis: tuple[str, ...] | None = None
    catalogs: tuple[str | Path, ...] = ()
    clock: Clock | None = None
    seed: int = 0
    admin_token: str | None = None
    tokens: frozenset[str] | None = None
    journal_limit: int = 10_000
    capacity: Capacity = field(default_factory=Capacity)
    example_tasks: bool = True  # the ids the specs' examples name exist (_core/examples.py)
    jwt_keys: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # An empty token (an unset shell variable) would look like protection and be none.
        if self.admin_token == "":
            raise ValueError("admin_token is empty: give a token, or None for no protection")
        if self.tokens is not None and "" in self.tokens:
            raise ValueError("tokens holds an empty token")


class MockApp:
    """The whole mock: vendor routes of every loaded API plus the control plane."""

    def __init__(self, config: MockConfig | None = None) -> None:
        config = config or MockConfig()
        self.config = config
        self.catalog = Catalog.from_environment(config.catalogs)
        self.tasks = TaskService(
            config.clock or ManualClock(),
            config.seed,
            config.apis,
            config.capacity,
            self.catalog,
            config.example_tasks,
            config.jwt_keys,
        )
        self.journal = Journal(config.journal_limit)
        self.faults = FaultPlan()
        # Headers arrive as latin-1 text of their bytes; a token given as text means its UTF-8.
        tokens = (
            frozenset(t.encode().decode("latin-1") for t in config.tokens)
            if config.tokens is not None
            else None
        )
        self.admin = Admin(self.tasks, self.journal, self.faults)
        self.vendor = VendorSurface(self.tasks, tokens, self.faults, self.admin)
        self.control = ControlPlane(self.admin, self.tasks, config.admin_token)

    def handle(self, request: Request) -> Response:
        """Answer one request. Never raises: an unexpected error becomes a 500 problem, logged."""
        outcome: Outcome | None = None
        if "%" in request.path:
            request.path = normalize_path(request.path)
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
            self.journal.record(  # positional: this runs on every poll
                self.tasks.clock.now(),
                request.method,
                request.path,
                request.query_string,
                response.status,
                outcome.api if outcome else None,
                outcome.operation if outcome else None,
                outcome.task_id if outcome else None,
                outcome.problem if outcome else _problem_text(response),
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
