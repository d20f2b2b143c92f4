"""Operation roles: what the mock does for each spec operation, one small type per role.

A scenario file gives every operation it plays a `role` and the role's options; each role is
one registry entry here (its type, its options with their documentation and JSON Schema), and
one handler in `_http/vendor.py`, keyed by the role's name. `mocks/REFERENCE.md` is generated from
these entries.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, ClassVar, NamedTuple
from urllib.parse import quote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from taskmock._core.registry import Option, Registry
from taskmock._core.spec import Operation
from taskmock.errors import did_you_mean

__all__ = [
    "FINISHED",
    "FURTHEST",
    "KEEP",
    "ROLES",
    "Answer",
    "Cancel",
    "Catalog",
    "Collect",
    "Create",
    "Deadline",
    "Delete",
    "Download",
    "Fetch",
    "Find",
    "Forget",
    "Hold",
    "Listing",
    "Poll",
    "PollRequest",
    "Remove",
    "Role",
    "RoleEntry",
    "Static",
    "Upload",
    "parse_role",
    "role_problems",
    "role_state_problems",
]

_TEMPLATE = {"$ref": "#/$defs/template"}
#: What a `cancel` does to a task that has already ended.
FINISHED = ("conflict", "answer", "delete")
_STATUS = Option("status", "The HTTP status of the answer.", {"type": "integer", "minimum": 200})
_RESPONSE = Option("response", "The answer's body template.", _TEMPLATE)
_PARAM = Option("param", "The parameter carrying the id.", {"type": "string"}, required=True)
_IN = Option("in", "Where that parameter is: path (default) or query.", {"enum": ["path", "query"]})
_PATH_PARAMETER = re.compile(r"\{([^}/]+)\}")
_RESOURCE = Option(
    "resource", "The kind of stored resource (e.g. video).", {"type": "string"}, required=True
)
_FIELD = Option(
    "field",
    "The dotted body field of a task that identifies it (e.g. output_video.id).",
    {"type": "string"},
    required=True,
)
_ITEM = Option("item", "The template of each listed item.", _TEMPLATE, required=True)
_PAGING = Option(
    "paging",
    "The page parameters when they are not limit/offset, page/page_size (from 1) or "
    "page_num/page_size (from 0): {number: NAME, size: NAME, first: 0 or 1 (default 1)}.",
    {
        "type": "object",
        "required": ["number", "size"],
        "additionalProperties": False,
        "properties": {
            "number": {"type": "string"},
            "size": {"type": "string"},
            "first": {"enum": [0, 1]},
        },
    },
)
_PAGE_SIZE = Option(
    "page-size",
    "Items on a page when the request names no size (default 100; a request may ask for up "
    "to 1000).",
    {"type": "integer", "minimum": 1, "maximum": 1000},
)


_STATE_LIST = {"type": "array", "minItems": 1, "items": {"type": ["string", "integer", "boolean"]}}
_ANSWERS = Option(
    "answers",
    "Answers that depend on the task's state, first match wins: a list of {states: [...], "
    "status, body, headers, content-type}. What an entry leaves out is the role's own answer "
    "(`body: null`: no body). A `cancel` matches the state before it acts, and answers an entry "
    "naming a terminal state without cancelling; its body shows the task after.",
    {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["states"],
            "additionalProperties": False,
            "properties": {
                "states": _STATE_LIST,
                "status": {"type": "integer", "minimum": 200, "maximum": 599},
                "body": {"$ref": "#/$defs/template"},
                "headers": {"type": "object", "additionalProperties": {"$ref": "#/$defs/template"}},
                "content-type": {"type": "string"},
            },
        },
    },
)

#: The body of an answer that keeps the role's own.
KEEP: Any = object()


@dataclass(frozen=True)
class Answer:
    """An answer for tasks in some states: a status, a body template, header templates and a
    media type, each None (or KEEP for the body) where the role's own answer stands."""

    states: tuple[Any, ...]
    status: int | None = None
    body: Any = KEEP
    headers: tuple[tuple[str, Any], ...] = ()
    content_type: str | None = None


