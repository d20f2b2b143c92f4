"""The HTTP/1.1 server `taskmock serve` runs, over raw sockets on 127.0.0.1: the protocol.

Its handler here echoes what it was given, so each test sees exactly what the server parsed.
Time, back-pressure and shutdown are in `test_server_time.py`.
"""

from __future__ import annotations

import io
import socket
import struct
import sys
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskmock._cli.serve_cmd import RequestLog, _logged
from taskmock._core.clock import ManualClock
from taskmock._http.app import MockApp, MockConfig
from taskmock._http.messages import Request, Response
from taskmock._http.server import _HEADER_CACHE_BYTES, Limits
from tests.http.rawhttp import Collector, Stepped, echo, exchange, get, serving


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    with serving(echo, Limits(max_body=1000, max_head=2000)) as port:
        yield port


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


def test_an_http_1_0_request_without_host_gets_the_listening_address(server: int) -> None:
    """HTTP/1.0 may omit Host (RFC 9112 §3.2 asks it of HTTP/1.1 only)."""
    (answer,), _ = exchange(server, b"GET /x HTTP/1.0\r\n\r\n")
    assert answer.json()["base_url"] == f"http://127.0.0.1:{server}"


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /x HTTP/1.1\r\n\r\n",
        b"GET /x HTTP/1.1\r\nConnection: keep-alive\r\n\r\n",
        b"GET /x HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n",
        b"GET /x HTTP/1.0\r\nHost: a.test\r\nHost: b.test\r\n\r\n",
    ],
    ids=["missing", "missing-with-connection", "repeated", "repeated-http-1.0"],
)
def test_http_1_1_needs_exactly_one_host_and_no_request_two(
    server: int, request_bytes: bytes
) -> None:
    (answer,), closed = exchange(server, request_bytes)
    assert (answer.status, closed) == (400, True)
    assert answer.json()["type"] == "urn:taskmock:problem:bad-host"


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
    collector = Collector()
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        sock.sendall(b"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabc")
        sock.sendall(b"def")
        while not collector.done:
            collector.feed(sock.recv(65536))
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


def test_an_upgrade_request_is_answered_as_http_1_1_and_the_connection_stays_http_1_1(
    server: int,
) -> None:
    request = get("/ws", "Connection: Upgrade", "Upgrade: websocket") + get("/next")
    answers, closed = exchange(server, request, count=2)
    assert [(a.status, a.json()["path"]) for a in answers] == [(200, "/ws"), (200, "/next")]
    assert not closed


@pytest.mark.parametrize(
    "body",
    [
        b"Content-Length: 5\r\n\r\nhello",
        b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ],
    ids=["content-length", "chunked"],
)
def test_a_post_asking_to_upgrade_to_h2c_keeps_its_body(server: int, body: bytes) -> None:
    """What `curl --http2` sends to an http:// URL: answered as HTTP/1.1, body and all."""
    head = (
        b"POST /b HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
        b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
    )
    answers, closed = exchange(server, head + body + get("/after"), count=2)
    assert [a.status for a in answers] == [200, 200]
    assert answers[0].json()["body"] == "hello"
    assert answers[0].json()["method"] == "POST"
    assert answers[1].json()["path"] == "/after"
    assert not closed


def test_connect_is_answered_then_the_connection_closed(server: int) -> None:
    """CONNECT asks for a tunnel, which a mock does not offer: what follows is not HTTP."""
    request = b"CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n\x16\x03\x01"
    (answer,), closed = exchange(server, request)
    assert (answer.status, closed) == (200, True)


def test_trailers_never_replace_header_fields(server: int) -> None:
    request = (
        b"POST /b HTTP/1.1\r\nHost: h\r\nAuthorization: Token alice\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n"
        b"Authorization: Token mallory\r\nX-Taskmock-Scenario: failure\r\n\r\n"
    )
    (answer,), _ = exchange(server, request)
    headers = answer.json()["headers"]
    assert isinstance(headers, dict)
    assert headers["authorization"] == "Token alice"
    assert "x-taskmock-scenario" not in headers
    assert answer.json()["body"] == "{}"


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /x\r\n\r\n",
        b"GET /x HTTP/0.9\r\n\r\n",
        b"GET /x HTTP/2.0\r\nHost: h\r\n\r\n",
        b"GET /x HTTP/2.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
        b"POST /x HTTP/2.0\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
    ],
    ids=["http-0.9", "http-0.9-named", "http-2.0", "http-2.0-keep-alive", "http-2.0-post"],
)
def test_request_lines_of_other_versions_get_505(server: int, request_bytes: bytes) -> None:
    (answer,), closed = exchange(server, request_bytes)
    assert (answer.status, closed) == (505, True)
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "urn:taskmock:problem:version-not-supported"


