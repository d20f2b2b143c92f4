"""Benchmark: which server should the pytest fixture run on? Ours or pytest-httpserver (werkzeug).

A fixture's server lives in the test's process, in a thread, and the client under test calls it
from another thread of the same process (they share the GIL). Measured here, for each server:

- setup: from nothing to the first answered request, and teardown: until stopped again (the
  session fixture pays each once);
- requests per second from one client thread, GET of a running Kokoon task, with a new
  connection per request (urllib, as most small clients do) and over one keep-alive connection
  (http.client, and httpx.Client); the in-process httpx transport is shown for reference.

    .venv/bin/pip install pytest-httpserver                   # the peer (no longer a dependency)
    .venv/bin/python tools/bench_fixture.py
    .venv/bin/python tools/bench_fixture.py --requests 5000 --rounds 5 --json out.json

Werkzeug logs each request; here, as under pytest's log capture, the records are made but not
printed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import re
import statistics
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

import taskmock
from taskmock._core.clock import ManualClock
from taskmock._http.app import MockApp, MockConfig
from taskmock._http.messages import Request
from taskmock.testing import MockServer

KOKOON_TOKEN = "eyJraWQiOiJPMGs5.eyJzdWIiOiIzN2U3NzYxM.dGFza21vY2s"


@contextmanager
def ours(app: MockApp) -> Iterator[str]:
    """The fixture's server: `_http/server.py` in a thread (`taskmock.testing.MockServer`)."""
    server = MockServer().start()
    server.host(app)
    try:
        yield server.url
    finally:
        server.stop()


@contextmanager
def werkzeug(app: MockApp) -> Iterator[str]:
    """pytest-httpserver (threaded werkzeug), with the adapter the fixture used until 2026-11."""
    from pytest_httpserver import HTTPServer
    from werkzeug import Request as WerkzeugRequest
    from werkzeug import Response as WerkzeugResponse

    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    url = ""

    def handle(incoming: WerkzeugRequest) -> WerkzeugResponse:
        headers = {key.lower(): value for key, value in incoming.headers.items()}
        query = incoming.query_string.decode("latin-1")
        answer = app.handle(
            Request(incoming.method, incoming.path, query, headers, incoming.get_data(), url)
        )
        response = WerkzeugResponse(answer.body, status=answer.status)
        for name, value in answer.headers:
            response.headers[name] = value
        return response

    server.expect_request(re.compile(".*")).respond_with_handler(handle)
    server.start()
    url = server.url_for("/").rstrip("/")
    try:
        yield url
    finally:
        server.stop()


SERVERS: dict[str, Callable[[MockApp], Any]] = {"ours": ours, "pytest-httpserver": werkzeug}


def running_task(app: MockApp) -> str:
    record = app.tasks.create("kokoon", None, None, None, {})
    assert isinstance(app.tasks.clock, ManualClock)
    app.tasks.clock.advance(30)  # into `running`, where it stays: the clock does not move
    behaviour = app.tasks.behaviour("kokoon")
    poll = next(op for op in behaviour.operations.values() if op.role == "poll")
    return str(poll.path_for(record.id))


def urllib_loop(base: str, path: str, count: int) -> None:
    request = urllib.request.Request(base + path, headers={"Authorization": KOKOON_TOKEN})
    for _ in range(count):
        with urllib.request.urlopen(request, timeout=10) as reply:
            reply.read()


def keep_alive_loop(base: str, path: str, count: int) -> None:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    for _ in range(count):
        connection.request("GET", path, headers={"Authorization": KOKOON_TOKEN})
        reply = connection.getresponse()
        reply.read()
        assert reply.status == 200
    connection.close()


def httpx_loop(client: httpx.Client, path: str, count: int) -> None:
    for _ in range(count):
        client.get(path, headers={"Authorization": KOKOON_TOKEN}).raise_for_status()


def in_thread(work: Callable[[], None]) -> float:
    """Seconds `work` takes in a client thread (the fixture's client is never the server's)."""
    elapsed: list[float] = []

    def run() -> None:
        started = time.perf_counter()
        work()
        elapsed.append(time.perf_counter() - started)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return elapsed[0]


def best_rate(work: Callable[[], None], count: int, rounds: int) -> float:
    return max(count / in_thread(work) for _ in range(rounds))


def setup_and_teardown_ms(name: str, rounds: int) -> dict[str, float]:
    """Median milliseconds from nothing to a first answer, and to stopped again."""
    app = MockApp(MockConfig(clock=ManualClock()))
    setups, teardowns = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        with SERVERS[name](app) as base:
            urllib.request.urlopen(base + "/__taskmock/health", timeout=10).close()
            setups.append(time.perf_counter() - started)
            stopping = time.perf_counter()
        teardowns.append(time.perf_counter() - stopping)
    return {
        "setup_ms": statistics.median(setups) * 1000,
        "teardown_ms": statistics.median(teardowns) * 1000,
    }


def measure(serve: Callable[[MockApp], Any], count: int, rounds: int) -> dict[str, float]:
    app = MockApp(MockConfig(clock=ManualClock()))
    path = running_task(app)
    with serve(app) as base, httpx.Client(base_url=base) as client:
        return {
            "urllib_new_connection": best_rate(
                lambda: urllib_loop(base, path, count // 3), count // 3, rounds
            ),
            "http_client_keep_alive": best_rate(
                lambda: keep_alive_loop(base, path, count), count, rounds
            ),
            "httpx_keep_alive": best_rate(lambda: httpx_loop(client, path, count), count, rounds),
        }


def measure_in_process(count: int, rounds: int) -> dict[str, float]:
    app = MockApp(MockConfig(clock=ManualClock()))
    path = running_task(app)
    transport = taskmock.httpx_transport(app)
    with httpx.Client(transport=transport, base_url="http://mock") as client:
        return {
            "httpx_keep_alive": best_rate(lambda: httpx_loop(client, path, count), count, rounds)
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best one counts")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    logging.getLogger().addHandler(logging.NullHandler())  # werkzeug: records, no printing
    results: dict[str, dict[str, float]] = {}
    for name, serve in SERVERS.items():
        try:
            lifetime = setup_and_teardown_ms(name, 5)
        except ImportError as exc:
            print(f"skipped {name}: {exc}")
            continue
        results[name] = {**lifetime, **measure(serve, args.requests, args.rounds)}
    results["in-process httpx transport"] = measure_in_process(args.requests, args.rounds)
    columns = [
        "setup_ms",
        "teardown_ms",
        "urllib_new_connection",
        "http_client_keep_alive",
        "httpx_keep_alive",
    ]
    print(f"{'server':28}" + "".join(f"{c:>23}" for c in columns))
    for name, figures in results.items():
        cells = "".join(f"{figures[c]:>23,.1f}" if c in figures else f"{'-':>23}" for c in columns)
        print(f"{name:28}{cells}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
