"""The one exception tree of taskmock.

TaskmockError                 anything taskmock reports to a user instead of a traceback
├── DocumentError             a document is unreadable or breaks its rules (file:line: pointer)
│   ├── SpecError             a spec document cannot be read or is not a valid contract
│   ├── ScenarioError         a scenario file describes behaviour its spec does not allow
│   └── CatalogError          a catalog folder is malformed, or two define the same API
├── UnknownNameError          an API, component or scenario name that does not exist
├── NoSuchTask                a task id the mock does not know (for that API and owner)
├── InvalidTransition         a forced transition the lifecycle does not allow
├── CapacityError             a task or upload over a documented limit of the mock
├── ClockError                time the clock cannot take: not manual, or past 9999-12-31
├── NotDocumented             a fault the API documents no answer for (no rate limiting)
├── UsageError                a command was called with arguments it cannot act on
├── ScaffoldError             `taskmock new` cannot build a catalog entry from a document
└── MissingExtraError         a feature needs an optional dependency that is not installed
                              (also an ImportError)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CapacityError",
    "CatalogError",
    "ClockError",
    "DocumentError",
    "InvalidTransition",
    "MissingExtraError",
    "NoSuchTask",
    "NotDocumented",
    "Problem",
    "ScaffoldError",
    "ScenarioError",
    "SpecError",
    "TaskmockError",
    "UnknownNameError",
    "UsageError",
    "did_you_mean",
]


class TaskmockError(Exception):
    """Base class: an error with a message fit to show a user as it is."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where (file, JSON pointer, line) and what."""

    file: str
    pointer: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.pointer or '/'}: {self.message}"


class DocumentError(TaskmockError):
    """A document is unreadable or breaks its rules; carries its problems, one per line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SpecError(DocumentError):
    """A spec document is unreadable or is not a valid contract."""


class ScenarioError(DocumentError):
    """A scenario file is unreadable or describes behaviour its spec does not allow."""


class CatalogError(DocumentError):
    """A catalog folder is malformed, or an API name is defined by two of them."""


class UnknownNameError(TaskmockError):
    """A name that is not one of the known ones; the message suggests the closest."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        self.kind, self.name, self.known = kind, name, sorted(known)
        super().__init__(f"unknown {kind} {name!r}{did_you_mean(name, self.known)}")


class NoSuchTask(TaskmockError):
    """A task id the mock does not know, for that API (and that owner)."""

    def __init__(self, api: str, task_id: object) -> None:
        self.api, self.task_id = api, task_id
        super().__init__(f"no {api} task {task_id!r}")


class InvalidTransition(TaskmockError):
    """A forced transition the lifecycle does not allow (e.g. out of a terminal state)."""


class CapacityError(TaskmockError):
    """A task or upload the mock will not store: over a documented limit."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status  # 413 for one input that is too large, 507 when the store is full


class ClockError(TaskmockError):
    """Time the clock cannot take: advancing a clock that is not manual, or past the last
    instant a timestamp can show."""


class NotDocumented(TaskmockError):
    """A fault the API documents no answer for (throttling an API without rate limiting)."""


class UsageError(TaskmockError):
    """A command-line call that cannot be carried out as given."""


class ScaffoldError(TaskmockError):
    """A document `taskmock new` cannot build a catalog entry from; the message says why."""


class MissingExtraError(TaskmockError, ImportError):
    """A feature was used without the optional dependency (extra) it needs."""

    def __init__(self, feature: str, extra: str) -> None:
        self.feature, self.extra = feature, extra
        super().__init__(f"{feature} needs the {extra!r} extra: pip install 'taskmock[{extra}]'")


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """Return "; did you mean 'x'?" for the closest known name, or list them all."""
    choices = sorted(known)
    close = difflib.get_close_matches(name, choices, n=1)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; known: {', '.join(choices)}" if choices else ""
