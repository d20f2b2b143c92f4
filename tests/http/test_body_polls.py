"""Polls that are not plain GETs of an id, over real HTTP, on a made-up long-running-operation API
(tests/fixtures/mechanisms, `courier`): a POST carrying the operation's name in its body (the id cut
out of the name, the name's parts in the path), a second poll with its own representation, a key
in either of two headers, a download on a vendor path, composite names from format values."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from taskmock._core.clock import ManualClock
from taskmock._http.app import MockConfig
from taskmock._resources import sample_file
from tests.conftest import FIXTURES
from tests.support import LiveMock, start_live_mock

CATALOG = FIXTURES / "mechanisms"
KEY = {"x-api-key": "rk-alice01"}
FETCH = "/courier/v1/projects/{project}/models/clip-1:fetch"


@pytest.fixture(scope="module")
def live() -> Iterator[LiveMock]:
    config = MockConfig(
        apis=("courier",), catalogs=(CATALOG,), clock=ManualClock(), example_tasks=False
    )
    server = start_live_mock(config)
    yield server
    server.stop()


@pytest.fixture
def mock(live: LiveMock) -> LiveMock:
    live.app.tasks.reset()
    return live


def create(mock: LiveMock, headers: dict[str, str] = KEY, **input: object) -> str:
    reply = mock.request(
        "POST", "/courier/v1/models/clip-1:generate", {"prompt": "a boat", **input}, headers
    )
    assert reply.status == 200, reply.body
    return str(reply.json()["name"])


def fetch(mock: LiveMock, name: str, headers: dict[str, str] = KEY) -> tuple[int, object]:
    project = name.split("/")[1]
    reply = mock.request("POST", FETCH.format(project=project), {"name": name}, headers)
    return reply.status, reply.json()


def test_a_post_poll_reads_the_id_out_of_the_name_in_its_body(mock: LiveMock) -> None:
    name = create(mock)
    project, task_id = name.split("/")[1], name.rsplit("/", 1)[1]
    assert len(project) == 6
    assert project.isdigit()
    assert create(mock).split("/")[1] == project  # the same owner, the same project
    assert fetch(mock, name) == (200, {"name": name, "done": False})
    mock.clock.advance(30)
    status, done = fetch(mock, name)
    assert status == 200
    assert done == {
        "name": name,
        "done": True,
        "response": {"uri": f"{mock.base_url}/courier/v1/files/{task_id}:download"},
    }
    journal = [e for e in mock.app.journal if e.operation == "fetch_operation"]
    assert journal[-1].task_id == task_id


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "projects/1/models/clip-1/operations/zzzzzzzzzzzz"}, 404),  # no such task
        ({"name": "operations/abc"}, 404),  # the pattern finds no id
        ({"nom": "x"}, 400),  # the body breaks its schema
    ],
)
def test_a_post_poll_answers_the_documented_errors(
    mock: LiveMock, body: dict[str, str], status: int
) -> None:
    reply = mock.request("POST", FETCH.format(project="1"), body, KEY)
    assert reply.status == status
    assert set(reply.json()) == {"error"}


def test_a_second_poll_answers_its_own_representation_of_the_same_task(mock: LiveMock) -> None:
    name = create(mock)
    task_id = name.rsplit("/", 1)[1]
    first = mock.request("GET", f"/courier/v2/operations/{task_id}", headers=KEY).json()
    assert first == {"operation_id": task_id, "finished": False, "clip_url": None}
    mock.clock.advance(60)
    later = mock.request("GET", f"/courier/v2/operations/{task_id}", headers=KEY).json()
    assert later["finished"] is True
    assert later["clip_url"].endswith(f"/courier/v1/files/{task_id}:download")
    # The first representation is unchanged by the second's (each compiled and cached apart).
    assert fetch(mock, name)[1]["done"] is True  # type: ignore[index]


def test_the_download_serves_the_video_once_the_task_has_it(mock: LiveMock) -> None:
    task_id = create(mock).rsplit("/", 1)[1]
    early = mock.request("GET", f"/courier/v1/files/{task_id}:download", headers=KEY)
    assert early.status == 404
    mock.clock.advance(60)
    video = mock.request("GET", f"/courier/v1/files/{task_id}:download", headers=KEY)
    assert (video.status, video.headers["content-type"]) == (200, "video/mp4")
    assert video.body == sample_file().read_bytes()


def test_a_key_in_either_header_is_accepted_and_owns_its_tasks(mock: LiveMock) -> None:
    bearer = {"Authorization": "Bearer some-oauth-token"}
    name = create(mock, bearer)
    assert fetch(mock, name, bearer)[0] == 200
    assert fetch(mock, name, KEY)[0] == 404  # another credential: another owner
    assert fetch(mock, name, {"x-api-key": "rk-bob0001"})[0] == 404
    assert fetch(mock, name, {})[0] == 401
    assert fetch(mock, name, {"Authorization": "Token x"})[0] == 401
    assert fetch(mock, name, {"x-api-key": "not-a-key"})[0] == 401


def test_a_nested_input_field_chooses_the_output(mock: LiveMock) -> None:
    name = create(mock, options={"bucket": "my-bucket"})
    mock.clock.advance(60)
    task_id = name.rsplit("/", 1)[1]
    assert fetch(mock, name)[1]["response"] == {"uri": f"gs://my-bucket/{task_id}.mp4"}  # type: ignore[index]


def test_the_control_plane_and_the_fixture_handle_say_how_to_poll(mock: LiveMock) -> None:
    task = mock.request("POST", "/__taskmock/tasks", {"api": "courier"}).json()
    assert task["poll_method"] == "POST"
    name = task["poll_body"]["name"]
    project = name.split("/")[1]
    assert task["poll_path"] == f"/courier/v1/projects/{project}/models/clip-1:fetch"
    reply = mock.request(task["poll_method"], task["poll_path"], task["poll_body"], KEY)
    assert reply.json()["name"] == name
    from taskmock.testing import Taskmock

    handle = Taskmock(mock.app, mock.base_url)
    made = handle.create("courier", owner="rk-alice01")
    assert made.poll_method == "POST"
    assert json.dumps(made.poll_body).startswith('{"name": "projects/')
