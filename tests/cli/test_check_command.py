"""`taskmock check` as a user runs it, against `taskmock serve` in its own process: every bundled
API, `--create` from the spec's `x-cheapest-create`, and `--spec FILE` for a spec and no mock."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import spec_path

pytestmark = pytest.mark.slow

TOKENS = {"kokoon": "eyJhbGciOi.eyJzdWIiOi.c2ln", "tensorpix": "abc", "hailuo": "sk-test"}
TERMINAL = {"kokoon": "done", "tensorpix": 2, "hailuo": "Success"}


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "taskmock", "serve", "--port", "0", "--clock", "manual", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"at (http://127\.0\.0\.1:\d+)", line)
    assert match, line
    while not line.startswith("control plane"):
        line = proc.stdout.readline()
    yield match.group(1)
    proc.kill()
    proc.communicate(timeout=15)


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "taskmock", "check", "--poll-interval", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _advance(base_url: str) -> None:
    request = urllib.request.Request(
        base_url + "/__taskmock/clock/advance",
        data=b'{"seconds": 1000000}',
        method="POST",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def _report(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("api", sorted(TOKENS))
def test_check_creates_the_spec_s_cheapest_task_and_follows_it_to_its_end(
    served: str, api: str, tmp_path: Path
) -> None:
    report = tmp_path / "created.json"
    common = ["--api", api, "--base-url", served, "--token", TOKENS[api]]
    created = _check(*common, "--create", "--max-wait", "0", "--json", str(report))
    assert created.returncode == 0, created.stdout + created.stderr
    assert "creating one task, the spec's cheapest (" in created.stderr
    (task_id,) = _report(report)["polls"]
    _advance(served)
    ended = _check(*common, "--task-id", task_id, "--max-wait", "5", "--json", str(report))
    assert ended.returncode == 0, ended.stdout + ended.stderr
    assert "conformant: 0 error(s), 0 warning(s)" in ended.stdout
    assert _report(report)["final_states"] == {task_id: TERMINAL[api]}


def test_check_chooses_the_poll_operation_and_its_create(served: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = _check(
        "--api",
        "hailuo",
        "--poll",
        "minimax_query_video_generation",
        "--base-url",
        served,
        "--token",
        "sk-test",
        "--create",
        "--max-wait",
        "0",
        "--json",
        str(report),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "POST /v1/video_generation" in result.stderr
    assert _report(report)["conformant"] is True


def test_a_spec_is_all_a_user_needs_to_check_an_api(served: str, tmp_path: Path) -> None:
    # The user's own copy of a spec, under their own name, and no scenario file anywhere.
    spec = tmp_path / "my-jobs.yaml"
    spec.write_text(spec_path("tensorpix").read_text(encoding="utf-8"), encoding="utf-8")
    result = _check(
        "--spec", str(spec), "--base-url", served, "--token", "abc", "--create", "--max-wait", "0"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"taskmock check my-jobs at {served}")


def test_a_spec_that_declares_too_little_is_a_usage_error_with_its_place(
    served: str, tmp_path: Path
) -> None:
    spec = tmp_path / "mine.yaml"
    text = spec_path("tensorpix").read_text(encoding="utf-8")
    spec.write_text(text.replace("      x-task-role: poll\n", ""), encoding="utf-8")
    result = _check("--spec", str(spec), "--base-url", served, "--token", "abc", "--task-id", "1")
    assert result.returncode == 2
    assert re.search(
        rf"{re.escape(str(spec))}:\d+: /paths: no operation has x-task-role: poll", result.stderr
    )
    assert "Traceback" not in result.stderr
