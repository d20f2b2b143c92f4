"""A user's own APIs, from a wheel installed in a fresh venv, in a folder outside the repository.

The catalog is `examples/catalog/`: two APIs taskmock has never seen, written from the docs alone
(a render API with a status field; a clip API whose state is `done` plus `error` or `response`).
Every command that loads APIs takes them: `specs validate`, `serve`, `check` and the pytest
fixture (`taskmock_catalog` in an ini file). No monkeypatching: only files and command lines.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

KEYS = {
    "renderfarm": {"Authorization": "Bearer rf_alice0001"},
    "clipgen": {"x-api-key": "cg-alice0001"},
}
CREATE = {
    "renderfarm": ("/v2/renders", {"scene": "s3://scenes/teapot.blend"}),
    "clipgen": ("/v1/clips:generate", {"prompt": "a paper boat", "seconds": 3}),
}


@pytest.fixture(scope="module")
def taskmock_bin(built_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel; its dependencies come from the test's own
    environment through a .pth file (no network), and nothing else of this checkout."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--quiet",
            str(built_wheel),
        ],
        check=True,
        capture_output=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


@pytest.fixture
def user(tmp_path: Path) -> Path:
    """The user's project folder (outside the repository) with their catalog in it."""
    shutil.copytree(REPO_ROOT / "examples" / "catalog", tmp_path / "catalog")
    return tmp_path


def run(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "taskmock"), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


