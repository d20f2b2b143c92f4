"""Where a pack's SDK test finds its mock: the `taskmock` fixture in this process, or
`taskmock serve` in a subprocess (what a developer runs), driven the same way.

An SDK test asks for a `PackMock` and runs once per way: only the base URL (or host), the key and
how time moves differ. Time moves through the fixture's handle or the control plane's
`/__taskmock/clock/advance`; the SDK's own sleeps are patched to call `advance`. What the mock saw
(requests, tasks, problems) is read through the handle or the control plane, the same way for both.
Both ways accept requests the spec calls problems (tests send some on purpose): a test that must
send none asserts `problems() == []`.
"""

from __future__ import annotations

import re
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from taskmock._core.scenario import load_behaviour

__all__ = ["PackMock", "pack_mock", "served"]


@dataclass
class PackMock:
    """A mock an SDK test drives: where the API is, a valid key, time, faults and the journal."""

    how: str  # "fixture" or "serve"
    api: str
    root_url: str
    key: str
    advance: Callable[[float], Any]
    throttle: Callable[[str, int], None]  # (operation id, retry_after)
    requests: Callable[[], list[tuple[str, str]]]  # (method, path) of every vendor request
    tasks: Callable[[], list[dict[str, Any]]]  # the API's tasks as the control plane lists them
    problems: Callable[[], list[str]]  # requests the spec does not allow ("METHOD path: why")
    ca_bundle: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """Where the API's paths start (`…/<api>`)."""
        return f"{self.root_url}/{self.api}"

    @property
    def trust(self) -> ssl.SSLContext | bool:
        """What an httpx client verifies the mock's certificate with (its CA, over HTTPS)."""
        if self.ca_bundle is None:
            return True
        return ssl.create_default_context(cafile=str(self.ca_bundle))

    @property
    def authority(self) -> str:
        """host:port of the mock."""
        return self.root_url.split("://", 1)[1]


@dataclass
class Served:
    """A `taskmock serve --clock manual` subprocess and a client for its control plane."""

    process: subprocess.Popen[str]
    url: str
    control: httpx.Client
    ca_bundle: Path | None
    banner: list[str]

    def stop(self) -> None:
        self.control.close()
        if self.process.poll() is None:
            self.process.terminate()
        self.process.communicate(timeout=15)


def served(apis: tuple[str, ...], folder: Path, tls: bool = False) -> Served:
    """Start `taskmock serve` for `apis` on a free port of 127.0.0.1, manual clock, without the
    specs' example tasks (each test counts its own, as the fixture does); with `tls`, on HTTPS
    with a throw-away CA written to `folder`."""
    ca = folder / "ca.pem" if tls else None
    command = [sys.executable, "-m", "taskmock", "serve", "--port", "0", "--clock", "manual"]
    command += ["--quiet", "--no-example-tasks", *(a for api in apis for a in ("--api", api))]
    if ca is not None:
        command += ["--tls-ca-out", str(ca)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"at (https?://127\.0\.0\.1:\d+)", first)
        assert found, first
        banner = [first]
        while not banner[-1].startswith("control plane"):
            banner.append(process.stdout.readline())
            assert banner[-1], "taskmock serve stopped before its banner ended"
        url = found.group(1)
        trust = ssl.create_default_context(cafile=str(ca)) if ca else True
        control = httpx.Client(base_url=url, verify=trust, timeout=10)
    except BaseException:  # never leave the server running
        process.terminate()
        process.communicate(timeout=15)
        raise
    return Served(process, url, control, ca, banner)


def _from_server(server: Served, api: str) -> PackMock:
    control = server.control
    control.post("/__taskmock/reset").raise_for_status()

    def advance(seconds: float) -> Any:
        answer = control.post("/__taskmock/clock/advance", json={"seconds": seconds})
        answer.raise_for_status()
        return answer.json()["now"]

    def throttle(operation: str, retry_after: int) -> None:
        fault = {"api": api, "count": 1, "retry_after": retry_after, "operation": operation}
        control.post("/__taskmock/faults", json=fault).raise_for_status()

    def journal() -> list[dict[str, Any]]:
        entries = control.get("/__taskmock/requests").json()["requests"]
        return [entry for entry in entries if entry["api"] == api]

    def requests() -> list[tuple[str, str]]:
        return [(e["method"], e["path"]) for e in journal()]

    def tasks() -> list[dict[str, Any]]:
        listed = control.get("/__taskmock/tasks", params={"api": api, "limit": 1000})
        return list(listed.json()["tasks"])

    def problems() -> list[str]:
        return [f"{e['method']} {e['path']}: {e['problem']}" for e in journal() if e["problem"]]

    auth = load_behaviour(api).auth
    return PackMock(
        "serve",
        api,
        server.url,
        auth.token(auth.example),
        advance,
        throttle,
        requests,
        tasks,
        problems,
        server.ca_bundle,
    )


def pack_mock(request: pytest.FixtureRequest, api: str, tls: bool = False) -> Iterator[PackMock]:
    """The mock for `request.param` ("fixture" or "serve"): yield it from a fixture of the test
    module (`serve` needs a module fixture named `<api>_server` giving a `Served`)."""
    if request.param == "serve":
        yield _from_server(request.getfixturevalue(f"{api}_server"), api)
        return
    mock = request.getfixturevalue("taskmock")
    mock.allow_problems()  # the 401 and 429 tests send what the specs call problems, on purpose
    yield PackMock(
        "fixture",
        api,
        mock.url,
        mock.key(api),
        mock.advance,
        lambda operation, retry_after: mock.throttle(api, 1, retry_after, operation),
        lambda: [(e.method, e.path) for e in mock.requests if e.api == api],
        lambda: [
            {"id": t.id, "state": t.state, "scenario": t.record.scenario, "kind": t.record.kind}
            for t in mock.tasks(api)
        ],
        mock.problems,
        mock.ca_bundle,
    )
