"""The task service: create, find, delete and force tasks and uploads (rendering is `Answers`').
Shared by every front end, no HTTP."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from taskmock._core.answers import Answers
from taskmock._core.catalog import Catalog, bundled_catalog
from taskmock._core.clock import Clock
from taskmock._core.engine import NOTHING, Observation, PlannedStep, TaskRecord, observe, plan_steps
from taskmock._core.examples import ExampleSet, example_set
from taskmock._core.lifecycle import EMPTY_VALUES
from taskmock._core.roles import Collect, Find, Forget, Poll, PollRequest, Remove
from taskmock._core.scenario import Behaviour
from taskmock._core.store import InMemoryTaskStore
from taskmock._core.template import (
    RequestFacts,
    dumps,
    format_time,
    leaf_templates,
    render,
    render_path,
)
from taskmock.errors import CapacityError, InvalidTransition, UnknownNameError

__all__ = [
    "Capacity",
    "CapacityError",
    "InvalidTransition",
    "TaskService",
    "TaskView",
]


@dataclass(frozen=True)
class Capacity:
    """How much the mock keeps: it refuses new work beyond these, with a clear error."""

    max_records: int = 100_000  # tasks and uploads together, until a reset
    max_input_bytes: int = 1024 * 1024  # one task's stored create input, as JSON
    max_stored_input: int = 256 * 1024 * 1024  # every task's stored input together


@dataclass(frozen=True)
class TaskView:
    """A task at one moment: its record, what it looks like, and its poll body."""

    record: TaskRecord
    observation: Observation
    body: Any


class TaskService:
    """Tasks of every loaded API, on one clock, with ids and values derived from one seed."""

    def __init__(
        self,
        clock: Clock,
        seed: int = 0,
        apis: tuple[str, ...] | None = None,
        capacity: Capacity | None = None,
        catalog: Catalog | None = None,
        example_tasks: bool = True,
        jwt_keys: Mapping[str, str] | None = None,
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.capacity = capacity or Capacity()
        self.catalog = catalog or bundled_catalog()
        self.store = InMemoryTaskStore()
        self._stored_input = 0
        names = apis if apis is not None else self.catalog.names
        # Keys given to the server or the fixture, added to every API's signed auth.
        self.behaviours: dict[str, Behaviour] = {
            name: _with_keys(self.catalog.behaviour(name), jwt_keys or {}) for name in names
        }
        kinds = [kind for b in self.behaviours.values() for kind in b.every_kind]
        # Values derived from tasks that requests look tasks up by (find, forget, collect roles):
        # (field path, the templates that can produce it, or () when only rendering tells).
        self._derived: dict[tuple[str, str], list[tuple[str, tuple[str, ...], list[Any]]]] = {
            (kind.api, kind.kind): [
                (field_path, path, leaf_templates(kind.body, path, kind.templates))
                for field_path in sorted(
                    {
                        op.field
                        for op in kind.operations.values()
                        if isinstance(op, Find | Forget | Collect)
                    }
                )
                for path in [tuple(field_path.split("."))]
            ]
            for kind in kinds
        }
        # Input fields that refer to stored resources (`in-use-by`), indexed at creation.
        self._uses: dict[tuple[str, str], set[str]] = {
            (kind.api, kind.kind): {
                op.in_use_by
                for op in kind.operations.values()
                if isinstance(op, Remove) and op.in_use_by
            }
            for kind in kinds
        }
        # Everything rendered about tasks (poll bodies and their per-step cache, answers, pages).
        self.answers = Answers(self.behaviours, clock, seed)
        # --- example records (_core/examples.py): the ids the specs' examples name ---
        self.examples: dict[str, ExampleSet] = (
            {api: example_set(b) for api, b in self.behaviours.items()} if example_tasks else {}
        )
        self._plant_examples()

    def _plant_examples(self) -> None:
        now = self.clock.now()
        for examples in self.examples.values():
            for record in examples.task_records(now):
                self.store.put(record)
                self._index(record)
            for kind, resource in examples.resource_records(now):
                self.store.put_resource(kind, resource)

    def _reserved(self, api: str) -> frozenset[str]:
        return self.examples[api].reserved if api in self.examples else frozenset()

    def _next_id(self, api: str, key: str, make: Callable[[int], Any]) -> tuple[int, Any]:
        """Allocate the next counter of `key` and its id, skipping the ids of example records
        (and of another kind's tasks: the kinds of one API share its ids)."""
        reserved = self._reserved(api)
        while True:
            counter = self.store.allocate(key)
            made = make(counter)
            if str(made) not in reserved and self.store.get(api, made) is None:
                return counter, made

    def next_task_id(self, api: str, kind: str | None = None) -> Any:
        """The id the next task of `api` (of `kind`) will get (nothing is allocated)."""
        behaviour = self.behaviour(api).of_kind(kind)
        counter = self.store.peek(_counter(behaviour))
        while str(behaviour.make_id(self.seed, counter)) in self._reserved(api):
            counter += 1
        return behaviour.make_id(self.seed, counter)

    # --- end of example records ---

    def behaviour(self, api: str) -> Behaviour:
        """The behaviour of a loaded API."""
        if api not in self.behaviours:
            raise UnknownNameError("API", api, self.behaviours)
        return self.behaviours[api]

    def behaviour_of(self, record: TaskRecord) -> Behaviour:
        """The behaviour of a task's API and kind."""
        return self.behaviours[record.api].of_kind(record.kind)

    def create(
        self,
        api: str,
        scenario: str | None = None,
        owner: str | None = None,
        input: Mapping[str, Any] | None = None,
        fields: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        deadline: tuple[float, Mapping[Any, Any]] | None = None,
        kind: str | None = None,
    ) -> TaskRecord:
        """Create a task now (of `kind`, default the API's first). Without a scenario, the create
        input selects one (or the default).

        `params` are the create request's path parameters (templates read them with `param`);
        `deadline` is (seconds from now, {state: outcome}): see `TaskRecord.with_deadline`.
        """
        behaviour = self.behaviour(api).of_kind(kind)
        given = dict(input or {})
        chosen = behaviour.scenario(
            scenario if scenario is not None else behaviour.scenario_for_input(given)
        )
        merged = {**chosen.input, **given}
        size = self._admit(merged)
        key = _counter(behaviour)
        counter, task_id = self._next_id(api, key, lambda c: behaviour.make_id(self.seed, c))
        # Stable across processes (str hashing is randomised per process; Random(str) is not).
        seed = random.Random(f"{self.seed}:{key}:{counter}").getrandbits(31)
        now = self.clock.now()
        record = TaskRecord(
            api=api,
            id=task_id,
            scenario=chosen.name,
            seed=seed,
            created_at=now,
            plan=plan_steps(chosen.path, now, seed),
            owner=owner,
            input=merged,
            fields=dict(fields) if fields else NOTHING,
            serial=counter,
            params=dict(params) if params else NOTHING,
            kind=behaviour.kind,
        )
        if deadline is not None:
            record = record.with_deadline(now + deadline[0], deadline[1])
        self.store.put(record)
        self._stored_input += size
        self._index(record)
        return record

    def _admit(self, given: Mapping[str, Any]) -> int:
        """The stored size of a new record's input; CapacityError when it may not be stored."""
        limits = self.capacity
        if self.store.records >= limits.max_records:
            raise CapacityError(
                f"taskmock keeps at most {limits.max_records} tasks and uploads; "
                "reset it (POST /__taskmock/reset) or raise the limit",
                507,
            )
        size = len(dumps(given)) if given else 0
        if size > limits.max_input_bytes:
            raise CapacityError(
                f"taskmock stores at most {limits.max_input_bytes} bytes of input per task; "
                f"this one has {size}",
                413,
            )
        if self._stored_input + size > limits.max_stored_input:
            raise CapacityError(
                f"taskmock stores at most {limits.max_stored_input} bytes of task input in all; "
                "reset it (POST /__taskmock/reset) or raise the limit",
                507,
            )
        return size

    def _index(self, record: TaskRecord) -> None:
        """Index what requests find this task by: derived values and the resources it uses."""
        ctx = self.answers.context(observe(record, record.created_at))
        key = (record.api, record.kind)
        for field_path, path, leaves in self._derived[key]:
            if record.fields and path[0] in record.fields:  # a control-plane override
                leaves = [render_path({path[0]: record.fields[path[0]]}, path, ctx)]
            for leaf in leaves:
                value = render(leaf, ctx)
                if not _empty(value):
                    self.store.index_derived(record.api, field_path, value, record.id)
        for field_name in self._uses[key]:
            value = record.input.get(field_name)
            if value is not None and not isinstance(value, dict | list):
                self.store.index_use(record.api, field_name, value, record.id)

    def create_resource(
        self, api: str, kind: str, owner: str | None, input: Mapping[str, Any]
    ) -> TaskRecord:
        """Store an uploaded resource of `kind`; it renders like a task that never changes."""
        behaviour = self.behaviour(api)
        size = self._admit(input)
        counter, resource_id = self._next_id(
            api, f"{api}:{kind}", lambda c: behaviour.make_id(self.seed + 1, c)
        )
        now = self.clock.now()
        initial = next(iter(behaviour.lifecycle.initial))
        record = TaskRecord(
            api,
            resource_id,
            behaviour.default_scenario,
            self.seed,
            now,
            (PlannedStep(initial, now, None),),
            owner,
            dict(input),
            serial=counter,
            kind=behaviour.kind,
        )
        self.store.put_resource(kind, record)
        self._stored_input += size
        return record

    def find_resource(
        self, api: str, kind: str, resource_id: Any, owner: str | None
    ) -> TaskRecord | None:
        """A stored resource visible to `owner`."""
        record = self.store.get_resource(api, kind, resource_id)
        if record is None or (owner is not None and record.owner not in (None, owner)):
            return None
        return record

    def drop_resource(self, api: str, kind: str, resource_id: Any) -> None:
        """Delete a stored resource."""
        self.store.drop_resource(api, kind, resource_id)

    def visible_resources(self, api: str, kind: str, owner: str | None) -> Iterator[TaskRecord]:
        """The stored resources of `kind` that `owner` may see (every one when owner is None)."""
        return self.store.visible_resources(api, kind, owner, everyone=owner is None)

    def count_resources(self, api: str, kind: str, owner: str | None) -> int:
        """How many stored resources of `kind` `owner` may see."""
        return self.store.count_resources(api, kind, owner, everyone=owner is None)

    def find(
        self, api: str, task_id: Any, owner: str | None = None, kind: str | None = None
    ) -> TaskRecord | None:
        """A task visible to `owner` (tasks without an owner are visible to everyone who has not
        deleted them); with `kind`, only a task of that kind."""
        record = self.store.get(api, task_id)
        if record is None or (kind is not None and record.kind != kind):
            return None
        # `sees`, inlined: this is every poll's lookup.
        if owner is None or record.owner == owner:
            return record
        if record.owner is None and not self.store.hidden(record, owner):
            return record
        return None

    def sees(self, owner: str | None, record: TaskRecord) -> bool:
        """Whether `owner` may see a task: its own, or a public one it has not deleted (None, the
        control plane, sees every task)."""
        if owner is None or record.owner == owner:
            return True
        return record.owner is None and not self.store.hidden(record, owner)

    def delete(self, record: TaskRecord, owner: str | None) -> None:
        """Delete a task for `owner`: its own task is removed with every index entry of it; a
        public one is deleted for `owner` only (other owners' tests still see it)."""
        if record.owner is None and owner is not None:
            self.store.hide(record, owner)
            return
        if self.store.remove(record.api, record.id) is not None:
            # What it was admitted with, measured again (a dict per task would cost more).
            self._stored_input -= len(dumps(record.input)) if record.input else 0

    def _kinds(self, api: str, kind: str | None) -> tuple[str, ...]:
        if kind is not None:
            return (kind,)
        return tuple(k.kind for k in self.behaviour(api).every_kind)

    def visible(self, api: str, owner: str | None, kind: str | None = None) -> Iterator[TaskRecord]:
        """The tasks of `api` (of `kind`, else every kind) that `owner` may see (every one when
        owner is None), oldest first."""
        return self.store.visible(api, owner, owner is None, self._kinds(api, kind))

    def count(self, api: str, owner: str | None, kind: str | None = None) -> int:
        """How many tasks of `api` (of `kind`, else every kind) `owner` may see."""
        return self.store.count(api, owner, owner is None, self._kinds(api, kind))

    def derived_value(self, record: TaskRecord, field_path: str, base_url: str = "") -> Any:
        """The value a task carries now at a dotted body path (`output_video.id`), or None."""
        behaviour = self.behaviour_of(record)
        ctx = self.answers.context(observe(record, self.clock.now()), base_url)
        template = behaviour.task_body(behaviour.scenarios[record.scenario])
        path = tuple(field_path.split("."))
        if record.fields and path[0] in record.fields:
            return render_path({path[0]: record.fields[path[0]]}, path, ctx)
        return render_path(template, path, ctx)

    def find_derived(
        self, api: str, field_path: str, value: Any, owner: str | None
    ) -> TaskRecord | None:
        """The task visible to `owner` that carries `value` at `field_path` now, unless `owner`
        deleted it (`forget`). An index answers when the value is known at creation."""
        if _empty(value) or self.store.forgotten(api, field_path, value, owner):
            return None
        indexed = any(
            leaves
            for (derived_api, _), entries in self._derived.items()
            if derived_api == api
            for name, _, leaves in entries
            if name == field_path
        )
        candidates: Iterator[TaskRecord] = (
            iter([c for c in [self.store.derived(api, field_path, value)] if c is not None])
            if indexed
            else self.visible(api, owner)  # the value is only known by rendering: look at each
        )
        for record in candidates:
            if not self.sees(owner, record):
                continue
            if str(self.derived_value(record, field_path)) == str(value):
                return record
        return None

    def carrying(
        self, api: str, field_path: str, owner: str | None, kind: str | None = None
    ) -> Iterator[TaskRecord]:
        """The tasks (of `kind`) visible to `owner` that carry a value at `field_path` now (not
        deleted)."""
        for record in self.visible(api, owner, kind):
            value = self.derived_value(record, field_path)
            if not _empty(value) and not self.store.forgotten(api, field_path, value, owner):
                yield record

    def forget(self, api: str, field_path: str, value: Any, owner: str | None) -> None:
        """Delete a derived value (a restored video) for `owner`: it no longer finds or lists it."""
        self.store.forget(api, field_path, value, owner)

    def users(self, api: str, field_name: str, value: Any) -> list[TaskRecord]:
        """The tasks whose create input refers to `value` in `field_name` (`in-use-by`)."""
        return self.store.users(api, field_name, value)

    def view(
        self,
        record: TaskRecord,
        base_url: str = "",
        request: RequestFacts | None = None,
        poll: Poll | None = None,
    ) -> TaskView:
        """The task now, with its rendered poll body (the poll's own body, if it has one;
        control-plane field overrides applied)."""
        observation = observe(record, self.clock.now())
        return TaskView(
            record, observation, self.answers.render_body(observation, base_url, request, poll)
        )

    def poll_request(self, record: TaskRecord, poll: Poll | None = None) -> PollRequest:
        """The request that polls a task through `poll` (default its kind's first poll), with the
        path where the mock serves it (the API's prefix included)."""
        behaviour = self.behaviour_of(record)
        poll = poll or behaviour.poll
        sent = None
        if poll.value is not None:
            sent = render(poll.value, self.answers.context(observe(record, self.clock.now())))
        others = {**behaviour.spec.path_examples(poll.operation), **record.params}
        method, path, body = poll.request_for(record.id, sent, others)
        return PollRequest(method, behaviour.base_path + path, body)

    def force(self, record: TaskRecord, state: Any) -> TaskRecord:
        """Move a task to `state` now, if its lifecycle has that transition from where it is."""
        lifecycle = self.behaviour_of(record).lifecycle
        if isinstance(state, bool) or not isinstance(state, str | int):
            raise InvalidTransition(
                f"a state is a string or an integer, not {type(state).__name__}"
            )
        current = observe(record, self.clock.now()).state
        target = lifecycle.canonical(state)
        if not lifecycle.is_state(state):
            raise InvalidTransition(f"{state!r} is not a state of {record.api} tasks")
        if current in lifecycle.terminal:
            raise InvalidTransition(
                f"task {record.id} is already {lifecycle.label(current)}, a terminal state"
            )
        if target not in lifecycle.successors(current):
            raise InvalidTransition(
                f"{lifecycle.label(current)} -> {lifecycle.label(target)} is not allowed"
            )
        updated = record.force(self.clock.now(), target)
        if record.api in self.examples:
            updated = self.examples[record.api].after_force(updated)
        self.store.put(updated)
        return updated

    def forced_state(self, api: str, which: str, kind: str | None = None) -> Any:
        """The state the scenario file names for `failed` or `cancelled` (`which`), for tasks of
        `kind` (default the API's first)."""
        states = self.behaviour(api).of_kind(kind).forced_states
        if which not in states:
            raise InvalidTransition(f"{api} has no {which} state")
        return states[which]

    def timeline(self, record: TaskRecord) -> list[dict[str, Any]]:
        """The task's states over time (past and planned), for inspection."""
        behaviour = self.behaviour_of(record)
        now = self.clock.now()
        return [
            {
                "state": step.state,
                "at": format_time(step.at, "iso-ms"),
                "seconds": round(step.at - record.created_at, 3),
                "dwell": step.dwell,
                "reached": step.at <= now,
                "terminal": step.state in behaviour.lifecycle.terminal,
            }
            for step in record.timeline()
        ]

    def reset(self) -> None:
        """Forget every task and upload (the example records come back as they started); a
        manual clock goes back to where it started."""
        self.store.clear()
        self.answers.clear()
        self._stored_input = 0
        restart = getattr(self.clock, "restart", None)
        if restart is not None:
            restart()
        self._plant_examples()


def _counter(behaviour: Behaviour) -> str:
    """The id counter of a kind of task (the API's name for an API of one kind)."""
    return f"{behaviour.api}/{behaviour.kind}" if behaviour.kind else behaviour.api


def _with_keys(behaviour: Behaviour, keys: Mapping[str, str]) -> Behaviour:
    """The behaviour with signing keys added to its auth (a plain auth takes none)."""
    return behaviour.with_auth(behaviour.auth.with_keys(keys)) if keys else behaviour


def _empty(value: Any) -> bool:
    """Whether a derived value counts as absent (None, "" or 0, as field rules count them)."""
    return value is None or (not isinstance(value, bool) and value in EMPTY_VALUES)
