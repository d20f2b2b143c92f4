"""`taskmock serve` prints, per API, the setting that points the vendor's SDK at it; set as printed,
the official SDKs reach the mock with no base URL in the code (only the environment)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from lumaai import LumaAI
from runwayml import RunwayML

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def banner() -> Iterator[list[str]]:
    command = ["serve", "--port", "0", "--clock", "manual", "--api", "runway", "--api", "luma"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "taskmock", *command, "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline()]
    while not lines[-1].startswith("control plane"):
        lines.append(proc.stdout.readline())
    yield lines
    proc.kill()
    proc.communicate(timeout=15)


def _setting(banner: list[str], name: str) -> str:
    found = [m.group(1) for line in banner for m in [re.search(rf"{name}=(\S+)", line)] if m]
    assert len(found) == 1, banner
    return found[0]


def test_the_banner_prints_each_api_s_base_url_and_sdk_setting(banner: list[str]) -> None:
    root = re.search(r"at (http://127\.0\.0\.1:\d+)", banner[0])
    assert root
    assert f"#   base URL {root.group(1)}/runway  SDK: RUNWAYML_BASE_URL=" in "".join(banner)
    assert _setting(banner, "RUNWAYML_BASE_URL") == root.group(1) + "/runway"
    assert _setting(banner, "LUMAAI_BASE_URL") == root.group(1) + "/luma"


def test_the_sdks_reach_the_mock_from_the_printed_settings(
    banner: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNWAYML_BASE_URL", _setting(banner, "RUNWAYML_BASE_URL"))
    monkeypatch.setenv("RUNWAYML_API_SECRET", "key_" + "0123456789abcdef" * 8)
    monkeypatch.setenv("LUMAAI_BASE_URL", _setting(banner, "LUMAAI_BASE_URL"))
    monkeypatch.setenv("LUMAAI_API_KEY", "luma-key")
    with RunwayML(max_retries=0) as runway:
        created = runway.text_to_video.create(
            model="gen4.5", prompt_text="A lighthouse", ratio="1280:720", duration=5
        )
        assert runway.tasks.retrieve(created.id).status == "PENDING"
    with LumaAI(max_retries=0) as luma:
        generation = luma.generations.create(model="ray-2", prompt="A lighthouse")
        assert luma.generations.get(generation.id).state == "queued"
