"""Injected time: wall, scaled and manual clocks. The engine never reads time any other way."""

from __future__ import annotations

import threading
import time
from typing import Protocol

from taskmock.errors import ClockError

__all__ = [
    "LATEST",
    "MANUAL_EPOCH",
    "Clock",
    "ClockRangeError",
    "ManualClock",
    "ScaledClock",
    "WallClock",
    "make_clock",
]

#: Where a manual clock starts unless told otherwise: 2024-01-01T00:00:00Z, so that the same seed
#: gives the same timestamps in every run.
MANUAL_EPOCH = 1_704_067_200.0
#: The last instant a timestamp can show (9999-12-31T23:59:59Z): a manual clock never passes it.
LATEST = 253_402_300_799.0


class ClockRangeError(ClockError, ValueError):
    """An advance that would take a manual clock past `LATEST` (it is refused, time stays)."""


class Clock(Protocol):
    """A source of the current time in seconds since the Unix epoch."""

    kind: str

    def now(self) -> float:
        """The current time."""
        ...


class WallClock:
    """Real time."""

    kind = "wall"

    def now(self) -> float:
        """The current time."""
        return time.time()


class ScaledClock:
    """Real time sped up: at `speed=60` a minute passes every second. Starts at the wall time."""

    kind = "scaled"

    def __init__(self, speed: float) -> None:
        if not speed > 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._real_origin = time.monotonic()
        self._origin = time.time()

    def now(self) -> float:
        """The current (scaled) time."""
        return self._origin + (time.monotonic() - self._real_origin) * self.speed


class ManualClock:
    """Time that moves only when `advance` is called (by a test or the control plane)."""

    kind = "manual"

    def __init__(self, start: float = MANUAL_EPOCH) -> None:
        self.start = start
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        """The current time."""
        return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by `seconds` (>= 0); returns the new time. ClockRangeError, and no
        change, when that would pass `LATEST`."""
        if not seconds >= 0:
            raise ValueError("a clock only moves forward: seconds must be >= 0")
        with self._lock:
            if self._now + seconds > LATEST:
                raise ClockRangeError(
                    f"advancing {seconds} s would pass 9999-12-31T23:59:59Z, the last instant "
                    f"a timestamp can show; at most {LATEST - self._now:.0f} s are left"
                )
            self._now += seconds
            return self._now

    def restart(self) -> None:
        """Go back to the start (a reset of the mock does this)."""
        with self._lock:
            self._now = self.start


def make_clock(
    kind: str, speed: float = 1.0, start: float | None = None
) -> WallClock | ScaledClock | ManualClock:
    """Build a clock by name: `wall` (scaled when speed != 1), `scaled` or `manual`."""
    if kind == "manual":
        return ManualClock(MANUAL_EPOCH if start is None else start)
    if kind == "scaled" or (kind == "wall" and speed != 1.0):
        return ScaledClock(speed)
    if kind == "wall":
        return WallClock()
    raise ValueError(f"unknown clock {kind!r}; choose wall, scaled or manual")
