"""Near misses of valid task bodies are rejected by the specs (property-based).

Each test starts from the spec's own valid per-state examples and changes exactly one thing the
documents forbid; a plain JSON Schema validator over the spec must reject every such body.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from taskmock._core.spec import Spec, load_api
from taskmock._core.validation import iter_examples

TASK_COMPONENT = {"kokoon": "Task", "tensorpix": "Job", "hailuo": "VideoTask"}


def _task_examples(api: str) -> list[dict[str, Any]]:
    spec = load_api(api)
    validator = spec.component_validator(TASK_COMPONENT[api])
    return [
        value
        for _, _, value, _, placeholder in iter_examples(spec)
        if not placeholder and isinstance(value, dict) and validator.is_valid(value)
    ]


SPECS: dict[str, Spec] = {api: load_api(api) for api in TASK_COMPONENT}
EXAMPLES = {api: _task_examples(api) for api in TASK_COMPONENT}
json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)


def _json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON Schema sees it: 0.0 equals 0, but true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b) and (isinstance(a, int | float) == isinstance(b, int | float))


def _rejects(api: str, body: dict[str, Any]) -> bool:
    return not SPECS[api].component_validator(TASK_COMPONENT[api]).is_valid(body)


def test_every_api_has_valid_examples_to_mutate() -> None:
    assert {api: len(v) >= 5 for api, v in EXAMPLES.items()} == dict.fromkeys(TASK_COMPONENT, True)


@given(
    example=st.sampled_from(EXAMPLES["kokoon"]),
    field=st.sampled_from(
        ["bitrate", "fps", "nb_frames", "sr_nb_frames", "progress", "tid", "step"]
    ),
    value=st.integers() | st.floats(allow_nan=False),
)
def test_kokoon_number_where_the_document_says_string(
    example: dict[str, Any], field: str, value: float
) -> None:
    body = {**example, field: value}
    assert _rejects("kokoon", body)


@pytest.mark.parametrize("api", list(TASK_COMPONENT))
@given(data=st.data())
def test_status_outside_the_enum(api: str, data: st.DataObject) -> None:
    lifecycle = SPECS[api].lifecycles[TASK_COMPONENT[api]]
    accepted = [*lifecycle.states, *lifecycle.aliases]
    example = data.draw(st.sampled_from(EXAMPLES[api]))
    status = data.draw(json_scalars.filter(lambda v: not any(_json_equal(v, s) for s in accepted)))
    assert _rejects(api, {**example, lifecycle.status_field: status})


@given(
    example=st.sampled_from([e for e in EXAMPLES["tensorpix"] if e["status"] != 2]),
    output=st.sampled_from([e["output_video"] for e in EXAMPLES["tensorpix"] if e["status"] == 2]),
)
def test_tensorpix_output_video_set_before_finished(
    example: dict[str, Any], output: dict[str, Any]
) -> None:
    assert _rejects("tensorpix", {**example, "output_video": output})


@given(example=st.sampled_from([e for e in EXAMPLES["tensorpix"] if e["status"] == 2]))
def test_tensorpix_finished_without_output_video(example: dict[str, Any]) -> None:
    assert _rejects("tensorpix", {**example, "output_video": None})


@given(
    progress=st.floats(min_value=1.0001, max_value=1e9)
    | st.floats(max_value=-0.0001, min_value=-1e9)
)
def test_tensorpix_progress_is_a_ratio(progress: float) -> None:
    (example,) = [e for e in EXAMPLES["tensorpix"] if e["status"] == 1]
    assert _rejects("tensorpix", {**example, "processing_progress": progress})


@given(
    example=st.sampled_from([e for e in EXAMPLES["hailuo"] if e["status"] == "Success"]),
    field=st.sampled_from(["file_id", "video_width", "video_height"]),
    missing=st.sampled_from(["absent", None, "", 0]),
)
def test_hailuo_success_without_its_output(
    example: dict[str, Any], field: str, missing: Any
) -> None:
    body = copy.deepcopy(example)
    if missing == "absent":
        del body[field]
    else:
        body[field] = missing
    assert _rejects("hailuo", body)


@given(
    example=st.sampled_from([e for e in EXAMPLES["hailuo"] if e["status"] != "Success"]),
    file_id=st.text(min_size=1, max_size=20),
)
def test_hailuo_file_id_before_success(example: dict[str, Any], file_id: str) -> None:
    assert _rejects("hailuo", {**example, "file_id": file_id})


@given(example=st.sampled_from([e for e in EXAMPLES["kokoon"] if e["step"] == "done"]))
def test_kokoon_done_without_finish_time(example: dict[str, Any]) -> None:
    assert _rejects("kokoon", {**example, "finish_time": None})


@pytest.mark.parametrize("api", list(TASK_COMPONENT))
def test_standalone_schema_agrees_with_the_spec(api: str) -> None:
    """The exported JSON Schema enforces the same rules with plain jsonschema."""
    standalone = SPECS[api].standalone_schema(TASK_COMPONENT[api])
    Draft202012Validator.check_schema(standalone)
    plain = Draft202012Validator(standalone)
    for example in EXAMPLES[api]:
        assert plain.is_valid(example)
    lifecycle = SPECS[api].lifecycles[TASK_COMPONENT[api]]
    broken = {**EXAMPLES[api][0], lifecycle.status_field: "not-a-state"}
    assert not plain.is_valid(broken)
