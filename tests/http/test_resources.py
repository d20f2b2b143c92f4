"""Uploaded videos and restored videos are real resources: created, listed, fetched, deleted."""

from __future__ import annotations

from tests.http.test_vendor_lifecycles import AUTH, OTHER
from tests.support import LiveMock, assert_conforms

BOUNDARY = "taskmockboundary"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
UPLOAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="in.mp4"\r\n'
    f"Content-Type: video/mp4\r\n\r\n\x00\x00\x00\x18ftyp\r\n--{BOUNDARY}--\r\n"
).encode("latin-1")


def test_tensorpix_video_upload_fetch_list_delete(mock: LiveMock) -> None:
    created = mock.request(
        "POST", "/api/videos/", raw=UPLOAD, headers={**AUTH["tensorpix"], **MULTIPART}
    )
    assert created.status == 201, created.body
    assert_conforms("tensorpix", "videos_create", created)
    video_id = created.json()["id"]
    fetched = mock.request("GET", f"/api/videos/{video_id}/", headers=AUTH["tensorpix"])
    assert fetched.status == 200
    assert fetched.json()["id"] == video_id
    assert mock.request("GET", f"/api/videos/{video_id}/", headers=OTHER["tensorpix"]).status == 404
    listed = mock.request("GET", "/api/videos/", headers=AUTH["tensorpix"])
    assert_conforms("tensorpix", "videos_list", listed)
    assert [v["id"] for v in listed.json()["results"]] == [video_id]
    assert mock.request("GET", "/api/videos/", headers=OTHER["tensorpix"]).json()["count"] == 0
    assert (
        mock.request("DELETE", f"/api/videos/{video_id}/", headers=AUTH["tensorpix"]).status == 204
    )
    gone = mock.request("GET", f"/api/videos/{video_id}/", headers=AUTH["tensorpix"])
    assert gone.status == 404
    assert_conforms("tensorpix", "videos_retrieve", gone)
    assert (
        mock.request("DELETE", f"/api/videos/{video_id}/", headers=AUTH["tensorpix"]).status == 404
    )


def test_kokoon_video_upload_then_get(mock: LiveMock) -> None:
    created = mock.request(
        "POST", "/kokoon/api/sr/v4/video", raw=UPLOAD, headers={**AUTH["kokoon"], **MULTIPART}
    )
    assert created.status == 200, created.body
    assert_conforms("kokoon", "kokoon_video_upload", created)
    vid = created.json()["vid"]
    fetched = mock.request("GET", f"/kokoon/api/sr/v4/video/{vid}", headers=AUTH["kokoon"])
    assert fetched.status == 200
    assert fetched.json()["vid"] == vid
    listed = mock.request("GET", "/kokoon/api/sr/v4/video", headers=AUTH["kokoon"])
    assert_conforms("kokoon", "kokoon_video_list", listed)
    assert listed.json()["all_count"] == 1
    assert mock.request("GET", "/kokoon/api/sr/v4/video/nope", headers=AUTH["kokoon"]).status == 404


def test_restored_videos_are_the_outputs_of_finished_jobs(mock: LiveMock) -> None:
    task = mock.request("POST", "/__taskmock/tasks", {"api": "tensorpix", "owner": "abc123"}).json()
    assert (
        mock.request("GET", "/api/restored-videos/", headers=AUTH["tensorpix"]).json()["count"] == 0
    )
    mock.clock.advance(3600)
    output = mock.request("GET", task["poll_path"], headers=AUTH["tensorpix"]).json()[
        "output_video"
    ]
    listed = mock.request("GET", "/api/restored-videos/", headers=AUTH["tensorpix"])
    assert_conforms("tensorpix", "restored_videos_list", listed)
    assert [v["id"] for v in listed.json()["results"]] == [output["id"]]
    fetched = mock.request(
        "GET", f"/api/restored-videos/{output['id']}/", headers=AUTH["tensorpix"]
    )
    assert_conforms("tensorpix", "restored_videos_retrieve", fetched)
    assert fetched.json() == output
    assert (
        mock.request(
            "GET", f"/api/restored-videos/{output['id']}/", headers=OTHER["tensorpix"]
        ).status
        == 404
    )
    assert (
        mock.request(
            "DELETE", f"/api/restored-videos/{output['id']}/", headers=AUTH["tensorpix"]
        ).status
        == 204
    )
    assert (
        mock.request(
            "GET", f"/api/restored-videos/{output['id']}/", headers=AUTH["tensorpix"]
        ).status
        == 404
    )
    assert (
        mock.request("GET", "/api/restored-videos/", headers=AUTH["tensorpix"]).json()["count"] == 0
    )


