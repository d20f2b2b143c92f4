"""The task service: create, observe, render and force tasks. Shared by every front end, no HTTP."""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from taskmock.core.catalog import Catalog, bundled_catalog
from taskmock.core.clock import Clock
from taskmock.core.engine import Observation, PlannedStep, TaskRecord, observe, plan_steps
from taskmock.core.examples import ExampleSet, example_set
from taskmock.core.lifecycle import EMPTY_VALUES
from taskmock.core.roles import Collect, Find, Forget, Remove
from taskmock.core.scenario import Behaviour
from taskmock.core.store import InMemoryTaskStore
from taskmock.core.template import (
    CompiledBody,
    RenderContext,
    RequestFacts,
    dumps,
    format_time,
    leaf_templates,
    render,
    render_path,
)
from taskmock.errors import CapacityError, InvalidTransition, UnknownNameError

__all__ = [
    "FRAGMENT_CACHE_BYTES",
    "FRAGMENT_CACHE_SIZE",
    "Capacity",
    "CapacityError",
    "InvalidTransition",
    "TaskService",
    "TaskView",
]

#: How many tasks keep their encoded poll fragments (the most recently polled ones), and how many
#: bytes those fragments may take together (a body echoes the request's Host in its URLs).
FRAGMENT_CACHE_SIZE = 4096
FRAGMENT_CACHE_BYTES = 32 * 1024 * 1024
# Base URLs longer than this (a forged Host header) are rendered, never cached.
_CACHEABLE_BASE_URL = 256


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
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.capacity = capacity or Capacity()
        self.catalog = catalog or bundled_catalog()
        self.store = InMemoryTaskStore()
        self._stored_input = 0
        self._input_sizes: dict[tuple[str, str], int] = {}  # what deleting a task gives back
        names = apis if apis is not None else self.catalog.names
        self.behaviours: dict[str, Behaviour] = {
            name: self.catalog.behaviour(name) for name in names
        }
        # Values derived from tasks that requests look tasks up by (find, forget, collect roles):
        # (field path, the templates that can produce it, or () when only rendering tells).
        self._derived: dict[str, list[tuple[str, tuple[str, ...], list[Any]]]] = {
            api: [
                (field_path, path, leaf_templates(behaviour.body, path, behaviour.templates))
                for field_path in sorted(
                    {
                        op.field
                        for op in behaviour.operations.values()
                        if isinstance(op, Find | Forget | Collect)
                    }
                )
                for path in [tuple(field_path.split("."))]
            ]
            for api, behaviour in self.behaviours.items()
        }
        # Input fields that refer to stored resources (`in-use-by`), indexed at creation.
        self._uses: dict[str, set[str]] = {
            api: {
                op.in_use_by
                for op in behaviour.operations.values()
                if isinstance(op, Remove) and op.in_use_by
            }
            for api, behaviour in self.behaviours.items()
        }
        self._compiled: dict[tuple[str, str], CompiledBody] = {
            (api, name): CompiledBody(template, behaviour.templates)
            for api, behaviour in self.behaviours.items()
            for name, scenario in behaviour.scenarios.items()
            # A body that is itself an expression (`{$: ref}`) has no members to split: rendered.
            if isinstance(template := behaviour.task_body(scenario), dict) and "$" not in template
        }
        # (id(record), base URL) -> (record, steps entered, fragments, whole body if it has no
        # per-instant member, size in bytes). Records are immutable (forcing makes a new one) and
        # the entry holds its record alive, so no other record can have that id meanwhile.
        self._fragments: OrderedDict[
            tuple[int, str], tuple[TaskRecord, int, list[str | None], str | None, int]
        ] = OrderedDict()
        self._fragment_bytes = 0
        # --- example records (core/examples.py): the ids the specs' examples name ---
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
        """Allocate the next counter of `key` and its id, skipping the ids of example records."""
        reserved = self._reserved(api)
        while True:
            counter = self.store.allocate(key)
            if str(made := make(counter)) not in reserved:
                return counter, made

    def next_task_id(self, api: str) -> Any:
        """The id the next task of `api` will get (nothing is allocated)."""
        behaviour, counter = self.behaviour(api), self.store.peek(api)
        while str(behaviour.make_id(self.seed, counter)) in self._reserved(api):
            counter += 1
        return behaviour.make_id(self.seed, counter)

    # --- end of example records ---

    def behaviour(self, api: str) -> Behaviour:
        """The behaviour of a loaded API."""
        if api not in self.behaviours:
            raise UnknownNameError("API", api, self.behaviours)
        return self.behaviours[api]

    def create(
        self,
        api: str,
        scenario: str | None = None,
        owner: str | None = None,
        input: Mapping[str, Any] | None = None,
        fields: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        deadline: tuple[float, Mapping[Any, Any]] | None = None,
    ) -> TaskRecord:
        """Create a task now. Without a scenario, the create input selects one (or the default).

        `params` are the create request's path parameters (templates read them with `param`);
        `deadline` is (seconds from now, {state: outcome}): see `TaskRecord.with_deadline`.
        """
        behaviour = self.behaviour(api)
        given = dict(input or {})
        chosen = behaviour.scenario(
            scenario if scenario is not None else behaviour.scenario_for_input(given)
        )
        size = self._admit(given)
        counter, task_id = self._next_id(api, api, lambda c: behaviour.make_id(self.seed, c))
        # Stable across processes (str hashing is randomised per process; Random(str) is not).
        seed = random.Random(f"{self.seed}:{api}:{counter}").getrandbits(31)
        now = self.clock.now()
        record = TaskRecord(
            api=api,
            id=task_id,
            scenario=chosen.name,
            seed=seed,
            created_at=now,
            plan=plan_steps(chosen.path, now, seed),
            owner=owner,
            input={**chosen.input, **given},
            fields=dict(fields or {}),
            serial=counter,
            params=dict(params or {}),
        )
        if deadline is not None:
            record = record.with_deadline(now + deadline[0], deadline[1])
        self.store.put(record)
        self._stored_input += size
        if size:
            self._input_sizes[(api, str(task_id))] = size
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
        ctx = self.context(observe(record, record.created_at))
        for field_path, path, leaves in self._derived[record.api]:
            if record.fields and path[0] in record.fields:  # a control-plane override
                leaves = [render_path({path[0]: record.fields[path[0]]}, path, ctx)]
            for leaf in leaves:
                value = render(leaf, ctx)
                if not _empty(value):
                    self.store.index_derived(record.api, field_path, value, record.id)
        for field_name in self._uses[record.api]:
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

    def find(self, api: str, task_id: Any, owner: str | None = None) -> TaskRecord | None:
        """A task visible to `owner` (tasks without an owner are visible to everyone who has not
        deleted them)."""
        record = self.store.get(api, task_id)
        if record is None or not self.sees(owner, record):
            return None
        return record

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
            self.store.hide(record.api, record.id, owner)
            return
        if self.store.remove(record.api, record.id) is not None:
            self._stored_input -= self._input_sizes.pop((record.api, str(record.id)), 0)

    def visible(self, api: str, owner: str | None) -> Iterator[TaskRecord]:
        """The tasks of `api` that `owner` may see (every one when owner is None), oldest first."""
        return self.store.visible(api, owner, everyone=owner is None)

    def count(self, api: str, owner: str | None) -> int:
        """How many tasks of `api` `owner` may see."""
        return self.store.count(api, owner, everyone=owner is None)

    def derived_value(self, record: TaskRecord, field_path: str, base_url: str = "") -> Any:
        """The value a task carries now at a dotted body path (`output_video.id`), or None."""
        behaviour = self.behaviours[record.api]
        ctx = self.context(observe(record, self.clock.now()), base_url)
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
        indexed = any(leaves for name, _, leaves in self._derived[api] if name == field_path)
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

    def carrying(self, api: str, field_path: str, owner: str | None) -> Iterator[TaskRecord]:
        """The tasks visible to `owner` that carry a value at `field_path` now (not deleted)."""
        for record in self.visible(api, owner):
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
        self, record: TaskRecord, base_url: str = "", request: RequestFacts | None = None
    ) -> TaskView:
        """The task now, with its rendered poll body (control-plane field overrides applied)."""
        observation = observe(record, self.clock.now())
        return TaskView(record, observation, self.render_body(observation, base_url, request))

    def poll_json(
        self,
        record: TaskRecord,
        base_url: str = "",
        request: RequestFacts | None = None,
        observation: Observation | None = None,
    ) -> str:
        """The poll body now, as JSON text: the hot path, equal to encoding `view(...).body`.

        The members that hold while the task stays in its current step are encoded once per step
        and kept (bounded LRU); a poll renders only the members that change with the time
        (progress, seconds remaining) or with the request (its query), or nothing when the body
        has none. `observation`: the task observed now, when the caller has it already.
        """
        if observation is None:
            observation = observe(record, self.clock.now())
        compiled = self._compiled.get((record.api, record.scenario))
        if compiled is None or record.fields or len(base_url) > _CACHEABLE_BASE_URL:
            return dumps(self.render_body(observation, base_url, request))
        key = (id(record), base_url)
        reached = len(observation.steps)
        entry = self._fragments.get(key)
        if entry is None or entry[1] != reached:
            entry = self._remember(key, record, reached, compiled, observation, base_url)
        else:
            try:  # noqa: SIM105 - the hot path: suppress() would cost a context manager per poll
                self._fragments.move_to_end(key)
            except KeyError:  # another thread (the plugin's server is threaded) evicted it
                pass
        if entry[3] is not None:
            return entry[3]
        return compiled.render_json(self._body_context(observation, base_url, request), entry[2])

    def _remember(
        self,
        key: tuple[int, str],
        record: TaskRecord,
        reached: int,
        compiled: CompiledBody,
        observation: Observation,
        base_url: str,
    ) -> tuple[TaskRecord, int, list[str | None], str | None, int]:
        """Encode a task's fragments for its current step and keep them (LRU, bounded in entries
        and in bytes)."""
        ctx = self._body_context(observation, base_url)
        fragments = compiled.step_fragments(ctx)
        whole = None if compiled.instant else compiled.render_json(ctx, fragments)
        size = sum(len(f) for f in fragments if f is not None) + len(whole or "")
        entry = (record, reached, fragments, whole, size)
        previous = self._fragments.pop(key, None)
        if previous is not None:
            self._fragment_bytes -= previous[4]
        self._fragments[key] = entry
        self._fragment_bytes += size
        while self._fragments and (
            len(self._fragments) > FRAGMENT_CACHE_SIZE
            or self._fragment_bytes > FRAGMENT_CACHE_BYTES
        ):
            try:
                _, evicted = self._fragments.popitem(last=False)
            except KeyError:  # emptied by another thread meanwhile
                break
            self._fragment_bytes -= evicted[4]
        return entry

    def render_body(
        self, observation: Observation, base_url: str = "", request: RequestFacts | None = None
    ) -> Any:
        """The poll body of an observed task."""
        behaviour = self.behaviours[observation.record.api]
        template = behaviour.task_body(behaviour.scenarios[observation.record.scenario])
        body = render(template, self._body_context(observation, base_url, request))
        if observation.record.fields and isinstance(body, dict):
            body.update(observation.record.fields)
        return body

    def context(
        self,
        observation: Observation,
        base_url: str = "",
        request: RequestFacts | None = None,
        **extra: Any,
    ) -> RenderContext:
        """A render context for templates of the observed task's API (`request`: the request
        being answered, for templates that read it)."""
        behaviour = self.behaviours[observation.record.api]
        return RenderContext(
            observation,
            behaviour.time_format,
            base_url,
            behaviour.templates,
            base_path=behaviour.base_path,
            request=request,
            task_body=behaviour.bodies.get(observation.record.scenario),
            **extra,
        )

    def _body_context(
        self, observation: Observation, base_url: str, request: RequestFacts | None = None
    ) -> RenderContext:
        """The context the task's body renders in: the poll path (positional arguments are the
        cheapest; the body cannot hold `{$: task}`, so it needs no body of its own)."""
        behaviour = self.behaviours[observation.record.api]
        return RenderContext(
            observation,
            behaviour.time_format,
            base_url,
            behaviour.templates,
            None,
            None,
            None,
            behaviour.base_path,
            request,
        )

    def ephemeral(self, api: str, task_id: Any, owner: str | None) -> Observation:
        """An observation of a stand-in record, for rendering answers that concern no task."""
        behaviour = self.behaviour(api)
        now = self.clock.now()
        initial = next(iter(behaviour.lifecycle.initial))
        record = TaskRecord(
            api,
            task_id,
            behaviour.default_scenario,
            self.seed,
            now,
            (PlannedStep(initial, now, None),),
            owner,
        )
        return observe(record, now)

    def force(self, record: TaskRecord, state: Any) -> TaskRecord:
        """Move a task to `state` now, if its lifecycle has that transition from where it is."""
        lifecycle = self.behaviour(record.api).lifecycle
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

    def forced_state(self, api: str, kind: str) -> Any:
        """The state the scenario file names for `failed` or `cancelled`."""
        states = self.behaviour(api).forced_states
        if kind not in states:
            raise InvalidTransition(f"{api} has no {kind} state")
        return states[kind]

    def timeline(self, record: TaskRecord) -> list[dict[str, Any]]:
        """The task's states over time (past and planned), for inspection."""
        behaviour = self.behaviour(record.api)
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
        self._fragments.clear()
        self._fragment_bytes = 0
        self._stored_input = 0
        self._input_sizes.clear()
        restart = getattr(self.clock, "restart", None)
        if restart is not None:
            restart()
        self._plant_examples()


def _empty(value: Any) -> bool:
    """Whether a derived value counts as absent (None, "" or 0, as field rules count them)."""
    return value is None or (not isinstance(value, bool) and value in EMPTY_VALUES)
