"""The official `fal-client` (1.x), unchanged, against the fal pack over HTTPS.

fal-client only builds `https://{FAL_QUEUE_RUN_HOST}/…`, and reads FAL_QUEUE_RUN_HOST when it is
imported (`fal_client.client.QUEUE_URL_FORMAT`, a module constant). So the mock serves HTTPS (the
fixture's `tls=True`, and `taskmock serve --tls`), the SDK trusts its throw-away CA through
SSL_CERT_FILE (read when a client builds its httpx client), and each test sets the module constant
to what FAL_QUEUE_RUN_HOST=127.0.0.1:PORT/fal gives; one test runs the SDK in a fresh interpreter
with only the variables `taskmock serve` prints. Time is the mock's: `fal_client.client` sleeps
only through `time.sleep` (poll interval, retry delays), swapped for the mock's `advance`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

fal_client = pytest.importorskip("fal_client")
from fal_client import Completed, FalClientHTTPError, InProgress, Queued  # noqa: E402

from tests.packs.served import PackMock, Served, pack_mock, served  # noqa: E402

pytestmark = pytest.mark.taskmock(tls=True)

MODEL = "fal-ai/kling-video/v2/master/text-to-video"
ARGUMENTS = {"prompt": "a red fox running through snow", "duration": "5"}


@pytest.fixture(scope="module")
def fal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = served(("fal",), tmp_path_factory.mktemp("fal"), tls=True)
    yield server
    server.stop()


@pytest.fixture(params=["fixture", "serve"])
def mock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[PackMock]:
    for found in pack_mock(request, "fal"):
        assert found.ca_bundle is not None
        monkeypatch.setenv("SSL_CERT_FILE", str(found.ca_bundle))
        # What FAL_QUEUE_RUN_HOST=127.0.0.1:PORT/fal would have made at import.
        monkeypatch.setattr(
            fal_client.client, "QUEUE_URL_FORMAT", f"https://{found.authority}/fal/"
        )
        monkeypatch.setattr(fal_client.client, "time", types.SimpleNamespace(sleep=found.advance))
        found.extra["clients"] = []
        yield found
        for made in found.extra["clients"]:
            if "_client" in made.__dict__:  # built on first use (a cached property)
                made._client.close()


def client(mock: PackMock, key: str = "") -> Any:
    made = fal_client.SyncClient(key=key or mock.key)
    mock.extra["clients"].append(made)
    return made


def scenario(name: str) -> dict[str, str]:
    return {"X-Taskmock-Scenario": name}


def download(mock: PackMock, url: str) -> bytes:
    return httpx.get(url, verify=mock.trust).content


def is_mp4(data: bytes) -> bool:
    return len(data) > 12 and data[4:8] == b"ftyp"


def test_submit_status_with_logs_result_and_download(mock: PackMock) -> None:
    handle = client(mock).submit(MODEL, arguments=ARGUMENTS)
    assert handle.status_url == (
        f"https://{mock.authority}/fal/fal-ai/kling-video/requests/{handle.request_id}/status"
    )
    first = handle.status(with_logs=True)
    assert isinstance(first, Queued)
    assert first.position == 5
    mock.advance(2)
    later = handle.status(with_logs=True)
    assert isinstance(later, Queued)
    assert later.position < first.position

    mock.advance(15)
    running = handle.status(with_logs=True)
    assert isinstance(running, InProgress)
    assert running.logs
    assert {"message", "level", "timestamp"} <= set(running.logs[0])
    assert isinstance(handle.status(with_logs=False), InProgress)  # logs only when asked

    events = list(handle.iter_events(with_logs=True, interval=5))
    done = events[-1]
    assert isinstance(done, Completed)
    assert (done.error, done.error_type) == (None, None)
    assert done.metrics["inference_time"] > 0
    assert done.logs is not None

    result = handle.get()
    assert result["video"]["content_type"] == "video/mp4"
    assert is_mp4(download(mock, result["video"]["url"]))


def test_the_status_is_202_until_completed_then_200_and_the_result_400_until_then(
    mock: PackMock,
) -> None:
    handle = client(mock).submit(MODEL, arguments=ARGUMENTS)
    with httpx.Client(verify=mock.trust, headers={"Authorization": f"Key {mock.key}"}) as http:
        assert http.get(handle.status_url).status_code == 202
        early = http.get(handle.response_url)
        assert (early.status_code, early.json()) == (
            400,
            {"detail": "Request is still in progress"},
        )
        mock.advance(600)
        assert http.get(handle.status_url).status_code == 200
        assert http.get(handle.response_url).status_code == 200


def test_subscribe_reports_queue_updates_and_returns_the_result(mock: PackMock) -> None:
    updates: list[Any] = []
    result = client(mock).subscribe(
        MODEL, arguments=ARGUMENTS, with_logs=True, on_queue_update=updates.append, interval=5
    )
    assert {type(u) for u in updates} == {Queued, InProgress, Completed}
    assert is_mp4(download(mock, result["video"]["url"]))


def test_status_and_result_by_request_id(mock: PackMock) -> None:
    sdk = client(mock)
    request_id = sdk.submit(MODEL, arguments=ARGUMENTS).request_id
    # The SDK builds these URLs itself: QUEUE_URL_FORMAT + owner/app + /requests/{id}[/status]
    assert isinstance(sdk.status(MODEL, request_id), Queued)
    mock.advance(600)
    assert isinstance(sdk.status(MODEL, request_id, with_logs=True), Completed)
    assert sdk.result(MODEL, request_id)["video"]["file_name"] == "output.mp4"


def test_a_failed_request_completes_with_error_and_its_result_raises(mock: PackMock) -> None:
    handle = client(mock).submit(MODEL, arguments=ARGUMENTS, headers=scenario("failure"))
    done = list(handle.iter_events(interval=5))[-1]
    assert isinstance(done, Completed)
    assert (done.error, done.error_type) == ("Request timed out", "request_timeout")
    with pytest.raises(FalClientHTTPError) as caught:
        handle.get()
    assert caught.value.status_code == 504
    assert caught.value.error_type == "request_timeout"
    assert caught.value.message == "Request timed out"


def test_a_start_timeout_fails_a_request_still_queued(mock: PackMock) -> None:
    handle = client(mock).submit(
        MODEL, arguments=ARGUMENTS, headers=scenario("slow-queue"), start_timeout=30
    )
    done = list(handle.iter_events(interval=5))[-1]
    assert isinstance(done, Completed)
    assert done.error_type == "request_timeout"
    with pytest.raises(FalClientHTTPError) as caught:
        handle.get()
    assert caught.value.status_code == 504


def test_cancel_a_queued_request(mock: PackMock) -> None:
    handle = client(mock).submit(MODEL, arguments=ARGUMENTS)
    handle.cancel()  # 200 {"status": "OK"}: the SDK checks only the HTTP status
    done = handle.status(with_logs=True)
    assert isinstance(done, Completed)
    assert (done.error, done.error_type) == ("Request was cancelled", "request_cancelled")
    with pytest.raises(FalClientHTTPError) as caught:
        handle.get()
    assert caught.value.error_type == "request_cancelled"


def test_cancel_a_running_request_and_then_a_completed_one(mock: PackMock) -> None:
    sdk = client(mock)
    handle = sdk.submit(MODEL, arguments=ARGUMENTS)
    mock.advance(15)
    assert isinstance(handle.status(), InProgress)
    handle.cancel()  # 202 CANCELLATION_REQUESTED
    assert isinstance(handle.status(), Completed)
    with pytest.raises(FalClientHTTPError) as caught:
        handle.cancel()
    assert caught.value.status_code == 400
    assert caught.value.response.json() == {"status": "ALREADY_COMPLETED"}


def test_an_unknown_request_and_a_bad_key(mock: PackMock) -> None:
    with pytest.raises(FalClientHTTPError) as caught:
        client(mock).status(MODEL, "00000000-0000-4000-8000-000000000000")
    assert caught.value.status_code == 404
    with pytest.raises(FalClientHTTPError) as caught:
        client(mock, key="not a key").submit(MODEL, arguments=ARGUMENTS)
    assert caught.value.status_code == 401


SCRIPT = """
import ssl, types, httpx, fal_client
trust = ssl.create_default_context(cafile={ca!r})
control = httpx.Client(base_url={root!r}, verify=trust)
fal_client.client.time = types.SimpleNamespace(
    sleep=lambda s: control.post("/__taskmock/clock/advance", json={{"seconds": s}})
)
handle = fal_client.submit({model!r}, arguments={arguments!r})
print(fal_client.client.QUEUE_URL_FORMAT)
print(handle.get(interval=5)["video"]["content_type"])
"""


def test_the_settings_serve_prints_are_all_the_sdk_needs(fal_server: Served) -> None:
    """A fresh interpreter with only the variables `taskmock serve --tls` prints, and a key."""
    fal_server.control.post("/__taskmock/reset").raise_for_status()
    (setting,) = [
        line.split("SDK: ", 1)[1].split()[0] for line in fal_server.banner if "SDK: " in line
    ]
    name, value = setting.split("=", 1)
    assert fal_server.ca_bundle is not None
    env = {
        **os.environ,
        name: value,
        "SSL_CERT_FILE": str(fal_server.ca_bundle),
        "FAL_KEY": "taskmock-key-id:taskmock-key-secret",
    }
    script = SCRIPT.format(
        root=fal_server.url, ca=str(fal_server.ca_bundle), model=MODEL, arguments=ARGUMENTS
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == [f"https://{value}/", "video/mp4"]
