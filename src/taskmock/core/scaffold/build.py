"""From a user's OpenAPI document to a catalog entry: the spec with `x-lifecycle`, a scenario file.

A pure function of the document: `scaffold(document, name)` returns both documents as data, the
comments that mark what was guessed, and the list of things the user should review. Writing
them is the command's business (`cli/new_cmd.py`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from taskmock.core.scaffold.body import envelope_template, task_template
from taskmock.core.scaffold.discover import (
    ID_NAMES,
    Located,
    NotATaskApi,
    TaskApi,
    find_task_api,
    json_media,
    locate,
    properties,
)
from taskmock.core.scaffold.sections import (
    Notes,
    auth_section,
    errors_section,
    id_section,
    operations_section,
    scenarios_section,
    states_section,
)
from taskmock.core.scaffold.skeleton import field_rules, guess_lifecycle, x_lifecycle
from taskmock.core.scaffold.values import Values
from taskmock.core.source import SourceDocument, escape_pointer, resolve_ref
from taskmock.core.spec import Spec
from taskmock.core.upgrade import openapi_version, upgrade_to_31
from taskmock.core.validation import example_problems, iter_examples, structure_problems
from taskmock.core.yamlout import Path
from taskmock.errors import ScaffoldError

__all__ = ["API_NAME", "Scaffold", "check_api_name", "scaffold"]

#: What an API name may be (it names files, URL prefixes and fixtures' arguments).
API_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_RESERVED = ("control",)


@dataclass(frozen=True)
class Scaffold:
    """A catalog entry as data, with comments (by path) and what the user should review."""

    name: str
    spec: dict[str, Any]
    scenario: dict[str, Any]
    spec_comments: Mapping[Path, str]
    scenario_comments: Mapping[Path, str]
    review: tuple[str, ...]


def check_api_name(name: str, taken: tuple[str, ...] = ()) -> None:
    """ScaffoldError unless `name` can name a new API (pattern, not reserved, not `taken`)."""
    if not API_NAME.match(name):
        raise ScaffoldError(
            f"{name!r} is not a valid API name: lower-case letters, digits and '-', "
            "starting with a letter (e.g. acme-video)"
        )
    if name in _RESERVED or name in taken:
        raise ScaffoldError(f"{name!r} is already an API of taskmock's own; choose another name")


def scaffold(document: Any, name: str, source: str = "<spec>") -> Scaffold:
    """Build a catalog entry named `name` from an OpenAPI 3.0 or 3.1 document.

    Raises ScaffoldError when the document is not OpenAPI 3.x, or has no poll operation, no status
    enum or no create operation.
    """
    check_api_name(name)
    spec_doc, upgrade_notes = upgrade_to_31(_openapi(document, source))
    problems = structure_problems(Spec(SourceDocument(source, spec_doc)))
    if problems:
        listed = "\n  ".join(str(p) for p in problems[:8])
        more = f"\n  … and {len(problems) - 8} more" if len(problems) > 8 else ""
        raise ScaffoldError(f"{source} is not a valid OpenAPI document:\n  {listed}{more}")
    spec_notes, notes = Notes(), Notes()
    notes.review.extend(upgrade_notes)
    api = _find(spec_doc)
    if api.status.holder.component is None:
        inline = f"{api.polls[0].operation.operation_id}'s answer" + "".join(
            f".{key}" for key in api.status.envelope
        )
        component = _hoist(spec_doc, api.status.holder)
        api = _find(spec_doc)
        notes.review.append(
            f"spec: the task schema, inline in {inline}, moved to components/schemas/"
            f"{component} (x-lifecycle lives on a component); the document means the same"
        )
    spec = Spec(SourceDocument(source, spec_doc))
    values = Values(spec_doc, spec.validator)
    status, holder = api.status, api.status.holder
    component = str(holder.component)
    guess = guess_lifecycle(status)
    rules, odd = field_rules(holder.node, guess, status.name)
    for message in odd:
        notes.review.append(f"spec: {component} {message} (specs validate reports it)")
    examples = _valid_first(spec, api, list(_examples(spec_doc, api)))
    holder_examples = [_dig(e, status.envelope) for e in examples]
    holder_examples = [e for e in holder_examples if isinstance(e, dict)]
    holder_examples.sort(key=lambda e: status.meaning(e.get(status.name)) != "success")
    create_request = _request(spec_doc, api)
    echo = properties(spec_doc, create_request) if create_request is not None else {}
    body = task_template(
        values, holder, guess, status.name, api.id_field, rules, holder_examples, echo
    )
    whole = envelope_template(values, api.polls[0].root, status.envelope, body.template, examples)
    declared = holder.node.get("properties") or {}
    lifecycle = x_lifecycle(
        guess,
        status.name,
        api.id_field if api.id_field in declared else None,
        body.progress if body.progress in declared else None,
        rules,
    )
    holder.node["x-lifecycle"] = lifecycle
    lifecycle_path: Path = ("components", "schemas", component, "x-lifecycle")
    spec_notes.comment(
        lifecycle_path,
        f"Written by taskmock new: states from the enum {status.name}; initial, terminal and "
        "transitions guessed from the states' names and order (inferred). Review them.",
    )
    if rules:
        spec_notes.comment(
            (*lifecycle_path, "field-rules"), "read from this schema's allOf if/then rules"
        )
    _mark_placeholders(spec, spec_notes, notes)
    notes.review[:0] = _lifecycle_review(component, status.name, guess, status.envelope)
    notes.review.extend(f"body: {field_name} {how}" for field_name, how in body.guessed.items())
    for field_name in body.guessed:
        notes.comment(
            ("body", *status.envelope, field_name), f"inferred: {body.guessed[field_name]}"
        )
    notes.review.extend(api.notes)
    scenario = _scenario(name, component, values, api, guess, whole, examples, notes)
    for where in dict.fromkeys(values.unmade):
        notes.review.append(f"values: no valid value could be made for {where}; fill it in")
    return Scaffold(
        name,
        spec_doc,
        scenario,
        spec_notes.comments,
        notes.comments,
        tuple(dict.fromkeys(spec_notes.review + notes.review)),
    )


def _openapi(document: Any, source: str) -> dict[str, Any]:
    if isinstance(document, dict) and "swagger" in document:
        raise ScaffoldError(
            f"{source} is Swagger {document['swagger']}; taskmock reads OpenAPI 3.0 and 3.1 "
            "(convert it first, e.g. with swagger2openapi)"
        )
    version = openapi_version(document)
    if not isinstance(document, dict) or version is None:
        raise ScaffoldError(f"{source} is not an OpenAPI document: it has no 'openapi' version")
    if not re.match(r"^3\.[01](\.|$)", version):
        raise ScaffoldError(f"{source} is OpenAPI {version}; taskmock reads 3.0 and 3.1")
    return document


def _find(document: dict[str, Any]) -> TaskApi:
    try:
        return find_task_api(document)
    except NotATaskApi as exc:
        raise ScaffoldError(str(exc)) from None


def _hoist(document: dict[str, Any], holder: Located) -> str:
    """Move an inline task schema into components/schemas; returns its new name."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    name = next(
        n for n in ("Task", "TaskStatus", *(f"Task{i}" for i in range(2, 99))) if n not in schemas
    )
    parent_pointer, key = holder.pointer.rsplit("/", 1)
    parent = resolve_ref(document, "#" + parent_pointer)
    token = key.replace("~1", "/").replace("~0", "~")
    slot: Any = int(token) if isinstance(parent, list) else token
    schemas[name] = copy.deepcopy(holder.node)
    parent[slot] = {"$ref": f"#/components/schemas/{escape_pointer(name)}"}
    return name


