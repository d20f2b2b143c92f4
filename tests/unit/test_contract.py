"""What the checks read from a spec (_core/contract.py, _core/extensions.py): the bundled specs, and small ones of our own."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from taskmock._core.contract import Contract
from taskmock._core.extensions import read_contract
from taskmock._core.source import SourceDocument
from taskmock._core.spec import Spec, load_api
from taskmock.errors import SpecError, UnknownNameError

MINIMAL: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Renders", "version": "1", "x-source": "vendor-docs"},
    "security": [{"key": []}],
    "paths": {
        "/renders/{render_id}": {
            "get": {
                "operationId": "get_render",
                "x-task-role": "poll",
                "parameters": [{"name": "render_id", "in": "path", "required": True, "schema": {}}],
                "responses": {
                    "200": {
                        "description": "the render",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Render"}}
                        },
                    }
                },
            }
        }
    },
    "components": {
        "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}},
        "schemas": {
            "Render": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "state": {"type": "string"}},
                "x-lifecycle": {
                    "status": "state",
                    "id": "id",
                    "states": [
                        {"value": "queued", "initial": True},
                        {"value": "done", "terminal": True},
                    ],
                    "transitions": [{"from": "queued", "to": ["done"]}],
                },
            }
        },
    },
}


def _spec(change: Any = None) -> Spec:
    document = copy.deepcopy(MINIMAL)
    if change:
        change(document)
    return Spec(SourceDocument("renders.yaml", document), "renders")


def _id_schema(schema: dict[str, Any]) -> Any:
    def change(document: dict[str, Any]) -> None:
        document["paths"]["/renders/{render_id}"]["get"]["parameters"][0]["schema"] = schema

    return change


def test_the_bundled_specs_declare_what_the_checks_need() -> None:
    found = {}
    for api in ("kokoon", "tensorpix", "hailuo"):
        contract = Contract.from_spec(load_api(api))
        assert contract.credential is not None
        assert contract.create is not None
        found[api] = (
            contract.poll.operation_id,
            contract.credential.prefixes,
            contract.create.operation.operation_id,
            contract.create.task_id,
            contract.unknown_id(),
            contract.business is not None,
            contract.status_codes_inferred,
        )
    assert found == {
        "kokoon": (
            "kokoon_task_get",
            ("",),
            "kokoon_task_create",
            "/tid",
            "taskmock-probe-unknown-id",
            False,
            True,
        ),
        "tensorpix": (
            "jobs_retrieve",
            ("Token ", "Bearer "),
            "jobs_create",
            "/id",
            "999999999",
            False,
            False,
        ),
        "hailuo": (
            "vapi_task_get",
            ("Bearer ",),
            "vapi_video_generation",
            "/task_id",
            "taskmock-probe-unknown-id",
            True,
            False,
        ),
    }


def test_the_create_is_the_one_on_the_poll_s_servers() -> None:
    contract = Contract.from_spec(load_api("hailuo"), poll="minimax_query_video_generation")
    assert contract.create is not None
    assert contract.create.operation.operation_id == "minimax_video_generation"
    assert contract.path_for("1 2") == "/v1/query/video_generation?task_id=1%202"


def test_an_unknown_poll_operation_is_named_with_the_choices() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'vapi_task_get'"):
        Contract.from_spec(load_api("hailuo"), poll="vapi_task_gets")


@pytest.mark.parametrize(
    ("token", "sent", "bare"),
    [
        ("abc", "Token abc", "abc"),
        ("Token abc", "Token abc", "abc"),
        ("bearer eyJx.y", "bearer eyJx.y", "eyJx.y"),
    ],
)
def test_a_token_is_sent_bare_with_the_first_prefix_or_whole(
    token: str, sent: str, bare: str
) -> None:
    credential = Contract.from_spec(load_api("tensorpix")).credential
    assert credential is not None
    assert (credential.header, credential.value(token), credential.bare(token)) == (
        "Authorization",
        sent,
        bare,
    )
    assert credential.prefix_required


def test_an_api_key_header_with_no_prefix() -> None:
    credential = Contract.from_spec(_spec()).credential
    assert credential is not None
    assert (credential.header, credential.value("k"), credential.prefix_required) == (
        "X-Key",
        "k",
        False,
    )


@pytest.mark.parametrize(
    ("scheme", "prefix"),
    [
        ({"type": "http", "scheme": "bearer"}, "Bearer "),
        ({"type": "http", "scheme": "basic"}, "Basic "),
        ({"type": "oauth2", "flows": {}}, "Bearer "),
        (
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "x-credential-prefix": "Key ",
            },
            "Key ",
        ),
    ],
)
def test_the_credential_form_comes_from_the_security_scheme(
    scheme: dict[str, Any], prefix: str
) -> None:
    def change(document: dict[str, Any]) -> None:
        document["components"]["securitySchemes"]["key"] = scheme

    credential = Contract.from_spec(_spec(change)).credential
    assert credential is not None
    assert (credential.header, credential.prefixes) == ("Authorization", (prefix,))


def test_no_security_no_credential_and_an_anonymous_alternative_makes_it_optional() -> None:
    assert Contract.from_spec(_spec(lambda d: d.pop("security"))).credential is None

    def optional(document: dict[str, Any]) -> None:
        document["security"] = [{}, {"key": []}]

    credential = Contract.from_spec(_spec(optional)).credential
    assert credential is not None
    assert not credential.required


@pytest.mark.parametrize(
    ("schema", "probe"),
    [
        ({}, "taskmock-probe-unknown-id"),
        ({"type": "integer"}, "999999999"),
        ({"type": "integer", "maximum": 5000}, "5000"),
        ({"type": "string", "format": "uuid"}, "00000000-0000-4000-8000-000000000000"),
        ({"type": "string", "pattern": "^[0-9]{15}$"}, "999999999999999"),
        ({"type": "string", "maxLength": 13}, "taskmockprobe"),
        ({"type": "string", "pattern": "^r_[a-z]+$"}, "taskmock-probe-unknown-id"),  # none fits
        ({"type": "string", "pattern": "(?<!x"}, "taskmock-probe-unknown-id"),  # not a regex
    ],
)
def test_the_unknown_id_is_shaped_by_the_id_schema(schema: dict[str, Any], probe: str) -> None:
    assert Contract.from_spec(_spec(_id_schema(schema))).unknown_id() == probe


def test_a_path_id_is_percent_encoded() -> None:
    assert Contract.from_spec(_spec()).path_for("a/b c") == "/renders/a%2Fb%20c"


def test_business_errors_at_any_pointer_with_string_codes() -> None:
    def change(document: dict[str, Any]) -> None:
        document["x-business-errors"] = {
            "at": "/error/code",
            "success": ["OK"],
            "not-found": ["NO_SUCH_RENDER"],
            "rate-limited": ["SLOW_DOWN"],
        }

    business = Contract.from_spec(_spec(change)).business
    assert business is not None
    assert business.source == "vendor-docs"  # the document's, where the block gives none
    assert not business.is_error({"error": {"code": "OK"}})
    assert not business.is_error({"state": "done"})  # no code at all: not an error
    assert business.is_error({"error": {"code": "SLOW_DOWN"}})
    assert business.means({"error": {"code": "NO_SUCH_RENDER"}}, "not-found")
    assert not business.means({"error": {"code": "NO_SUCH_RENDER"}}, "unauthorized")
    assert business.code({"error": ["x"]}) is None
    assert business.code("not a body") is None


def test_a_json_true_is_not_the_code_1() -> None:
    def change(document: dict[str, Any]) -> None:
        document["x-business-errors"] = {"at": "/code", "success": [0], "unauthorized": [1]}

    business = Contract.from_spec(_spec(change)).business
    assert business is not None
    assert business.means({"code": 1}, "unauthorized")
    assert not business.means({"code": True}, "unauthorized")


def test_a_spec_that_declares_too_little_is_a_spec_error_with_its_place() -> None:
    def no_role(document: dict[str, Any]) -> None:
        del document["paths"]["/renders/{render_id}"]["get"]["x-task-role"]

    with pytest.raises(SpecError) as caught:
        Contract.from_spec(_spec(no_role))
    (problem,) = caught.value.problems
    assert problem.file == "renders.yaml"
    assert problem.message.endswith("the operations that answer a task: get_render")


def test_a_document_that_is_no_task_api_has_no_contract_and_no_problem() -> None:
    assert read_contract(load_api("control")) == (None, [])
