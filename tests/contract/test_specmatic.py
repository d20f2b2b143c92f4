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
  combinations;
- an API served only under its prefix (`root: false`, the packs) is given as a copy of its spec
  whose paths carry that prefix (Specmatic takes one base URL for all the specs of a run) and
  whose security schemes are named after the API (two APIs may name a scheme alike).

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
import yaml

from taskmock._core.clock import ManualClock
from taskmock._core.jwt_auth import JwtAuth
from taskmock._core.scenario import load_behaviour
from taskmock._http.app import MockConfig
from tests.support import API_NAMES, LiveMock, spec_path, start_live_mock

pytestmark = pytest.mark.slow

CREDENTIALS = {  # environment variable = security scheme name (Specmatic's convention)
    "kokoonJwt": "eyJhbGci.eyJzdWIi.c2ln",
    "tokenAuth": "Token abc123",
    "bearerAuth": "sk-test",  # an http bearer scheme: Specmatic adds "Bearer " (Hailuo)
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


def _specmatic_jar() -> Path:
    found = find_spec("specmatic")
    assert found is not None, "specmatic is a dev dependency: make installs it"
    assert found.origin is not None
    return Path(found.origin).parent / "core" / "specmatic.jar"


def _prefixed(api: str, folder: Path) -> tuple[Path, dict[str, str]]:
    """Where Specmatic reads an API's spec, and the credentials it needs. An API served under its
    prefix only (`root: false`) is read from a copy whose paths carry the prefix (one base URL
    serves every spec) and whose security schemes are named `<api>_<scheme>` (two APIs' schemes
    may share a name, e.g. `bearerAuth`, with different keys); the credential is the scenario
    file's example (bare for an http scheme: Specmatic adds the `Bearer `)."""
    behaviour = load_behaviour(api)
    if behaviour.root or not behaviour.base_path:
        return spec_path(api), {}
    document = yaml.safe_load(spec_path(api).read_text(encoding="utf-8"))
    document["paths"] = {behaviour.base_path + p: item for p, item in document["paths"].items()}
    schemes = document["components"]["securitySchemes"]
    names = {name: f"{api}_{name}" for name in schemes}
    document["components"]["securitySchemes"] = {names[k]: v for k, v in schemes.items()}
    for node in [document, *(op for item in document["paths"].values() for op in item.values())]:
        if isinstance(node, dict) and "security" in node:
            node["security"] = [{names[k]: v for k, v in alt.items()} for alt in node["security"]]
    credentials = {
        names[name]: behaviour.auth.token(behaviour.auth.example)
        if scheme.get("type") == "http"
        else behaviour.auth.example
        for name, scheme in schemes.items()
    }
    path = folder / f"{api}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path, credentials


@pytest.fixture(scope="module")
def server() -> Iterator[LiveMock]:
    bare = {value.split()[-1] for value in CREDENTIALS.values()}
    for api in API_NAMES:
        auth = load_behaviour(api).auth
        # A signed auth (Kling's JWTs) accepts `tokens` by the key that signed them.
        bare.add(next(iter(auth.keys)) if isinstance(auth, JwtAuth) else auth.token(auth.example))
    live = start_live_mock(
        MockConfig(clock=ManualClock(), tokens=frozenset(bare), example_tasks=True)
    )
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
    specs, credentials = [], dict(CREDENTIALS)
    for api in API_NAMES:
        path, more = _prefixed(api, tmp_path)
        specs.append(str(path))
        credentials.update(more)
    specs.append(str(control))
    env = {
        **os.environ,
        **credentials,
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
    assert run == passed >= 100, summary.group(
        0
    )  # 848 with the eleven documents: every one loaded and ran