@dataclass(frozen=True)
class Hold:
    """Hold a create answer while the task runs: up to the seconds a request header asks for."""

    header: str
    pattern: re.Pattern[str]
    seconds: float  # when the header matches without a number
    most: float

    def seconds_asked(self, value: str | None) -> float | None:
        """How long a header value asks to hold (capped), or None when it asks nothing."""
        found = self.pattern.fullmatch(value.strip()) if value else None
        if found is None:
            return None
        number = found.groupdict().get("seconds")
        try:
            seconds = float(number) if number else self.seconds
        except ValueError:  # a pattern whose group takes more than a number
            seconds = self.seconds
        return min(seconds, self.most) if math.isfinite(seconds) and seconds >= 0 else self.seconds


#: The furthest a deadline may lie, in seconds (about 300 years): past the last timestamp.
FURTHEST = 1e10
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class Deadline:
    """A deadline a request header sets on the task it creates: reached in a state `outcomes`
    names, the task enters that state's outcome."""

    header: str
    format: str  # duration (1m30s, 500ms) or seconds (a number)
    outcomes: Mapping[Any, Any]

    def seconds_in(self, value: str) -> float | None:
        """The deadline a header value sets, in seconds from creation (a deadline further than
        `FURTHEST` never falls: cut to it); None when malformed."""
        text = value.strip()
        if self.format == "seconds":
            try:
                number = float(text)
            except ValueError:
                return None
            return min(number, FURTHEST) if number >= 0 and math.isfinite(number) else None
        parts = _DURATION.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            return None
        return min(sum(float(n) * _DURATION_UNITS[u] for n, u in parts), FURTHEST)


@dataclass(frozen=True)
class Role:
    """What the mock does for one operation; `role` names the kind."""

    role: ClassVar[str]
    operation: Operation
    status: int = 200
    answers: tuple[Answer, ...] = ()

    def answer_for(self, state: Any) -> Answer | None:
        """The first of `answers` naming `state`, if any."""
        for answer in self.answers:
            if state in answer.states:
                return answer
        return None

    def path_for(self, task_id: Any, others: Mapping[str, Any] | None = None) -> str:
        """The request path (with query) that addresses `task_id` through this operation; its
        other path parameters take their values from `others` where it has them."""
        param, where = getattr(self, "param", None), getattr(self, "param_in", "path")
        path = self.operation.path
        for name, value in (others or {}).items():
            if name != param:
                path = path.replace("{" + name + "}", str(value))
        if param is None:
            return path
        if where == "query":
            return f"{path}?{param}={task_id}"
        return path.replace("{" + str(param) + "}", str(task_id))


@dataclass(frozen=True)
class Create(Role):
    """Create a task from the request body; the answer's template sees the new task."""

    role: ClassVar[str] = "create"
    response: Any = None
    example: Mapping[str, Any] | None = None
    hold: Hold | None = None
    deadline: Deadline | None = None


class PollRequest(NamedTuple):
    """The request that polls one task: method, path (with query) and JSON body (or None)."""

    method: str
    path: str
    body: Any = None


