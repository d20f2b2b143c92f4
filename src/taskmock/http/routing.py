"""Match a method and path to a spec operation; name the nearest route when nothing matches."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Generic, NamedTuple, TypeVar

__all__ = ["Match", "Route", "Router"]

T = TypeVar("T")
_PARAM = re.compile(r"\{([^}/]+)\}")
_NO_PARAMS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Route(Generic[T]):
    """A method and path template (`/api/jobs/{id}/`) with what it leads to."""

    method: str
    template: str
    target: T

    def compile(self) -> re.Pattern[str]:
        """The template as a regular expression with one named group per parameter."""
        pattern, last = "", 0
        for match in _PARAM.finditer(self.template):
            pattern += (
                re.escape(self.template[last : match.start()]) + f"(?P<{match.group(1)}>[^/]+)"
            )
            last = match.end()
        return re.compile(pattern + re.escape(self.template[last:]) + "$")


class Match(NamedTuple, Generic[T]):
    """A matched route and its path parameters."""

    route: Route[T]
    params: Mapping[str, str]


class Router(Generic[T]):
    """Routes indexed for speed: literal paths by dictionary, templated ones by regex."""

    def __init__(self, routes: Iterable[Route[T]]) -> None:
        self.routes = list(routes)
        self._literal: dict[tuple[str, str], Route[T]] = {}
        self._templated: list[tuple[re.Pattern[str], Route[T]]] = []
        for route in self.routes:
            if "{" in route.template:
                self._templated.append((route.compile(), route))
            else:
                self._literal[(route.method, route.template)] = route
        self._literal_paths = {template for _, template in self._literal}
        # Routing is a pure function of (method, path): polls repeat the same few paths.
        self._remembered = lru_cache(maxsize=4096)(self._match)

    def match(self, method: str, path: str) -> Match[T] | None:
        """The route for this method and path, or None (the last 4096 answers are remembered)."""
        return self._remembered(method, path)

    def _match(self, method: str, path: str) -> Match[T] | None:
        literal = self._literal.get((method, path))
        if literal is not None:
            return Match(literal, _NO_PARAMS)
        if path in self._literal_paths:
            return None  # a literal path is its own resource: /api/jobs/from-url/ is no {id}
        for pattern, route in self._templated:
            if route.method == method:
                found = pattern.match(path)
                if found:
                    return Match(route, MappingProxyType(found.groupdict()))
        return None

    def methods_for(self, path: str) -> list[str]:
        """The methods some route accepts at this path (for a 405 answer and its Allow header)."""
        if path in self._literal_paths:
            return sorted(method for method, template in self._literal if template == path)
        return sorted({r.method for r in self.routes if self._path_matches(r, path)})

    def _path_matches(self, route: Route[T], path: str) -> bool:
        return route.template == path or (
            "{" in route.template and bool(route.compile().match(path))
        )

    def nearest(self, method: str, path: str) -> str | None:
        """The route most like an unmatched request, as `METHOD /template`.

        Templates with as many path segments come first (`/api/jobz/1/` is nearest to
        `/api/jobs/{id}/`, not `/api/jobs/`); then the most similar text, then the same method.
        """
        if not self.routes:
            return None
        segments = path.strip("/").count("/")

        def score(route: Route[T]) -> tuple[bool, float, bool]:
            shape = _PARAM.sub("x", route.template)
            similarity = difflib.SequenceMatcher(None, shape, path).ratio()
            return (
                route.template.strip("/").count("/") == segments,
                similarity,
                route.method == method,
            )

        best = max(self.routes, key=score)
        return f"{best.method} {best.template}"
