"""Load a scenario file (`mocks/<api>.yaml`): how the mock plays one API, checked against its spec.

Everything the mock does for an API comes from here and from the spec: ids, auth, error bodies,
what each operation does, the task body template, and the scenarios (paths through the lifecycle
with dwell times). A broken file fails at load with file, line, key and a "did you mean".
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from taskmock._core.auth import Authenticator, AuthRule, auth_rule
from taskmock._core.jwt_auth import REFUSALS, jwt_auth
from taskmock._core.lifecycle import Lifecycle
from taskmock._core.roles import Poll, Role, parse_role, role_problems, role_state_problems
from taskmock._core.source import SourceDocument, load_document, pointer_of
from taskmock._core.spec import Spec, load_spec
from taskmock._core.template import normalize, template_problems, uses_expression
from taskmock._resources import mocks_dir
from taskmock.errors import DocumentError, Problem, ScenarioError, UnknownNameError, did_you_mean

__all__ = [
    "KIND_KEYS",
    "AuthRule",
    "Behaviour",
    "ErrorAnswer",
    "Scenario",
    "SdkSetting",
    "load_behaviour",
    "load_behaviour_file",
]


@dataclass(frozen=True)
class Scenario:
    """A named path through the lifecycle, with input defaults and body overrides."""

    name: str
    path: tuple[Mapping[str, Any], ...]
    description: str = ""
    input: Mapping[str, Any] = field(default_factory=dict)
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ErrorAnswer:
    """An error in the vendor's shape; strings in `body` may use {detail} and {field}. Sent as
    `content_type` (application/json unless the file says, e.g. application/problem+json)."""

    status: int
    body: Any
    content_type: str = "application/json"

    def render(
        self, detail: str = "", field_name: str = "non_field_errors", retry_after: int = 0
    ) -> Any:
        """The body with its placeholders filled in."""
        return _fill(
            self.body, {"detail": detail, "field": field_name, "retry_after": str(retry_after)}
        )


def _fill(node: Any, values: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return node.format_map(values)
    if isinstance(node, dict):
        return {_fill(k, values): _fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, values) for v in node]
    return node


# The characters of generated string ids, by `id.kind`.
_ID_ALPHABETS = {
    "digits": "0123456789",
    "hex": "0123456789abcdef",
    "alphanumeric": "0123456789abcdefghijklmnopqrstuvwxyz",
}


#: What a kind of task may say for itself in `kinds` (the file's own keys are every kind's default).
KIND_KEYS = (
    "task",
    "id",
    "time-format",
    "errors",
    "states",
    "templates",
    "body",
    "operations",
    "select",
    "scenarios",
)
# Keys a kind merges with the file's (entry by entry) rather than replacing them.
_MERGED_KEYS = ("errors", "templates")
_KIND_REQUIRED = ("task", "id", "errors", "body", "operations", "scenarios")
# The errors the mock answers by itself (the first four are required).
_ERRORS = ("unauthorized", "not-found", "bad-request", "conflict", "rate-limited")


@dataclass(frozen=True)
class Behaviour:
    """Everything the mock needs to play one kind of task of an API.

    Most APIs have one kind (`kind` ""); an API whose file has `kinds` (two task resources with
    their own schema, body, operations and scenarios) has one `Behaviour` per kind, all sharing
    `kinds`, and the API's own is its first kind's. A task belongs to the kind whose create
    operation made it: only that kind's operations find it.
    """

    api: str
    spec: Spec
    task_component: str
    lifecycle: Lifecycle
    id_kind: str
    id_start: int
    id_length: int
    id_prefix: str
    time_format: str
    auth: Authenticator
    errors: Mapping[str, ErrorAnswer]
    forced_states: Mapping[str, Any]
    templates: Mapping[str, Any]
    body: Any
    operations: Mapping[str, Role]
    select: tuple[tuple[Mapping[str, Any], str], ...]
    scenarios: Mapping[str, Scenario]
    default_scenario: str
    root: bool = True  # also served at the spec's own paths, not only under /<api>
    sdk: tuple[SdkSetting, ...] = ()
    kind: str = ""
    # Every kind of the API by name (this one too); one mapping shared by all of them.
    kinds: Mapping[str, Behaviour] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def base_path(self) -> str:
        """Where the API's paths start on a mock: "" at the root, else "/<api>"."""
        return "" if self.root else f"/{self.api}"

    @property
    def poll(self) -> Poll:
        """The operation that polls one task."""
        return next(op for op in self.operations.values() if isinstance(op, Poll))

    def poll_path(self, task_id: Any, params: Mapping[str, str] | None = None) -> str:
        """The path (with query) that polls a task on a mock (a GET poll: see `Poll.request_for`
        for a poll that sends a body); other path parameters (a model name) take the task's
        create-request `params`, else the spec's examples."""
        others = {**self.spec.path_examples(self.poll.operation), **(params or {})}
        return self.base_path + self.poll.path_for(task_id, others)

    def of_kind(self, kind: str | None) -> Behaviour:
        """The behaviour of one kind of this API's tasks (None: this one); UnknownNameError
        otherwise."""
        if kind is None or kind == self.kind:
            return self
        if kind not in self.kinds:
            raise UnknownNameError(f"task kind of {self.api}", kind, self.kinds)
        return self.kinds[kind]

    @property
    def every_kind(self) -> tuple[Behaviour, ...]:
        """Every kind of the API's tasks, the first (the API's own) first."""
        return tuple(self.kinds.values()) or (self,)

    def with_auth(self, auth: Authenticator) -> Behaviour:
        """The API (every kind) with another auth, e.g. more signing keys."""
        if auth is self.auth:
            return self
        kinds: dict[str, Behaviour] = {}
        for kind in self.every_kind:
            kinds[kind.kind] = replace(kind, auth=auth, kinds=kinds)
        return kinds[self.kind] if self.kinds else replace(self, auth=auth)

    def scenario(self, name: str | None) -> Scenario:
        """A scenario by name (the default when None); UnknownNameError otherwise."""
        chosen = self.default_scenario if name is None else name
        if chosen not in self.scenarios:
            what = f"scenario of {self.api}" + (f" {self.kind} tasks" if self.kind else "")
            raise UnknownNameError(what, chosen, self.scenarios)
        return self.scenarios[chosen]

    def scenario_for_input(self, data: Mapping[str, Any]) -> str:
        """The scenario a create request selects by its fields (see `select`), else the default."""
        for wanted, scenario in self.select:
            if all(data.get(k) == v for k, v in wanted.items()):
                return scenario
        return self.default_scenario

    def make_id(self, seed: int, counter: int) -> Any:
        """The `counter`-th task id under `seed`: the same seed gives the same ids."""
        if self.id_kind == "integer":
            return self.id_start + counter
        scope = f"{self.api}:{self.kind}" if self.kind else self.api
        rng = random.Random(f"{seed}:{scope}:id:{counter}")
        if self.id_kind == "uuid":
            return self.id_prefix + str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if self.id_kind == "digits":
            first = str(rng.randint(1, 9))
        else:
            first = rng.choice(_ID_ALPHABETS[self.id_kind])
        alphabet = _ID_ALPHABETS[self.id_kind]
        rest = "".join(rng.choice(alphabet) for _ in range(self.id_length - 1))
        return self.id_prefix + first + rest

    @cached_property
    def bodies(self) -> dict[str, Any]:
        """The body template of each scenario (`task_body`), by name."""
        return {name: self.task_body(scenario) for name, scenario in self.scenarios.items()}

    def task_body(self, scenario: Scenario, template: Any = None) -> Any:
        """The body template (the API's, or `template`, a poll's own) with the scenario's field
        overrides merged in."""
        body = self.body if template is None else template
        if not scenario.fields or not isinstance(body, dict) or "$" in body:
            return body
        return {**body, **scenario.fields}


