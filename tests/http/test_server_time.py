"""Our HTTP/1.1 server over time: back-pressure, deadlines, idle clients, and stopping.

Each test steps the server's event loop by hand and moves its clock (`rawhttp.Stepped`): no sleep.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import pytest

from taskmock._cli.serve_cmd import _listen
from taskmock._http.messages import Request, Response
from taskmock._http.server import HttpServer, Limits
from tests.http.rawhttp import Collector, Stepped, echo, get


def _counting(size: int) -> tuple[list[int], Callable[[Request], Response]]:
    """A handler answering its path and `size` dots, and how many times it was called."""
    calls = [0]

    def handler(request: Request) -> Response:
        calls[0] += 1
        return Response(200, request.path.encode() + b"." * size, [("content-type", "text/plain")])

    return calls, handler


def _send(stepped: Stepped, client: socket.socket, data: bytes) -> None:
    """Send all of `data`, letting the server read while the socket's buffer is full."""
    view = memoryview(data)
    while view:
        try:
            view = view[client.send(view) :]
        except BlockingIOError:
            stepped.step()


@pytest.mark.parametrize("trailer", [b"", b"NOPE\r\n\r\n"], ids=["valid", "then-malformed"])
def test_a_client_that_does_not_read_gets_no_more_answers_made_until_it_does(
    trailer: bytes,
) -> None:
    """No answer is made while the client does not read, even when a malformed request follows
    the held ones: its refusal waits behind their answers, which keep their order."""
    calls, handler = _counting(10_000)
    stepped = Stepped(handler)
    try:
        client = stepped.connect(receive_buffer=4096)
        total = 2000  # 20 MB of answers
        client.sendall(b"".join(get(f"/{i}") for i in range(total)) + trailer)
        stepped.step_until(lambda: any(c.held_back() for c in stepped.server.connections))
        for _ in range(200):  # the rest of the input is read and parsed while answers wait
            stepped.step()
        assert 0 < calls[0] < total // 2

        collector = Collector()
        expected = total + (1 if trailer else 0)
        while len(collector.done) < expected and stepped.read(client, collector):
            pass  # now read: every answer comes, in order
        assert [a.body.split(b".", 1)[0] for a in collector.done[:total]] == [
            f"/{i}".encode() for i in range(total)
        ]
        if trailer:
            assert collector.done[-1].json()["title"] == "Malformed HTTP request"
            assert collector.done[-1].headers["connection"] == "close"
        assert len(collector.done) == expected
    finally:
        stepped.close()


def test_no_100_continue_is_written_ahead_of_answers_still_held() -> None:
    """An interim answer is written at once: while answers wait, it would come before them."""
    _, handler = _counting(10_000)
    stepped = Stepped(handler)
    try:
        client = stepped.connect(receive_buffer=4096)
        total = 2000
        expecting = b"POST /last HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n"
        expecting += b"Expect: 100-continue\r\n\r\nok"
        client.sendall(b"".join(get(f"/{i}") for i in range(total)) + expecting)
        stepped.step_until(lambda: any(c.held_back() for c in stepped.server.connections))
        collector = Collector()
        while len(collector.done) < total + 1 and stepped.read(client, collector):
            pass
        assert [a.status for a in collector.done] == [200] * (total + 1)
        assert collector.done[-1].body.startswith(b"/last.")
    finally:
        stepped.close()


def test_a_request_head_trickling_in_gets_408_at_its_deadline() -> None:
    """Slowloris: a byte every 3 s is never idle for 5 s, but the head must arrive in 10 s."""
    stepped = Stepped(echo)
    try:
        client = stepped.connect()
        collector = Collector()
        started = stepped.now
        for byte in get("/slow"):
            client.send(bytes([byte]))
            stepped.advance(3)
            if not stepped.read(client, collector) or collector.done:
                break
        (answer,) = collector.done
        assert answer.status == 408
        assert answer.headers["connection"] == "close"
        assert answer.json()["type"] == "urn:taskmock:problem:timeout"
        assert 10 <= stepped.now - started <= 15
    finally:
        stepped.close()


def test_a_body_below_the_minimum_rate_gets_408_and_one_above_it_is_read() -> None:
    stepped = Stepped(echo)
    try:
        head = b"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n"
        slow, steady = stepped.connect(), stepped.connect()
        size = 1_000_000
        slow.send(head % size)
        _send(stepped, steady, head % size)
        answers = {slow: Collector(), steady: Collector()}
        sent = 0
        for _ in range(40):  # 120 s: steady sends 64 KiB every 3 s, about 21 KiB/s
            slow.send(b"x" * 100)
            piece = min(65536, size - sent)
            _send(stepped, steady, b"y" * piece)
            sent += piece
            stepped.advance(3)
            for client, collector in answers.items():
                stepped.read(client, collector)
            if answers[steady].done:
                break
        assert [a.status for a in answers[slow].done] == [408]
        assert [a.status for a in answers[steady].done] == [200]
        assert answers[steady].done[0].json()["body"] == "y" * size
    finally:
        stepped.close()


