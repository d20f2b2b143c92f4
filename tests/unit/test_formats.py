"""The JSON Schema formats the mock and the checks enforce (_core/formats.py)."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from taskmock._core.formats import FORMATS

UUID = Draft202012Validator({"type": "string", "format": "uuid"}, format_checker=FORMATS)


@pytest.mark.parametrize(
    "value",
    [
        "123e4567-e89b-12d3-a456-426614174000",
        "00000000-0000-4000-8000-000000000000",
        "ABCDEF01-2345-6789-ABCD-EF0123456789",
    ],
)
def test_a_uuid_in_its_text_form_is_one(value: str) -> None:
    assert UUID.is_valid(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "taskmock",
        "123e4567e89b12d3a456426614174000",  # no hyphens
        "{123e4567-e89b-12d3-a456-426614174000}",
        "urn:uuid:123e4567-e89b-12d3-a456-426614174000",
        "123e4567-e89b-12d3-a456-42661417400g",
        "123e4567-e89b-12d3-a456-4266141740000",
    ],
)
def test_anything_else_is_not(value: str) -> None:
    assert not UUID.is_valid(value)
