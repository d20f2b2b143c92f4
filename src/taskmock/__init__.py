"""taskmock: OpenAPI specs, a stateful mock and contract checks for async video-AI task APIs.

The public surface is what this module exports, `taskmock.testing`, `taskmock.errors` and the
pytest plugin (`taskmock.pytest_plugin`); every module whose name starts with `_` is internal and
may change without notice.

    import httpx
    import taskmock

    mock = taskmock.MockApp(taskmock.MockConfig(clock=taskmock.ManualClock()))
    client = httpx.Client(transport=taskmock.httpx_transport(mock))   # no socket
    task = mock.admin.create("tensorpix")                             # the control API
    mock.admin.advance(60)

- `MockApp`, `MockConfig`, `Capacity`: a mock of the catalog's APIs (`MockApp.handle(Request)`).
- `Request`, `Response`: the transport-neutral messages `MockApp.handle` takes and returns.
- `Admin`: the one control API (`MockApp.admin`): tasks, clock, faults, journal, reset.
- `ManualClock`, `WallClock`, `ScaledClock`, `make_clock`: the clocks a mock can run on.
- `Catalog`: the APIs of the bundled catalog and your folders.
- `httpx_transport`, `asgi_app`: the mock in-process for httpx, or as an ASGI application.
- `MockServer`, `Taskmock`: a real server in a thread, and the handle the pytest fixture gives.
- `Spec`, `load_spec`, `load_api`: OpenAPI documents with their lifecycles.
- `TaskmockError` and its subclasses: every error taskmock reports (see `taskmock.errors`).
"""

from __future__ import annotations

from taskmock._core.catalog import Catalog
from taskmock._core.clock import ManualClock, ScaledClock, WallClock, make_clock
from taskmock._core.spec import Spec, load_api, load_spec
from taskmock._core.tasks import Capacity
from taskmock._http.admin import Admin
from taskmock._http.app import MockApp, MockConfig
from taskmock._http.messages import Request, Response
from taskmock._transports import asgi_app, httpx_transport
from taskmock.errors import (
    CapacityError,
    CatalogError,
    ClockError,
    InvalidTransition,
    NoSuchTask,
    NotDocumented,
    ScenarioError,
    SpecError,
    TaskmockError,
    UnknownNameError,
    UsageError,
)
from taskmock.testing import MockServer, Taskmock

__all__ = [
    "Admin",
    "Capacity",
    "CapacityError",
    "Catalog",
    "CatalogError",
    "ClockError",
    "InvalidTransition",
    "ManualClock",
    "MockApp",
    "MockConfig",
    "MockServer",
    "NoSuchTask",
    "NotDocumented",
    "Request",
    "Response",
    "ScaledClock",
    "ScenarioError",
    "Spec",
    "SpecError",
    "Taskmock",
    "TaskmockError",
    "UnknownNameError",
    "UsageError",
    "WallClock",
    "__version__",
    "asgi_app",
    "httpx_transport",
    "load_api",
    "load_spec",
    "make_clock",
]

__version__ = "0.1.0"
