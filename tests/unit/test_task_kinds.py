"""Kinds of task in one scenario file (`kinds`): each kind's behaviour, and a broken file named
precisely. A made-up API (tests/fixtures/mechanisms, `forge`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskmock._core.scenario import load_behaviour_file
from taskmock.errors import ScenarioError, UnknownNameError
from tests.conftest import FIXTURES

FORGE = FIXTURES / "mechanisms" / "mocks" / "forge.yaml"
SPEC = FIXTURES / "mechanisms" / "specs" / "forge.yaml"


def test_each_kind_takes_the_file_s_keys_and_says_what_differs() -> None:
    forge = load_behaviour_file(FORGE)
    renders, exports = forge.every_kind
    assert forge is renders  # the API's own behaviour is its first kind's
    assert (renders.kind, exports.kind) == ("renders", "exports")
    assert (renders.task_component, exports.task_component) == ("Render", "ExportEnvelope")
    assert (renders.id_kind, exports.id_kind) == ("hex", "digits")  # the kind's over the file's
    assert renders.errors.keys() == exports.errors.keys()  # the file's, shared
    assert set(renders.operations) == {"create_render", "get_render", "list_renders"}
    assert set(exports.scenarios) == {"success", "expired"}
    assert renders.kinds is exports.kinds
    assert forge.of_kind("exports") is exports
    assert forge.of_kind(None) is forge
    with pytest.raises(UnknownNameError, match="did you mean 'exports'"):
        forge.of_kind("export")


def test_a_file_without_kinds_is_one_kind() -> None:
    courier = load_behaviour_file(FIXTURES / "mechanisms" / "mocks" / "courier.yaml")
    assert courier.kind == ""
    assert courier.every_kind == (courier,)
    assert courier.of_kind("") is courier


@pytest.mark.parametrize(
    ("old", "new", "pointer", "fragment"),
    [
        (
            "      get_export: { role: poll, param: export_id }",
            "      get_export: { role: poll, param: export_id }\n      get_render: { role: poll, param: id }",
            "/kinds/exports/operations/get_render",
            "'get_render' is already an operation of kind 'renders'",
        ),
        (
            "    task: ExportEnvelope\n",
            "    task: ExportEnvelop\n",
            "/kinds/exports/task",
            "did you mean 'ExportEnvelope'?",
        ),
        (
            "    task: Render\n",
            "",
            "/kinds/renders",
            "missing 'task'",
        ),
        (
            "      success:\n        default: true\n        path: [{ state: pending, dwell: 10 }, { state: ready }]",
            "      success:\n        default: true\n        path: [{ state: pending, dwell: 10 }, { state: done }]",
            "/kinds/exports/scenarios/success/path/1/state",
            "'done' is not a state of this lifecycle",
        ),
        (
            "kinds:\n",
            "operations: {}\nkinds:\n",
            "/operations",
            "with kinds, each kind lists its own operations",
        ),
    ],
    ids=[
        "an operation in two kinds",
        "an unknown task",
        "no task",
        "another kind's state",
        "shared operations",
    ],
)
def test_a_broken_kind_is_named_precisely(
    tmp_path: Path, old: str, new: str, pointer: str, fragment: str
) -> None:
    assert old in FORGE.read_text()
    (tmp_path / "specs").mkdir()
    (tmp_path / "mocks").mkdir()
    (tmp_path / "specs" / "forge.yaml").write_text(SPEC.read_text())
    (tmp_path / "mocks" / "forge.yaml").write_text(FORGE.read_text().replace(old, new, 1))
    with pytest.raises(ScenarioError) as caught:
        load_behaviour_file(tmp_path / "mocks" / "forge.yaml")
    found = [p for p in caught.value.problems if p.pointer == pointer]
    assert found, [str(p) for p in caught.value.problems]
    assert fragment in found[0].message
