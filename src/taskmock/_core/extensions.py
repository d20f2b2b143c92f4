"""Read a `Contract` from a spec, and report every problem with what it declares.

Read from standard OpenAPI and a few `x-` extensions (each documented in specs/README.md):

- `x-task-role: poll | create` on an operation: it reads one task by its id, or starts one;
- `x-cheapest-create: NAME` on a create operation: the example of its JSON request body that
  `taskmock check --create` sends (the cheapest task the API offers);
- `x-task-id: /POINTER` on a create operation: where its answer carries the new task's id
  (default: the lifecycle's `id` field); on a poll that is not a GET, `{in: body, at: /POINTER,
  pattern: REGEX}`: its JSON body carries the id at the pointer, and the named groups of the
  pattern in the id fill the path's parameters (a composite name such as projects/p/ops/ID);
- `x-business-errors` at the top of the document: errors carried in a 2xx body (`at` a JSON
  pointer, `success` codes) and which codes mean `unauthorized`, `rate-limited`, `not-found`, or
  `task-failure` (a failed task's own body carries it, as its reason: that body is still the task);
- `x-credential-prefix` on an `apiKey` security scheme: text the header value carries before the
  token (`Token `).

A required header parameter (a version header) is sent with the value its parameter gives:
`example`, the first of `examples`, or its schema's `const`, `default`, first `enum` value or
first of `examples`.

The credential's header and form come from `security` and `components.securitySchemes`; the id
a poll takes (and the shape of an id no task has) from its one required path or query parameter
(or its last path parameter, when the others give an example);
the lifecycle from the schema its 2xx answer references. `read_contract` returns what it could read
and every problem (pointer, message), so `taskmock specs validate` reports them like the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from taskmock._core.contract import (
    BusinessErrors,
    Contract,
    CreateCall,
    Credential,
    IdParameter,
)
from taskmock._core.lifecycle import Lifecycle
from taskmock._core.source import escape_pointer
from taskmock._core.spec import NO_EXAMPLE, Operation, Spec, parameter_example
from taskmock.errors import SpecError, UnknownNameError, did_you_mean

__all__ = [
    "BUSINESS_MEANINGS",
    "EXTENSIONS",
    "ROLES",
    "SOURCES",
    "read_contract",
    "required_headers",
]

#: Provenance values of `x-source` (and `info.x-status-codes`).
SOURCES = ("seed", "vendor-docs", "inferred")
#: Values of `x-task-role`.
ROLES = ("poll", "create")
#: What a business error code can mean, as keys of `x-business-errors`.
BUSINESS_MEANINGS = ("unauthorized", "rate-limited", "not-found", "task-failure")
#: Every extension taskmock reads (`x-credential-format` is descriptive: kept, never read).
EXTENSIONS = (
    "x-source",
    "x-lifecycle",
    "x-status-codes",
    "x-placeholder",
    "x-task-role",
    "x-cheapest-create",
    "x-task-id",
    "x-business-errors",
    "x-credential-prefix",
    "x-credential-format",
    "x-multi-segment",
)

Problems = list[tuple[str, str]]
_MISSING = object()


def read_contract(spec: Spec, poll: str | None = None) -> tuple[Contract | None, Problems]:
    """The contract a spec declares, and every problem with its extensions (pointer, message).

    A document with no `x-lifecycle` and no `x-task-role` is not a task API: no contract, and no
    problem (the control plane's document is one).
    """
    problems: Problems = []
    polls, creates = _roles(spec, problems)
    misspelt = bool(problems)  # a role that is not one: its "did you mean" says enough
    _check_prefixes(spec, problems)
    business = _business_errors(spec, problems)
    try:
        lifecycles = spec.lifecycles
    except SpecError:
        return None, problems  # `specs validate` reports the lifecycle's own problems
    if not lifecycles and not polls and not creates:
        return None, problems
    if not polls:
        if not misspelt:
            candidates = [op.operation_id for op in spec.operations() if _task_component(spec, op)]
            hint = (
                f"; the operations that answer a task: {', '.join(candidates)}"
                if candidates
                else ""
            )
            problems.append(
                ("/paths", f"no operation has x-task-role: poll (the GET that reads a task){hint}")
            )
        return None, problems
    if poll is not None and poll not in {op.operation_id for op in polls}:
        raise UnknownNameError("poll operation", poll, (op.operation_id for op in polls))
    # Every poll operation is read, so `specs validate` finds a broken one that is not the default.
    reads = {
        op.operation_id: (
            _lifecycle(spec, op, lifecycles, problems),
            _id_parameter(spec, op, problems),
            _credential(spec, op, problems),
        )
        for op in polls
    }
    for op in [*polls, *creates]:
        _header_values(spec, op, problems)
    operation = next(op for op in polls if poll in (None, op.operation_id))
    lifecycle, task_id, credential = reads[operation.operation_id]
    create = _create(spec, creates, lifecycle, problems, operation)
    problems = list(dict.fromkeys(problems))
    if problems or lifecycle is None or task_id is None:
        return None, problems
    info = spec.document.get("info") or {}
    return (
        Contract(
            api=spec.name,
            spec=spec,
            lifecycle=lifecycle,
            poll=operation,
            task_id=task_id,
            credential=credential,
            business=business,
            create=create,
            status_codes_inferred=info.get("x-status-codes") == "inferred",
            poll_headers=_header_values(spec, operation, []),
        ),
        problems,
    )


def _roles(spec: Spec, problems: Problems) -> tuple[list[Operation], list[Operation]]:
    polls: list[Operation] = []
    creates: list[Operation] = []
    for op in spec.operations():
        role = op.raw.get("x-task-role")
        if role != "create":
            for key in ("x-cheapest-create", "x-task-id"):
                if key in op.raw and not (key == "x-task-id" and role == "poll"):
                    where = "create" if key == "x-cheapest-create" else "create or poll"
                    problems.append(
                        (
                            f"{op.pointer}/{key}",
                            f"{key} belongs on an x-task-role: {where} operation",
                        )
                    )
        if role is None:
            continue
        if role not in ROLES:
            problems.append(
                (
                    f"{op.pointer}/x-task-role",
                    f"{role!r} is not a task role{did_you_mean(str(role), ROLES)}",
                )
            )
        elif role == "create":
            creates.append(op)
        elif op.method != "GET" and not isinstance(op.raw.get("x-task-id"), dict):
            problems.append(
                (
                    f"{op.pointer}/x-task-role",
                    "a poll operation is a GET, or says where its body carries the id "
                    "(x-task-id: {in: body, at: /POINTER})",
                )
            )
        else:
            polls.append(op)
    return polls, creates


def _schema_refs(spec: Spec, schema: Any, depth: int = 0) -> Iterator[str]:
    """Component names a schema stands for: its `$ref`, or those of its anyOf/oneOf/allOf."""
    if not isinstance(schema, dict) or depth > 8:
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        yield ref.rsplit("/", 1)[1].replace("~1", "/").replace("~0", "~")
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key) or []:
            yield from _schema_refs(spec, part, depth + 1)


def _success_schemas(spec: Spec, operation: Operation) -> Iterator[Any]:
    for status, response in (operation.raw.get("responses") or {}).items():
        if not str(status).startswith("2"):
            continue
        resolved = spec.resolve(response)
        content = resolved.get("content") if isinstance(resolved, dict) else None
        for media in (content or {}).values():
            if isinstance(media, dict) and "schema" in media:
                yield media["schema"]


def _task_component(spec: Spec, operation: Operation, any_method: bool = False) -> str | None:
    """The component with x-lifecycle that the operation's 2xx answer references, if any (a GET's
    only, unless `any_method`: a poll that sends a body)."""
    if operation.method != "GET" and not any_method:
        return None
    schemas = spec.schemas
    for schema in _success_schemas(spec, operation):
        for name in _schema_refs(spec, schema):
            if isinstance(schemas.get(name), dict) and "x-lifecycle" in schemas[name]:
                return name
    return None


def _lifecycle(
    spec: Spec, operation: Operation, lifecycles: Mapping[str, Lifecycle], problems: Problems
) -> Lifecycle | None:
    name = _task_component(spec, operation, any_method=True)
    if name is not None:
        return lifecycles[name]
    if len(lifecycles) == 1:
        return next(iter(lifecycles.values()))
    problems.append(
        (
            f"{operation.pointer}/responses",
            "the poll operation's 2xx answer references no schema with x-lifecycle",
        )
    )
    return None


def _parameters(spec: Spec, operation: Operation) -> list[dict[str, Any]]:
    """The operation's parameters, with those of its path item, each resolved."""
    item = (spec.document.get("paths") or {}).get(operation.path) or {}
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(item.get("parameters") or []), *(operation.raw.get("parameters") or [])]:
        parameter = spec.resolve(raw)
        if isinstance(parameter, dict) and "name" in parameter:
            merged[(str(parameter["name"]), str(parameter.get("in")))] = parameter
    return list(merged.values())


