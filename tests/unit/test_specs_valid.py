"""The bundled specs are valid OpenAPI 3.1 contracts and carry the seed documents faithfully."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from taskmock._core.spec import load_api
from taskmock._core.validation import iter_examples, validate_file
from tests.conftest import FIXTURES, REPO_ROOT
from tests.support import API_NAMES, spec_path

ALL_DOCUMENTS = (*API_NAMES, "control")
SEEDS = FIXTURES / "seeds"


@pytest.mark.parametrize("name", ALL_DOCUMENTS)
def test_bundled_document_is_a_valid_contract(name: str) -> None:
    assert validate_file(spec_path(name)) == []


@pytest.mark.parametrize("name", API_NAMES)
def test_every_operation_and_schema_states_its_source(name: str) -> None:
    spec = load_api(name)
    for op in spec.operations():
        assert op.raw.get("x-source") in {"seed", "vendor-docs", "inferred"}, op.operation_id
    for component in spec.lifecycles:  # the seeded APIs' task schemas come from their seeds
        assert spec.schemas[component]["x-source"] in {"seed", "vendor-docs"}, component


def _seed_json(text: str) -> object:
    """The first JSON object in a seed page, with `//` comments removed (JSON has none)."""
    match = re.search(r'\{\s*"', text)  # skip shell braces such as ${tid}
    assert match, "no JSON object in seed"
    start = match.start()
    depth = 0
    for index, char in enumerate(text[start:], start):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            body = re.sub(r"^\s*//.*$", "", text[start : index + 1], flags=re.MULTILINE)
            return json.loads(body)
    raise AssertionError("unbalanced JSON in seed")


SEED_EXAMPLES = [
    ("kokoon", "kokoon-sr-v4-get-task.txt", "seed_done"),
    ("tensorpix", "tensorpix-get-job.txt", "seed_placeholder"),
    ("hailuo", "vapi-hailuo-query-task.txt", "seed_success"),
]


@pytest.mark.parametrize(("api", "seed_file", "example"), SEED_EXAMPLES)
def test_seed_example_appears_verbatim(api: str, seed_file: str, example: str) -> None:
    expected = _seed_json((SEEDS / seed_file).read_text(encoding="utf-8"))
    examples = {name: value for name, _, value, _, _ in iter_examples(load_api(api))}
    assert examples[example] == expected


def test_kokoon_seed_error_body_appears_verbatim() -> None:
    text = (SEEDS / "kokoon-sr-v4-get-task.txt").read_text(encoding="utf-8")
    error_body = _seed_json(text[text.index("error response") :])
    examples = {name: value for name, _, value, _, _ in iter_examples(load_api("kokoon"))}
    assert examples["seed_not_found"] == error_body


@pytest.mark.parametrize("seed_file", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_seed_copies_match_shared_seeds(seed_file: str) -> None:
    shared = REPO_ROOT.parent / "shared" / "seeds" / seed_file
    if not shared.exists():
        pytest.skip("no ../shared/seeds beside this checkout")
    assert (SEEDS / seed_file).read_bytes() == shared.read_bytes()


@pytest.mark.parametrize("api", API_NAMES)
def test_every_lifecycle_state_has_an_example_of_its_own(api: str) -> None:
    spec = load_api(api)
    for component, lifecycle in spec.lifecycles.items():  # one per kind of task
        validator = spec.component_validator(component)
        seen = set()
        for _, _, value, _, placeholder in iter_examples(spec):
            if placeholder or not isinstance(value, dict) or not validator.is_valid(value):
                continue
            seen.add(lifecycle.state_of(value))
        assert seen - {None} == set(lifecycle.states), component


def test_documented_field_types() -> None:
    task = load_api("kokoon").schemas["Task"]["properties"]
    for name in ("bitrate", "fps", "nb_frames", "sr_nb_frames", "progress"):
        assert task[name]["type"] == "string", name
    job = load_api("tensorpix").schemas
    assert job["StatusEnum"]["enum"] == [0, 1, 2, -1, -2]
    progress = job["Job"]["properties"]["processing_progress"]
    assert (progress["minimum"], progress["maximum"]) == (0, 1)


def test_security_schemes_as_documented() -> None:
    kokoon = load_api("kokoon").document["components"]["securitySchemes"]["kokoonJwt"]
    assert (kokoon["type"], kokoon["in"], kokoon["name"]) == ("apiKey", "header", "Authorization")
    tensorpix = load_api("tensorpix").document
    assert tensorpix["security"] == [{"tokenAuth": []}, {"jwtAuth": []}]
    assert tensorpix["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"
    hailuo = load_api("hailuo").document["components"]["securitySchemes"]["bearerAuth"]
    assert (hailuo["type"], hailuo["scheme"]) == ("http", "bearer")


def test_hailuo_poll_has_both_documented_forms() -> None:
    spec = load_api("hailuo")
    op = spec.operation("vapi_task_get")
    schema = op.raw["responses"]["200"]["content"]["application/json"]["schema"]
    refs = {entry["$ref"].rsplit("/", 1)[1] for entry in schema["anyOf"]}
    assert {"VideoTask", "TaskEnvelope"} <= refs


def test_specs_readme_exists_and_lists_decisions() -> None:
    text = Path(REPO_ROOT / "specs" / "README.md").read_text(encoding="utf-8")
    for topic in ("status code", "envelope", "midpoint", "Failed"):
        assert topic in text, topic