@dataclass(frozen=True)
class Poll(Role):
    """Answer one task as it is now: its body (the API's `body` template, or the poll's own
    `body`), or `response`, an answer about the task other than its body (a result)."""

    role: ClassVar[str] = "poll"
    param: str = ""
    param_in: str = "path"
    response: Any = None
    pattern: str | None = None
    value: Any = None
    body: Any = None

    @cached_property
    def compiled(self) -> re.Pattern[str] | None:
        """`pattern`, compiled."""
        return None if self.pattern is None else re.compile(self.pattern)

    def task_id(self, sent: Any) -> str | None:
        """The task id in the value a request sent in `param` (None when `pattern` finds none)."""
        if self.compiled is None:
            return None if sent is None else str(sent)
        found = self.compiled.search(str(sent))
        if found is None:
            return None
        if "id" in self.compiled.groupindex:
            return found.group("id")
        return found.group(1) if self.compiled.groups else found.group(0)

    def request_for(
        self, task_id: Any, sent: Any = None, others: Mapping[str, Any] | None = None
    ) -> PollRequest:
        """The request that polls `task_id`, sending `sent` (the rendered `value`; default the
        id) in `param`. Other path parameters take the named groups `pattern` finds in `sent`
        (a composite name carries them), else their value in `others`, else "-"."""
        value = task_id if sent is None else sent
        found = self.compiled.search(str(value)) if self.compiled is not None else None
        groups = {k: v for k, v in (found.groupdict() if found else {}).items() if v is not None}

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if self.param_in == "path" and name == self.param:
                return quote(str(value), safe="")
            if name in groups:
                return quote(groups[name], safe="")
            return quote(str((others or {}).get(name, "-")), safe="/")

        path = _PATH_PARAMETER.sub(fill, self.operation.path)
        if self.param_in == "query":
            return PollRequest(
                self.operation.method, f"{path}?{self.param}={quote(str(value), safe='')}"
            )
        if self.param_in == "body":
            return PollRequest(self.operation.method, path, _at_pointer(self.param, value))
        return PollRequest(self.operation.method, path)

    def path_for(self, task_id: Any, others: Mapping[str, Any] | None = None) -> str:
        """The request path (with query) that addresses `task_id` through this operation."""
        return self.request_for(task_id, others=others).path


def _at_pointer(pointer: str, value: Any) -> Any:
    """A JSON object holding `value` at a JSON pointer (`/a/b` gives {"a": {"b": value}})."""
    keys = [k.replace("~1", "/").replace("~0", "~") for k in pointer.split("/")[1:]]
    for key in reversed(keys):
        value = {key: value}
    return value


@dataclass(frozen=True)
class Listing(Role):
    """A page of the caller's tasks, each as its poll body."""

    role: ClassVar[str] = "list"
    response: Any = None
    page_size: int | None = None
    summary: tuple[str, ...] = ()
    paging: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Cancel(Role):
    """Force the scenario file's `cancelled` state now; answer `response` for the cancelled task."""

    role: ClassVar[str] = "cancel"
    param: str = ""
    param_in: str = "path"
    response: Any = None
    finished: str = "conflict"


@dataclass(frozen=True)
class Delete(Role):
    """Delete the task, in any state: from then on the caller gets not-found for it."""

    role: ClassVar[str] = "delete"
    param: str = ""
    param_in: str = "path"
    response: Any = None


@dataclass(frozen=True)
class Static(Role):
    """Answer the response template (optionally after checking the request body)."""

    role: ClassVar[str] = "static"
    response: Any = None
    validate_request: bool = False


@dataclass(frozen=True)
class Upload(Role):
    """Store an uploaded resource of a kind; it renders like a task that never changes."""

    role: ClassVar[str] = "upload"
    resource: str = ""
    response: Any = None


@dataclass(frozen=True)
class Fetch(Role):
    """Answer one stored resource."""

    role: ClassVar[str] = "fetch"
    resource: str = ""
    param: str = ""
    param_in: str = "path"
    response: Any = None


@dataclass(frozen=True)
class Remove(Role):
    """Delete a stored resource (refused while a live task uses it, with `in-use-by`)."""

    role: ClassVar[str] = "remove"
    resource: str = ""
    param: str = ""
    param_in: str = "path"
    in_use_by: str | None = None


@dataclass(frozen=True)
class Catalog(Role):
    """A page of the caller's stored resources of a kind."""

    role: ClassVar[str] = "catalog"
    resource: str = ""
    item: Any = None
    response: Any = None
    page_size: int | None = None
    paging: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Find(Role):
    """Answer the task that carries a value in a body field (a finished job's output video)."""

    role: ClassVar[str] = "find"
    field: str = ""
    param: str = ""
    param_in: str = "path"
    response: Any = None


