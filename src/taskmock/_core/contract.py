"""How to talk to a task API, as its spec declares it: what the contract checks need, and no more.

A `Contract` holds the poll (and create) operation, the id parameter, the credential, business
errors and the task's lifecycle of one spec; `_core/extensions.py` reads them from standard OpenAPI
and taskmock's `x-` extensions (each documented in specs/README.md) and reports what is missing or
wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from taskmock._core.lifecycle import Lifecycle
from taskmock._core.source import resolve_ref
from taskmock._core.spec import Operation, Spec
from taskmock.errors import SpecError

__all__ = ["BusinessErrors", "Contract", "CreateCall", "Credential", "IdParameter"]

_PATH_PARAMETER = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True)
class Credential:
    """The header a credential travels in, and the prefix each accepted form puts before a token.

    `prefixes[0]` (from the first security alternative) turns a bare token into a header value.
    """

    header: str
    prefixes: tuple[str, ...]
    required: bool
    source: str

    def value(self, token: str) -> str:
        """The header value for a token given bare (`abc`) or whole (`Token abc`)."""
        return token if self._prefix_of(token) else self.prefixes[0] + token

    def bare(self, token: str) -> str:
        """The token without the prefix it was given with."""
        return token[len(self._prefix_of(token)) :]

    @property
    def prefix_required(self) -> bool:
        """Whether every accepted form puts a prefix before the token (so a bare one is wrong)."""
        return all(self.prefixes)

    def _prefix_of(self, token: str) -> str:
        return next((p for p in self.prefixes if p and token.lower().startswith(p.lower())), "")


@dataclass(frozen=True)
class BusinessErrors:
    """Errors carried in a body (even with HTTP 200): the code at `at`, unless in `success`."""

    at: str
    success: tuple[Any, ...]
    codes: Mapping[str, tuple[Any, ...]]
    source: str

    def code(self, body: Any) -> Any:
        """The code a body carries at `at`, or None when it carries none."""
        try:
            value = resolve_ref(body, "#" + self.at)
        except (KeyError, IndexError, ValueError, TypeError):
            return None
        return None if isinstance(value, dict | list) else value

    def is_error(self, body: Any) -> bool:
        """Whether the body carries a code that is not a success."""
        code = self.code(body)
        return code is not None and not _among(code, self.success)

    def means(self, body: Any, meaning: str) -> bool:
        """Whether the body carries one of the codes declared for `meaning` (e.g. `not-found`)."""
        code = self.code(body)
        return code is not None and _among(code, self.codes.get(meaning, ()))


def _among(value: Any, values: tuple[Any, ...]) -> bool:
    # JSON's 1 and true differ, Python's do not.
    return any(value == v and type(value) is type(v) for v in values)


@dataclass(frozen=True)
class IdParameter:
    """Where a poll operation takes the task id: a path or query parameter (`name`), or a JSON
    pointer into its request body (`location` "body", `name` the pointer; the named groups of
    `pattern` in the id fill the path's parameters: a composite name carries them)."""

    name: str
    location: str  # "path", "query" or "body"
    schema: Mapping[str, Any]
    pattern: str | None = None


@dataclass(frozen=True)
class CreateCall:
    """The cheapest task `--create` may start: operation, example body, where its id comes."""

    operation: Operation
    example: str
    body: Mapping[str, Any]
    summary: str
    source: str
    task_id: str  # a JSON pointer into the create answer
    task_id_pattern: str | None = None  # the id is this regex's `id` group (or first) in it
    headers: Mapping[str, str] = field(default_factory=dict)  # its required header parameters

    def id_in(self, text: str) -> str | None:
        """The task id in the value at `task_id` (all of it, or what the pattern picks)."""
        if self.task_id_pattern is None:
            return text
        found = re.search(self.task_id_pattern, text)
        if found is None:
            return None
        return (
            found.group("id") if "id" in found.re.groupindex else found.group(found.re.groups and 1)
        )


@dataclass(frozen=True)
class Contract:
    """What the contract checks read from a spec: the poll (and create) operation, the credential,
    the task lifecycle, business errors, and whether HTTP status codes were inferred."""

    api: str
    spec: Spec
    lifecycle: Lifecycle
    poll: Operation
    task_id: IdParameter
    credential: Credential | None
    business: BusinessErrors | None
    create: CreateCall | None
    status_codes_inferred: bool
    #: The poll's required header parameters (a version header), as every request sends them.
    poll_headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: Spec, poll: str | None = None) -> Contract:
        """The contract of a spec; `poll` picks a poll operation by operationId (default: the
        first). Raises SpecError (file, line, pointer) when the spec does not declare enough."""
        from taskmock._core.extensions import read_contract  # the reader builds these types

        contract, problems = read_contract(spec, poll)
        if problems or contract is None:
            raise SpecError(spec.source.problem(p, m) for p, m in problems)
        return contract

    def path_for(self, task_id: Any) -> str:
        """The request path (with query) that reads `task_id` through the poll operation."""
        value = quote(str(task_id), safe="")
        path = self.filled_path(self.poll, but=self.task_id.name)
        if self.task_id.location == "query":
            return f"{path}?{quote(self.task_id.name, safe='')}={value}"
        if self.task_id.location == "body":
            found = re.search(self.task_id.pattern or "$^", str(task_id))
            groups = found.groupdict() if found else {}
            return _PATH_PARAMETER.sub(
                lambda m: quote(str(groups.get(m.group(1)) or "-"), safe=""), self.poll.path
            )
        return path.replace("{" + self.task_id.name + "}", value)

    def filled_path(self, operation: Operation, but: str | None = None) -> str:
        """The operation's path with its path parameters (but `but`) filled from the spec's
        examples (a model's owner and name), percent-encoded."""
        path = operation.path
        for name, example in self.spec.path_examples(operation).items():
            if name != but:
                path = path.replace("{" + name + "}", quote(example, safe="/"))
        return path

    def request_for(self, task_id: Any) -> tuple[str, str, bytes | None]:
        """(method, path, JSON body or None) of the request that reads `task_id`."""
        if self.task_id.location != "body":
            return self.poll.method, self.path_for(task_id), None
        keys = [k.replace("~1", "/").replace("~0", "~") for k in self.task_id.name.split("/")[1:]]
        body: Any = str(task_id)
        for key in reversed(keys):
            body = {key: body}
        return self.poll.method, self.path_for(task_id), json.dumps(body).encode()

    def unknown_id(self) -> str:
        """An id no task has, shaped by the id parameter's schema (so it passes input checks);
        a composite id (`pattern`) is an example of it with its id part replaced."""
        if self.task_id.pattern is not None:
            return self._unknown_composite(self.task_id.pattern)
        schema = self.spec.resolve(self.task_id.schema)
        schema = schema if isinstance(schema, dict) else {}
        kinds = schema.get("type", "string")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "string" not in kinds and ("integer" in kinds or "number" in kinds):
            top = schema.get("maximum")
            return str(min(999_999_999, top) if isinstance(top, int) else 999_999_999)
        candidates = [
            "taskmock-probe-unknown-id",
            "999999999999999",
            "00000000-0000-4000-8000-000000000000",
            "taskmockprobe",
        ]
        if schema.get("format") == "uuid":
            candidates.insert(0, candidates.pop(2))
        validator = self.spec.validator({**schema, "type": "string"})
        for candidate in candidates:
            try:
                if validator.is_valid(candidate):
                    return candidate
            except re.error:  # a pattern Python cannot compile: no candidate can be judged
                break
        return candidates[0]

    def _unknown_composite(self, pattern: str) -> str:
        compiled = re.compile(pattern)
        group = "id" if "id" in compiled.groupindex else (1 if compiled.groups else 0)
        for example in _examples(self.spec.resolve(self.task_id.schema)):
            found = compiled.search(example)
            if found is None:
                continue
            start, end = found.span(group)
            probe = example[:start] + "taskmockprobe0unknown" + example[end:]
            if compiled.search(probe):
                return probe
        return "taskmock-probe-unknown-id"

    def response_source(self, status: int) -> str | None:
        """The provenance of the poll response declared for `status`, None if none is."""
        declared = _declared_response(self.poll, status)
        if declared is None:
            return None
        resolved = self.spec.resolve(declared)
        if isinstance(resolved, dict) and "x-source" in resolved:
            return str(resolved["x-source"])
        return self.poll.source

    def declared_statuses(self) -> list[int]:
        """The HTTP status codes the poll operation documents (ranges and default left out)."""
        return [int(s) for s in self.poll.raw.get("responses", {}) if str(s).isdigit()]


def _examples(schema: Any) -> list[str]:
    """The string examples a schema gives (`examples`, `example`, `default`)."""
    if not isinstance(schema, dict):
        return []
    found = [*(schema.get("examples") or []), schema.get("example"), schema.get("default")]
    return [value for value in found if isinstance(value, str)]


def _declared_response(operation: Operation, status: int) -> Any:
    responses = operation.raw.get("responses", {})
    return (
        responses.get(str(status))
        or responses.get(f"{str(status)[0]}XX")
        or responses.get("default")
    )
