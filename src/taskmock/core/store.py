"""Where task records live: in memory, behind a small interface that keeps it swappable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from taskmock.core.engine import TaskRecord

__all__ = ["InMemoryTaskStore"]


class InMemoryTaskStore:
    """Task records by (api, id), uploaded resources by (api, kind, id), and id counters.

    Records are immutable; an update replaces the record. A lock keeps counters and replacements
    consistent under a threaded server.
    """

    def __init__(self) -> None:
        self._tasks: dict[tuple[str, str], TaskRecord] = {}
        self._resources: dict[tuple[str, str, str], TaskRecord] = {}
        self._forgotten: set[tuple[str, str, str]] = set()
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

    def put_resource(self, kind: str, record: TaskRecord) -> None:
        """Store a resource of `kind` (an upload), keyed by its API and id."""
        with self._lock:
            self._resources[(record.api, kind, str(record.id))] = record

    def get_resource(self, api: str, kind: str, resource_id: Any) -> TaskRecord | None:
        """A stored resource, or None."""
        return self._resources.get((api, kind, str(resource_id)))

    def drop_resource(self, api: str, kind: str, resource_id: Any) -> None:
        """Forget a stored resource."""
        with self._lock:
            self._resources.pop((api, kind, str(resource_id)), None)

    def resources(self, api: str, kind: str) -> Iterator[TaskRecord]:
        """The stored resources of one kind, oldest first."""
        for (res_api, res_kind, _), record in list(self._resources.items()):
            if res_api == api and res_kind == kind:
                yield record

    def forget(self, api: str, field: str, value: Any) -> None:
        """Mark a value derived from tasks (e.g. a restored video id) as deleted."""
        with self._lock:
            self._forgotten.add((api, field, str(value)))

    def forgotten(self, api: str, field: str, value: Any) -> bool:
        """Whether `forget` was called for this value."""
        return (api, field, str(value)) in self._forgotten

    def __len__(self) -> int:
        return len(self._tasks)

    def clear(self) -> None:
        """Forget every task and restart the id counters."""
        with self._lock:
            self._tasks.clear()
            self._counters.clear()
            self._resources.clear()
            self._forgotten.clear()