# Header parameters OpenAPI says to ignore: the media types and the security schemes say them.
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})


def required_headers(spec: Spec, operation: Operation) -> dict[str, str]:
    """The required header parameters of an operation (a version header), each with the value
    its parameter gives (those that give none left out: `specs validate` names them)."""
    return _header_values(spec, operation, [])


def _header_values(spec: Spec, operation: Operation, problems: Problems) -> dict[str, str]:
    """The value the checks send for each required header parameter of an operation; a problem
    for one that gives none."""
    values: dict[str, str] = {}
    for parameter in _parameters(spec, operation):
        name = str(parameter["name"])
        if (
            parameter.get("in") != "header"
            or not parameter.get("required")
            or name.lower() in _IGNORED_HEADERS
        ):
            continue
        value = parameter_example(spec, parameter)
        if value is NO_EXAMPLE:
            problems.append(
                (
                    f"{operation.pointer}/parameters",
                    f"required header {name!r} gives no value to send: add an example (or a "
                    "const, default or enum) to it",
                )
            )
            continue
        values[name] = _header_text(value)
    return values


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _id_parameter(spec: Spec, operation: Operation, problems: Problems) -> IdParameter | None:
    if "x-task-id" in operation.raw:
        return _body_id(spec, operation, problems)
    candidates = [
        p
        for p in _parameters(spec, operation)
        if p.get("in") == "path" or (p.get("in") == "query" and p.get("required"))
    ]
    if len(candidates) > 1 and all(p["in"] == "path" for p in candidates):
        # The id is the last path parameter; the others (a model's name) give an example, which
        # fills them when the checks address a task.
        order = re.findall(r"\{([^}/]+)\}", operation.path)
        last = max(candidates, key=lambda p: order.index(p["name"]) if p["name"] in order else -1)
        examples = spec.path_examples(operation)
        if all(p is last or p["name"] in examples for p in candidates):
            candidates = [last]
    if len(candidates) != 1:
        found = ", ".join(f"{p['name']} ({p['in']})" for p in candidates) or "none"
        problems.append(
            (
                f"{operation.pointer}/parameters",
                "a poll operation takes the task id as its one required path or query parameter, "
                f"or as its last path parameter when the others give an example; found: {found}",
            )
        )
        return None
    (parameter,) = candidates
    return IdParameter(str(parameter["name"]), str(parameter["in"]), parameter.get("schema") or {})


