"""From a user's OpenAPI document to a catalog entry: the spec with `x-lifecycle`, a scenario file.

A pure function of the document: `scaffold(document, name)` returns both documents as data, the
comments that mark what was guessed, and the list of things the user should review. Writing
them is the command's business (`_cli/new_cmd.py`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from taskmock._core.lifecycle import parse_lifecycle
from taskmock._core.scaffold import words
from taskmock._core.scaffold.body import TaskBody, envelope_template, task_template
from taskmock._core.scaffold.discover import (
    ID_NAMES,
    Located,
    NotATaskApi,
    TaskApi,
    find_task_api,
    id_pointer,
    json_media,
    locate,
    operations,
    parts,
    properties,
)
from taskmock._core.scaffold.sections import (
    Notes,
    api_key_prefix,
    auth_section,
    errors_section,
    id_section,
    operations_section,
    scenarios_section,
    states_section,
)
from taskmock._core.scaffold.skeleton import (
    LifecycleGuess,
    conditionals,
    declared_lifecycle,
    derived_states,
    field_rules,
    guess_lifecycle,
    x_lifecycle,
)
from taskmock._core.scaffold.values import Values
from taskmock._core.source import SourceDocument, escape_pointer, resolve_ref
from taskmock._core.spec import Spec
from taskmock._core.upgrade import openapi_version, upgrade_to_31
from taskmock._core.validation import example_problems, iter_examples, structure_problems
from taskmock._core.yamlout import Path
from taskmock.errors import ScaffoldError

__all__ = ["API_NAME", "Scaffold", "check_api_name", "root_route", "scaffold"]

#: What an API name may be (it names files, URL prefixes and fixtures' arguments).
API_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_RESERVED = ("control",)
_PARAMETER = re.compile(r"\{[^}/]+\}")


def root_route(method: str, path: str) -> tuple[str, str]:
    """A route as two APIs served at the root would clash on (parameter names aside)."""
    return method.upper(), _PARAMETER.sub("{}", path)


@dataclass(frozen=True)
class Scaffold:
    """A catalog entry as data, with comments (by path) and what the user should review."""

    name: str
    spec: dict[str, Any]
    scenario: dict[str, Any]
    spec_comments: Mapping[Path, str]
    scenario_comments: Mapping[Path, str]
    review: tuple[str, ...]


def check_api_name(name: str, taken: Mapping[str, str] | None = None) -> None:
    """ScaffoldError unless `name` can name a new API: its pattern, not reserved, and not one of
    the `taken` names (each with where it is defined)."""
    if not API_NAME.match(name):
        raise ScaffoldError(
            f"{name!r} is not a valid API name: lower-case letters, digits and '-', "
            "starting with a letter (e.g. acme-video)"
        )
    if name in _RESERVED:
        raise ScaffoldError(f"{name!r} is reserved (the control plane's); choose another name")
    if taken and name in taken:
        raise ScaffoldError(f"{name!r} is already an API ({taken[name]}); choose another name")


def scaffold(
    document: Any,
    name: str,
    source: str = "<spec>",
    taken_routes: Mapping[tuple[str, str], str] | None = None,
) -> Scaffold:
    """Build a catalog entry named `name` from an OpenAPI 3.0 or 3.1 document.

    `taken_routes`: the root routes (`root_route`) other APIs serve, by API name; an entry that
    would answer one of them is served under /<name> only (`root: false`).
    Raises ScaffoldError when the document is not OpenAPI 3.x, or has no poll operation, no status
    enum or no create operation.
    """
    check_api_name(name)
    spec_doc, upgrade_notes = _openapi_31(document, source)
    spec_notes, notes = Notes(), Notes()
    api, home = _task_api(spec_doc, notes)
    spec = Spec(SourceDocument(source, spec_doc))
    values = Values(spec_doc, spec.validator)
    status = api.status
    component = str(home.component)
    guess, rules = _lifecycle(api, home, notes)
    notes.review[:0] = [
        *_lifecycle_review(component, status.name, guess, status.envelope),
        *upgrade_notes,
    ]
    examples = _valid_first(spec, api, list(_examples(spec_doc, api)))
    body = _task_body(values, api, guess, rules, examples, notes)
    if not guess.declared:
        _add_lifecycle(api, home, guess, rules, body.progress, spec_notes)
    _mark_roles(spec_doc, api, spec_notes)
    _mark_prefixes(spec_doc, spec_notes)
    _mark_placeholders(spec, spec_notes, notes)
    notes.review.extend(api.notes)
    whole = envelope_template(values, api.polls[0].root, status.envelope, body.template, examples)
    scenario = _scenario(name, component, values, api, guess, whole, examples, notes)
    _keep_off_the_root(scenario, spec_doc, taken_routes or {}, notes)
    notes.review.extend(
        f"values: no valid value could be made for {where}; fill it in"
        for where in dict.fromkeys(values.unmade)
    )
    return Scaffold(
        name,
        spec_doc,
        scenario,
        spec_notes.comments,
        notes.comments,
        tuple(dict.fromkeys(spec_notes.review + notes.review)),
    )


def _openapi_31(document: Any, source: str) -> tuple[dict[str, Any], list[str]]:
    """The document as a valid OpenAPI 3.1 one, and what the upgrade from 3.0 rewrote."""
    upgraded, notes = upgrade_to_31(_openapi(document, source))
    problems = structure_problems(Spec(SourceDocument(source, upgraded)))
    if problems:
        listed = "\n  ".join(str(p) for p in problems[:8])
        more = f"\n  … and {len(problems) - 8} more" if len(problems) > 8 else ""
        raise ScaffoldError(f"{source} is not a valid OpenAPI document:\n  {listed}{more}")
    return upgraded, notes


def _home(document: Any, api: TaskApi) -> Located:
    """Where `x-lifecycle` goes: the object that declares the status, or, when that object sits
    in an envelope, the envelope (its states are then conditions on `data.task_status`)."""
    status = api.status
    if not status.envelope:
        return status.holder
    return next(
        part
        for part in parts(document, api.polls[0].root)
        if status.envelope[0] in (part.node.get("properties") or {})
    )


def _lifecycle(
    api: TaskApi, home: Located, notes: Notes
) -> tuple[LifecycleGuess, list[dict[str, Any]]]:
    """The task's lifecycle and field rules: the spec's own `x-lifecycle` when it has a sound
    one, else a guess (with the rules the schema's `if`/`then` entries state)."""
    status = api.status
    raw = home.node.get("x-lifecycle")
    lifecycle, problems = parse_lifecycle(raw) if raw is not None else (None, [])
    if lifecycle is not None and not problems:
        declared = declared_lifecycle(lifecycle, status)
        if declared is not None:
            if "field-rules" in raw:
                return declared, list(raw["field-rules"] or [])
            # Written once, as the schema's if/then entries: read them back.
            return declared, field_rules(home.node, declared, status.name)[0]
    if raw is not None:
        notes.review.append(
            f"spec: the x-lifecycle on {home.component} was replaced: it is not sound or "
            f"names no success reached from an initial state ({'; '.join(m for _, m in problems)})"
        )
    if status.envelope:  # the envelope states nothing about the status in if/then rules
        return guess_lifecycle(status), []
    derived = derived_states(home.node, status)
    guess = guess_lifecycle(status, derived)
    for state in derived:
        what = "its own state" if state.own else f"state {state.value!r}, {state.kind}"
        notes.review.append(
            f"lifecycle: {state.base!r}, {state.text}, is {what} (a `when` read from "
            f"{home.component}'s if/then entries)"
        )
    rules, odd = field_rules(home.node, guess, status.name)
    notes.review.extend(f"spec: {home.component} {m} (specs validate reports it)" for m in odd)
    _drop_state_conditionals(home, guess, status.name, notes)
    return guess, rules


def _drop_state_conditionals(
    home: Located, guess: LifecycleGuess, status: str, notes: Notes
) -> None:
    """Leave out of the copy the schema's `if`/`then` entries that test a status value and other
    members in a way no state was read from (`derived_states` reads those on a finished value,
    written as `condition_schema` writes a `when`): they tell apart states the guess does not
    have, so the guessed answers could not be made to meet them. Conditionals on other members
    only stay (plain JSON Schema, which the mock's answers must meet). The review says which
    entries went and how to bring them back."""
    dropped = [
        (i, tested) for i, tested in conditionals(home.node, guess, status) if status in tested
    ]
    if not dropped:
        return
    gone = {index for index, _ in dropped}
    kept = [entry for index, entry in enumerate(home.node["allOf"]) if index not in gone]
    if kept:
        home.node["allOf"] = kept
    else:
        del home.node["allOf"]
    entries = ", ".join(f"allOf/{index}" for index, _ in dropped)
    others = ", ".join(dict.fromkeys(m for _, tested in dropped for m in tested if m != status))
    notes.review.append(
        f"spec: {home.component} {entries} left out of the copy: each `if` tests a {status!r} "
        f"value and more ({others}), so it tells apart states that share one value (a success "
        "and a failure), which a lifecycle guessed from the enum cannot; the mock's answers could "
        "not meet them. Declare those states with `when` in x-lifecycle, then put the entries "
        "back: they are field rules then"
    )


def _task_api(document: dict[str, Any], notes: Notes) -> tuple[TaskApi, Located]:
    """The task API's parts and where its `x-lifecycle` goes, moved to components if inline."""
    api = _find(document)
    home = _home(document, api)
    if home.component is not None:
        return api, home
    where = f"{api.polls[0].operation.operation_id}'s answer" + "".join(
        f".{key}" for key in api.status.envelope
    )
    what = "answer's schema" if api.status.envelope else "task schema"
    component = _hoist(document, home)
    notes.review.append(
        f"spec: the {what}, inline in {where}, moved to components/schemas/{component} "
        "(x-lifecycle lives on a component); the document means the same"
    )
    api = _find(document)
    return api, _home(document, api)


def _task_body(
    values: Values,
    api: TaskApi,
    guess: LifecycleGuess,
    rules: list[dict[str, Any]],
    examples: list[dict[str, Any]],
    notes: Notes,
) -> TaskBody:
    """The task object's template, with what was guessed noted."""
    status = api.status
    holder_examples = [
        e for e in (_dig(e, status.envelope) for e in examples) if isinstance(e, dict)
    ]
    holder_examples.sort(key=lambda e: status.meaning(e.get(status.name)) != words.SUCCESS)
    request = _request(values.document, api)
    echo = properties(values.document, request) if request is not None else {}
    body = task_template(
        values, status.holder, guess, status.name, api.id_field, rules, holder_examples, echo
    )
    for field_name, how in body.guessed.items():
        notes.review.append(f"body: {field_name} {how}")
        notes.comment(("body", *status.envelope, field_name), f"inferred: {how}")
    return body


def _add_lifecycle(
    api: TaskApi,
    home: Located,
    guess: LifecycleGuess,
    rules: list[dict[str, Any]],
    progress: str | None,
    spec_notes: Notes,
) -> None:
    """Put the `x-lifecycle` skeleton on its schema, with a comment saying it is a guess."""
    status = api.status
    declared = home.node.get("properties") or {}
    home.node["x-lifecycle"] = x_lifecycle(
        guess,
        status.name,
        api.id_field if api.id_field in declared else None,
        progress if progress in declared else None,
        rules,
        when=".".join((*status.envelope, status.name)) if status.envelope else None,
    )
    where: Path = ("components", "schemas", str(home.component), "x-lifecycle")
    spec_notes.comment(
        where,
        f"Written by taskmock new: states from the enum {status.name}; initial, terminal and "
        "transitions guessed from the states' names and order (inferred). Review them.",
    )
    if rules:
        spec_notes.comment((*where, "field-rules"), "read from this schema's allOf if/then rules")


def _mark_roles(document: Any, api: TaskApi, spec_notes: Notes) -> None:
    """`x-task-role` on the poll and create operations (what the contract checks read), and
    `x-task-id` where a create's answer carries the id elsewhere than the lifecycle's id field."""
    lifecycle = _home(document, api).node.get("x-lifecycle") or {}
    default = f"/{escape_pointer(lifecycle['id'])}" if lifecycle.get("id") else None
    names = tuple(dict.fromkeys(filter(None, (api.id_field, *(p.param for p in api.polls)))))
    marks: list[tuple[Any, dict[str, Any], str]] = [
        (poll.operation, {"x-task-role": "poll"}, "reads one task") for poll in api.polls
    ]
    for op, _, schema in api.creates:
        found = id_pointer(document, schema, names or ID_NAMES) if schema is not None else None
        extra = {"x-task-id": found} if found is not None and found != default else {}
        marks.append((op, {"x-task-role": "create", **extra}, "starts a task"))
    for op, extensions, what in marks:
        raw = op.raw.node
        items = list(raw.items())
        at = next((i + 1 for i, (key, _) in enumerate(items) if key == "operationId"), 0)
        raw.clear()
        raw.update(items[:at])
        raw.update(extensions)
        raw.update((k, v) for k, v in items[at:] if k not in extensions)
        path = ("paths", op.path, op.method, "x-task-role")
        spec_notes.comment(path, f"taskmock new: this operation {what} (inferred)")


def _mark_prefixes(document: Any, spec_notes: Notes) -> None:
    """`x-credential-prefix` on API key schemes whose description names one (`Token <key>`)."""
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    for name, scheme in schemes.items():
        if not (isinstance(scheme, dict) and scheme.get("type") == "apiKey"):
            continue
        prefix = api_key_prefix(scheme)
        if prefix and "x-credential-prefix" not in scheme:
            scheme["x-credential-prefix"] = prefix
            spec_notes.comment(
                ("components", "securitySchemes", name, "x-credential-prefix"),
                "taskmock new: read from the description (inferred)",
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
    taken = set(schemas)
    name = next(
        n for n in ("Task", *(f"Task{i}" for i in range(2, len(taken) + 3))) if n not in taken
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
    component: str, status: str, guess: LifecycleGuess, envelope: tuple[str, ...]
) -> list[str]:
    def named(states: Any) -> str:
        return ", ".join(guess.label(s) for s in states) or "none"

    if guess.declared:
        lines = [
            f"lifecycle {component}.{status}: the spec's own; success "
            f"{named(guess.success)} and failure {named(guess.failure + guess.cancel)} read "
            "from the names, for the scenarios"
        ]
    else:
        lines = [
            f"lifecycle {component}.{status}: initial {named(guess.initial)}; terminal "
            f"{named(guess.terminal)} (success {named(guess.success)}); guessed from the names, "
            "transitions in the enum's order"
        ]
    if guess.unknown and not guess.declared:
        lines.append(f"lifecycle: {named(guess.unknown)} may be entered and left at any time")
    if envelope and not guess.declared:
        lines.append(
            f"lifecycle: the status is nested at {'.'.join((*envelope, status))}, so each state "
            f"of {component} is a `when` condition on it"
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
    guess: LifecycleGuess,
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


def _keep_off_the_root(
    scenario: dict[str, Any],
    document: Any,
    taken: Mapping[tuple[str, str], str],
    notes: Notes,
) -> None:
    """`root: false` when one of the entry's routes is another API's root route."""
    ours = {
        op.operation_id: root_route(op.method, op.path)
        for op in operations(document)
        if op.operation_id in scenario["operations"]
    }
    clash = next(((op, route) for op, route in ours.items() if route in taken), None)
    if clash is None:
        return
    op, (method, path) = clash
    items = list(scenario.items())
    scenario.clear()
    scenario.update(items[:2])
    scenario["root"] = False
    scenario.update(items[2:])
    text = (
        f"{method} {path} ({op}) is served at the root by {taken[(method, path)]}, so this API "
        f"is served under /{scenario['api']} only"
    )
    notes.comment(("root",), f"inferred: {text}")
    notes.review.append(f"root: {text}")


def _time_format(examples: list[dict[str, Any]]) -> str:
    text = repr(examples)
    return "iso-ms" if re.search(r"T\d\d:\d\d:\d\d\.\d{3}", text) else "iso"
