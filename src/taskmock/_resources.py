"""Where the bundled catalog (specs/ and mocks/) lives, in a wheel or in a source checkout.

APIs are listed by `taskmock._core.catalog.Catalog`, which reads these folders and any others.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_catalog_dir", "mocks_dir", "sample_file", "specs_dir"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_catalog_dir() -> Path:
    """The folder holding the bundled `specs/` and `mocks/`.

    A wheel carries them under taskmock/_data/ (see pyproject.toml); an editable install or a
    checkout reads them from the repository root, their single source.
    """
    bundled = _PACKAGE_DIR / "_data"
    if (bundled / "specs").is_dir():
        return bundled
    return _PACKAGE_DIR.parents[1]


def specs_dir() -> Path:
    """The bundled `specs/` folder (vendor specs and `control.yaml`)."""
    return bundled_catalog_dir() / "specs"


def mocks_dir() -> Path:
    """The bundled `mocks/` folder (scenario files, their schema, the sample video)."""
    return bundled_catalog_dir() / "mocks"


def sample_file() -> Path:
    """The small real MP4 every download serves."""
    return mocks_dir() / "files" / "sample.mp4"
