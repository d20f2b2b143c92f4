"""The sections of a scaffolded scenario file, one function each.

Each function returns a section's value in the plainest form the scenario file accepts, and
writes what it guessed into `Notes`: a comment for the file and, where the user should look, a
line for the review list. A change of the scenario-file format is an edit to one function here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from taskmock._core.scaffold.discover import (
    Located,
    Operation,
    TaskApi,
    json_media,
    locate,
    operations,
    parts,
    properties,
)
from taskmock._core.scaffold.skeleton import LifecycleGuess
from taskmock._core.scaffold.values import MISSING, Values, kinds_of
from taskmock._core.yamlout import Path

__all__ = [
    "Notes",
    "api_key_prefix",
    "auth_section",
    "errors_section",
    "id_section",
    "operations_section",
    "scenarios_section",
    "states_section",
]


@dataclass
class Notes:
    """Comments for a file (by path) and lines for the review list."""

    comments: dict[Path, str] = field(default_factory=dict)
    review: list[str] = field(default_factory=list)

    def comment(self, path: Path, text: str) -> None:
        """A comment above the entry at `path` (added to any already there)."""
        self.comments[path] = f"{self.comments[path]}\n{text}" if path in self.comments else text


# --- id ----------------------------------------------------------------------------------------

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def id_section(
    values: Values, schema: Located | None, examples: Sequence[Any], notes: Notes
) -> Any:
    """How task ids are made, from the id's schema and example ids."""
    kinds, _ = kinds_of(values.document, schema) if schema is not None else ({"string"}, False)
    given = [e for e in examples if isinstance(e, str | int) and not isinstance(e, bool)]
    if "integer" in kinds and "string" not in kinds:
        start = next((e for e in given if isinstance(e, int) and e >= 0), 1000)
        section: dict[str, Any] = {"kind": "integer", "start": start}
        why = "an integer"
    elif any(isinstance(e, str) and e.isdigit() and 4 <= len(e) <= 40 for e in given):
        digits = next(e for e in given if isinstance(e, str) and e.isdigit() and len(e) >= 4)
        section = {"kind": "digits", "length": len(digits)}
        why = f"digits, like the example {digits!r}"
    else:
        section = {"kind": "uuid"}
        why = "a string" + (" (uuid)" if any(_UUID.match(str(e)) for e in given) else "")
        sample = str(uuid.UUID(int=1, version=4))
        if schema is not None and not values.valid(schema, sample):
            notes.review.append(
                f"ids: the spec's id does not accept a UUID ({sample}); set `id` in the scenario "
                "file to integer or digits, or loosen the id's schema"
            )
    notes.comment(("id",), f"inferred: the task id is {why}")
    return section


# --- auth --------------------------------------------------------------------------------------

# `prefix "Token"`, or `Token <key>`: the scheme word an apiKey header's description names.
_PREFIX_IN_TEXT = re.compile(
    r"""prefix\s*[:=]?\s*["'`](\w[\w-]*)\s?["'`]|\b(\w[\w-]*)\s+<[\w .-]+>""",
    re.IGNORECASE,
)


def auth_section(document: Any, api: TaskApi, name: str, notes: Notes) -> dict[str, Any]:
    """Accepted credentials, from the security schemes the poll operation (or document) names."""
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    poll = api.polls[0].operation.raw.node
    requirements = poll.get("security", document.get("security")) or []
    shapes: list[tuple[str, str, str, str]] = []  # header, prefix, pattern, from
    for requirement in requirements:
        for scheme_name in requirement if isinstance(requirement, dict) else []:
            scheme = locate(document, Located(schemes.get(scheme_name), "")).node
            if isinstance(scheme, dict):
                shapes.extend(_credential_shapes(scheme_name, scheme, notes))
    if not shapes:
        notes.review.append(
            "auth: the spec names no security scheme the mock can check in a header; the mock "
            "asks for `Authorization: Bearer <any token>` (edit `auth` to match your API)"
        )
        shapes = [
            ("Authorization", "Bearer ", r"^\S+$", "nothing: the spec names no header scheme")
        ]
    header = shapes[0][0]
    left_out = sorted({s[0] for s in shapes if s[0].lower() != header.lower()})
    if left_out:
        notes.review.append(
            f"auth: the mock reads one header; {header} is checked, {', '.join(left_out)} is not"
        )
    chosen = [s for s in shapes if s[0].lower() == header.lower()]
    credentials = [
        {"prefix": prefix, "pattern": pattern}
        for prefix, pattern in dict.fromkeys((s[1], s[2]) for s in chosen)
    ]
    notes.comment(
        ("auth",),
        "inferred from "
        + "; ".join(dict.fromkeys(s[3] for s in chosen))
        + ". Any well-formed credential is accepted (serve --token narrows it).",
    )
    return {
        "header": header,
        "credentials": credentials,
        "example": chosen[0][1] + _example_token(chosen[0][2], name),
    }


