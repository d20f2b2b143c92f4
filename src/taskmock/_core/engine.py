"""The lifecycle engine: a task's state is a pure function of its record and the time.

A `TaskRecord` is fixed at creation: its scenario's path is resolved into a plan of
(state, entered-at) steps, with dwell times drawn once from the task's seed. Observing the task
at time t walks that plan (a handful of steps): no background work, no mutation per poll.
Control-plane interventions (fail now, cancel now) produce a new record with a forced step.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

__all__ = [
    "NOTHING",
    "Observation",
    "PlannedStep",
    "TaskRecord",
    "draw_dwell",
    "observe",
    "plan_steps",
]

State = Any


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """Enter `state` at `at` (absolute seconds); stay `dwell` seconds, or forever when None."""

    state: State
    at: float
    dwell: float | None


#: The mapping a record holds where it holds nothing: one shared, read-only empty mapping (a
#: fresh dict per task cost 64 bytes each, three times, on 100,000 tasks).
NOTHING: Mapping[str, Any] = MappingProxyType({})


def _nothing() -> Mapping[str, Any]:
    return NOTHING


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """Everything that determines a task's observable history."""

    api: str
    id: Any
    scenario: str
    seed: int
    created_at: float
    plan: tuple[PlannedStep, ...]
    owner: str | None = None
    input: Mapping[str, Any] = field(default_factory=_nothing)
    fields: Mapping[str, Any] = field(default_factory=_nothing)
    forced: tuple[tuple[float, State], ...] = ()
    serial: int = 0  # the n-th record of its API (and kind): values unique per task derive from it
    params: Mapping[str, str] = field(default_factory=_nothing)  # the create's path parameters
    deadline: float | None = None  # when a deadline set at creation falls (`with_deadline`)
    kind: str = ""  # which of the API's kinds of task (files with `kinds`); "" for the only one

    def timeline(self) -> tuple[PlannedStep, ...]:
        """The plan with forced transitions applied: what the task does over all time."""
        steps = self.plan
        for at, state in self.forced:
            # A step entered at that very instant was seen (observe counts `at <= now`): it stays,
            # lasting no time, so what it set (a start time) stays set and the path stays allowed.
            kept = tuple(s for s in steps if s.at <= at)
            if kept:
                last = kept[-1]
                kept = (*kept[:-1], replace(last, dwell=at - last.at))
            steps = (*kept, PlannedStep(state, at, None))
        return steps

    def force(self, at: float, state: State) -> TaskRecord:
        """A copy of this record that enters `state` at time `at` and stays there."""
        return replace(self, forced=(*self.forced, (at, state)))

    def with_deadline(self, at: float, outcomes: Mapping[State, State]) -> TaskRecord:
        """A copy with a deadline at `at`: if the task is then in a state `outcomes` names, it
        enters that state's outcome at `at` (a forced transition planned now, so observing stays
        a function of the record and the time). A later forced transition before `at` wins."""
        state = observe(self, at).state
        if at < self.created_at or state not in outcomes:
            return replace(self, deadline=at)
        return replace(self, deadline=at, forced=(*self.forced, (at, outcomes[state])))


@dataclass(frozen=True, slots=True)
class Observation:
    """What a task looks like at time `now`."""

    now: float
    record: TaskRecord
    steps: tuple[PlannedStep, ...]  # the steps entered so far, oldest first
    upcoming: tuple[PlannedStep, ...]  # the steps still to come

    @property
    def state(self) -> State:
        """The current state."""
        return self.steps[-1].state

    @property
    def current(self) -> PlannedStep:
        """The step the task is in."""
        return self.steps[-1]

    def entered(self, states: Sequence[State]) -> float | None:
        """When the task first entered one of `states`, if it has by now."""
        for step in self.steps:
            if step.state in states:
                return step.at
        return None

    def _planned_dwell(self, step: PlannedStep) -> float | None:
        # A forced transition cuts a step short; progress is still measured against the plan.
        if not self.record.forced:
            return step.dwell
        for planned in self.record.plan:
            if planned.state == step.state and planned.at == step.at:
                return planned.dwell
        return step.dwell

    def fraction(self, state: State) -> float:
        """How far through `state` the task is: 0 before it, 1 once it ran its full dwell.

        A task that left `state` early (forced) keeps the fraction it had reached.
        """
        for index, step in enumerate(self.steps):
            if step.state != state:
                continue
            left = index + 1 < len(self.steps)
            full = self._planned_dwell(step)
            if not full:
                return 1.0 if left else 0.0
            if left and step.dwell == full:
                return 1.0  # ran its whole dwell (exact: epoch-scale floats lose ~1e-7 s)
            end = self.steps[index + 1].at if left else self.now
            return min(1.0, max(0.0, (end - step.at) / full))
        return 0.0

    def remaining(self, state: State) -> float:
        """Seconds left in `state` (its full dwell before it, 0 after it)."""
        for step in self.steps:
            if step.state == state:
                full = self._planned_dwell(step)
                if step is not self.current or full is None:
                    return 0.0
                return max(0.0, step.at + full - self.now)
        for step in self.upcoming:
            if step.state == state:
                return step.dwell or 0.0
        return 0.0


def observe(record: TaskRecord, now: float) -> Observation:
    """The task at time `now` (a time before creation is seen as the creation instant)."""
    timeline = record.timeline()
    split = 1
    while split < len(timeline) and timeline[split].at <= now:
        split += 1
    return Observation(max(now, record.created_at), record, timeline[:split], timeline[split:])


def draw_dwell(spec: Any, rng: random.Random) -> float | None:
    """A dwell time from its scenario form: a number, `{uniform: [a, b]}` or null (forever)."""
    if spec is None:
        return None
    if isinstance(spec, int | float):
        return float(spec)
    low, high = spec["uniform"]
    return rng.uniform(float(low), float(high))


def plan_steps(
    path: Sequence[Mapping[str, Any]], created_at: float, seed: int
) -> tuple[PlannedStep, ...]:
    """Resolve a scenario path into absolute steps; the last step lasts forever."""
    rng = random.Random(seed)
    steps: list[PlannedStep] = []
    at = created_at
    for index, entry in enumerate(path):
        last = index == len(path) - 1
        dwell = None if last else draw_dwell(entry.get("dwell", 0), rng)
        steps.append(PlannedStep(entry["state"], at, dwell))
        at += dwell or 0.0
    return tuple(steps)
