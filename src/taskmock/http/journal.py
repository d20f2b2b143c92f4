"""The request journal: what the mock was asked and what it answered."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Journal", "JournalEntry"]


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
        self._entries: deque[JournalEntry] = deque(maxlen=limit)
        self._seq = 0
        self._lock = threading.Lock()

    def record(self, **fields: Any) -> JournalEntry:
        """Append an entry (its sequence number is assigned here)."""
        with self._lock:
            self._seq += 1
            entry = JournalEntry(seq=self._seq, **fields)
            self._entries.append(entry)
            return entry

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
