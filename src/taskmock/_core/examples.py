"""Example records: the ids a spec's examples name exist in the mock.

Tools that drive a server from a spec's examples (Specmatic, or a reader trying the vendor's
documented example) call the ids those examples name. Each API's examples therefore become public
records (no owner), planted when the task service starts and again on every reset:

- a task per response example of the poll operation that shows one (its id field and a state):
  it stays in the example's state and answers the example's body verbatim, until a forced
  transition (cancel, fail) moves it on; from then on the mock renders it like any other task;
- a placeholder example (`x-placeholder`: it breaks the per-state rules on purpose) gives only its
  id and state; the mock renders its body, which conforms;
- a stored resource (an upload) per id that a fetch or remove operation's parameter examples name.

Ids the mock generates skip these ids (`ExampleSet.reserved`), so no created task takes one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from taskmock._core.engine import PlannedStep, TaskRecord
from taskmock._core.lifecycle import field_value
from taskmock._core.roles import Fetch, Poll, Remove, Role
from taskmock._core.scenario import Behaviour
from taskmock._core.spec import PLACEHOLDER_EXAMPLES

__all__ = ["ExampleResource", "ExampleSet", "ExampleTask", "example_set"]


@dataclass(frozen=True)
class ExampleTask:
    """A task one example shows: its id, its state and (unless a placeholder) its body; the kind
    of task it is, and the scenario that renders what the body leaves out."""

    name: str
    id: Any
    state: Any
    body: Mapping[str, Any] = field(default_factory=dict)
    kind: str = ""
    scenario: str = ""


@dataclass(frozen=True)
class ExampleResource:
    """A stored resource of `kind` (an upload) that a parameter example names."""

    name: str
    kind: str
    id: Any


@dataclass(frozen=True)
class ExampleSet:
    """The example records of one API."""

    api: str
    scenario: str
    initial: Any
    tasks: tuple[ExampleTask, ...] = ()
    resources: tuple[ExampleResource, ...] = ()
    kind: str = ""  # of the API's first kind of task (what a resource renders as)

    @cached_property
    def reserved(self) -> frozenset[str]:
        """Every example id, as text: generated ids must not take them."""
        return frozenset(str(r.id) for r in self.tasks) | {str(r.id) for r in self.resources}

    def task_records(self, now: float) -> Iterator[TaskRecord]:
        """The example tasks as records created at `now`, each in its state for good."""
        for task in self.tasks:
            yield TaskRecord(
                api=self.api,
                id=task.id,
                scenario=task.scenario or self.scenario,
                seed=_seed(self.api, task.id),  # the same body whatever the service's seed
                created_at=now,
                plan=(PlannedStep(task.state, now, None),),
                fields=dict(task.body),
                kind=task.kind,
            )

    def resource_records(self, now: float) -> Iterator[tuple[str, TaskRecord]]:
        """The example resources as (kind, record) created at `now`."""
        for resource in self.resources:
            record = TaskRecord(
                api=self.api,
                id=resource.id,
                scenario=self.scenario,
                seed=_seed(self.api, resource.id),
                created_at=now,
                plan=(PlannedStep(self.initial, now, None),),
                kind=self.kind,
            )
            yield resource.kind, record

    def after_force(self, record: TaskRecord) -> TaskRecord:
        """A forced example task stops answering its example (the body of the state it left)."""
        if record.fields and any(str(t.id) == str(record.id) for t in self.tasks):
            return replace(record, fields={})
        return record


def _seed(api: str, record_id: Any) -> int:
    return random.Random(f"example:{api}:{record_id}").getrandbits(31)


def example_set(behaviour: Behaviour) -> ExampleSet:
    """The example tasks and resources that `behaviour`'s spec names."""
    kinds = behaviour.every_kind
    return ExampleSet(
        api=behaviour.api,
        scenario=behaviour.default_scenario,
        initial=next(iter(behaviour.lifecycle.initial)),
        tasks=tuple(_unique(task for kind in kinds for task in _tasks(kind))),
        resources=tuple(_unique(r for kind in kinds for r in _resources(kind))),
        kind=behaviour.kind,
    )


def _unique(found: Iterator[Any]) -> Iterator[Any]:
    # Two examples naming one id: the first one shown wins (a task has one state at a time).
    seen: set[str] = set()
    for item in found:
        if str(item.id) not in seen:
            seen.add(str(item.id))
            yield item


def _tasks(behaviour: Behaviour) -> Iterator[ExampleTask]:
    lifecycle = behaviour.lifecycle
    id_field = lifecycle.id_field or ""
    validator = behaviour.spec.component_validator(behaviour.task_component)
    kind, scenario = behaviour.kind, behaviour.default_scenario
    for op in behaviour.operations.values():
        if not isinstance(op, Poll) or op.body is not None:
            continue  # a poll with its own representation shows another schema
        for name, value, placeholder in _answer_examples(behaviour, op):
            state = lifecycle.state_of(value)
            shown = field_value(value, id_field) if id_field else None
            if not isinstance(value, dict) or shown in (None, "") or state is None:
                continue  # another documented form (an envelope, an error): no task of ours
            # The id a request names: all of the id field, or what the poll's pattern cuts out.
            task_id = shown if op.pattern is None else op.task_id(shown)
            if task_id is None:
                continue
            if placeholder:
                yield ExampleTask(name, task_id, state, kind=kind, scenario=scenario)
            elif validator.is_valid(value):
                yield ExampleTask(name, task_id, state, value, kind, scenario)


def _answer_examples(behaviour: Behaviour, op: Role) -> Iterator[tuple[str, Any, bool]]:
    """(name, value, is_placeholder) of the examples of the operation's 2xx answers."""
    spec = behaviour.spec
    for status, response in (op.operation.raw.get("responses") or {}).items():
        if not str(status).startswith("2"):
            continue
        for media in (spec.resolve(response).get("content") or {}).values():
            for key, apart in (("examples", False), (PLACEHOLDER_EXAMPLES, True)):
                for name, example in (media.get(key) or {}).items():
                    example = spec.resolve(example)
                    if isinstance(example, dict) and "value" in example:
                        yield name, example["value"], apart or bool(example.get("x-placeholder"))


def _resources(behaviour: Behaviour) -> Iterator[ExampleResource]:
    for op in behaviour.operations.values():
        if isinstance(op, Fetch | Remove) and op.resource:
            for name, value in _parameter_examples(behaviour, op):
                yield ExampleResource(name, op.resource, value)


def _parameter_examples(
    behaviour: Behaviour, op: Poll | Fetch | Remove
) -> Iterator[tuple[str, Any]]:
    """(name, value) of the examples of the parameter that carries the operation's id."""
    spec = behaviour.spec
    path_item = spec.resolve((spec.document.get("paths") or {}).get(op.operation.path, {}))
    declared = [*path_item.get("parameters", []), *op.operation.raw.get("parameters", [])]
    for parameter in map(spec.resolve, declared):
        if not isinstance(parameter, dict) or parameter.get("name") != op.param:
            continue
        if parameter.get("in", "path") != op.param_in:
            continue
        if "example" in parameter:
            yield "example", parameter["example"]
        for name, example in (parameter.get("examples") or {}).items():
            example = spec.resolve(example)
            if isinstance(example, dict) and "value" in example:
                yield name, example["value"]
