"""Values and body templates made from JSON Schemas and their examples.

`Values.sample` makes a constant that validates against a schema: the schema's own `const`,
`example`, `default` or first `enum` value, a value from the document's examples, or one made
for its type and format. `Values.template` does the same but uses the template expressions where
a value should differ per task or follow the clock: ids, UUIDs, timestamps, download links.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema.protocols import Validator

from taskmock._core.lifecycle import EMPTY_VALUES
from taskmock._core.scaffold.discover import Located, locate, parts, properties
from taskmock._core.scaffold.words import normalize

__all__ = [
    "MISSING",
    "Values",
    "files_url",
    "is_empty",
    "kinds_of",
    "looks_like",
    "unix_format",
]

MISSING: Any = object()  # no example value for this node
_MAX_DEPTH = 6

# What a field name says about its value.
_NAME_HINTS: dict[str, re.Pattern[str]] = {
    "url": re.compile(r"(url|uri|link|href)s?$", re.IGNORECASE),
    "output": re.compile(
        r"output|result|video|file|download|asset|image|artifact|media|thumbnail|preview",
        re.IGNORECASE,
    ),
    "input": re.compile(r"(^|_)input|source|callback|webhook", re.IGNORECASE),
    "error": re.compile(
        r"^(error|errors|error_message|error_msg|err_msg|errmsg|error_detail|failure|"
        r"failure_reason|fail_reason|failed_reason|reason)$",
        re.IGNORECASE,
    ),
    "progress": re.compile(r"progress|percent|percentage|pct", re.IGNORECASE),
    "created": re.compile(
        r"(^|_)(created|create|submitted|submit|requested|request|queued|enqueued)"
        r"(_|$)|^created|^submitted",
        re.IGNORECASE,
    ),
    "started": re.compile(r"start", re.IGNORECASE),
    "finished": re.compile(r"finish|complet|(^|_)end|done|stop|(^|_)ended", re.IGNORECASE),
    "time": re.compile(r"(_at|_time|time|timestamp|_ts|date|_on)$|^(created|updated)", re.I),
}


def looks_like(name: str, hint: str) -> bool:
    """Whether a field name reads as `hint` (url, output, input, error, progress, created,
    started, finished, time)."""
    return bool(_NAME_HINTS[hint].search(normalize(name)))


def unix_format(example: Any) -> str:
    """`unix-ms` when an example time is in milliseconds (past 1973 in seconds), else `unix`."""
    number = isinstance(example, int | float) and not isinstance(example, bool)
    return "unix-ms" if number and example > 10**11 else "unix"


def is_empty(value: Any) -> bool:
    """Whether a value counts as not set in a field rule (null, "" or 0, but not false)."""
    return value is None or (not isinstance(value, bool) and value in EMPTY_VALUES)


def files_url(name: str) -> dict[str, Any]:
    """A link to the mock's own download route: it serves a small real video for any name."""
    suffix = "" if name in ("url", "file", "video", "output") else f"-{name}"
    return {"$": "format", "template": "{base_url}/__taskmock/files/{id}" + suffix + ".mp4"}


def kinds_of(document: Any, schema: Located) -> tuple[set[str], bool]:
    """The JSON types a schema allows (without null) and whether it allows null."""
    kinds: set[str] = set()
    nullable = False
    for part in parts(document, schema):
        declared = part.node.get("type")
        listed = declared if isinstance(declared, list) else [declared] if declared else []
        kinds.update(str(k) for k in listed)
        if None in (part.node.get("enum") or [1]) or part.node.get("const", 1) is None:
            nullable = True
        if "properties" in part.node and not declared:
            kinds.add("object")
        if "items" in part.node and not declared:
            kinds.add("array")
    nullable = nullable or "null" in kinds
    kinds.discard("null")
    return kinds, nullable