def test_a_client_slowly_reading_long_pipelined_answers_is_not_cut_off() -> None:
    """No input for far longer than the idle timeout, but the client keeps reading: progress."""
    _, handler = _counting(10_000)
    stepped = Stepped(handler)
    try:
        client = stepped.connect(receive_buffer=4096)
        total = 2000  # 20 MB: more than the kernel's buffers hold, so the server holds some back
        client.sendall(b"".join(get(f"/{i}") for i in range(total)))
        stepped.step_until(lambda: any(c.held_back() for c in stepped.server.connections))
        collector = Collector()
        rounds = 0
        while len(collector.done) < total:
            for _ in range(100):
                assert stepped.read(client, collector), f"cut after {len(collector.done)}"
            stepped.advance(3)  # 100 reads every 3 s: some 600 KB
            rounds += 1
        assert rounds * 3 > 10 * Limits().idle_timeout
        assert [a.body.split(b".", 1)[0] for a in collector.done] == [
            f"/{i}".encode() for i in range(total)
        ]
    finally:
        stepped.close()


def test_a_connection_that_does_nothing_is_closed_after_the_idle_timeout() -> None:
    stepped = Stepped(echo)
    try:
        quiet, chatty = stepped.connect(), stepped.connect()
        collectors = {quiet: Collector(), chatty: Collector()}
        for second in range(2):
            chatty.send(get(f"/{second}"))
            stepped.advance(2)
            assert all(stepped.read(c, collector) for c, collector in collectors.items())
        chatty.send(get("/2"))
        stepped.advance(2)
        assert not stepped.read(quiet, collectors[quiet])  # 6 s silent: closed, no answer
        assert collectors[quiet].done == []
        assert stepped.read(chatty, collectors[chatty])
        assert len(collectors[chatty].done) == 3
    finally:
        stepped.close()


def test_a_client_that_stops_reading_is_closed_after_the_idle_timeout() -> None:
    """Even with megabytes of answers unsent: they are dropped, not kept for a reader gone."""
    _, handler = _counting(10_000)
    stepped = Stepped(handler)
    try:
        client = stepped.connect(receive_buffer=4096)
        client.sendall(b"".join(get(f"/{i}") for i in range(2000)))
        stepped.step_until(lambda: any(c.held_back() for c in stepped.server.connections))
        stepped.advance(3)  # the sweep sees that it read
        stepped.advance(3)  # 3 s without progress
        assert stepped.server.connections
        stepped.advance(3)  # 6 s
        stepped.step_until(lambda: not stepped.server.connections)
    finally:
        stepped.close()


def test_stop_lets_an_answer_being_read_arrive_whole() -> None:
    """SIGTERM while a large answer is being read slowly: it arrives whole, then the close."""
    _, handler = _counting(4_000_000)
    stepped = Stepped(handler)
    try:
        reading = stepped.connect(receive_buffer=4096)
        reading.sendall(get("/big"))
        stepped.step_until(lambda: any(c.unsent() for c in stepped.server.connections))
        stepped.server.stop()
        collector = Collector()
        while not stepped.serving.done() and stepped.read(reading, collector):
            pass  # the process exits once `serve` returns: what is unsent then is lost
        assert [len(a.body) for a in collector.done] == [4_000_004]
        assert not stepped.serving.done()  # it waited for the client (for at most 5 s)
        reading.close()  # the client read all and closed: the server is done at once
        stepped.step_until(stepped.serving.done)
    finally:
        stepped.close()


def test_stop_answers_a_late_request_503_closes_idle_ones_and_accepts_no_more() -> None:
    _, handler = _counting(4_000_000)
    stepped = Stepped(handler)
    try:
        reading = stepped.connect(receive_buffer=4096)  # keeps the server draining
        late, idle = stepped.connect(), stepped.connect()
        reading.sendall(get("/big"))
        stepped.step_until(lambda: any(c.unsent() for c in stepped.server.connections))
        late.send(b"GET /late HTTP/1.1\r\nHost: h\r\n")
        stepped.step_until(lambda: any(c.deadline < 1e9 for c in stepped.server.connections))
        stepped.server.stop()
        for _ in range(20):
            stepped.step()
        assert not stepped.read(idle, Collector())  # closed at once, without an answer
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(stepped.address, timeout=5).close()
        late.send(b"\r\n")
        collector = Collector()
        while stepped.read(late, collector):
            pass
        assert [a.status for a in collector.done] == [503]
        assert collector.done[0].headers["connection"] == "close"
        assert collector.done[0].json()["type"] == "urn:taskmock:problem:unavailable"
    finally:
        stepped.close()


def test_stop_before_the_loop_started_still_stops() -> None:
    sock = _listen("127.0.0.1", 0)
    server = HttpServer(echo, sock)
    server.stop()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    sock.close()