def _examples(document: Any, api: TaskApi) -> Iterator[dict[str, Any]]:
    """Example answers of the poll operations, and the task schema's own examples."""
    for poll in api.polls:
        media = resolve_ref(document, "#" + poll.root.pointer.rsplit("/", 1)[0])
        if isinstance(media.get("example"), dict):
            yield media["example"]
        for example in (media.get("examples") or {}).values():
            example = locate(document, Located(example, "")).node
            if isinstance(example, dict) and isinstance(example.get("value"), dict):
                yield example["value"]
    holder = api.status.holder.node
    own = [holder.get("example"), *(holder.get("examples") or [])]
    for example in own:
        if isinstance(example, dict):
            yield _wrap(example, api.status.envelope)


def _valid_first(spec: Spec, api: TaskApi, examples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The examples that match the poll answer's schema; all of them when none does (a
    generated placeholder's `123` and `<string>` are no values to copy)."""
    validator = spec.validator(api.polls[0].root.node)
    valid = [e for e in examples if validator.is_valid(e)]
    return valid or examples


def _wrap(example: dict[str, Any], envelope: tuple[str, ...]) -> dict[str, Any]:
    for key in reversed(envelope):
        example = {key: example}
    return example


def _dig(example: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        example = example.get(key) if isinstance(example, dict) else None
    return example


def _request(document: Any, api: TaskApi) -> Located | None:
    op = api.creates[0][0]
    body = locate(document, op.raw.child("requestBody"))
    return json_media(document, body) if body.node is not None else None


def _lifecycle_review(
    component: str, status: str, guess: Any, envelope: tuple[str, ...]
) -> list[str]:
    def named(states: Any) -> str:
        return ", ".join(guess.label(s) for s in states) or "none"

    lines = [
        f"lifecycle {component}.{status}: initial {named(guess.initial)}; terminal "
        f"{named(guess.terminal)} (success {named(guess.success)}); guessed from the names, "
        "transitions in the enum's order"
    ]
    if guess.unknown:
        lines.append(f"lifecycle: {named(guess.unknown)} may be entered and left at any time")
    if envelope:
        lines.append(
            f"the status is nested at {'.'.join((*envelope, status))}: the mock plays it, but "
            "x-lifecycle describes the inner object and the contract checks (taskmock check) "
            "read a status at the top of a poll answer, so they cannot judge this API's lifecycle"
        )
    return lines


def _mark_placeholders(spec: Spec, spec_notes: Notes, notes: Notes) -> None:
    """Mark examples that do not match their schema as placeholders (checked by shape only)."""
    document = spec.document
    marked = 0
    for name, pointer, value, schema, placeholder in list(iter_examples(spec)):
        if placeholder or spec.validator(schema).is_valid(value):
            continue
        owner_pointer = pointer.rsplit("/", 1)[0]
        owner = resolve_ref(document, "#" + owner_pointer)
        if pointer.endswith("/example"):
            del owner["example"]
            owner.setdefault("examples", {})["example"] = {"value": value}
            owner_pointer += "/examples/example"
            owner = owner["examples"]["example"]
        owner["x-placeholder"] = True
        spec_notes.comment(
            _path(document, owner_pointer + "/x-placeholder"),
            "taskmock new: this example does not match its schema; checked by shape only",
        )
        marked += 1
        notes.review.append(
            f"spec: example {name!r} at {owner_pointer} does not match its schema: marked "
            "x-placeholder (checked by shape only); fix it or keep the mark"
        )
    if marked:
        for problem in example_problems(spec):
            notes.review.append(f"spec: {problem.pointer}: {problem.message}")


def _path(document: Any, pointer: str) -> Path:
    path: list[str | int] = []
    node = document
    for token in pointer.split("/")[1:]:
        key = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            path.append(int(key))
            node = node[int(key)]
        else:
            path.append(key)
            node = node.get(key) if isinstance(node, dict) else None
    return tuple(path)


def _scenario(
    name: str,
    component: str,
    values: Values,
    api: TaskApi,
    guess: Any,
    body: Any,
    examples: list[dict[str, Any]],
    notes: Notes,
) -> dict[str, Any]:
    """The scenario file, section by section."""
    document = values.document
    status = api.status
    id_schema = properties(document, status.holder).get(api.id_field or "")
    if id_schema is None:
        param = api.polls[0].operation.parameters.get(api.polls[0].param, {})
        id_schema = Located(param.get("schema"), "") if param.get("schema") else None
    id_examples = [
        value
        for example in examples
        for value in [_dig(_dig(example, status.envelope), (api.id_field or "id",))]
        if value is not None
    ]
    ids = tuple(dict.fromkeys(filter(None, (api.id_field, *(p.param for p in api.polls)))))
    named = {name: {"$": "id"} for name in ids or ID_NAMES[:1]}
    named[status.name] = {"$": "state"}
    scenario: dict[str, Any] = {
        "api": name,
        "task": component,
        "id": id_section(values, id_schema, id_examples, notes),
        "time-format": _time_format(examples),
        "auth": auth_section(document, api, name, notes),
        "errors": errors_section(values, api, notes),
    }
    states = states_section(guess, notes)
    if states:
        scenario["states"] = states
    scenario["body"] = body
    scenario["operations"] = operations_section(
        values, api, body, locate(document, api.polls[0].root).pointer, named, notes
    )
    scenario["scenarios"] = scenarios_section(guess, notes)
    return scenario


def _time_format(examples: list[dict[str, Any]]) -> str:
    text = repr(examples)
    return "iso-ms" if re.search(r"T\d\d:\d\d:\d\d\.\d{3}", text) else "iso"