@dataclass
class Values:
    """Makes values for one document; `validator(schema)` validates inside that document."""

    document: Any
    validator: Callable[[Any], Validator]
    unmade: list[str] = field(default_factory=list)  # where no valid value could be made

    def valid(self, schema: Located, value: Any) -> bool:
        """Whether `value` is valid against `schema`."""
        try:
            return bool(self.validator(schema.node).is_valid(value))
        except Exception:  # a schema the validator cannot use (a bad pattern): no verdict
            return True

    # --- constants ---------------------------------------------------------------------------

    def sample(
        self,
        schema: Located,
        name: str = "",
        example: Any = MISSING,
        *,
        non_empty: bool = False,
        depth: int = 0,
    ) -> Any:
        """A constant valid against `schema` (`non_empty`: not null, "" or 0, if it can be)."""
        schema = locate(self.document, schema)
        candidates = [*self._declared(schema), example, *self._made(schema, name, depth)]
        candidates = [c for c in candidates if c is not MISSING]
        if non_empty:
            candidates = [c for c in candidates if not is_empty(c)] or candidates
        for candidate in candidates:
            if self.valid(schema, candidate):
                return candidate
        self.unmade.append(name or schema.pointer)
        return candidates[0] if candidates else None

    def empty(self, schema: Located, *, null_only: bool = False) -> Any:
        """The empty value a field takes before it is set: null, "" or 0, whichever is valid."""
        kinds, nullable = kinds_of(self.document, schema)
        if null_only or nullable:
            return None
        for candidate in ("", 0) if "string" in kinds else (0, ""):
            if self.valid(schema, candidate):
                return candidate
        return None

    def _declared(self, schema: Located) -> list[Any]:
        found: list[Any] = []
        for part in parts(self.document, schema):
            node = part.node
            if "const" in node:
                found.append(node["const"])
            if "example" in node:
                found.append(node["example"])
            if isinstance(node.get("examples"), list):
                found.extend(node["examples"])
            if "default" in node:
                found.append(node["default"])
            found.extend(v for v in node.get("enum") or [] if v is not None)
        return found

    def _made(self, schema: Located, name: str, depth: int) -> list[Any]:
        kinds, nullable = kinds_of(self.document, schema)
        made: list[Any] = []
        main = self._main(schema)
        node = main.node if isinstance(main.node, dict) else {}
        for kind in sorted(kinds, key=_KIND_ORDER.index) if kinds else ["object", "null"]:
            if kind == "object":
                if depth < _MAX_DEPTH:
                    made.append(
                        {
                            key: self.sample(prop, key, depth=depth + 1)
                            for key, prop in self._properties(main).items()
                        }
                    )
            elif kind == "array":
                items = main.child("items")
                count = int(node.get("minItems", 0) or 0)
                if items.node is not None and count and depth < _MAX_DEPTH:
                    made.append([self.sample(items, name, depth=depth + 1)] * count)
                made.append([])
            elif kind == "string":
                made.extend(_strings(node, name))
            elif kind == "integer":
                made.extend(_numbers(node, integer=True))
            elif kind == "number":
                made.extend(_numbers(node, integer=False))
            elif kind == "boolean":
                made.extend([False, True])
        if nullable or not kinds:
            made.append(None)
        return made

    def _main(self, schema: Located) -> Located:
        """The schema itself, or its first non-null `anyOf`/`oneOf` member."""
        schema = locate(self.document, schema)
        node = schema.node if isinstance(schema.node, dict) else {}
        if "type" in node or "properties" in node:
            return schema
        for key in ("anyOf", "oneOf"):
            for index, member in enumerate(node.get(key) or []):
                if isinstance(member, dict) and member.get("type") != "null":
                    return locate(self.document, schema.child(key, index))
        return schema

    def _properties(self, schema: Located) -> dict[str, Located]:
        return {
            key: prop
            for key, prop in properties(self.document, schema).items()
            if not (isinstance(prop.node, dict) and prop.node.get("writeOnly"))
        }

    # --- templates ---------------------------------------------------------------------------

    def template(
        self,
        schema: Located,
        name: str = "",
        example: Any = MISSING,
        *,
        named: Mapping[str, Any] | None = None,
        echo: Mapping[str, Located] | None = None,
        depth: int = 0,
        output: bool = False,
    ) -> Any:
        """A template for `schema`: `named` fields' own templates (the id, the status),
        create-request fields (`echo`, at the top level), links, UUIDs and timestamps;
        constants elsewhere. `output`: the value is (inside) a task's output, so its links
        are downloads."""
        output = output or (looks_like(name, "output") and not looks_like(name, "input"))
        schema = locate(self.document, schema)
        if named and name in named:
            return named[name]
        kinds, nullable = kinds_of(self.document, schema)
        main = self._main(schema)
        node = main.node if isinstance(main.node, dict) else {}
        if echo and name in echo and self._echoes(echo[name], schema):
            fallback = self.template(schema, name, example, depth=depth + 1)
            return {"$": "input", "key": name, "else": fallback}
        if kinds == {"object"} and depth < _MAX_DEPTH:
            props = self._properties(main)
            if props:
                given = example if isinstance(example, dict) else {}
                # `echo` is for the fields of a whole answer only (a create answer's own).
                return {
                    key: self.template(
                        prop,
                        key,
                        given.get(key, MISSING),
                        named=named,
                        echo=echo if depth == 0 and not name else None,
                        depth=depth + 1,
                        output=output,
                    )
                    for key, prop in props.items()
                }
        if kinds == {"array"} and depth < _MAX_DEPTH:
            items = main.child("items")
            listed = example if isinstance(example, list) else []
            if items.node is not None and (listed or int(node.get("minItems", 0) or 0)):
                first = listed[0] if listed else MISSING
                count = max(1, int(node.get("minItems", 0) or 0))
                item = self.template(
                    items, name, first, named=named, depth=depth + 1, output=output
                )
                return [item] * count
        if "string" in kinds and not node.get("enum"):
            fmt = node.get("format")
            if fmt == "date-time" and (not nullable or looks_like(name, "created")):
                return {"$": "time", "of": "created"}
            if fmt == "uuid":
                return {"$": "uuid", "salt": name or "uuid"}
            if (fmt in ("uri", "url", "iri") or looks_like(name, "url")) and output:
                return files_url(name)
        if (
            kinds <= {"integer", "number"}
            and kinds
            and looks_like(name, "time")
            and (looks_like(name, "created") or name.endswith(("_at", "_time")))
        ):
            return {"$": "time", "of": "created", "format": unix_format(example)}
        return self.sample(schema, name, example, depth=depth)

    def _echoes(self, request: Located, response: Located, depth: int = 0) -> bool:
        """Whether a create-request field can be echoed as it is into a response field: not
        read-only, and of the same types all the way down (no objects)."""
        if isinstance(request.node, dict) and request.node.get("readOnly"):
            return False
        want, _ = kinds_of(self.document, response)
        have, _ = kinds_of(self.document, request)
        if not have or not have <= want or "object" in want or depth > 3:
            return False
        if "array" in have:
            inner_request = self._main(request).child("items")
            inner_response = self._main(response).child("items")
            if inner_request.node is None or inner_response.node is None:
                return False
            return self._echoes(inner_request, inner_response, depth + 1)
        return True


