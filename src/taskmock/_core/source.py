"""Read YAML or JSON documents while keeping where each value came from (line numbers).

Parsing YAML is most of what loading a catalog costs, so a parsed document is kept in a cache
folder (`TASKMOCK_CACHE_DIR`; default `$XDG_CACHE_HOME/taskmock`, or `~/.cache/taskmock`; empty
turns it off), keyed by the file's bytes: a changed file is parsed again. Line numbers come from
composing the text once more, and only when a problem needs one.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
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
    """A parsed document, its file name, and its text (or YAML node tree) for line lookups."""

    file: str
    data: Any
    _root: yaml.Node | None = field(default=None, repr=False)
    _text: str | None = field(default=None, repr=False)

    def line_of(self, pointer: str) -> int | None:
        """The 1-based line where the value at `pointer` starts, or its nearest parent's."""
        if self._root is None and self._text is not None:
            self._root = _compose(self._text)
            self._text = None
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
        raw = Path(path).read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        raise DocumentError(
            [Problem(name, "", f"cannot read file: {exc.strerror or exc}")]
        ) from None
    except UnicodeDecodeError:
        raise DocumentError([Problem(name, "", "not UTF-8 text")]) from None
    cached = _cache_file(raw)
    if cached is not None:
        try:
            return SourceDocument(name, marshal.loads(cached.read_bytes()), _text=text)
        except (OSError, EOFError, ValueError, TypeError):
            pass  # not there yet, or unreadable: parse
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
    if cached is not None:
        _store(cached, data)
    return SourceDocument(name, data, root)


def _compose(text: str) -> yaml.Node | None:
    loader = _Loader(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


def _cache_dir() -> Path | None:
    configured = os.environ.get("TASKMOCK_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "taskmock"


def _cache_file(raw: bytes) -> Path | None:
    """Where the parse of these bytes is kept (by this Python, this loader), or None."""
    folder = _cache_dir()
    if folder is None:
        return None
    key = hashlib.sha256(raw)
    key.update(f"{sys.version_info[:2]} {marshal.version} {yaml.__version__}".encode())
    return folder / f"{key.hexdigest()}.marshal"


def _store(target: Path, data: Any) -> None:
    """Keep a parse for next time; a folder that cannot be written, or data marshal cannot hold
    (a YAML type beyond JSON's and dates), only means parsing again."""
    try:
        blob = marshal.dumps(data)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(blob)
            os.replace(temporary, target)  # whole or not at all, even with writers in parallel
        except BaseException:
            os.unlink(temporary)
            raise
    except (OSError, ValueError):
        pass