class Served:
    """`taskmock serve --catalog catalog --clock manual` in a subprocess."""

    def __init__(self, bin_dir: Path, cwd: Path, catalog: str = "catalog") -> None:
        self.process = subprocess.Popen(
            [
                str(bin_dir / "taskmock"),
                "serve",
                "--catalog",
                catalog,
                "--clock",
                "manual",
                "--port",
                "0",
                "--quiet",
            ],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        assert " at http://" in first, first + (
            self.process.stderr.read() if self.process.stderr else ""
        )
        self.url = first.split(" at ", 1)[1].split()[0]

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={**(headers or {}), **({"content-type": "application/json"} if data else {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                raw = reply.read()
                status = reply.status
        except urllib.error.HTTPError as error:
            with error:
                raw, status = error.read(), error.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw

    def stop(self) -> None:
        self.process.terminate()
        self.process.communicate(timeout=10)


@pytest.fixture
def served(taskmock_bin: Path, user: Path) -> Iterator[Served]:
    server = Served(taskmock_bin, user)
    yield server
    server.stop()


def test_specs_validate_takes_the_users_catalog(taskmock_bin: Path, user: Path) -> None:
    result = run(taskmock_bin, user, "specs", "validate", "--catalog", "catalog")
    assert result.returncode == 0, result.stderr
    for name in ("renderfarm", "clipgen"):
        assert f"catalog/specs/{name}.yaml: ok" in result.stdout
        assert f"catalog/mocks/{name}.yaml: ok" in result.stdout
    listed = run(taskmock_bin, user, "specs", "--catalog", "catalog")
    assert "lifecycle Operation.(conditions): running succeeded failed" in listed.stdout


def _task_id(api: str, created: dict[str, Any]) -> str:
    return str(created["id"]) if api == "renderfarm" else created["name"].split("/")[1]


def _poll_path(api: str, task_id: str) -> str:
    return f"/v2/renders/{task_id}" if api == "renderfarm" else f"/v1/operations/{task_id}"


@pytest.mark.parametrize("api", ["renderfarm", "clipgen"])
def test_serve_plays_the_lifecycle_on_its_documented_paths_and_check_judges_it(
    taskmock_bin: Path, user: Path, served: Served, api: str
) -> None:
    path, body = CREATE[api]
    status, created = served.call("POST", path, body, KEYS[api])
    assert status in (200, 201), created
    task_id = _task_id(api, created)
    # Its auth and error shapes.
    refused = served.call("GET", _poll_path(api, task_id))
    assert refused[0] == 401
    assert "error" in refused[1]
    missing = served.call(
        "GET", _poll_path(api, "0" * 12 if api == "renderfarm" else "x" * 16), headers=KEYS[api]
    )
    assert missing[0] == 404
    assert "error" in missing[1]
    # Its lifecycle, on virtual time.
    first = served.call("GET", _poll_path(api, task_id), headers=KEYS[api])[1]
    served.call("POST", "/__taskmock/clock/advance", {"seconds": 600})
    last = served.call("GET", _poll_path(api, task_id), headers=KEYS[api])[1]
    if api == "renderfarm":
        assert (first["status"], last["status"], last["progress"]) == ("queued", "completed", 100)
        video = last["output_url"]
    else:
        assert first["done"] is False
        assert "error" not in last
        assert last["done"] is True
        video = last["response"]["clip"]["uri"]
    with urllib.request.urlopen(video, timeout=10) as download:
        assert download.read()[4:8] == b"ftyp"
    token = next(iter(KEYS[api].values())).removeprefix("Bearer ")
    checked = run(
        taskmock_bin,
        user,
        "check",
        "--catalog",
        "catalog",
        "--api",
        api,
        "--base-url",
        served.url,
        "--token",
        token,
        "--task-id",
        task_id,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "conformant: 0 error(s)" in checked.stdout


BREAKS = {
    # The render never gets its output_url: a documented field rule broken at `completed`.
    "renderfarm": (
        "      cases: [{ states: [completed], value: { $: format",
        "      cases: [{ states: [], value: { $: format",
    ),
    # A failed operation that also answers a response: no declared state shows that way.
    "clipgen": (
        "      else: { $: omit }\n    error:",
        "      else: { clip: { uri: x, seconds: 1 } }\n    error:",
    ),
}


@pytest.mark.parametrize("api", ["renderfarm", "clipgen"])
def test_check_catches_a_broken_copy(taskmock_bin: Path, user: Path, api: str) -> None:
    scenario = user / "catalog" / "mocks" / f"{api}.yaml"
    before, after = BREAKS[api]
    assert before in scenario.read_text()
    scenario.write_text(scenario.read_text().replace(before, after))
    server = Served(taskmock_bin, user)
    try:
        path, body = CREATE[api]
        headers = {
            **KEYS[api],
            "X-Taskmock-Scenario": "success" if api == "renderfarm" else "failure",
        }
        _, created = server.call("POST", path, body, headers)
        server.call("POST", "/__taskmock/clock/advance", {"seconds": 600})
        token = next(iter(KEYS[api].values())).removeprefix("Bearer ")
        checked = run(
            taskmock_bin,
            user,
            "check",
            "--catalog",
            "catalog",
            "--api",
            api,
            "--base-url",
            server.url,
            "--token",
            token,
            "--task-id",
            _task_id(api, created),
        )
    finally:
        server.stop()
    assert checked.returncode == 1, checked.stdout + checked.stderr
    rule = "field-rule" if api == "renderfarm" else "declared-state"
    assert rule in checked.stdout


def test_the_pytest_fixture_takes_the_catalog_from_the_ini_file(
    taskmock_bin: Path, user: Path
) -> None:
    (user / "pytest.ini").write_text("[pytest]\ntaskmock_catalog =\n    catalog\n")
    (user / "test_my_client.py").write_text(
        """
import json, urllib.request

def get(url, headers):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as reply:
        return json.load(reply)

def test_my_client_waits_for_the_clip(taskmock):
    import taskmock as installed
    assert "/venv/" in installed.__file__  # the wheel's, not the checkout's
    operation = taskmock.create("clipgen")
    headers = taskmock.headers("clipgen")
    polls = 0
    while not get(operation.poll_url, headers).get("done"):
        polls += 1
        taskmock.advance(5)  # virtual time: no sleep
    assert 4 <= polls <= 9
    assert operation.state == "succeeded"

def test_and_the_render(taskmock):
    render = taskmock.create("renderfarm", "failure")
    taskmock.run_to_end(render)
    body = get(render.poll_url, taskmock.headers("renderfarm"))
    assert (body["status"], body["error"]) == ("failed", "scene file could not be read")
"""
    )
    result = subprocess.run(
        [str(taskmock_bin / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=user,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "2 passed" in result.stdout, result.stdout + result.stderr
