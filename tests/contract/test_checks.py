"""Every check catches a server that breaks exactly its rule; the faithful mock passes every check.

A broken server is the real mock with one thing changed on the way in or out, served over real HTTP.
The runner polls on the mock's virtual clock (its sleep advances the clock), so nothing waits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from taskmock._checks.lifecycle import ERROR, WARNING
from taskmock._checks.runner import CheckRun, HttpTarget, run_checks
from taskmock._core.clock import ManualClock
from taskmock._core.scenario import load_behaviour
from taskmock._core.spec import load_api
from taskmock._http.app import MockApp, MockConfig
from taskmock._http.faults import Fault
from taskmock._http.messages import Request, Response
from tests.support import API_NAMES, LiveMock, start_live_mock

Mutation = Callable[[dict[str, Any], int], dict[str, Any]]


class BrokenMock(MockApp):
    """The mock, with poll bodies rewritten by `mutate(body, poll_number)` and requests by `tamper`."""

    def __init__(
        self,
        mutate: Mutation | None = None,
        tamper: Callable[[Request], Request] | None = None,
        answer: Callable[[Request], Response | None] | None = None,
    ) -> None:
        super().__init__(MockConfig(clock=ManualClock()))
        self.mutate, self.tamper, self.answer = mutate, tamper, answer
        self.polls = 0

    def handle(self, request: Request) -> Response:
        if self.tamper:
            request = self.tamper(request)
        if self.answer and (canned := self.answer(request)) is not None:
            return canned
        response = super().handle(request)
        is_poll = request.method == "GET" and not request.path.startswith("/__taskmock")
        if self.mutate and is_poll and response.status == 200:
            body = json.loads(response.body)
            if isinstance(body, dict) and (
                "status" in body or "step" in body
            ):  # a task, not an error
                self.polls += 1
                response = Response(
                    200, json.dumps(self.mutate(body, self.polls)).encode(), response.headers
                )
        return response


@pytest.fixture
def serve() -> Iterator[Callable[[MockApp], LiveMock]]:
    started: list[LiveMock] = []

    def start(app: MockApp) -> LiveMock:
        live = start_live_mock(app=app)
        started.append(live)
        return live

    yield start
    for live in started:
        live.stop()


def check(live: LiveMock, api: str, scenario: str = "success", **options: Any) -> CheckRun:
    record = live.app.tasks.create(api, scenario)
    clock = live.clock
    behaviour = load_behaviour(api)
    # An API not served at its root paths is under /<api>; a poll that sends the task's name in
    # its body knows the task by that name.
    target = HttpTarget(live.base_url + behaviour.base_path, max_requests=500, sleep=clock.advance)
    poll = live.app.tasks.poll_request(record)
    task_id = str(record.id) if poll.method == "GET" else _sent(poll.body)
    return run_checks(
        load_api(api),
        target,
        behaviour.auth.example,  # the mock's example credential, whole
        [task_id],
        poll_interval=5,
        max_wait=3600,
        now=clock.now,
        **options,
    )


def _sent(body: Any) -> str:
    """The one value a poll's JSON body carries (the task's name)."""
    while isinstance(body, dict):
        (body,) = body.values()
    return str(body)


def errors(run: CheckRun) -> set[str]:
    return {f.rule for f in run.findings if f.severity == ERROR}


def _set(key: str, value: Any) -> Mutation:
    return lambda body, n: {**body, key: value}


def _after_terminal(key: str, value: Any, terminal: Any) -> Mutation:
    seen: dict[str, bool] = {}

    def mutate(body: dict[str, Any], n: int) -> dict[str, Any]:
        if seen.get("terminal"):
            return {**body, key: value}
        seen["terminal"] = body.get(key) == terminal
        return body

    return mutate


def _queue_after_processing(body: dict[str, Any], n: int) -> dict[str, Any]:
    return {**body, "status": 0 if body["status"] == 1 and n % 2 == 0 else body["status"]}


def _progress_down(body: dict[str, Any], n: int) -> dict[str, Any]:
    return {**body, "processing_progress": round(1 - body["processing_progress"], 4)}


def _request_time_moves(body: dict[str, Any], n: int) -> dict[str, Any]:
    return {**body, "request_time": f"2024-01-01T00:{n % 60:02d}:00.000Z"}


def _finish_before_start(body: dict[str, Any], n: int) -> dict[str, Any]:
    if body["step"] == "done":
        return {**body, "finish_time": "2000-01-01T00:00:00.000Z"}
    return body


def _output_while_queued(body: dict[str, Any], n: int) -> dict[str, Any]:
    if body["status"] == 0:
        return {
            **body,
            "output_video": {
                "id": 1,
                "job_id": body["id"],
                "name": "x",
                "created_at": body["started"],
                "file": "http://example.invalid/x.mp4",
            },
        }
    return body


def _file_id_early(body: dict[str, Any], n: int) -> dict[str, Any]:
    return {**body, "file_id": body["file_id"] or "123"}


def _no_finish_time_at_done(body: dict[str, Any], n: int) -> dict[str, Any]:
    return {**body, "finish_time": None} if body["step"] == "done" else body


BROKEN: list[tuple[str, str, Mutation]] = [
    ("declared-state", "tensorpix", _set("status", 3)),
    ("declared-state", "hailuo", _set("status", ["Success"])),  # unhashable: no crash either
    ("terminal-final", "tensorpix", _after_terminal("status", 1, 2)),
    ("progress-monotone", "tensorpix", _progress_down),
    ("timestamp-stable", "kokoon", _request_time_moves),
    ("timestamp-order", "kokoon", _finish_before_start),
    ("field-rule", "tensorpix", _output_while_queued),
    ("field-rule", "hailuo", _file_id_early),
    ("field-rule", "kokoon", _no_finish_time_at_done),
    ("id-echo", "tensorpix", lambda body, n: {**body, "id": body["id"] + 1}),
    ("schema", "tensorpix", _set("cost_usd", 1.2)),
    ("schema", "kokoon", _set("progress", 12)),
]


def test_an_impossible_transition_is_caught_as_a_warning_where_transitions_are_inferred(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    run = check(serve(BrokenMock(_queue_after_processing)), "tensorpix")
    assert {(f.rule, f.severity) for f in run.findings} == {("allowed-transition", WARNING)}
    assert not run.failed()
    assert run.failed(strict=True)


@pytest.mark.parametrize(("rule", "api", "mutate"), BROKEN, ids=[f"{r}-{a}" for r, a, _ in BROKEN])
def test_each_lifecycle_and_schema_rule_catches_its_broken_server(
    serve: Callable[[MockApp], LiveMock], rule: str, api: str, mutate: Mutation
) -> None:
    run = check(serve(BrokenMock(mutate)), api)
    assert rule in errors(run), [str(f) for f in run.findings]


def _accept_anything() -> Callable[[Request], Request]:
    """A server that lets every request through, as if it carried a valid token."""

    def tamper(request: Request) -> Request:
        current = request.headers.get("authorization")
        if current is None or not current.startswith(("Token ", "eyJ", "Bearer ")):
            headers = {**request.headers, "authorization": "Token abc"}
            return Request(
                request.method,
                request.path,
                request.query_string,
                headers,
                request.body,
                request.base_url,
            )
        return request

    return tamper


@pytest.mark.parametrize("rule", ["credential-required", "credential-checked"])
def test_a_server_that_accepts_any_credential_is_caught(
    serve: Callable[[MockApp], LiveMock], rule: str
) -> None:
    run = check(serve(BrokenMock(tamper=_accept_anything())), "tensorpix")
    assert rule in errors(run)


def test_a_server_that_answers_unknown_ids_with_a_task_is_caught(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    def answer(request: Request) -> Response | None:
        if request.path == "/api/jobs/999999999/":
            return Response(
                200,
                json.dumps({"id": 999999999, "status": 1}).encode(),
                [("content-type", "application/json")],
            )
        return None

    run = check(serve(BrokenMock(answer=answer)), "tensorpix")
    assert "unknown-id" in errors(run)


def test_an_error_in_the_wrong_shape_is_caught(serve: Callable[[MockApp], LiveMock]) -> None:
    def answer(request: Request) -> Response | None:
        if request.path == "/api/jobs/999999999/":
            return Response(404, b'{"error": "nope"}', [("content-type", "application/json")])
        return None

    run = check(serve(BrokenMock(answer=answer)), "tensorpix")
    assert "unknown-id" in errors(run)


def test_a_poll_that_fails_is_caught(serve: Callable[[MockApp], LiveMock]) -> None:
    def answer(request: Request) -> Response | None:
        if request.path.startswith("/api/jobs/5000/"):
            return Response(500, b"boom", [("content-type", "text/plain")])
        return None

    run = check(serve(BrokenMock(answer=answer)), "tensorpix")
    assert {"schema", "poll"} <= errors(run)


def test_kokoon_status_codes_are_only_warnings(serve: Callable[[MockApp], LiveMock]) -> None:
    def answer(request: Request) -> Response | None:
        if request.path.endswith("/task/taskmock-probe-unknown-id"):
            return Response(
                400, b'{"message": "fail to get result."}', [("content-type", "application/json")]
            )
        return None

    run = check(serve(BrokenMock(answer=answer)), "kokoon")
    assert not run.failed()
    assert [(f.rule, f.severity) for f in run.findings] == [("unknown-id", WARNING)]
    assert run.failed(strict=True)


# Three probes, an unknown id, schema and lifecycle; a fourth probe where a prefix is documented.
CHECKS_RUN = {
    "kokoon": 5,
    "tensorpix": 6,
    "hailuo": 6,
    "replicate": 6,
    "fal": 6,
    "runway": 6,
    "luma": 6,
    "minimax": 6,
    "kling": 6,
    "veo": 6,
}
SCENARIOS = [(api, name) for api in API_NAMES for name in load_behaviour(api).scenarios]


@pytest.mark.parametrize(("api", "scenario"), SCENARIOS)
def test_the_faithful_mock_passes_every_check(
    serve: Callable[[MockApp], LiveMock], api: str, scenario: str
) -> None:
    run = check(serve(MockApp(MockConfig(clock=ManualClock()))), api, scenario)
    assert run.findings == []
    assert len(run.checks) == CHECKS_RUN[api]
    assert run.polls[next(iter(run.polls))] >= 3  # it really followed the task through its states


def test_the_runner_honours_retry_after_and_its_budget(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    live = serve(MockApp(MockConfig(clock=ManualClock())))
    live.app.faults.add(Fault("tensorpix", 2, 30))
    run = check(live, "tensorpix")
    assert run.findings == []
    assert any("throttled 2 time(s)" in note for note in run.notes)
    record = live.app.tasks.create("tensorpix", "slow-queue")
    target = HttpTarget(live.base_url, max_requests=3, sleep=live.clock.advance)
    limited = run_checks(
        load_api("tensorpix"),
        target,
        "abc",
        [str(record.id)],
        poll_interval=5,
        max_wait=3600,
        now=live.clock.now,
    )
    assert target.sent == 3
    assert any("--max-requests" in note for note in limited.notes)


def test_cli_exit_codes_against_a_broken_and_a_faithful_server(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    for app, code, phrase in [
        (BrokenMock(_set("status", 3)), 1, "declared-state"),
        (MockApp(MockConfig(clock=ManualClock())), 0, "conformant: 0 error(s)"),
    ]:
        live = serve(app)
        record = live.app.tasks.create("tensorpix")
        live.clock.advance(3600)  # terminal already: the CLI polls once and never waits
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "taskmock",
                "check",
                "--api",
                "tensorpix",
                "--base-url",
                live.base_url,
                "--token",
                "abc",
                "--task-id",
                str(record.id),
                "--max-wait",
                "0",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == code, result.stdout + result.stderr
        assert phrase in result.stdout


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "taskmock", "check", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_cli_create_writes_json_and_junit(
    serve: Callable[[MockApp], LiveMock], tmp_path: Any
) -> None:
    live = serve(MockApp(MockConfig(clock=ManualClock(), example_tasks=False)))
    report, junit = tmp_path / "report.json", tmp_path / "report.xml"
    result = _cli(
        "--api",
        "tensorpix",
        "--base-url",
        live.base_url,
        "--create",
        "--max-wait",
        "0",
        "--json",
        str(report),
        "--junit",
        str(junit),
        env={"TASKMOCK_TOKEN": "abc"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "creating one task, the spec's cheapest (A preview job: free" in result.stderr
    assert "POST /api/jobs/" in result.stderr
    (task,) = live.app.tasks.store.all("tensorpix")
    assert task.input["preview"] is True  # the cheapest task the vendor offers
    document = json.loads(report.read_text())
    assert document["conformant"] is True
    assert [c["check"] for c in document["checks"]] == [
        "credential-required",
        "credential-checked",
        "credential-prefix",
        "unknown-id",
        "schema",
        "lifecycle",
    ]
    assert any("--max-wait passed" in note for note in document["notes"])
    assert junit.read_text().startswith('<testsuite name="taskmock check tensorpix" tests="6"')


def test_cli_reports_findings_in_json_and_junit(
    serve: Callable[[MockApp], LiveMock], tmp_path: Any
) -> None:
    live = serve(BrokenMock(_set("cost_usd", 1.2)))
    record = live.app.tasks.create("tensorpix")
    live.clock.advance(3600)
    report, junit = tmp_path / "report.json", tmp_path / "report.xml"
    result = _cli(
        "--api",
        "tensorpix",
        "--base-url",
        live.base_url,
        "--token",
        "Token abc",
        "--task-id",
        str(record.id),
        "--max-wait",
        "0",
        "--json",
        str(report),
        "--junit",
        str(junit),
    )
    assert result.returncode == 1
    assert "FAIL  schema" in result.stdout
    assert "/cost_usd: 1.2 is not of type 'string'" in result.stdout
    finding = json.loads(report.read_text())["findings"][0]
    assert (finding["rule"], finding["path"], finding["actual"]) == ("schema", "/cost_usd", 1.2)
    assert 'failures="1"' in junit.read_text()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["--api", "tensorpix", "--base-url", "http://127.0.0.1:9", "--task-id", "1"],
            "a credential is needed",
        ),
        (
            ["--api", "tensorpix", "--base-url", "ftp://x", "--token", "t", "--task-id", "1"],
            "must start with http",
        ),
        (
            ["--api", "tensorpix", "--base-url", "http://127.0.0.1:9", "--token", "t"],
            "nothing to check",
        ),
        (
            ["--api", "tensorpics", "--base-url", "http://x", "--token", "t", "--task-id", "1"],
            "did you mean 'tensorpix'",
        ),
        (
            [
                "--api",
                "kokoon",
                "--base-url",
                "http://127.0.0.1:9",
                "--token",
                "t",
                "--task-id",
                "1",
                "--max-requests",
                "0",
            ],
            "--max-requests must be at least 1",
        ),
        (
            [
                "--api",
                "kokoon",
                "--base-url",
                "http://127.0.0.1:9",
                "--token",
                "t",
                "--task-id",
                "1",
            ],
            "cannot reach",
        ),
        (["--base-url", "http://x"], "one of the arguments --api --spec is required"),
    ],
)
def test_cli_usage_errors_exit_2(args: list[str], fragment: str) -> None:
    result = _cli(*args, env={"TASKMOCK_TOKEN": ""})
    assert result.returncode == 2, result.stdout
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


# What the spec's extensions drive: business errors in a 200 body, a credential prefix, an unknown
# id shaped by the id parameter's schema, severity by provenance.

_JSON = [("content-type", "application/json")]


def _answer(path: str, status: int, body: Any) -> Callable[[Request], Response | None]:
    def answer(request: Request) -> Response | None:
        if request.path == path:
            return Response(status, json.dumps(body).encode(), _JSON)
        return None

    return answer


def test_an_unknown_id_status_that_differs_from_an_inferred_choice_is_a_warning(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    # The spec says (inferred) that an unknown task gets HTTP 200 with code 2013; a 404 with the
    # same body only differs from a guess.
    not_found = {"base_resp": {"status_code": 2013, "status_msg": "task not found"}}
    run = check(
        serve(BrokenMock(answer=_answer("/task/taskmock-probe-unknown-id", 404, not_found))),
        "hailuo",
    )
    assert [(f.rule, f.severity) for f in run.findings] == [("unknown-id", WARNING)]
    assert not run.failed()
    assert run.failed(strict=True)


def test_an_unknown_id_status_that_contradicts_a_documented_one_is_an_error(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    # TensorPix documents its 404 (not inferred): a 400 contradicts it.
    run = check(
        serve(BrokenMock(answer=_answer("/api/jobs/999999999/", 400, {"detail": "Not found."}))),
        "tensorpix",
    )
    assert [(f.rule, f.severity) for f in run.findings] == [("unknown-id", ERROR)]


def test_an_error_shape_the_spec_marks_inferred_is_a_warning(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    # Kokoon's 401 body is inferred ({"message"}); another shape only differs from a guess.
    def answer(request: Request) -> Response | None:
        if "authorization" not in request.headers:
            return Response(401, b'{"error": "no token"}', _JSON)
        return None

    run = check(serve(BrokenMock(answer=answer)), "kokoon")
    assert {(f.rule, f.severity) for f in run.findings} == {("credential-required", WARNING)}


def test_a_refusal_in_a_200_body_is_read_through_x_business_errors(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    # MiniMax may refuse a credential in a 200 body: code 1004 means unauthorized.
    def answer(request: Request) -> Response | None:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            refused = {"base_resp": {"status_code": 1004, "status_msg": "authorization failed"}}
            return Response(200, json.dumps(refused).encode(), _JSON)
        return None

    assert check(serve(BrokenMock(answer=answer)), "hailuo").findings == []


def test_a_200_body_with_a_success_code_is_not_a_refusal(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    def answer(request: Request) -> Response | None:
        if "authorization" not in request.headers:
            served = {"base_resp": {"status_code": 0, "status_msg": "success"}}
            return Response(200, json.dumps(served).encode(), _JSON)
        return None

    run = check(serve(BrokenMock(answer=answer)), "hailuo")
    (finding,) = [f for f in run.findings if f.rule == "credential-required"]
    assert (finding.severity, finding.message) == (ERROR, "the request was not refused")


def test_a_refusal_code_that_does_not_mean_unauthorized_is_caught(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    def answer(request: Request) -> Response | None:
        if "authorization" not in request.headers:
            wrong = {"base_resp": {"status_code": 2013, "status_msg": "invalid params"}}
            return Response(401, json.dumps(wrong).encode(), _JSON)
        return None

    run = check(serve(BrokenMock(answer=answer)), "hailuo")
    (finding,) = run.findings
    assert (finding.rule, finding.path, finding.expected, finding.actual) == (
        "credential-required",
        "/base_resp/status_code",
        [1004],
        2013,
    )
    assert finding.severity == WARNING  # x-business-errors is inferred for this API


def test_an_unknown_id_answered_with_a_code_that_does_not_mean_not_found_is_caught(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    wrong = {"base_resp": {"status_code": 1000, "status_msg": "unknown error"}}
    run = check(
        serve(BrokenMock(answer=_answer("/task/taskmock-probe-unknown-id", 200, wrong))), "hailuo"
    )
    (finding,) = run.findings
    assert (finding.rule, finding.expected, finding.actual) == ("unknown-id", [2013], 1000)


def test_a_poll_answered_with_a_business_error_is_caught(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    def answer(request: Request) -> Response | None:
        if request.path.startswith("/task/") and "probe" not in request.path:
            gone = {"base_resp": {"status_code": 2013, "status_msg": "invalid params"}}
            return Response(200, json.dumps(gone).encode(), _JSON)
        return None

    run = check(serve(BrokenMock(answer=answer)), "hailuo")
    (finding,) = [f for f in run.findings if f.rule == "poll"]
    assert finding.severity == ERROR
    assert "business code 2013 (not-found)" in finding.message


def test_a_rate_limit_in_a_200_body_is_waited_out_not_reported(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    # The mock throttles in MiniMax's shape: HTTP 200, code 1002 (x-business-errors: rate-limited).
    live = serve(MockApp(MockConfig(clock=ManualClock())))
    live.app.faults.add(Fault("hailuo", 2, 30))
    run = check(live, "hailuo")
    assert run.findings == []
    assert any("throttled 2 time(s)" in note for note in run.notes)


def _bare_token_accepted(request: Request) -> Request:
    """A server that takes a TensorPix key without its documented `Token ` prefix."""
    current = request.headers.get("authorization", "")
    if current.isalnum():
        headers = {**request.headers, "authorization": f"Token {current}"}
        return Request(
            request.method,
            request.path,
            request.query_string,
            headers,
            request.body,
            request.base_url,
        )
    return request


def test_a_server_that_accepts_a_token_without_its_documented_prefix_is_caught(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    run = check(serve(BrokenMock(tamper=_bare_token_accepted)), "tensorpix")
    assert errors(run) == {"credential-prefix"}


def test_a_bare_token_is_sent_with_the_spec_s_prefix(serve: Callable[[MockApp], LiveMock]) -> None:
    live = serve(MockApp(MockConfig(clock=ManualClock())))
    record = live.app.tasks.create("tensorpix")
    target = HttpTarget(live.base_url, sleep=live.clock.advance)
    run = run_checks(load_api("tensorpix"), target, "abc", [str(record.id)], now=live.clock.now)
    assert run.findings == []
    assert run.final_states == {str(record.id): 2}


def _uuid_spec(tmp_path: Any) -> Any:
    """Kokoon's spec with its task id declared a uuid (the real ids are uuids)."""
    from taskmock._core.spec import load_spec
    from tests.support import spec_path

    text = spec_path("kokoon").read_text(encoding="utf-8")
    old = "          description: task unique id.\n          schema: { type: string }\n"
    assert old in text
    path = tmp_path / "kokoon.yaml"
    path.write_text(
        text.replace(old, old.replace("{ type: string }", "{ type: string, format: uuid }")),
        encoding="utf-8",
    )
    return load_spec(path)


