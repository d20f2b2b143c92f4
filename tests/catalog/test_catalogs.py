"""Catalogs: users' APIs load, serve and fail like the bundled ones, with no global state."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from taskmock._core.catalog import ENVIRONMENT_VARIABLE, Catalog
from taskmock._core.clock import ManualClock
from taskmock._http.app import MockApp, MockConfig
from taskmock._http.messages import Request
from taskmock.errors import CatalogError, ScenarioError, UnknownNameError
from tests.support import scenario_path, spec_path

BEARER = {"authorization": "Bearer t"}


def make_catalog(folder: Path, name: str, *, like: str = "hailuo", edit: str = "") -> Path:
    """A catalog holding a copy of a bundled API under another name."""
    (folder / "specs").mkdir(parents=True, exist_ok=True)
    (folder / "mocks").mkdir(parents=True, exist_ok=True)
    (folder / "specs" / f"{name}.yaml").write_text(spec_path(like).read_text())
    text = scenario_path(like).read_text().replace(f"api: {like}", f"api: {name}")
    (folder / "mocks" / f"{name}.yaml").write_text(text + edit)
    return folder


def test_an_api_defined_twice_is_an_error_naming_both_files(tmp_path: Path) -> None:
    first = make_catalog(tmp_path / "one", "acme")
    second = make_catalog(tmp_path / "two", "acme")
    with pytest.raises(CatalogError) as caught:
        Catalog([first, second])
    message = str(caught.value)
    assert str(first / "specs" / "acme.yaml") in message
    assert str(second / "specs" / "acme.yaml") in message
    with pytest.raises(CatalogError, match="also defined by"):
        Catalog([make_catalog(tmp_path / "three", "hailuo")])  # a bundled name


def test_a_broken_user_file_gets_file_line_pointer_and_a_suggestion(tmp_path: Path) -> None:
    folder = make_catalog(tmp_path, "acme")
    scenario = folder / "mocks" / "acme.yaml"
    scenario.write_text(scenario.read_text().replace("role: poll", "role: pol"))
    with pytest.raises(ScenarioError) as caught:
        Catalog([folder]).behaviour("acme")
    (problem, *_) = caught.value.problems
    assert problem.file == str(scenario)
    assert problem.line is not None
    assert problem.pointer.startswith("/operations/")
    assert "did you mean 'poll'" in problem.message


def test_a_scenario_file_must_name_its_own_api(tmp_path: Path) -> None:
    folder = make_catalog(tmp_path, "acme")
    scenario = folder / "mocks" / "acme.yaml"
    scenario.write_text(scenario.read_text().replace("api: acme", "api: other"))
    with pytest.raises(ScenarioError, match="api must be 'acme'"):
        Catalog([folder]).behaviour("acme")


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({}, "a catalog is a folder"),
        ({"mocks/x.yaml": "api: x"}, "no specs/ folder"),
        ({"specs/control.yaml": "{}"}, "'control' is reserved"),
        ({"specs/a b.yaml": "{}"}, "letters, digits"),
        ({"specs/a.yaml": "{}", "mocks/b.yaml": "api: b"}, "no spec for it"),
    ],
)
def test_a_malformed_catalog_folder_is_a_clear_error(
    tmp_path: Path, layout: dict[str, str], message: str
) -> None:
    folder = tmp_path / "catalog"
    for name, text in layout.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    with pytest.raises(CatalogError, match=message):
        Catalog([folder])


def test_a_spec_without_a_scenario_file_is_listed_but_not_played(tmp_path: Path) -> None:
    folder = make_catalog(tmp_path, "acme")
    (folder / "mocks" / "acme.yaml").unlink()
    catalog = Catalog([folder])
    assert "acme" in catalog.spec_names
    assert "acme" not in catalog.names
    assert catalog.spec("acme").title
    with pytest.raises(UnknownNameError):
        catalog.behaviour("acme")


def test_two_mocks_in_one_process_load_different_catalogs(tmp_path: Path) -> None:
    first = make_catalog(tmp_path / "one", "acme", edit="\nroot: false\n")
    second = make_catalog(tmp_path / "two", "acme", like="tensorpix", edit="\nroot: false\n")
    one = MockApp(MockConfig(catalogs=(first,), clock=ManualClock()))
    two = MockApp(MockConfig(catalogs=(second,), clock=ManualClock()))
    assert one.tasks.behaviour("acme").lifecycle.status_field == "status"
    assert one.tasks.behaviour("acme").task_component == "VideoTask"
    assert two.tasks.behaviour("acme").task_component == "Job"
    assert "acme" not in MockApp(MockConfig(clock=ManualClock())).tasks.behaviours


def test_the_environment_variable_adds_catalogs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_catalog(tmp_path, "acme", edit="\nroot: false\n")
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, f"{tmp_path / 'missing-is-an-error'}")
    with pytest.raises(CatalogError, match="a catalog is a folder"):
        MockApp(MockConfig(clock=ManualClock()))
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(folder))
    assert "acme" in MockApp(MockConfig(clock=ManualClock())).tasks.behaviours


def test_every_api_is_served_under_its_prefix_and_at_its_root_unless_told(tmp_path: Path) -> None:
    folder = make_catalog(tmp_path, "acme", edit="\nroot: false\n")
    app = MockApp(MockConfig(catalogs=(folder,), clock=ManualClock()))
    task = app.tasks.create("acme")
    hailuo = app.tasks.create("hailuo")
    assert app.handle(Request("GET", f"/acme/task/{task.id}", "", BEARER)).status == 200
    assert app.handle(Request("GET", f"/task/{task.id}", "", BEARER)).json()["base_resp"][
        "status_code"
    ]  # the root path is hailuo's: it does not know this task
    assert app.handle(Request("GET", f"/task/{hailuo.id}", "", BEARER)).status == 200
    assert app.handle(Request("GET", f"/hailuo/task/{hailuo.id}", "", BEARER)).status == 200
    assert app.tasks.behaviour("acme").poll_path(task.id) == f"/acme/task/{task.id}"


def test_two_apis_at_the_same_root_route_is_an_error_that_says_what_to_do(
    tmp_path: Path,
) -> None:
    folder = make_catalog(tmp_path, "acme")
    with pytest.raises(CatalogError, match=r"set `root: false` in mocks/acme\.yaml"):
        MockApp(MockConfig(catalogs=(folder,), clock=ManualClock()))


def test_a_body_that_is_itself_an_expression_is_rendered_on_the_fast_path(
    tmp_path: Path,
) -> None:
    folder = make_catalog(tmp_path, "acme", edit="\nroot: false\n")
    scenario = folder / "mocks" / "acme.yaml"
    data = yaml.safe_load(scenario.read_text())
    data["templates"], data["body"] = {"task": data["body"]}, {"$": "ref", "name": "task"}
    scenario.write_text(yaml.safe_dump(data))
    app = MockApp(MockConfig(catalogs=(folder,), apis=("acme",), clock=ManualClock()))
    task = app.tasks.create("acme")
    reply = app.handle(Request("GET", f"/acme/task/{task.id}", "", BEARER))
    assert reply.json()["status"] == "Preparing"  # not {"$": "ref", ...}
