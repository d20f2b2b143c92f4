"""Specmatic, an independent contract-testing tool, passes every bundled spec against the mock.

Specmatic (PyPI `specmatic`, a Java jar) runs as its docs say: `specmatic test SPEC --testBaseURL
URL`, each credential in an environment variable named after its security scheme. The control
plane is tested through the document it serves for the loaded catalog. What the run adds, each
with its reason (specs/README.md tells the same):

- telemetry off (`SPECMATIC_DISABLE_TELEMETRY` and the config file): nothing leaves 127.0.0.1;
- `MAX_TEST_REQUEST_COMBINATIONS`: Specmatic otherwise tries every combination of optional fields
  and enum values (tens of thousands of TensorPix create requests);
- an overlay keeps one of TensorPix's two security schemes: both use the Authorization header, and
  Specmatic then refuses every example ("must be prefixed with Bearer") and runs each example once
  per scheme, so a repeated DELETE gets the documented 409/404;
- a filter keeps TensorPix's job creates to JSON bodies: Specmatic sends an array in a form or
  multipart field as JSON text (`ml_models=[44]`), which DRF refuses, and bounds no multipart
  combinations.

All specs run in one JVM: its start-up costs more than the tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest

from taskmock.core.clock import ManualClock
from taskmock.core.scenario import load_behaviour
from taskmock.core.spec import load_api
from taskmock.http.app import MockConfig
from tests.support import LiveMock, spec_path, start_live_mock

pytestmark = pytest.mark.slow

CREDENTIALS = {  # environment variable = security scheme name (Specmatic's convention)
    "kokoonJwt": "eyJhbGci.eyJzdWIi.c2ln",
    "tokenAuth": "Token abc123",
    "bearerAuth": "sk-test",  # an http bearer scheme: Specmatic adds "Bearer "
    "apiKeyHeader": "AIzaSyTaskmockVeo-0123456789abcdefghijk",  # Veo's x-goog-api-key
    "oauth2Bearer": "ya29.taskmock-access-token",  # Veo's project form (Bearer)
}
OVERLAY = """\
overlay: 1.0.0
info: { title: TensorPix with one of its two security schemes, version: "1" }
actions:
  - target: $.security[1]
    remove: true
"""
FILTER = (
    "!(PATH='/api/jobs/,/api/jobs/from-url/' && "
    "REQUEST-BODY.CONTENT-TYPE='application/x-www-form-urlencoded,multipart/form-data')"
)
# What Specmatic prints when it reads a spec other than it is written: these must not appear.
LOADER_WARNINGS = (
    "is not defined in properties",
    "No items schema defined",
    "Error loading example",
    "Enum values cannot contain null",
    "was read successfully but with some issues",
)
SUMMARY = re.compile(
    r"Tests run: (\d+), Successes: (\d+), Failures: (\d+), WIP: (\d+), Errors: (\d+)"
)


def _served(api: str, folder: Path) -> str:
    """The spec as the mock serves it: an API not served at its root paths (root: false) has them
    under /<api>, so its copy says so (all specs share one --testBaseURL)."""
    prefix = load_behaviour(api).base_path
    if not prefix:
        return str(spec_path(api))
    document = load_api(api).document
    copy = {**document, "paths": {prefix + path: item for path, item in document["paths"].items()}}
    path = folder / f"{api}.json"
    path.write_text(json.dumps(copy), encoding="utf-8")
    return str(path)


def _specmatic_jar() -> Path:
    found = find_spec("specmatic")
    assert found is not None, "specmatic is a dev dependency: make installs it"
    assert found.origin is not None
    return Path(found.origin).parent / "core" / "specmatic.jar"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveMock]:
    bare = frozenset(value.split()[-1] for value in CREDENTIALS.values())
    bare |= {"ak-taskmock-0123456789"}  # a signed auth accepts `tokens` by the key that signed
    live = start_live_mock(MockConfig(clock=ManualClock(), tokens=bare, example_tasks=True))
    yield live
    live.stop()


def test_specmatic_passes_every_bundled_spec(server: LiveMock, tmp_path: Path) -> None:
    java = shutil.which("java")
    if java is None:
        pytest.skip("Specmatic needs Java 17 or later (.ci/run installs default-jre-headless)")
    control = tmp_path / "control.json"
    reply = server.request("GET", "/__taskmock/openapi.json")
    control.write_text(json.dumps(reply.json()), encoding="utf-8")
    (tmp_path / "overlay.yaml").write_text(OVERLAY, encoding="utf-8")
    (tmp_path / "specmatic.yaml").write_text("version: 2\ndisable_telemetry: true\n")
    apis = ("kokoon", "tensorpix", "hailuo", "minimax", "kling", "veo")
    specs = [_served(api, tmp_path) for api in apis] + [str(control)]
    env = {
        **os.environ,
        **CREDENTIALS,
        # Kling's JWT, signed now with the pack's test key (Specmatic adds "Bearer ").
        "klingJwt": load_behaviour("kling").auth.example.removeprefix("Bearer "),
        "SPECMATIC_DISABLE_TELEMETRY": "true",
        "MAX_TEST_REQUEST_COMBINATIONS": "8",
    }
    # A short-lived JVM: C1 only and the serial collector start faster on two cores.
    args = [java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(_specmatic_jar())]
    args += ["test", *specs, "--testBaseURL", server.base_url]
    args += ["--overlay-file", "overlay.yaml", "--filter", FILTER]
    result = subprocess.run(
        args,
        capture_output=True,
        encoding="utf-8",
        errors="replace",  # the log shows the MP4 bytes of /__taskmock/files
        timeout=280,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    output = result.stdout + result.stderr
    (tmp_path / "specmatic.log").write_text(output, encoding="utf-8")
    unsuccessful = output[output.find("Unsuccessful Scenarios") :][:6000]
    for warning in LOADER_WARNINGS:
        assert warning not in output, f"{warning!r} in {tmp_path / 'specmatic.log'}"
    summary = SUMMARY.search(output)
    assert summary, output[-3000:]
    run, passed, failed, wip, errors = map(int, summary.groups())
    assert (failed, errors, wip) == (0, 0, 0), unsuccessful
    assert run == passed >= 100, summary.group(0)  # 211 on 2.55.3: every spec loaded and ran
