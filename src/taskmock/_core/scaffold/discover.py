"""Find a task API's parts in an OpenAPI document: the poll, create, list and cancel operations,
the task schema and its status field.

The poll operation is a GET that names one resource (a path parameter in its last segment, or a
required `…id` query parameter) and answers JSON holding an enum property whose values include a
finished word (see `words`). The task schema is the object that declares that property, at the top
of the answer or one level down (an envelope such as `{code, data: {task_status}}`). Creates are
POSTs beside a poll path whose answer carries the task's id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from taskmock._core.scaffold import words
from taskmock._core.source import escape_pointer, resolve_ref

__all__ = [
    "ID_NAMES",
    "Located",
    "NotATaskApi",
    "Operation",
    "StatusField",
    "TaskApi",
    "enum_of",
    "find_task_api",
    "id_pointer",
    "json_media",
    "locate",
    "operations",
    "parts",
    "properties",
    "success_responses",
]

# Property names that hold a status, best first.
_STATUS_NAMES = ("status", "state", "task_status", "job_status", "step", "phase", "stage")
#: Property names that hold a task's id, besides the poll operation's own parameter name.
ID_NAMES = (
    "id",
    "task_id",
    "job_id",
    "tid",
    "uuid",
    "request_id",
    "prediction_id",
    "generation_id",
    "taskId",
    "jobId",
    "requestId",
)
# Path segments too common to relate a create path to a poll path.
_GENERIC = re.compile(r"^(api|v\d+(\.\d+)*|rest|public|)$", re.IGNORECASE)
_JSON = re.compile(r"^(application/([\w.+-]*\+)?json|\*/\*)(;.*)?$")


@dataclass(frozen=True)
class Located:
    """A schema (or any node) of the document and the JSON pointer where it lives."""

    node: Any
    pointer: str

    def child(self, *keys: str | int) -> Located:
        """The node under `keys`, unresolved (None when absent)."""
        node, pointer = self.node, self.pointer
        for key in keys:
            node = (
                node.get(key)
                if isinstance(node, dict)
                else (node[key] if isinstance(node, list) and isinstance(key, int) else None)
            )
            pointer += "/" + escape_pointer(key)
        return Located(node, pointer)

    @property
    def component(self) -> str | None:
        """The name under `components.schemas` when this is a component schema."""
        prefix = "/components/schemas/"
        rest = self.pointer[len(prefix) :]
        if self.pointer.startswith(prefix) and "/" not in rest:
            return rest.replace("~1", "/").replace("~0", "~")
        return None


def locate(document: Any, node: Located) -> Located:
    """`node`, or what its local `$ref` chain points to (a dangling or looping ref stays put)."""
    seen: set[str] = set()
    while isinstance(node.node, dict) and isinstance(node.node.get("$ref"), str):
        ref = node.node["$ref"]
        if not ref.startswith("#") or ref in seen:
            break
        seen.add(ref)
        try:
            node = Located(resolve_ref(document, ref), ref[1:])
        except (KeyError, IndexError, ValueError):
            break
    return node


def parts(document: Any, schema: Located) -> Iterator[Located]:
    """A schema and the members of its `allOf`, `anyOf` and `oneOf`, recursively, resolved."""
    pending, seen = [locate(document, schema)], set()
    while pending:
        current = pending.pop(0)
        if current.pointer in seen or not isinstance(current.node, dict):
            continue
        seen.add(current.pointer)
        yield current
        for key in ("allOf", "anyOf", "oneOf"):
            members = current.node.get(key)
            if isinstance(members, list):
                pending.extend(locate(document, current.child(key, i)) for i in range(len(members)))


def properties(document: Any, schema: Located) -> dict[str, Located]:
    """The properties a schema declares itself or through `allOf`, each resolved."""
    found: dict[str, Located] = {}
    schema = locate(document, schema)
    if not isinstance(schema.node, dict):
        return found
    for index, _ in enumerate(schema.node.get("allOf") or []):
        for name, prop in properties(document, schema.child("allOf", index)).items():
            found.setdefault(name, prop)
    for name in schema.node.get("properties") or {}:
        own = locate(document, schema.child("properties", name))
        if name in found:
            # Declared in an allOf part and narrowed here (`status_code: {not: {const: 0}}`):
            # the property must satisfy both.
            own = Located({"allOf": [found[name].node, own.node]}, own.pointer)
        found[name] = own
    return found


def enum_of(document: Any, schema: Located) -> tuple[list[Any], Located] | None:
    """The non-null enum values a property allows and the schema that lists them, if any."""
    for part in parts(document, schema):
        values = part.node.get("enum")
        if isinstance(values, list) and any(v is not None for v in values):
            return [v for v in values if v is not None], part
    return None


@dataclass(frozen=True)
class Operation:
    """One operation: its id as taskmock names it, method, path and raw object's location."""

    operation_id: str
    method: str
    path: str
    raw: Located
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def operations(document: Any) -> Iterator[Operation]:
    """Every operation of the document, in order, with its path-item parameters merged in."""
    paths = document.get("paths") if isinstance(document, dict) else None
    for path, item in (paths or {}).items():
        if not isinstance(item, dict):
            continue
        base = Located(item, "/paths/" + escape_pointer(path))
        for method in ("get", "put", "post", "delete", "patch"):
            raw = item.get(method)
            if not isinstance(raw, dict):
                continue
            params: dict[str, Mapping[str, Any]] = {}
            for source in (item.get("parameters"), raw.get("parameters")):
                for entry in source or []:
                    entry = locate(document, Located(entry, "")).node
                    if isinstance(entry, dict) and "name" in entry:
                        params[str(entry["name"])] = entry
            yield Operation(
                str(raw.get("operationId", f"{method} {path}")),
                method,
                path,
                base.child(method),
                params,
            )