def _body_id(spec: Spec, operation: Operation, problems: Problems) -> IdParameter | None:
    """A poll's `x-task-id: {in: body, at: /POINTER, pattern: REGEX}`."""
    declared = operation.raw["x-task-id"]
    where = f"{operation.pointer}/x-task-id"
    if not isinstance(declared, dict) or declared.get("in") != "body":
        problems.append((where, "on a poll, x-task-id is {in: body, at: /POINTER, pattern: REGEX}"))
        return None
    at, pattern = declared.get("at"), declared.get("pattern")
    if not isinstance(at, str) or not at.startswith("/"):
        problems.append((where, "'at' is a JSON pointer into the request body, e.g. /name"))
        return None
    body = spec.resolve(operation.raw.get("requestBody"))
    media = (
        ((body or {}).get("content") or {}).get("application/json")
        if isinstance(body, dict)
        else None
    )
    if not isinstance(media, dict):
        problems.append((where, "the poll has no application/json request body to carry the id"))
        return None
    schema, examples = _at_pointer(spec, media, at)
    if schema is None:
        problems.append((f"{where}/at", f"{at!r} is not a property of the request body"))
        return None
    names = [p["name"] for p in _parameters(spec, operation) if p.get("in") == "path"]
    groups: set[str] = set()
    if pattern is not None:
        if not _compiles(pattern):
            problems.append((f"{where}/pattern", "pattern is a regular expression"))
            return None
        groups = set(re.compile(pattern).groupindex)
    missing = [name for name in names if name not in groups]
    if missing:
        problems.append(
            (
                f"{where}/pattern" if pattern is not None else where,
                f"no named group fills the path parameter(s) {', '.join(missing)}: the pattern's "
                "named groups, found in the id, fill them",
            )
        )
        return None
    shown = {**schema, "examples": [*(schema.get("examples") or []), *examples]}
    return IdParameter(at, "body", shown, pattern)


