"""`taskmock serve`: the mock server on one port, all APIs at their documented paths."""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import json
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from taskmock._cli.options import add_catalog_option
from taskmock._core.auth import AuthRule
from taskmock._core.catalog import bundled_catalog
from taskmock._core.clock import make_clock
from taskmock._core.extensions import required_headers
from taskmock._core.jwt_auth import JwtAuth
from taskmock._core.roles import Create
from taskmock._core.scenario import Behaviour
from taskmock._core.spec import Operation, Spec
from taskmock._http.app import MockApp, MockConfig
from taskmock._http.control import ADMIN_HEADER, PREFIX
from taskmock._http.server import HttpServer, Limits, printable
from taskmock._transports.tls import ServerTLS, https_base_urls, own_certificate, throwaway_ca
from taskmock.errors import MissingExtraError, UsageError

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
        help="serve only this API (repeatable; default every API of the catalogs: "
        f"{', '.join(bundled_catalog().names)} and yours)",
    )
    add_catalog_option(serve)
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
        "--jwt-key",
        action="append",
        metavar="ID=SECRET",
        help="accept JSON Web Tokens signed with SECRET for key ID on every API whose auth "
        "verifies signed tokens (repeatable; besides the keys its scenario file names)",
    )
    serve.add_argument(
        "--no-example-tasks",
        dest="example_tasks",
        action="store_false",
        help="do not serve the tasks and uploads the specs' examples name (public, frozen in "
        "the example's state, restored by reset)",
    )
    serve.add_argument("--quiet", action="store_true", help="do not log one line per request")
    tls = serve.add_argument_group("HTTPS")
    tls.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a throw-away CA and certificate for localhost and 127.0.0.1 "
        "(needs taskmock[tls]); prints the CA bundle's path and how to trust it",
    )
    tls.add_argument(
        "--tls-ca-out", metavar="PATH", help="write the throw-away CA bundle here (implies --tls)"
    )
    tls.add_argument(
        "--tls-cert", metavar="PEM", help="serve HTTPS with your own certificate chain instead"
    )
    tls.add_argument("--tls-key", metavar="PEM", help="its private key (if not in --tls-cert)")
    serve.set_defaults(run=run)


def _jwt_keys(given: list[str]) -> dict[str, str]:
    """`--jwt-key ID=SECRET` values as a mapping; UsageError for one without both parts."""
    keys = {}
    for item in given:
        key, sep, secret = item.partition("=")
        if not sep or not key or not secret:
            raise UsageError(f"--jwt-key takes ID=SECRET (both non-empty), not {item!r}")
        keys[key] = secret
    return keys


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
    sock.listen(Limits.backlog)  # HttpServer listens again with the same backlog
    sock.set_inheritable(True)
    return sock


def _tls(args: argparse.Namespace) -> tuple[ServerTLS | None, Path | None]:
    """The TLS context asked for, and a temporary folder to remove when the server stops."""
    if args.tls_key and not args.tls_cert:
        raise UsageError("--tls-key needs --tls-cert")
    if args.tls_cert:
        if args.tls or args.tls_ca_out:
            raise UsageError("--tls-cert serves your certificate; --tls and --tls-ca-out make one")
        key = Path(args.tls_key) if args.tls_key else None
        return own_certificate(Path(args.tls_cert), key), None
    if args.tls_ca_out:
        return throwaway_ca(Path(args.tls_ca_out)), None
    if args.tls:
        folder = Path(tempfile.mkdtemp(prefix="taskmock-tls-"))
        try:
            return throwaway_ca(folder / "ca.pem"), folder
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    return None, None


def _create_path(behaviour: Behaviour, create: Create) -> str:
    """A create operation's path, its parameters (a model's name) from the spec's examples."""
    return create.path_for(None, behaviour.spec.path_examples(create.operation))


def _header_options(spec: Spec, operation: Operation) -> str:
    """curl options for the operation's required header parameters (a version header)."""
    return "".join(f" -H '{k}: {v}'" for k, v in required_headers(spec, operation).items())


def _accepted_credential(auth: AuthRule, tokens: frozenset[str]) -> str | None:
    """A header value the server accepts with `--token`: the first token, in the first shape
    whose pattern it fits (the banner's lines then work as pasted)."""
    for token in sorted(tokens):
        for prefix, _pattern in auth.credentials:
            found = auth.credential(prefix + token)
            if found is not None and found[1] == token:
                return prefix + token
    return None


