"""The contract suite against any base URL: a vendor's live API or a running mock.

    pytest tests/contract/test_live.py --base-url https://backend.tensorpix.ai --api tensorpix \\
        --token "$TENSORPIX_KEY" --task-id 12345

Skipped unless --base-url is given. Read-only: it polls the given tasks and sends three probes.
Live APIs take real time, so these tests wait as the vendor does (up to --max-wait).
"""

from __future__ import annotations

import os

import pytest

from taskmock._checks.report import human_lines
from taskmock._checks.runner import HttpTarget, run_checks
from taskmock._core.spec import load_api


@pytest.fixture
def live(request: pytest.FixtureRequest) -> dict[str, object]:
    base_url = request.config.getoption("--base-url")
    if not base_url:
        pytest.skip("live contract tests need --base-url URL --api NAME --token T")
    api = request.config.getoption("--api")
    token = request.config.getoption("--token") or os.environ.get("TASKMOCK_TOKEN")
    if not api or not token:
        raise pytest.UsageError("--base-url needs --api NAME and --token T (or TASKMOCK_TOKEN)")
    return {
        "base_url": base_url,
        "api": api,
        "token": token,
        "task_ids": request.config.getoption("--task-id"),
        "max_wait": request.config.getoption("--max-wait"),
    }


def test_the_live_api_conforms(live: dict[str, object]) -> None:
    task_ids = [str(t) for t in live["task_ids"]]  # type: ignore[attr-defined]
    run = run_checks(
        load_api(str(live["api"])),
        HttpTarget(str(live["base_url"]), max_requests=300),
        str(live["token"]),
        task_ids,
        poll_interval=5.0,
        max_wait=float(live["max_wait"]),  # type: ignore[arg-type]
        probes=True,
    )
    report = "\n".join(human_lines(run))
    assert not run.failed(), report
