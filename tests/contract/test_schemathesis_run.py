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

from taskmock._core.clock import ManualClock
from taskmock._core.jwt_auth import JwtAuth
from taskmock._core.scenario import load_behaviour
from taskmock._http.app import MockConfig
from tests.conftest import REPO_ROOT
from tests.support import API_NAMES, LiveMock, spec_path, start_live_mock

pytestmark = pytest.mark.slow

# Every bundled API, with the credential its scenario file gives as an example (the server accepts
# only these), and the control plane, which needs none.
BEHAVIOURS = {api: load_behaviour(api) for api in API_NAMES}
CREDENTIALS = {
    **{api: f"{b.auth.header}: {b.auth.example}" for api, b in BEHAVIOURS.items()},
    "control": "",
}


@pytest.fixture(scope="module")
def server() -> Iterator[LiveMock]:
    # A signed auth (Kling's JWTs) accepts `tokens` by the key that signed them.
    bare = frozenset(
        next(iter(b.auth.keys)) if isinstance(b.auth, JwtAuth) else b.auth.token(b.auth.example)
        for b in BEHAVIOURS.values()
    )
    live = start_live_mock(MockConfig(clock=ManualClock(), tokens=bare))
    yield live
    live.stop()


@pytest.mark.parametrize("api", list(CREDENTIALS))
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
        server.base_url + (BEHAVIOURS[api].base_path if api in BEHAVIOURS else ""),
        "--max-examples",
        "15",
        "--generation-deterministic",
        "--no-color",
    ]
    if CREDENTIALS[api]:
        args += ["--header", CREDENTIALS[api]]
    result = subprocess.run(
        args, capture_output=True, text=True, timeout=240, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stdout[-6000:]
