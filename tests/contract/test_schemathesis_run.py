"""`schemathesis run` with our specs against a running mock finds no failure (issue 3's bar).

The exceptions schemathesis must be told about are documented vendor behaviour, each with its reason,
in schemathesis.toml at the repository root. The control plane is tested through the document it
serves for the loaded catalog (`GET /__taskmock/openapi.json`), which needs no exception.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskmock.core.clock import ManualClock
from taskmock.core.scenario import load_behaviour
from taskmock.http.app import MockConfig
from tests.conftest import REPO_ROOT
from tests.support import LiveMock, spec_path, start_live_mock

pytestmark = pytest.mark.slow

TOKENS = {
    "tensorpix": "Token abc123",
    "hailuo": "Bearer sk-test",
    "kokoon": "eyJhbGci.eyJzdWIi.c2ln",
    "minimax": "Bearer sk-test",
    "kling": "",  # the pack's example credential, in its own header (below): a JWT signed now
    "veo": "",  # its example key, in x-goog-api-key
    "control": "",
}


@pytest.fixture(scope="module")
def server() -> Iterator[LiveMock]:
    # A signed auth accepts `tokens` by the key that signed them.
    bare = frozenset(
        {
            "abc123",
            "sk-test",
            "eyJhbGci.eyJzdWIi.c2ln",
            "ak-taskmock-0123456789",
            "AIzaSyTaskmockVeo-0123456789abcdefghijk",
        }
    )
    live = start_live_mock(MockConfig(clock=ManualClock(), tokens=bare))
    yield live
    live.stop()


@pytest.mark.parametrize("api", list(TOKENS))
def test_schemathesis_finds_no_failure(server: LiveMock, api: str, tmp_path: Path) -> None:
    executable = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert executable, "schemathesis is a dev dependency: make test installs it"
    args = [
        executable,
        "--config-file",
        str(REPO_ROOT / "schemathesis.toml"),
        "run",
        f"{server.base_url}/__taskmock/openapi.json" if api == "control" else str(spec_path(api)),
        "--url",
        # An API not served at its root paths is under /<api> (root: false).
        server.base_url + ("" if api == "control" else load_behaviour(api).base_path),
        "--max-examples",
        "15",
        "--generation-deterministic",
        "--no-color",
    ]
    if TOKENS[api]:
        args += ["--header", f"Authorization: {TOKENS[api]}"]
    elif api != "control":  # e.g. Kling's JWT, signed now with the pack's test key
        auth = load_behaviour(api).auth
        args += ["--header", f"{auth.header}: {auth.example}"]
    result = subprocess.run(
        args, capture_output=True, text=True, timeout=240, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stdout[-6000:]