def test_pagination_by_limit_and_offset(mock: LiveMock) -> None:
    ids = [
        mock.request("POST", "/__taskmock/tasks", {"api": "tensorpix"}).json()["id"]
        for _ in range(5)
    ]
    page = mock.request("GET", "/api/jobs/?limit=2&offset=1", headers=AUTH["tensorpix"]).json()
    assert page["count"] == 5
    assert [job["id"] for job in page["results"]] == ids[1:3]
    ignored = mock.request("GET", "/api/jobs/?limit=-3", headers=AUTH["tensorpix"])
    assert ignored.status == 200  # DRF ignores a bad limit: the spec documents no 400 here
    assert ignored.json()["count"] == 5


def test_bad_path_id_is_not_found_and_bad_kokoon_query_is_400(mock: LiveMock) -> None:
    assert mock.request("GET", "/api/jobs/abc/", headers=AUTH["tensorpix"]).status == 404
    reply = mock.request("GET", "/kokoon/api/sr/v4/task?page_size=0", headers=AUTH["kokoon"])
    assert reply.status == 400
    assert_conforms("kokoon", "kokoon_task_list", reply)


def test_literal_route_wins_over_a_template(mock: LiveMock) -> None:
    reply = mock.request("GET", "/api/jobs/from-url/", headers=AUTH["tensorpix"])
    assert reply.status == 405
    assert reply.headers["allow"] == "POST"


def test_a_video_used_by_an_active_job_cannot_be_deleted(mock: LiveMock) -> None:
    created = mock.request(
        "POST", "/api/videos/", raw=UPLOAD, headers={**AUTH["tensorpix"], **MULTIPART}
    )
    video_id = created.json()["id"]
    job = mock.request(
        "POST", "/api/jobs/", {"ml_models": [44], "input_video": video_id}, AUTH["tensorpix"]
    )
    assert job.status == 201
    busy = mock.request("DELETE", f"/api/videos/{video_id}/", headers=AUTH["tensorpix"])
    assert busy.status == 409
    assert_conforms("tensorpix", "videos_destroy", busy)
    assert "has not ended" in busy.json()["detail"]
    mock.clock.advance(3600)  # the job finishes
    assert (
        mock.request("DELETE", f"/api/videos/{video_id}/", headers=AUTH["tensorpix"]).status == 204
    )


def test_an_upload_has_no_file_until_storage_has_it(mock: LiveMock) -> None:
    created = mock.request(
        "POST", "/api/videos/", raw=UPLOAD, headers={**AUTH["tensorpix"], **MULTIPART}
    )
    video = created.json()
    assert video["file"] is None  # documented: poll GET until it is set
    mock.clock.advance(3)
    again = mock.request("GET", f"/api/videos/{video['id']}/", headers=AUTH["tensorpix"])
    assert again.json()["file"].endswith("-input.mp4")
    assert_conforms("tensorpix", "videos_retrieve", again)


def test_a_from_url_job_has_no_input_file_or_thumbnail(mock: LiveMock) -> None:
    body = {"video_url": "https://example.com/in.mp4", "ml_models": [44]}
    job = mock.request("POST", "/api/jobs/from-url/", body, AUTH["tensorpix"]).json()
    polled = mock.request("GET", f"/api/jobs/{job['id']}/", headers=AUTH["tensorpix"]).json()
    assert polled["input_video"]["file"] is None
    assert polled["input_video"]["thumbnail"] is None
    assert polled["input_video"]["external_url"] == "https://example.com/in.mp4"
    uploaded = mock.request(
        "POST", "/api/jobs/", {"ml_models": [44], "input_video": 8801}, AUTH["tensorpix"]
    ).json()
    polled = mock.request("GET", f"/api/jobs/{uploaded['id']}/", headers=AUTH["tensorpix"]).json()
    assert polled["input_video"]["file"].endswith("-input.mp4")
