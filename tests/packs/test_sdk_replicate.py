"""The official `replicate` SDK (1.x), unchanged, against the Replicate pack.

Only its base URL and token change (`replicate.Client(api_token=..., base_url=...)`, which is what
REPLICATE_BASE_URL sets). Each test runs against the `taskmock` fixture and against `taskmock serve`
in a subprocess. Time is the mock's: `Prediction.wait()` sleeps through `replicate.prediction`'s
`time`, which each test swaps for one whose `sleep` advances the mock's manual clock (the SDK's
code is not touched; nothing sleeps for real).
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

replicate = pytest.importorskip("replicate")
from pydantic.v1 import ValidationError  # noqa: E402  (the SDK's models are pydantic v1)
from replicate.exceptions import ModelError, ReplicateError  # noqa: E402

from tests.packs.served import PackMock, Served, pack_mock, served  # noqa: E402

MODEL = "minimax/video-01"
PROMPT = {"prompt": "a red fox running through snow"}


@pytest.fixture(scope="module")
def replicate_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = served(("replicate",), tmp_path_factory.mktemp("replicate"))
    yield server
    server.stop()


@pytest.fixture(params=["fixture", "serve"])
def mock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[PackMock]:
    for found in pack_mock(request, "replicate"):
        # Prediction.wait() sleeps between polls: on the mock's clock instead.
        monkeypatch.setattr(
            replicate.prediction, "time", types.SimpleNamespace(sleep=found.advance)
        )
        found.extra["transports"] = []
        yield found
        for transport in found.extra["transports"]:
            transport.close()


def client(mock: PackMock, scenario: str | None = None, token: str = "", **headers: str) -> Any:
    """The SDK's client pointed at the mock (`scenario` picks a taskmock scenario). Its transport
    is one the test closes (a public argument: the SDK wraps it in its retrying transport)."""
    if scenario:
        headers["X-Taskmock-Scenario"] = scenario
    transport = httpx.HTTPTransport()
    mock.extra["transports"].append(transport)
    made = replicate.Client(
        api_token=token or mock.key, base_url=mock.base_url, headers=headers, transport=transport
    )
    made.poll_interval = 5.0  # public; REPLICATE_POLL_INTERVAL does the same (default 0.5 s)
    return made


def is_mp4(data: bytes) -> bool:
    return len(data) > 12 and data[4:8] == b"ftyp"


def test_create_wait_and_download(mock: PackMock) -> None:
    sdk = client(mock)
    prediction = sdk.predictions.create(version=MODEL, input=PROMPT)
    assert prediction.status == "starting"
    assert prediction.urls["get"] == f"{mock.base_url}/v1/predictions/{prediction.id}"
    assert len(prediction.id) == 26

    mock.advance(30)
    prediction.reload()
    assert prediction.status == "processing"
    assert prediction.progress is not None
    assert 0 < prediction.progress.percentage < 1  # parsed from the tqdm bar in `logs`

    prediction.wait()
    assert prediction.status == "succeeded"
    assert prediction.error is None
    assert prediction.progress is not None
    assert prediction.progress.percentage == 1.0
    assert prediction.metrics["predict_time"] > 0
    assert prediction.metrics["total_time"] > prediction.metrics["predict_time"]
    assert is_mp4(httpx.get(prediction.output).content)


def test_run_waits_with_prefer_wait_then_polls_and_returns_the_video(mock: PackMock) -> None:
    # run() posts to /v1/models/{owner}/{name}/predictions with `Prefer: wait`: the mock lets up
    # to 60 s of its time pass, answers `starting` if the video is not done (as the docs say), and
    # the SDK polls on. Over plain HTTP the SDK hands back the URL as a str.
    output = client(mock).run(MODEL, input=PROMPT)
    assert is_mp4(httpx.get(str(output)).content)
    methods = [method for method, _ in mock.requests()]
    assert methods[0] == "POST"
    assert mock.requests()[0][1] == "/replicate/v1/models/minimax/video-01/predictions"


def test_a_held_create_that_ends_in_time_needs_no_polling(mock: PackMock) -> None:
    # The failure scenario ends 23 s in, within the 60 s `Prefer: wait` holds: the create answers
    # `failed` and run() raises at once.
    with pytest.raises(ModelError) as caught:
        client(mock, scenario="failure").run(MODEL, input=PROMPT)
    assert caught.value.prediction.status == "failed"
    assert "E1001" in str(caught.value)
    assert [method for method, _ in mock.requests()] == ["POST"]


def test_the_models_route_names_its_model(mock: PackMock) -> None:
    prediction = client(mock).models.predictions.create(model="acme/clipper", input=PROMPT)
    assert prediction.model == "acme/clipper"
    assert prediction.version == "hidden"


def test_a_failed_prediction_by_polling(mock: PackMock) -> None:
    prediction = client(mock, scenario="failure").predictions.create(version=MODEL, input=PROMPT)
    prediction.wait()
    assert prediction.status == "failed"
    assert "out of memory" in prediction.error
    assert prediction.completed_at is not None
    assert "OutOfMemoryError" in prediction.logs


def test_cancel_a_running_prediction(mock: PackMock) -> None:
    sdk = client(mock)
    prediction = sdk.predictions.create(version=MODEL, input=PROMPT)
    mock.advance(10)
    prediction.cancel()  # the SDK reads the prediction the cancel answers
    assert prediction.status == "canceled"
    assert prediction.completed_at is not None
    assert sdk.predictions.get(prediction.id).status == "canceled"
    prediction.cancel()  # an ended prediction is answered as it is
    assert prediction.status == "canceled"


def test_cancel_after_cancels_a_running_prediction(mock: PackMock) -> None:
    sdk = client(mock, **{"Cancel-After": "30s"})
    prediction = sdk.predictions.create(version=MODEL, input=PROMPT)
    prediction.wait()
    assert prediction.status == "canceled"
    body = httpx.get(prediction.urls["get"], headers={"Authorization": f"Bearer {mock.key}"}).json()
    assert body["deadline"] == "2024-01-01T00:00:30.000Z"
    assert body["completed_at"] == body["deadline"]


def test_cancel_after_before_it_starts_aborts_it_which_the_sdk_cannot_parse(
    mock: PackMock,
) -> None:
    """`aborted` (a Cancel-After deadline before the start) is missing from the SDK's status
    Literal: the poll that sees it raises pydantic's ValidationError (replicate-python #449)."""
    sdk = client(mock, scenario="slow-queue", **{"Cancel-After": "1m"})
    prediction = sdk.predictions.create(version=MODEL, input=PROMPT)
    with pytest.raises(ValidationError, match="aborted"):
        prediction.wait()
    with pytest.raises(ValidationError, match="aborted"):  # and so does every list showing it
        sdk.predictions.list()


