"""Each API over real HTTP: create, poll, advance time, and see the documented lifecycle."""

from __future__ import annotations

from typing import Any

import pytest

from taskmock._core.scenario import load_behaviour
from tests.support import LiveMock, assert_conforms

AUTH = {
    "kokoon": {"Authorization": "eyJraWQiOiJPMGs5.eyJzdWIiOiIzN2U3NzYxM.c2ln"},
    "tensorpix": {"Authorization": "Token abc123"},
    "hailuo": {"Authorization": "Bearer sk-test"},
}
OTHER = {
    "kokoon": {"Authorization": "eyJvdGhlcg.eyJvdGhlcg.c2ln"},
    "tensorpix": {"Authorization": "Token someoneelse"},
    "hailuo": {"Authorization": "Bearer sk-other"},
}
STATUS_FIELD = {"kokoon": "step", "tensorpix": "status", "hailuo": "status"}
EXPECTED = {
    "kokoon": ["ready", "preparing", "prepared", "running", "done"],
    "tensorpix": [0, 1, 2],
    "hailuo": ["Preparing", "Queueing", "Processing", "Success"],
}


def _create(mock: LiveMock, api: str, headers: dict[str, str] | None = None, **extra: Any) -> Any:
    behaviour = load_behaviour(api)
    create = next(op for op in behaviour.operations.values() if op.role == "create" and op.example)
    reply = mock.request(
        "POST", create.operation.path, {**create.example, **extra}, headers or AUTH[api]
    )
    assert reply.status == create.status, reply.body
    poll = next(op for op in behaviour.operations.values() if op.role == "poll")
    body = reply.json()
    return body.get("tid") or body.get("id") or body.get("task_id"), poll


@pytest.mark.parametrize("api", list(EXPECTED))
def test_created_task_walks_its_documented_lifecycle(mock: LiveMock, api: str) -> None:
    task_id, poll = _create(mock, api)
    seen: list[Any] = []
    for _ in range(200):
        reply = mock.request("GET", poll.path_for(task_id), headers=AUTH[api])
        assert reply.status == 200
        assert_conforms(api, poll.operation.operation_id, reply)
        state = reply.json()[STATUS_FIELD[api]]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state == EXPECTED[api][-1]:
            break
        mock.clock.advance(1.5)
    assert seen == EXPECTED[api]


def test_tensorpix_fields_follow_the_state(mock: LiveMock) -> None:
    job_id, poll = _create(mock, "tensorpix")
    queued = mock.request("GET", poll.path_for(job_id), headers=AUTH["tensorpix"]).json()
    assert (
        queued["status"],
        queued["output_video"],
        queued["finished"],
        queued["processing_progress"],
    ) == (0, None, None, 0)
    mock.clock.advance(8 + 30)
    middle = mock.request("GET", poll.path_for(job_id), headers=AUTH["tensorpix"]).json()
    assert middle["status"] == 1
    assert 0 < middle["processing_progress"] < 1
    assert middle["output_video"] is None
    mock.clock.advance(10)
    later = mock.request("GET", poll.path_for(job_id), headers=AUTH["tensorpix"]).json()
    assert later["processing_progress"] > middle["processing_progress"]
    assert later["eta_s"] < middle["eta_s"]
    mock.clock.advance(3600)
    done = mock.request("GET", poll.path_for(job_id), headers=AUTH["tensorpix"]).json()
    assert done["status"] == 2
    assert done["processing_progress"] == 1
    assert done["finished"]
    assert done["output_video"]["file"].startswith(mock.base_url + "/__taskmock/files/")
    video = mock.request("GET", done["output_video"]["file"][len(mock.base_url) :])
    assert video.status == 200
    assert video.headers["content-type"] == "video/mp4"
    assert video.body[4:8] == b"ftyp"


