"""A loaded OpenAPI 3.1 spec: its operations, task lifecycles and standalone component schemas."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator

from taskmock._core.formats import FORMATS
from taskmock._core.lifecycle import Lifecycle, schema_lifecycle
from taskmock._core.source import SourceDocument, escape_pointer, load_document, resolve_ref
from taskmock._resources import specs_dir
from taskmock.errors import SpecError, UnknownNameError

__all__ = [
    "HTTP_METHODS",
    "NO_EXAMPLE",
    "PLACEHOLDER_EXAMPLES",
    "Operation",
    "Spec",
    "load_api",
    "load_spec",
    "parameter_example",
    "standalone_schema",
]

#: What `parameter_example` gives for a parameter that names no value.
NO_EXAMPLE: Any = object()

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_COMPONENT_PREFIX = "#/components/schemas/"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: Where a media type keeps its placeholder examples (outside `examples`, which tools replay).
PLACEHOLDER_EXAMPLES = "x-placeholder-examples"


@dataclass(frozen=True)
class Operation:
    """One operation of a spec: method, path template and its raw OpenAPI object."""

    method: str
    path: str
    operation_id: str
    source: str
    raw: dict[str, Any]

    @property
    def pointer(self) -> str:
        """The operation's JSON pointer in its document."""
        return f"/paths/{escape_pointer(self.path)}/{self.method.lower()}"


