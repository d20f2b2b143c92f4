"""The contract checks know an API only through its spec, and no module names a vendor: what
differs between vendors is data."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import taskmock

PACKAGE = Path(taskmock.__file__).parent
CHECK_MODULES = sorted(
    [
        *(PACKAGE / "_checks").glob("*.py"),
        PACKAGE / "_cli" / "check_cmd.py",
        PACKAGE / "_core" / "contract.py",
        PACKAGE / "_core" / "extensions.py",
    ]
)


def test_the_check_modules_are_where_this_test_looks() -> None:
    """A renamed folder must not leave the rules below checking nothing."""
    assert len(CHECK_MODULES) > 5
    assert all(path.is_file() for path in CHECK_MODULES)


FORBIDDEN_IMPORTS = ("taskmock._core.scenario", "taskmock._http", "taskmock.testing")
VENDORS = (
    "kokoon",
    "tensorpix",
    "hailuo",
    "minimax",
    "runway",
    "replicate",
    "luma",
    "kling",
    "veo",
    "google",
    "gemini",
    "vertex",
)
EVERY_MODULE = sorted(PACKAGE.rglob("*.py"))


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


@pytest.mark.parametrize("path", CHECK_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_check_module_imports_no_mock(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert [m for m in imported if m and m.startswith(FORBIDDEN_IMPORTS)] == []


@pytest.mark.parametrize(
    "path", EVERY_MODULE, ids=lambda p: str(p.relative_to(PACKAGE)).replace("\\", "/")
)
def test_no_module_names_a_vendor_outside_a_docstring(path: Path) -> None:
    """What differs between vendors is data (specs and scenario files), never Python."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    words = [
        node.value.lower()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ] + [node.id.lower() for node in ast.walk(tree) if isinstance(node, ast.Name)]
    assert [w for w in words if any(v in w for v in VENDORS)] == []
