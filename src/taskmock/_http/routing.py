"""Match a method and path to a spec operation; name the nearest route when nothing matches.

Paths are matched as sent, still percent-encoded: `%2F` inside an id is not a slash, and a
parameter is decoded only once its segment is matched. HEAD is answered wherever GET is
(RFC 9110 §9.3.2). Every answer here costs time bounded by the number of routes and the length of
the path, never more: an unmatched request is as cheap as a refused one.
"""

from __future__ import annotations

import bisect
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
_HINT_CHARS = 512
_UNRESERVED_ESCAPE = re.compile(r"%(2[DdEe]|3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa]|5[Ff]|7[Ee])")


def normalize_path(path: str) -> str:
    """Decode percent-escapes of unreserved characters (RFC 3986 §6.2.2.2); keep the others."""
    if "%" not in path:
        return path
    return _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), path)


@dataclass(frozen=True)
class Route(Generic[T]):
    """A method and path template (`/api/jobs/{id}/`) with what it leads to. A parameter named
    in `spanning` matches one or more whole segments (`a/b/c`), any other exactly one."""

    method: str
    template: str
    target: T
    spanning: frozenset[str] = frozenset()

    def compile(self) -> re.Pattern[str]:
        """The template as a regular expression with one named group per parameter. A literal
        colon (a custom method, `{model}:generate`) also matches its escape `%3A`, which some
        clients send: the two mean the same in a path."""
        pattern, last = "", 0
        for match in _PARAM.finditer(self.template):
            name = match.group(1)
            value = "[^/]+(?:/[^/]+)*" if name in self.spanning else "[^/]+"
            pattern += _literal(self.template[last : match.start()]) + f"(?P<{name}>{value})"
            last = match.end()
        return re.compile(pattern + _literal(self.template[last:]) + "$")


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
        # A route whose parameter spans segments matches what narrower routes match too: those go
        # first (a stable sort: the order among the others is kept).
        self._templated.sort(key=lambda entry: bool(entry[1].spanning))
        self._literal_paths = {template for _, template in self._literal}
        self._by_start: dict[str, list[Route[T]]] = {}
        for route in self.routes:
            self._by_start.setdefault(route.template.split("{", 1)[0], []).append(route)
        self._starts = sorted(self._by_start)
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
                    if route.spanning and self._named_elsewhere(path):
                        return None
                    params = {
                        k: unquote(v) if "%" in v else v for k, v in found.groupdict().items()
                    }
                    return Match(route, MappingProxyType(params))
        return None

    def _named_elsewhere(self, path: str) -> bool:
        """Whether a route with no spanning parameter names this path (for any method): then a
        parameter that spans segments does not take it (`POST …/requests/{id}` is no model
        path), and the answer is 405 with the methods that route allows."""
        return any(not route.spanning and pattern.match(path) for pattern, route in self._templated)

    def methods_for(self, path: str) -> list[str]:
        """The methods some route accepts at this path (for a 405 answer and its Allow header)."""
        path = normalize_path(path)
        if path in self._literal_paths:
            methods = {method for method, template in self._literal if template == path}
        else:
            matching = [route for pattern, route in self._templated if pattern.match(path)]
            if any(not route.spanning for route in matching):  # see `_named_elsewhere`
                matching = [route for route in matching if not route.spanning]
            methods = {route.method for route in matching}
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods)

    def nearest(self, method: str, path: str) -> str | None:
        """The route most like an unmatched request, as `METHOD /template`.

        The routes whose literal start (the template up to its first parameter) shares the
        longest beginning with the path; among them, templates with as many path segments first
        (`/api/jobz/1/` is nearest to `/api/jobs/{id}/`, not `/api/jobs/`), then the same method.
        Two binary searches and a few comparisons: the hint costs the same for any path.
        """
        if not self.routes:
            return None
        path = path[:_HINT_CHARS]
        starts = self._starts
        at = bisect.bisect_left(starts, path)
        shared = max(
            (_common_start(starts[i], path) for i in (at - 1, at) if 0 <= i < len(starts)),
            default=0,
        )
        # Every literal start sharing that much lies in one run of the sorted list.
        lead = path[:shared]
        first = bisect.bisect_left(starts, lead)
        last = bisect.bisect_right(starts, lead + "\U0010ffff")
        candidates = [r for s in starts[first:last] for r in self._by_start[s]]
        segments = path.strip("/").count("/")
        best = max(
            candidates or self.routes,
            key=lambda r: (r.template.strip("/").count("/") == segments, r.method == method),
        )
        return f"{best.method} {best.template}"


def _literal(text: str) -> str:
    return re.escape(text).replace(":", "(?::|%3[Aa])")


def _common_start(a: str, b: str) -> int:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length
