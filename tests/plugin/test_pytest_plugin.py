"""The pytest plugin as users meet it: a test file in a fresh project, run with pytester."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

CLIENT = """
import json, urllib.request

def get(url, headers):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
        return json.load(response)
"""


def test_a_new_users_first_test_passes_without_sleeping(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        CLIENT
        + """
def download_when_done(base_url, token, job_id, sleep):
    while True:
        job = get(f"{base_url}/api/jobs/{job_id}/", {"Authorization": token})
        if job["status"] == 2:
            with urllib.request.urlopen(job["output_video"]["file"]) as response:
                return response.read()
        sleep(30)

def test_client_downloads_the_output(taskmock):
    job = taskmock.create("tensorpix")
    taskmock.advance(600)  # ten minutes of virtual time
    video = download_when_done(taskmock.base_url("tensorpix"), taskmock.token("tensorpix"), job.id,
                               sleep=taskmock.advance)
    assert video[4:8] == b"ftyp"
    assert len(taskmock.requests) == 1
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_every_test_gets_a_fresh_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
import pytest

@pytest.mark.parametrize("run", [1, 2])
def test_isolated(taskmock, run):
    assert taskmock.tasks() == []
    assert taskmock.create("tensorpix").id == 5000
    assert taskmock.requests == []
""")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_unmatched_route_is_raised_at_teardown_naming_the_nearest(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        CLIENT
        + """
import urllib.error

def test_typo(taskmock):
    try:
        get(taskmock.base_url() + "/api/jobz/5000/", taskmock.headers("tensorpix"))
    except urllib.error.HTTPError as error:
        with error:
            assert error.code == 404
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*ServerProblems*", "*GET /api/jobz/5000/*nearest: GET /api/jobs/{id}/*"]
    )


def test_invalid_request_body_is_a_problem_unless_allowed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
import json, urllib.request, urllib.error, pytest

def post(taskmock):
    request = urllib.request.Request(taskmock.base_url() + "/api/jobs/", data=b'{"ml_models": []}',
                                     method="POST", headers={**taskmock.headers("tensorpix"),
                                                             "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    with caught.value as error:
        assert error.code == 400

def test_strict(taskmock):
    post(taskmock)

@pytest.mark.taskmock(allow_problems=True)
def test_on_purpose(taskmock):
    post(taskmock)
""")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_strict*", "*POST /api/jobs/: bad-request*"]
    )


def test_marker_configures_seed_clock_and_apis(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
import pytest
from taskmock.errors import TaskmockError, UnknownNameError

def test_default_seed(taskmock):
    assert taskmock.create("hailuo").id == "920155444106377"

@pytest.mark.taskmock(seed=7)
def test_seeded(taskmock):
    assert taskmock.create("hailuo").id != "920155444106377"

@pytest.mark.taskmock(clock="wall")
def test_wall_clock_cannot_be_advanced(taskmock):
    with pytest.raises(TaskmockError, match="clock is wall"):
        taskmock.advance(1)

@pytest.mark.taskmock(apis=["kokoon"])
def test_only_kokoon(taskmock):
    with pytest.raises(UnknownNameError, match="unknown API 'tensorpix'; known: kokoon"):
        taskmock.create("tensorpix")

@pytest.mark.taskmock(colour="blue")
def test_bad_option(taskmock):
    pass
""")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(["*unknown option(s) colour*"])


def test_overriding_the_config_fixture(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
import pytest
from taskmock._core.clock import ManualClock
from taskmock._http.app import MockConfig

@pytest.fixture
def taskmock_config():
    return MockConfig(clock=ManualClock(start=0.0), seed=3, apis=("tensorpix",))
""")
    pytester.makepyfile("""
def test_uses_the_override(taskmock):
    assert taskmock.now == 0.0
    assert list(taskmock.app.tasks.behaviours) == ["tensorpix"]
""")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_fail_cancel_run_to_end_and_clients_in_threads(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        CLIENT
        + """
from concurrent.futures import ThreadPoolExecutor

def test_controls(taskmock):
    done = taskmock.create("kokoon")
    assert taskmock.run_to_end(done) == "done"
    failed = taskmock.fail(taskmock.create("tensorpix"))
    cancelled = taskmock.cancel(taskmock.create("tensorpix"))
    assert (failed.state, cancelled.state) == (-1, -2)
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: get(done.poll_url, taskmock.headers("kokoon")), range(32)))
    assert {body["step"] for body in bodies} == {"done"}
    assert len(taskmock.requests_for(done)) == 32
"""
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_safe_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
import pytest

@pytest.mark.parametrize("n", range(8))
def test_parallel(taskmock, n):
    task = taskmock.create("tensorpix")
    taskmock.advance(n)
    assert task.id == 5000
    assert taskmock.now == 1704067200.0 + n
""")
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=8)


def _user_catalog(pytester: pytest.Pytester, folder: str, name: str) -> None:
    from tests.support import scenario_path, spec_path

    root = pytester.path / folder
    (root / "specs").mkdir(parents=True)
    (root / "mocks").mkdir()
    (root / "specs" / f"{name}.yaml").write_text(spec_path("hailuo").read_text())
    scenario = scenario_path("hailuo").read_text().replace("api: hailuo", f"api: {name}")
    (root / "mocks" / f"{name}.yaml").write_text(scenario + "\nroot: false\n")


def test_catalogs_come_from_the_ini_file_and_the_marker(pytester: pytest.Pytester) -> None:
    _user_catalog(pytester, "apis", "acme")
    _user_catalog(pytester, "more", "zeta")
    pytester.makeini("[pytest]\ntaskmock_catalog =\n    apis\n")
    pytester.makepyfile(
        CLIENT
        + """
import pytest

def test_the_ini_catalog(taskmock):
    task = taskmock.create("acme")
    assert taskmock.base_url("acme").endswith("/acme")
    taskmock.advance(3600)
    body = get(task.poll_url, {"Authorization": taskmock.token("acme")})
    assert body["status"] == "Success"
    assert "zeta" not in taskmock.app.tasks.behaviours

@pytest.mark.taskmock(catalogs=["more"])
def test_the_marker_adds_one(taskmock):
    assert {"acme", "zeta"} <= set(taskmock.app.tasks.behaviours)

@pytest.mark.taskmock(catalogs=["nowhere"])
def test_a_missing_catalog_is_a_clear_error(taskmock):
    pass
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*taskmock: *nowhere: *a catalog is a folder*"])
    assert "Traceback" not in result.stdout.str()
