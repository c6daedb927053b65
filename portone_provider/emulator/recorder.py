"""Optional record of every PortOne API request the emulator receives.

Off by default. Tests turn it on to check what a client put where, for example
that an access token travels only in the Authorization header and never in a
URL, a query string or a body. The control API under /_emulator is not recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RecordedRequest:
    """One API request as it arrived: the raw request target keeps the query string."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


class RequestRecorder:
    """Thread-safe list of recorded requests that fills only while enabled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._enabled = False
        self._requests: list[RecordedRequest] = []

    @property
    def enabled(self) -> bool:
        with self._lock:
            return self._enabled

    def start(self) -> None:
        """Record every API request from now on."""
        with self._lock:
            self._enabled = True

    def stop(self) -> None:
        """Stop recording. The requests recorded so far are kept."""
        with self._lock:
            self._enabled = False

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    def record(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> None:
        """Keep one request if recording is on."""
        with self._lock:
            if not self._enabled:
                return
            self._requests.append(RecordedRequest(method, target, dict(headers.items()), bytes(body)))

    def requests(self) -> list[RecordedRequest]:
        """Return the recorded requests, oldest first."""
        with self._lock:
            return list(self._requests)
