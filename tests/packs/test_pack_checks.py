"""`taskmock check` on the packs: it passes on each pack's mock and catches a broken copy of it
(one documented rule broken), through the same runner the command uses, over real HTTP."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskmock._checks.lifecycle import ERROR
from taskmock._checks.runner import CheckRun, HttpTarget, run_checks
from taskmock._core.catalog import bundled_catalog
from taskmock._core.clock import ManualClock
from taskmock._http.app import MockConfig
from tests.support import LiveMock, start_live_mock

# Per pack: the scenario to follow, and one documented rule the broken copy breaks (the text
# replaced in its scenario file), with the check that must catch it.
BREAKS = {
    # started_at stays null while processing (vendor-docs: set once processing).
    "replicate": (
        "success",
        "started_at: { $: entered, states: [processing] }",
        "started_at: { $: entered, states: [succeeded] }",
        "field-rule",
    ),
    # A failed request without its error_type (vendor-docs: a failure carries error and error_type).
    "fal": (
        "failure",
        "- { states: [failed], value: request_timeout }",
        "- { states: [failed], value: null }",
        "field-rule",
    ),
}


def copy_of(api: str, folder: Path, edit: tuple[str, str] | None) -> str:
    """A catalog in `folder` holding the pack under another name, with `edit` made."""
    name = f"{api}-copy"
    entry = bundled_catalog().entry(api)
    (folder / "specs").mkdir(parents=True)
    (folder / "mocks").mkdir()
    shutil.copy(entry.spec, folder / "specs" / f"{name}.yaml")
    text = entry.scenario.read_text().replace(f"api: {api}\n", f"api: {name}\n")
    if edit is not None:
        assert edit[0] in text
        text = text.replace(*edit)
    (folder / "mocks" / f"{name}.yaml").write_text(text)
    return name


@pytest.fixture
def started() -> Iterator[list[LiveMock]]:
    servers: list[LiveMock] = []
    yield servers
    for server in servers:
        server.stop()


def check(started: list[LiveMock], folder: Path, api: str, broken: bool) -> CheckRun:
    scenario, before, after, _ = BREAKS[api]
    name = copy_of(api, folder, (before, after) if broken else None)
    live = start_live_mock(MockConfig(catalogs=(folder,), apis=(name,), clock=ManualClock()))
    started.append(live)
    behaviour = live.app.tasks.behaviour(name)
    record = live.app.tasks.create(name, scenario)
    target = HttpTarget(
        live.base_url + behaviour.base_path, max_requests=500, sleep=live.clock.advance
    )
    return run_checks(
        behaviour.spec,
        target,
        behaviour.auth.example,
        [str(record.id)],
        poll_interval=5,
        max_wait=3600,
        now=live.clock.now,
    )


@pytest.mark.parametrize("api", sorted(BREAKS))
def test_check_passes_on_the_pack_and_catches_a_broken_copy(
    api: str, tmp_path: Path, started: list[LiveMock]
) -> None:
    faithful = check(started, tmp_path / "faithful", api, broken=False)
    assert faithful.findings == []
    broken = check(started, tmp_path / "broken", api, broken=True)
    caught = {f.rule for f in broken.findings if f.severity == ERROR}
    assert BREAKS[api][3] in caught, broken.findings
