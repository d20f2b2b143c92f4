"""A real wheel carries specs/ and mocks/ and works outside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support import API_NAMES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(built_wheel: Path) -> Path:
    return built_wheel


def test_wheel_contains_specs_and_mocks(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for api in ("kokoon", "tensorpix", "hailuo", "control"):
        assert f"taskmock/_data/specs/{api}.yaml" in names
    assert "taskmock/_data/specs/README.md" in names
    assert any(n.startswith("taskmock/_data/mocks/") for n in names)
    assert "taskmock/py.typed" in names


def test_installed_wheel_finds_its_data_outside_the_repository(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = (
        "import taskmock, taskmock._resources as r;"
        "print(taskmock.__file__); print(r.specs_dir()); print(r.mocks_dir())"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    module_file, specs, mocks = result.stdout.splitlines()
    assert module_file.startswith(str(target))
    assert specs.startswith(str(target))
    assert mocks.startswith(str(target))
    validate = subprocess.run(
        [sys.executable, "-m", "taskmock", "specs", "validate"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert validate.returncode == 0, validate.stderr
    assert validate.stdout.count(": ok") == 1 + 2 * len(API_NAMES)  # control, specs, scenarios
