"""Play a behaviour on paper: every scenario's bodies, checked against the spec's schemas.

No server and no clock: each scenario's plan is observed when it enters each state and halfway
through it, the poll body is rendered, and it must validate against every poll operation's
answer. Each create's answer and each error body are checked the same way. What `taskmock new`
wrote is thereby known to serve before anyone runs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from taskmock._core.engine import TaskRecord, observe, plan_steps
from taskmock._core.roles import Create, Poll, Role
from taskmock._core.scenario import Behaviour
from taskmock._core.source import pointer_of
from taskmock._core.template import RenderContext, render

__all__ = ["Rehearsal", "rehearse"]

_BASE_URL = "http://127.0.0.1:8080"
_CREATED = 1_714_640_400.0  # 2024-05-02T09:00:00Z


@dataclass(frozen=True)
class Rehearsal:
    """What the mock would answer that the spec does not allow, one line each.

    `problems`: task bodies and create answers (the scenario file must change). `warnings`: error
    bodies that differ from an operation's own documented error (the mock answers one shape per
    kind of error for the whole API, so an API with several shapes cannot match them all).
    """

    problems: tuple[str, ...]
    warnings: tuple[str, ...]


def rehearse(behaviour: Behaviour) -> Rehearsal:
    """Render every scenario's bodies, the create answers and the errors; check them."""
    found: list[str] = []
    warnings: list[str] = []
    polls = [op for op in behaviour.operations.values() if isinstance(op, Poll)]
    creates = [op for op in behaviour.operations.values() if isinstance(op, Create)]
    example = next((dict(op.example) for op in creates if op.example), {})
    for scenario in behaviour.scenarios.values():
        record = TaskRecord(
            behaviour.api,
            behaviour.make_id(0, 1),
            scenario.name,
            7,
            _CREATED,
            plan_steps(scenario.path, _CREATED, 7),
            owner="rehearsal",
            input={**scenario.input, **example},
            serial=1,
        )
        for step in record.plan:
            moments = [step.at] if step.dwell is None else [step.at, step.at + step.dwell / 2]
            for moment in moments:
                ctx = _context(behaviour, record, moment)
                body = render(behaviour.task_body(scenario), ctx)
                for op in polls:
                    for problem in _problems(behaviour, op, 200, body):
                        found.append(
                            f"{scenario.name} at {step.state!r}: {op.operation.operation_id} "
                            f"{problem}"
                        )
        ctx = _context(behaviour, record, _CREATED)
        for create in creates:
            if create.response is not None:
                body = render(create.response, ctx)
                for problem in _problems(behaviour, create, create.status, body):
                    found.append(f"{create.operation.operation_id} answer: {problem}")
    for kind, answer in behaviour.errors.items():
        body = answer.render("a detail", "field", 1)
        documented: list[Role] = [*polls, *creates]
        for role in documented:
            if str(answer.status) in role.operation.raw.get("responses", {}):
                for problem in _problems(behaviour, role, answer.status, body):
                    warnings.append(
                        f"errors.{kind} differs from what {role.operation.operation_id} "
                        f"documents for {answer.status}: {problem}"
                    )
    return Rehearsal(tuple(dict.fromkeys(found)), tuple(dict.fromkeys(warnings)))


def _context(behaviour: Behaviour, record: TaskRecord, moment: float) -> RenderContext:
    return RenderContext(
        observe(record, moment), behaviour.time_format, _BASE_URL, behaviour.templates
    )


def _problems(behaviour: Behaviour, op: Role, status: int, body: Any) -> Iterator[str]:
    spec = behaviour.spec
    responses = op.operation.raw.get("responses", {})
    declared = responses.get(str(status)) or responses.get("default")
    if declared is None:
        return
    content = (spec.resolve(declared) or {}).get("content") or {}
    schema = next(
        (
            media["schema"]
            for name, media in content.items()
            if "json" in name and isinstance(media, dict) and "schema" in media
        ),
        None,
    )
    if schema is None:
        return
    for error in spec.validator(schema).iter_errors(body):
        yield f"{pointer_of(error.absolute_path) or '/'}: {error.message}"