class Spec:
    """An OpenAPI document with taskmock's extensions; load it with `load_spec` or `load_api`."""

    def __init__(self, source: SourceDocument, name: str | None = None) -> None:
        self.source = source
        self.document: dict[str, Any] = source.data
        self.name = name or Path(source.file).stem

    @property
    def title(self) -> str:
        """The document's `info.title`."""
        return str(self.document.get("info", {}).get("title", self.name))

    def operations(self) -> Iterator[Operation]:
        """Every operation, in document order."""
        for path, item in (self.document.get("paths") or {}).items():
            for method in HTTP_METHODS:
                if isinstance(item, dict) and method in item:
                    raw = item[method]
                    yield Operation(
                        method.upper(),
                        path,
                        str(raw.get("operationId", f"{method} {path}")),
                        str(
                            raw.get("x-source", self.document.get("info", {}).get("x-source", "?"))
                        ),
                        raw,
                    )

    def operation(self, operation_id: str) -> Operation:
        """The operation with this operationId."""
        for op in self.operations():
            if op.operation_id == operation_id:
                return op
        raise UnknownNameError(
            "operation", operation_id, (o.operation_id for o in self.operations())
        )

    @property
    def schemas(self) -> dict[str, Any]:
        """`components.schemas`."""
        return dict((self.document.get("components") or {}).get("schemas") or {})

    def resolve(self, node: Any) -> Any:
        """`node`, or what its local `$ref` (chain) points to in this document."""
        while (
            isinstance(node, dict)
            and isinstance(node.get("$ref"), str)
            and node["$ref"].startswith("#")
        ):
            node = resolve_ref(self.document, node["$ref"])
        return node

    def path_examples(self, operation: Operation) -> dict[str, str]:
        """The path parameters of an operation that give an example (`parameter_example`), with
        it: what fills a path template beside the id."""
        item = (self.document.get("paths") or {}).get(operation.path) or {}
        found: dict[str, str] = {}
        for raw in (*item.get("parameters", []), *operation.raw.get("parameters", [])):
            parameter = self.resolve(raw)
            if not isinstance(parameter, dict) or parameter.get("in") != "path":
                continue
            example = parameter_example(self, parameter)
            if isinstance(example, str | int) and not isinstance(example, bool):
                found[str(parameter.get("name"))] = str(example)
        return found

    def properties(self, schema: Any) -> dict[str, Any]:
        """The properties a schema declares, through `$ref` and `allOf`, each one resolved."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return {}
        found: dict[str, Any] = {}
        for part in schema.get("allOf", []):
            found.update(self.properties(part))
        found.update(
            {name: self.resolve(sub) for name, sub in schema.get("properties", {}).items()}
        )
        return found

    @cached_property
    def lifecycles(self) -> dict[str, Lifecycle]:
        """The lifecycle of every component schema that declares `x-lifecycle`."""
        found: dict[str, Lifecycle] = {}
        for name, schema in self.schemas.items():
            if isinstance(schema, dict) and "x-lifecycle" in schema:
                lifecycle, problems = schema_lifecycle(schema)
                if problems or lifecycle is None:
                    pointer = f"/components/schemas/{escape_pointer(name)}/x-lifecycle"
                    raise SpecError(self.source.problem(pointer + p, m) for p, m in problems)
                found[name] = lifecycle
        return found

    @cached_property
    def _root_validator(self) -> Validator:
        # The whole document as the root resource, so "#/components/..." resolves inside it.
        return Draft202012Validator(self.document, format_checker=FORMATS)

    def validator(self, schema: dict[str, Any]) -> Validator:
        """A JSON Schema validator for a schema inside this document (refs resolve in it)."""
        return self._root_validator.evolve(schema=schema)

    def component_validator(self, component: str) -> Validator:
        """A validator for `#/components/schemas/<component>`."""
        if component not in self.schemas:
            raise UnknownNameError(f"component of {self.name}", component, self.schemas)
        return self.validator({"$ref": _COMPONENT_PREFIX + component})

    def standalone_schema(self, component: str) -> dict[str, Any]:
        """A self-contained JSON Schema 2020-12 for a component (references bundled in `$defs`)."""
        if component not in self.schemas:
            raise UnknownNameError(f"component of {self.name}", component, self.schemas)
        return standalone_schema(self.schemas, component, title=f"{self.title}: {component}")


def standalone_schema(schemas: dict[str, Any], component: str, *, title: str) -> dict[str, Any]:
    """Bundle `component` and every component it references into one 2020-12 schema."""
    needed: list[str] = []
    pending = [component]
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.append(name)
        pending.extend(_component_refs(schemas[name]))
    root = _rewrite_refs(copy.deepcopy(schemas[component]))
    bundled: dict[str, Any] = {"$schema": JSON_SCHEMA_DIALECT, "title": title, **root}
    defs = {
        name: _rewrite_refs(copy.deepcopy(schemas[name]))
        for name in sorted(needed)
        if name != component
    }
    if defs:
        bundled["$defs"] = defs
    # The root component may itself be referenced (recursion): point such refs at the root.
    text = json.dumps(bundled).replace(f'"#/$defs/{component}"', '"#"')
    result: dict[str, Any] = json.loads(text)
    return result


def _component_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_COMPONENT_PREFIX):
            yield ref[len(_COMPONENT_PREFIX) :]
        for value in node.values():
            yield from _component_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _component_refs(value)


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: ("#/$defs/" + value[len(_COMPONENT_PREFIX) :])
            if key == "$ref" and isinstance(value, str) and value.startswith(_COMPONENT_PREFIX)
            else _rewrite_refs(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def load_spec(path: str | Path) -> Spec:
    """Load any OpenAPI document (ours or a user's) without validating it."""
    source = load_document(path)
    if not isinstance(source.data, dict):
        raise SpecError([source.problem("", "an OpenAPI document must be a mapping")])
    return Spec(source)


def load_api(name: str) -> Spec:
    """Load the spec of a bundled API by name, or the control plane's (`control`)."""
    if name == "control":
        return load_spec(specs_dir() / "control.yaml")
    from taskmock._core.catalog import bundled_catalog

    return bundled_catalog().spec(name)


def parameter_example(spec: Spec, parameter: Mapping[str, Any]) -> Any:
    """The value a parameter gives to send: its own `example`, the first of its `examples`, else
    its schema's `const`, `default`, `example`, first `enum` value or first of `examples`;
    NO_EXAMPLE when it gives none."""
    if "example" in parameter:
        return parameter["example"]
    for example in (parameter.get("examples") or {}).values():
        example = spec.resolve(example)
        if isinstance(example, dict) and "value" in example:
            return example["value"]
    schema = spec.resolve(parameter.get("schema"))
    if not isinstance(schema, dict):
        return NO_EXAMPLE
    for key in ("const", "default", "example"):
        if key in schema:
            return schema[key]
    for key in ("enum", "examples"):
        if isinstance(schema.get(key), list) and schema[key]:
            return schema[key][0]
    return NO_EXAMPLE
