"""Catalogs: the folders the APIs come from.

A catalog is a folder holding `specs/<api>.yaml` (OpenAPI) and, for the APIs the mock can play,
`mocks/<api>.yaml` (a scenario file) — the layout of the repository's own folders, which are the
bundled catalog. Users add theirs (`--catalog DIR`, `TASKMOCK_CATALOG`, the pytest ini option
`taskmock_catalog`, `MockConfig(catalogs=...)`); every part of taskmock reads APIs through a
`Catalog`, so a user's API is served, validated and checked like a bundled one.

A catalog holds no state beyond the files: loaded documents are remembered by path and
modification time, so two mocks in one process can load different catalogs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from taskmock._resources import bundled_catalog_dir
from taskmock.errors import CatalogError, Problem, UnknownNameError

if TYPE_CHECKING:
    from taskmock._core.scenario import Behaviour
    from taskmock._core.spec import Spec

__all__ = ["ENVIRONMENT_VARIABLE", "RESERVED_NAMES", "Catalog", "Entry", "bundled_catalog"]

#: Catalog folders to add to every command, separated by `os.pathsep`.
ENVIRONMENT_VARIABLE = "TASKMOCK_CATALOG"
#: Names no API may take: the control plane's own document.
RESERVED_NAMES = frozenset({"control"})


@dataclass(frozen=True)
class Entry:
    """One API of a catalog: its spec, and its scenario file if the mock can play it."""

    name: str
    spec: Path
    scenario: Path | None
    folder: Path


class Catalog:
    """The APIs of the bundled catalog (unless `bundled=False`) and of each folder, in order.

    An API name found in two folders is an error that names both files.
    """

    def __init__(self, folders: Iterable[str | Path] = (), *, bundled: bool = True) -> None:
        roots = [bundled_catalog_dir()] if bundled else []
        roots += [Path(folder).expanduser() for folder in folders]
        self.folders: tuple[Path, ...] = tuple(dict.fromkeys(r.resolve() for r in roots))
        entries: dict[str, Entry] = {}
        problems: list[Problem] = []
        for folder in self.folders:
            problems += _folder_problems(folder)
            for entry in _scan(folder):
                if entry.name in entries:
                    first = entries[entry.name]
                    problems.append(
                        Problem(
                            str(entry.spec),
                            "",
                            f"API {entry.name!r} is also defined by {first.spec}; "
                            "rename one of them (the file name is the API name)",
                        )
                    )
                    continue
                entries[entry.name] = entry
        if problems:
            raise CatalogError(problems)
        self.entries: Mapping[str, Entry] = entries

    @classmethod
    def from_environment(cls, folders: Iterable[str | Path] = ()) -> Catalog:
        """The bundled catalog, the folders in `TASKMOCK_CATALOG`, then `folders`."""
        named = os.environ.get(ENVIRONMENT_VARIABLE, "")
        return cls([*(p for p in named.split(os.pathsep) if p.strip()), *folders])

    @property
    def names(self) -> tuple[str, ...]:
        """Every API the mock can play (it has a scenario file), in catalog order."""
        return tuple(name for name, entry in self.entries.items() if entry.scenario is not None)

    @property
    def spec_names(self) -> tuple[str, ...]:
        """Every API with a spec, playable or not."""
        return tuple(self.entries)

    def entry(self, name: str) -> Entry:
        """The entry of an API; UnknownNameError (with a suggestion) otherwise."""
        if name not in self.entries:
            raise UnknownNameError("API", name, self.entries)
        return self.entries[name]

    def spec(self, name: str) -> Spec:
        """The spec of an API (loaded once per file version)."""
        return _load_spec(*_versioned(self.entry(name).spec))

    def behaviour(self, name: str) -> Behaviour:
        """How the mock plays an API, checked against its spec (loaded once per file version)."""
        entry = self.entry(name)
        if entry.scenario is None:
            raise UnknownNameError("API with a scenario file", name, self.names)
        return _load_behaviour(*_versioned(entry.scenario), *_versioned(entry.spec), name)

    def control_spec(self) -> Path:
        """The control plane's OpenAPI document (in the bundled catalog)."""
        return bundled_catalog_dir() / "specs" / "control.yaml"


@lru_cache(maxsize=1)
def bundled_catalog() -> Catalog:
    """The catalog of the APIs taskmock ships (package data: it does not change while running)."""
    return Catalog()


def _scan(folder: Path) -> list[Entry]:
    specs = folder / "specs"
    entries = []
    for spec in sorted(specs.glob("*.yaml")) if specs.is_dir() else []:
        if spec.stem in RESERVED_NAMES and folder == bundled_catalog_dir().resolve():
            continue
        scenario = folder / "mocks" / f"{spec.stem}.yaml"
        entries.append(Entry(spec.stem, spec, scenario if scenario.is_file() else None, folder))
    return entries


def _folder_problems(folder: Path) -> list[Problem]:
    if not folder.is_dir():
        return [Problem(str(folder), "", "a catalog is a folder holding specs/ and mocks/")]
    if not (folder / "specs").is_dir():
        return [Problem(str(folder), "", "no specs/ folder: a catalog holds specs/<api>.yaml")]
    problems = []
    for spec in sorted((folder / "specs").glob("*.yaml")):
        if spec.stem in RESERVED_NAMES and folder != bundled_catalog_dir().resolve():
            problems.append(Problem(str(spec), "", f"{spec.stem!r} is reserved: rename the API"))
        elif not spec.stem.replace("-", "").replace("_", "").isalnum():
            problems.append(
                Problem(str(spec), "", "an API name is letters, digits, '-' and '_' only")
            )
    mocks = folder / "mocks"
    for scenario in sorted(mocks.glob("*.yaml")) if mocks.is_dir() else []:
        if scenario.stem != "scenario.schema" and not (folder / "specs" / scenario.name).is_file():
            problems.append(
                Problem(
                    str(scenario),
                    "",
                    f"no spec for it: expected {folder / 'specs' / scenario.name}",
                )
            )
    return problems


def _versioned(path: Path) -> tuple[str, int]:
    try:
        return str(path), path.stat().st_mtime_ns
    except OSError:
        return str(path), -1


@lru_cache(maxsize=64)
def _load_spec(path: str, version: int) -> Spec:
    from taskmock._core.spec import load_spec

    return load_spec(path)


@lru_cache(maxsize=64)
def _load_behaviour(
    scenario: str, scenario_version: int, spec: str, spec_version: int, name: str
) -> Behaviour:
    from taskmock._core.scenario import load_behaviour_file

    return load_behaviour_file(scenario, spec, name=name)
