"""A list answer's page facts (`{$: page, of: size | limit | offset | more}`), on a made-up API
(tests/fixtures/catalogs/printshop): the page's own size, the limit asked for (or the default),
the offset, and whether items follow."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskmock._core.clock import ManualClock
from taskmock._core.scenario import load_behaviour_file
from taskmock._http.app import MockConfig
from taskmock.errors import ScenarioError
from tests.support import LiveMock, start_live_mock

FIXTURE = Path(__file__).parents[1] / "fixtures" / "catalogs" / "printshop"
ALICE = {"Authorization": "Bearer ps_alice", "Printshop-Version": "2025-01-01"}


@pytest.fixture(scope="module")
def mock() -> Iterator[LiveMock]:
    config = MockConfig(
        catalogs=(FIXTURE,), apis=("printshop",), clock=ManualClock(), example_tasks=False
    )
    server = start_live_mock(config)
    for _ in range(5):
        server.request("POST", "/printshop/v1/prints", {"document": "a.pdf"}, ALICE)
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("query", "facts"),
    [
        ("", (5, 2, 2, 0, True)),  # the file's page-size: 2
        ("?limit=3", (5, 3, 3, 0, True)),
        ("?limit=3&offset=3", (5, 2, 3, 3, False)),
        ("?offset=4", (5, 1, 2, 4, False)),
        ("?offset=9", (5, 0, 2, 9, False)),
    ],
)
def test_a_page_says_its_size_limit_offset_and_whether_more_follow(
    mock: LiveMock, query: str, facts: tuple[int, int, int, int, bool]
) -> None:
    reply = mock.request("GET", "/printshop/v1/prints" + query, headers=ALICE)
    assert reply.status == 200
    body = reply.json()
    assert (body["count"], body["size"], body["limit"], body["offset"], body["has_more"]) == facts
    assert len(body["prints"]) == body["size"]


def test_a_fact_that_is_no_page_fact_fails_at_load(tmp_path: Path) -> None:
    folder = tmp_path / "printshop"
    shutil.copytree(FIXTURE, folder)
    scenario = folder / "mocks" / "printshop.yaml"
    scenario.write_text(scenario.read_text().replace("of: more", "of: mroe"))
    with pytest.raises(ScenarioError, match=r"has_more/of: of: 'mroe' is not one of"):
        load_behaviour_file(scenario)