def test_kokoon_progress_counts_frames_as_a_string(mock: LiveMock) -> None:
    tid, poll = _create(mock, "kokoon")
    progress = []
    for _ in range(40):
        body = mock.request("GET", poll.path_for(tid), headers=AUTH["kokoon"]).json()
        assert isinstance(body["progress"], str)
        progress.append(int(body["progress"]))
        if body["step"] == "ready":
            assert body["start_time"] is None
        if body["step"] != "done":
            assert body["finish_time"] is None
        mock.clock.advance(1)
    assert progress == sorted(progress)
    assert progress[-1] == 300
    assert body["step"] == "done"
    assert body["finish_time"]
    assert body["result_message"] == "success"


def test_kokoon_preview_task_selects_the_preview_scenario(mock: LiveMock) -> None:
    tid, poll = _create(mock, "kokoon", task_type="SR_PREVIEW")
    mock.clock.advance(3600)
    body = mock.request("GET", poll.path_for(tid), headers=AUTH["kokoon"]).json()
    assert body["task_type"] == "SR_PREVIEW"
    assert body["sr_nb_frames"] == "5"
    assert body["progress"] == "5"
    assert body["preview_orig_url"].endswith("-orig.mp4")
    assert body["preview_sr_url"].endswith("-sr.mp4")


def test_hailuo_file_id_appears_at_success_and_downloads(mock: LiveMock) -> None:
    task_id, poll = _create(mock, "hailuo")
    first = mock.request("GET", poll.path_for(task_id), headers=AUTH["hailuo"]).json()
    assert (first["file_id"], first["video_width"], first["video_height"]) == ("", 0, 0)
    mock.clock.advance(3600)
    done = mock.request(
        "GET", f"/v1/query/video_generation?task_id={task_id}", headers=AUTH["hailuo"]
    ).json()
    assert done["status"] == "Success"
    assert done["file_id"]
    assert done["video_width"] > 0
    retrieved = mock.request(
        "GET", f"/v1/files/retrieve?file_id={done['file_id']}", headers=AUTH["hailuo"]
    )
    assert_conforms("hailuo", "minimax_files_retrieve", retrieved)
    url = retrieved.json()["file"]["download_url"]
    assert mock.request("GET", url[len(mock.base_url) :]).headers["content-type"] == "video/mp4"


def test_scenario_header_picks_a_scenario_on_vendor_create(mock: LiveMock) -> None:
    headers = {**AUTH["tensorpix"], "X-Taskmock-Scenario": "failure"}
    job_id, poll = _create(mock, "tensorpix", headers=headers)
    mock.clock.advance(3600)
    body = mock.request("GET", poll.path_for(job_id), headers=AUTH["tensorpix"]).json()
    assert body["status"] == -1
    assert body["output_video"] is None


def test_tensorpix_delete_cancels_then_conflicts(mock: LiveMock) -> None:
    job_id, poll = _create(mock, "tensorpix")
    first = mock.request("DELETE", f"/api/jobs/{job_id}/", headers=AUTH["tensorpix"])
    assert first.status == 204
    assert first.body == b""
    again = mock.request("DELETE", f"/api/jobs/{job_id}/", headers=AUTH["tensorpix"])
    assert again.status == 409
    assert "detail" in again.json()
    assert_conforms("tensorpix", "jobs_destroy", again)
    assert (
        mock.request("GET", poll.path_for(job_id), headers=AUTH["tensorpix"]).json()["status"] == -2
    )


@pytest.mark.parametrize("api", ["kokoon", "tensorpix"])  # MiniMax documents no task list
def test_list_shows_only_the_callers_tasks(mock: LiveMock, api: str) -> None:
    behaviour = load_behaviour(api)
    listing = next(op for op in behaviour.operations.values() if op.role == "list")
    _create(mock, api)
    _create(mock, api, headers=OTHER[api])
    mine = mock.request("GET", listing.operation.path, headers=AUTH[api])
    assert_conforms(api, listing.operation.operation_id, mine)
    body = mine.json()
    items = body.get("results", body.get("sr_tasks"))
    assert len(items) == 1
