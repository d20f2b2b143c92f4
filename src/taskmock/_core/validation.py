"""Validate an OpenAPI 3.1 document as a taskmock contract.

Checks, in order: the file parses; every local `$ref` resolves; the document is valid OpenAPI 3.1;
every example validates against its schema (placeholders against their shape only); every
`x-lifecycle` is well formed and agrees with the schema's `if`/`then` rules and status enum; every
provenance (`x-source`, `x-status-codes`) is one of ours and no extension is a near miss of one;
a task API declares what the contract checks need (`_core/extensions.py`).
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing.exceptions import Unresolvable

from taskmock._core.extensions import EXTENSIONS, SOURCES, read_contract
from taskmock._core.lifecycle import rule_atoms, schema_lifecycle, schema_rule_atoms
from taskmock._core.source import SourceDocument, escape_pointer, pointer_of, resolve_ref
from taskmock._core.spec import PLACEHOLDER_EXAMPLES, Spec, load_spec
from taskmock.errors import DocumentError, Problem, did_you_mean

__all__ = [
    "example_problems",
    "iter_examples",
    "shape_only",
    "structure_problems",
    "validate_file",
    "validate_spec",
]

# Keywords that constrain values rather than shape; a placeholder example is exempt from them.
_VALUE_KEYWORDS = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "enum",
        "const",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "if",
        "then",
        "else",
        "not",
    }
)
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_SINGLE = (
    "items",
    "additionalProperties",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
)


def shape_only(schema: Any) -> Any:
    """A copy of a schema that checks fields and types only (value constraints removed)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _VALUE_KEYWORDS:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: shape_only(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [shape_only(sub) for sub in value]
        elif key in _SCHEMA_SINGLE:
            out[key] = shape_only(value)
        else:
            out[key] = value
    return out


def validate_file(path: str | Path) -> list[Problem]:
    """All problems of the document at `path`; an empty list means it is a valid contract."""
    try:
        spec = load_spec(path)
    except DocumentError as exc:
        return exc.problems
    return validate_spec(spec)


def validate_spec(spec: Spec) -> list[Problem]:
    """All problems of a loaded document."""
    problems = structure_problems(spec)
    if problems:
        return problems
    problems.extend(example_problems(spec))
    problems.extend(_lifecycle_problems(spec))
    problems.extend(_extension_problems(spec))
    _, found = read_contract(spec)
    problems.extend(spec.source.problem(pointer, message) for pointer, message in found)
    return problems


def structure_problems(spec: Spec) -> list[Problem]:
    """Whether a document is OpenAPI 3.1 at all: its version, its `$ref`s, its structure."""
    source = spec.source
    version = str(spec.document.get("openapi", ""))
    if not version.startswith("3.1"):
        return [
            source.problem(
                "/openapi", f"expected an OpenAPI 3.1 document, found {version or 'none'!r}"
            )
        ]
    problems = list(_dangling_refs(source))
    if problems:
        return problems  # the OpenAPI validator cannot proceed past an unresolvable reference
    try:
        for error in OpenAPIV31SpecValidator(spec.document).iter_errors():
            problems.append(
                source.problem(pointer_of(error.absolute_path), _first_line(error.message))
            )
    except Unresolvable as exc:
        problems.append(source.problem("", f"unresolvable reference: {exc}"))
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        # After its schema check the validator walks the document, and trips over shapes the
        # check has just reported (`paths: 5`): those reports say what is wrong.
        if not problems:
            problems.append(
                source.problem("", f"not a readable OpenAPI document ({type(exc).__name__}: {exc})")
            )
    return problems


def _first_line(message: str) -> str:
    # Some validator backends (jsonschema-rs) append the failing schema on further lines.
    return message.strip().split("\n", 1)[0]


def _walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))


def _dangling_refs(source: SourceDocument) -> Iterator[Problem]:
    for path, node in _walk(source.data):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#"):
                continue  # external references are the reader's business
            try:
                resolve_ref(source.data, ref)
            except (KeyError, IndexError, ValueError):
                yield source.problem(pointer_of((*path, "$ref")), f"$ref {ref!r} points to nothing")


def iter_examples(spec: Spec) -> Iterator[tuple[str, str, Any, dict[str, Any], bool]]:
    """Every example with a schema: (name, pointer of its value, value, schema, is_placeholder).

    Examples live next to a `schema` in media types, parameters and headers. A placeholder (a
    documented example that breaks the schema on purpose) is marked `x-placeholder: true`, or kept
    apart under `x-placeholder-examples` so that tools reading `examples` as valid answers skip it.
    """
    document = spec.document
    for path, node in _walk(document):
        if not (isinstance(node, dict) and isinstance(node.get("schema"), dict)):
            continue
        pointer = pointer_of(path)
        schema = node["schema"]
        if "example" in node:
            yield "example", f"{pointer}/example", node["example"], schema, False
        for key, apart in (("examples", False), (PLACEHOLDER_EXAMPLES, True)):
            for name, example in (node.get(key) or {}).items():
                where = f"{pointer}/{key}/{escape_pointer(name)}"
                if isinstance(example, dict) and isinstance(example.get("$ref"), str):
                    example = resolve_ref(document, example["$ref"])
                if isinstance(example, dict) and "value" in example:
                    placeholder = apart or bool(example.get("x-placeholder"))
                    yield name, f"{where}/value", example["value"], schema, placeholder


