"""Operation roles: what the mock does for each spec operation, one small type per role.

A scenario file gives every operation it plays a `role` and the role's options; each role is
one registry entry here (its type, its options with their documentation and JSON Schema), and
one handler in `http/vendor.py`, keyed by the role's name. `mocks/REFERENCE.md` is generated from
these entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from taskmock.core.registry import Option, Registry
from taskmock.core.spec import Operation
from taskmock.errors import did_you_mean

__all__ = [
    "FINISHED",
    "ROLES",
    "Cancel",
    "Catalog",
    "Collect",
    "Create",
    "Delete",
    "Fetch",
    "Find",
    "Forget",
    "Listing",
    "Poll",
    "Remove",
    "Role",
    "RoleEntry",
    "Static",
    "Upload",
    "parse_role",
    "role_problems",
]

_TEMPLATE = {"$ref": "#/$defs/template"}
#: What a `cancel` does to a task that has already ended.
FINISHED = ("conflict", "answer", "delete")
_STATUS = Option("status", "The HTTP status of the answer.", {"type": "integer", "minimum": 200})
_RESPONSE = Option("response", "The answer's body template.", _TEMPLATE)
_PARAM = Option("param", "The parameter carrying the id.", {"type": "string"}, required=True)
_IN = Option("in", "Where that parameter is: path (default) or query.", {"enum": ["path", "query"]})
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


@dataclass(frozen=True)
class Poll(Role):
    """Answer one task's body as it is now (the API's `body` template)."""

    role: ClassVar[str] = "poll"
    param: str = ""
    param_in: str = "path"


@dataclass(frozen=True)
class Listing(Role):
    """A page of the caller's tasks, each as its poll body."""

    role: ClassVar[str] = "list"
    response: Any = None
    page_size: int | None = None
    summary: tuple[str, ...] = ()


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
        ),
    ),
    (Poll, (_PARAM, _IN)),
    (
        Listing,
        (
            _STATUS,
            _RESPONSE,
            _PAGE_SIZE,
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
                "What a task already terminal gets: conflict (default: the `conflict` error), "
                "answer (the answer above, the task unchanged) or delete (the answer above, "
                "then the task is deleted as by the `delete` role).",
                {"enum": list(FINISHED)},
            ),
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
    (Catalog, (_RESOURCE, _ITEM, _STATUS, _RESPONSE, _PAGE_SIZE)),
    (Find, (_FIELD, _PARAM, _IN, _STATUS, _RESPONSE)),
    (Forget, (_FIELD, _PARAM, _IN, _STATUS)),
    (Collect, (_FIELD, _ITEM, _STATUS, _RESPONSE, _PAGE_SIZE)),
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
            error = best_match(Draft202012Validator(option.schema).iter_errors(value))
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


def parse_role(entry: Mapping[str, Any], operation: Operation) -> Role:
    """The role object of one checked operation entry."""
    role = ROLES[entry["role"]].type
    names = {f.name for f in fields(role)}
    values = {_field(k): v for k, v in entry.items() if k != "role" and _field(k) in names}
    if "summary" in values:
        values["summary"] = tuple(values["summary"])
    return role(operation=operation, **values)
