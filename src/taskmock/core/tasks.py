"""The task service: create, observe, render and force tasks. Shared by every front end, no HTTP."""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from taskmock.core.clock import Clock
from taskmock.core.engine import Observation, PlannedStep, TaskRecord, observe, plan_steps
from taskmock.core.examples import ExampleSet, example_set
from taskmock.core.scenario import Behaviour, load_behaviour
from taskmock.core.store import InMemoryTaskStore
from taskmock.core.template import CompiledBody, RenderContext, dumps, format_time, render
from taskmock.errors import TaskmockError, UnknownNameError
from taskmock.resources import available_apis

__all__ = ["FRAGMENT_CACHE_SIZE", "InvalidTransition", "TaskService", "TaskView"]

#: How many tasks keep their encoded poll fragments (the most recently polled ones).
FRAGMENT_CACHE_SIZE = 4096


class InvalidTransition(TaskmockError):
    """A forced transition the lifecycle does not allow (e.g. out of a terminal state)."""


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
        example_tasks: bool = True,
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.store = InMemoryTaskStore()
        names = apis if apis is not None else available_apis()
        self.behaviours: dict[str, Behaviour] = {name: load_behaviour(name) for name in names}
        self._compiled: dict[tuple[str, str], CompiledBody] = {
            (api, name): CompiledBody(template, behaviour.templates)
            for api, behaviour in self.behaviours.items()
            for name, scenario in behaviour.scenarios.items()
            if isinstance(template := behaviour.task_body(scenario), dict)
        }
        # (id(record), base URL) -> (record, steps entered, fragments, whole body if it has no
        # per-instant member). Records are immutable (forcing makes a new one) and the entry holds
        # its record alive, so no other record can have that id while the entry exists.
        self._fragments: OrderedDict[
            tuple[int, str], tuple[TaskRecord, int, list[str | None], str | None]
        ] = OrderedDict()
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
    ) -> TaskRecord:
        """Create a task now. Without a scenario, the create input selects one (or the default)."""
        behaviour = self.behaviour(api)
        given = dict(input or {})
        chosen = behaviour.scenario(
            scenario if scenario is not None else behaviour.scenario_for_input(given)
        )
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
        )
        self.store.put(record)
        return record

    def create_resource(
        self, api: str, kind: str, owner: str | None, input: Mapping[str, Any]
    ) -> TaskRecord:
        """Store an uploaded resource of `kind`; it renders like a task that never changes."""
        behaviour = self.behaviour(api)
        _, resource_id = self._next_id(
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
        )
        self.store.put_resource(kind, record)
        return record

    def find_resource(
        self, api: str, kind: str, resource_id: Any, owner: str | None
    ) -> TaskRecord | None:
        """A stored resource visible to `owner`."""
        record = self.store.get_resource(api, kind, resource_id)
        if record is None or (owner is not None and record.owner not in (None, owner)):
            return None
        return record

    def visible_resources(self, api: str, kind: str, owner: str | None) -> Iterator[TaskRecord]:
        """The stored resources of `kind` that `owner` may see."""
        for record in self.store.resources(api, kind):
            if owner is None or record.owner in (None, owner):
                yield record

    def find(self, api: str, task_id: Any, owner: str | None = None) -> TaskRecord | None:
        """A task visible to `owner` (tasks without an owner are visible to everyone)."""
        record = self.store.get(api, task_id)
        if record is None or (owner is not None and record.owner not in (None, owner)):
            return None
        return record

    def visible(self, api: str, owner: str | None) -> Iterator[TaskRecord]:
        """The tasks of `api` that `owner` may see, oldest first."""
        for record in self.store.all(api):
            if owner is None or record.owner in (None, owner):
                yield record

    def view(self, record: TaskRecord, base_url: str = "") -> TaskView:
        """The task now, with its rendered poll body (control-plane field overrides applied)."""
        observation = observe(record, self.clock.now())
        return TaskView(record, observation, self.render_body(observation, base_url))

    def poll_json(self, record: TaskRecord, base_url: str = "") -> str:
        """The poll body now, as JSON text: the hot path, equal to encoding `view(...).body`.

        The members that hold while the task stays in its current step are encoded once per step
        and kept (bounded LRU); a poll renders only the members that change with the time
        (progress, seconds remaining), or nothing when the body has none.
        """
        observation = observe(record, self.clock.now())
        compiled = self._compiled.get((record.api, record.scenario))
        if compiled is None or record.fields:
            return dumps(self.render_body(observation, base_url))
        key = (id(record), base_url)
        reached = len(observation.steps)
        entry = self._fragments.get(key)
        if entry is None or entry[1] != reached:
            ctx = self.context(observation, base_url)
            fragments = compiled.step_fragments(ctx)
            whole = None if compiled.instant else compiled.render_json(ctx, fragments)
            entry = (record, reached, fragments, whole)
            self._fragments[key] = entry
            if len(self._fragments) > FRAGMENT_CACHE_SIZE:
                self._fragments.popitem(last=False)
        else:
            try:  # noqa: SIM105 - the hot path: suppress() would cost a context manager per poll
                self._fragments.move_to_end(key)
            except KeyError:  # another thread (the plugin's server is threaded) evicted it
                pass
        if entry[3] is not None:
            return entry[3]
        return compiled.render_json(self.context(observation, base_url), entry[2])

    def render_body(self, observation: Observation, base_url: str = "") -> Any:
        """The poll body of an observed task."""
        behaviour = self.behaviours[observation.record.api]
        template = behaviour.task_body(behaviour.scenarios[observation.record.scenario])
        body = render(template, self.context(observation, base_url))
        if observation.record.fields and isinstance(body, dict):
            body.update(observation.record.fields)
        return body

    def context(self, observation: Observation, base_url: str = "", **extra: Any) -> RenderContext:
        """A render context for templates of the observed task's API."""
        behaviour = self.behaviours[observation.record.api]
        return RenderContext(
            observation, behaviour.time_format, base_url, behaviour.templates, **extra
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
        """Forget every task (the example records come back as they started)."""
        self.store.clear()
        self._fragments.clear()
        self._plant_examples()
