"""The bundled specs read the same in other contract tools (Specmatic first; see specs/README.md).

Each rule here is a way a spec was valid OpenAPI 3.1 yet read differently elsewhere:

- a schema's `required` is checked against every `allOf` branch, so each branch declares the
  properties the schema requires (Specmatic warned and dropped the requirement);
- an array declares its `items` (Specmatic refused to load an array without);
- no YAML anchors and aliases (Specmatic read `*name` as the string "name");
- a placeholder example, which breaks the schema on purpose, stays out of `examples` (tools replay
  those as valid answers; Specmatic refused the spec).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from taskmock._core.clock import ManualClock
from taskmock._core.source import SourceDocument, escape_pointer
from taskmock._core.spec import Spec, load_api
from taskmock._core.tasks import TaskService
from taskmock._http.control_spec import control_openapi
from tests.support import API_NAMES, spec_path

DOCUMENTS = (*API_NAMES, "control")


def _schemas(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping that sits where a schema may (a loose walk: any mapping with schema keys)."""
    if isinstance(node, dict):
        if any(key in node for key in ("type", "allOf", "properties", "items", "$ref", "schema")):
            yield pointer, node
        for key, value in node.items():
            yield from _schemas(value, f"{pointer}/{escape_pointer(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, f"{pointer}/{index}")


def portability_problems(spec: Spec) -> list[str]:
    """What would make another tool read `spec` differently, one line each."""
    problems = []
    for pointer, schema in _schemas(spec.document):
        kinds = schema.get("type")
        is_array = kinds == "array" or (isinstance(kinds, list) and "array" in kinds)
        if is_array and "items" not in schema and "prefixItems" not in schema:
            problems.append(f"{pointer}: an array without items")
        required = schema.get("required")
        if not isinstance(required, list) or not isinstance(schema.get("allOf"), list):
            continue
        for index, branch in enumerate(schema["allOf"]):
            declared = spec.resolve(branch).get("properties", {})
            missing = [name for name in required if name not in declared]
            if missing:
                problems.append(f"{pointer}/allOf/{index}: does not declare {missing}")
    for pointer, node in _schemas(spec.document):
        examples = node.get("examples")  # a media type's or parameter's map (a schema's is a list)
        for name, example in examples.items() if isinstance(examples, dict) else ():
            if isinstance(example, dict) and example.get("x-placeholder"):
                problems.append(f"{pointer}/examples/{name}: a placeholder among examples")
    return problems


@pytest.mark.parametrize("name", DOCUMENTS)
def test_bundled_documents_read_the_same_elsewhere(name: str) -> None:
    assert portability_problems(load_api(name)) == []


def test_the_served_control_document_reads_the_same_elsewhere() -> None:
    document = control_openapi(TaskService(ManualClock()))
    spec = Spec(SourceDocument("control.json", document), "control")
    assert portability_problems(spec) == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_yaml_anchors(name: str) -> None:
    events = yaml.parse(spec_path(name).read_text(encoding="utf-8"))
    anchored = [e for e in events if getattr(e, "anchor", None) or isinstance(e, yaml.AliasEvent)]
    assert anchored == []


def test_the_check_finds_what_specmatic_tripped_on() -> None:
    # The shapes TensorPix had before: rules in allOf beside `required`, and `results` with no items.
    document = {
        "components": {
            "schemas": {
                "Job": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "integer"}},
                    "allOf": [{"if": {"required": ["id"]}, "then": {}}],
                },
                "Page": {"type": "object", "properties": {"results": {"type": "array"}}},
            }
        }
    }
    spec = Spec(SourceDocument("x.json", document), "x")
    assert portability_problems(spec) == [
        "/components/schemas/Job/allOf/0: does not declare ['id']",
        "/components/schemas/Page/properties/results: an array without items",
    ]
