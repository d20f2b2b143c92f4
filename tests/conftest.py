"""Shared test configuration: hypothesis profiles and paths."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# `ci` (default): fast and deterministic. `thorough`: many more examples, for deep runs:
#   make test PYTEST_ARGS="--hypothesis-profile=thorough"
settings.register_profile(
    "ci",
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("TASKMOCK_HYPOTHESIS_PROFILE", "ci"))

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options of the live contract suite (tests/contract/test_live.py), skipped unless given."""
    group = parser.getgroup("taskmock live contract")
    group.addoption(
        "--base-url", help="run the contract suite against this API (a vendor's or a mock's)"
    )
    group.addoption(
        "--api", help="which bundled API the base URL serves (taskmock specs lists them)"
    )
    group.addoption("--token", help="a credential for it (or TASKMOCK_TOKEN)")
    group.addoption("--task-id", action="append", default=[], help="a task to poll (repeatable)")
    group.addoption(
        "--max-wait", type=float, default=600.0, help="seconds to follow the tasks (600)"
    )


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout, built once per session (per xdist worker)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("taskmock-*.whl")
    return built
