"""Pages, owner indexes and values unique per task: the pieces that keep every answer cheap."""

from __future__ import annotations

from itertools import islice

from hypothesis import given
from hypothesis import strategies as st

from taskmock._core.clock import ManualClock
from taskmock._core.store import OwnerIndex
from taskmock._core.tasks import TaskService
from taskmock._core.template import leaf_templates, render_path
from taskmock._http.paging import MAX_PAGE, Page, page_of


def test_offset_pages_link_like_drf() -> None:
    page = page_of({"offset": 100, "limit": 50}, {"limit", "offset"}, 100)
    assert page == Page(100, 50, "offset")
    links = page.links("http://h/api/jobs/", "limit=50&offset=100&x=1", 151)
    assert links == {
        "next": "http://h/api/jobs/?x=1&limit=50&offset=150",
        "previous": "http://h/api/jobs/?x=1&limit=50&offset=50",
    }
    assert page_of({"offset": 50, "limit": 50}, {"limit", "offset"}, 100).links(
        "http://h/", "", 100
    ) == {"next": None, "previous": "http://h/?limit=50"}


def test_cursor_pages_carry_the_offset_as_an_opaque_cursor() -> None:
    first = page_of({}, {"cursor"}, 2)
    assert first == Page(0, 2, "cursor")
    assert first.links("http://h/v1/items", "", 5) == {
        "next": "http://h/v1/items?cursor=2",
        "previous": None,
    }
    last = page_of({"cursor": "4"}, {"cursor"}, 2)
    assert last.links("http://h/v1/items", "cursor=4", 5) == {
        "next": None,
        "previous": "http://h/v1/items?cursor=2",
    }
    assert (
        page_of({"cursor": "2"}, {"cursor"}, 2).links("http://h/", "cursor=2", 5)["previous"]
        == "http://h/"
    )
    assert page_of({"cursor": "garbage"}, {"cursor"}, 2).offset == 0  # not ours: the first page


def test_a_missing_zero_or_huge_size_means_the_default_or_the_maximum() -> None:
    assert page_of({}, {"limit", "offset"}, 100).limit == 100
    assert page_of({"limit": 0}, {"limit", "offset"}, 100).limit == 100
    assert page_of({"limit": 10**9}, {"limit", "offset"}, 100).limit == MAX_PAGE
    assert page_of({"page_size": 5, "page_num": 2}, {"page_size", "page_num"}, 100).offset == 10
    assert page_of({"page_size": 5, "page": 2}, {"page_size", "page"}, 100).offset == 5
    huge = page_of({"offset": 10**30}, {"limit", "offset"}, 100)  # valid, and past every page
    assert list(islice(iter(range(10)), huge.offset, huge.offset + huge.limit)) == []
    assert page_of({"page_size": 5, "page": 10**30}, {"page_size", "page"}, 100).offset > 10**12


