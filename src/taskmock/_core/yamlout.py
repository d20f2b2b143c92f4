"""Write YAML that reads well: key order kept, short collections in flow style, comments.

PyYAML writes correct YAML but puts every collection in one style and has no comments; files that
people review and edit (the ones `taskmock new` writes) want `id: { kind: uuid }` on one line, long
text as a literal block and a `# ...` line above what was guessed. Scalars are still written by
PyYAML (its quoting is right); this module only lays them out, and checks that the text reads
back as the same data (otherwise it falls back to PyYAML's own layout, without comments).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import yaml

__all__ = ["Path", "dump_yaml"]

Path = tuple[str | int, ...]  # keys and indexes from the document's root

_FLOW_DEPTH = 3  # flow collections nest at most this deep: `{ a: { b: [1, 2] } }`
_FLOW_ITEMS = 8  # and hold at most this many entries each


def dump_yaml(
    data: Any,
    comments: Mapping[Path, str] | None = None,
    *,
    header: str = "",
    width: int = 100,
    spaced: bool = False,
) -> str:
    """`data` as YAML text; `comments[path]` goes above the entry at `path` (a key or an item).

    `header` becomes comment lines at the top; `spaced` puts a blank line between the root's
    entries. The text always loads back as `data`.
    """
    writer = _Writer(dict(comments or {}), width)
    head = [
        f"# {line}".rstrip()
        for paragraph in header.splitlines()
        for line in _wrap(paragraph, width - 2) or [""]
    ]
    lines: list[str] = []
    if isinstance(data, dict | list) and data:
        writer.block(data, 0, (), lines, spaced=spaced)
    else:
        lines.append(_scalar(data))
    text = "\n".join([*head, *lines]) + "\n"
    if _reads_back(text, data):
        return text
    fallback = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=width)
    return "\n".join([*head, fallback.rstrip()]) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    # Paths and URLs stay whole: a comment is read, not reflowed.
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)


# libyaml's loader and dumper when present (several times faster, same output).
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _reads_back(text: str, data: Any) -> bool:
    try:
        return bool(
            yaml.load(text, Loader=_Loader) == data
        )  # a safe loader (libyaml's when present)
    except yaml.YAMLError:
        return False


def _scalar(value: Any) -> str:
    """One scalar as YAML text that is valid in flow and block context alike."""
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        return json.dumps(value, ensure_ascii=False)  # JSON strings are YAML double-quoted ones
    if isinstance(value, str | int | float | bool) or value is None:
        return _cached_scalar(type(value).__name__, value)
    return _dumped_scalar(value)


@lru_cache(maxsize=4096)
def _cached_scalar(kind: str, value: Any) -> str:
    # Keyed on the type too: 1, 1.0 and True are equal keys to a dict, not to YAML.
    return _dumped_scalar(value)


def _dumped_scalar(value: Any) -> str:
    text = yaml.dump(
        [value], Dumper=_Dumper, default_flow_style=True, allow_unicode=True, width=1 << 30
    )
    return str(text).strip()[1:-1]


def _literal(value: Any) -> bool:
    """Whether a string is best written as a `|` literal block."""
    if not isinstance(value, str) or "\n" not in value.rstrip("\n"):
        return False
    return (
        not value.startswith((" ", "\n"))
        and "\r" not in value
        and "\t" not in value
        and not any(line.endswith(" ") for line in value.split("\n"))
        and all(ch.isprintable() for ch in value.replace("\n", ""))
    )


class _Writer:
    def __init__(self, comments: dict[Path, str], width: int) -> None:
        self.comments = comments
        self.width = width
        # Paths that have a comment somewhere below them: those stay in block style.
        self.commented = {path[:n] for path in comments for n in range(len(path))}

    def comment(self, path: Path, indent: int, out: list[str]) -> None:
        note = self.comments.get(path)
        room = max(self.width - indent - 2, 40)
        for paragraph in (note or "").splitlines():
            for line in _wrap(paragraph, room) or [""]:
                out.append(f"{' ' * indent}# {line}".rstrip())

    def flow(self, node: Any, path: Path, room: int) -> str | None:
        """`node` as one flow line if it is small, uncommented and fits in `room` characters."""
        if path in self.commented and path:
            return None
        text = self._flow(node, _FLOW_DEPTH)
        return text if text is not None and len(text) <= room else None

    def _flow(self, node: Any, depth: int) -> str | None:
        if isinstance(node, dict):
            if not node:
                return "{}"
            if depth == 0 or len(node) > _FLOW_ITEMS:
                return None
            parts = []
            for key, value in node.items():
                inner = self._flow(value, depth - 1)
                if inner is None:
                    return None
                parts.append(f"{_scalar(key)}: {inner}")
            return "{ " + ", ".join(parts) + " }"
        if isinstance(node, list):
            if not node:
                return "[]"
            if depth == 0 or len(node) > _FLOW_ITEMS * 2:
                return None
            if len(node) > 1 and any(isinstance(item, dict) and item for item in node):
                return None  # several mappings read best one per line
            items = [self._flow(value, depth - 1) for value in node]
            if any(item is None for item in items):
                return None
            return "[" + ", ".join(str(item) for item in items) + "]"
        if isinstance(node, str) and ("\n" in node or "\r" in node):
            return None
        return _scalar(node)

    def block(
        self, node: Any, indent: int, path: Path, out: list[str], *, spaced: bool = False
    ) -> None:
        """A non-empty mapping or list in block style, each entry at `indent`."""
        pad = " " * indent
        entries = node.items() if isinstance(node, dict) else enumerate(node)
        for number, (key, value) in enumerate(entries):
            here = (*path, key)
            if spaced and number:
                out.append("")
            self.comment(here, indent, out)
            lead = f"{pad}{_scalar(key)}:" if isinstance(node, dict) else f"{pad}-"
            self.entry(lead, value, indent, here, out, in_list=isinstance(node, list))

    def entry(
        self, lead: str, value: Any, indent: int, path: Path, out: list[str], *, in_list: bool
    ) -> None:
        """One `key: value` or `- value` entry."""
        if _literal(value):
            chomp = "" if value.endswith("\n") and not value.endswith("\n\n") else "-"
            if value.endswith("\n\n"):
                chomp = "+"
            out.append(f"{lead} |{chomp}")
            body = value[:-1] if value.endswith("\n") else value
            out.extend(f"{' ' * (indent + 2)}{line}" if line else "" for line in body.split("\n"))
            return
        if not isinstance(value, dict | list) or not value:
            out.append(f"{lead} {_scalar(value)}")
            return
        flow = self.flow(value, path, self.width - len(lead) - 1)
        if flow is not None:
            out.append(f"{lead} {flow}")
            return
        if not in_list or isinstance(value, list):
            out.append(lead)
            self.block(value, indent + 2, path, out)
            return
        # A mapping in a list: its first key goes on the `- ` line, the rest line up under it.
        inner: list[str] = []
        self.block(value, indent + 2, path, inner)
        first = next(i for i, line in enumerate(inner) if not line.lstrip().startswith("#"))
        out.extend(inner[:first])
        out.append(f"{lead} {inner[first].lstrip()}")
        out.extend(inner[first + 1 :])
