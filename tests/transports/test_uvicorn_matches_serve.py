"""`uvicorn app:app` with `app = taskmock.asgi_app()` answers byte for byte as `taskmock serve
--clock manual` does, over raw sockets on 127.0.0.1, apart from two header lines of the server's
own: `date` (the moment) and `server: uvicorn` (uvicorn names itself unless run with
`--no-server-header`; `taskmock serve` sends no such line). Both run as a user starts them, each
in its own process, and get the same requests in the same order."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httptools
import pytest

pytestmark = pytest.mark.slow

HOST = "taskmock.test"  # the same Host for both, so the links in bodies are the same
TENSORPIX = "Authorization: Token abc123"
HAILUO = "Authorization: Bearer sk-test"


def request(method: str, target: str, *headers: str, body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {HOST}", *headers]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return "\r\n".join([*lines, "", ""]).encode() + body


def chunked(method: str, target: str, *parts: bytes) -> bytes:
    head = f"{method} {target} HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: chunked\r\n\r\n"
    return head.encode() + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


class _Done:
    def __init__(self) -> None:
        self.complete = False

    def on_message_complete(self) -> None:
        self.complete = True


def exchange(
    port: int, data: bytes, head: bool = False, closes: bool = False
) -> tuple[bytes, bool]:
    """Send one request on a new connection; return the raw answer and, if `closes`, whether the
    server then closed the connection (asked only where it should: an open one would stall)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        done = _Done()
        parser = httptools.HttpResponseParser(done)
        raw = b""
        while not (b"\r\n\r\n" in raw if head else done.complete):
            chunk = sock.recv(65536)
            if not chunk:
                break
            raw += chunk
            if not head:
                parser.feed_data(chunk)
        closed = closes and sock.recv(1) == b""
    return raw, closed


def comparable(raw: bytes) -> bytes:
    """The answer without the header lines that name the moment or the server."""
    head, _, body = raw.partition(b"\r\n\r\n")
    kept = [
        line for line in head.split(b"\r\n") if not line.lower().startswith((b"date:", b"server:"))
    ]
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=15)


@pytest.fixture(scope="module")
def serve_port() -> Iterator[int]:
    command = [sys.executable, "-m", "taskmock", "serve", "--port", "0", "--clock", "manual"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # printed once the socket listens
    match = re.search(r"at http://127\.0\.0\.1:(\d+) ", first)
    assert match, first
    yield int(match.group(1))
    stop(process)


@pytest.fixture(scope="module")
def uvicorn_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    folder: Path = tmp_path_factory.mktemp("asgi")
    (folder / "app.py").write_text("import taskmock\n\napp = taskmock.asgi_app()\n")
    command = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", "0"]
    process = subprocess.Popen(
        command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    for line in process.stderr:  # uvicorn logs its address once it listens
        match = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line)
        if match:
            break
    assert match, "uvicorn did not start"
    yield int(match.group(1))
    stop(process)


SCRIPT: list[tuple[str, bytes]] = [
    (
        "vendor create",
        request("POST", "/api/jobs/", TENSORPIX, body=b'{"ml_models":[44],"input_video":8801}'),
    ),
    ("vendor poll, queued", request("GET", "/api/jobs/5000/", TENSORPIX)),
    ("advance the clock", request("POST", "/__taskmock/clock/advance", body=b'{"seconds": 30}')),
    ("vendor poll, processing", request("GET", "/api/jobs/5000/?x=%20y", TENSORPIX)),
    ("vendor list", request("GET", "/api/jobs/?page=1", TENSORPIX)),
    (
        "control create",
        request("POST", "/__taskmock/tasks", body=b'{"api":"hailuo","scenario":"failure"}'),
    ),
    ("vendor poll, other API", request("GET", "/task/920155444106377", HAILUO)),
    ("advance again", request("POST", "/__taskmock/clock/advance", body=b'{"seconds": 3600}')),
    ("vendor poll, finished", request("GET", "/api/jobs/5000/", TENSORPIX)),
    ("download", request("GET", "/__taskmock/files/5000-output.mp4")),
    ("no credential", request("GET", "/api/jobs/5000/")),
    ("invalid body", request("POST", "/api/jobs/", TENSORPIX, body=b'{"ml_models":"x"}')),
    ("malformed JSON", request("POST", "/__taskmock/tasks", body=b"{nope")),
    ("unknown id", request("GET", "/api/jobs/999999/", TENSORPIX)),
    ("control inspect", request("GET", "/__taskmock/tasks/hailuo/920155444106377")),
    ("journal", request("GET", "/__taskmock/requests")),
    ("unmatched route", request("GET", "/nowhere/%E2%9C%93")),
    ("wrong method", request("PUT", "/api/jobs/5000/", TENSORPIX)),
    ("chunked body", chunked("POST", "/__taskmock/tasks", b'{"api":', b'"kokoon"}')),
]


def test_uvicorn_serves_the_same_answers_as_taskmock_serve(
    serve_port: int, uvicorn_port: int
) -> None:
    for label, data in SCRIPT:
        ours, _ = exchange(serve_port, data)
        theirs, _ = exchange(uvicorn_port, data)
        assert comparable(theirs) == comparable(ours), label
        assert b"\r\nconnection: " not in ours, label  # both keep the connection open
    download = comparable(exchange(serve_port, SCRIPT[9][1])[0])
    assert download.startswith(b"HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\n")
    journal = json.loads(
        comparable(exchange(serve_port, SCRIPT[15][1])[0]).partition(b"\r\n\r\n")[2]
    )
    assert len(journal["requests"]) >= 10  # the script did reach the mock


def test_head_gets_the_same_head_and_no_body(serve_port: int, uvicorn_port: int) -> None:
    data = request("HEAD", "/api/jobs/5000/", TENSORPIX)
    ours, _ = exchange(serve_port, data, head=True)
    theirs, _ = exchange(uvicorn_port, data, head=True)
    assert comparable(theirs) == comparable(ours)
    assert ours.endswith(b"\r\n\r\n")  # nothing after the head
    assert b"content-length: " in ours


def test_a_body_over_the_limit_gets_the_same_413_and_a_close(
    serve_port: int, uvicorn_port: int
) -> None:
    data = request("POST", "/__taskmock/tasks", "Content-Length: 17000000")  # 16 MiB is the limit
    ours, ours_closed = exchange(serve_port, data, closes=True)
    theirs, theirs_closed = exchange(uvicorn_port, data, closes=True)
    assert ours.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n")
    assert comparable(theirs) == comparable(ours)
    assert ours_closed
    assert theirs_closed