def success_responses(document: Any, op: Operation) -> Iterator[tuple[int, Located | None]]:
    """(status, response object) for each 2xx answer, lowest status first."""
    responses = op.raw.node.get("responses") or {}
    for code in sorted(str(c) for c in responses):
        if re.fullmatch(r"2\d\d", code):
            yield int(code), locate(document, op.raw.child("responses", code))


def json_media(document: Any, container: Located | None) -> Located | None:
    """The schema of the JSON media type of a response or request body, if it has one."""
    if container is None or not isinstance(container.node, dict):
        return None
    content = container.node.get("content")
    if not isinstance(content, dict):
        return None
    for media in content:
        entry = content[media]
        if _JSON.match(str(media)) and isinstance(entry, dict) and "schema" in entry:
            return container.child("content", media, "schema")
    return None


@dataclass(frozen=True)
class StatusField:
    """The enum property that holds a task's status, and the object schema that declares it."""

    name: str
    holder: Located
    values: tuple[Any, ...]
    names: Mapping[Any, str]
    envelope: tuple[str, ...]  # keys from the answer's root to the holder (`("data",)`)

    def meaning(self, value: Any) -> str:
        """What a status value means (see `words.meaning`), read by its name where it has one."""
        return words.meaning(self.names.get(value, value))


@dataclass(frozen=True)
class Poll:
    """A poll operation and where it takes the task's id from."""

    operation: Operation
    param: str
    param_in: str
    root: Located  # the schema of its JSON answer


@dataclass(frozen=True)
class TaskApi:
    """What `taskmock new` found: the task's status field and the operations that handle it."""

    status: StatusField
    polls: tuple[Poll, ...]
    creates: tuple[tuple[Operation, int, Located | None], ...]  # with status and answer schema
    listing: tuple[Operation, int, Located] | None
    cancel: tuple[Operation, int] | None
    id_field: str | None
    notes: tuple[str, ...] = ()


class NotATaskApi(Exception):
    """The document lacks a part `taskmock new` needs; the message says which and why."""


def find_task_api(document: dict[str, Any]) -> TaskApi:
    """Find the poll operation, the status field and the operations around them."""
    polls = list(_poll_candidates(document))
    if not polls:
        raise NotATaskApi(
            "no poll operation: no GET operation names one resource (a path parameter in its "
            "last segment, or a required …id query parameter) and answers JSON"
        )
    scored: list[tuple[tuple[int, ...], Poll, StatusField]] = []
    near_misses: list[str] = []
    for poll in polls:
        for status, score in _status_candidates(document, poll.root, near_misses):
            scored.append(((score, _addressing(poll)), poll, status))
    if not scored:
        detail = "; ".join(dict.fromkeys(near_misses)) or (
            "their answers have no enum property (add `enum: [...]` to the status field)"
        )
        ops = ", ".join(dict.fromkeys(p.operation.operation_id for p in polls))
        raise NotATaskApi(f"no status enum in the answers of the GET operations {ops}: {detail}")
    scored.sort(key=lambda entry: entry[0], reverse=True)
    _, best_poll, status = scored[0]
    chosen = [best_poll]
    for _, poll, other in scored:
        same = (other.holder.pointer, other.envelope, other.name) == (
            status.holder.pointer,
            status.envelope,
            status.name,
        )
        if same and all(poll.operation.operation_id != c.operation.operation_id for c in chosen):
            chosen.append(poll)
    id_field = _id_field(document, status, best_poll.param)
    notes: list[str] = []
    creates = tuple(_creates(document, tuple(chosen), id_field))
    if not creates:
        raise NotATaskApi(
            "no create operation: no POST operation answers JSON carrying the task's id "
            f"({', '.join(dict.fromkeys(filter(None, (id_field, best_poll.param))))})"
        )
    listing = _listing(document, tuple(chosen), status)
    cancel = _cancel(document, tuple(chosen), status, notes)
    return TaskApi(status, tuple(chosen), creates, listing, cancel, id_field, tuple(notes))