def _at_pointer(spec: Spec, media: Mapping[str, Any], pointer: str) -> tuple[Any, list[Any]]:
    """The schema at a JSON pointer into a request body, and the example values found there."""
    keys = [k.replace("~1", "/").replace("~0", "~") for k in pointer.split("/")[1:]]
    schema = spec.resolve(media.get("schema"))
    values = [
        spec.resolve(e).get("value")
        for e in (media.get("examples") or {}).values()
        if isinstance(spec.resolve(e), dict)
    ]
    values += list(schema.get("examples") or []) if isinstance(schema, dict) else []
    for key in keys:
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(properties, dict) or key not in properties:
            return None, []
        schema = spec.resolve(properties[key])
        values = [v.get(key) for v in values if isinstance(v, dict)]
    return (schema if isinstance(schema, dict) else {}), [v for v in values if isinstance(v, str)]


def _check_prefixes(spec: Spec, problems: Problems) -> None:
    schemes = (spec.document.get("components") or {}).get("securitySchemes") or {}
    for name, scheme in schemes.items():
        if not isinstance(scheme, dict) or "x-credential-prefix" not in scheme:
            continue
        where = f"/components/securitySchemes/{escape_pointer(name)}/x-credential-prefix"
        prefix = scheme["x-credential-prefix"]
        if scheme.get("type") != "apiKey":
            problems.append(
                (
                    where,
                    "x-credential-prefix belongs on an apiKey scheme (an http scheme's prefix is "
                    "its scheme, e.g. 'Bearer ')",
                )
            )
        elif not isinstance(prefix, str) or not prefix:
            problems.append(
                (where, "x-credential-prefix is the text before the token, e.g. 'Token '")
            )


def _header_form(scheme: Mapping[str, Any]) -> tuple[str, str] | None:
    """(header, prefix) of a security scheme sent in a header; None for other schemes."""
    kind = scheme.get("type")
    if kind == "apiKey" and scheme.get("in") == "header" and isinstance(scheme.get("name"), str):
        prefix = scheme.get("x-credential-prefix", "")
        return scheme["name"], prefix if isinstance(prefix, str) else ""
    if kind == "http" and isinstance(scheme.get("scheme"), str):
        word = scheme["scheme"]
        return "Authorization", ("Bearer" if word.lower() == "bearer" else word.title()) + " "
    if kind in ("oauth2", "openIdConnect"):
        return "Authorization", "Bearer "
    return None


