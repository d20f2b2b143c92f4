"""Request bodies are read as the spec declares them, wherever the declaration sits."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskmock._core.spec import load_spec
from taskmock._http.bodies import BodyError, read_body
from taskmock._http.messages import Request

SPEC = """
openapi: 3.1.0
info: { title: shared bodies, version: "1" }
paths:
  /jobs:
    post:
      operationId: create
      requestBody: { $ref: "#/components/requestBodies/Job" }
      responses: { "200": { description: ok } }
components:
  requestBodies:
    Job:
      required: true
      content:
        application/json:
          schema: { type: object, required: [prompt], properties: { prompt: { type: string } } }
"""


def test_a_request_body_given_by_reference_is_followed(tmp_path: Path) -> None:
    path = tmp_path / "shared.yaml"
    path.write_text(SPEC)
    spec = load_spec(path)
    operation = spec.operation("create").raw
    good = Request(
        "POST", "/jobs", headers={"content-type": "application/json"}, body=b'{"prompt": "a"}'
    )
    assert read_body(spec, operation, good) == {"prompt": "a"}
    bad = Request("POST", "/jobs", headers={"content-type": "application/json"}, body=b"{}")
    with pytest.raises(BodyError, match="prompt"):
        read_body(spec, operation, bad)
