"""Cancel and delete over HTTP, on a made-up API (tests/fixtures/catalogs/printshop): a cancel
that answers the cancelled task, what a task already finished gets (conflict, the answer, or
deletion), and a delete that removes a task for the one who deletes it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskmock._core.clock import ManualClock
from taskmock._core.scenario import load_behaviour_file
from taskmock._core.tasks import Capacity
from taskmock._http.app import MockApp, MockConfig
from taskmock.errors import ScenarioError
from tests.support import LiveMock, Reply, start_live_mock

FIXTURE = Path(__file__).parents[1] / "fixtures" / "catalogs" / "printshop"
VERSION = {"Printshop-Version": "2025-01-01"}
ALICE = {"Authorization": "Bearer ps_alice", **VERSION}
BOB = {"Authorization": "Bearer ps_bob", **VERSION}
DELETE_LINE = "  delete_print: { role: cancel, param: print_id, status: 204, finished: delete }"


def catalog(tmp_path: Path, delete_print: str | None = None) -> Path:
    """The fixture catalog, with the DELETE operation's entry replaced."""
    folder = tmp_path / "printshop"
    shutil.copytree(FIXTURE, folder)
    if delete_print is not None:
        scenario = folder / "mocks" / "printshop.yaml"
        text = scenario.read_text()
        assert DELETE_LINE in text, "fixture drifted"
        scenario.write_text(text.replace(DELETE_LINE, "  delete_print: " + delete_print))
    return folder


def serve(folder: Path, capacity: Capacity | None = None) -> LiveMock:
    config = MockConfig(
        catalogs=(folder,),
        apis=("printshop",),
        clock=ManualClock(),
        example_tasks=False,
        **({"capacity": capacity} if capacity else {}),
    )
    return start_live_mock(config)


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[LiveMock]:
    server = serve(catalog(tmp_path))
    yield server
    server.stop()


def create(mock: LiveMock, headers: dict[str, str] = ALICE, scenario: str = "success") -> str:
    reply = mock.request(
        "POST",
        "/printshop/v1/prints",
        {"document": "a.pdf"},
        {**headers, "X-Taskmock-Scenario": scenario},
    )
    assert reply.status == 201, reply.body
    return str(reply.json()["id"])


def poll(mock: LiveMock, task_id: str, headers: dict[str, str] = ALICE) -> Reply:
    return mock.request("GET", f"/printshop/v1/prints/{task_id}", headers=headers)


def listed(mock: LiveMock, headers: dict[str, str] = ALICE) -> tuple[int, list[str]]:
    body = mock.request("GET", "/printshop/v1/prints", headers=headers).json()
    return body["count"], [item["id"] for item in body["prints"]]


# --- cancel ----------------------------------------------------------------------------------


def test_a_cancel_answers_the_task_once_cancelled(mock: LiveMock) -> None:
    task_id = create(mock)
    mock.clock.advance(7)  # printing
    reply = mock.request("POST", f"/printshop/v1/prints/{task_id}/cancel", headers=ALICE)
    assert reply.status == 200
    assert reply.json()["status"] == "cancelled"
    assert reply.json()["id"] == task_id
    assert poll(mock, task_id).json()["status"] == "cancelled"


def test_a_cancel_of_a_finished_task_is_a_conflict_by_default(mock: LiveMock) -> None:
    task_id = create(mock)
    mock.clock.advance(60)
    reply = mock.request("POST", f"/printshop/v1/prints/{task_id}/cancel", headers=ALICE)
    assert reply.status == 409
    assert "completed" in reply.json()["message"]
    assert poll(mock, task_id).json()["status"] == "completed"


def test_finished_answer_answers_a_finished_task_unchanged(tmp_path: Path) -> None:
    server = serve(
        catalog(tmp_path, "{ role: cancel, param: print_id, status: 204, finished: answer }")
    )
    try:
        task_id = create(server, scenario="failure")
        server.clock.advance(60)
        reply = server.request("DELETE", f"/printshop/v1/prints/{task_id}", headers=ALICE)
        assert (reply.status, reply.body) == (204, b"")
        assert poll(server, task_id).json()["status"] == "jammed"
    finally:
        server.stop()


def test_a_cancel_of_another_owners_or_an_unknown_task_is_not_found(mock: LiveMock) -> None:
    task_id = create(mock)
    reply = mock.request("POST", f"/printshop/v1/prints/{task_id}/cancel", headers=BOB)
    assert reply.status == 404
    assert mock.request("POST", "/printshop/v1/prints/p_0/cancel", headers=ALICE).status == 404
    assert poll(mock, task_id).json()["status"] == "queued"


# --- cancel a live task, delete a finished one (finished: delete) -----------------------------


def test_delete_cancels_a_live_task_which_stays_readable(mock: LiveMock) -> None:
    task_id = create(mock)
    reply = mock.request("DELETE", f"/printshop/v1/prints/{task_id}", headers=ALICE)
    assert (reply.status, reply.body) == (204, b"")
    assert poll(mock, task_id).json()["status"] == "cancelled"
    assert listed(mock) == (1, [task_id])


