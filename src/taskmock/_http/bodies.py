"""Read a vendor request body (JSON, urlencoded or multipart) and check it against the spec."""

from __future__ import annotations

import math
import re
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

from taskmock._core.source import pointer_of
from taskmock._core.spec import Spec
from taskmock._http.jsondata import parse_json
from taskmock._http.messages import Request

__all__ = ["MAX_FIELDS", "BodyError", "read_body"]

#: How many fields (or parts) a form or multipart body may have: Django's
#: DATA_UPLOAD_MAX_NUMBER_FIELDS, which the DRF-based vendors answer 400 beyond.
MAX_FIELDS = 1000
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


class BodyError(Exception):
    """A request body the operation cannot accept; `field` names the offending field if known."""

    def __init__(
        self, detail: str, field: str = "non_field_errors", *, malformed: bool = False
    ) -> None:
        super().__init__(detail)
        self.detail, self.field = detail, field
        self.malformed = malformed  # not even well-formed (JSON): not a matter of the schema


def read_body(
    spec: Spec, operation: dict[str, Any], request: Request, *, media: str | None = None
) -> dict[str, Any]:
    """The body as data, valid against the operation's request schema; BodyError otherwise.
    `media` reads the body as that type whatever the request declares."""
    request_body = spec.resolve(operation.get("requestBody"))  # may be a $ref to requestBodies
    if not isinstance(request_body, dict) or not request_body:
        return {}
    content = request_body.get("content", {})
    media = media or request.content_type or "application/json"
    if not request.body:
        if request_body.get("required"):
            raise BodyError("a request body is required")
        return {}
    if media not in content:
        raise BodyError(f"unsupported content type {media!r}; expected {', '.join(content)}")
    schema = content[media].get("schema", {})
    if media == "application/json":
        data = _json(request.body)
    elif media == "application/x-www-form-urlencoded":
        data = _coerce(spec, schema, _form(request.body))
    elif media == "multipart/form-data":
        data = _coerce(spec, schema, _multipart(request))
    else:  # pragma: no cover - specs only declare the three above
        raise BodyError(f"unsupported content type {media!r}")
    errors = sorted(spec.validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        where = pointer_of(error.absolute_path)
        field_name = (
            str(error.absolute_path[0]) if error.absolute_path else _missing_field(error.message)
        )
        raise BodyError(f"{where or '/'}: {error.message}" if where else error.message, field_name)
    return data


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = parse_json(raw)
    except ValueError as exc:
        raise BodyError(f"malformed JSON: {exc}", malformed=True) from None
    if not isinstance(data, dict):
        raise BodyError("the body must be a JSON object")
    return data


def _form(raw: bytes) -> dict[str, list[str]]:
    try:
        return parse_qs(
            raw.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS
        )
    except ValueError:  # parse_qs: "Max number of fields exceeded"
        raise BodyError(f"more than {MAX_FIELDS} fields") from None


def _multipart(request: Request) -> dict[str, list[str]]:
    content_type = request.headers.get("content-type", "")
    boundary = _BOUNDARY.search(content_type)
    # Counted before parsing: the email parser takes seconds over thousands of parts.
    delimiter = b"--" + boundary.group(1).encode("latin-1") if boundary else b""
    if delimiter and request.body.count(delimiter) > MAX_FIELDS + 1:
        raise BodyError(f"more than {MAX_FIELDS} parts")
    header = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    message: Message = BytesParser(policy=HTTP).parsebytes(header + request.body)
    if not message.is_multipart():
        raise BodyError("malformed multipart body")
    fields: dict[str, list[str]] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        if part.get_filename() is not None:
            value = "<file>"
        else:
            payload = part.get_payload(decode=True) or b""
            value = payload.decode("utf-8", "replace")
        fields.setdefault(str(name), []).append(value)
    return fields


def _coerce(spec: Spec, schema: dict[str, Any], raw: dict[str, list[str]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, values in raw.items():
        kind = spec.properties(schema).get(name, {}).get("type", "string")
        kinds = kind if isinstance(kind, list) else [kind]
        if "array" in kinds:
            data[name] = [_scalar(v) for v in values]
        elif len(values) == 1:
            data[name] = (
                _scalar(values[0])
                if set(kinds) & {"integer", "number", "boolean", "null"}
                else values[0]
            )
        else:
            data[name] = values
    return data


def _scalar(text: str) -> Any:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("", "null"):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text  # "nan" and "inf" are words, not numbers


def _missing_field(message: str) -> str:
    # jsonschema: "'ml_models' is a required property"
    if message.endswith("is a required property") and message.startswith("'"):
        return message.split("'")[1]
    return "non_field_errors"
