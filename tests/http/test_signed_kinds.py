"""Signed credentials and kinds of task over real HTTP, on a made-up API (tests/fixtures/mechanisms,
`forge`): a JWT per request owns tasks by its key; renders and exports are two kinds of task, each
found only by its own operations, with its own lifecycle, ids and scenarios."""

from __future__ import annotations

import time
from collections.abc import Iterator

import jwt
import pytest

from taskmock._core.clock import ManualClock
from taskmock._http.app import MockApp, MockConfig
from tests.conftest import FIXTURES
from tests.support import LiveMock, start_live_mock

CATALOG = FIXTURES / "mechanisms"
ONE = "secret-one-0123456789abcdefghijklmn"
TWO = "secret-two-0123456789abcdefghijklmn"
EXTRA = "secret-extra-0123456789abcdefghijkl"


def signed(key: str = "key-one", secret: str = ONE, **claims: int) -> dict[str, str]:
    now = int(time.time())
    payload = {"iss": key, "exp": now + 1800, "nbf": now - 5, **claims}
    return {"Authorization": "Bearer " + jwt.encode(payload, secret, algorithm="HS256")}


@pytest.fixture(scope="module")
def live() -> Iterator[LiveMock]:
    config = MockConfig(
        apis=("forge",),
        catalogs=(CATALOG,),
        clock=ManualClock(),
        example_tasks=False,
        jwt_keys={"key-extra": EXTRA},
    )
    server = start_live_mock(config)
    yield server
    server.stop()


@pytest.fixture
def mock(live: LiveMock) -> LiveMock:
    live.app.tasks.reset()
    return live


def test_every_token_of_one_key_sees_its_tasks_and_another_key_does_not(mock: LiveMock) -> None:
    created = mock.request("POST", "/forge/v1/renders", {"scene": "teapot"}, signed())
    assert created.status == 200, created.body
    render = created.json()["id"]
    # A token signed later (new exp and nbf) by the same key finds it; another key does not.
    later = signed(exp=int(time.time()) + 1700)
    assert mock.request("GET", f"/forge/v1/renders/{render}", headers=later).status == 200
    other = mock.request("GET", f"/forge/v1/renders/{render}", headers=signed("key-two", TWO))
    assert (other.status, other.json()["code"]) == (404, 20)
    # A key given to the server (jwt_keys) is accepted like the file's.
    extra = signed("key-extra", EXTRA)
    assert mock.request("GET", "/forge/v1/renders", headers=extra).json() == {"renders": []}


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, 11),
        ({"Authorization": "Bearer"}, 11),
        ({"Authorization": "Bearer abc.def.ghi"}, 10),
        (signed(secret=TWO), 10),
        (signed(exp=int(time.time()) - 60), 12),
        (signed(nbf=int(time.time()) + 600), 13),
    ],
    ids=["missing", "empty", "malformed", "bad signature", "expired", "not yet valid"],
)
def test_refusals_answer_the_errors_the_file_names(
    mock: LiveMock, headers: dict[str, str], code: int
) -> None:
    reply = mock.request("POST", "/forge/v1/renders", {"scene": "teapot"}, headers)
    assert (reply.status, reply.json()["code"]) == (401, code)
    assert list(mock.app.tasks.store.all("forge")) == []  # nothing was created


def test_token_times_are_wall_time_whatever_the_mock_clock(mock: LiveMock) -> None:
    mock.clock.advance(3 * 3600)  # a manual clock far from now changes nothing for tokens
    assert mock.request("GET", "/forge/v1/renders", headers=signed()).status == 200


def test_each_kind_has_its_own_operations_lifecycle_ids_and_scenarios(mock: LiveMock) -> None:
    auth = signed()
    render = mock.request("POST", "/forge/v1/renders", {"scene": "teapot"}, auth).json()["id"]
    export = mock.request("POST", "/forge/v1/exports", {"format": "gif"}, auth).json()["export_id"]
    assert len(render) == 12
    assert set(render) <= set("0123456789abcdef")
    assert len(export) == 12
    assert export.isdigit()
    # A task is found only through its own kind's operations.
    assert mock.request("GET", f"/forge/v1/exports/{render}", headers=auth).status == 404
    assert mock.request("GET", f"/forge/v1/renders/{export}", headers=auth).status == 404
    listed = mock.request("GET", "/forge/v1/renders", headers=auth).json()["renders"]
    assert [r["id"] for r in listed] == [render]
    # Each plays its own lifecycle.
    assert mock.request("GET", f"/forge/v1/exports/{export}", headers=auth).json() == {
        "export": {"id": export, "state": "pending"}
    }
    mock.clock.advance(30)
    assert mock.request("GET", f"/forge/v1/renders/{render}", headers=auth).json()["status"] == (
        "done"
    )
    ready = mock.request("GET", f"/forge/v1/exports/{export}", headers=auth).json()
    assert ready["export"]["state"] == "ready"
    # A scenario is one of the task's kind: `expired` is an export's, not a render's.
    picked = {**auth, "x-taskmock-scenario": "expired"}
    assert mock.request("POST", "/forge/v1/exports", {"format": "gif"}, picked).status == 200
    refused = mock.request("POST", "/forge/v1/renders", {"scene": "teapot"}, picked)
    assert refused.status == 400
    assert "scenario of forge renders tasks 'expired'" in refused.json()["message"]


def test_the_control_plane_creates_a_task_of_a_kind(mock: LiveMock) -> None:
    made = mock.request(
        "POST", "/__taskmock/tasks", {"api": "forge", "kind": "exports", "scenario": "expired"}
    )
    assert made.status == 201, made.body
    task = made.json()
    assert (task["kind"], task["state"]) == ("exports", "pending")
    assert task["poll_path"] == f"/forge/v1/exports/{task['id']}"
    first = mock.request("POST", "/__taskmock/tasks", {"api": "forge"}).json()
    assert (first["kind"], first["state"]) == ("renders", "queued")  # the first kind
    unknown = mock.request("POST", "/__taskmock/tasks", {"api": "forge", "kind": "export"})
    assert unknown.status == 422
    assert "did you mean 'exports'" in unknown.json()["detail"]
    # A public task of a kind answers every key on its own route only.
    polled = mock.request("GET", task["poll_path"], headers=signed("key-two", TWO))
    assert polled.json()["export"]["state"] == "pending"
    failed = mock.request("POST", f"/__taskmock/tasks/forge/{first['id']}/fail")
    assert failed.json()["state"] == "failed"


def test_two_mocks_hold_different_keys() -> None:
    plain = MockApp(MockConfig(apis=("forge",), catalogs=(CATALOG,)))
    more = MockApp(MockConfig(apis=("forge",), catalogs=(CATALOG,), jwt_keys={"k": EXTRA}))
    token = signed("k", EXTRA)["Authorization"]
    assert plain.tasks.behaviour("forge").auth.authenticate({"authorization": token}) is None
    assert more.tasks.behaviour("forge").auth.authenticate({"authorization": token}) == ("k", "k")
    exports = more.tasks.behaviour("forge").of_kind("exports")
    assert exports.auth is more.tasks.behaviour("forge").auth  # every kind shares the keys
