"""Match a method and path to a spec operation; name the nearest route when nothing matches.

Paths are matched as sent, still percent-encoded: `%2F` inside an id is not a slash, and a
parameter is decoded only once its segment is matched. HEAD is answered wherever GET is
(RFC 9110 §9.3.2). Every answer here costs time bounded by the number of routes and the length of
the path, never more: an unmatched request is as cheap as a refused one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Generic, NamedTuple, TypeVar
from urllib.parse import unquote

__all__ = ["Match", "Route", "Router", "normalize_path"]

T = TypeVar("T")
_PARAM = re.compile(r"\{([^}/]+)\}")
_NO_PARAMS: Mapping[str, str] = MappingProxyType({})
# Paths up to this long are remembered (polls repeat a few short paths); longer ones are not.
_REMEMBERED_PATH = 256
# The nearest-route hint looks at no more of a path than this.
_HINT_SEGMENTS, _HINT_SEGMENT_CHARS = 16, 64
_UNRESERVED_ESCAPE = re.compile(r"%(2[DdEe]|3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa]|5[Ff]|7[Ee])")


def normalize_path(path: str) -> str:
    """Decode percent-escapes of unreserved characters (RFC 3986 §6.2.2.2); keep the others."""
    if "%" not in path:
        return path
    return _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), path)


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

    @property
    def segments(self) -> tuple[str | None, ...]:
        """The template's path segments; None where a parameter stands."""
        return tuple(
            None if _PARAM.fullmatch(part) else part for part in self.template.strip("/").split("/")
        )


class Match(NamedTuple, Generic[T]):
    """A matched route and its path parameters (decoded)."""

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
        self._shapes = [(route, route.segments) for route in self.routes]
        # Routing is a pure function of (method, path): polls repeat the same few paths.
        self._remembered = lru_cache(maxsize=4096)(self._match)

    def match(self, method: str, path: str) -> Match[T] | None:
        """The route for this method and path (HEAD: GET's), or None; short paths are remembered."""
        if len(path) <= _REMEMBERED_PATH:
            return self._remembered(method, path)
        return self._match(method, path)

    def _match(self, method: str, path: str) -> Match[T] | None:
        path = normalize_path(path)
        found = self._match_exactly(method, path)
        if found is None and method == "HEAD":
            found = self._match_exactly("GET", path)
        return found

    def _match_exactly(self, method: str, path: str) -> Match[T] | None:
        literal = self._literal.get((method, path))
        if literal is not None:
            return Match(literal, _NO_PARAMS)
        if path in self._literal_paths:
            return None  # a literal path is its own resource: /api/jobs/from-url/ is no {id}
        for pattern, route in self._templated:
            if route.method == method:
                found = pattern.match(path)
                if found:
                    params = {
                        k: unquote(v) if "%" in v else v for k, v in found.groupdict().items()
                    }
                    return Match(route, MappingProxyType(params))
        return None

    def methods_for(self, path: str) -> list[str]:
        """The methods some route accepts at this path (for a 405 answer and its Allow header)."""
        path = normalize_path(path)
        if path in self._literal_paths:
            methods = {method for method, template in self._literal if template == path}
        else:
            methods = {route.method for pattern, route in self._templated if pattern.match(path)}
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods)

    def nearest(self, method: str, path: str) -> str | None:
        """The route most like an unmatched request, as `METHOD /template`.

        Templates with as many path segments come first (`/api/jobz/1/` is nearest to
        `/api/jobs/{id}/`, not `/api/jobs/`); then the segments most alike (equal, under a
        parameter, or sharing a start), then the same method. Only the first segments of a path,
        and their first characters, are looked at: the hint costs the same for any path.
        """
        if not self.routes:
            return None
        parts = path.strip("/").split("/", _HINT_SEGMENTS)
        count = len(parts) if len(parts) <= _HINT_SEGMENTS else -1
        parts = [part[:_HINT_SEGMENT_CHARS] for part in parts[:_HINT_SEGMENTS]]

        def score(shape: tuple[Route[T], tuple[str | None, ...]]) -> tuple[bool, float, bool]:
            route, segments = shape
            # Per segment: 2 when equal, 1 under a parameter, up to 2 for a literal sharing a start.
            alike = sum(
                1.0 if s is None else 2.0 if s == p else 2.0 * _common_start(s, p) / max(len(s), 1)
                for s, p in zip(segments, parts, strict=False)
            )
            return (len(segments) == count, alike, route.method == method)

        best = max(self._shapes, key=score)[0]
        return f"{best.method} {best.template}"


def _common_start(a: str, b: str) -> int:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length
