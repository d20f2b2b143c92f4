"""The parse cache: the same data and line numbers as parsing, never stale, never required."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskmock._core.source import load_document

TEXT = "api: demo\nbody:\n  status: { $: state }\n  items: [1, 2]\n"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("TASKMOCK_CACHE_DIR", str(folder))
    return folder


def test_a_cached_parse_has_the_same_data_and_lines(tmp_path: Path, cache: Path) -> None:
    file = tmp_path / "demo.yaml"
    file.write_text(TEXT, encoding="utf-8")
    first = load_document(file)
    assert len(list(cache.glob("*.marshal"))) == 1
    second = load_document(file)  # from the cache: no node tree until a line is asked for
    assert second._root is None
    assert (
        second.data
        == first.data
        == {
            "api": "demo",
            "body": {"status": {"$": "state"}, "items": [1, 2]},
        }
    )
    assert second.line_of("/body/items") == first.line_of("/body/items") == 4


def test_a_changed_file_is_parsed_again(tmp_path: Path, cache: Path) -> None:
    file = tmp_path / "demo.yaml"
    file.write_text(TEXT, encoding="utf-8")
    load_document(file)
    file.write_text(TEXT.replace("demo", "other"), encoding="utf-8")
    assert load_document(file).data["api"] == "other"


def test_a_broken_cache_entry_or_an_unwritable_folder_only_means_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    file = tmp_path / "demo.yaml"
    file.write_text(TEXT, encoding="utf-8")
    load_document(file)
    (entry,) = cache.glob("*.marshal")
    entry.write_bytes(b"\x00garbage")
    assert load_document(file).data["api"] == "demo"
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("TASKMOCK_CACHE_DIR", str(blocked / "cache"))
    assert load_document(file).data["api"] == "demo"


def test_an_empty_setting_turns_the_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKMOCK_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    file = tmp_path / "demo.yaml"
    file.write_text(TEXT, encoding="utf-8")
    load_document(file)
    assert not (tmp_path / "xdg").exists()


def test_a_data_type_marshal_cannot_hold_is_parsed_each_time(tmp_path: Path, cache: Path) -> None:
    file = tmp_path / "dated.yaml"
    file.write_text("when: 2024-11-06\nbytes: !!binary aGk=\nset: !!set {a: null}\n", "utf-8")
    assert load_document(file).data["when"].isoformat() == "2024-11-06"
    assert load_document(file).data["set"] == {"a"}