def _banner(mock: MockApp, base: str, curl: str = "curl -s") -> str:
    """What to paste: per API, a create call on the vendor route and a poll of the task it makes."""
    tasks = mock.tasks
    lines = [
        f"taskmock serving {', '.join(tasks.behaviours)} at {base}  "
        f"(clock {tasks.clock.kind}, seed {tasks.seed}; Ctrl-C stops)",
        "",
    ]
    for api, behaviour in tasks.behaviours.items():
        path = " -> ".join(
            behaviour.lifecycle.label(step["state"]) for step in behaviour.scenario(None).path
        )
        lines.append(f"# {api}: {path}")
        settings = "  ".join(s.line(base, behaviour.base_path) for s in behaviour.sdk)
        lines.append(
            f"#   base URL {base}{behaviour.base_path}" + (f"  SDK: {settings}" if settings else "")
        )
        lines += [f"#   ({s.note})" for s in behaviour.sdk if s.note]
        try:
            example = behaviour.auth.example
        except MissingExtraError as exc:  # a signed auth without PyJWT: say what to install
            lines += [f"# {exc}", ""]
            continue
        if isinstance(behaviour.auth, JwtAuth):
            signed = behaviour.auth
            lines.append(
                f"#   signed tokens: {'/'.join(signed.algorithms)} JWTs of key "
                f"{', '.join(signed.keys)} (the one below lasts {signed.lifetime} s); "
                "--jwt-key ID=SECRET adds yours"
            )
        if mock.config.tokens and isinstance(behaviour.auth, AuthRule):
            accepted = _accepted_credential(behaviour.auth, mock.config.tokens)
            if accepted is None:
                lines.append("#   (no --token value has this API's credential shape: 401 below)")
            example = accepted or example
        auth = f"-H '{behaviour.auth.header}: {example}'"
        create = next(
            (op for op in behaviour.operations.values() if isinstance(op, Create) and op.example),
            None,
        )
        if create is not None:
            body = json.dumps(create.example, separators=(",", ":"))
            lines.append(
                f"{curl} -X POST {base}{behaviour.base_path}{_create_path(behaviour, create)} "
                f"{auth}{_header_options(behaviour.spec, create.operation)} "
                f"-H 'content-type: application/json' -d '{body}'"
            )
        owner = behaviour.auth.owner_of(example)
        stand_in = tasks.answers.without_task(api, owner, None, tasks.next_task_id(api))
        method, poll_path, poll_body = tasks.poll_request(stand_in.record)
        auth += _header_options(behaviour.spec, behaviour.poll.operation)
        if method == "GET":
            lines += [f"{curl} {auth} {base}{poll_path}", ""]
        else:
            body = json.dumps(poll_body, separators=(",", ":"))
            lines += [
                f"{curl} -X {method} {base}{poll_path} {auth} "
                f"-H 'content-type: application/json' -d '{body}'",
                "",
            ]
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
    # An unset shell variable ($TOKEN) gives an empty value: protection that protects nothing.
    if args.admin_token == "":
        raise UsageError("--admin-token is empty (an unset variable?): give one or leave it out")
    if args.token and "" in args.token:
        raise UsageError("--token is empty (an unset variable?); give a token or leave it out")
    args.jwt_keys = _jwt_keys(args.jwt_key or [])
    tls, temporary = _tls(args)
    try:
        return _serve(args, tls)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


def _serve(args: argparse.Namespace, tls: ServerTLS | None) -> int:
    clock = make_clock(args.clock, args.speed)
    # Loading makes many objects and frees few: the cyclic collector only slows it (a quarter).
    gc.disable()
    mock = MockApp(
        MockConfig(
            apis=tuple(args.api) if args.api else None,
            catalogs=tuple(args.catalog),
            clock=clock,
            seed=args.seed,
            admin_token=args.admin_token,
            tokens=frozenset(args.token) if args.token else None,
            example_tasks=args.example_tasks,
            jwt_keys=args.jwt_keys,
        )
    )
    sock = _listen(args.host, args.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    base = f"{'https' if tls else 'http'}://{shown}:{port}"
    log = RequestLog(sys.stderr)
    handle = mock.handle if args.quiet else _logged(mock, log).handle
    server = HttpServer(
        https_base_urls(handle) if tls else handle,
        sock,
        on_refusal=None if args.quiet else log.add,
        tls=tls.context if tls else None,
    )
    curl = f"curl -s --cacert {tls.ca_bundle}" if tls and tls.ca_bundle else "curl -s"
    print(_banner(mock, base, curl), flush=True)
    if tls and tls.ca_bundle:
        print("", *tls.trust_lines(), sep="\n", flush=True)
    # The loaded specs and scenarios live as long as the process: keep them out of the cyclic
    # collector, whose full passes over them stalled every connection for about 20 ms.
    gc.freeze()
    gc.enable()
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
        """Queue a line (without its newline); characters that are not printable are escaped."""
        self._lines.append(printable(line) + "\n")
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