def _credential_shapes(
    name: str, scheme: Mapping[str, Any], notes: Notes
) -> Iterator[tuple[str, str, str, str]]:
    kind = scheme.get("type")
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
        yield "Authorization", "Basic ", r"^[A-Za-z0-9+/=]+$", f"{name} (http basic)"
    elif kind == "http":
        word = str(scheme.get("scheme", "bearer")).capitalize()
        yield "Authorization", f"{word} ", r"^\S+$", f"{name} (http {word.lower()})"
    elif kind in ("oauth2", "openIdConnect"):
        yield "Authorization", "Bearer ", r"^\S+$", f"{name} ({kind}: a bearer token)"
    elif kind == "apiKey" and scheme.get("in") == "header":
        prefix = api_key_prefix(scheme)
        told = (
            ""
            if not prefix
            else f", prefix {prefix!r}"
            if "x-credential-prefix" in scheme
            else f", prefix {prefix!r} from its description"
        )
        yield (
            str(scheme.get("name", "Authorization")),
            prefix,
            r"^\S+$",
            (f"{name} (apiKey in the {scheme.get('name')} header{told})"),
        )
    else:
        where = scheme.get("in", kind)
        notes.review.append(
            f"auth: {name} ({kind} in {where}) cannot be checked by the mock, which reads "
            "credentials from a header only"
        )


def api_key_prefix(scheme: Mapping[str, Any]) -> str:
    """The text an API key header carries before the key: its `x-credential-prefix`, or the
    scheme word its description names (`prefix "Token"`, `Token <key>`), or none."""
    declared = scheme.get("x-credential-prefix")
    if isinstance(declared, str):
        return declared
    match = _PREFIX_IN_TEXT.search(str(scheme.get("description", "")))
    word = next((g for g in match.groups() if g), "") if match else ""
    return f"{word} " if word else ""


def _example_token(pattern: str, name: str) -> str:
    token = f"taskmock-{name}-token"
    if re.fullmatch(pattern, token):
        return token
    return "dGFza21vY2s6c2VjcmV0"  # base64 of "taskmock:secret"


# --- errors ------------------------------------------------------------------------------------

# Which HTTP status each error kind is looked up by, and the text of its message field.
_ERRORS: dict[str, tuple[tuple[int, ...], int, str]] = {
    "unauthorized": ((401, 403), 401, "unauthorized"),
    "not-found": ((404,), 404, "not found"),
    "bad-request": ((400, 422), 400, "{detail}"),
    "conflict": ((409,), 409, "{detail}"),
    "rate-limited": ((429,), 429, "rate limited; retry in {retry_after} s"),
}
_MESSAGE = re.compile(
    r"(^|_)(message|msg|detail|details)$|^(error|error_description|title|description)$",
    re.IGNORECASE,
)


def errors_section(values: Values, api: TaskApi, notes: Notes) -> dict[str, Any]:
    """Error answers in the spec's own shapes, where it documents them."""
    document = values.document
    primary = [p.operation for p in api.polls] + [c[0] for c in api.creates]
    everything = primary + [op for op in operations(document) if op not in primary]
    section: dict[str, Any] = {}
    fallback: tuple[Located, Any] | None = None
    for kind, (codes, default_status, text) in _ERRORS.items():
        found = _documented(document, everything, codes)
        if found is None:
            if kind == "rate-limited":
                continue
            if kind == "conflict" and "bad-request" in section:
                section[kind] = {**section["bad-request"]}
                notes.comment(
                    ("errors", kind), "inferred: the spec documents no 409; as bad-request"
                )
                continue
            status = default_status
            shape = fallback or _any_error_shape(document, everything)
            body = _error_body(values, shape, text, own=False) if shape else {"message": text}
            where = "the spec's error shape" if shape else "a plain {message}"
            notes.comment(
                ("errors", kind),
                f"inferred: the spec documents no {'/'.join(map(str, codes))} answer; "
                f"status {status}, {where}",
            )
            notes.review.append(f"errors: {kind} is a guess ({status}, {where})")
        else:
            op, status, schema, example = found
            fallback = fallback or (schema, example)
            body = _error_body(values, (schema, example), text, own=True)
            told = "its example" if example is not MISSING else "its schema"
            notes.comment(("errors", kind), f"{op.method.upper()} {op.path} {status} ({told})")
        section[kind] = {"status": status, "body": body}
    return section


