"""`taskmock serve`: the mock server on one port, all APIs at their documented paths."""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import json
import socket
import sys
import time
from typing import Any, TextIO

from taskmock.core.clock import make_clock
from taskmock.errors import UsageError
from taskmock.http.app import MockApp, MockConfig
from taskmock.http.control import ADMIN_HEADER, PREFIX
from taskmock.http.server import HttpServer
from taskmock.resources import available_apis

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the `serve` command."""
    serve = commands.add_parser("serve", help="run the mock server")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)"
    )
    serve.add_argument(
        "--api",
        action="append",
        metavar="NAME",
        help=f"serve only this API (repeatable; default all: {', '.join(available_apis())})",
    )
    serve.add_argument(
        "--clock",
        choices=("wall", "manual", "scaled"),
        default="wall",
        help="wall: real time; scaled: real time x --speed; manual: moves only when advanced",
    )
    serve.add_argument(
        "--speed", type=float, default=1.0, help="time multiplier, e.g. 60 = a minute per second"
    )
    serve.add_argument(
        "--seed", type=int, default=0, help="same seed, same ids, values and timings"
    )
    serve.add_argument(
        "--token",
        action="append",
        metavar="TOKEN",
        help="accept only this credential on vendor routes (repeatable; the bare token, e.g. abc "
        "for 'Token abc'); default: any well-formed one",
    )
    serve.add_argument(
        "--admin-token", help=f"require this token in {ADMIN_HEADER} on the control plane"
    )
    serve.add_argument(
        "--no-example-tasks",
        dest="example_tasks",
        action="store_false",
        help="do not serve the tasks and uploads the specs' examples name (public, restored by "
        "reset; e.g. TensorPix job 5012)",
    )
    serve.add_argument("--quiet", action="store_true", help="do not log one line per request")
    serve.set_defaults(run=run)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: headers and body leave at once, no Nagle/delayed-ACK stall.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = "the port is already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise UsageError(f"cannot listen on {host}:{port}: {reason}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _banner(mock: MockApp, base: str) -> str:
    """What to paste: per API, a create call on the vendor route and a poll of the task it makes."""
    tasks = mock.tasks
    lines = [
        f"taskmock serving {', '.join(tasks.behaviours)} at {base}  "
        f"(clock {tasks.clock.kind}, seed {tasks.seed}; Ctrl-C stops)",
        "",
    ]
    for api, behaviour in tasks.behaviours.items():
        auth = f"-H '{behaviour.auth.header}: {behaviour.auth.example}'"
        path = " -> ".join(
            behaviour.lifecycle.label(step["state"]) for step in behaviour.scenario(None).path
        )
        lines.append(f"# {api}: {path}")
        create = next(
            (op for op in behaviour.operations.values() if op.role == "create" and op.example), None
        )
        poll = next(op for op in behaviour.operations.values() if op.role == "poll")
        if create is not None:
            body = json.dumps(create.example, separators=(",", ":"))
            lines.append(
                f"curl -s -X POST {base}{create.operation.path} {auth} "
                f"-H 'content-type: application/json' -d '{body}'"
            )
        lines += [f"curl -s {auth} {base}{poll.path_for(tasks.next_task_id(api))}", ""]
    if tasks.examples:
        count = sum(len(found.tasks) for found in tasks.examples.values())
        lines.append(
            f"{count} example tasks: the ids the specs' examples name (--no-example-tasks)"
        )
    admin = f" -H '{ADMIN_HEADER}: <token>'" if mock.config.admin_token else ""
    lines.append(
        f"control plane{admin}: {base}{PREFIX}/tasks, /clock, /clock/advance, /reset, /requests "
        "(specs/control.yaml)"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Start the server and block until Ctrl-C."""
    if args.speed <= 0:
        raise UsageError("--speed must be positive")
    if args.clock == "manual" and args.speed != 1.0:
        raise UsageError("--speed has no effect on a manual clock; use --clock scaled or wall")
    if not 0 <= args.port <= 65535:
        raise UsageError("--port must be between 0 and 65535")
    clock = make_clock(args.clock, args.speed)
    mock = MockApp(
        MockConfig(
            apis=tuple(args.api) if args.api else None,
            clock=clock,
            seed=args.seed,
            admin_token=args.admin_token,
            tokens=frozenset(args.token) if args.token else None,
            example_tasks=args.example_tasks,
        )
    )
    sock = _listen(args.host, args.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    log = RequestLog(sys.stderr)
    if args.quiet:
        server = HttpServer(mock.handle, sock)
    else:
        server = HttpServer(_logged(mock, log).handle, sock, on_refusal=log.add)
    print(_banner(mock, base), flush=True)
    # The loaded specs and scenarios live as long as the process: keep them out of the cyclic
    # collector, whose full passes over them stalled every connection for about 20 ms.
    gc.freeze()
    try:
        server.run()
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        pass
    finally:
        log.flush()
        sock.close()
    print("taskmock stopped", file=sys.stderr, flush=True)
    return 0


class RequestLog:
    """One line per request on a stream, written in batches (at most 20 writes a second).

    A write per request would cost a system call each; inside a running event loop the lines wait
    up to 50 ms, outside one they are written at once.
    """

    def __init__(self, stream: TextIO, delay: float = 0.05) -> None:
        self.stream = stream
        self.delay = delay
        self._lines: list[str] = []
        self._scheduled = False

    def add(self, line: str) -> None:
        """Queue a line (without its newline)."""
        self._lines.append(line + "\n")
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._scheduled = True
        loop.call_later(self.delay, self.flush)

    def flush(self) -> None:
        """Write every queued line now."""
        self._scheduled = False
        if self._lines:
            self.stream.write("".join(self._lines))
            self._lines.clear()
            self.stream.flush()


def _logged(mock: MockApp, log: RequestLog) -> MockApp:
    original = mock.handle

    def handle(request: Any) -> Any:
        started = time.perf_counter()
        response = original(request)
        elapsed = (time.perf_counter() - started) * 1000
        query = f"?{request.query_string}" if request.query_string else ""
        log.add(f"{request.method} {request.path}{query} {response.status} {elapsed:.1f}ms")
        return response

    mock.handle = handle  # type: ignore[method-assign]
    return mock
