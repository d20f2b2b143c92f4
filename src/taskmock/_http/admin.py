"""One control API (WireMock's Admin): every control operation on one mock, in Python.

The HTTP control plane (`_http/control.py`), the test handle (`testing.Taskmock`) and the vendor
cancel routes are thin mappings onto it; nobody else reaches into the task store, the journal or
the fault plan. Each operation checks its arguments once and raises the typed errors of
`taskmock.errors` (NoSuchTask, InvalidTransition, UnknownNameError, ClockError, NotDocumented,
CapacityError); each caller turns them into its own answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Any

from taskmock._core.clock import ManualClock
from taskmock._core.engine import TaskRecord, observe
from taskmock._core.roles import PollRequest
from taskmock._core.scenario import Behaviour
from taskmock._core.tasks import TaskService
from taskmock._core.template import format_time
from taskmock._http.faults import Fault, FaultPlan
from taskmock._http.journal import Journal, JournalEntry
from taskmock.errors import (
    ClockError,
    NoSuchTask,
    NotDocumented,
    UnknownNameError,
)

__all__ = ["Admin", "ClockInfo"]


@dataclass(frozen=True)
class ClockInfo:
    """The mock's clock: its kind, the time now (seconds and ISO 8601), its speed."""

    kind: str
    now: float
    iso: str
    speed: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"kind": self.kind, "now": self.now, "iso": self.iso, "speed": self.speed}