def _credential(spec: Spec, operation: Operation, problems: Problems) -> Credential | None:
    own = "security" in operation.raw
    requirements = operation.raw["security"] if own else spec.document.get("security")
    where = f"{operation.pointer}/security" if own else "/security"
    if not isinstance(requirements, list) or not requirements:
        return None
    schemes = (spec.document.get("components") or {}).get("securitySchemes") or {}
    header: str | None = None
    prefixes: list[str] = []
    source = ""
    for index, requirement in enumerate(requirements):
        if not isinstance(requirement, dict) or len(requirement) != 1:
            continue  # anonymous ({}), or several credentials at once: not ours to send
        (name,) = requirement
        scheme = spec.resolve(schemes.get(name))
        if not isinstance(scheme, dict):
            problems.append(
                (
                    f"{where}/{index}",
                    f"no security scheme {name!r}{did_you_mean(str(name), schemes)}",
                )
            )
            continue
        form = _header_form(scheme)
        if form is None or (header is not None and form[0].lower() != header.lower()):
            continue
        header = form[0]
        prefixes.append(form[1])
        source = source or str(scheme.get("x-source", _document_source(spec)))
    if header is None:
        if not any(r == {} for r in requirements):
            problems.append(
                (
                    where,
                    "taskmock sends a credential in a header: declare an apiKey scheme in: "
                    "header, an http scheme, or oauth2/openIdConnect (sent as a bearer token)",
                )
            )
        return None
    return Credential(header, tuple(prefixes), not any(r == {} for r in requirements), source)


def _document_source(spec: Spec) -> str:
    return str((spec.document.get("info") or {}).get("x-source", "?"))


def _business_errors(spec: Spec, problems: Problems) -> BusinessErrors | None:
    raw = spec.document.get("x-business-errors")
    if raw is None:
        return None
    where = "/x-business-errors"
    if not isinstance(raw, dict):
        problems.append((where, "x-business-errors must be a mapping (at, success, ...)"))
        return None
    known = ("at", "success", *BUSINESS_MEANINGS, "x-source", "description")
    for key in raw:
        if key not in known:
            problems.append(
                (
                    f"{where}/{escape_pointer(key)}",
                    f"unknown key {key!r}{did_you_mean(str(key), known)}",
                )
            )
    at = raw.get("at")
    if not isinstance(at, str) or not at.startswith("/"):
        problems.append(
            (
                f"{where}/at" if "at" in raw else where,
                "'at' is a JSON pointer into a body, e.g. /code",
            )
        )
    lists: dict[str, tuple[Any, ...]] = {}
    for key in ("success", *BUSINESS_MEANINGS):
        value = raw.get(key, _MISSING)
        if value is _MISSING:
            if key == "success":
                problems.append((where, "'success' lists the codes that are not errors, e.g. [0]"))
            continue
        if not isinstance(value, list) or not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in value
        ):
            problems.append((f"{where}/{key}", f"'{key}' is a list of codes (integers or strings)"))
            continue
        lists[key] = tuple(value)
    for meaning in BUSINESS_MEANINGS:
        success = lists.get("success", ())
        both = [
            c for c in lists.get(meaning, ()) if any(c == v and type(c) is type(v) for v in success)
        ]
        if both:
            problems.append((f"{where}/{meaning}", f"{both} also listed as success"))
    if not isinstance(at, str) or "success" not in lists:
        return None
    return BusinessErrors(
        at,
        lists["success"],
        {m: lists[m] for m in BUSINESS_MEANINGS if m in lists},
        str(raw.get("x-source", _document_source(spec))),
    )


def _property_names(spec: Spec, schema: Any, depth: int = 0) -> set[str]:
    """Property names a schema may carry, through $ref and allOf/anyOf/oneOf."""
    schema = spec.resolve(schema)
    if not isinstance(schema, dict) or depth > 8:
        return set()
    names = set(schema.get("properties") or {})
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key) or []:
            names |= _property_names(spec, part, depth + 1)
    return names


def _servers(spec: Spec, operation: Operation) -> Any:
    item = (spec.document.get("paths") or {}).get(operation.path) or {}
    return operation.raw.get("servers") or item.get("servers") or spec.document.get("servers")


