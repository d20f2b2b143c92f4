"""Every way to reach the mock besides `taskmock serve`: in-process httpx, ASGI, and TLS.

`httpx_transport()` needs the `httpx` extra, TLS the `tls` extra; the ASGI app needs nothing.
Each module imports its library only when it is used, so `import taskmock` works without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from taskmock.errors import MissingExtraError

if TYPE_CHECKING:
    from taskmock._http.app import MockApp
    from taskmock._http.server import Limits
    from taskmock._transports.asgi import AsgiApp
    from taskmock._transports.httpx import InProcessTransport

__all__ = ["asgi_app", "default_mock", "httpx_transport"]


def default_mock() -> MockApp:
    """A mock of every API in the catalog on a manual clock, as `taskmock serve --clock manual`."""
    from taskmock._core.clock import make_clock
    from taskmock._http.app import MockApp, MockConfig

    return MockApp(MockConfig(clock=make_clock("manual")))


def httpx_transport(
    mock: MockApp | None = None, limits: Limits | None = None
) -> InProcessTransport:
    """An httpx transport, for `httpx.Client` and `httpx.AsyncClient` alike, that sends every
    request to `mock` in this process, whatever the URL's host; `.mock` is the mock it serves.

        client = httpx.Client(transport=taskmock.httpx_transport(), base_url="https://api.test")

    Without `mock`, it builds `default_mock()`. Needs the extra: `pip install 'taskmock[httpx]'`.
    """
    try:
        from taskmock._transports.httpx import InProcessTransport
    except ModuleNotFoundError as exc:
        if exc.name != "httpx":
            raise
        raise MissingExtraError("taskmock.httpx_transport()", "httpx") from None
    return InProcessTransport(mock or default_mock(), limits)


def asgi_app(mock: MockApp | None = None, limits: Limits | None = None) -> AsgiApp:
    """The mock as an ASGI application (`uvicorn app:app`, or a Starlette/FastAPI mount);
    `.mock` is the mock it serves. Without `mock`, it builds `default_mock()`."""
    from taskmock._transports.asgi import AsgiApp

    return AsgiApp(mock or default_mock(), limits)
