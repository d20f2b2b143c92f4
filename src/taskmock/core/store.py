"""Where task records live: in memory, behind a small interface that keeps it swappable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from taskmock.core.engine import TaskRecord

__all__ = ["InMemoryTaskStore"]


class InMemoryTaskStore:
    """Task records by (api, id), plus a per-API counter for deterministic ids.

    Records are immutable; an update replaces the record. A lock keeps counters and replacements
    consistent under a threaded server.
    """

    def __init__(self) -> None:
        self._tasks: dict[tuple[str, str], TaskRecord] = {}
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()

    def allocate(self, api: str) -> int:
        """The next counter value of `api` (0, 1, 2, ...): ids derive from it and the seed."""
        with self._lock:
            counter = self._counters.get(api, 0)
            self._counters[api] = counter + 1
            return counter

    def peek(self, api: str) -> int:
        """The counter value the next `allocate(api)` will return."""
        return self._counters.get(api, 0)

    def put(self, record: TaskRecord) -> None:
        """Store a record, or a new version of one (records are immutable)."""
        with self._lock:
            self._tasks[(record.api, str(record.id))] = record

    def get(self, api: str, task_id: Any) -> TaskRecord | None:
        """The record, or None."""
        return self._tasks.get((api, str(task_id)))

    def all(self, api: str | None = None) -> Iterator[TaskRecord]:
        """Records in creation order, optionally of one API."""
        for record in list(self._tasks.values()):
            if api is None or record.api == api:
                yield record

    def __len__(self) -> int:
        return len(self._tasks)

    def clear(self) -> None:
        """Forget every task and restart the id counters."""
        with self._lock:
            self._tasks.clear()
            self._counters.clear()
