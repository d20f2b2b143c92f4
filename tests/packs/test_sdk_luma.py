"""The official Luma SDK (`lumaai`), unchanged, against the `luma` pack.

Only the base URL and the key differ from production (`LumaAI(base_url=…/luma)`: the spec's paths
are relative to the vendor's server URL, which carries `/dream-machine/v1`). Each test runs against
the `taskmock` fixture and against `taskmock serve` in a subprocess. The SDK has no waiting
helper: a client polls `generations.get` itself, so the tests advance the mock's manual clock
between polls (the interval is the caller's; nothing sleeps). Every answer is read with the SDK's
strict response validation. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from lumaai import AuthenticationError, BadRequestError, LumaAI, NotFoundError, RateLimitError
from lumaai.types import Generation

from tests.packs.served import PackMock, Served, pack_mock, served

pytestmark = pytest.mark.taskmock(apis=["luma"])

PROMPT = "A teddy bear in sunglasses playing electric guitar"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def luma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = served(("luma",), tmp_path_factory.mktemp("luma"))
    yield server
    server.stop()


@pytest.fixture(params=["fixture", "serve"])
def mock(request: pytest.FixtureRequest) -> Iterator[PackMock]:
    yield from pack_mock(request, "luma")


@pytest.fixture
def client(mock: PackMock) -> Iterator[LumaAI]:
    # max_retries=0: a 429 must surface, not be retried with real sleeps.
    with LumaAI(
        auth_token=mock.key,
        base_url=mock.base_url,
        max_retries=0,
        _strict_response_validation=True,
    ) as luma:
        yield luma


def scenario(name: str) -> dict[str, Any]:
    """Per-request options that pick a mock scenario (the SDK passes extra headers through)."""
    return {"extra_headers": {"X-Taskmock-Scenario": name}}


def poll(
    client: LumaAI, mock: PackMock, generation_id: str, every: float = 3.0
) -> list[Generation]:
    """Poll until the generation ends, advancing virtual time between polls; every answer seen."""
    seen = []
    for _ in range(1000):
        generation = client.generations.get(generation_id)
        seen.append(generation)
        if generation.state in ("completed", "failed"):
            return seen
        mock.advance(every)
    raise AssertionError("the generation never ended")


def test_create_poll_and_download(client: LumaAI, mock: PackMock) -> None:
    created = client.generations.create(
        model="ray-2", prompt=PROMPT, aspect_ratio="16:9", loop=False
    )
    assert created.state == "queued"
    assert created.assets is None
    assert created.request is not None
    assert created.request.model == "ray-2"
    seen = poll(client, mock, created.id)
    assert list(dict.fromkeys(g.state for g in seen)) == ["queued", "dreaming", "completed"]
    done = seen[-1]
    assert done.failure_reason is None
    assert done.assets is not None
    assert done.assets.video is not None
    video = httpx.get(done.assets.video, timeout=5)
    assert video.status_code == 200
    assert video.content[4:8] == b"ftyp"
    assert [t["state"] for t in mock.tasks()] == ["completed"]
    assert mock.problems() == []


def test_video_create_is_the_same_operation(client: LumaAI) -> None:
    created = client.generations.video.create(model="ray-flash-2", prompt=PROMPT)
    assert client.generations.get(created.id).model == "ray-flash-2"


def test_a_failed_generation_reports_its_reason(client: LumaAI, mock: PackMock) -> None:
    """The SDK raises nothing for a failed generation: `state` and `failure_reason` say it."""
    created = client.generations.create(model="ray-2", prompt=PROMPT, **scenario("failure"))
    failed = poll(client, mock, created.id)[-1]
    assert failed.state == "failed"
    assert failed.failure_reason
    assert failed.assets is None


def test_a_moderation_failure_skips_dreaming(client: LumaAI, mock: PackMock) -> None:
    created = client.generations.create(
        model="ray-2", prompt=PROMPT, **scenario("failure-moderation")
    )
    seen = poll(client, mock, created.id, every=1)
    assert "dreaming" not in {g.state for g in seen}
    assert "moderation" in str(seen[-1].failure_reason)


def test_a_slow_queue_still_completes(client: LumaAI, mock: PackMock) -> None:
    created = client.generations.create(model="ray-2", prompt=PROMPT, **scenario("slow-queue"))
    seen = poll(client, mock, created.id, every=30)
    assert sum(g.state == "queued" for g in seen) >= 10  # five minutes or more, polled every 30 s
    assert seen[-1].state == "completed"


def test_list_pages_say_what_they_hold(client: LumaAI) -> None:
    ids = [client.generations.create(model="ray-2", prompt=str(i)).id for i in range(3)]
    page = client.generations.list()
    assert [g.id for g in page.generations] == ids
    assert (page.count, page.has_more, page.limit, page.offset) == (3, False, 100, 0)
    first = client.generations.list(limit=2, offset=0)
    assert [g.id for g in first.generations] == ids[:2]
    assert (first.count, first.has_more, first.limit, first.offset) == (2, True, 2, 0)
    second = client.generations.list(limit=2, offset=2)
    assert [g.id for g in second.generations] == ids[2:]
    assert (second.count, second.has_more) == (1, False)


@pytest.mark.parametrize("seconds", [0, 30, 600])  # queued, dreaming, completed
def test_a_deleted_generation_is_gone_in_any_state(
    client: LumaAI, mock: PackMock, seconds: float
) -> None:
    kept = client.generations.create(model="ray-2", prompt=PROMPT)
    gone = client.generations.create(model="ray-2", prompt=PROMPT)
    mock.advance(seconds)
    assert client.generations.delete(gone.id) is None
    with pytest.raises(NotFoundError):
        client.generations.get(gone.id)
    with pytest.raises(NotFoundError):
        client.generations.delete(gone.id)
    assert [g.id for g in client.generations.list().generations] == [kept.id]


def test_deleting_an_unknown_generation_is_not_found(client: LumaAI) -> None:
    with pytest.raises(NotFoundError):
        client.generations.delete(UNKNOWN)


def test_an_image_generation(client: LumaAI, mock: PackMock) -> None:
    created = client.generations.image.create(model="photon-1", prompt="A lighthouse at dawn")
    assert created.generation_type == "image"
    done = poll(client, mock, created.id, every=2)[-1]
    assert done.state == "completed"
    assert done.assets is not None
    assert done.assets.image


def test_upscale_and_audio_start_generations(client: LumaAI, mock: PackMock) -> None:
    created = client.generations.create(model="ray-2", prompt=PROMPT)
    poll(client, mock, created.id)
    upscaled = client.generations.upscale(created.id, resolution="1080p")
    with_audio = client.generations.audio(created.id, prompt="waves")
    assert (upscaled.state, with_audio.state) == ("queued", "queued")
    assert len({created.id, upscaled.id, with_audio.id}) == 3


def test_the_older_create_path(client: LumaAI) -> None:
    created = client.post(
        "/generations", body={"model": "ray-2", "prompt": PROMPT}, cast_to=Generation
    )
    assert created.state == "queued"


def test_credits_ping_concepts(client: LumaAI) -> None:
    assert client.credits.get().credit_balance > 0
    assert client.ping.check().message == "pong"
    assert client.generations.concepts.list()


def test_an_unknown_generation_is_not_found(client: LumaAI) -> None:
    with pytest.raises(NotFoundError) as raised:
        client.generations.get(UNKNOWN)
    assert raised.value.body == {"detail": "Generation not found"}


def test_a_bad_key_is_unauthorized(mock: PackMock) -> None:
    luma = LumaAI(auth_token="not a key", base_url=mock.base_url, max_retries=0)
    with luma, pytest.raises(AuthenticationError) as raised:
        luma.generations.list()
    assert raised.value.body == {"detail": "Invalid API key is provided"}


def test_a_bad_body_is_a_bad_request(client: LumaAI) -> None:
    with pytest.raises(BadRequestError) as raised:
        client.generations.create(model="ray-9")
    assert "detail" in raised.value.body


def test_rate_limited(client: LumaAI, mock: PackMock) -> None:
    created = client.generations.create(model="ray-2", prompt=PROMPT)
    mock.throttle("getGeneration", 1)
    with pytest.raises(RateLimitError):
        client.generations.get(created.id)
    assert client.generations.get(created.id).state == "queued"