def _documented(
    document: Any, ops: Sequence[Operation], codes: tuple[int, ...]
) -> tuple[Operation, int, Located, Any] | None:
    for code in codes:
        for op in ops:
            response = (op.raw.node.get("responses") or {}).get(str(code))
            if response is None:
                continue
            located = locate(document, op.raw.child("responses", str(code)))
            schema = json_media(document, located)
            if schema is not None:
                return op, code, schema, _media_example(document, schema)
    return None


def _any_error_shape(document: Any, ops: Sequence[Operation]) -> tuple[Located, Any] | None:
    for op in ops:
        for code in sorted(op.raw.node.get("responses") or {}):
            if str(code).startswith("4") or code == "default":
                located = locate(document, op.raw.child("responses", str(code)))
                schema = json_media(document, located)
                if schema is not None:
                    return schema, _media_example(document, schema)
    return None


def _media_example(document: Any, schema: Located) -> Any:
    media = Located(None, schema.pointer.rsplit("/", 1)[0])
    node = _at(document, media.pointer)
    if not isinstance(node, dict):
        return MISSING
    if "example" in node:
        return node["example"]
    for example in (node.get("examples") or {}).values():
        example = locate(document, Located(example, "")).node
        if isinstance(example, dict) and "value" in example:
            return example["value"]
    return MISSING


def _at(document: Any, pointer: str) -> Any:
    node = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node.get(token) if isinstance(node, dict) else None
    return node


def _error_body(values: Values, shape: tuple[Located, Any], text: str, *, own: bool) -> Any:
    """An error body in a documented shape. `own`: the kind's own documented answer, whose
    example is kept (braces escaped) unless `text` has placeholders to carry; otherwise a
    body is made from the schema with its message field(s) saying `text`."""
    schema, example = shape
    if own and example is not MISSING:
        base = _escape(example)
        if "{" not in text:
            return base
    else:
        base = values.template(schema, "error")
    with_text = _with_message(base, text)
    if values.valid(schema, _unescape(with_text, text)):
        return with_text
    return base


