"""The README's API table says what `taskmock serve` prints: a row per API, with the base URL the
banner gives it and every SDK setting the banner prints (the full `NAME=value` where the README
writes one; the README's host and port are the default 127.0.0.1:8080)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

README = Path(__file__).parents[1] / "README.md"


def _banner() -> str:
    command = [sys.executable, "-m", "taskmock", "serve", "--port", "0", "--clock", "manual"]
    proc = subprocess.Popen(
        [*command, "--quiet", "--no-example-tasks"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline()]
        while not lines[-1].startswith("control plane"):
            lines.append(proc.stdout.readline())
            assert lines[-1], "taskmock serve stopped before its banner ended"
    finally:
        proc.kill()
        proc.communicate(timeout=15)
    root = re.search(r"at (http://127\.0\.0\.1:\d+)", lines[0])
    assert root, lines[0]
    return (
        "".join(lines)
        .replace(root.group(1), "http://127.0.0.1:8080")
        .replace(root.group(1).split("://")[1], "127.0.0.1:8080")
    )


def _printed(banner: str) -> dict[str, tuple[str, list[str]]]:
    """Per API: the base URL and the SDK settings (`NAME=value`) the banner prints."""
    found = {}
    for api, url, settings in re.findall(
        r"^# (\S+): .*\n#   base URL (\S+)(?:  SDK: (.*))?$", banner, re.MULTILINE
    ):
        found[api] = (url, settings.split())
    return found


def _rows() -> dict[str, list[str]]:
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 6 and re.fullmatch(r"[a-z]+", cells[0]):
            rows[cells[0]] = cells
    return rows


def test_the_api_table_matches_the_serve_banner() -> None:
    printed = _printed(_banner())
    rows = _rows()
    assert sorted(rows) == sorted(printed)
    assert len(rows) == 10
    for api, (url, settings) in printed.items():
        _, _, _, _, base_cell, sdk_cell = rows[api]
        where = url.split("://", 1)[1]  # fal's row gives the https form (`serve --tls`)
        assert f"://{where}`" in base_cell, (api, url, base_cell)
        for setting in settings:
            name, value = setting.split("=", 1)
            assert name in sdk_cell, (api, setting, sdk_cell)
            written = re.findall(rf"{name}=([^`\s,]+)", sdk_cell)
            assert all(w == value for w in written), (api, setting, sdk_cell)
        if not settings:
            assert sdk_cell.startswith("—"), (api, sdk_cell)