@dataclass(frozen=True)
class SdkSetting:
    """An environment variable (or setting) that points the vendor's SDK at the mock."""

    env: str
    value: str  # with {api_url}, {base_url}, {authority}, {base_path}
    note: str = ""

    def line(self, base_url: str, base_path: str) -> str:
        """`NAME=value` for a mock at `base_url` (scheme://host:port)."""
        authority = base_url.split("://", 1)[-1]
        value = self.value.format(
            api_url=base_url + base_path,
            base_url=base_url,
            authority=authority,
            base_path=base_path,
        )
        return f"{self.env}={value}"


_SDK_PLACEHOLDERS = ("api_url", "base_url", "authority", "base_path")


@cache
def _schema_validator() -> Draft202012Validator:
    schema = load_document(mocks_dir() / "scenario.schema.yaml").data
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def load_behaviour(api: str) -> Behaviour:
    """Load how the mock plays an API of the bundled catalog, checked against its spec."""
    from taskmock._core.catalog import bundled_catalog

    return bundled_catalog().behaviour(api)


def load_behaviour_file(
    path: str | Path, spec_file: str | Path | None = None, *, name: str | None = None
) -> Behaviour:
    """Load a scenario file, checked against its spec: `spec_file`, or the catalog's own
    `specs/<api>.yaml` beside the file's `mocks/` folder. With `name`, its `api` must be that."""
    try:
        source = load_document(path)
    except DocumentError as exc:
        raise ScenarioError(exc.problems) from None
    problems = list(_schema_problems(source))
    if problems:
        raise ScenarioError(problems)
    data = source.data
    if name is not None and data["api"] != name:
        raise ScenarioError(
            [source.problem("/api", f"the file is {name}.yaml, so api must be {name!r}")]
        )
    spec_file = spec_file or Path(path).resolve().parent.parent / "specs" / f"{data['api']}.yaml"
    try:
        spec = load_spec(spec_file)
        lifecycles = spec.lifecycles
    except DocumentError as exc:
        raise ScenarioError([source.problem("/api", f"cannot load its spec: {exc}")]) from None
    kinds = _kinds(source)
    problems.extend(_kind_problems(source, kinds))
    if problems:
        raise ScenarioError(problems)
    for _kind, (where, merged) in kinds.items():
        if merged["task"] not in lifecycles:
            problems.append(
                source.problem(
                    _at(source, where, "task"),
                    f"{merged['task']!r} is not a schema with x-lifecycle in {spec.source.file}"
                    f"{did_you_mean(merged['task'], lifecycles)}",
                )
            )
            continue
        lifecycle = lifecycles[merged["task"]]
        problems.extend(_semantic_problems(source, where, merged, spec, lifecycle))
    problems.extend(_auth_problems(source, kinds))
    problems.extend(_operation_coverage(source, kinds))
    if problems:
        raise ScenarioError(problems)
    return _build(data, kinds, spec)


