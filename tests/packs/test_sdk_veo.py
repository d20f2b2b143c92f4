"""google-genai (the official SDK), unchanged, against the `veo` pack in Vertex AI express mode.

google-genai 3.x generates videos only in Vertex mode; express mode is
`genai.Client(vertexai=True, api_key=KEY, http_options=HttpOptions(base_url=BASE))`, BASE being the
pack's base URL (`…/veo`: plain http and a path prefix are fine), and KEY the pack's key. Each
test runs against the `taskmock` fixture and against `taskmock serve` in a subprocess. It then sends
  POST {BASE}/v1beta1/publishers/google/models/{model}:predictLongRunning        (x-goog-api-key)
  POST {BASE}/v1beta1/{name before /operations/}:fetchPredictOperation  {"operationName": name}
and reads the video's bytes from `response.videos[].bytesBase64Encoded`.

The SDK never sleeps on its own (the caller's loop polls), so the tests poll, advance the mock's
manual clock, and poll again: no wall time passes. Its HTTP errors are `errors.ClientError` (4xx)
with `code` and `status` from Google's envelope; a failed or filtered operation raises nothing: it
comes back done with `error`, or with no videos and the RAI filter fields. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from google import genai
from google.genai import errors, types

from taskmock._core.scenario import load_behaviour
from taskmock._resources import sample_file
from tests.packs.served import PackMock, Served, pack_mock, served

pytestmark = pytest.mark.taskmock(apis=["veo"])

MODEL = "veo-3.1-generate-001"
CREATE = "vertex_express_predict_long_running"  # the operation express mode creates with
SAMPLE = sample_file().read_bytes()


@pytest.fixture(scope="module")
def veo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = served(("veo",), tmp_path_factory.mktemp("veo"))
    yield server
    server.stop()


@pytest.fixture(params=["fixture", "serve"])
def mock(request: pytest.FixtureRequest) -> Iterator[PackMock]:
    yield from pack_mock(request, "veo")


def only_task(mock: PackMock) -> dict[str, Any]:
    (task,) = mock.tasks()
    return task


@pytest.fixture
def client(mock: PackMock) -> genai.Client:
    return genai.Client(
        vertexai=True,
        api_key=mock.key,
        http_options=types.HttpOptions(base_url=mock.base_url),
    )


def generate(client: genai.Client, scenario: str | None = None, **config: Any) -> Any:
    headers = {"x-taskmock-scenario": scenario} if scenario else None
    return client.models.generate_videos(
        model=MODEL,
        source=types.GenerateVideosSource(prompt="a cat reading a book"),
        config=types.GenerateVideosConfig(
            number_of_videos=1,
            http_options=types.HttpOptions(headers=headers) if headers else None,
            **config,
        ),
    )


def until_done(client: genai.Client, mock: PackMock, operation: Any) -> Any:
    """Poll once while running, then jump past every dwell and poll to the end."""
    operation = client.operations.get(operation)
    assert not operation.done
    mock.advance(10_000)
    operation = client.operations.get(operation)
    assert operation.done
    return operation


def test_success_returns_the_video_bytes(
    client: genai.Client, mock: PackMock, tmp_path: Path
) -> None:
    operation = generate(client)
    assert re.fullmatch(
        rf"projects/\d{{12}}/locations/us-central1/publishers/google/models/{MODEL}/operations/"
        r"[0-9a-f-]{36}",
        operation.name,
    )
    assert not operation.done  # the create answer holds the name only
    operation = until_done(client, mock, operation)
    assert operation.error is None
    (generated,) = operation.result.generated_videos
    assert generated.video.mime_type == "video/mp4"
    assert generated.video.video_bytes == SAMPLE
    generated.video.save(str(tmp_path / "out.mp4"))
    assert (tmp_path / "out.mp4").read_bytes()[4:8] == b"ftyp"
    assert operation.result.rai_media_filtered_count == 0
    assert only_task(mock)["state"] == "succeeded"
    assert mock.problems() == []


def test_the_sdk_sends_express_mode_requests(client: genai.Client, mock: PackMock) -> None:
    operation = generate(client)
    client.operations.get(operation)
    resource = operation.name.rpartition("/operations/")[0]
    assert mock.requests() == [
        ("POST", f"/veo/v1beta1/publishers/google/models/{MODEL}:predictLongRunning"),
        ("POST", f"/veo/v1beta1/{resource}:fetchPredictOperation"),
    ]
    assert mock.problems() == []
    assert operation.name.endswith(f"/operations/{only_task(mock)['id']}")  # the id cut out


def test_output_to_cloud_storage_gives_a_uri(client: genai.Client, mock: PackMock) -> None:
    operation = until_done(client, mock, generate(client, output_gcs_uri="gs://my-bucket/out"))
    (generated,) = operation.result.generated_videos
    assert generated.video.uri == f"gs://my-bucket/out/{only_task(mock)['id']}/sample_0.mp4"
    assert generated.video.video_bytes is None


def test_failure_is_done_with_an_error(client: genai.Client, mock: PackMock) -> None:
    operation = until_done(client, mock, generate(client, "failure"))
    assert operation.error == {"code": 13, "message": "Internal error encountered."}
    assert operation.response is None
    assert operation.result is None


def test_safety_filtered_is_done_without_videos(client: genai.Client, mock: PackMock) -> None:
    operation = until_done(client, mock, generate(client, "safety-filtered"))
    assert operation.error is None
    assert operation.result.generated_videos is None
    assert operation.result.rai_media_filtered_count == 1
    (reason,) = operation.result.rai_media_filtered_reasons
    assert re.search(r"Support codes: \d+", reason)


def test_slow_queue_is_still_running_after_four_minutes(
    client: genai.Client, mock: PackMock
) -> None:
    operation = generate(client, "slow-queue")
    mock.advance(240)
    assert not client.operations.get(operation).done
    mock.advance(600)
    assert client.operations.get(operation).result.generated_videos


def test_a_malformed_key_raises_the_sdks_client_error(mock: PackMock) -> None:
    refused = genai.Client(
        vertexai=True,
        api_key="x",
        http_options=types.HttpOptions(base_url=mock.base_url),
    )
    with pytest.raises(errors.ClientError) as caught:
        generate(refused)
    assert (caught.value.code, caught.value.status) == (401, "UNAUTHENTICATED")


def test_an_unknown_operation_raises_not_found(client: genai.Client, mock: PackMock) -> None:
    unknown = types.GenerateVideosOperation(
        name=f"projects/123/locations/us-central1/publishers/google/models/{MODEL}/operations/123"
    )
    with pytest.raises(errors.ClientError) as caught:
        client.operations.get(unknown)
    assert (caught.value.code, caught.value.status) == (404, "NOT_FOUND")


def test_rate_limited_raises_resource_exhausted(client: genai.Client, mock: PackMock) -> None:
    mock.throttle(CREATE, 7)
    with pytest.raises(errors.ClientError) as caught:
        generate(client)
    assert (caught.value.code, caught.value.status) == (429, "RESOURCE_EXHAUSTED")
    assert generate(client).name  # the SDK does not retry by default; the next call goes through


def test_with_retry_options_the_sdk_retries_a_429_without_waiting(mock: PackMock) -> None:
    instant = types.HttpRetryOptions(attempts=2, initial_delay=0, max_delay=0, jitter=0)
    retrying = genai.Client(
        vertexai=True,
        api_key=mock.key,
        http_options=types.HttpOptions(base_url=mock.base_url, retry_options=instant),
    )
    mock.throttle(CREATE, 7)
    assert generate(retrying).name
    assert len(mock.requests()) == 2  # the 429, then the create
    assert len(mock.tasks()) == 1


def test_the_project_form_with_a_bearer_token(mock: PackMock) -> None:
    """The project form's OAuth2 token travels as `Authorization: Bearer` (the SDK would fetch it
    with google.auth; here a plain client sends one)."""
    base = mock.base_url
    bearer = {"Authorization": "Bearer ya29.a-token-from-gcloud"}
    created = httpx.post(
        f"{base}/v1/projects/my-project/locations/us-central1/publishers/google/models/{MODEL}"
        ":predictLongRunning",
        json={"instances": [{"prompt": "a cat"}]},
        headers=bearer,
    ).json()
    name = created["name"]
    resource = name.rpartition("/operations/")[0]
    poll = f"{base}/v1/{resource}:fetchPredictOperation"
    assert httpx.post(poll, json={"operationName": name}, headers=bearer).json()["done"] is False
    other = {"x-goog-api-key": mock.key}  # another credential: another owner
    assert httpx.post(poll, json={"operationName": name}, headers=other).status_code == 404


def test_the_gemini_api_form_over_rest(mock: PackMock) -> None:
    """The Gemini API (for REST clients: google-genai 3.x refuses videos outside Vertex mode):
    its own operation name and answer shape, and the download of the video."""
    base = mock.base_url
    key = {"x-goog-api-key": mock.key}
    started = httpx.post(
        f"{base}/v1beta/models/veo-3.1-generate-preview:predictLongRunning",
        json={"instances": [{"prompt": "a cat"}]},
        headers=key,
    ).json()
    assert re.fullmatch(
        r"models/veo-3\.1-generate-preview/operations/[0-9a-f-]{36}", started["name"]
    )
    mock.advance(10_000)
    done = httpx.get(f"{base}/v1beta/{started['name']}", headers=key).json()
    assert done["done"] is True
    (sample,) = done["response"]["generateVideoResponse"]["generatedSamples"]
    video = httpx.get(sample["video"]["uri"], headers=key)
    assert (video.status_code, video.headers["content-type"]) == (200, "video/mp4")
    assert video.content == SAMPLE


def test_the_gemini_developer_api_mode_refuses_generate_videos(mock: PackMock) -> None:
    gemini = genai.Client(api_key=mock.key, http_options=types.HttpOptions(base_url=mock.base_url))
    with pytest.raises(ValueError, match="only supported in Gemini Enterprise Agent Platform mode"):
        generate(gemini)
    assert mock.requests() == []  # refused before sending anything


def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION",
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_GENAI_USE_ENTERPRISE",
        "GOOGLE_VERTEX_BASE_URL",
        "GOOGLE_GEMINI_BASE_URL",
        "GOOGLE_GENAI_API_VERSION",
    ):
        monkeypatch.delenv(name, raising=False)


def test_environment_variables_point_the_sdk_at_the_mock(
    mock: PackMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `taskmock serve` prints them for the pack (GOOGLE_VERTEX_BASE_URL, GOOGLE_API_KEY)."""
    _clean_environment(monkeypatch)
    behaviour = load_behaviour("veo")
    for setting in behaviour.sdk:
        name, value = setting.line(mock.root_url, behaviour.base_path).split("=", 1)
        monkeypatch.setenv(name, value)
    assert os.environ["GOOGLE_VERTEX_BASE_URL"] == mock.base_url
    client = genai.Client(vertexai=True)  # GOOGLE_VERTEX_BASE_URL is read only with vertexai=True
    operation = until_done(client, mock, generate(client))
    assert operation.result.generated_videos[0].video.video_bytes == SAMPLE


