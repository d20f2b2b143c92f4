"""Kling against the `kling` pack. Kling ships no official SDK: the client is examples/kling_client.py,
written from the documents, which signs a JWT for every request with PyJWT exactly as the docs'
Python sample does (HS256 over {iss: access key, exp: now + 1800, nbf: now - 5}, signed with the
secret key). Only its base URL differs from production; each test runs against the `taskmock`
fixture and against `taskmock serve` in a subprocess (which knows the pack's test key pair, as the
fixture does). Its wait loop's `sleep` advances the mock's manual clock. Token times are the wall clock's, as the client signs with its own clock.
Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from examples.kling_client import (
    KlingAPIError,
    KlingAuthError,
    KlingClient,
    KlingRateLimitError,
    KlingTaskFailed,
    encode_jwt_token,
)

from taskmock.testing import Taskmock
from tests.packs.served import PackMock, Served, pack_mock, served

pytestmark = pytest.mark.taskmock(apis=["kling"])

# The pack's own test key pair (mocks/kling.yaml); yours go to `taskmock serve --jwt-key AK=SK`.
ACCESS_KEY = "ak-taskmock-0123456789"
SECRET_KEY = "sk-taskmock-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="module")
def kling_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = served(("kling",), tmp_path_factory.mktemp("kling"))
    yield server
    server.stop()


@pytest.fixture(params=["fixture", "serve"])
def mock(request: pytest.FixtureRequest) -> Iterator[PackMock]:
    yield from pack_mock(request, "kling")


def client(mock: PackMock, scenario: str | None = None, **options: Any) -> KlingClient:
    headers = {"x-taskmock-scenario": scenario} if scenario else None
    return KlingClient(ACCESS_KEY, SECRET_KEY, mock.base_url, headers=headers, **options)


def only_task(mock: PackMock) -> dict[str, Any]:
    (task,) = mock.tasks()
    return task


def test_text2video_succeeds_and_downloads_a_real_mp4(mock: PackMock, tmp_path: Path) -> None:
    with client(mock) as kling:
        created = kling.create_text2video(
            "A cat surfing a wave at sunset",
            model_name="kling-v1-6",
            duration="5",
            external_task_id="mine-1",
        )
        assert created["task_status"] == "submitted"
        assert created["task_info"] == {"external_task_id": "mine-1"}
        task = kling.wait("text2video", created["task_id"], interval=10, sleep=mock.advance)
        assert task["task_status"] == "succeed"
        assert task["task_info"] == {"external_task_id": "mine-1"}
        saved = kling.download(task, tmp_path / "out.mp4")
    assert saved.read_bytes()[4:8] == b"ftyp"
    assert only_task(mock)["state"] == "succeed"
    # Every request carried a token of its own (signed the moment it was sent), all one key's.
    assert len(mock.requests()) >= 3
    assert mock.problems() == []


def test_timestamps_are_unix_milliseconds(mock: PackMock) -> None:
    with client(mock) as kling:
        created = kling.create_text2video("clock check")
    assert created["created_at"] == round(mock.advance(0) * 1000)


def test_image2video_is_its_own_kind_of_task(mock: PackMock) -> None:
    with client(mock) as kling:
        created = kling.create_image2video("https://example.com/first.png", prompt="It moves")
        task = kling.wait("image2video", created["task_id"], interval=10, sleep=mock.advance)
        assert task["task_result"]["videos"][0]["url"].endswith(".mp4")
        # Queried or listed under the other action, it is not there.
        with pytest.raises(KlingAPIError) as error:
            kling.get_task("text2video", created["task_id"])
        assert (error.value.http_status, error.value.code) == (404, 1203)
        assert kling.list_tasks("text2video") == []
        assert [t["task_id"] for t in kling.list_tasks("image2video")] == [created["task_id"]]


def test_a_failed_task_raises_with_its_status_message(mock: PackMock) -> None:
    with client(mock, scenario="failure") as kling:
        created = kling.create_text2video("something the risk control refuses")
        with pytest.raises(KlingTaskFailed) as failed:
            kling.wait("text2video", created["task_id"], interval=5, sleep=mock.advance)
    assert failed.value.reason == "Failure to pass the risk control system"
    assert failed.value.task["task_status"] == "failed"
    assert only_task(mock)["state"] == "failed"


def test_a_professional_mode_task_takes_longer(mock: PackMock) -> None:
    with client(mock) as kling:
        kling.create_text2video("in pro mode", mode="pro")
    assert only_task(mock)["scenario"] == "pro-mode"


def test_the_list_pages_from_one(mock: PackMock) -> None:
    with client(mock) as kling:
        ids = [kling.create_text2video(f"clip {n}")["task_id"] for n in range(3)]
        first = kling.list_tasks("text2video", page_num=1, page_size=2)
        second = kling.list_tasks("text2video", page_num=2, page_size=2)
    assert [t["task_id"] for t in first] == ids[:2]
    assert [t["task_id"] for t in second] == ids[2:]


def test_an_unknown_task_is_an_api_error(mock: PackMock) -> None:
    with client(mock) as kling, pytest.raises(KlingAPIError) as error:
        kling.get_task("text2video", "123456789012345678")
    assert (error.value.http_status, error.value.code) == (404, 1203)


def test_over_the_parallel_task_limit_is_1303(mock: PackMock) -> None:
    mock.throttle("kling_text2video_create", 1)
    with client(mock) as kling, pytest.raises(KlingRateLimitError) as error:
        kling.create_text2video("one too many")
    assert (error.value.http_status, error.value.code) == (429, 1303)
    assert error.value.message == "parallel task over resource pack limit"


def test_a_missing_prompt_is_a_1201(mock: PackMock) -> None:
    with client(mock) as kling, pytest.raises(KlingAPIError) as error:
        kling._call("POST", "/v1/videos/text2video", json={"model_name": "kling-v1"})
    assert (error.value.http_status, error.value.code) == (400, 1201)


def test_the_token_is_what_the_docs_sample_makes() -> None:
    token = encode_jwt_token(ACCESS_KEY, SECRET_KEY, now=1_700_000_000)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(
        token, SECRET_KEY, algorithms=["HS256"], options={"verify_exp": False, "verify_nbf": False}
    )
    assert claims == {"iss": ACCESS_KEY, "exp": 1_700_001_800, "nbf": 1_699_999_995}


# --- the signed credential -----------------------------------------------------------------------


def test_a_token_signed_later_still_sees_the_task(mock: PackMock) -> None:
    """A new token per request (the docs): the task belongs to the access key, not the token."""
    now = time.time()
    with (
        client(mock, clock=lambda: now - 7) as first,
        client(mock, clock=lambda: now) as later,
    ):
        created = first.create_text2video("same account, new token")
        assert later.get_task("text2video", created["task_id"])["task_id"] == created["task_id"]


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (lambda: encode_jwt_token(ACCESS_KEY, SECRET_KEY, time.time() - 3600), 1004),
        (lambda: encode_jwt_token(ACCESS_KEY, SECRET_KEY, time.time() + 600), 1003),
        (
            lambda: encode_jwt_token(
                ACCESS_KEY, "not-the-secret-key-of-this-account-0123", time.time()
            ),
            1002,
        ),
        (lambda: encode_jwt_token("ak-someone-else", SECRET_KEY, time.time()), 1002),
    ],
    ids=["expired", "not yet valid", "bad signature", "unknown key"],
)
def test_a_bad_token_gets_its_documented_401_code(mock: PackMock, token: Any, code: int) -> None:
    with client(mock) as kling:
        kling.token = token  # type: ignore[method-assign]
        with pytest.raises(KlingAuthError) as error:
            kling.list_tasks("text2video")
    assert (error.value.http_status, error.value.code) == (401, code)


def test_no_authorization_is_1001(mock: PackMock) -> None:
    answer = httpx.get(mock.base_url + "/v1/videos/text2video")
    assert (answer.status_code, answer.json()["code"]) == (401, 1001)
    assert answer.json()["message"] == "Authorization is empty"


@pytest.mark.taskmock(apis=["kling"], jwt_keys={"ak-mine": "sk-mine-0123456789abcdefghijklmnopqrs"})
def test_your_own_key_pair(taskmock: Taskmock) -> None:
    """The fixture only: `taskmock serve --jwt-key AK=SK` does the same for a served mock."""
    mine = KlingClient(
        "ak-mine", "sk-mine-0123456789abcdefghijklmnopqrs", taskmock.base_url("kling")
    )
    with mine:
        created = mine.create_text2video("signed with my own key")
        assert mine.get_task("text2video", created["task_id"])["task_status"] == "submitted"
    assert taskmock.task("kling", created["task_id"]).record.owner == "ak-mine"
