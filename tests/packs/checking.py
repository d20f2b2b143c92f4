"""`taskmock check --api NAME` on a pack's mock, and on a broken copy of it: the checks pass on the
mock as bundled, and catch one documented rule broken in a copy of its scenario file.

The copy is the same scenario file under another name (`<api>-broken`, served under its own
prefix) with one line changed; `check --api <api>` judges it against the bundled spec, as it
would judge the vendor's own host.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from taskmock._cli.main import main
from taskmock._core.catalog import bundled_catalog
from taskmock._core.clock import ManualClock
from taskmock._http.app import MockApp, MockConfig
from tests.support import start_live_mock

__all__ = ["Break", "check_the_pack"]


@dataclass(frozen=True)
class Break:
    """One documented rule broken: a line of the scenario file replaced, a scenario that shows it,
    and the check (`field-rule`, `schema`, …) that must name it."""

    before: str
    after: str
    scenario: str
    rule: str


def _broken_copy(api: str, folder: Path, broken: Break) -> str:
    name = f"{api}-broken"
    entry = bundled_catalog().entry(api)
    assert entry.scenario is not None
    (folder / "specs").mkdir(parents=True)
    (folder / "mocks").mkdir()
    shutil.copy(entry.spec, folder / "specs" / f"{name}.yaml")
    text = entry.scenario.read_text(encoding="utf-8")
    assert broken.before in text, f"the scenario file drifted: {broken.before!r}"
    text = text.replace(broken.before, broken.after, 1).replace(f"api: {api}\n", f"api: {name}\n")
    (folder / "mocks" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return name


def check_the_pack(
    api: str, broken: Break, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Check the bundled mock (a task the spec's cheapest create starts, then one at its end) and
    the broken copy; the first is conformant, the second is not, for `broken.rule`."""
    name = _broken_copy(api, folder, broken)
    app = MockApp(
        MockConfig(apis=(api, name), catalogs=(folder,), clock=ManualClock(), example_tasks=False)
    )
    live = start_live_mock(app=app)
    try:
        behaviour = app.tasks.behaviour(api)
        token = behaviour.auth.token(behaviour.auth.example)
        common = ["check", "--api", api, "--token", token, "--poll-interval", "0"]
        url = live.base_url + behaviour.base_path
        assert main([*common, "--base-url", url, "--create", "--max-wait", "0"]) == 0
        done = app.admin.create(api, "success", owner=token)
        broken_task = app.admin.create(name, broken.scenario, owner=token)
        live.clock.advance(3600)
        assert main([*common, "--base-url", url, "--task-id", str(done.id)]) == 0
        conformant = capsys.readouterr().out
        assert "conformant: 0 error(s), 0 warning(s)" in conformant, conformant
        broken_url = live.base_url + app.tasks.behaviour(name).base_path
        code = main([*common, "--base-url", broken_url, "--task-id", str(broken_task.id)])
        found = capsys.readouterr().out
        assert code == 1, found
        assert broken.rule in found, found
    finally:
        live.stop()
