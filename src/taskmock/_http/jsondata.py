"""Read JSON from a request: strict JSON only (no NaN or Infinity) and bounded nesting.

Python's `json` accepts `NaN`, `Infinity` and `-Infinity`, which are not JSON (RFC 8259): stored,
they make every later answer that echoes them invalid JSON. Deep nesting would exhaust the
recursion of the parser and of schema validation. Both are refused here, before anything is stored.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_DEPTH", "parse_json"]

#: How deeply arrays and objects may nest in a request body.
MAX_DEPTH = 64


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def parse_json(raw: bytes | str) -> Any:
    """The JSON value in `raw`; ValueError, with a message fit for the client, otherwise."""
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    if _deeper_than(data, MAX_DEPTH):
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    return data


def _deeper_than(data: Any, limit: int) -> bool:
    pending = [(data, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