@dataclass(frozen=True)
class Forget(Role):
    """Delete, for the caller, the value a task carries in a body field."""

    role: ClassVar[str] = "forget"
    field: str = ""
    param: str = ""
    param_in: str = "path"


@dataclass(frozen=True)
class Collect(Role):
    """A page of the caller's tasks that carry a value in a body field."""

    role: ClassVar[str] = "collect"
    field: str = ""
    item: Any = None
    response: Any = None
    page_size: int | None = None
    paging: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Download(Role):
    """Answer the task's video file (the sample MP4, video/mp4) on a vendor path."""

    role: ClassVar[str] = "download"
    param: str = ""
    param_in: str = "path"
    states: tuple[Any, ...] = ()


@dataclass(frozen=True)
class RoleEntry:
    """A role in the registry: its type, its options (YAML names), and the states of the scenario
    file's `states` it forces (`cancelled`)."""

    name: str
    type: type[Role]
    options: tuple[Option, ...]
    forces: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """One line: the type's docstring."""
        return (self.type.__doc__ or "").strip().splitlines()[0]


ROLES: Registry[RoleEntry] = Registry("role")

_ENTRIES: list[tuple[type[Role], tuple[Option, ...]]] = [
    (
        Create,
        (
            _STATUS,
            _RESPONSE,
            Option(
                "example",
                "A valid request body, shown in `taskmock serve`'s banner.",
                {"type": "object"},
            ),
            _ANSWERS,
            Option(
                "hold",
                "Hold the answer while the task runs, as long as a request header asks: "
                "{header, pattern (a regex whose `seconds` group is the time; default a number), "
                "else (seconds when it matches without one), max}. The answer shows the task when "
                "it reaches a terminal state or the time is up. A manual clock moves forward by "
                "that time (the request took it); other clocks answer at once (the time is up).",
                {
                    "type": "object",
                    "required": ["header"],
                    "additionalProperties": False,
                    "properties": {
                        "header": {"type": "string"},
                        "pattern": {"type": "string", "format": "regex"},
                        "else": {"type": "number", "minimum": 0},
                        "max": {"type": "number", "minimum": 0},
                    },
                },
            ),
            Option(
                "deadline",
                "A deadline a request header sets: {header, format (duration: 1m30s, 500ms; or "
                "seconds), to: {state: outcome}}. When it falls, a task in a state `to` names "
                "enters its outcome (the engine plans it at creation); `{$: deadline}` shows it.",
                {
                    "type": "object",
                    "required": ["header", "to"],
                    "additionalProperties": False,
                    "properties": {
                        "header": {"type": "string"},
                        "format": {"enum": ["duration", "seconds"]},
                        "to": {"type": "object", "minProperties": 1},
                    },
                },
            ),
        ),
    ),
    (
        Poll,
        (
            Option(
                "param",
                "The parameter carrying the id; with `in: body`, a JSON pointer into the request "
                "body (e.g. /operationName).",
                {"type": "string"},
                required=True,
            ),
            Option(
                "in",
                "Where that parameter is: path (default), query, or body (the request's JSON body, "
                "checked against the spec: a POST that polls).",
                {"enum": ["path", "query", "body"]},
            ),
            Option(
                "pattern",
                "A regular expression that cuts the id out of the parameter's value (a composite "
                "name such as projects/p/operations/ID): its group `id` (or first). A value it "
                "does not match is no task. Its other named groups fill the path parameters of "
                "the same names when taskmock builds a poll request (hints, control plane).",
                {"type": "string", "format": "regex"},
            ),
            Option(
                "value",
                "What a client sends in the parameter for a task, as a template (default the id), "
                "e.g. the operation name the create answered.",
                _TEMPLATE,
            ),
            Option(
                "body",
                "This poll's own representation of the task (default: the file's `body`): one "
                "task, two documented shapes.",
                _TEMPLATE,
            ),
            Option(
                "response",
                "An answer about the task other than its body (a result endpoint), as a "
                "template; the task's state is not read from it.",
                _TEMPLATE,
            ),
            _ANSWERS,
        ),
    ),
    (
        Listing,
        (
            _STATUS,
            _RESPONSE,
            _PAGE_SIZE,
            _PAGING,
            Option(
                "summary",
                "The fields of each task's poll body the list shows (default: all of it).",
                {"type": "array", "items": {"type": "string"}},
            ),
        ),
    ),
    (
        Cancel,
        (
            _PARAM,
            _IN,
            _STATUS,
            Option(
                "response",
                "The answer's body template, rendered for the task once cancelled (default: no "
                "body).",
                _TEMPLATE,
            ),
            Option(
                "finished",
                "What a task already terminal gets when no entry of `answers` names its "
                "state: conflict (default: the `conflict` error), answer (the answer above, the "
                "task unchanged) or delete (the answer above, then the task is deleted as by "
                "the `delete` role).",
                {"enum": list(FINISHED)},
            ),
            _ANSWERS,
        ),
    ),
    (
        Delete,
        (
            _PARAM,
            _IN,
            _STATUS,
            Option(
                "response",
                "The answer's body template, rendered for the task as it was (default: no body).",
                _TEMPLATE,
            ),
        ),
    ),
    (
        Static,
        (
            _STATUS,
            _RESPONSE,
            Option(
                "request",
                "true: check the request body against the spec first.",
                {"type": "boolean"},
            ),
        ),
    ),
    (Upload, (_RESOURCE, _STATUS, _RESPONSE)),
    (Fetch, (_RESOURCE, _PARAM, _IN, _STATUS, _RESPONSE)),
    (
        Remove,
        (
            _RESOURCE,
            _PARAM,
            _IN,
            _STATUS,
            Option(
                "in-use-by",
                "Refuse (conflict) while a task that is not terminal names the resource in this "
                "create-input field.",
                {"type": "string"},
            ),
        ),
    ),
    (Catalog, (_RESOURCE, _ITEM, _STATUS, _RESPONSE, _PAGE_SIZE, _PAGING)),
    (Find, (_FIELD, _PARAM, _IN, _STATUS, _RESPONSE, _ANSWERS)),
    (Forget, (_FIELD, _PARAM, _IN, _STATUS)),
    (Collect, (_FIELD, _ITEM, _STATUS, _RESPONSE, _PAGE_SIZE, _PAGING)),
    (
        Download,
        (
            Option("param", "The parameter carrying the task id.", {"type": "string"}, True),
            _IN,
            _STATUS,
            Option(
                "states",
                "The states in which the file exists (default: every state); in any other the "
                "answer is the not-found error.",
                {"type": "array", "minItems": 1, "items": {"type": ["string", "integer"]}},
            ),
        ),
    ),
]
_FORCES: dict[type[Role], tuple[str, ...]] = {Cancel: ("cancelled",)}
for _type, _options in _ENTRIES:
    ROLES.add(RoleEntry(_type.role, _type, _options, _FORCES.get(_type, ())))