def test_with_vertex_mode_from_the_environment_the_sdk_reads_the_gemini_base_url(
    mock: PackMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An SDK quirk: Client() resolves the base URL before GOOGLE_GENAI_USE_VERTEXAI, so it reads
    GOOGLE_GEMINI_BASE_URL. Checked on the client's options, without sending a request (a wrong
    base URL would be Google's host)."""
    base = mock.base_url
    _clean_environment(monkeypatch)
    monkeypatch.setenv("GOOGLE_API_KEY", mock.key)
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    monkeypatch.setenv("GOOGLE_VERTEX_BASE_URL", base)
    assert genai.Client()._api_client._http_options.base_url != base
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", base)
    client = genai.Client()
    assert client._api_client.vertexai
    assert client._api_client._http_options.base_url == base
    operation = until_done(client, mock, generate(client))
    assert operation.result.generated_videos[0].video.video_bytes == SAMPLE


async def _async_flow(client: genai.Client, mock: PackMock) -> Any:
    async with client.aio as aio:  # closes its connections when done
        operation = await aio.models.generate_videos(
            model=MODEL, source=types.GenerateVideosSource(prompt="a cat reading a book")
        )
        mock.advance(10_000)
        return await aio.operations.get(operation)


def test_the_async_client_reaches_the_same_video(client: genai.Client, mock: PackMock) -> None:
    operation = asyncio.run(_async_flow(client, mock))
    assert operation.result.generated_videos[0].video.video_bytes == SAMPLE