def test_delete_of_a_finished_task_removes_it_everywhere_for_its_owner(mock: LiveMock) -> None:
    kept, gone = create(mock), create(mock)
    mock.clock.advance(60)
    reply = mock.request("DELETE", f"/printshop/v1/prints/{gone}", headers=ALICE)
    assert (reply.status, reply.body) == (204, b"")
    assert poll(mock, gone).status == 404
    assert listed(mock) == (1, [kept])
    assert mock.request("DELETE", f"/printshop/v1/prints/{gone}", headers=ALICE).status == 404
    assert mock.request("POST", f"/printshop/v1/prints/{gone}/cancel", headers=ALICE).status == 404
    assert mock.app.tasks.store.get("printshop", gone) is None  # really gone, not hidden


# --- the delete role: gone in any state -------------------------------------------------------


@pytest.fixture
def deleting(tmp_path: Path) -> Iterator[LiveMock]:
    server = serve(catalog(tmp_path, "{ role: delete, param: print_id, status: 204 }"))
    yield server
    server.stop()


@pytest.mark.parametrize("seconds", [0, 7, 60])
def test_the_delete_role_removes_a_task_in_any_state(deleting: LiveMock, seconds: int) -> None:
    task_id = create(deleting)
    deleting.clock.advance(seconds)
    reply = deleting.request("DELETE", f"/printshop/v1/prints/{task_id}", headers=ALICE)
    assert (reply.status, reply.body) == (204, b"")
    assert poll(deleting, task_id).status == 404
    assert listed(deleting) == (0, [])


def test_only_the_owner_deletes_a_task(deleting: LiveMock) -> None:
    task_id = create(deleting)
    assert deleting.request("DELETE", f"/printshop/v1/prints/{task_id}", headers=BOB).status == 404
    assert poll(deleting, task_id).status == 200


def test_a_public_task_is_deleted_for_the_one_who_deletes_it(deleting: LiveMock) -> None:
    public = deleting.app.tasks.create("printshop")  # the control plane's: no owner
    path = f"/printshop/v1/prints/{public.id}"
    assert listed(deleting, ALICE) == (1, [public.id])
    assert deleting.request("DELETE", path, headers=ALICE).status == 204
    assert poll(deleting, public.id, ALICE).status == 404
    assert listed(deleting, ALICE) == (0, [])
    assert deleting.request("DELETE", path, headers=ALICE).status == 404
    assert poll(deleting, public.id, BOB).status == 200  # another test's view is untouched
    assert listed(deleting, BOB) == (1, [public.id])


def test_a_delete_may_answer_the_task_as_it_was(tmp_path: Path) -> None:
    server = serve(
        catalog(tmp_path, "{ role: delete, param: print_id, response: { $: ref, name: print } }")
    )
    try:
        task_id = create(server)
        reply = server.request("DELETE", f"/printshop/v1/prints/{task_id}", headers=ALICE)
        assert reply.status == 200
        assert reply.json()["status"] == "queued"
        assert poll(server, task_id).status == 404
    finally:
        server.stop()


def test_deleting_gives_back_the_stored_input(tmp_path: Path) -> None:
    """A mock that holds one task's input at most keeps taking tasks while they are deleted."""
    server = serve(
        catalog(tmp_path, "{ role: delete, param: print_id, status: 204 }"),
        Capacity(max_stored_input=30),
    )
    try:
        for _ in range(3):
            task_id = create(server)
            assert (
                server.request("DELETE", f"/printshop/v1/prints/{task_id}", headers=ALICE).status
                == 204
            )
        create(server)
        refused = server.request("POST", "/printshop/v1/prints", {"document": "a.pdf"}, ALICE)
        assert refused.status == 507
    finally:
        server.stop()


# --- the file says what it means --------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{ role: cancel, param: print_id, finished: keep }", "'keep' is not one of"),
        (
            "{ role: delete, param: print_id, status: 204, response: { $: id } }",
            "a 204 answer has no body",
        ),
    ],
)
def test_a_wrong_option_fails_at_load(tmp_path: Path, entry: str, message: str) -> None:
    folder = catalog(tmp_path, entry)
    with pytest.raises(ScenarioError, match=message) as caught:
        load_behaviour_file(
            folder / "mocks" / "printshop.yaml", folder / "specs" / "printshop.yaml"
        )
    assert "/operations/delete_print" in str(caught.value)


def test_a_cancel_needs_a_cancelled_state(tmp_path: Path) -> None:
    folder = catalog(tmp_path)
    scenario = folder / "mocks" / "printshop.yaml"
    scenario.write_text(scenario.read_text().replace("  cancelled: cancelled\n", ""))
    with pytest.raises(ScenarioError, match="needs a 'cancelled' state"):
        MockApp(MockConfig(catalogs=(folder,), apis=("printshop",), clock=ManualClock()))