_NO_BODY = (204, 205, 304)

# YAML option names that are not the field's name with "-" as "_".
_FIELD_OF = {"in": "param_in", "request": "validate_request"}


def _field(option: str) -> str:
    return _FIELD_OF.get(option, option.replace("-", "_"))


def role_problems(
    entry: Mapping[str, Any], pointer: str, forced_states: Iterable[str] = ()
) -> Iterator[tuple[str, str]]:
    """What is wrong with one operation's entry: an unknown role, an option the role does not
    take (with a suggestion), a required option missing, an option's value its schema refuses,
    a body on a status that has none, a state to force that `forced_states` (the kinds the
    scenario file's `states` names) lacks."""
    name = entry.get("role")
    if name not in ROLES:
        yield pointer + "/role", f"unknown role {name!r}{did_you_mean(str(name), ROLES)}"
        return
    role = ROLES[str(name)]
    options = {option.name: option for option in role.options}
    for key, value in entry.items():
        if key == "role":
            continue
        option = options.get(key)
        if option is None:
            yield (
                f"{pointer}/{key}",
                f"role {name!r} has no option {key!r}{did_you_mean(str(key), options)}",
            )
        elif option.schema is not None and "$ref" not in option.schema:
            # Templates inside an option are checked as templates elsewhere: any value here.
            schema = {**option.schema, "$defs": {"template": {}}}
            error = best_match(Draft202012Validator(schema).iter_errors(value))
            if error is not None:
                yield f"{pointer}/{key}", f"{key}: {error.message}"
    for option in role.options:
        if option.required and not entry.get(option.name):
            yield pointer, f"role {name!r} needs {option.name!r}"
    if entry.get("status") in _NO_BODY and entry.get("response") is not None:
        yield f"{pointer}/response", f"a {entry['status']} answer has no body"
    known_states = set(forced_states)
    for kind in role.forces:
        if kind not in known_states:
            yield pointer, f"role {name!r} needs a {kind!r} state in the file's `states`"


