"""What a status value means, guessed from the words task APIs use for it.

`queued`, `IN_QUEUE` and `In Queue` all read as "waiting to start"; `succeeded`, `COMPLETED`, `done`
as "finished well"; `failed`, `error`, `cancelled` as "finished badly". Integer statuses are read by
their names, from `x-enum-varnames`-style extensions or a description that lists them
(`* `0` - In Queue`, as drf-spectacular writes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "CANCEL",
    "FAILURE",
    "INITIAL",
    "SUCCESS",
    "UNKNOWN",
    "WORKING",
    "enum_names",
    "meaning",
    "normalize",
]

INITIAL, WORKING, SUCCESS, FAILURE, CANCEL, UNKNOWN = (
    "initial",
    "working",
    "success",
    "failure",
    "cancel",
    "unknown",
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Whole names first (`in_queue`), then single words of a longer name (`TASK_STATUS_QUEUED`).
_WORDS: dict[str, frozenset[str]] = {
    CANCEL: _words("cancelled canceled cancel cancelling canceling aborted abort"),
    FAILURE: _words(
        "failed fail failure error errors errored expired rejected timeout timed_out timedout "
        "killed terminated crashed"
    ),
    SUCCESS: _words("succeeded succeed success successful completed complete done finished finish"),
    INITIAL: _words(
        "queued queueing queuing queue in_queue inqueue pending submitted starting waiting "
        "created scheduled accepted received new"
    ),
    UNKNOWN: _words("unknown unspecified undefined indeterminate"),
}
# When words of several meanings appear in one name (`completed_with_errors`), the first wins.
_PRECEDENCE = (CANCEL, FAILURE, SUCCESS, UNKNOWN, INITIAL)


def normalize(name: Any) -> str:
    """A name as lower-case words joined by `_` (`In Queue`, `inQueue` -> `in_queue`)."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def meaning(name: Any) -> str:
    """What a status name means: INITIAL, WORKING, SUCCESS, FAILURE, CANCEL or UNKNOWN."""
    whole = normalize(name)
    for kind in _PRECEDENCE:
        if whole in _WORDS[kind]:
            return kind
    words = set(whole.split("_"))
    for kind in _PRECEDENCE:
        if words & _WORDS[kind]:
            return kind
    return WORKING


# drf-spectacular: "* `0` - In Queue"; also "0 - In Queue", "0: In Queue", "`0` = In Queue".
_LISTED = re.compile(r"^\s*(?:[*+-]\s+)?`?(-?[\w.]+)`?\s*(?:-|:|=|—)\s*(.+?)\s*$")


def enum_names(schema: Mapping[str, Any], values: Sequence[Any]) -> dict[Any, str]:
    """Display names of enum values that are not words themselves (integers, codes).

    Read from `x-enum-varnames`, `x-enumNames` or `x-enum-descriptions` (in that order), else from
    a description listing `value - Name` lines. Empty when nothing names them.
    """
    for key in ("x-enum-descriptions", "x-enum-varnames", "x-enumNames"):
        names = schema.get(key)
        if isinstance(names, list) and len(names) == len(values):
            return {value: str(name) for value, name in zip(values, names, strict=True)}
    found: dict[Any, str] = {}
    by_text = {str(value): value for value in values}
    for line in str(schema.get("description", "")).splitlines():
        match = _LISTED.match(line)
        if match and match.group(1) in by_text:
            # "In Queue (can last a few minutes)": the name is the text before any aside.
            name = re.split(r"\s*[(;,]", match.group(2), maxsplit=1)[0].strip()
            if name:
                found[by_text[match.group(1)]] = name
    return found
