"""The HTTP layer: a transport-neutral app (Request -> Response) over the core, and its adapters."""
