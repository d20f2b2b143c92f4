"""taskmock in tests: the mock's own HTTP server in a thread, hosting a mock, and its test handle.

The pytest plugin (`taskmock.pytest_plugin`) builds on this; it can also be used without pytest::

    server = MockServer().start()
    mock = server.host(MockApp(MockConfig(clock=ManualClock())))
    job = mock.create("tensorpix")
    mock.advance(600)
    ...
    server.stop()

It is the server `taskmock serve` runs (`_http/server.py`), so a test sees exactly what a user of
`serve` sees; tools/bench_fixture.py measured it against pytest-httpserver (see ARCHITECTURE.md).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from taskmock._core.engine import TaskRecord
from taskmock._http.app import MockApp
from taskmock._http.journal import JournalEntry
from taskmock._http.messages import Request, Response, problem
from taskmock._http.server import HttpServer, Limits
from taskmock._transports.tls import ServerTLS, https_base_urls

__all__ = ["MockServer", "ServerProblems", "Task", "Taskmock"]


class ServerProblems(AssertionError):
    """Requests the mock saw that the specs do not allow; raised at the end of a test."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"taskmock saw {len(problems)} request(s) the specs do not allow:\n{lines}"
        )


class MockServer:
    """One real HTTP server on 127.0.0.1 whose answers come from whichever mock it hosts now.

    With `tls` it serves HTTPS; `ca_bundle` is then the CA file clients must trust.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ServerTLS | None = None,
        limits: Limits | None = None,
    ) -> None:
        self._address = (host, port)
        self._tls = tls
        self._limits = limits
        self._app: MockApp | None = None
        self._sock: socket.socket | None = None
        self._server: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""  # the base URL, without a trailing slash, once started

    @property
    def ca_bundle(self) -> Path | None:
        """The CA bundle that signed the server's certificate (with TLS), else None."""
        return self._tls.ca_bundle if self._tls else None

    def start(self) -> MockServer:
        """Start serving (in a background thread); requests wait in the backlog until it runs."""
        sock = socket.create_server(self._address, backlog=2048)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        handle = https_base_urls(self._handle) if self._tls else self._handle
        context = self._tls.context if self._tls else None
        self._server = HttpServer(handle, sock, self._limits, tls=context)
        self._sock = sock
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"{'https' if self._tls else 'http'}://{shown}:{port}"
        self._thread = threading.Thread(target=self._server.run, name="taskmock", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None and self._thread is not None:
            self._server.stop()
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def host(self, app: MockApp) -> Taskmock:
        """Answer with `app` from now on; returns the handle tests use."""
        self._app = app
        return Taskmock(app, self.url, self.ca_bundle)

    def release(self) -> None:
        """Stop answering with the current mock (requests then get 503)."""
        self._app = None

    def _handle(self, request: Request) -> Response:
        app = self._app  # one read: a test may release it meanwhile
        if app is None:
            return problem(
                503, "no-mock", "No mock is active", "the taskmock fixture is not in use"
            )
        return app.handle(request)


@dataclass(frozen=True)
class Task:
    """A task created through the fixture: where to poll it, and how it looks now."""

    api: str
    id: Any
    poll_path: str
    poll_url: str
    _mock: Taskmock
    poll_method: str = "GET"
    poll_body: Any = None  # the JSON body of a poll that sends the id in it (poll_method POST)

    @property
    def record(self) -> TaskRecord:
        """The task's current record."""
        return self._mock.app.admin.task(self.api, self.id)

    @property
    def state(self) -> Any:
        """The current status value, in the vendor's vocabulary."""
        return self._mock.app.admin.state(self.record)

    @property
    def body(self) -> Any:
        """The current poll body, as the vendor route answers it."""
        return self._mock.app.admin.body(self.record, self._mock.url)

    @property
    def terminal(self) -> bool:
        """Whether the task has reached a terminal state."""
        return self._mock.app.admin.terminal(self.record)


class Taskmock:
    """What a test holds: the mock's URL, valid credentials, tasks, time and the request journal."""

    def __init__(self, app: MockApp, url: str, ca_bundle: Path | None = None) -> None:
        self.app = app
        self.url = url
        self.ca_bundle = ca_bundle  # with tls=True: the CA file to trust (e.g. SSL_CERT_FILE)
        self.allowed_problems = False

    # --- where and how to call it --------------------------------------------------------------

    def base_url(self, api: str | None = None) -> str:
        """The base URL to configure a client with: the server's, or `api`'s own (`…/<api>` for
        an API not served at its root paths; every API is served on the same port)."""
        if api is None:
            return self.url
        return self.url + self.app.admin.behaviour(api).base_path

    def token(self, api: str) -> str:
        """A valid value of `api`'s credential header, e.g. `Token 3f9c...` (for a signed auth, a
        token signed now with its first key)."""
        return self.app.admin.behaviour(api).auth.example

    def key(self, api: str) -> str:
        """The bare credential inside `token(api)` (what a client's api_key setting holds)."""
        auth = self.app.admin.behaviour(api).auth
        return auth.token(auth.example)

    def headers(self, api: str) -> dict[str, str]:
        """Headers that authenticate a request to `api`."""
        behaviour = self.app.admin.behaviour(api)
        return {behaviour.auth.header: behaviour.auth.example}

    # --- tasks ---------------------------------------------------------------------------------

    def create(
        self,
        api: str,
        scenario: str | None = None,
        *,
        owner: str | None = None,
        input: dict[str, Any] | None = None,
        kind: str | None = None,
        **fields: Any,
    ) -> Task:
        """Create a task now; `fields` override its poll body, `input` is the create request,
        `kind` which kind of the API's tasks (default its first)."""
        record = self.app.admin.create(
            api, scenario, owner=owner, input=input, fields=fields, kind=kind
        )
        return self._task(record)

    def task(self, api: str, task_id: Any) -> Task:
        """The handle of a task created any way (e.g. by the client under test)."""
        return self._task(self.app.admin.task(api, task_id))

    def tasks(self, api: str | None = None) -> list[Task]:
        """Every task, oldest first."""
        return [self._task(record) for record in self.app.admin.all_tasks(api)]

    def _task(self, record: TaskRecord) -> Task:
        method, path, body = self.app.admin.poll_request(record)
        return Task(record.api, record.id, path, self.url + path, self, method, body)

    def fail(self, task: Task) -> Task:
        """Fail the task now."""
        self.app.admin.fail(task.api, task.id)
        return task

    def cancel(self, task: Task) -> Task:
        """Cancel the task now."""
        self.app.admin.cancel(task.api, task.id)
        return task

    def throttle(
        self, api: str, count: int = 1, retry_after: int = 1, operation: str | None = None
    ) -> None:
        """Answer the next `count` requests to `api` with its rate-limit error (e.g. 429)."""
        self.app.admin.throttle(api, count, retry_after, operation)

    # --- time ----------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """The mock's current time (seconds since the epoch)."""
        return self.app.admin.now()

    def advance(self, seconds: float) -> float:
        """Move the manual clock forward; usable as a client's `sleep`. Returns the new time."""
        return self.app.admin.advance(seconds).now

    def run_to_end(self, task: Task) -> Any:
        """Advance time until the task reaches the end of its scenario; returns its final state."""
        last = task.record.timeline()[-1]
        if last.at > self.now:
            self.advance(last.at - self.now)
        return task.state

    # --- what the mock saw ---------------------------------------------------------------------

    @property
    def requests(self) -> list[JournalEntry]:
        """Every vendor request so far, oldest first (with virtual timestamps)."""
        return self.app.admin.requests()

    def requests_for(self, task: Task) -> list[JournalEntry]:
        """The vendor requests that concerned one task."""
        return [
            entry
            for entry in self.app.admin.requests()
            if entry.task_id == str(task.id) and entry.api == task.api
        ]

    def problems(self) -> list[str]:
        """Requests the specs do not allow: unmatched routes and requests that break the spec."""
        return [
            f"{entry.method} {entry.path}: {entry.problem}"
            for entry in _problem_entries(self.app.admin.requests())
        ]

    def allow_problems(self) -> None:
        """Do not fail the test for problems (for tests that send bad requests on purpose)."""
        self.allowed_problems = True

    def check(self) -> None:
        """Raise ServerProblems if the mock saw requests the specs do not allow."""
        found = self.problems()
        if found and not self.allowed_problems:
            raise ServerProblems(found)


def _problem_entries(entries: Any) -> Iterator[JournalEntry]:
    for entry in entries:
        unmatched = entry.api is None and entry.status in (404, 405)
        invalid = bool(entry.problem) and entry.problem.startswith("bad-request")
        if unmatched or invalid:
            yield entry
