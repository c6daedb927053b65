"""The emulator's clock: wall-clock time plus an adjustable offset."""

from __future__ import annotations

import math
import threading
import time


class EmulatorClock:
    """UNIX time in whole seconds that tests can move forward or back.

    `now()` is `time.time() + offset`, rounded down. The clock keeps running
    after `advance()` or `set()`, because they change only the offset.
    `freeze()` stops the wall-clock part until `resume()`, so tests can hit
    exact second boundaries.
    """

    def __init__(self, offset: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._offset = float(offset)
        self._frozen_wall: float | None = None

    def now(self) -> int:
        with self._lock:
            return math.floor(self._wall() + self._offset)

    @property
    def offset(self) -> float:
        """Seconds added to the wall clock."""
        with self._lock:
            return self._offset

    @property
    def frozen(self) -> bool:
        with self._lock:
            return self._frozen_wall is not None

    def advance(self, seconds: float) -> int:
        """Move the clock by `seconds` (negative moves it back) and return the new now()."""
        with self._lock:
            self._offset += float(seconds)
            return math.floor(self._wall() + self._offset)

    def set(self, timestamp: float) -> int:
        """Set the clock to the UNIX time `timestamp` and return the new now()."""
        with self._lock:
            # Keep the fraction of the current wall-clock second so that now()
            # returns `timestamp` at once and ticks a whole second later.
            wall = self._wall()
            self._offset = float(timestamp) - math.floor(wall)
            return math.floor(wall + self._offset)

    def set_offset(self, seconds: float) -> int:
        """Set the offset from the wall clock and return the new now()."""
        with self._lock:
            self._offset = float(seconds)
            return math.floor(self._wall() + self._offset)

    def freeze(self) -> int:
        """Stop the clock at its current time and return it. advance() and set() still work."""
        with self._lock:
            if self._frozen_wall is None:
                self._frozen_wall = time.time()
            return math.floor(self._frozen_wall + self._offset)

    def resume(self) -> int:
        """Let a frozen clock run again from the time it shows, and return that time."""
        with self._lock:
            if self._frozen_wall is not None:
                wall = time.time()
                self._offset += self._frozen_wall - wall
                self._frozen_wall = None
            return math.floor(self._wall() + self._offset)

    def reset(self) -> None:
        """Return to the running wall clock with no offset."""
        with self._lock:
            self._offset = 0.0
            self._frozen_wall = None

    def _wall(self) -> float:
        return time.time() if self._frozen_wall is None else self._frozen_wall