def _kinds(source: SourceDocument) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each kind's name -> (its pointer, its settings: the file's keys with the kind's over them).
    A file without `kinds` is one kind, named ""."""
    data = source.data
    shared = {k: v for k, v in data.items() if k in KIND_KEYS}
    declared = data.get("kinds")
    if not declared:
        return {"": ("", shared)}
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, own in declared.items():
        merged = {**shared, **own}
        for key in _MERGED_KEYS:
            if key in shared and key in own:
                merged[key] = {**shared[key], **own[key]}
        found[str(name)] = (f"/kinds/{name}", merged)
    return found


def _at(source: SourceDocument, where: str, key: str) -> str:
    """The pointer of a kind's setting: in the kind when it says it, else in the file."""
    if where and isinstance(source.data.get("kinds"), dict):
        own = source.data["kinds"].get(where.rsplit("/", 1)[1], {})
        if key in own:
            return f"{where}/{key}"
    return f"/{key}"


def _kind_problems(
    source: SourceDocument, kinds: Mapping[str, tuple[str, Mapping[str, Any]]]
) -> Iterator[Problem]:
    if "kinds" in source.data and "operations" in source.data:
        yield source.problem(
            "/operations",
            "with kinds, each kind lists its own operations (an operation plays one kind of task)",
        )
    for _kind, (where, merged) in kinds.items():
        missing = [key for key in _KIND_REQUIRED if key not in merged]
        if missing:
            yield source.problem(
                where or "/",
                f"missing {', '.join(repr(k) for k in missing)} (in the kind or in the file)"
                if where
                else f"missing {', '.join(repr(k) for k in missing)}",
            )
            continue
        errors = merged["errors"]
        for required in _ERRORS[:4]:
            if required not in errors:
                yield source.problem(_at(source, where, "errors"), f"errors needs {required!r}")