def _poll_candidates(document: Any) -> Iterator[Poll]:
    for op in operations(document):
        if op.method != "get":
            continue
        found = _id_parameter(op)
        if found is None:
            continue
        for _, response in success_responses(document, op):
            schema = json_media(document, response)
            if schema is not None:
                yield Poll(op, found[0], found[1], schema)
                break


def _id_parameter(op: Operation) -> tuple[str, str] | None:
    """The parameter that names the polled resource: the path's last one (`/tasks/{id}`,
    `/requests/{id}/status`), else a required `…id` query parameter."""
    templated = re.findall(r"\{([^}]+)\}", op.path)
    if templated:
        return templated[-1], "path"
    for name, param in op.parameters.items():
        if (
            param.get("in") == "query"
            and param.get("required")
            and re.search(r"(^|_|[a-z])(id|Id|ID|uuid)$", name)
        ):
            return name, "query"
    return None


def _addressing(poll: Poll) -> int:
    """How plainly a poll names one resource: `/tasks/{id}` 2, `/tasks/{id}/status` 1, query 0."""
    if poll.param_in == "query":
        return 0
    return 2 if poll.operation.path.rstrip("/").endswith("{" + poll.param + "}") else 1


def _holders(
    document: Any, root: Located, envelope: tuple[str, ...] = ()
) -> Iterator[tuple[Located, tuple[str, ...]]]:
    """Object schemas that declare properties, at the root of an answer or one key down."""
    for part in parts(document, root):
        if isinstance(part.node.get("properties"), dict):
            yield part, envelope
            if not envelope:
                for name in part.node["properties"]:
                    inner = locate(document, part.child("properties", name))
                    yield from _holders(document, inner, (name,))


def _status_candidates(
    document: Any, root: Located, near_misses: list[str]
) -> Iterator[tuple[StatusField, int]]:
    for holder, envelope in _holders(document, root):
        for name in holder.node["properties"]:
            prop = locate(document, holder.child("properties", name))
            found = enum_of(document, prop)
            where = ".".join((*envelope, name))
            if found is None:
                if name == "done" and _is_boolean(document, prop):
                    near_misses.append(
                        f"{where} is a boolean (a long-running operation): taskmock new needs a "
                        "status enum, so write this API's x-lifecycle by hand"
                    )
                if name in _STATUS_NAMES and _is_string(document, prop):
                    near_misses.append(
                        f"{where} is a plain string (add `enum: [...]` listing its values)"
                    )
                continue
            values, listed = found
            names = words.enum_names(listed.node, values)
            status = StatusField(name, holder, tuple(values), names, envelope)
            meanings = [status.meaning(v) for v in values]
            if words.SUCCESS not in meanings:
                if name in _STATUS_NAMES:
                    unnamed = [v for v in values if not isinstance(v, str) and v not in names]
                    why = (
                        "has no names for its values (describe them as `* `0` - Queued` lines)"
                        if unnamed
                        else "has no value that reads as finished (succeeded, success, completed, "
                        "done, finished)"
                    )
                    near_misses.append(f"the enum {where} {values} {why}")
                continue
            if not {words.INITIAL, words.WORKING} & set(meanings):
                near_misses.append(
                    f"every value of the enum {where} {values} reads as finished: "
                    "a task has states before that (queued, running, ...)"
                )
                continue
            score = (
                (len(_STATUS_NAMES) - _STATUS_NAMES.index(name)) * 4 if name in _STATUS_NAMES else 0
            )
            score += 2 if not envelope else 0
            score += sum(1 for m in meanings if m != words.WORKING)
            yield status, score


def _is_string(document: Any, prop: Located) -> bool:
    return _is_type(document, prop, "string")


def _is_boolean(document: Any, prop: Located) -> bool:
    return _is_type(document, prop, "boolean")


def _is_type(document: Any, prop: Located, kind: str) -> bool:
    return any(
        p.node.get("type") == kind or kind in (p.node.get("type") or [])
        for p in parts(document, prop)
    )


