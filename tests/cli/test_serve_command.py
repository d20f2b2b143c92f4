"""`taskmock serve` as a user runs it: a real process on 127.0.0.1, stopped with Ctrl-C (SIGINT)."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.support import API_NAMES

pytestmark = pytest.mark.slow


@pytest.fixture
def server(
    request: pytest.FixtureRequest,
) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    extra = getattr(request, "param", ())  # more flags, through indirect parametrization
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "taskmock",
            "serve",
            "--port",
            "0",
            "--clock",
            "manual",
            "--seed",
            "3",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    banner = [proc.stdout.readline()]
    match = re.search(r"at (http://127\.0\.0\.1:\d+)", banner[0])
    assert match, banner
    while not banner[-1].startswith("control plane"):
        banner.append(proc.stdout.readline())
    yield proc, match.group(1), banner
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=15)  # reap the process and close its pipes


def test_banner_commands_work_as_printed(
    server: tuple[subprocess.Popen[str], str, list[str]],
) -> None:
    _proc, _base, banner = server
    curls = [line for line in banner if line.startswith("curl ")]
    assert len(curls) == 2 * len(API_NAMES)  # a create and a poll for each API
    for create, poll in zip(curls[::2], curls[1::2], strict=True):
        sent = dict(re.findall(r"-H '([^:]+): ([^']+)'", create))  # credential, version, type
        body = re.search(r"-d '([^']+)'", create)
        assert body
        url = re.search(r"-X POST (\S+)", create)
        assert url
        request = urllib.request.Request(
            url.group(1),
            data=body.group(1).encode(),
            method="POST",
            headers=sent,
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert reply.status in (200, 201), create
        # The banner predicted the id the create got: its poll answers that task.
        poll_url = re.search(r"(https?://\S+)", poll)
        assert poll_url
        asked = dict(re.findall(r"-H '([^:]+): ([^']+)'", poll))
        method = re.search(r"-X (\w+)", poll)
        data = re.search(r"-d '([^']+)'", poll)  # a poll that sends the task's name in its body
        polled = urllib.request.Request(
            poll_url.group(1),
            data=data.group(1).encode() if data else None,
            method=method.group(1) if method else "GET",
            headers=asked,
        )
        with urllib.request.urlopen(polled, timeout=10) as reply:
            assert 200 <= reply.status < 300, poll
            assert json.load(reply)


@pytest.mark.parametrize(
    ("server", "status"), [((), 200), (("--no-example-tasks",), 404)], indirect=["server"]
)
def test_the_ids_the_specs_examples_name_answer_unless_turned_off(
    server: tuple[subprocess.Popen[str], str, list[str]], status: int
) -> None:
    _proc, base, banner = server
    assert any("example tasks" in line for line in banner) == (status == 200)
    request = urllib.request.Request(base + "/api/jobs/5012/", headers={"Authorization": "Token k"})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            answer = (reply.status, json.load(reply)["status"])
    except urllib.error.HTTPError as error:
        with error:
            answer = (error.code, None)
    assert answer == ((200, 0) if status == 200 else (404, None))


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_stops_cleanly_and_requests_were_logged(
    server: tuple[subprocess.Popen[str], str, list[str]], stop: signal.Signals
) -> None:
    proc, base, _ = server
    with urllib.request.urlopen(base + "/__taskmock/health", timeout=10) as reply:
        assert json.load(reply)["status"] == "ok"
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection(
        (host, int(port))
    ):  # an idle keep-alive client does not hold it up
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert "GET /__taskmock/health 200" in err
    assert "Traceback" not in err
    assert "taskmock stopped" in err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--clock", "sundial"], "invalid choice: 'sundial'"),
        (["--speed", "0"], "--speed must be positive"),
        (["--clock", "manual", "--speed", "60"], "--speed has no effect on a manual clock"),
        (["--port", "99999"], "--port must be between 0 and 65535"),
        (["--api", "kokon"], "unknown API 'kokon'; did you mean 'kokoon'?"),
        (["--seed", "x"], "invalid int value: 'x'"),
        (["--admin-token", ""], "--admin-token is empty"),
        (["--token", "abc", "--token", ""], "--token is empty"),
        (["--jwt-key", "ak-only"], "--jwt-key takes ID=SECRET"),
        (["--jwt-key", "=secret"], "--jwt-key takes ID=SECRET"),
    ],
)
def test_bad_flags_exit_2_with_a_message(args: list[str], fragment: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "taskmock", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "taskmock", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: the port is already in use" in result.stderr


def test_request_log_batches_inside_a_loop_and_writes_at_once_outside() -> None:
    import asyncio
    import io

    from taskmock._cli.serve_cmd import RequestLog

    stream = io.StringIO()
    log = RequestLog(stream, delay=0)
    log.add("GET /a 200 0.1ms")
    assert stream.getvalue() == "GET /a 200 0.1ms\n"  # no loop: written at once

    async def burst() -> str:
        log.add("GET /b 200 0.1ms")
        log.add("GET /c 200 0.1ms")
        queued = stream.getvalue()
        await asyncio.sleep(0)  # one turn of the loop runs the scheduled flush (no wall time)
        await asyncio.sleep(0)
        return queued

    queued = asyncio.run(burst())
    assert queued == "GET /a 200 0.1ms\n"
    assert stream.getvalue().splitlines() == [
        "GET /a 200 0.1ms",
        "GET /b 200 0.1ms",
        "GET /c 200 0.1ms",
    ]


def test_the_banner_says_how_an_sdk_finds_each_api_and_whose_keys_sign() -> None:
    from taskmock._cli.serve_cmd import _banner
    from taskmock._http.app import MockApp, MockConfig

    app = MockApp(MockConfig(apis=("minimax", "kling"), jwt_keys={"ak-mine": "x" * 32}))
    banner = _banner(app, "http://127.0.0.1:9")
    assert (
        "#   base URL http://127.0.0.1:9/minimax  SDK: MINIMAX_API_HOST=http://127.0.0.1:9/minimax"
        in banner
    )
    assert "#   base URL http://127.0.0.1:9/kling\n" in banner
    assert "signed tokens: HS256 JWTs of key ak-taskmock-0123456789, ak-mine" in banner


@pytest.mark.parametrize(
    "server", [("--api", "tensorpix", "--api", "runway", "--token", "abc123")], indirect=True
)
def test_with_tokens_the_banner_pastes_an_accepted_credential(
    server: tuple[subprocess.Popen[str], str, list[str]],
) -> None:
    _proc, _base, banner = server
    create = next(line for line in banner if line.startswith("curl ") and "/api/jobs/" in line)
    assert "-H 'Authorization: Token abc123'" in create
    url = re.search(r"-X POST (\S+)", create)
    body = re.search(r"-d '([^']+)'", create)
    assert url
    assert body
    sent = dict(re.findall(r"-H '([^:]+): ([^']+)'", create))
    request = urllib.request.Request(url.group(1), data=body.group(1).encode(), headers=sent)
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 201
    # Runway keys are `key_` and 128 hex digits: no --token value fits, and the banner says so.
    assert "#   (no --token value has this API's credential shape: 401 below)\n" in banner
