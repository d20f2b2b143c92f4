"""Read YAML or JSON documents while keeping where each value came from (line numbers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from taskmock.errors import DocumentError, Problem

__all__ = ["SourceDocument", "escape_pointer", "load_document", "pointer_of", "resolve_ref"]

# libyaml's loader is several times faster and keeps the same marks (line numbers).
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def escape_pointer(token: object) -> str:
    """Escape one JSON-pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer_of(path: Any) -> str:
    """Build a JSON pointer from a sequence of keys and indexes."""
    return "".join("/" + escape_pointer(part) for part in path)


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def resolve_ref(document: Any, ref: str) -> Any:
    """The target of a local `#/...` reference; raises KeyError when it points nowhere."""
    node = document
    for token in ref[2:].split("/") if ref != "#" else []:
        token = _unescape(token)
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict):
            node = node[token]
        else:
            raise KeyError(token)
    return node


@dataclass
class SourceDocument:
    """A parsed document, its file name, and its YAML node tree for line lookups."""

    file: str
    data: Any
    _root: yaml.Node | None = field(default=None, repr=False)

    def line_of(self, pointer: str) -> int | None:
        """The 1-based line where the value at `pointer` starts, or its nearest parent's."""
        node = self._root
        if node is None:
            return None
        best = node.start_mark.line + 1
        tokens = [_unescape(t) for t in pointer.split("/")[1:]] if pointer else []
        for token in tokens:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and str(key.value) == token:
                        child = value
                        break
            elif isinstance(node, yaml.SequenceNode) and token.isdigit():
                index = int(token)
                child = node.value[index] if index < len(node.value) else None
            if child is None:
                break
            node = child
            best = node.start_mark.line + 1
        return best

    def problem(self, pointer: str, message: str) -> Problem:
        """A Problem located at `pointer` in this document."""
        return Problem(self.file, pointer, message, self.line_of(pointer))


def load_document(path: str | Path) -> SourceDocument:
    """Parse a YAML (or JSON) file, raising DocumentError with file and line on any failure."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DocumentError(
            [Problem(name, "", f"cannot read file: {exc.strerror or exc}")]
        ) from None
    except UnicodeDecodeError:
        raise DocumentError([Problem(name, "", "not UTF-8 text")]) from None
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise DocumentError([Problem(name, "", f"not valid YAML: {reason}", line)]) from None
    return SourceDocument(name, data, root)