def _operation_coverage(
    source: SourceDocument, kinds: Mapping[str, tuple[str, Mapping[str, Any]]]
) -> Iterator[Problem]:
    """An operation plays one kind of task: listed by two kinds, it is an error."""
    seen: dict[str, str] = {}
    for kind, (where, merged) in kinds.items():
        for op_id in merged.get("operations") or {}:
            if op_id in seen:
                yield source.problem(
                    f"{where}/operations/{op_id}",
                    f"{op_id!r} is already an operation of kind {seen[op_id]!r}",
                )
            seen[op_id] = kind


def _auth_problems(
    source: SourceDocument, kinds: Mapping[str, tuple[str, Mapping[str, Any]]]
) -> Iterator[Problem]:
    for index, setting in enumerate(source.data.get("sdk", [])):
        try:
            SdkSetting(setting["env"], setting["value"]).line("http://h:1", "/x")
        except (KeyError, IndexError, ValueError) as exc:
            yield source.problem(
                f"/sdk/{index}/value",
                f"placeholders are {', '.join('{' + n + '}' for n in _SDK_PLACEHOLDERS)} "
                f"(not {exc})",
            )
    auth = source.data["auth"]
    for index, form in enumerate(auth.get("credentials") or []):
        try:
            re.compile(form["pattern"])
        except re.error as exc:
            yield source.problem(
                f"/auth/credentials/{index}/pattern", f"not a regular expression: {exc}"
            )
    signed = auth.get("jwt") or {}
    # Beyond the standard errors, one is answered only when a signed auth names it.
    named = set(_ERRORS) | set((signed.get("errors") or {}).values())
    for _kind, (where, merged) in kinds.items():
        for name in merged.get("errors", {}):
            if name not in named:
                yield source.problem(
                    f"{_at(source, where, 'errors')}/{name}",
                    f"no refusal answers with {name!r}{did_you_mean(str(name), named)}",
                )
    if not signed:
        return
    for reason, error in (signed.get("errors") or {}).items():
        if reason not in REFUSALS:
            yield source.problem(
                f"/auth/jwt/errors/{reason}",
                f"{reason!r} is not a refusal{did_you_mean(str(reason), REFUSALS)}",
            )
        for kind, (_where, merged) in kinds.items():
            if error not in merged.get("errors", {}):
                where = f" of kind {kind!r}" if kind else ""
                yield source.problem(
                    f"/auth/jwt/errors/{reason}",
                    f"no error {error!r} in errors{where}"
                    f"{did_you_mean(str(error), merged.get('errors', {}))}",
                )


def _schema_problems(source: SourceDocument) -> Iterator[Problem]:
    errors = sorted(
        _schema_validator().iter_errors(source.data), key=lambda e: list(e.absolute_path)
    )
    for error in errors:
        yield from _explain(source, error)


