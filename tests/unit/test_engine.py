"""The pure lifecycle engine: a task's timeline and what it looks like at a time."""

from __future__ import annotations

from taskmock._core.engine import TaskRecord, observe, plan_steps

PATH = [{"state": "queued", "dwell": 2}, {"state": "working", "dwell": 5}, {"state": "done"}]


def _record() -> TaskRecord:
    return TaskRecord("api", "t1", "success", 0, 100.0, plan_steps(PATH, 100.0, 0))


def test_a_step_entered_at_the_instant_of_a_forced_transition_stays_entered() -> None:
    """Seen `working` at 102, cancelled at 102: the task went through `working`, and a value
    set on entering it (a start time) does not disappear."""
    record = _record()
    assert observe(record, 102.0).state == "working"
    forced = record.force(102.0, "cancelled")
    seen = observe(forced, 102.0)
    assert [s.state for s in seen.steps] == ["queued", "working", "cancelled"]
    assert seen.entered(["working"]) == 102.0
    assert [(s.state, s.dwell) for s in forced.timeline()] == [
        ("queued", 2),
        ("working", 0),
        ("cancelled", None),
    ]


def test_a_forced_transition_cuts_the_step_it_happens_in_short() -> None:
    forced = _record().force(104.0, "cancelled")
    assert [(s.state, s.at, s.dwell) for s in forced.timeline()] == [
        ("queued", 100.0, 2),
        ("working", 102.0, 2.0),
        ("cancelled", 104.0, None),
    ]
    assert observe(forced, 103.0).state == "working"
    assert observe(forced, 200.0).state == "cancelled"