def _id_field(document: Any, status: StatusField, param: str) -> str | None:
    names = properties(document, status.holder)
    for candidate in (param, *ID_NAMES):
        if candidate in names:
            return candidate
    return None


def _related(create_path: str, poll: Poll) -> bool:
    """Whether a POST path creates what a poll path reads: the poll's collection or below it
    (`/jobs` and `/jobs/from-url` for `/jobs/{id}`), an ancestor of the poll path
    (`/{app}` for `/{app}/requests/{id}/status`), or the same last word as a poll by query
    (`/v1/video_generation` for `/v1/query/video_generation?task_id=`)."""
    create = create_path.rstrip("/")
    if poll.param_in == "path":
        collection = _collection(poll.operation.path)
        return (
            create == collection
            or create.startswith(collection + "/")
            or (bool(create) and poll.operation.path.startswith(create + "/"))
        )
    return create.rsplit("/", 1)[-1] == poll.operation.path.rstrip("/").rsplit("/", 1)[-1]


def _id_in(document: Any, schema: Located, names: tuple[str, ...]) -> bool:
    return id_pointer(document, schema, names) is not None


def id_pointer(document: Any, schema: Located, names: tuple[str, ...]) -> str | None:
    """The JSON pointer of the first of `names` an answer carries, at its top or one level down
    (`/task_id`, `/data/task_id`); None when it carries none."""
    for holder, envelope in _holders(document, schema):
        for name in names:
            if name in holder.node["properties"]:
                return "".join(f"/{escape_pointer(key)}" for key in (*envelope, name))
    return None


def _creates(
    document: Any, polls: tuple[Poll, ...], id_field: str | None
) -> Iterator[tuple[Operation, int, Located | None]]:
    names = tuple(dict.fromkeys(filter(None, (id_field, *(p.param for p in polls), *ID_NAMES))))
    found: list[tuple[bool, Operation, int, Located]] = []
    for op in operations(document):
        if op.method != "post":
            continue
        for code, response in success_responses(document, op):
            schema = json_media(document, response)
            if schema is not None and _id_in(document, schema, names):
                found.append((any(_related(op.path, poll) for poll in polls), op, code, schema))
                break
    beside = [entry for entry in found if entry[0]]
    for _, op, code, schema in beside or found:
        yield op, code, schema


def _collection(path: str) -> str:
    return re.sub(r"/\{[^}]+\}/?$", "", path).rstrip("/")


def _listing(
    document: Any, polls: tuple[Poll, ...], status: StatusField
) -> tuple[Operation, int, Located] | None:
    if status.envelope:
        return None  # list items would be whole envelopes; the scaffold leaves lists out
    collections = {_collection(p.operation.path) for p in polls if p.param_in == "path"}
    for op in operations(document):
        if op.method != "get" or op.path.rstrip("/") not in collections:
            continue
        for code, response in success_responses(document, op):
            schema = json_media(document, response)
            if schema is not None and _lists(document, schema, status.holder.pointer):
                return op, code, schema
    return None


def _lists(document: Any, schema: Located, holder: str) -> bool:
    """Whether an answer is an array of the task, or an object with such an array."""
    return _array_of(document, schema, holder) or any(
        _array_of(document, prop, holder) for prop in properties(document, schema).values()
    )


def _array_of(document: Any, schema: Located, holder: str) -> bool:
    return any(
        part.node.get("items") is not None
        and any(p.pointer == holder for p in parts(document, part.child("items")))
        for part in parts(document, schema)
    )


def _cancel(
    document: Any, polls: tuple[Poll, ...], status: StatusField, notes: list[str]
) -> tuple[Operation, int] | None:
    if not any(status.meaning(v) == words.CANCEL for v in status.values):
        return None
    paths = {p.operation.path.rstrip("/") for p in polls if p.param_in == "path"}
    # `/requests/{id}/status` polls the resource `/requests/{id}`.
    paths |= {re.sub(r"(\})/[^/{}]+$", r"\1", path) for path in paths}
    for op in operations(document):
        trimmed = op.path.rstrip("/")
        is_cancel = (op.method == "delete" and trimmed in paths) or (
            op.method in ("post", "put", "patch")
            and "cancel" in trimmed.rsplit("/", 1)[-1].lower()
            and trimmed.rsplit("/", 1)[0] in paths
        )
        if not is_cancel:
            continue
        for code, response in success_responses(document, op):
            if json_media(document, response) is None:
                return op, code
        notes.append(
            f"{op.operation_id} looks like a cancel, but it answers a body; taskmock's cancel "
            "role answers none, so it is left out"
        )
    return None