def _explain(source: SourceDocument, error: ValidationError) -> Iterator[Problem]:
    pointer = pointer_of(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = schema.get("properties", {})
        for key in error.instance:
            if key not in allowed:
                yield source.problem(
                    f"{pointer}/{key}", f"unknown key {key!r}{did_you_mean(str(key), allowed)}"
                )
        return
    if error.validator == "enum":
        options = [str(o) for o in cast(list[Any], error.validator_value)]
        yield source.problem(
            pointer,
            f"{error.instance!r} is not one of {options}"
            f"{did_you_mean(str(error.instance), options)}",
        )
        return
    yield source.problem(pointer, error.message)


def _semantic_problems(
    source: SourceDocument, where: str, data: Mapping[str, Any], spec: Spec, lifecycle: Lifecycle
) -> Iterator[Problem]:
    templates = data.get("templates", {})
    operations = {op.operation_id: op for op in spec.operations()}
    for name, template in templates.items():
        for pointer, message in template_problems(template, templates, f"/templates/{name}"):
            yield source.problem(_in_kind(source, where, "templates", pointer), message)
    for pointer, message in template_problems(data["body"], templates, "/body"):
        yield source.problem(_in_kind(source, where, "body", pointer), message)
    if uses_expression(data["body"], templates, "task"):
        yield source.problem(
            _at(source, where, "body"), "the task's body cannot contain {$: task} (itself)"
        )
    for name, scenario in data["scenarios"].items():
        if uses_expression(scenario.get("fields"), templates, "task"):
            yield source.problem(
                f"{_at(source, where, 'scenarios')}/{name}/fields",
                "the task's body cannot contain {$: task} (itself)",
            )
    for op_id, entry in data["operations"].items():
        at = f"{_at(source, where, 'operations')}/{op_id}"
        if op_id not in operations:
            yield source.problem(
                at,
                f"no operation {op_id!r} in {spec.source.file}{did_you_mean(op_id, operations)}",
            )
            continue
        for key in ("response", "item", "value", "body"):
            for pointer, message in template_problems(entry.get(key), templates, f"{at}/{key}"):
                yield source.problem(pointer, message)
        for pointer, message in role_problems(entry, at, data.get("states", {})):
            yield source.problem(pointer, message)
        for pointer, message in role_state_problems(
            entry, at, lifecycle.is_state, lifecycle.successors
        ):
            yield source.problem(pointer, message)
        for index, answer in enumerate(entry.get("answers") or []):
            for pointer, message in template_problems(
                {k: v for k, v in answer.items() if k in ("body", "headers")},
                templates,
                f"{at}/answers/{index}",
            ):
                yield source.problem(pointer, message)
        yield from _poll_problems(source, at, entry, operations[op_id], spec)
    states = data.get("states", {})
    for kind in ("failed", "cancelled"):
        state = states.get(kind)
        if kind in states and not lifecycle.is_state(state):
            yield source.problem(
                f"{_at(source, where, 'states')}/{kind}",
                f"{state!r} is not a state of {data['task']}",
            )
    scenarios_at = _at(source, where, "scenarios")
    defaults = [n for n, s in data["scenarios"].items() if s.get("default")]
    if len(defaults) > 1:
        yield source.problem(scenarios_at, f"more than one default scenario: {', '.join(defaults)}")
    for index, rule in enumerate(data.get("select", [])):
        if rule["scenario"] not in data["scenarios"]:
            yield source.problem(
                f"{_at(source, where, 'select')}/{index}/scenario",
                f"no scenario {rule['scenario']!r}"
                f"{did_you_mean(rule['scenario'], data['scenarios'])}",
            )
    for name, scenario in data["scenarios"].items():
        yield from _path_problems(source, f"{scenarios_at}/{name}", scenario, lifecycle)
        for pointer, message in template_problems(
            scenario.get("fields", {}), templates, f"{scenarios_at}/{name}/fields"
        ):
            yield source.problem(pointer, message)


def _in_kind(source: SourceDocument, where: str, key: str, pointer: str) -> str:
    """A pointer found in a kind's `key` setting (`/body/x`), placed where that setting is."""
    return _at(source, where, key) + pointer[len(key) + 1 :]


def _poll_problems(
    source: SourceDocument, at: str, entry: Mapping[str, Any], operation: Any, spec: Spec
) -> Iterator[Problem]:
    """A poll's id parameter: a JSON pointer into a body the operation has (`in: body`), a
    pattern that compiles."""
    if entry.get("role") != "poll":
        return
    param = str(entry.get("param", ""))
    if entry.get("in") == "body":
        if not param.startswith("/"):
            yield source.problem(
                f"{at}/param", "with in: body, param is a JSON pointer into the body (/name)"
            )
        body = spec.resolve(operation.raw.get("requestBody"))
        if not isinstance(body, dict) or "application/json" not in (body.get("content") or {}):
            yield source.problem(
                f"{at}/in", f"{operation.operation_id} has no application/json request body"
            )
    pattern = entry.get("pattern")
    if pattern is not None:
        try:
            re.compile(str(pattern))
        except re.error as exc:
            yield source.problem(f"{at}/pattern", f"not a regular expression: {exc}")


def _path_problems(
    source: SourceDocument, where: str, scenario: Mapping[str, Any], lifecycle: Lifecycle
) -> Iterator[Problem]:
    path = scenario["path"]
    states = [step["state"] for step in path]
    labels = [str(s) for s in lifecycle.states]
    for index, state in enumerate(states):
        if not lifecycle.is_state(state):
            yield source.problem(
                f"{where}/path/{index}/state",
                f"{state!r} is not a state of this lifecycle{did_you_mean(str(state), labels)}",
            )
            return
    if states[0] not in lifecycle.initial:
        yield source.problem(
            f"{where}/path/0/state", f"a path starts in an initial state, not {states[0]!r}"
        )
    for index in range(1, len(states)):
        before, after = states[index - 1], states[index]
        if after not in lifecycle.successors(before):
            yield source.problem(
                f"{where}/path/{index}/state",
                f"{before!r} -> {after!r} is not an allowed transition",
            )


def _auth(data: Mapping[str, Any]) -> Authenticator:
    auth = data["auth"]
    if "jwt" in auth:
        return jwt_auth(str(auth["header"]), auth["jwt"])
    return auth_rule(auth)


def _build(
    data: Mapping[str, Any], kinds: Mapping[str, tuple[str, dict[str, Any]]], spec: Spec
) -> Behaviour:
    auth = _auth(data)
    root = bool(data.get("root", True))
    sdk = tuple(
        SdkSetting(str(e["env"]), str(e["value"]), str(e.get("note", "")))
        for e in data.get("sdk", [])
    )
    built: dict[str, Behaviour] = {}
    for kind, (_where, merged) in kinds.items():
        built[kind] = _build_kind(
            kind, normalize(merged), data["api"], spec, auth, root, sdk, built
        )
    if len(built) == 1 and "" in built:
        return replace(built[""], kinds={})
    return next(iter(built.values()))


def _build_kind(
    kind: str,
    data: Mapping[str, Any],
    api: str,
    spec: Spec,
    auth: Authenticator,
    root: bool,
    sdk: tuple[SdkSetting, ...],
    kinds: Mapping[str, Behaviour],
) -> Behaviour:
    # `data` is normalized: option aliases under their names, so rendering reads one spelling.
    operations = {op.operation_id: op for op in spec.operations()}
    scenarios = {
        name: Scenario(
            name,
            tuple(s["path"]),
            s.get("description", ""),
            s.get("input", {}),
            s.get("fields", {}),
        )
        for name, s in data["scenarios"].items()
    }
    default = next(
        (n for n, s in data["scenarios"].items() if s.get("default")), next(iter(scenarios))
    )
    return Behaviour(
        api=api,
        spec=spec,
        task_component=data["task"],
        lifecycle=spec.lifecycles[data["task"]],
        id_kind=data["id"]["kind"],
        id_start=int(data["id"].get("start", 1)),
        id_length=int(data["id"].get("length", 15)),
        id_prefix=str(data["id"].get("prefix", "")),
        time_format=data.get("time-format", "iso"),
        auth=auth,
        errors={
            name: ErrorAnswer(e["status"], e["body"], e.get("content-type", "application/json"))
            for name, e in data["errors"].items()
        },
        forced_states=dict(data.get("states", {})),
        templates=data.get("templates", {}),
        body=data["body"],
        operations={
            op_id: parse_role(entry, operations[op_id])
            for op_id, entry in data["operations"].items()
        },
        select=tuple((rule["input"], rule["scenario"]) for rule in data.get("select", [])),
        scenarios=scenarios,
        default_scenario=default,
        root=root,
        sdk=sdk,
        kind=kind,
        kinds=kinds,
    )
