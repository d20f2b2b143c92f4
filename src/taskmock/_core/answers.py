"""What operations answer: the one place that renders templates for tasks.

Given an operation's template and its subject — a task observed now, a page of tasks, a stored
resource, or nothing (a list's envelope) — `Answers` renders the answer. The poll body is its hot
path: each task's body is compiled once per scenario (members sorted by how long they hold), and
the members that hold for a whole step are encoded once per step and kept in a bounded cache
beside the compiled body they came from; a poll renders only what changes with the time or the
request. The HTTP layer asks it for bodies and never renders a template itself.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, NamedTuple

from taskmock._core.clock import Clock
from taskmock._core.engine import Observation, PlannedStep, TaskRecord, observe
from taskmock._core.roles import KEEP, Answer, Find, Poll, Role
from taskmock._core.scenario import Behaviour
from taskmock._core.template import CompiledBody, RenderContext, RequestFacts, dumps, render

__all__ = ["FRAGMENT_CACHE_BYTES", "FRAGMENT_CACHE_SIZE", "Answers", "Rendered"]

JSON = "application/json"

#: How many tasks keep their encoded poll fragments (the most recently polled ones), and how many
#: bytes those fragments may take together (a body echoes the request's Host in its URLs).
FRAGMENT_CACHE_SIZE = 4096
FRAGMENT_CACHE_BYTES = 32 * 1024 * 1024
# Base URLs longer than this (a forged Host header) are rendered, never cached.
_CACHEABLE_BASE_URL = 256


class Rendered(NamedTuple):
    """An answer rendered, in no protocol's terms: its status, its JSON text (None: no body),
    its media type and the header fields its template adds."""

    status: int
    text: str | None
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()


class Answers:
    """Renders every answer about a task, a page or nothing, for the loaded APIs."""

    def __init__(self, behaviours: Mapping[str, Behaviour], clock: Clock, seed: int = 0) -> None:
        self.behaviours = behaviours
        self.clock = clock
        self.seed = seed
        kinds = [kind for b in behaviours.values() for kind in b.every_kind]
        # (api, kind, scenario, poll operation or "") -> the compiled body; a poll with its own
        # `body` has its own.
        self._compiled: dict[tuple[str, str, str, str], CompiledBody] = {
            (kind.api, kind.kind, name, op_id): CompiledBody(template, kind.templates)
            for kind in kinds
            for op_id, own in [("", None), *_own_bodies(kind)]
            for name, scenario in kind.scenarios.items()
            # A body that is itself an expression (`{$: ref}`) has no members to split: rendered.
            if isinstance(template := kind.task_body(scenario, own), dict) and "$" not in template
        }
        # (id(record), base URL, poll operation or "") -> (record, steps entered, fragments,
        # whole body if it has no per-instant member, size in bytes). Records are immutable
        # (forcing makes a new one) and the entry holds its record alive, so no other record can
        # have that id meanwhile.
        self._fragments: OrderedDict[
            tuple[int, str, str], tuple[TaskRecord, int, list[str | None], str | None, int]
        ] = OrderedDict()
        self._fragment_bytes = 0

    def behaviour_of(self, record: TaskRecord) -> Behaviour:
        """The behaviour of a task's API and kind."""
        return self.behaviours[record.api].of_kind(record.kind)

    def about(
        self,
        observation: Observation,
        template: Any,
        base_url: str = "",
        request: RequestFacts | None = None,
    ) -> Any:
        """`template` rendered for an observed task or resource (an operation's own answer)."""
        return render(template, self.context(observation, base_url, request))

    def reply(
        self,
        op: Role,
        observation: Observation,
        template: Any,
        base_url: str,
        request: RequestFacts | None = None,
        answer: Answer | None = None,
        *,
        match_answers: bool = True,
    ) -> Rendered:
        """What an operation answers about one observed task: its own status and `template` (the
        task's poll body when None, for a poll or a find), changed by `answer` (by default the
        entry of the operation's `answers` for the task's state)."""
        if answer is None and match_answers:
            answer = op.answer_for(observation.state)
        body: Any = KEEP if answer is None else answer.body
        if body is KEEP:
            body = template
        status = answer.status if answer is not None and answer.status else op.status
        content_type = (answer.content_type if answer else None) or JSON
        if answer is not None and answer.headers:
            ctx = self.context(observation, base_url, request)
            headers = tuple((name, str(render(value, ctx))) for name, value in answer.headers)
        else:
            headers = ()
        if body is None and (answer is None or answer.body is KEEP) and isinstance(op, Poll | Find):
            own = op if isinstance(op, Poll) else None
            text = self.poll_json(observation.record, base_url, request, observation, own)
            return Rendered(status, text, content_type, headers)
        if body is None:
            return Rendered(status, None, content_type, headers)
        text = dumps(render(body, self.context(observation, base_url, request)))
        return Rendered(status, text, content_type, headers)

    def page(
        self,
        api: str,
        owner: str | None,
        kind: str | None,
        template: Any,
        base_url: str,
        **listing: Any,
    ) -> Any:
        """A list's answer: `template` rendered around a page (`items`, `total`, `links`,
        `page`), about no task."""
        context = self.context(self.without_task(api, owner, kind, "list"), base_url, **listing)
        return render(template, context)

    def clear(self) -> None:
        """Forget every cached fragment (the tasks they came from are gone)."""
        self._fragments.clear()
        self._fragment_bytes = 0

    def poll_json(
        self,
        record: TaskRecord,
        base_url: str = "",
        request: RequestFacts | None = None,
        observation: Observation | None = None,
        poll: Poll | None = None,
    ) -> str:
        """The poll body now, as JSON text: the hot path, equal to encoding `view(...).body`.

        The members that hold while the task stays in its current step are encoded once per step
        and kept (bounded LRU); a poll renders only the members that change with the time
        (progress, seconds remaining) or with the request (its query), or nothing when the body
        has none. `observation`: the task observed now, when the caller has it already.
        """
        if observation is None:
            observation = observe(record, self.clock.now())
        own = "" if poll is None or poll.body is None else poll.operation.operation_id
        compiled = self._compiled.get((record.api, record.kind, record.scenario, own))
        if compiled is None or record.fields or len(base_url) > _CACHEABLE_BASE_URL:
            return dumps(self.render_body(observation, base_url, request, poll))
        key = (id(record), base_url, own)
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
        key: tuple[int, str, str],
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
        self,
        observation: Observation,
        base_url: str = "",
        request: RequestFacts | None = None,
        poll: Poll | None = None,
    ) -> Any:
        """The poll body of an observed task (through `poll`, when it has its own body)."""
        behaviour = self.behaviour_of(observation.record)
        template = behaviour.task_body(
            behaviour.scenarios[observation.record.scenario], poll.body if poll else None
        )
        body = render(template, self._body_context(observation, base_url, request))
        # Field overrides (the control plane's, an example's body) are of the API's own body; a
        # poll's own representation of the task is rendered as it is.
        if observation.record.fields and isinstance(body, dict) and not (poll and poll.body):
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
        behaviour = self.behaviour_of(observation.record)
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
        record = observation.record
        behaviour = self.behaviours[record.api]
        if record.kind:  # `behaviour_of`, inlined: this renders every poll
            behaviour = behaviour.of_kind(record.kind)
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

    def without_task(
        self, api: str, owner: str | None, kind: str | None = None, task_id: Any = ""
    ) -> Observation:
        """What an answer about no task (a page of a list) renders with: a stand-in that is in
        its API's first state now, has no input, and is stored nowhere; `task_id` is what
        `{$: id}` shows (a banner's next id)."""
        behaviour = self.behaviours[api].of_kind(kind)
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
            kind=behaviour.kind,
        )
        return observe(record, now)


def _own_bodies(behaviour: Behaviour) -> list[tuple[str, Any]]:
    """(operation id, body) of the polls that answer their own representation of the task."""
    return [
        (op_id, op.body)
        for op_id, op in behaviour.operations.items()
        if isinstance(op, Poll) and op.body is not None
    ]