def _escape(node: Any) -> Any:
    # Error bodies are filled in with str.format: literal braces must be doubled.
    if isinstance(node, str):
        return node.replace("{", "{{").replace("}", "}}")
    if isinstance(node, dict):
        return {_escape(k): _escape(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_escape(v) for v in node]
    return node


def _unescape(node: Any, text: str) -> Any:
    filled = {"detail": "x", "field": "x", "retry_after": "1"}
    if isinstance(node, str):
        try:
            return node.format_map(filled)
        except (KeyError, ValueError, IndexError):
            return node
    if isinstance(node, dict):
        return {k: _unescape(v, text) for k, v in node.items()}
    if isinstance(node, list):
        return [_unescape(v, text) for v in node]
    return node


def _with_message(node: Any, text: str) -> Any:
    if isinstance(node, dict):
        return {
            k: text if _MESSAGE.search(str(k)) and isinstance(v, str) else _with_message(v, text)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_with_message(v, text) for v in node]
    return node


# --- states and scenarios ----------------------------------------------------------------------


def states_section(guess: LifecycleGuess, notes: Notes) -> dict[str, Any]:
    """Which states the control plane's fail and cancel actions force."""
    section: dict[str, Any] = {}
    if guess.failure:
        section["failed"] = guess.failure[0]
    if guess.cancel:
        section["cancelled"] = guess.cancel[0]
    if section:
        notes.comment(("states",), "inferred from the states' names")
    return section


def scenarios_section(guess: LifecycleGuess, notes: Notes) -> dict[str, Any]:
    """A success path through every working state, and a failure path, with dwell times."""

    def path(states: tuple[Any, ...], dwell: list[Any]) -> list[dict[str, Any]]:
        steps = [{"state": s, "dwell": d} for s, d in zip(states[:-1], dwell, strict=True)]
        return [*steps, {"state": states[-1]}]

    success = guess.path_to(guess.success[0])
    dwell: list[Any] = [5] * (len(success) - 1)
    dwell[0] = {"uniform": [2, 5]}
    if len(dwell) > 1:
        dwell[-1] = {"uniform": [20, 40]}
    section: dict[str, Any] = {
        "success": {
            "default": True,
            "description": "Goes through every working state in turn and succeeds.",
            "path": path(success, dwell),
        }
    }
    failure = next(
        (found for end in (*guess.failure, *guess.cancel) if (found := guess.path_to(end))), ()
    )
    if failure:
        quick: list[Any] = [3] * (len(failure) - 1)
        quick[-1] = 10
        section["failure"] = {
            "description": f"Fails while {guess.label(failure[-2])}.",
            "path": path(failure, quick),
        }
    else:
        notes.review.append("scenarios: no state reads as failed, so there is no failure scenario")
    cancel = next((found for end in guess.cancel if (found := guess.path_to(end))), ())
    if cancel and failure and cancel[-1] != failure[-1] and cancel[-1] in guess.when:
        quick = [3] * (len(cancel) - 1)
        quick[-1] = 10
        section["cancel"] = {
            "description": f"Is cancelled while {guess.label(cancel[-2])}.",
            "path": path(cancel, quick),
        }
    order = "the spec's transitions" if guess.declared else "states in the enum's order"
    notes.comment(("scenarios",), f"inferred: {order}; dwell times (seconds) are made up")
    return section


# --- operations --------------------------------------------------------------------------------


def operations_section(
    values: Values,
    api: TaskApi,
    task: Any,
    task_root: str,
    named: Mapping[str, Any],
    notes: Notes,
) -> dict[str, Any]:
    """Each found operation with its role: creates, polls, the list and the cancel."""
    section: dict[str, Any] = {}
    for op, status, schema in api.creates:
        entry: dict[str, Any] = {"role": "create", "status": status}
        request = _request_schema(values.document, op)
        example = _request_example(values, request) if request is not None else None
        if example is not None:
            entry["example"] = example
        if schema is not None:
            echo = properties(values.document, request) if request is not None else {}
            entry["response"] = (
                task
                if locate(values.document, schema).pointer == task_root
                else values.template(
                    schema, "", _media_example(values.document, schema), named=named, echo=echo
                )
            )
        section[op.operation_id] = entry
        notes.comment(("operations", op.operation_id), f"create: POST {op.path}")
    for poll in api.polls:
        entry = {"role": "poll", "param": poll.param}
        if poll.param_in == "query":
            entry["in"] = "query"
        section[poll.operation.operation_id] = entry
    if api.listing is not None:
        op, status, schema = api.listing
        section[op.operation_id] = {
            "role": "list",
            "status": status,
            "response": _list_template(values, schema),
        }
        notes.comment(("operations", op.operation_id), "inferred: lists the caller's tasks")
    if api.cancel is not None:
        op, status = api.cancel
        params = re.findall(r"\{([^}]+)\}", op.path)
        section[op.operation_id] = {"role": "cancel", "param": params[-1], "status": status}
        notes.comment(("operations", op.operation_id), "inferred: cancels the task")
    return section


def _request_schema(document: Any, op: Operation) -> Located | None:
    body = locate(document, op.raw.child("requestBody"))
    return json_media(document, body) if body.node is not None else None


def _request_example(values: Values, schema: Located) -> Any:
    """A valid create request: the documented example, else the required fields made up."""
    documented = _media_example(values.document, schema)
    if documented is not MISSING and values.valid(schema, documented):
        return documented
    required = {
        name for part in parts(values.document, schema) for name in part.node.get("required") or []
    }
    props = properties(values.document, schema)
    example = {name: values.sample(prop, name) for name, prop in props.items() if name in required}
    return example if values.valid(schema, example) else None


def _list_template(values: Values, schema: Located) -> Any:
    document = values.document
    main = locate(document, schema)
    if isinstance(main.node, dict) and main.node.get("type") == "array":
        return {"$": "items"}
    template: dict[str, Any] = {}
    for name, prop in properties(document, main).items():
        kinds, nullable = kinds_of(document, prop)
        if kinds == {"array"}:
            template[name] = {"$": "items"}
        elif kinds == {"integer"} and re.search(r"count|total", name, re.IGNORECASE):
            template[name] = {"$": "count"}
        elif name in ("next", "previous", "prev") and "string" in kinds and nullable:
            template[name] = {"$": "page-link", "which": "previous" if name != "next" else "next"}
        else:
            template[name] = values.sample(prop, name)
    return template