def test_the_unknown_id_probe_is_shaped_by_the_id_schema(
    serve: Callable[[MockApp], LiveMock], tmp_path: Any
) -> None:
    # A server that answers any well-formed uuid with a task, and a malformed id with 404: only a
    # probe shaped like a real id finds it out.
    import re

    uuid_path = re.compile(r"/kokoon/api/sr/v4/task/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-")

    def answer(request: Request) -> Response | None:
        if uuid_path.match(request.path) and request.path.endswith("-000000000000"):
            task = {"tid": request.path.rsplit("/", 1)[1], "step": "running"}
            return Response(200, json.dumps(task).encode(), _JSON)
        return None

    live = serve(BrokenMock(answer=answer))
    record = live.app.tasks.create("kokoon", "success")
    token = load_behaviour("kokoon").auth.example
    for spec, caught in ((load_api("kokoon"), False), (_uuid_spec(tmp_path), True)):
        target = HttpTarget(live.base_url, sleep=live.clock.advance)
        run = run_checks(spec, target, token, [str(record.id)], now=live.clock.now)
        assert ("unknown-id" in errors(run)) is caught, [str(f) for f in run.findings]


def test_the_poll_operation_can_be_chosen_and_may_take_its_id_in_the_query(
    serve: Callable[[MockApp], LiveMock],
) -> None:
    from taskmock._core.contract import Contract

    live = serve(MockApp(MockConfig(clock=ManualClock())))
    record = live.app.tasks.create("hailuo", "success")
    contract = Contract.from_spec(load_api("hailuo"), poll="minimax_query_video_generation")
    target = HttpTarget(live.base_url, sleep=live.clock.advance)
    run = run_checks(contract, target, "sk-test", [str(record.id)], now=live.clock.now)
    assert run.findings == []
    assert run.final_states == {str(record.id): "Success"}
    operations = {entry.operation for entry in live.app.journal}
    assert "minimax_query_video_generation" in operations
    assert "vapi_task_get" not in operations


def test_an_undeclared_state_is_a_warning_where_the_states_are_inferred() -> None:
    from dataclasses import replace as evolve

    from taskmock._checks.lifecycle import Poll, lifecycle_findings

    lifecycle = load_api("tensorpix").lifecycles["Job"]
    polls = [Poll(0.0, {"id": 1, "status": 7})]
    for source, severity in (("vendor-docs", ERROR), ("inferred", WARNING)):
        declared = evolve(lifecycle, source={**lifecycle.source, "states": source})
        found = [f.severity for f in lifecycle_findings(declared, 1, polls)]
        assert found == [severity]
