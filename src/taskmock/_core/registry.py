"""Registries: one entry per named thing a scenario file can use (an expression, an operation
role), holding everything about it — its options, their documentation, how it is checked and
what it does — so that adding one touches one place. The reference documentation and the JSON
Schema for editors are generated from the registries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["Option", "Registry"]


@dataclass(frozen=True)
class Option:
    """One option of an expression or a role: its name, what it means, the JSON Schema of its
    value (for editors), whether it is required, and older spellings still accepted."""

    name: str
    description: str
    schema: Any = None  # JSON Schema of the value; None: any value (often a template)
    required: bool = False
    aliases: tuple[str, ...] = ()


class Named(Protocol):
    """What a registry holds: something with a name."""

    @property
    def name(self) -> str: ...


E = TypeVar("E", bound=Named)


class Registry(Generic[E]):
    """Entries by name, in the order they were registered."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, E] = {}

    def add(self, entry: E) -> E:
        """Register an entry; a name registered twice is a bug."""
        if entry.name in self._entries:
            raise ValueError(f"{self.kind} {entry.name!r} is registered twice")
        self._entries[entry.name] = entry
        return entry

    def __getitem__(self, name: str) -> E:
        return self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> list[E]:
        """Every entry, in registration order."""
        return list(self._entries.values())