@pytest.mark.parametrize(
    "codings",
    [b"Transfer-Encoding: gzip, chunked", b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked"],
    ids=["one-line", "two-lines"],
)
def test_a_transfer_coding_other_than_chunked_gets_501(server: int, codings: bytes) -> None:
    request = b"POST /b HTTP/1.1\r\nHost: h\r\n" + codings + b"\r\n\r\n2\r\nab\r\n0\r\n\r\n"
    (answer,), closed = exchange(server, request)
    assert (answer.status, closed) == (501, True)
    assert answer.json()["type"] == "urn:taskmock:problem:not-implemented"


def test_100_continue_is_not_sent_to_http_1_0_clients(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        sock.sendall(b"POST /b HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        sock.sendall(b"ok")
        data = b""
        while chunk := sock.recv(65536):  # HTTP/1.0: the server closes after its answer
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK\r\n"), data[:40]
    assert b'"body":"ok"' in data


def test_a_chunk_declared_over_the_body_limit_gets_413_at_once(server: int) -> None:
    """Without waiting for the chunk's bytes (the socket's timeout would end the test)."""
    request = b"POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    small = b"3;name=value\r\nabc\r\n"  # 3 bytes counted before the next size line
    (answer,), closed = exchange(server, request + small + b"3e6\r\nab")
    assert (answer.status, closed) == (413, True)
    assert answer.json()["detail"] == "the limit is 1000 bytes"
    (answer,), closed = exchange(server, request + small + b"3e6;x=1\r\n")
    assert (answer.status, closed) == (413, True)
    (answer,), closed = exchange(server, request + b"3e5\r\n" + b"x" * 997 + b"\r\n0\r\n\r\n")
    assert (answer.status, closed) == (200, False)  # exactly the limit


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


def test_a_trailer_arriving_in_pieces_is_not_taken_for_a_chunk_size() -> None:
    stepped = Stepped(echo, Limits(max_body=1000))
    try:
        client = stepped.connect()
        client.send(b"POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
        client.send(b"2\r\nab\r\n0\r\nfffffff")  # the start of a trailer field's name
        for _ in range(20):
            stepped.step()
        client.send(b"f: x\r\n\r\n")
        collector = Collector()
        stepped.step_until(lambda: stepped.read(client, collector) and bool(collector.done))
        assert [a.status for a in collector.done] == [200]
        assert collector.done[0].json()["body"] == "ab"
    finally:
        stepped.close()


def _listen_backlog(port: int) -> int:
    """The accept queue's size of the socket listening on 127.0.0.1:`port`, as the kernel keeps
    it (what `ss -lt` shows as Send-Q), asked over netlink's sock_diag."""
    netlink_sock_diag, sock_diag_by_family, tcp_listen = 4, 20, 10
    request = struct.pack("=BBBxI", socket.AF_INET, socket.IPPROTO_TCP, 0, 1 << tcp_listen)
    request += bytes(48)  # any socket id: the kernel dumps them all
    header = struct.pack("=IHHII", 16 + len(request), sock_diag_by_family, 0x301, 1, 0)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, netlink_sock_diag) as diag:
        diag.sendall(header + request)
        while True:
            data = diag.recv(1 << 16)
            offset = 0
            while offset < len(data):
                length, kind = struct.unpack_from("=IH", data, offset)
                if kind in (2, 3):  # NLMSG_ERROR, NLMSG_DONE
                    raise LookupError(f"no socket listens on port {port}")
                (sport,) = struct.unpack_from(">H", data, offset + 20)
                if sport == port:
                    # inet_diag_msg: 4 bytes, the 48-byte socket id, expires, rqueue, wqueue
                    return int(struct.unpack_from("=I", data, offset + 16 + 60)[0])
                offset += (length + 3) & ~3


@pytest.mark.skipif(sys.platform != "linux", reason="reads the backlog over Linux netlink")
def test_the_listening_socket_keeps_its_backlog() -> None:
    """asyncio's create_server listens again on a socket it is given, by default with 100."""
    with open("/proc/sys/net/core/somaxconn") as limit:
        expected = min(Limits().backlog, int(limit.read()))  # the kernel caps it
    if expected <= 100:
        pytest.skip(f"net.core.somaxconn is {expected}: too low to tell")
    with serving(echo) as port:
        exchange(port, get("/up"))  # serving: create_server has run
        assert _listen_backlog(port) == expected


def test_the_header_block_cache_is_bounded_in_bytes() -> None:
    """Headers that vary (Location, Retry-After) must not grow the cache by count."""

    def handler(request: Request) -> Response:
        return Response(200, b"", [("x-vary", request.headers["x-vary"])])

    running = serving(handler)
    with running as port:
        count = 700  # each block with its key about 3 KB: 2 MB if kept by count
        requests = b"".join(get("/", f"X-Vary: {i:05d}{'v' * 1500}") for i in range(count))
        answers, _ = exchange(port, requests, count=count)
        assert [a.headers["x-vary"][:5] for a in answers] == [f"{i:05d}" for i in range(count)]
        blocks = dict(running.server._header_blocks)
    kept = sum(len(block) + sum(len(n) + len(v) for n, v in key) for key, block in blocks.items())
    assert 0 < kept <= _HEADER_CACHE_BYTES


def test_log_lines_escape_what_is_not_printable() -> None:
    """A path cannot forge a log line (an encoded CR LF) or drive a terminal (ESC): paths are
    logged as sent (percent-encoded), and whatever else reaches a line is escaped."""
    stream = io.StringIO()
    log = RequestLog(stream)
    mock = _logged(MockApp(MockConfig(clock=ManualClock())), log)
    with serving(mock.handle, Limits(max_head=200), on_refusal=log.add) as port:
        forged = "/x%0D%0APOST%20/__taskmock/reset%20204%200.1ms"
        exchange(port, get(forged + "?q=%1B[31m"))
        exchange(port, get("/%1B]0;owned%07%E2%80%AE"))
        exchange(port, get("/%1B[2J", "X-Big: " + "y" * 300))  # refused: its raw target is logged
    log.flush()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith("GET " + forged + "?q=%1B[31m 404 ")
    assert lines[1].startswith("GET /%1B]0;owned%07%E2%80%AE 404 ")
    assert lines[2].startswith("refused /%1B[2J 431 ")
    assert all(line.isprintable() for line in lines)
    log.add("GET /x\r\nPOST /__taskmock/reset 204\x1b]0;owned\x07\u202e")
    log.flush()
    assert stream.getvalue().splitlines()[3] == (
        "GET /x\\r\\nPOST /__taskmock/reset 204\\x1b]0;owned\\x07\\u202e"
    )
