"""Where the bundled specs/ and mocks/ live, in a wheel or in a source checkout."""

from __future__ import annotations

from pathlib import Path

__all__ = ["API_NAMES", "available_apis", "mocks_dir", "scenario_path", "spec_path", "specs_dir"]

#: The vendor APIs taskmock ships, in display order (others are found by `available_apis`).
API_NAMES: tuple[str, ...] = ("kokoon", "tensorpix", "hailuo")

_PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    # A wheel carries the folders under taskmock/_data/ (see pyproject.toml); an editable install or
    # a checkout reads them from the repository root, their single source.
    bundled = _PACKAGE_DIR / "_data" / name
    if bundled.is_dir():
        return bundled
    return _PACKAGE_DIR.parents[1] / name


def specs_dir() -> Path:
    """The folder holding `<api>.yaml` OpenAPI documents and `control.yaml`."""
    return _data_dir("specs")


def mocks_dir() -> Path:
    """The folder holding `<api>.yaml` scenario files."""
    return _data_dir("mocks")


def spec_path(name: str) -> Path:
    """The path of the bundled spec `name` (an API name or `control`)."""
    return specs_dir() / f"{name}.yaml"


def scenario_path(name: str) -> Path:
    """The path of the bundled scenario file of API `name`."""
    return mocks_dir() / f"{name}.yaml"


def available_apis() -> tuple[str, ...]:
    """Every API with both a spec and a scenario file: the bundled ones first, then any others.

    Adding an API takes `specs/<name>.yaml` and `mocks/<name>.yaml`, and no code.
    """
    found = {p.stem for p in mocks_dir().glob("*.yaml") if spec_path(p.stem).is_file()}
    return (*[n for n in API_NAMES if n in found], *sorted(found - set(API_NAMES)))
