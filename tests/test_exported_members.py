"""The public surface is `taskmock.__all__`: deliberate, importable, each name documented.

Everything else is internal (modules keep their own `__all__` for readers and tools, but nothing
outside `taskmock.__all__`, `taskmock.testing` and the pytest plugin is promised)."""

from __future__ import annotations

import subprocess
import sys

import taskmock

PUBLIC = [
    "Admin",
    "Capacity",
    "CapacityError",
    "Catalog",
    "CatalogError",
    "ClockError",
    "InvalidTransition",
    "ManualClock",
    "MockApp",
    "MockConfig",
    "MockServer",
    "NoSuchTask",
    "NotDocumented",
    "Request",
    "Response",
    "ScaledClock",
    "ScenarioError",
    "Spec",
    "SpecError",
    "TaskmockError",
    "Taskmock",
    "UnknownNameError",
    "UsageError",
    "WallClock",
    "__version__",
    "asgi_app",
    "httpx_transport",
    "load_api",
    "load_spec",
    "make_clock",
]


def test_the_package_exports_exactly_its_public_names_each_documented() -> None:
    assert sorted(taskmock.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        obj = getattr(taskmock, name)
        assert not callable(obj) or obj.__doc__, f"taskmock.{name} has no docstring"
    assert taskmock.__doc__


def test_importing_taskmock_needs_no_optional_extra_and_no_server_library() -> None:
    """`import taskmock` stays light: httpx, trustme and uvicorn load only when used."""
    probe = "import sys, taskmock; print(sorted(m for m in ('httpx', 'trustme', 'uvicorn') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


#: The modules a user may import by name; every other one is private by name (a leading `_`).
PUBLIC_MODULES = {"taskmock", "taskmock.__main__", "taskmock.errors", "taskmock.testing"}
PLUGIN = "taskmock.pytest_plugin"  # pytest loads it by this name (the pytest11 entry point)


def test_every_other_module_is_private_by_name() -> None:
    import pkgutil

    found = {
        module.name
        for module in pkgutil.walk_packages(taskmock.__path__, "taskmock.")
        if not any(part.startswith("_") for part in module.name.split(".")[1:])
    }
    assert found | {"taskmock"} == PUBLIC_MODULES - {"taskmock.__main__"} | {"taskmock", PLUGIN}
