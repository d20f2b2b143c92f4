"""The JSON Schema formats the specs use, checked with the standard library only."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from jsonschema import FormatChecker

__all__ = ["FORMATS"]

#: Checks `date-time`, `date`, `uri`, `email` and `uuid`; other formats are annotations.
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if "T" not in value.upper():
        return False
    datetime.fromisoformat(value.replace("z", "Z"))  # 3.11 reads "Z" and fractions
    return True


@FORMATS.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    datetime.strptime(value, "%Y-%m-%d")
    return True


@FORMATS.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in ("urn", "mailto", "data"))


@FORMATS.checks("email")
def _email(value: object) -> bool:
    if not isinstance(value, str):
        return True
    local, _, domain = value.rpartition("@")
    return bool(local) and "." in domain


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@FORMATS.checks("uuid")
def _uuid(value: object) -> bool:
    # RFC 9562's text form only: 8-4-4-4-12 hexadecimal digits (no braces, no urn: prefix).
    return not isinstance(value, str) or _UUID.fullmatch(value) is not None