def role_state_problems(
    entry: Mapping[str, Any],
    pointer: str,
    is_state: Callable[[Any], bool],
    successors: Callable[[Any], tuple[Any, ...]],
) -> Iterator[tuple[str, str]]:
    """What is wrong with the states an entry names (in `answers` and `deadline`), and with the
    patterns it gives: every state must be the lifecycle's, a deadline's outcome one its state
    may move to."""
    for index, answer in enumerate(entry.get("answers") or []):
        for j, state in enumerate(answer.get("states", [])):
            if not is_state(state):
                yield f"{pointer}/answers/{index}/states/{j}", f"{state!r} is not a state"
    hold = entry.get("hold")
    if isinstance(hold, dict) and "pattern" in hold:
        try:
            re.compile(str(hold["pattern"]))
        except re.error as exc:
            yield f"{pointer}/hold/pattern", f"not a regular expression: {exc}"
    deadline = entry.get("deadline")
    if isinstance(deadline, dict) and isinstance(deadline.get("to"), dict):
        for state, outcome in deadline["to"].items():
            where = f"{pointer}/deadline/to/{state}"
            if not is_state(state):
                yield where, f"{state!r} is not a state"
            elif not is_state(outcome) or outcome not in successors(state):
                yield where, f"{state!r} -> {outcome!r} is not an allowed transition"


def parse_role(entry: Mapping[str, Any], operation: Operation) -> Role:
    """The role object of one checked operation entry."""
    role = ROLES[entry["role"]].type
    names = {f.name for f in fields(role)}
    values = {_field(k): v for k, v in entry.items() if k != "role" and _field(k) in names}
    for name in ("summary", "states"):
        if name in values:
            values[name] = tuple(values[name])
    if "answers" in values:
        values["answers"] = tuple(_answer(a) for a in values["answers"])
    if "hold" in values:
        hold = values["hold"]
        most = float(hold.get("max", 60))
        values["hold"] = Hold(
            str(hold["header"]),
            re.compile(str(hold.get("pattern", r"(?P<seconds>[0-9]+(\.[0-9]+)?)"))),
            min(float(hold.get("else", most)), most),
            most,
        )
    if "deadline" in values:
        deadline = values["deadline"]
        values["deadline"] = Deadline(
            str(deadline["header"]), str(deadline.get("format", "duration")), dict(deadline["to"])
        )
    return role(operation=operation, **values)


def _answer(entry: Mapping[str, Any]) -> Answer:
    return Answer(
        tuple(entry["states"]),
        entry.get("status"),
        entry.get("body", KEEP),
        tuple((str(k), v) for k, v in (entry.get("headers") or {}).items()),
        entry.get("content-type"),
    )
