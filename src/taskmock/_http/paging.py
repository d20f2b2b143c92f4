"""Pages of list answers: which slice a request asks for, and the links to its neighbours.

Four styles, told apart by the parameters an operation declares: `limit`/`offset` (Django REST
framework's LimitOffsetPagination), `page`/`page_size` (1-based), `page_num`/`page_size`
(0-based) and an opaque `cursor` (the mock's cursor is the offset; clients follow the links); a
role's `paging` option names other page-number parameters and the first page's number
(`{number: pageNum, size: pageSize, first: 1}`). A request that names no size gets the
operation's default page; none may ask for more than `MAX_PAGE` items, so a list answer costs
what is on its page, not what the store holds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["DEFAULT_PAGE", "MAX_PAGE", "Page", "page_of"]

#: Items on a page when the request does not say (and the scenario file sets no `page-size`).
DEFAULT_PAGE = 100
#: The most items one page may hold, whatever the request asks.
MAX_PAGE = 1000
_LAST_OFFSET = 10**15  # more than any store holds; keeps offset + limit a machine integer


@dataclass(frozen=True)
class Page:
    """The slice [offset, offset + limit) of a listing, in one of the three styles."""

    offset: int
    limit: int
    style: str  # "offset", "cursor", or the page-number parameter: "page" (1-based), "page_num"
    first: int | None = None  # the first page's number, when `paging` says it

    def links(self, url: str, query: str, total: int) -> dict[str, str | None]:
        """The URLs of the next and previous pages (None at either end), as DRF builds them:
        the request's own query with the page parameters moved."""
        following = self.offset + self.limit < total
        if self.style == "offset":
            return {
                "next": _with(url, query, limit=self.limit, offset=self.offset + self.limit)
                if following
                else None,
                "previous": None
                if self.offset <= 0
                else _with(url, query, limit=self.limit, offset=self.offset - self.limit)
                if self.offset - self.limit > 0
                else _with(url, query, limit=self.limit, offset=None),
            }
        if self.style == "cursor":
            back = max(self.offset - self.limit, 0)
            return {
                "next": _with(url, query, cursor=self.offset + self.limit) if following else None,
                "previous": None if self.offset <= 0 else _with(url, query, cursor=back or None),
            }
        first = self.first if self.first is not None else 1 if self.style == "page" else 0
        number = self.offset // self.limit + first
        name = self.style
        return {
            "next": _with(url, query, **{name: number + 1}) if following else None,
            "previous": None if number <= first else _with(url, query, **{name: number - 1}),
        }


def page_of(
    values: Mapping[str, Any],
    declared: Collection[str],
    default: int,
    paging: Mapping[str, Any] | None = None,
) -> Page:
    """The page a request asks for, by the parameters the operation declares (or `paging` names:
    a page-number parameter, a page-size parameter, the first page's number)."""
    default = min(default, MAX_PAGE)
    if paging:
        first = int(paging.get("first", 1))
        size = _positive(values.get(str(paging["size"])), default)
        number = values.get(str(paging["number"]))
        number = number if isinstance(number, int) and not isinstance(number, bool) else first
        return Page(_start((number - first) * size), size, str(paging["number"]), first)
    if "limit" in declared or "offset" in declared:
        limit = _positive(values.get("limit"), default)
        return Page(_start(int(values.get("offset") or 0)), limit, "offset")
    if "cursor" in declared:
        cursor = str(values.get("cursor") or "0")
        return Page(
            _start(int(cursor) if cursor.isdigit() and len(cursor) < 20 else 0), default, "cursor"
        )
    size = _positive(values.get("page_size"), default)
    if "page" in declared:
        return Page(_start((int(values.get("page") or 1) - 1) * size), size, "page")
    return Page(_start(int(values.get("page_num") or 0) * size), size, "page_num")


def _start(offset: int) -> int:
    # Past every page there could be (an offset of 10**30 is a valid integer): an empty page.
    return min(max(offset, 0), _LAST_OFFSET)


def _positive(value: Any, default: int) -> int:
    # DRF: a missing, zero or negative size means the default; a larger one is cut to the maximum.
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return min(value, MAX_PAGE)
    return default


def _with(url: str, query: str, **changes: Any) -> str:
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in changes]
    pairs += [(k, str(v)) for k, v in changes.items() if v is not None]
    return f"{url}?{urlencode(pairs)}" if pairs else url
