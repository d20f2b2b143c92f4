"""Where the bundled specs/ and mocks/ live, in a wheel or in a source checkout."""

from __future__ import annotations

from pathlib import Path

__all__ = ["API_NAMES", "mocks_dir", "spec_path", "specs_dir"]

#: The vendor APIs taskmock ships a spec for, in display order.
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