_KIND_ORDER = ["object", "array", "string", "integer", "number", "boolean"]


def _strings(node: Mapping[str, Any], name: str) -> list[Any]:
    fmt = node.get("format")
    by_format = {
        "date-time": "2024-05-02T09:00:00Z",
        "date": "2024-05-02",
        "time": "09:00:00",
        "email": "user@example.com",
        "uuid": "3f2b8c1e-5d4a-4c6b-9e7f-1a2b3c4d5e6f",
        "uri": f"https://example.com/{name or 'resource'}",
        "url": f"https://example.com/{name or 'resource'}",
        "iri": f"https://example.com/{name or 'resource'}",
        "hostname": "example.com",
        "ipv4": "127.0.0.1",
        "ipv6": "::1",
    }
    made = [by_format[fmt]] if fmt in by_format else []
    if looks_like(name, "url"):
        made.append(f"https://example.com/{name}")
    text = f"example {name}".strip() if name else "example"
    low, high = int(node.get("minLength", 0) or 0), node.get("maxLength")
    text = text.ljust(low, "x")
    if isinstance(high, int):
        text = text[:high]
    made.extend([text, "0" * max(low, 1), ""])
    return made


def _numbers(node: Mapping[str, Any], *, integer: bool) -> list[Any]:
    made: list[Any] = []
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    step = node.get("multipleOf")
    if isinstance(low, int | float) and not isinstance(low, bool):
        made.extend([low, low + (step or 1)])
    if isinstance(high, int | float) and not isinstance(high, bool):
        made.extend([high, high - (step or 1)])
    made.extend([1, 0] if integer else [1.0, 0.5, 0.0])
    if integer:
        return [int(v) for v in made if float(v).is_integer()]
    return [float(v) for v in made]
