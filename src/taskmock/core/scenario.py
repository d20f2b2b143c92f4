"""Load a scenario file (`mocks/<api>.yaml`): how the mock plays one API, checked against its spec.

Everything the mock does for an API comes from here and from the spec: ids, auth, error bodies,
what each operation does, the task body template, and the scenarios (paths through the lifecycle
with dwell times). A broken file fails at load with file, line, key and a "did you mean".
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from taskmock.core.lifecycle import Lifecycle
from taskmock.core.roles import Poll, Role, parse_role, role_problems, role_state_problems
from taskmock.core.source import SourceDocument, load_document, pointer_of
from taskmock.core.spec import Spec, load_spec
from taskmock.core.template import normalize, template_problems, uses_expression
from taskmock.errors import DocumentError, Problem, ScenarioError, UnknownNameError, did_you_mean
from taskmock.resources import mocks_dir

__all__ = [
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


# Header values up to this long have their parse remembered; longer ones are parsed each time.
_REMEMBERED_CREDENTIAL = 256


@dataclass(frozen=True)
class AuthRule:
    """Which credential shapes an API accepts, in which header.

    A task's owner is the credential that created it, scheme and token together: `Token abc` and
    `Bearer abc` are two owners.
    """

    header: str
    credentials: tuple[tuple[str, re.Pattern[str]], ...]
    example: str

    @cached_property
    def header_key(self) -> str:
        """The header name as requests carry it (lower case)."""
        return self.header.lower()

    def credential(self, value: str | None) -> tuple[str, str] | None:
        """(owner, token) for a well-formed header value, or None when missing or malformed."""
        if not value:
            return None
        if len(value) > _REMEMBERED_CREDENTIAL:
            return self._parse(value)
        return self._credentials(value)

    def owner(self, value: str | None) -> str | None:
        """The owner a header value names (the whole credential), or None when malformed."""
        found = self.credential(value)
        return None if found is None else found[0]

    def owner_of(self, given: str) -> str:
        """The owner named by a whole header value (`Token abc`) or a bare token (`abc`, read with
        the first scheme that accepts it); other text names an owner no request can be."""
        if self.credential(given) is not None:
            return given
        for prefix, pattern in self.credentials:
            if pattern.fullmatch(given):
                return prefix + given
        return given

    def token(self, value: str) -> str:
        """The token inside a header value (`abc` in `Token abc`)."""
        found = self.credential(value)
        return value if found is None else found[1]

    @cached_property
    def _credentials(self) -> Callable[[str], tuple[str, str] | None]:
        # A pure function of the header value; clients send the same few credentials.
        return lru_cache(maxsize=1024)(self._parse)

    def _parse(self, value: str) -> tuple[str, str] | None:
        for prefix, pattern in self.credentials:
            if value.startswith(prefix) and pattern.fullmatch(value[len(prefix) :]):
                return value, value[len(prefix) :]
        return None


# The characters of generated string ids, by `id.kind`.
_ID_ALPHABETS = {
    "digits": "0123456789",
    "hex": "0123456789abcdef",
    "alphanumeric": "0123456789abcdefghijklmnopqrstuvwxyz",
}


@dataclass(frozen=True)
class Behaviour:
    """Everything the mock needs to play one API."""

    api: str
    spec: Spec
    task_component: str
    lifecycle: Lifecycle
    id_kind: str
    id_start: int
    id_length: int
    id_prefix: str
    time_format: str
    auth: AuthRule
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

    @cached_property
    def base_path(self) -> str:
        """Where the API's paths start on a mock: "" at the root, else "/<api>"."""
        return "" if self.root else f"/{self.api}"

    @property
    def poll(self) -> Poll:
        """The operation that polls one task."""
        return next(op for op in self.operations.values() if isinstance(op, Poll))

    def poll_path(self, task_id: Any, params: Mapping[str, str] | None = None) -> str:
        """The path (with query) that polls a task on a mock; other path parameters (a model
        name) take the task's create-request `params`, else the spec's examples."""
        others = {**self.spec.path_examples(self.poll.operation), **(params or {})}
        return self.base_path + self.poll.path_for(task_id, others)

    def scenario(self, name: str | None) -> Scenario:
        """A scenario by name (the default when None); UnknownNameError otherwise."""
        chosen = self.default_scenario if name is None else name
        if chosen not in self.scenarios:
            raise UnknownNameError(f"scenario of {self.api}", chosen, self.scenarios)
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
        rng = random.Random(f"{seed}:{self.api}:id:{counter}")
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

    def task_body(self, scenario: Scenario) -> Any:
        """The body template with the scenario's field overrides merged in."""
        if not scenario.fields:
            return self.body
        return {**self.body, **scenario.fields}


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
    from taskmock.core.catalog import bundled_catalog

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
    if data["task"] not in lifecycles:
        raise ScenarioError(
            [
                source.problem(
                    "/task",
                    f"{data['task']!r} is not a schema with x-lifecycle in {spec.source.file}"
                    f"{did_you_mean(data['task'], lifecycles)}",
                )
            ]
        )
    lifecycle = lifecycles[data["task"]]
    problems.extend(_semantic_problems(source, spec, lifecycle))
    if problems:
        raise ScenarioError(problems)
    return _build(data, spec, lifecycle)


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
    source: SourceDocument, spec: Spec, lifecycle: Lifecycle
) -> Iterator[Problem]:
    data = source.data
    templates = data.get("templates", {})
    operations = {op.operation_id: op for op in spec.operations()}
    for name, template in templates.items():
        for pointer, message in template_problems(template, templates, f"/templates/{name}"):
            yield source.problem(pointer, message)
    for pointer, message in template_problems(data["body"], templates, "/body"):
        yield source.problem(pointer, message)
    for where, template in [
        ("/body", data["body"]),
        *((f"/scenarios/{n}/fields", s.get("fields")) for n, s in data["scenarios"].items()),
    ]:
        if uses_expression(template, templates, "task"):
            yield source.problem(where, "the task's body cannot contain {$: task} (itself)")
    for op_id, entry in data["operations"].items():
        where = f"/operations/{op_id}"
        if op_id not in operations:
            yield source.problem(
                where,
                f"no operation {op_id!r} in {spec.source.file}{did_you_mean(op_id, operations)}",
            )
            continue
        for pointer, message in template_problems(
            entry.get("response"), templates, where + "/response"
        ):
            yield source.problem(pointer, message)
        for pointer, message in role_problems(entry, where, data.get("states", {})):
            yield source.problem(pointer, message)
        for pointer, message in role_state_problems(
            entry, where, lifecycle.is_state, lifecycle.successors
        ):
            yield source.problem(pointer, message)
        for index, answer in enumerate(entry.get("answers") or []):
            for pointer, message in template_problems(
                {k: v for k, v in answer.items() if k in ("body", "headers")},
                templates,
                f"{where}/answers/{index}",
            ):
                yield source.problem(pointer, message)
        for pointer, message in template_problems(entry.get("item"), templates, where + "/item"):
            yield source.problem(pointer, message)
    for kind in ("failed", "cancelled"):
        state = data.get("states", {}).get(kind)
        if kind in data.get("states", {}) and not lifecycle.is_state(state):
            yield source.problem(f"/states/{kind}", f"{state!r} is not a state of {data['task']}")
    defaults = [n for n, s in data["scenarios"].items() if s.get("default")]
    if len(defaults) > 1:
        yield source.problem("/scenarios", f"more than one default scenario: {', '.join(defaults)}")
    for index, rule in enumerate(data.get("select", [])):
        if rule["scenario"] not in data["scenarios"]:
            yield source.problem(
                f"/select/{index}/scenario",
                f"no scenario {rule['scenario']!r}"
                f"{did_you_mean(rule['scenario'], data['scenarios'])}",
            )
    for name, scenario in data["scenarios"].items():
        yield from _path_problems(source, f"/scenarios/{name}", scenario, lifecycle)
        for pointer, message in template_problems(
            scenario.get("fields", {}), templates, f"/scenarios/{name}/fields"
        ):
            yield source.problem(pointer, message)
    for index, setting in enumerate(data.get("sdk", [])):
        try:
            SdkSetting(setting["env"], setting["value"]).line("http://h:1", "/x")
        except (KeyError, IndexError, ValueError) as exc:
            yield source.problem(
                f"/sdk/{index}/value",
                f"placeholders are {', '.join('{' + n + '}' for n in _SDK_PLACEHOLDERS)} "
                f"(not {exc})",
            )
    for index, (_prefix, pattern) in enumerate(
        (c["prefix"], c["pattern"]) for c in data["auth"]["credentials"]
    ):
        try:
            re.compile(pattern)
        except re.error as exc:
            yield source.problem(
                f"/auth/credentials/{index}/pattern", f"not a regular expression: {exc}"
            )


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


def _build(data: Mapping[str, Any], spec: Spec, lifecycle: Lifecycle) -> Behaviour:
    data = normalize(data)  # option aliases under their names: rendering reads one spelling
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
    auth = data["auth"]
    return Behaviour(
        api=data["api"],
        spec=spec,
        task_component=data["task"],
        lifecycle=lifecycle,
        id_kind=data["id"]["kind"],
        id_start=int(data["id"].get("start", 1)),
        id_length=int(data["id"].get("length", 15)),
        id_prefix=str(data["id"].get("prefix", "")),
        time_format=data.get("time-format", "iso"),
        auth=AuthRule(
            auth["header"],
            tuple((c["prefix"], re.compile(c["pattern"])) for c in auth["credentials"]),
            auth["example"],
        ),
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
        root=bool(data.get("root", True)),
        sdk=tuple(
            SdkSetting(str(e["env"]), str(e["value"]), str(e.get("note", "")))
            for e in data.get("sdk", [])
        ),
    )
