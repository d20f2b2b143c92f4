"""Bring an OpenAPI 3.0 document to 3.1, and any YAML document to plain JSON data.

taskmock's contracts are OpenAPI 3.1 (JSON Schema 2020-12). A 3.0 document differs in a few schema
keywords, rewritten here the way the OpenAPI Initiative's migration guide describes:
`nullable: true` becomes a `"null"` type (or an `anyOf` with one, where there is no `type`), and
boolean `exclusiveMinimum`/`exclusiveMaximum` become numbers. YAML's extras (unquoted dates,
non-string keys) become the JSON values a JSON reader would see.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["as_json_data", "openapi_version", "upgrade_to_31"]

# Keywords that describe a schema rather than constrain it: they stay on the outside of an `anyOf`
# that adds null to a schema with no `type`.
_ANNOTATIONS = (
    "title",
    "description",
    "default",
    "example",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "externalDocs",
)


def as_json_data(node: Any) -> Any:
    """`node` with YAML-only values made JSON: keys as strings, dates and times as ISO text."""
    if isinstance(node, dict):
        return {str(key): as_json_data(value) for key, value in node.items()}
    if isinstance(node, list):
        return [as_json_data(value) for value in node]
    if isinstance(node, dt.datetime):
        text = node.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(node, dt.date):
        return node.isoformat()
    return node


def openapi_version(document: Any) -> str | None:
    """The `openapi` version string of a document, or None when it has none."""
    if isinstance(document, dict) and isinstance(document.get("openapi"), str | int | float):
        return str(document["openapi"])
    return None


def upgrade_to_31(document: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A 3.1 copy of a 3.0 document (a 3.1 one is copied as it is) and what was rewritten."""
    version = openapi_version(document) or ""
    if not version.startswith("3.0"):
        return as_json_data(document), []
    notes: list[str] = []
    upgraded = _upgrade(as_json_data(document), notes)
    upgraded["openapi"] = "3.1.0"
    counts = {note: notes.count(note) for note in dict.fromkeys(notes)}
    summary = [f"{note} ({count}x)" if count > 1 else note for note, count in counts.items()]
    return upgraded, [f"OpenAPI {version} upgraded to 3.1.0", *summary]


def _upgrade(node: Any, notes: list[str]) -> Any:
    if isinstance(node, list):
        return [_upgrade(value, notes) for value in node]
    if not isinstance(node, dict):
        return node
    node = {key: _upgrade(value, notes) for key, value in node.items()}
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), bool):
            if node.pop(bound) and limit in node:
                node[bound] = node.pop(limit)
            notes.append(f"boolean {bound} became a number")
    if isinstance(node.get("nullable"), bool):
        if node.pop("nullable"):
            node = _add_null(node)
            notes.append("nullable: true became a 'null' type")
        else:
            notes.append("nullable: false dropped")
    return node


def _add_null(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list):
        schema["type"] = [*kind, "null"] if "null" not in kind else kind
    else:
        outer = {k: schema.pop(k) for k in _ANNOTATIONS if k in schema}
        return {**outer, "anyOf": [schema, {"type": "null"}]}
    if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    return schema