class Admin:
    """Every control operation on one mock: tasks, time, faults, the journal, reset."""

    def __init__(self, tasks: TaskService, journal: Journal, faults: FaultPlan) -> None:
        self._tasks = tasks
        self._journal = journal
        self._faults = faults

    # --- tasks -----------------------------------------------------------------------------

    @property
    def apis(self) -> list[str]:
        """The APIs this mock plays."""
        return list(self._tasks.behaviours)

    def create(
        self,
        api: str,
        scenario: str | None = None,
        *,
        owner: str | None = None,
        input: dict[str, Any] | None = None,
        fields: dict[str, Any] | None = None,
        kind: str | None = None,
    ) -> TaskRecord:
        """Create a task now. `owner`: a whole credential (`Token abc`) or a bare token (`abc`);
        none makes it public. `input` stands for the vendor create request; `fields` override
        its poll body; `kind` is which kind of the API's tasks (default its first)."""
        behaviour = self._tasks.behaviour(api).of_kind(kind)
        owned = behaviour.auth.owner_of(owner) if owner else None
        return self._tasks.create(api, scenario, owned, input, fields, kind=behaviour.kind)

    def task(
        self, api: str, task_id: Any, owner: str | None = None, kind: str | None = None
    ) -> TaskRecord:
        """A task (visible to `owner`, when given; of `kind`, when given); NoSuchTask
        otherwise."""
        self._tasks.behaviour(api)
        record = self._tasks.find(api, task_id, owner, kind)
        if record is None:
            raise NoSuchTask(api, task_id)
        return record

    def tasks(
        self, api: str | None = None, *, offset: int = 0, limit: int | None = None
    ) -> tuple[list[TaskRecord], int]:
        """A slice of the tasks (of one API, or of all by API), oldest first, and how many
        there are in all."""
        apis = [api] if api is not None else self.apis
        if api is not None:
            self._tasks.behaviour(api)
        total = sum(self._tasks.count(name, None) for name in apis)
        everything = (r for name in apis for r in self._tasks.visible(name, None))
        stop = None if limit is None else offset + limit
        return list(islice(everything, offset, stop)), total

    def fail(self, api: str, task_id: Any) -> TaskRecord:
        """Move the task to its scenario file's `failed` state now."""
        record = self.task(api, task_id)
        return self._tasks.force(record, self._tasks.forced_state(api, "failed", record.kind))

    def cancel(
        self, api: str, task_id: Any, owner: str | None = None, kind: str | None = None
    ) -> TaskRecord:
        """Move the task to its scenario file's `cancelled` state now (as its owner and of its
        kind, when given: the vendor cancel routes)."""
        record = self.task(api, task_id, owner, kind)
        return self._tasks.force(record, self._tasks.forced_state(api, "cancelled", record.kind))

    def delete(self, api: str, task_id: Any, owner: str | None = None) -> TaskRecord:
        """Delete the task (as its owner, when given: the vendor delete routes): from then on
        it is not found. An owner's own task is removed from the store with its index entries;
        a public one is deleted for that owner only. Returns the record it was."""
        record = self.task(api, task_id, owner)
        self._tasks.delete(record, owner)
        return record

    def transition(self, api: str, task_id: Any, state: Any) -> TaskRecord:
        """Move the task to `state`, if its lifecycle allows that next from where it is."""
        return self._tasks.force(self.task(api, task_id), state)

    def all_tasks(self, api: str | None = None) -> list[TaskRecord]:
        """Every task (of one API, or of all by API), oldest first."""
        return self.tasks(api)[0]

    def state(self, record: TaskRecord) -> Any:
        """The task's state now, in the vendor's vocabulary."""
        return observe(record, self._tasks.clock.now()).state

    def terminal(self, record: TaskRecord) -> bool:
        """Whether the task has reached a terminal state."""
        return self.state(record) in self._tasks.behaviour_of(record).lifecycle.terminal

    def body(self, record: TaskRecord, base_url: str) -> Any:
        """The task's poll body now, as its vendor route answers it."""
        return self._tasks.view(record, base_url).body

    def behaviour(self, api: str) -> Behaviour:
        """How the mock plays an API (its auth, paths, lifecycle, scenarios): read only."""
        return self._tasks.behaviour(api)

    def poll_request(self, record: TaskRecord) -> PollRequest:
        """The request that polls a task on this mock: method, path (the API's prefix included)
        and the JSON body of a poll that sends the id in it."""
        return self._tasks.poll_request(record)

    def describe(self, record: TaskRecord, base_url: str, detail: bool = False) -> dict[str, Any]:
        """A task as the control plane shows it: where to poll it, its state, and with
        `detail` its timeline (past and planned) and its poll body now."""
        behaviour = self._tasks.behaviour_of(record)
        state = observe(record, self._tasks.clock.now()).state
        poll = self._tasks.poll_request(record)
        summary: dict[str, Any] = {
            "api": record.api,
            "id": record.id,
            "scenario": record.scenario,
            "owner": record.owner,
            "state": state,
            "terminal": state in behaviour.lifecycle.terminal,
            "created_at": format_time(record.created_at, "iso-ms"),
            "poll_path": poll.path,
            "poll_url": base_url + poll.path,
        }
        if record.kind:
            summary["kind"] = record.kind
        if poll.method != "GET":  # a poll that sends the id in its body
            summary["poll_method"] = poll.method
            summary["poll_body"] = poll.body
        if detail:
            summary["timeline"] = self._tasks.timeline(record)
            summary["body"] = self._tasks.view(record, base_url).body
        return summary

    # --- time ------------------------------------------------------------------------------

    def now(self) -> float:
        """The mock's time now (seconds since the epoch)."""
        return self._tasks.clock.now()

    def clock(self) -> ClockInfo:
        """The clock now."""
        clock = self._tasks.clock
        now = clock.now()
        return ClockInfo(clock.kind, now, format_time(now, "iso-ms"), getattr(clock, "speed", 1.0))

    def advance(self, seconds: float) -> ClockInfo:
        """Move a manual clock forward (ClockError: not manual, or past 9999-12-31)."""
        clock = self._tasks.clock
        if not isinstance(clock, ManualClock):
            raise ClockError(
                f"the clock is {clock.kind}, not manual: start the mock with --clock manual "
                "(the fixture: @pytest.mark.taskmock(clock='manual')) to advance time"
            )
        if not seconds >= 0:
            raise ClockError("a clock only moves forward: seconds must be >= 0")
        clock.advance(float(seconds))
        return self.clock()

    # --- faults ----------------------------------------------------------------------------

    def throttle(
        self, api: str, count: int = 1, retry_after: int = 1, operation: str | None = None
    ) -> Fault:
        """Answer the next `count` requests to `api` (or to one of its operations) with its
        documented rate-limit answer; NotDocumented when it documents none."""
        behaviour = self._tasks.behaviour(api)
        operations = [
            op_id
            for kind in behaviour.every_kind
            if "rate-limited" in kind.errors
            for op_id in kind.operations
        ]
        if not operations:
            raise NotDocumented(f"{api} documents no rate limiting, so the mock has no answer")
        if operation is not None and operation not in operations:
            raise UnknownNameError(f"operation of {api}", operation, operations)
        fault = Fault(api, int(count), int(retry_after), operation)
        if fault.count:
            self._faults.add(fault)
        return fault

    def faults(self) -> list[Fault]:
        """The faults still to happen."""
        return self._faults.pending()

    def clear_faults(self) -> None:
        """Forget every planned fault."""
        self._faults.clear()

    # --- the journal and reset -----------------------------------------------------------------

    def requests(self) -> list[JournalEntry]:
        """Every vendor request the journal keeps, oldest first (virtual timestamps)."""
        return list(self._journal)

    def clear_requests(self) -> None:
        """Forget the journal."""
        self._journal.clear()

    def reset(self) -> None:
        """Forget every task, upload, journal entry and planned fault; the example tasks come
        back and a manual clock returns to its start."""
        self._tasks.reset()
        self._journal.clear()
        self._faults.clear()

    def health(self) -> dict[str, Any]:
        """Liveness: the APIs and how many tasks there are."""
        return {"status": "ok", "apis": self.apis, "tasks": len(self._tasks.store)}