def example_problems(spec: Spec) -> Iterator[Problem]:
    """Every example that does not match its schema (a placeholder: its shape)."""
    shape_validator: Validator | None = None
    for name, pointer, value, schema, placeholder in iter_examples(spec):
        if placeholder:
            if shape_validator is None:
                shape_document = copy.deepcopy(spec.document)
                schemas = shape_document.get("components", {}).get("schemas", {})
                for key in list(schemas):
                    schemas[key] = shape_only(schemas[key])
                shape_validator = Draft202012Validator(shape_document)
            validator = shape_validator.evolve(schema=shape_only(schema))
        else:
            validator = spec.validator(schema)
        for error in validator.iter_errors(value):
            kind = "placeholder example (shape only)" if placeholder else "example"
            yield spec.source.problem(
                pointer + pointer_of(error.absolute_path),
                f"{kind} {name!r} does not match its schema: {error.message}",
            )


def _lifecycle_problems(spec: Spec) -> Iterator[Problem]:
    source = spec.source
    for name, schema in spec.schemas.items():
        if not isinstance(schema, dict) or "x-lifecycle" not in schema:
            continue
        base = f"/components/schemas/{escape_pointer(name)}"
        lifecycle, problems = schema_lifecycle(schema)
        for pointer, message in problems:
            yield source.problem(f"{base}/x-lifecycle{pointer}", message)
        if lifecycle is None:
            continue
        properties = schema.get("properties", {})
        named = [
            lifecycle.status_field,
            lifecycle.id_field,
            lifecycle.progress_field,
            *lifecycle.timestamps,
        ]
        named += [f for rule in lifecycle.rules for f in rule.fields]
        named += [path.split(".")[0] for when in lifecycle.when.values() for path in when]
        # A dotted path (metadata.progress) names a nested member: its first key is a property.
        for field_name in dict.fromkeys(n.split(".")[0] for n in named if n is not None):
            if field_name not in properties:
                yield source.problem(
                    f"{base}/x-lifecycle", f"names field {field_name!r}, not a property of {name}"
                )
        status_schema = properties.get(lifecycle.status_field or "")
        if isinstance(status_schema, dict):
            validator = spec.validator(status_schema)
            # A state with `when` is a name; its condition says what the body holds.
            spelled = [s for s in lifecycle.states if s not in lifecycle.when]
            for state in (*spelled, *lifecycle.aliases):
                if not validator.is_valid(state):
                    yield source.problem(
                        f"{base}/x-lifecycle/states",
                        f"state {state!r} is not a valid value of {name}.{lifecycle.status_field}",
                    )
        declared, odd = schema_rule_atoms(schema, lifecycle)
        for message in odd:
            yield source.problem(f"{base}/allOf", message)
        wanted = rule_atoms(lifecycle)
        for state, field_name, kind in sorted(wanted - declared):
            yield source.problem(
                f"{base}/allOf",
                f"x-lifecycle rule '{field_name} {kind} at {state}' has no if/then in the schema",
            )
        for state, field_name, kind in sorted(declared - wanted):
            yield source.problem(
                f"{base}/x-lifecycle/field-rules",
                f"schema if/then '{field_name} {kind} at {state}' is missing from x-lifecycle",
            )


# How alike an unknown extension must be to one of ours to be a typo, not someone else's extension
# (x-credential-prefx is; x-deprecated and x-order, common elsewhere, are not).
_NEAR_MISS = 0.85
# Values, not spec: an extension-looking key inside them is data.
_DATA_KEYS = frozenset({"example", "value", "default", "const", "enum"})


def _extension_problems(
    spec: Spec, node: Any = None, path: tuple[Any, ...] = ()
) -> Iterator[Problem]:
    """Provenance values that are not ours, and extension names one typo away from ours."""
    node = spec.document if not path else node
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in children:
        where = (*path, key)
        if isinstance(key, str) and key.startswith("x-"):
            if key in ("x-source", "x-status-codes") and value not in SOURCES:
                yield spec.source.problem(
                    pointer_of(where),
                    f"{value!r} is not a provenance{did_you_mean(str(value), SOURCES)}",
                )
            if key == "x-multi-segment" and (
                not isinstance(value, bool)
                or not isinstance(node, dict)
                or node.get("in") != "path"
            ):
                yield spec.source.problem(
                    pointer_of(where),
                    "x-multi-segment is true or false, on a path parameter (its value may then "
                    "span segments: a/b/c)",
                )
            close = difflib.get_close_matches(key, EXTENSIONS, n=1, cutoff=_NEAR_MISS)
            if key not in EXTENSIONS and close:
                yield spec.source.problem(
                    pointer_of(where), f"unknown extension {key!r}; did you mean {close[0]!r}?"
                )
        if key not in _DATA_KEYS:
            yield from _extension_problems(spec, value, where)
