"""The HTTP/1.1 server `taskmock serve` runs, over raw sockets on 127.0.0.1.

Its handler here echoes what it was given, so each test sees exactly what the server parsed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httptools
import pytest
import uvloop
from hypothesis import given
from hypothesis import strategies as st

from taskmock.cli.serve_cmd import _listen
from taskmock.http.messages import Request, Response, json_response
from taskmock.http.server import HttpServer, Limits


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> dict[str, object]:
        return json.loads(self.body)  # type: ignore[no-any-return]


class _Collector:
    """httptools response-parser callbacks: every complete response on the connection."""

    def __init__(self) -> None:
        self.done: list[Answer] = []
        self.current = Answer(0)

    def on_message_begin(self) -> None:
        self.current = Answer(0)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.current.headers[name.decode().lower()] = value.decode()

    def on_body(self, body: bytes) -> None:
        self.current.body += body

    def on_message_complete(self) -> None:
        self.done.append(self.current)


def exchange(
    port: int, data: bytes, count: int = 1, head: bool = False
) -> tuple[list[Answer], bool]:
    """Send raw bytes; read `count` responses; say whether the server then closed the connection."""
    collector = _Collector()
    parser = httptools.HttpResponseParser(collector)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        closed = False
        while len(collector.done) < count:
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            if head:  # a response to HEAD has a length but no body: parse the head only
                collector.done.append(_head_only(chunk))
                continue
            parser.feed_data(chunk)
            collector.current.status = parser.get_status_code()
        if not closed:  # a server about to close does so at once; an open one stays quiet
            sock.settimeout(0.05)
            try:
                closed = sock.recv(1) == b""
            except TimeoutError:
                closed = False
    return collector.done, closed


def _head_only(data: bytes) -> Answer:
    lines = data.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return Answer(int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, b"")


def echo(request: Request) -> Response:
    if request.path == "/boom":
        raise RuntimeError("handler bug")
    if request.path == "/inject":
        return Response(200, b"", [("x-name", "a\r\nset-cookie: evil=1")])
    return json_response(
        200,
        {
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "headers": request.headers,
            "body": request.body.decode("latin-1"),
            "base_url": request.base_url,
        },
    )


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    with serving(echo, Limits(max_body=1000, max_head=2000)) as port:
        yield port


@dataclass
class _Running:
    server: HttpServer
    thread: threading.Thread


def _start(
    handler: object, limits: Limits, on_refusal: Callable[[str], None] | None = None
) -> tuple[_Running, int]:
    sock = _listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = HttpServer(handler, sock, limits, on_refusal)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return _Running(server, thread), port


class serving:
    def __init__(
        self,
        handler: object,
        limits: Limits | None = None,
        on_refusal: Callable[[str], None] | None = None,
    ) -> None:
        self.running, self.port = _start(handler, limits or Limits(), on_refusal)

    def __enter__(self) -> int:
        return self.port

    def __exit__(self, *exc: object) -> None:
        self.running.server.stop()
        self.running.thread.join(timeout=10)
        assert not self.running.thread.is_alive()


def get(path: str, *headers: str, version: str = "1.1") -> bytes:
    lines = [f"GET {path} HTTP/{version}", "Host: example.test:9", *headers, "", ""]
    return "\r\n".join(lines).encode()


def test_a_request_reaches_the_handler_with_path_query_headers_and_base_url(server: int) -> None:
    (answer,), closed = exchange(server, get("/a%20b/c?x=1&y=%20", "X-Thing: Value"))
    assert answer.status == 200
    seen = answer.json()
    assert seen["path"] == "/a%20b/c"  # as sent: the router decodes each parameter once matched
    assert seen["query"] == "x=1&y=%20"  # raw: the app parses it
    assert seen["headers"] == {"host": "example.test:9", "x-thing": "Value"}
    assert seen["base_url"] == "http://example.test:9"
    assert answer.headers["content-type"] == "application/json"
    assert int(answer.headers["content-length"]) == len(answer.body)
    assert answer.headers["date"].endswith(" GMT")
    assert not closed  # HTTP/1.1 keeps the connection open


def test_keep_alive_serves_pipelined_requests_in_order(server: int) -> None:
    answers, closed = exchange(server, get("/1") + get("/2") + get("/3"), count=3)
    assert [a.json()["path"] for a in answers] == ["/1", "/2", "/3"]
    assert not closed


def test_connection_close_and_http_1_0_close_after_the_answer(server: int) -> None:
    (answer,), closed = exchange(server, get("/x", "Connection: close"))
    assert answer.status == 200
    assert answer.headers["connection"] == "close"
    assert closed
    (answer,), closed = exchange(server, get("/x", version="1.0"))
    assert answer.status == 200
    assert closed
    (answer,), closed = exchange(server, get("/x", "Connection: keep-alive", version="1.0"))
    assert answer.headers["connection"] == "keep-alive"  # said, or a 1.0 client assumes close
    assert not closed
    (answer,), closed = exchange(server, get("/x", "Connection: keep-alive"))
    assert "connection" not in answer.headers  # HTTP/1.1 persists by default


def test_a_request_without_host_gets_the_listening_address(server: int) -> None:
    (answer,), _ = exchange(server, b"GET /x HTTP/1.0\r\n\r\n")
    assert answer.json()["base_url"] == f"http://127.0.0.1:{server}"


def test_an_absolute_form_target_is_reduced_to_its_path(server: int) -> None:
    (answer,), _ = exchange(server, get("http://other.test/p/q?r=1"))
    assert (answer.json()["path"], answer.json()["query"]) == ("/p/q", "r=1")


def test_bodies_arrive_whole_with_content_length_or_chunked(server: int) -> None:
    plain = b"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
    chunked = (
        b"POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"
    )
    answers, _ = exchange(server, plain + chunked, count=2)
    assert [a.json()["body"] for a in answers] == ["hello", "hello"]
    assert answers[0].json()["method"] == "POST"


def test_a_body_sent_in_pieces_is_joined(server: int) -> None:
    collector = _Collector()
    parser = httptools.HttpResponseParser(collector)
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        sock.sendall(b"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabc")
        sock.sendall(b"def")
        while not collector.done:
            parser.feed_data(sock.recv(65536))
    assert collector.done[0].json()["body"] == "abcdef"


def test_expect_100_continue_is_answered_before_the_body(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        sock.sendall(
            b"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
        )
        assert sock.recv(1024) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"ok")
        data = b""
        while b'"body":"ok"' not in data:
            chunk = sock.recv(65536)
            assert chunk
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")


def test_head_gets_the_length_without_the_body(server: int) -> None:
    (answer,), _ = exchange(server, b"HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n", head=True)
    assert answer.status == 200
    assert int(answer.headers["content-length"]) > 0


def test_a_body_over_the_limit_is_refused_with_413_and_the_connection_closed(server: int) -> None:
    declared = b"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n"
    (answer,), closed = exchange(server, declared)
    assert answer.status == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "the limit is 1000 bytes"
    assert closed
    chunked = b"POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunked += b"3e8\r\n" + b"x" * 1000 + b"\r\n" + b"1\r\nx\r\n0\r\n\r\n"
    (answer,), closed = exchange(server, chunked)
    assert (answer.status, closed) == (413, True)


def test_a_client_still_sending_its_body_gets_the_413_not_a_reset(server: int) -> None:
    """The refusal is followed by a half-close and the rest of the upload is drained, so the
    answer is not lost to a connection reset."""
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        sock.sendall(b"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2000000\r\n\r\n")
        sock.sendall(b"v" * 2_000_000)  # would fail with a reset if the server had closed
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_headers_over_the_limit_are_refused_with_431(server: int) -> None:
    (answer,), closed = exchange(server, get("/x", "X-Big: " + "y" * 3000))
    assert (answer.status, closed) == (431, True)
    assert answer.json()["type"] == "urn:taskmock:problem:headers-too-large"


@pytest.mark.parametrize(
    "garbage",
    [b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"GET / HTTP/9.9\r\n\r\n", b"NOPE\r\n\r\n"],
    ids=["tls-hello", "bad-version", "not-http"],
)
def test_what_is_not_http_gets_a_400_problem_and_a_close(server: int, garbage: bytes) -> None:
    (answer,), closed = exchange(server, garbage)
    assert answer.status == 400
    assert answer.json()["title"] == "Malformed HTTP request"
    assert closed


def test_refusals_are_reported_one_line_each() -> None:
    heard: list[str] = []
    with serving(echo, Limits(max_head=100), on_refusal=heard.append) as port:
        exchange(port, get("/fine") + b"NOPE\r\n\r\n", count=2)
        exchange(port, get("/long-" + "x" * 200))
    assert heard[0].startswith("refused - 400 Malformed HTTP request: ")
    assert heard[1].startswith("refused /long-xxx")
    assert heard[1].endswith(" 431 Request header fields too large: the limit is 100 bytes")


def test_an_upgrade_request_is_answered_then_the_connection_closed(server: int) -> None:
    request = get("/ws", "Connection: Upgrade", "Upgrade: websocket") + b"\x81\x05hello"
    (answer,), closed = exchange(server, request)
    assert (answer.status, closed) == (200, True)


def test_a_handler_that_raises_gets_a_500_problem_and_the_server_lives_on(server: int) -> None:
    (answer,), closed = exchange(server, get("/boom"))
    assert answer.status == 500
    assert answer.json()["type"] == "urn:taskmock:problem:internal"
    assert not closed
    (answer,), _ = exchange(server, get("/after"))
    assert answer.status == 200


def test_a_header_value_cannot_split_the_header_block(server: int) -> None:
    (answer,), _ = exchange(server, get("/inject"))
    assert "set-cookie" not in answer.headers
    assert answer.headers["x-name"] == "a  set-cookie: evil=1"


def test_an_idle_connection_is_closed_after_the_timeout() -> None:
    with serving(echo, Limits(idle_timeout=0.05)) as port:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        with sock:
            sock.sendall(get("/x"))
            data = b""
            while True:  # the answer, then the close: recv returns b"" (no sleeping)
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK")


@pytest.mark.parametrize("trailer", [b"", b"NOPE\r\n\r\n"], ids=["valid", "then-malformed"])
def test_a_client_that_does_not_read_gets_no_more_answers_made_until_it_does(
    trailer: bytes,
) -> None:
    """Back-pressure, stepped deterministically: the loop runs here, one iteration at a time.
    A malformed request behind held ones is refused only after they are answered, in order."""
    calls = 0

    def handler(request: Request) -> Response:
        nonlocal calls
        calls += 1
        return Response(
            200, request.path.encode() + b"." * 10_000, [("content-type", "text/plain")]
        )

    loop = uvloop.new_event_loop()
    sock = _listen("127.0.0.1", 0)
    server = HttpServer(handler, sock)
    serving_task = loop.create_task(server.serve())
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a slow reader
    client.connect(sock.getsockname())
    client.setblocking(False)
    total = 2000  # 20 MB of answers
    client.sendall(b"".join(get(f"/{i}") for i in range(total)) + trailer)

    def step() -> None:
        loop.run_until_complete(asyncio.sleep(0))

    for _ in range(1000):  # until the server holds requests back
        step()
        if any(c.waiting for c in server.connections):
            break
    if not trailer:  # answers stopped being made: the client reads none
        assert 0 < calls < total // 2

    collector = _Collector()
    parser = httptools.HttpResponseParser(collector)
    expected = total + (1 if trailer else 0)
    while len(collector.done) < expected:  # now read: every answer comes, in order
        step()
        with contextlib.suppress(BlockingIOError):
            data = client.recv(1 << 20)
            if not data:
                break  # the server closed: no more answers are coming
            parser.feed_data(data)
    assert [a.body.split(b".", 1)[0] for a in collector.done[:total]] == [
        f"/{i}".encode() for i in range(total)
    ]
    if trailer:
        assert json.loads(collector.done[-1].body)["title"] == "Malformed HTTP request"
    client.close()
    server.stop()
    loop.run_until_complete(serving_task)
    loop.close()
    sock.close()


def test_stop_before_the_loop_started_still_stops() -> None:
    sock = _listen("127.0.0.1", 0)
    server = HttpServer(echo, sock)
    server.stop()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    sock.close()


@given(
    prefix=st.sampled_from([b"", b"GET / HTTP/1.1\r\n", b"POST /b HTTP/1.1\r\nHost: h\r\n"]),
    noise=st.binary(max_size=300),
    cut=st.integers(min_value=0, max_value=300),
)
def test_arbitrary_bytes_get_http_answers_and_the_server_lives_on(
    server: int, prefix: bytes, noise: bytes, cut: int
) -> None:
    """Whatever arrives, in whatever pieces: an HTTP answer or silence, never a crash."""
    data = prefix + noise
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        sock.sendall(data[:cut])
        sock.sendall(data[cut:])
        sock.shutdown(socket.SHUT_WR)  # end of input: the server answers what it can, then closes
        answered = b""
        while chunk := sock.recv(65536):
            answered += chunk
    assert answered == b"" or answered.startswith(b"HTTP/1.1 "), answered[:80]
    (answer,), _ = exchange(server, get("/still-here", "Connection: close"))
    assert answer.json()["path"] == "/still-here"
