"""Request counters that tests read to check how a client used the API."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any


class EmulatorStats(Mapping[str, Any]):
    """Thread-safe counters, readable like a dict.

    "requests" counts every PortOne API request, control API excluded.
    "token_requests" counts every POST /users/getToken. "connections" counts
    accepted TCP connections, control API included. Each route has its own
    key such as "GET /payments/{imp_uid}", and "unmatched" counts requests
    that matched no route. "last_tier" is the last Tier header seen and is
    absent until one arrives. A missing counter reads as None through
    `get()`, and `stats["x"]` raises KeyError.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {"requests": 0, "token_requests": 0, "connections": 0}

    def increment(self, key: str, amount: int = 1) -> None:
        with self._lock:
            self._values[key] = self._values.get(key, 0) + amount

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._values[key] = value

    def reset(self) -> None:
        with self._lock:
            self._values = {"requests": 0, "token_requests": 0, "connections": 0}

    def snapshot(self) -> dict[str, Any]:
        """Return a copy of every counter."""
        with self._lock:
            return dict(self._values)

    def __getitem__(self, key: str) -> Any:
        with self._lock:
            return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def __repr__(self) -> str:
        return f"EmulatorStats({self.snapshot()!r})"
