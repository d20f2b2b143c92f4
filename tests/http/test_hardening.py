"""What an attack on `taskmock serve` found (issue 9), each fixed, over real HTTP on 127.0.0.1.

Every test here failed before its fix. Timings are compared within one run, with wide margins.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

from taskmock._core.clock import MANUAL_EPOCH, ManualClock
from taskmock._core.tasks import Capacity
from taskmock._http.app import MockApp, MockConfig
from taskmock._http.journal import FIELD_LIMIT
from tests.http.test_vendor_lifecycles import AUTH
from tests.support import LiveMock, assert_conforms, start_live_mock

ALICE = {"Authorization": "Token alice"}
BOB = {"Authorization": "Token bob"}


def _pipelined(mock: LiveMock, requests: list[bytes]) -> float:
    """Send every request in one write; seconds until every answer has arrived."""
    port = int(mock.base_url.rsplit(":", 1)[1])
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"".join(requests))
        received = b""
        while received.count(b"HTTP/1.1 ") < len(requests):
            chunk = sock.recv(1 << 20)
            assert chunk, "the server closed the connection early"
            received += chunk
    return time.perf_counter() - started


def _get(path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _create(mock: LiveMock, api: str = "tensorpix", **body: Any) -> dict[str, Any]:
    reply = mock.request("POST", "/__taskmock/tasks", {"api": api, **body})
    assert reply.status == 201, reply.body
    return reply.json()  # type: ignore[no-any-return]


# --- availability -------------------------------------------------------------------------------


def test_an_unmatched_route_costs_about_what_a_refused_credential_costs(mock: LiveMock) -> None:
    count = 1500
    refused = _pipelined(mock, [_get("/api/jobs/5000/")] * count)  # no credential: 401
    unmatched = _pipelined(mock, [_get(f"/api/jobz/{i}/x/y") for i in range(count)])
    # Before: a difflib scan of every route per miss, 3-7 ms each (about 8 s here).
    assert unmatched < 3 * refused + 0.5, (unmatched, refused)


def test_a_60_kb_unmatched_path_is_answered_at_once_with_a_hint(mock: LiveMock) -> None:
    path = "/api/" + "a" * 60_000
    started = time.perf_counter()
    reply = mock.request("GET", path)
    assert time.perf_counter() - started < 0.1  # before: about 0.5 s of difflib
    assert reply.status == 404
    assert reply.json()["nearest"].startswith("GET /api/")


def test_lists_answer_a_page_and_link_to_the_next(mock: LiveMock) -> None:
    for _ in range(250):
        mock.app.tasks.create("tensorpix", owner="Token alice")
    first = mock.request("GET", "/api/jobs/", headers=ALICE)
    assert_conforms("tensorpix", "jobs_list", first)
    page = first.json()
    assert (page["count"], len(page["results"]), page["previous"]) == (250, 100, None)
    assert page["next"] == f"{mock.base_url}/api/jobs/?limit=100&offset=100"
    last = mock.request("GET", "/api/jobs/?offset=200&limit=100", headers=ALICE).json()
    assert (len(last["results"]), last["next"]) == (50, None)
    assert last["previous"] == f"{mock.base_url}/api/jobs/?limit=100&offset=100"
    assert [job["id"] for job in last["results"]] == list(range(5200, 5250))
    biggest = mock.request("GET", "/api/jobs/?limit=100000", headers=ALICE).json()
    assert len(biggest["results"]) == 250  # a page holds at most 1000


def test_a_list_renders_only_its_page_and_lookups_use_indexes() -> None:
    app = MockApp(
        MockConfig(clock=ManualClock(), apis=("tensorpix", "hailuo"), example_tasks=False)
    )
    live = start_live_mock(app=app)
    try:
        for _ in range(20_000):
            app.tasks.create("tensorpix", owner="Token alice")
        for _ in range(5_000):
            app.tasks.create("hailuo", owner="Bearer sk-alice")
        app.tasks.clock.advance(3600)  # type: ignore[attr-defined]
        finished = app.tasks.find("tensorpix", 5000 + 19_999)
        assert finished is not None
        output_id = app.tasks.view(finished).body["output_video"]["id"]
        hailuo = list(app.tasks.visible("hailuo", None))[-1]
        file_id = app.tasks.view(hailuo).body["file_id"]
        timings = {}
        for name, path, headers in [
            ("jobs", "/api/jobs/", ALICE),
            ("control", "/__taskmock/tasks?limit=10", {}),
            ("restored", f"/api/restored-videos/{output_id}/", ALICE),
            (
                "files",
                f"/v1/files/retrieve?file_id={file_id}",
                {"Authorization": "Bearer sk-alice"},
            ),
        ]:
            started = time.perf_counter()
            reply = live.request("GET", path, headers=headers)
            timings[name] = time.perf_counter() - started
            assert reply.status == 200, (name, reply.body[:200])
        assert live.request("GET", "/__taskmock/tasks?limit=10").json()["count"] == 25_000
        # Before: every task rendered (seconds); now a page, or one indexed lookup.
        assert max(timings.values()) < 1.0, timings  # (before: 3-4 s for the list)
    finally:
        live.stop()


@pytest.mark.parametrize("kind", ["multipart", "form"])
def test_a_body_of_thousands_of_fields_gets_the_vendor_400_at_once(
    mock: LiveMock, kind: str
) -> None:
    if kind == "form":
        body = "&".join(f"f{i}=1" for i in range(8000)).encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        part = b'--XX\r\ncontent-disposition: form-data; name="f"\r\n\r\n1\r\n'
        body = part * 8000 + b"--XX--\r\n"
        content_type = "multipart/form-data; boundary=XX"
    started = time.perf_counter()
    reply = mock.request(
        "POST",
        "/api/jobs/",
        raw=body,
        headers={**AUTH["tensorpix"], "content-type": content_type},
    )
    assert time.perf_counter() - started < 0.5  # before: 6-7 s of parsing
    assert reply.status == 400
    assert "1000" in json.dumps(reply.json())
    assert_conforms("tensorpix", "jobs_create", reply)
    assert len(mock.app.tasks.store) == 0


# --- memory bounded in bytes --------------------------------------------------------------------


def test_the_journal_keeps_a_bounded_slice_of_each_request(mock: LiveMock) -> None:
    mock.request("GET", "/api/jobs/5000/?" + "q" * 60_000, headers={"Authorization": "x" * 60_000})
    mock.request("GET", "/nowhere/" + "p" * 60_000)
    for entry in mock.app.journal:
        for text in (entry.path, entry.query, entry.problem or ""):
            assert len(text) <= FIELD_LIMIT


def test_long_paths_credentials_and_hosts_are_not_kept_in_caches(mock: LiveMock) -> None:
    task = _create(mock)
    routes = mock.app.vendor.router._remembered
    before = routes.cache_info().currsize
    mock.request("GET", "/api/jobs/5000/" + "x" * 10_000)
    assert routes.cache_info().currsize == before
    credentials = mock.app.tasks.behaviour("tensorpix").auth._credentials
    before = credentials.cache_info().currsize  # type: ignore[attr-defined]
    mock.request("GET", "/api/jobs/5000/", headers={"Authorization": "Token " + "k" * 10_000})
    assert credentials.cache_info().currsize == before  # type: ignore[attr-defined]
    cached = mock.app.tasks.answers._fragment_bytes
    reply = mock.request(
        "GET", task["poll_path"], headers={**AUTH["tensorpix"], "Host": "h" * 10_000}
    )
    assert reply.status == 200
    # A forged Host is rendered, never cached.
    assert mock.app.tasks.answers._fragment_bytes == cached


def test_the_number_of_tasks_and_the_size_of_their_input_are_capped() -> None:
    capacity = Capacity(max_records=3, max_input_bytes=200, max_stored_input=350)
    live = start_live_mock(MockConfig(clock=ManualClock(), capacity=capacity, example_tasks=False))
    try:
        create = {"ml_models": [44], "input_video": 8801, "description": "x" * 300}
        reply = live.request("POST", "/api/jobs/", create, AUTH["tensorpix"])
        assert (reply.status, reply.headers["content-type"]) == (413, "application/problem+json")
        assert "200 bytes of input per task" in reply.json()["detail"]
        small = {"ml_models": [44], "input_video": 8801, "description": "x" * 120}
        assert live.request("POST", "/api/jobs/", small, AUTH["tensorpix"]).status == 201
        assert live.request("POST", "/api/jobs/", small, AUTH["tensorpix"]).status == 201
        full = live.request("POST", "/api/jobs/", small, AUTH["tensorpix"])
        assert full.status == 507
        assert "in all" in full.json()["detail"]
        assert live.request("POST", "/__taskmock/tasks", {"api": "kokoon"}).status == 201
        third = live.request("POST", "/__taskmock/tasks", {"api": "kokoon"})
        assert third.status == 507
        assert "at most 3 tasks" in third.json()["detail"]
        assert len(live.app.tasks.store) == 3
        assert live.request("POST", "/__taskmock/reset").status == 204
        assert live.request("POST", "/api/jobs/", small, AUTH["tensorpix"]).status == 201
    finally:
        live.stop()


# --- correct answers ----------------------------------------------------------------------------


def test_head_is_answered_wherever_get_is(mock: LiveMock) -> None:
    task = _create(mock)
    port = int(mock.base_url.rsplit(":", 1)[1])
    for path, headers in [(task["poll_path"], AUTH["tensorpix"]), ("/__taskmock/clock", {})]:
        answers = []
        for method in (b"GET ", b"HEAD "):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(_get(path, headers).replace(b"GET ", method, 1))
                answers.append(sock.recv(65536))
        get, head = answers
        assert head.startswith(b"HTTP/1.1 200 "), head
        assert head.endswith(b"\r\n\r\n")  # no body
        length = get.split(b"\r\n\r\n", 1)[1]
        assert f"content-length: {len(length)}".encode() in head


@pytest.mark.parametrize(
    "name", ['a".mp4', 'a"; filename="evil.sh"; x=".mp4', "a\x1b[31m.mp4", "a\x00.mp4", "a\x7f.mp4"]
)
def test_a_file_name_that_could_break_content_disposition_is_refused(
    mock: LiveMock, name: str
) -> None:
    from urllib.parse import quote

    reply = mock.request("GET", "/__taskmock/files/" + quote(name))
    assert reply.status == 404
    assert "content-disposition" not in reply.headers


def test_a_file_name_of_an_id_is_served(mock: LiveMock) -> None:
    reply = mock.request("GET", "/__taskmock/files/5000-input.mp4")
    assert reply.status == 200
    assert reply.headers["content-disposition"] == 'attachment; filename="5000-input.mp4"'


# --- bad input: a clear 4xx, never a 500, nothing changed ------------------------------------------


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_on_input(mock: LiveMock, constant: str) -> None:
    body = f'{{"ml_models": [44], "input_video": 8801, "grain": {constant}}}'.encode()
    reply = mock.request(
        "POST",
        "/api/jobs/",
        raw=body,
        headers={**AUTH["tensorpix"], "content-type": "application/json"},
    )
    assert reply.status == 400
    assert_conforms("tensorpix", "jobs_create", reply)
    control = mock.request(
        "POST",
        "/__taskmock/tasks",
        raw=f'{{"api": "tensorpix", "input": {{"a": {constant}}}}}'.encode(),
    )
    assert control.status == 400
    assert len(mock.app.tasks.store) == 0


def test_nan_in_a_form_is_a_word_not_a_number(mock: LiveMock) -> None:
    reply = mock.request(
        "POST",
        "/api/jobs/",
        raw=b"ml_models=44&input_video=8801&grain=nan",
        headers={**AUTH["tensorpix"], "content-type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 400  # grain is a number: "nan" is not one
    assert len(mock.app.tasks.store) == 0


def test_the_clock_cannot_be_advanced_past_year_9999_and_reset_restores_it(
    mock: LiveMock,
) -> None:
    for _ in range(300):
        reply = mock.request("POST", "/__taskmock/clock/advance", {"seconds": 1e9})
        if reply.status != 200:
            break
    assert reply.status == 422
    now = mock.request("GET", "/__taskmock/clock")
    assert now.status == 200
    assert now.json()["iso"] < "9999-12-31T23:59:59.999Z"
    created = mock.request(
        "POST", "/api/jobs/", {"ml_models": [44], "input_video": 1}, AUTH["tensorpix"]
    )
    assert created.status == 201
    assert (
        mock.request("GET", f"/api/jobs/{created.json()['id']}/", headers=AUTH["tensorpix"]).status
        == 200
    )
    assert mock.request("POST", "/__taskmock/reset").status == 204
    assert mock.request("GET", "/__taskmock/clock").json()["now"] == MANUAL_EPOCH


@pytest.mark.parametrize(
    ("path", "auth"),
    [
        ("/api/jobs/", AUTH["tensorpix"]),
        ("/__taskmock/clock/advance", {}),
        ("/__taskmock/tasks", {}),
    ],
)
def test_json_nested_a_thousand_levels_deep_is_a_400(
    mock: LiveMock, path: str, auth: dict[str, str]
) -> None:
    body = b'{"a": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    reply = mock.request(
        "POST", path, raw=body, headers={**auth, "content-type": "application/json"}
    )
    assert reply.status == 400, reply.body[:300]
    assert b"nested" in reply.body


@pytest.mark.parametrize("operation", [["jobs_list"], {"a": 1}, 7])
def test_a_fault_whose_operation_is_not_a_string_is_a_422(mock: LiveMock, operation: Any) -> None:
    reply = mock.request(
        "POST", "/__taskmock/faults", {"api": "tensorpix", "count": 1, "operation": operation}
    )
    assert reply.status == 422
    assert mock.app.faults.pending() == []


def test_restored_video_ids_are_unique_and_deleting_one_is_the_owners_business(
    mock: LiveMock,
) -> None:
    for _ in range(300):
        mock.app.tasks.create("tensorpix", owner="Token alice")
        mock.app.tasks.create("tensorpix", owner="Token bob")
    mock.clock.advance(3600)
    ids = [
        mock.app.tasks.view(r).body["output_video"]["id"]
        for r in mock.app.tasks.visible("tensorpix", None)
    ]
    assert len(set(ids)) == len(ids) == 600
    bobs = mock.request("GET", "/api/restored-videos/?limit=1", headers=BOB).json()["results"][0][
        "id"
    ]
    alices = mock.request("GET", "/api/restored-videos/?limit=1", headers=ALICE).json()["results"][
        0
    ]["id"]
    assert mock.request("DELETE", f"/api/restored-videos/{alices}/", headers=BOB).status == 404
    assert mock.request("DELETE", f"/api/restored-videos/{bobs}/", headers=BOB).status == 204
    assert mock.request("GET", f"/api/restored-videos/{bobs}/", headers=BOB).status == 404
    assert mock.request("GET", f"/api/restored-videos/{alices}/", headers=ALICE).status == 200
    assert mock.request("GET", "/api/restored-videos/", headers=BOB).json()["count"] == 299
    assert mock.request("GET", "/api/restored-videos/", headers=ALICE).json()["count"] == 300


def test_a_public_restored_video_deleted_by_one_owner_stays_for_another(mock: LiveMock) -> None:
    task = _create(mock)  # no owner: every token sees it
    mock.clock.advance(3600)
    video = mock.request("GET", task["poll_path"], headers=ALICE).json()["output_video"]["id"]
    assert mock.request("DELETE", f"/api/restored-videos/{video}/", headers=BOB).status == 204
    assert mock.request("GET", f"/api/restored-videos/{video}/", headers=BOB).status == 404
    assert mock.request("GET", f"/api/restored-videos/{video}/", headers=ALICE).status == 200


def test_an_empty_admin_token_is_refused() -> None:
    with pytest.raises(ValueError, match="admin_token is empty"):
        MockConfig(admin_token="")
    with pytest.raises(ValueError, match="empty token"):
        MockConfig(tokens=frozenset({""}))


def test_a_non_ascii_admin_token_matches_its_utf8_bytes() -> None:
    live = start_live_mock(MockConfig(clock=ManualClock(), admin_token="s\u00e9same"))
    try:
        port = int(live.base_url.rsplit(":", 1)[1])
        for token, status in [
            ("s\u00e9same".encode(), b"200"),
            ("s\u00e9same".encode("latin-1"), b"401"),
        ]:
            request = (
                b"GET /__taskmock/clock HTTP/1.1\r\nHost: x\r\nX-Taskmock-Admin-Token: "
                + token
                + b"\r\n\r\n"
            )
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(request)
                assert sock.recv(65536).startswith(b"HTTP/1.1 " + status)
    finally:
        live.stop()


def test_a_non_ascii_vendor_token_matches_its_utf8_bytes() -> None:
    live = start_live_mock(MockConfig(clock=ManualClock(), tokens=frozenset({"cl\u00e9"})))
    try:
        port = int(live.base_url.rsplit(":", 1)[1])
        task = live.app.tasks.create("hailuo")
        for token, status in [
            ("cl\u00e9".encode(), b"200"),
            ("cl\u00e9".encode("latin-1"), b"401"),
        ]:
            request = (
                f"GET /task/{task.id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ".encode()
                + token
                + b"\r\n\r\n"
            )
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(request)
                assert sock.recv(65536).startswith(b"HTTP/1.1 " + status)
    finally:
        live.stop()


@pytest.mark.parametrize(
    "alias",
    ["5_000", "+5000", "%205000%20", "\u0665\u0660\u0660\u0660", "0005000", "50%2F00", "5000%2F"],
)
def test_an_id_is_found_only_as_written(mock: LiveMock, alias: str) -> None:
    _create(mock)
    assert mock.request("GET", "/api/jobs/5000/", headers=AUTH["tensorpix"]).status == 200
    from urllib.parse import quote

    reply = mock.request("GET", f"/api/jobs/{quote(alias, safe='%')}/", headers=AUTH["tensorpix"])
    assert reply.status == 404
    assert_conforms("tensorpix", "jobs_retrieve", reply)


def test_unreserved_escapes_mean_their_characters(mock: LiveMock) -> None:
    _create(mock)
    assert mock.request("GET", "/api/job%73/5%30%30%30/", headers=AUTH["tensorpix"]).status == 200


def test_the_same_token_under_another_scheme_is_another_owner(mock: LiveMock) -> None:
    created = mock.request("POST", "/api/jobs/", {"ml_models": [44], "input_video": 1}, ALICE)
    assert created.status == 201
    path = f"/api/jobs/{created.json()['id']}/"
    assert mock.request("GET", path, headers=ALICE).status == 200
    assert mock.request("GET", path, headers={"Authorization": "Bearer alice"}).status == 404
    summary = mock.request("GET", "/__taskmock/tasks").json()["tasks"][0]
    assert summary["owner"] == "Token alice"
