"""taskmock: OpenAPI specs, a stateful mock and contract checks for async video-AI task APIs."""

from __future__ import annotations

from taskmock.core.spec import Spec, load_api, load_spec
from taskmock.transports import asgi_app, httpx_transport

__all__ = ["Spec", "__version__", "asgi_app", "httpx_transport", "load_api", "load_spec"]

__version__ = "0.1.0"
