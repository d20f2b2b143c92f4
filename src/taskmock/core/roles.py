"""Operation roles: what the mock does for each spec operation, one small type per role.

A scenario file gives every operation it plays a `role` and the role's options; each role is
one registry entry here (its type, its options with their documentation and JSON Schema), and
one handler in `http/vendor.py`, keyed by the role's name. `mocks/REFERENCE.md` is generated from
these entries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, ClassVar, NamedTuple
from urllib.parse import quote

from taskmock.core.registry import Option, Registry
from taskmock.core.spec import Operation
from taskmock.errors import did_you_mean

__all__ = [
    "ROLES",
    "Cancel",
    "Catalog",
    "Collect",
    "Create",
    "Download",
    "Fetch",
    "Find",
    "Forget",
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
]

_TEMPLATE = {"$ref": "#/$defs/template"}
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


@dataclass(frozen=True)
class Role:
    """What the mock does for one operation; `role` names the kind."""

    role: ClassVar[str]
    operation: Operation
    status: int = 200

    def path_for(self, task_id: Any) -> str:
        """The request path (with query) that addresses `task_id` through this operation."""
        param, where = getattr(self, "param", None), getattr(self, "param_in", "path")
        path = self.operation.path
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


class PollRequest(NamedTuple):
    """The request that polls one task: method, path (with query) and JSON body (or None)."""

    method: str
    path: str
    body: Any = None


@dataclass(frozen=True)
class Poll(Role):
    """Answer one task's body as it is now (the API's `body` template, or the poll's own)."""

    role: ClassVar[str] = "poll"
    param: str = ""
    param_in: str = "path"
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

    def request_for(self, task_id: Any, sent: Any = None) -> PollRequest:
        """The request that polls `task_id`, sending `sent` (the rendered `value`; default the
        id) in `param`. Other path parameters take the named groups `pattern` finds in `sent`
        (a composite name carries them), else "-"."""
        value = task_id if sent is None else sent
        found = self.compiled.search(str(value)) if self.compiled is not None else None
        groups = {k: v for k, v in (found.groupdict() if found else {}).items() if v is not None}

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if self.param_in == "path" and name == self.param:
                return quote(str(value), safe="")
            return quote(groups.get(name, "-"), safe="")

        path = _PATH_PARAMETER.sub(fill, self.operation.path)
        if self.param_in == "query":
            return PollRequest(
                self.operation.method, f"{path}?{self.param}={quote(str(value), safe='')}"
            )
        if self.param_in == "body":
            return PollRequest(self.operation.method, path, _at_pointer(self.param, value))
        return PollRequest(self.operation.method, path)

    def path_for(self, task_id: Any) -> str:
        """The request path (with query) that addresses `task_id` through this operation."""
        return self.request_for(task_id).path


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
    """A role in the registry: its type and its options (YAML names)."""

    name: str
    type: type[Role]
    options: tuple[Option, ...]

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
    (Find, (_FIELD, _PARAM, _IN, _STATUS, _RESPONSE)),
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
for _type, _options in _ENTRIES:
    ROLES.add(RoleEntry(_type.role, _type, _options))

# YAML option names that are not the field's name with "-" as "_".
_FIELD_OF = {"in": "param_in", "request": "validate_request"}


def _field(option: str) -> str:
    return _FIELD_OF.get(option, option.replace("-", "_"))


def role_problems(entry: Mapping[str, Any], pointer: str) -> Iterator[tuple[str, str]]:
    """What is wrong with one operation's entry: an unknown role, an option the role does not
    take (with a suggestion), a required option missing."""
    name = entry.get("role")
    if name not in ROLES:
        yield pointer + "/role", f"unknown role {name!r}{did_you_mean(str(name), ROLES)}"
        return
    role = ROLES[str(name)]
    known = {option.name for option in role.options}
    for key in entry:
        if key != "role" and key not in known:
            yield (
                f"{pointer}/{key}",
                f"role {name!r} has no option {key!r}{did_you_mean(str(key), known)}",
            )
    for option in role.options:
        if option.required and not entry.get(option.name):
            yield pointer, f"role {name!r} needs {option.name!r}"


def parse_role(entry: Mapping[str, Any], operation: Operation) -> Role:
    """The role object of one checked operation entry."""
    role = ROLES[entry["role"]].type
    names = {f.name for f in fields(role)}
    values = {_field(k): v for k, v in entry.items() if k != "role" and _field(k) in names}
    for name in ("summary", "states"):
        if name in values:
            values[name] = tuple(values[name])
    return role(operation=operation, **values)
