"""Example records: the ids the specs' examples name exist in the mock (_core/examples.py)."""

from __future__ import annotations

from typing import Any

import pytest

from taskmock._core.clock import ManualClock
from taskmock._core.engine import observe
from taskmock._core.examples import example_set
from taskmock._core.scenario import load_behaviour
from taskmock._core.tasks import TaskService
from taskmock._core.validation import iter_examples
from tests.support import API_NAMES

BASE = "http://127.0.0.1:8080"


def _service(**options: Any) -> TaskService:
    return TaskService(ManualClock(), **options)


def test_each_poll_example_is_a_task_in_its_state() -> None:
    found = {t.name: (t.id, t.state) for t in example_set(load_behaviour("tensorpix")).tasks}
    assert found == {
        "in_queue": (5012, 0),
        "processing": (5013, 1),
        "finished": (5014, 2),
        "failed": (5015, -1),
        "canceled": (5016, -2),
        "seed_placeholder": (123, 0),
    }


def test_other_documented_forms_are_not_tasks() -> None:
    # Hailuo's envelope form and its unknown-task business error name no task of ours.
    names = {t.name for t in example_set(load_behaviour("hailuo")).tasks}
    assert names == {"seed_success", "preparing", "queueing", "processing", "fail"}


def test_fetch_parameter_examples_are_stored_resources() -> None:
    resources = example_set(load_behaviour("tensorpix")).resources
    assert {(r.kind, r.id) for r in resources} == {("video", 8801)}


@pytest.mark.parametrize("api", API_NAMES)
def test_example_tasks_answer_their_example_in_its_state(api: str) -> None:
    service = _service()
    names: dict[str, list[Any]] = {}  # two kinds' polls may name their examples alike
    for name, _, value, _, _ in iter_examples(service.behaviour(api).spec):
        names.setdefault(name, []).append(value)
    for task in service.examples[api].tasks:
        record = service.find(api, task.id, owner="anyone")
        assert record is not None, task.name
        assert record.owner is None
        behaviour = service.behaviour_of(record)  # the example's kind of task
        validator = behaviour.spec.component_validator(behaviour.task_component)
        view = service.view(record, BASE)
        assert view.observation.state == task.state
        assert validator.is_valid(view.body), task.name
        if task.body:  # the example's fields verbatim; any it leaves out, the mock fills in
            assert task.body in names[task.name]
            assert {key: view.body[key] for key in task.body} == task.body


def test_a_placeholder_gives_its_id_and_state_and_the_mock_renders_a_conforming_body() -> None:
    service = _service()
    record = service.find("tensorpix", 123)
    assert record is not None
    body = service.view(record, BASE).body
    assert (body["id"], body["status"], body["output_video"]) == (123, 0, None)
    assert service.behaviour("tensorpix").spec.component_validator("Job").is_valid(body)


def test_example_tasks_stay_in_their_state() -> None:
    service = _service()
    record = service.find("tensorpix", 5012)
    assert record is not None
    assert observe(record, service.clock.now() + 10**6).state == 0


def test_a_forced_example_task_answers_like_any_task_in_its_new_state() -> None:
    service = _service()
    record = service.find("tensorpix", 5013)
    assert record is not None
    cancelled = service.force(record, -2)
    body = service.view(cancelled, BASE).body
    assert body["status"] == -2
    assert body["finished"] is not None  # the example's `finished: null` no longer applies
    assert service.behaviour("tensorpix").spec.component_validator("Job").is_valid(body)


def test_generated_ids_never_take_an_example_id() -> None:
    service = _service()
    ids = []
    for _ in range(20):
        predicted = service.next_task_id("tensorpix")
        ids.append(service.create("tensorpix").id)
        assert ids[-1] == predicted
    assert ids == [*range(5000, 5012), *range(5017, 5025)]
    uploads = [service.create_resource("tensorpix", "video", "me", {}).id for _ in range(3)]
    assert 8801 not in uploads


def test_reset_restores_the_example_records() -> None:
    service = _service()
    record = service.find("tensorpix", 5013)
    assert record is not None
    service.force(record, -2)
    service.store.drop_resource("tensorpix", "video", 8801)
    service.create("tensorpix")
    service.reset()
    restored = service.find("tensorpix", 5013)
    assert restored is not None
    assert service.view(restored).observation.state == 1
    assert service.find_resource("tensorpix", "video", 8801, owner="me") is not None
    assert len(service.store) == sum(len(e.tasks) for e in service.examples.values())
    assert service.create("tensorpix").id == 5000


def test_example_records_can_be_turned_off() -> None:
    service = _service(example_tasks=False)
    assert len(service.store) == 0
    assert service.find("tensorpix", 5012) is None
    assert [service.create("tensorpix").id for _ in range(14)] == list(range(5000, 5014))


def test_example_bodies_do_not_depend_on_the_seed() -> None:
    bodies = []
    for seed in (0, 7):
        service = _service(seed=seed)
        record = service.find("tensorpix", 123)
        assert record is not None
        bodies.append(service.view(record, BASE).body)
    assert bodies[0] == bodies[1]
