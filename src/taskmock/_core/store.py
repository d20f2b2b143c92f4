"""Where task records live: in memory, behind a small interface that keeps it swappable.

Every listing the mock answers is paged, and a page costs what is on it: tasks and resources are
indexed by (api, owner) in creation order, and values derived from a task (a restored video id, a
file id) by (api, field, value). Nothing scans the whole store per request.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from typing import Any

from taskmock._core.engine import TaskRecord

__all__ = ["InMemoryTaskStore", "OwnerIndex"]

Owner = str | None


class OwnerIndex:
    """Keys in insertion order, per (scope, owner); a page merges an owner's keys with the public
    ones (owner None) in O(offset + limit)."""

    def __init__(self) -> None:
        self._keys: dict[tuple[Any, Owner], dict[str, int]] = {}
        self._seq = itertools.count()

    def add(self, scope: Any, owner: Owner, key: str) -> None:
        """Append `key` (a no-op when it is there already: records are replaced, not re-added)."""
        keys = self._keys.setdefault((scope, owner), {})
        if key not in keys:
            keys[key] = next(self._seq)

    def remove(self, scope: Any, owner: Owner, key: str) -> None:
        """Forget `key`."""
        self._keys.get((scope, owner), {}).pop(key, None)

    def count(self, scope: Any, owner: Owner, everyone: bool = False) -> int:
        """How many keys `owner` may see (with `everyone`, every owner's)."""
        if everyone:
            return sum(len(k) for (s, _), k in self._keys.items() if s == scope)
        total = len(self._keys.get((scope, None), ()))
        if owner is not None:
            total += len(self._keys.get((scope, owner), ()))
        return total

    def iterate(self, scope: Any, owner: Owner, everyone: bool = False) -> Iterator[str]:
        """The keys `owner` may see (or all, with `everyone`), oldest first."""
        return self.iterate_scopes([scope], owner, everyone)

    def iterate_scopes(
        self, scopes: list[Any], owner: Owner, everyone: bool = False
    ) -> Iterator[str]:
        """The keys of several scopes `owner` may see (or all, with `everyone`), oldest first."""
        if everyone:
            groups = [k for (s, _), k in self._keys.items() if s in scopes]
        else:
            groups = [self._keys.get((scope, None), {}) for scope in scopes]
            if owner is not None:
                groups += [self._keys.get((scope, owner), {}) for scope in scopes]
        # Snapshots: another thread may add keys while a page is being read.
        streams = [((seq, key) for key, seq in list(keys.items())) for keys in groups if keys]
        for _, key in heapq.merge(*streams):
            yield key

    def clear(self) -> None:
        """Forget every key."""
        self._keys.clear()


def _scope(api: str, kind: str) -> Any:
    """Where a task is indexed: its API, and its kind when the API has several."""
    return (api, kind) if kind else api


class InMemoryTaskStore:
    """Task records by (api, id), uploaded resources by (api, kind, id), and id counters.

    Records are immutable; an update replaces the record. A lock keeps counters and replacements
    consistent under a threaded server.
    """

    def __init__(self) -> None:
        self._tasks: dict[tuple[str, str], TaskRecord] = {}
        self._task_index = OwnerIndex()
        self._resources: dict[tuple[str, str, str], TaskRecord] = {}
        self._resource_index = OwnerIndex()
        self._derived: dict[tuple[str, str, str], str] = {}  # (api, field, value) -> task id
        self._users: dict[tuple[str, str, str], set[str]] = {}  # (api, input field, value) -> ids
        # The same two, from the task's side, so that removing a task forgets its entries.
        self._derived_of: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        self._uses_of: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        # Public tasks (no owner) an owner deleted: gone for that owner only.
        self._hidden: dict[tuple[str, str], set[str]] = {}  # (api, id) -> owners
        self._hidden_count: dict[tuple[Any, str], int] = {}  # (scope, owner) -> how many
        self._forgotten: set[tuple[str, str, str, Owner]] = set()
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

    # --- tasks -----------------------------------------------------------------------------

    def put(self, record: TaskRecord) -> None:
        """Store a record, or a new version of one (records are immutable)."""
        key = str(record.id)
        with self._lock:
            self._tasks[(record.api, key)] = record
            self._task_index.add(_scope(record.api, record.kind), record.owner, key)

    def get(self, api: str, task_id: Any) -> TaskRecord | None:
        """The record, or None."""
        return self._tasks.get((api, str(task_id)))

    def all(self, api: str | None = None) -> Iterator[TaskRecord]:
        """Records in creation order, optionally of one API."""
        for record in list(self._tasks.values()):
            if api is None or record.api == api:
                yield record

    def visible(
        self, api: str, owner: Owner, everyone: bool = False, kinds: tuple[str, ...] = ("",)
    ) -> Iterator[TaskRecord]:
        """The tasks of `api` (of `kinds`) that `owner` may see (its own and the public ones it
        has not deleted), oldest first."""
        scopes = [_scope(api, kind) for kind in kinds]
        hides = (
            not everyone
            and owner is not None
            and any((scope, owner) in self._hidden_count for scope in scopes)
        )
        for key in self._task_index.iterate_scopes(scopes, owner, everyone):
            record = self._tasks.get((api, key))
            if record is not None and not (hides and self.hidden(record, owner)):
                yield record

    def count(
        self, api: str, owner: Owner, everyone: bool = False, kinds: tuple[str, ...] = ("",)
    ) -> int:
        """How many tasks of `api` (of `kinds`) `owner` may see."""
        total = 0
        for kind in kinds:
            scope = _scope(api, kind)
            total += self._task_index.count(scope, owner, everyone)
            if not everyone and owner is not None:
                total -= self._hidden_count.get((scope, owner), 0)
        return total

    def remove(self, api: str, task_id: Any) -> TaskRecord | None:
        """Forget a task and every index entry of it; returns the record it was, if any."""
        key = str(task_id)
        with self._lock:
            record = self._tasks.pop((api, key), None)
            if record is None:
                return None
            scope = _scope(api, record.kind)
            self._task_index.remove(scope, record.owner, key)
            for entry in self._derived_of.pop((api, key), ()):
                if self._derived.get(entry) == key:
                    del self._derived[entry]
            for entry in self._uses_of.pop((api, key), ()):
                ids = self._users.get(entry, set())
                ids.discard(key)
                if not ids:
                    self._users.pop(entry, None)
            for owner in self._hidden.pop((api, key), ()):
                self._hidden_count[(scope, owner)] -= 1
            return record

    def hide(self, record: TaskRecord, owner: str) -> None:
        """Delete a public task for `owner` only: the others still see it."""
        key = str(record.id)
        with self._lock:
            owners = self._hidden.setdefault((record.api, key), set())
            if owner not in owners:
                owners.add(owner)
                counted = (_scope(record.api, record.kind), owner)
                self._hidden_count[counted] = self._hidden_count.get(counted, 0) + 1

    def hidden(self, record: TaskRecord, owner: Owner) -> bool:
        """Whether `owner` deleted this public task."""
        if not self._hidden:  # nobody deleted a public task: every poll of one asks
            return False
        owners = self._hidden.get((record.api, str(record.id)))
        return owners is not None and owner in owners

    # --- values derived from tasks, and inputs that refer to other resources -------------------

    def index_derived(self, api: str, field: str, value: Any, task_id: Any) -> None:
        """Remember that the task `task_id` carries (or can carry) `value` in `field`."""
        entry, key = (api, field, str(value)), str(task_id)
        with self._lock:
            self._derived[entry] = key
            self._derived_of.setdefault((api, key), []).append(entry)

    def derived(self, api: str, field: str, value: Any) -> TaskRecord | None:
        """The task whose `field` is `value`, if one was indexed."""
        task_id = self._derived.get((api, field, str(value)))
        return None if task_id is None else self._tasks.get((api, task_id))

    def index_use(self, api: str, field: str, value: Any, task_id: Any) -> None:
        """Remember that the task `task_id` refers to `value` in its input `field`."""
        entry, key = (api, field, str(value)), str(task_id)
        with self._lock:
            self._users.setdefault(entry, set()).add(key)
            self._uses_of.setdefault((api, key), []).append(entry)

    def users(self, api: str, field: str, value: Any) -> list[TaskRecord]:
        """The tasks whose input `field` refers to `value`."""
        ids = sorted(self._users.get((api, field, str(value)), ()))
        return [r for r in (self._tasks.get((api, i)) for i in ids) if r is not None]

    def forget(self, api: str, field: str, value: Any, owner: Owner) -> None:
        """Mark a value derived from tasks (e.g. a restored video id) as deleted for `owner`."""
        with self._lock:
            self._forgotten.add((api, field, str(value), owner))

    def forgotten(self, api: str, field: str, value: Any, owner: Owner) -> bool:
        """Whether `owner` deleted this derived value."""
        return (api, field, str(value), owner) in self._forgotten

    # --- uploaded resources --------------------------------------------------------------------

    def put_resource(self, kind: str, record: TaskRecord) -> None:
        """Store a resource of `kind` (an upload), keyed by its API and id."""
        key = str(record.id)
        with self._lock:
            self._resources[(record.api, kind, key)] = record
            self._resource_index.add((record.api, kind), record.owner, key)

    def get_resource(self, api: str, kind: str, resource_id: Any) -> TaskRecord | None:
        """A stored resource, or None."""
        return self._resources.get((api, kind, str(resource_id)))

    def drop_resource(self, api: str, kind: str, resource_id: Any) -> None:
        """Forget a stored resource."""
        key = str(resource_id)
        with self._lock:
            record = self._resources.pop((api, kind, key), None)
            if record is not None:
                self._resource_index.remove((api, kind), record.owner, key)

    def visible_resources(
        self, api: str, kind: str, owner: Owner, everyone: bool = False
    ) -> Iterator[TaskRecord]:
        """The resources of one kind `owner` may see (or all, with `everyone`), oldest first."""
        for key in self._resource_index.iterate((api, kind), owner, everyone):
            record = self._resources.get((api, kind, key))
            if record is not None:
                yield record

    def count_resources(self, api: str, kind: str, owner: Owner, everyone: bool = False) -> int:
        """How many resources of one kind `owner` may see."""
        return self._resource_index.count((api, kind), owner, everyone)

    def resources(self, api: str, kind: str) -> Iterator[TaskRecord]:
        """Every stored resource of one kind, oldest first."""
        return self.visible_resources(api, kind, None, everyone=True)

    # --- size ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._tasks)

    @property
    def records(self) -> int:
        """Tasks and resources together (what the record limit counts)."""
        return len(self._tasks) + len(self._resources)

    def clear(self) -> None:
        """Forget every task and restart the id counters."""
        with self._lock:
            self._tasks.clear()
            self._task_index.clear()
            self._counters.clear()
            self._resources.clear()
            self._resource_index.clear()
            self._derived.clear()
            self._users.clear()
            self._derived_of.clear()
            self._uses_of.clear()
            self._hidden.clear()
            self._hidden_count.clear()
            self._forgotten.clear()
