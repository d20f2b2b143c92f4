"""Every public module declares __all__, and every name it lists exists and is documented."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import taskmock

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(taskmock.__path__, "taskmock.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_module_declares_a_documented_public_surface(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} has no docstring"
    if not hasattr(module, "__path__"):  # packages may re-export nothing
        assert hasattr(module, "__all__"), f"{name} has no __all__"
    for member in getattr(module, "__all__", []):
        obj = getattr(module, member)
        if callable(obj):
            assert obj.__doc__, f"{name}.{member} has no docstring"


PUBLIC = ["Spec", "__version__", "asgi_app", "httpx_transport", "load_api", "load_spec"]


def test_the_package_exports_exactly_its_public_names_each_documented() -> None:
    assert sorted(taskmock.__all__) == PUBLIC
    for name in PUBLIC:
        obj = getattr(taskmock, name)
        assert not callable(obj) or obj.__doc__, f"taskmock.{name} has no docstring"
