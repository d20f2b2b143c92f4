"""`taskmock check --api NAME` on each of the seven packs: it passes on the pack's mock (a task the
spec's cheapest create starts, then one at its end) and catches a broken copy of it (one documented
rule broken in a copy of its scenario file), through the command itself, over real HTTP.

A pack with several polls is checked through the one named (`--poll`), with tasks of that poll's
kind; Veo's checks call a task by its operation's full name, which its poll sends in the body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.packs.pack_checks import Break, check_the_pack


def _operation_name(app: Any, record: Any) -> str:
    """What the checks call a Veo task: its operation's full name (the create answers it)."""
    return str(app.admin.poll_request(record).body["operationName"])


@dataclass(frozen=True)
class Case:
    api: str
    broken: Break
    poll: str | None = None
    kind: str | None = None
    task_id: Callable[[Any, Any], str] | None = None


CASES = [
    # A succeeded prediction without `completed_at` (vendor-docs: set once it ends).
    Case(
        "replicate",
        Break(
            "completed_at: { $: entered, states: [succeeded, failed, canceled, aborted] }",
            "completed_at: { $: entered, states: [failed, canceled, aborted] }",
            "success",
            "field-rule",
        ),
    ),
    # A failed request without its error_type (vendor-docs: a failure carries error and error_type).
    Case(
        "fal",
        Break(
            "- { states: [failed], value: request_timeout }",
            "- { states: [failed], value: null }",
            "failure",
            "field-rule",
        ),
    ),
    # `progress` only while RUNNING (the SDK's types): a copy that shows it in every other state.
    Case(
        "runway",
        Break(
            "    cases: [{ states: [RUNNING], value: { $: progress, state: RUNNING, from: 0, to: 1, "
            "round: 2 } }]\n    else: { $: omit }",
            "    cases: [{ states: [RUNNING], value: { $: progress, state: RUNNING, from: 0, to: 1, "
            "round: 2 } }]\n    else: 0",
            "success",
            "field-rule",
        ),
    ),
    # A failed generation says why (`failure_reason` set): a copy whose failures say nothing.
    Case(
        "luma",
        Break(
            "    cases: [{ states: [failed], value: The generation failed. }]\n    else: null",
            "    cases: [{ states: [failed], value: null }]\n    else: null",
            "failure",
            "field-rule",
        ),
    ),
    # A failed operation that also answers a response: no documented state shows that way.
    Case(
        "veo",
        Break(
            '      - states: [filtered]\n        value:\n          "@type": '
            "type.googleapis.com/cloud.ai",
            '      - states: [filtered, failed]\n        value:\n          "@type": '
            "type.googleapis.com/cloud.ai",
            "failure",
            "declared-state",
        ),
        task_id=_operation_name,
    ),
    # A failed task with no reason: "task_status_msg gives the failure reason" broken.
    Case(
        "kling",
        Break(
            "task_status_msg: { $: switch, cases: [{ states: [failed], value: Failure to pass the "
            'risk control system }], else: "" }',
            'task_status_msg: ""',
            "failure",
            "schema",
        ),
    ),
    # v1: a Success without its file_id ("file_id ... returned when the task succeeds").
    Case(
        "minimax",
        Break(
            'value: { $: ref, name: file_id } }], else: "" }',
            'value: "" }], else: "" }',
            "success",
            "field-rule",
        ),
        poll="minimax_query_video_generation",
    ),
    # v2: a succeeded task without `content` ("content comes after success").
    Case(
        "minimax",
        Break(
            "content: { $: switch, cases: [{ states: [succeeded]",
            "content: { $: switch, cases: [{ states: [cancelled]",
            "success",
            "schema",
        ),
        poll="videoGenerationV2Query",
        kind="v2",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.api}-{c.kind or 'default'}" for c in CASES])
def test_check_passes_on_the_pack_and_catches_a_broken_copy(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options: dict[str, Any] = {"poll": case.poll, "kind": case.kind}
    if case.task_id is not None:
        options["task_id"] = case.task_id
    check_the_pack(case.api, case.broken, tmp_path, capsys, **options)


def test_every_pack_is_checked() -> None:
    packs = {"runway", "replicate", "fal", "veo", "luma", "kling", "minimax"}
    assert {case.api for case in CASES} == packs