def _create(
    spec: Spec,
    creates: list[Operation],
    lifecycle: Lifecycle | None,
    problems: Problems,
    poll: Operation,
) -> CreateCall | None:
    """The cheapest create: the first declared on the poll's servers, else the first declared."""
    declared: list[CreateCall] = []
    lifecycles = spec.lifecycles
    for op in creates:
        # The create's own task (its answer's lifecycle), else the poll's: in an API with two
        # kinds of task, each create answers its own.
        own = _task_component(spec, op, any_method=True)
        task = lifecycles[own] if own is not None else lifecycle
        default = (
            "/" + "/".join(escape_pointer(key) for key in task.id_field.split("."))
            if task and task.id_field
            else None
        )
        declared_id: Any = op.raw.get("x-task-id", default)
        pointer, pattern = declared_id, None
        if isinstance(declared_id, dict):  # {at: /name, pattern: "operations/(?P<id>.+)"}
            pointer, pattern = declared_id.get("at"), declared_id.get("pattern")
            if not _compiles(pattern):
                problems.append(
                    (
                        f"{op.pointer}/x-task-id/pattern",
                        "pattern is a regular expression whose group `id` (or first) is the id",
                    )
                )
                continue
        answered = set().union(*(_property_names(spec, s) for s in _success_schemas(spec, op)))
        if "x-task-id" in op.raw and (not isinstance(pointer, str) or not pointer.startswith("/")):
            problems.append(
                (
                    f"{op.pointer}/x-task-id",
                    "x-task-id is a JSON pointer into the answer (/id), or {at: /POINTER, "
                    "pattern: REGEX} when the id is part of that value",
                )
            )
            continue
        if isinstance(pointer, str) and answered:
            first = pointer[1:].split("/", 1)[0].replace("~1", "/").replace("~0", "~")
            if first not in answered:
                problems.append(
                    (
                        f"{op.pointer}/x-task-id" if "x-task-id" in op.raw else op.pointer,
                        f"the task id {pointer!r} is not a property of the create answer"
                        f"{did_you_mean(first, answered)}",
                    )
                )
                continue
        name = op.raw.get("x-cheapest-create")
        if name is None:
            continue
        where = f"{op.pointer}/x-cheapest-create"
        body = spec.resolve(op.raw.get("requestBody"))
        media = ((body or {}).get("content") or {}).get("application/json") or {}
        examples = media.get("examples") or {}
        if not isinstance(name, str) or name not in examples:
            problems.append(
                (
                    where,
                    f"{name!r} is not an example of the application/json request body"
                    f"{did_you_mean(str(name), examples) or '; add it under examples'}",
                )
            )
            continue
        example = spec.resolve(examples[name])
        value = example.get("value") if isinstance(example, dict) else None
        if not isinstance(value, dict):
            problems.append((where, f"example {name!r} has no object 'value' to send"))
            continue
        if pointer is None:
            problems.append(
                (op.pointer, "x-task-id is needed: the lifecycle names no id field to read")
            )
            continue
        summary = str(example.get("summary", "")).strip()
        source = str(example.get("x-source", op.source))
        examples = spec.path_examples(op)
        missing = [name for name in _path_parameter_names(op.path) if name not in examples]
        if missing:
            problems.append(
                (
                    f"{op.pointer}/x-cheapest-create",
                    f"path parameter {missing[0]!r} has no example for check --create to send",
                )
            )
            continue
        headers = _header_values(spec, op, [])
        declared.append(CreateCall(op, name, value, summary, source, pointer, pattern, headers))
    # The one on the poll's servers, then the one whose path shares most with the poll's (two
    # kinds of task in one API: /v1/renders is polled at /v1/renders/{id}, not /v1/exports/...).
    pool = [c for c in declared if _servers(spec, c.operation) == _servers(spec, poll)]
    return max(
        pool or declared,
        key=lambda c: _shared_segments(c.operation.path, poll.path),
        default=None,
    )


def _path_parameter_names(path: str) -> list[str]:
    return re.findall(r"\{([^}/]+)\}", path)


def _shared_segments(first: str, second: str) -> int:
    """How many leading path segments two paths share."""
    shared = 0
    for a, b in zip(first.split("/"), second.split("/"), strict=False):
        if a != b:
            break
        shared += 1
    return shared


def _compiles(pattern: Any) -> bool:
    if not isinstance(pattern, str):
        return False
    try:
        compiled = re.compile(pattern)
    except re.error:
        return False
    return "id" in compiled.groupindex or compiled.groups >= 1
