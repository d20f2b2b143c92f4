"""taskmock in tests: a real HTTP server (pytest-httpserver) hosting a mock, and its test handle.

The pytest plugin (`taskmock.pytest_plugin`) builds on this; it can also be used without pytest::

    server = MockServer().start()
    mock = server.host(MockApp(MockConfig(clock=ManualClock())))
    job = mock.create("tensorpix")
    mock.advance(600)
    ...
    server.stop()
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request as WerkzeugRequest
from werkzeug import Response as WerkzeugResponse

from taskmock.core.clock import ManualClock
from taskmock.core.engine import TaskRecord
from taskmock.errors import TaskmockError
from taskmock.http.app import MockApp
from taskmock.http.faults import Fault
from taskmock.http.journal import JournalEntry
from taskmock.http.messages import Request, problem

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
    """One real HTTP server on 127.0.0.1 whose answers come from whichever mock it hosts now."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = HTTPServer(host=host, port=port, threaded=True)
        self._app: MockApp | None = None
        self._lock = threading.Lock()
        self._server.expect_request(re.compile(".*")).respond_with_handler(self._handle)

    def start(self) -> MockServer:
        """Start serving (in a background thread)."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server.is_running():
            self._server.stop()

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        return self._server.url_for("/").rstrip("/")

    def host(self, app: MockApp) -> Taskmock:
        """Answer with `app` from now on; returns the handle tests use."""
        with self._lock:
            self._app = app
        self._server.clear_log()
        return Taskmock(app, self.url)

    def release(self) -> None:
        """Stop answering with the current mock (requests then get 503)."""
        with self._lock:
            self._app = None
        self._server.clear_log()

    def _handle(self, incoming: WerkzeugRequest) -> WerkzeugResponse:
        app = self._app
        if app is None:
            answer = problem(
                503, "no-mock", "No mock is active", "the taskmock fixture is not in use"
            )
        else:
            headers = {key.lower(): value for key, value in incoming.headers.items()}
            query = incoming.query_string.decode("latin-1")
            # The path as sent, still percent-encoded (werkzeug's `path` is decoded).
            raw = str(incoming.environ.get("RAW_URI") or incoming.path).split("?", 1)[0]
            answer = app.handle(
                Request(incoming.method, raw, query, headers, incoming.get_data(), self.url)
            )
        response = WerkzeugResponse(answer.body, status=answer.status)
        for name, value in answer.headers:
            response.headers[name] = value
        return response


@dataclass(frozen=True)
class Task:
    """A task created through the fixture: where to poll it, and how it looks now."""

    api: str
    id: Any
    poll_path: str
    poll_url: str
    _mock: Taskmock

    @property
    def record(self) -> TaskRecord:
        """The task's current record."""
        record = self._mock.app.tasks.store.get(self.api, self.id)
        assert record is not None, f"task {self.id} was reset away"
        return record

    @property
    def state(self) -> Any:
        """The current status value, in the vendor's vocabulary."""
        return self._mock.app.tasks.view(self.record).observation.state

    @property
    def body(self) -> Any:
        """The current poll body, as the vendor route answers it."""
        return self._mock.app.tasks.view(self.record, self._mock.url).body

    @property
    def terminal(self) -> bool:
        """Whether the task has reached a terminal state."""
        return self.state in self._mock.app.tasks.behaviour(self.api).lifecycle.terminal


class Taskmock:
    """What a test holds: the mock's URL, valid credentials, tasks, time and the request journal."""

    def __init__(self, app: MockApp, url: str) -> None:
        self.app = app
        self.url = url
        self.allowed_problems = False

    # --- where and how to call it --------------------------------------------------------------

    def base_url(self, api: str | None = None) -> str:
        """The base URL to configure a client with (every API is served on the same port)."""
        if api is not None:
            self.app.tasks.behaviour(api)
        return self.url

    def token(self, api: str) -> str:
        """A valid `Authorization` value for `api`, e.g. `Token 3f9c...`."""
        return self.app.tasks.behaviour(api).auth.example

    def key(self, api: str) -> str:
        """The bare credential inside `token(api)` (what a client's api_key setting holds)."""
        auth = self.app.tasks.behaviour(api).auth
        return auth.token(auth.example)

    def headers(self, api: str) -> dict[str, str]:
        """Headers that authenticate a request to `api`."""
        behaviour = self.app.tasks.behaviour(api)
        return {behaviour.auth.header: behaviour.auth.example}

    # --- tasks ---------------------------------------------------------------------------------

    def create(
        self,
        api: str,
        scenario: str | None = None,
        *,
        owner: str | None = None,
        input: dict[str, Any] | None = None,
        **fields: Any,
    ) -> Task:
        """Create a task now; `fields` override its poll body, `input` is the create request."""
        record = self.app.tasks.create(api, scenario, owner, input, fields)
        return self._task(record)

    def task(self, api: str, task_id: Any) -> Task:
        """The handle of a task created any way (e.g. by the client under test)."""
        record = self.app.tasks.store.get(api, task_id)
        if record is None:
            raise TaskmockError(f"no {api} task {task_id!r}")
        return self._task(record)

    def tasks(self, api: str | None = None) -> list[Task]:
        """Every task, oldest first."""
        return [self._task(record) for record in self.app.tasks.store.all(api)]

    def _task(self, record: TaskRecord) -> Task:
        behaviour = self.app.tasks.behaviour(record.api)
        poll = next(op for op in behaviour.operations.values() if op.role == "poll")
        path = poll.path_for(record.id)
        return Task(record.api, record.id, path, self.url + path, self)

    def fail(self, task: Task) -> Task:
        """Fail the task now."""
        self.app.tasks.force(task.record, self.app.tasks.forced_state(task.api, "failed"))
        return task

    def cancel(self, task: Task) -> Task:
        """Cancel the task now."""
        self.app.tasks.force(task.record, self.app.tasks.forced_state(task.api, "cancelled"))
        return task

    def throttle(
        self, api: str, count: int = 1, retry_after: int = 1, operation: str | None = None
    ) -> None:
        """Answer the next `count` requests to `api` with its rate-limit error (e.g. 429)."""
        if "rate-limited" not in self.app.tasks.behaviour(api).errors:
            raise TaskmockError(f"{api} documents no rate limiting")
        self.app.faults.add(Fault(api, count, retry_after, operation))

    # --- time ----------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """The mock's current time (seconds since the epoch)."""
        return self.app.tasks.clock.now()

    def advance(self, seconds: float) -> float:
        """Move the manual clock forward; usable as a client's `sleep`. Returns the new time."""
        clock = self.app.tasks.clock
        if not isinstance(clock, ManualClock):
            raise TaskmockError(
                f"the clock is {clock.kind}; use @pytest.mark.taskmock(clock='manual')"
            )
        return clock.advance(seconds)

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
        return list(self.app.journal)

    def requests_for(self, task: Task) -> list[JournalEntry]:
        """The vendor requests that concerned one task."""
        return [
            entry
            for entry in self.app.journal
            if entry.task_id == str(task.id) and entry.api == task.api
        ]

    def problems(self) -> list[str]:
        """Requests the specs do not allow: unmatched routes and requests that break the spec."""
        return [
            f"{entry.method} {entry.path}: {entry.problem}"
            for entry in _problem_entries(self.app.journal)
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
