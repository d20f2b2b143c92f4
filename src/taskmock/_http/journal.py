"""The request journal: what the mock was asked and what it answered."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["FIELD_LIMIT", "Journal", "JournalEntry"]

#: How many characters of a path, query or problem an entry keeps (the rest is cut, marked "…"):
#: the journal holds at most `limit` entries of bounded size, whatever clients send.
FIELD_LIMIT = 1024


def _cut(text: str | None) -> str | None:
    if text is None or len(text) <= FIELD_LIMIT:
        return text
    return text[: FIELD_LIMIT - 1] + "…"


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One request and its answer."""

    seq: int
    time: float
    method: str
    path: str
    query: str
    status: int
    api: str | None
    operation: str | None
    task_id: str | None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data."""
        return asdict(self)


class Journal:
    """The last `limit` requests, oldest first."""

    def __init__(self, limit: int = 10_000) -> None:
        # Plain tuples on the hot path; JournalEntry objects only when someone reads the journal.
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=limit)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def record(
        self,
        time: float,
        method: str,
        path: str,
        query: str,
        status: int,
        api: str | None,
        operation: str | None,
        task_id: str | None,
        problem: str | None = None,
    ) -> None:
        """Append an entry (its sequence number is assigned here)."""
        # One test on the hot path (a successful poll): only refusals and odd requests get cut.
        if problem is not None or len(path) + len(query) + len(method) > FIELD_LIMIT:
            method, path, query = method[:32], _cut(path) or "", _cut(query) or ""
            task_id, problem = _cut(task_id), _cut(problem)
        self._entries.append(
            (next(self._seq), time, method, path, query, status, api, operation, task_id, problem)
        )  # deque.append and next(count) are atomic: no lock needed

    def __iter__(self) -> Iterator[JournalEntry]:
        return (JournalEntry(*entry) for entry in list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