def test_the_aborted_scenario_plays_the_same_path(mock: PackMock) -> None:
    sdk = client(mock, scenario="aborted")
    prediction = sdk.predictions.create(version=MODEL, input=PROMPT)
    mock.advance(61)
    body = httpx.get(prediction.urls["get"], headers={"Authorization": f"Bearer {mock.key}"}).json()
    assert (body["status"], body["started_at"]) == ("aborted", None)


def test_a_bad_token_gets_the_documented_problem(mock: PackMock) -> None:
    with pytest.raises(ReplicateError) as caught:
        client(mock, token="not a token").predictions.create(version=MODEL, input=PROMPT)
    assert caught.value.status == 401
    assert caught.value.title == "Unauthenticated"


def test_an_unknown_prediction_is_not_found(mock: PackMock) -> None:
    with pytest.raises(ReplicateError) as caught:
        client(mock).predictions.get("gm3qorzdhgbfurvjtvhg6dckhz")
    assert caught.value.status == 404


def test_a_throttled_create_is_not_retried(mock: PackMock) -> None:
    """The SDK retries GETs on 429 (sleeping Retry-After for real), never POSTs."""
    mock.throttle("predictions_create", 30)
    with pytest.raises(ReplicateError) as caught:
        client(mock).predictions.create(version=MODEL, input=PROMPT)
    assert caught.value.status == 429
    assert caught.value.detail == "Request was throttled. Your rate limit resets in ~30s."


def test_list_shows_the_callers_predictions(mock: PackMock) -> None:
    sdk = client(mock)
    created = [sdk.predictions.create(version=MODEL, input=PROMPT).id for _ in range(2)]
    page = sdk.predictions.list()
    assert {p.id for p in page.results} >= set(created)