@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", None]), st.booleans()), max_size=60),
    st.sampled_from(["a", "b", None]),
    st.integers(0, 70),
    st.integers(1, 20),
)
def test_an_owner_index_pages_like_filtering_the_whole_list(
    ops: list[tuple[str | None, bool]], owner: str | None, offset: int, limit: int
) -> None:
    index = OwnerIndex()
    kept: list[tuple[str, str | None]] = []
    for n, (who, remove_one) in enumerate(ops):
        index.add("api", who, str(n))
        kept.append((str(n), who))
        if remove_one and kept:
            key, whose = kept.pop(len(kept) // 2)
            index.remove("api", whose, key)
    visible = [k for k, who in kept if who in (None, owner)]
    assert (
        list(islice(index.iterate("api", owner), offset, offset + limit))
        == (visible[offset : offset + limit])
    )
    assert index.count("api", owner) == len(visible)
    assert list(index.iterate("api", None, everyone=True)) == [k for k, _ in kept]


def test_unique_values_differ_for_every_task_of_an_api() -> None:
    tasks = TaskService(ManualClock(), apis=("tensorpix", "hailuo"), example_tasks=False)
    for _ in range(2000):
        tasks.create("tensorpix")
        tasks.create("hailuo")
    tasks.clock.advance(3600)  # type: ignore[attr-defined]
    outputs = [tasks.view(r).body["output_video"]["id"] for r in tasks.visible("tensorpix", None)]
    files = [tasks.view(r).body["file_id"] for r in tasks.visible("hailuo", None)]
    assert len(set(outputs)) == len(outputs)
    assert len(set(files)) == len(files)
    assert all(9000 <= v <= 999_999 for v in outputs)
    assert all(len(f) == 15 for f in files)


def test_a_path_is_rendered_without_the_rest_of_the_body_and_its_leaves_are_known() -> None:
    tasks = TaskService(ManualClock(), apis=("tensorpix",), example_tasks=False)
    behaviour = tasks.behaviour("tensorpix")
    path = ("output_video", "id")
    leaves = leaf_templates(behaviour.body, path, behaviour.templates)
    assert [leaf["$"] for leaf in leaves if isinstance(leaf, dict)] == ["integer"]
    record = tasks.create("tensorpix")
    assert tasks.derived_value(record, "output_video.id") is None  # not finished
    tasks.clock.advance(3600)  # type: ignore[attr-defined]
    ctx = tasks.answers.context(tasks.view(record).observation)
    assert render_path(behaviour.body, path, ctx) == tasks.view(record).body["output_video"]["id"]


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", None]), st.sampled_from(["a", "b", None])),
        max_size=40,
    ),
    st.sets(st.integers(0, 39)),
)
def test_deleting_tasks_pages_like_filtering_the_whole_list(
    made: list[tuple[str | None, str | None]], deleted: set[int]
) -> None:
    """Each task is made by one owner and maybe deleted by another: an owner's own task is gone
    for everyone, a public one only for the owner who deleted it."""
    tasks = TaskService(ManualClock(), apis=("tensorpix",), example_tasks=False)
    gone: set[tuple[str, str | None]] = set()  # (id, for whom; None: everyone)
    ids = []
    for n, (maker, deleter) in enumerate(made):
        record = tasks.create("tensorpix", owner=maker)
        ids.append(str(record.id))
        if n in deleted and tasks.sees(deleter, record):
            tasks.delete(record, deleter)
            public = record.owner is None and deleter is not None
            gone.add((str(record.id), deleter if public else None))
    for owner in ("a", "b"):
        expected = [
            i
            for i, (maker, _) in zip(ids, made, strict=True)
            if maker in (None, owner) and not {(i, None), (i, owner)} & gone
        ]
        assert [str(r.id) for r in tasks.visible("tensorpix", owner)] == expected
        assert tasks.count("tensorpix", owner) == len(expected)
        assert [i for i in ids if tasks.find("tensorpix", i, owner)] == expected


def test_a_removed_task_leaves_no_index_entry() -> None:
    tasks = TaskService(ManualClock(), apis=("tensorpix",), example_tasks=False)
    record = tasks.create("tensorpix", owner="a", input={"input_video": 8801})
    tasks.clock.advance(3600)  # type: ignore[attr-defined]
    output = tasks.view(record).body["output_video"]["id"]
    assert tasks.find_derived("tensorpix", "output_video.id", output, "a") == record
    assert tasks.users("tensorpix", "input_video", 8801) == [record]
    tasks.delete(record, "a")
    assert tasks.find_derived("tensorpix", "output_video.id", output, "a") is None
    assert tasks.users("tensorpix", "input_video", 8801) == []
    assert tasks.count("tensorpix", None) == 0
    # Lookups already skip a missing task; the entries must go too, or a long run leaks them.
    store = tasks.store
    assert (store._derived, store._users, store._derived_of, store._uses_of) == ({}, {}, {}, {})


def test_paging_names_the_page_parameters_and_the_first_page() -> None:
    paging = {"number": "pageNum", "size": "pageSize", "first": 1}
    first = page_of({"pageNum": 1, "pageSize": 30}, {"pageNum", "pageSize"}, 100, paging)
    assert (first.offset, first.limit) == (0, 30)
    third = page_of({"pageNum": 3, "pageSize": 30}, {"pageNum", "pageSize"}, 100, paging)
    assert (third.offset, third.limit) == (60, 30)
    assert page_of({}, set(), 50, paging) == Page(0, 50, "pageNum", 1)
    links = third.links("http://h/tasks", "pageNum=3&pageSize=30", 100)
    assert links == {
        "next": "http://h/tasks?pageSize=30&pageNum=4",
        "previous": "http://h/tasks?pageSize=30&pageNum=2",
    }
    zero_based = page_of({"p": 0}, {"p"}, 10, {"number": "p", "size": "n", "first": 0})
    assert zero_based.offset == 0
