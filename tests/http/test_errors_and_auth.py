"""Bad input gets the vendor's documented error shape, never a 500, and changes nothing."""

from __future__ import annotations

import pytest

from taskmock._core.scenario import load_behaviour
from tests.http.test_vendor_lifecycles import AUTH, OTHER
from tests.support import LiveMock, assert_conforms

POLL = {"kokoon": "kokoon_task_get", "tensorpix": "jobs_retrieve", "hailuo": "vapi_task_get"}
CREATE = {
    "kokoon": "kokoon_task_create",
    "tensorpix": "jobs_create",
    "hailuo": "vapi_video_generation",
}


def _task(mock: LiveMock, api: str, owner: str | None = None) -> str:
    body = {"api": api, **({"owner": owner} if owner else {})}
    reply = mock.request("POST", "/__taskmock/tasks", body)
    assert reply.status == 201, reply.body
    return str(reply.json()["poll_path"])


@pytest.mark.parametrize("api", list(AUTH))
@pytest.mark.parametrize(
    "header", [None, "", "Basic dXNlcjpwYXNz", "Token", "Bearer ", "eyJ only spaces"]
)
def test_missing_or_malformed_credentials_get_the_vendor_401(
    mock: LiveMock, api: str, header: str | None
) -> None:
    path = _task(mock, api)
    headers = {} if header is None else {"Authorization": header}
    reply = mock.request("GET", path, headers=headers)
    assert reply.status == 401
    assert_conforms(api, POLL[api], reply)


@pytest.mark.parametrize("api", list(AUTH))
def test_another_tokens_task_is_not_found(mock: LiveMock, api: str) -> None:
    owner = AUTH[api]["Authorization"]
    path = _task(mock, api, owner=owner)
    assert mock.request("GET", path, headers=AUTH[api]).status == 200
    reply = mock.request("GET", path, headers=OTHER[api])
    assert reply.status == load_behaviour(api).errors["not-found"].status
    assert_conforms(api, POLL[api], reply)


@pytest.mark.parametrize("api", list(AUTH))
def test_a_task_without_owner_is_visible_to_every_valid_token(mock: LiveMock, api: str) -> None:
    path = _task(mock, api)
    assert mock.request("GET", path, headers=AUTH[api]).status == 200
    assert mock.request("GET", path, headers=OTHER[api]).status == 200


@pytest.mark.parametrize("api", list(AUTH))
def test_unknown_id_gets_the_vendor_not_found(mock: LiveMock, api: str) -> None:
    poll = next(op for op in load_behaviour(api).operations.values() if op.role == "poll")
    for unknown in ("999999", "no-such-task"):
        reply = mock.request("GET", poll.path_for(unknown), headers=AUTH[api])
        assert reply.status == load_behaviour(api).errors["not-found"].status
        assert_conforms(api, POLL[api], reply)


@pytest.mark.parametrize("api", list(AUTH))
@pytest.mark.parametrize(
    "raw", [b"{not json", b"[]", b'{"width": "wide"}', b"\xff\xfe", b'{"model": 7}', b""]
)
def test_bad_create_bodies_are_refused_in_the_vendor_shape_and_create_nothing(
    mock: LiveMock, api: str, raw: bytes
) -> None:
    create = load_behaviour(api).operations[CREATE[api]]
    reply = mock.request(
        "POST",
        create.operation.path,
        raw=raw,
        headers={**AUTH[api], "content-type": "application/json"},
    )
    assert reply.status in (200, 400)
    assert_conforms(api, CREATE[api], reply)
    assert len(mock.app.tasks.store) == 0


def test_wrong_content_type_is_refused(mock: LiveMock) -> None:
    reply = mock.request(
        "POST",
        "/api/jobs/",
        raw=b"ml_models=44",
        headers={**AUTH["tensorpix"], "content-type": "text/plain"},
    )
    assert reply.status == 400
    assert "unsupported content type" in reply.json()["errors"]["non_field_errors"][0]


def test_tensorpix_accepts_form_posts_like_its_quickstart(mock: LiveMock) -> None:
    reply = mock.request(
        "POST",
        "/api/jobs/from-url/",
        raw=b"video_url=https://example.com/a.mp4&ml_models=44",
        headers={**AUTH["tensorpix"], "content-type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 201, reply.body
    assert_conforms("tensorpix", "jobs_from_url_create", reply)


def test_multipart_upload(mock: LiveMock) -> None:
    boundary = "XyZ"
    raw = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n'
        f"Content-Type: video/mp4\r\n\r\nabc\r\n--{boundary}--\r\n"
    ).encode()
    reply = mock.request(
        "POST",
        "/api/videos/",
        raw=raw,
        headers={**AUTH["tensorpix"], "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert reply.status == 201, reply.body
    assert_conforms("tensorpix", "videos_create", reply)
    missing = mock.request(
        "POST",
        "/api/videos/",
        raw=b"--XyZ--\r\n",
        headers={**AUTH["tensorpix"], "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert missing.status == 400


def test_unknown_route_names_the_nearest_one(mock: LiveMock) -> None:
    reply = mock.request("GET", "/api/jobz/")
    assert reply.status == 404
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["nearest"] == "GET /api/jobs/"


def test_wrong_method_is_405_with_allow(mock: LiveMock) -> None:
    reply = mock.request("PUT", "/api/jobs/1/")
    assert reply.status == 405
    assert reply.headers["allow"] == "DELETE, GET, HEAD"  # HEAD wherever GET (RFC 9110)


def test_problems_are_in_the_journal(mock: LiveMock) -> None:
    mock.request("GET", "/api/jobs/77/")
    (entry,) = mock.request("GET", "/__taskmock/requests").json()["requests"]
    assert (entry["status"], entry["api"], entry["operation"]) == (
        401,
        "tensorpix",
        "jobs_retrieve",
    )
    assert entry["problem"].startswith("unauthorized")
