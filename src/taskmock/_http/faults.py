"""Planned faults: answer the next N vendor requests with the vendor's rate-limit error."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Fault", "FaultPlan"]


@dataclass
class Fault:
    """Throttle the next `count` requests to `api` (and `operation`, if given)."""

    api: str
    count: int
    retry_after: int = 1
    operation: str | None = None
    kind: str = "rate-limited"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return asdict(self)


class FaultPlan:
    """Pending faults, consumed in order by matching requests."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        """Plan a fault."""
        with self._lock:
            self._faults.append(fault)

    def take(self, api: str, operation: str) -> Fault | None:
        """The first pending fault for this request, counting it down; None when there is none."""
        if not self._faults:  # the hot path: no lock when nothing is planned
            return None
        with self._lock:
            for fault in self._faults:
                if fault.api == api and fault.operation in (None, operation):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        """The faults still to happen."""
        return list(self._faults)

    def clear(self) -> None:
        """Forget every planned fault."""
        with self._lock:
            self._faults.clear()
